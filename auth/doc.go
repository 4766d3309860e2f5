// Package auth owns who may act for a merchant: API keys for integrators,
// people (users) with a role per merchant (memberships), and browser
// sessions for the web pages.
//
// Secrets are shown once and stored only as hashes: API keys and session
// and invitation tokens carry 256 bits of randomness and are stored as their
// SHA-256; passwords are stored as argon2id hashes. Lookups by secret are
// the only cross-tenant reads here and go through the system pool; every
// other query runs inside the merchant's row-level-security transaction.
//
// Invitations are emailed from here (MailInvites), in the merchant's
// language. The merchant's own row belongs to package merchants, which
// builds on this one: auth reads and locks it only through the Merchants
// it is given (UseMerchants).
//
// A Principal is what a request acts as. Its CredentialID scopes
// idempotency keys and rate limits: the API key's id, or the user's id for
// a session (so a user keeps the same scope across logins).
package auth
