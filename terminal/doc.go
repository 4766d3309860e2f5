// Package terminal is kassa's web terminal: card payments keyed in by
// staff for mail, telephone and on-site sales (MOTO: merchant-initiated,
// card not present, no 3-D Secure), several staff at once. It owns the
// terminal's record of each sale (who took it, its receipt) and the
// per-member limits per payment; the payments themselves, their captures,
// voids and refunds belong to the payments package, which records the
// acting person on each, so the audit trail (package audit) names them.
//
// Invariants: a rendered form is one payment however often it is
// submitted (its id derives from the form's nonce, submissions serialize
// on an advisory lock, and the processor call carries the payment's
// idempotency key); SALES members take payments only up to their limit,
// see only their own sales, and never void or refund; the card number and
// CVC pass through memory to the processor and are never stored, logged
// or rendered back; the customer's receipt is queued in the transaction of
// the callback that approves the payment, and emailed once.
package terminal
