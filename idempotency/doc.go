// Package idempotency makes a mutation safe to retry, with Stripe's
// semantics: a request carrying an Idempotency-Key header runs once per
// (merchant, credential, key); a retry with the same body within the
// retention window gets the first response again, byte for byte, marked
// with Idempotency-Replayed: true; the same key with another body is
// refused (IDEMPOTENCY_KEY_MISMATCH, 422) and changes nothing; and a retry
// while the first request is still running is refused
// (IDEMPOTENCY_KEY_IN_USE, 409).
//
// The claim on a key is a row inserted before the request runs; the
// primary key makes concurrent claims race in PostgreSQL, so exactly one
// wins however many requests arrive at once. A claim whose request died
// without an answer (a crashed node) can be taken over after LockTimeout.
package idempotency
