// Package payments owns card payments: their state machine, the operations
// kassa asks a processor for (authorize, capture, void, refund, charge a
// mandate), and the processor callbacks that settle them. Processor
// connectors live in subpackages (simulator, stripe) behind the Processor
// interface; each registers itself (RegisterProcessor) with its settings,
// their checks and how it is built, and the server builds the one
// KASSA_PROCESSOR names from that registry.
//
// Invariants, kept in SQL as well as here: captured <= authorized, refunded
// <= captured, amounts never shrink and a finished payment never changes
// status (CHECK constraints and a trigger); concurrent captures and refunds
// serialize on the payment's row lock and PENDING operations hold their
// amount, so they cannot oversubscribe it. Every processor call carries an
// idempotency key derived from kassa's own row id. A payment becomes
// AUTHORIZED or CAPTURED only from a verified callback whose amount and
// currency match the payment; callbacks are deduplicated by event id in the
// same transaction as the change, and their snapshots merge monotonically,
// so duplicates and any order end in the same state. Every increase of a
// payment's captured or refunded amount is also written, in the same
// transaction, as a dated row of payment_ledger: the sales report sums
// those rows by the merchant's calendar, and a payment's rows always add
// up to its totals.
//
// Card numbers and CVCs pass through memory to the processor and are never
// stored or logged: kassa keeps the processor's reference, brand, last four
// digits and expiry.
package payments
