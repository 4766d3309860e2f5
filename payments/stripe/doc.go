// Package stripe is kassa's Stripe connector: a payments.Processor on top of
// Stripe PaymentIntents, through stripe-go's client API.
//
// An authorization is a PaymentIntent confirmed at creation, with manual
// capture for RESERVE payments; capture, void and refund map to PaymentIntent
// capture, PaymentIntent cancel and Refund create; a stored mandate is a saved
// PaymentMethod on a Stripe Customer charged off-session. Every request
// carries the idempotency key kassa derived from its own row id, so a retry
// after ErrTimeout never acts twice at Stripe. Like every processor, the
// synchronous answer to an authorization is never taken as success: Stripe's
// webhooks (ParseCallback) carry the payment's state to kassa as snapshots.
//
// Webhooks are verified before anything in them is read: the Stripe-Signature
// header must carry a v1 HMAC-SHA256 over "timestamp.body" under one of the
// configured signing secrets (several while a secret is being rotated), with a
// timestamp no more than five minutes away from now.
//
// The tests run against stripe-mock, pinned in the separate tools module and
// built and started by TestMain; they need Go and the module proxy only.
package stripe
