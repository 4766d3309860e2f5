// Package billing owns subscriptions: recurring debits of a stored card
// mandate, by a fixed amount every month, quarter, half-year or year, by
// metered usage reported through the API, or by hand; their invoices; and
// the runner that bills due periods and the dunning that retries failed
// charges.
//
// Exactly once, by construction rather than by care: an invoice is unique
// per (subscription, period start) in SQL, so a period can be invoiced once
// however many runners sweep and however often a crashed sweep is
// repeated; runners claim due subscriptions with FOR UPDATE SKIP LOCKED,
// then wait for the rows still due that someone else held, so a sweep
// leaves nothing due behind;
// an invoice's charge is a River job inserted in the same transaction as
// the invoice, and the payment it makes has an id (and so a processor
// idempotency key) derived from the invoice and attempt number, so a
// retried job never charges twice. A runner killed at any point leaves
// either nothing (its transaction rolls back) or invoices with their
// charge jobs; after downtime each missed period is invoiced once, oldest
// first.
//
// Periods keep their anchor (a subscription started on the 31st bills on
// the last day of shorter months) and are computed in the merchant's time
// zone; see Schedule. Plan amounts include VAT, like order lines.
//
// What a plan kind means (scheduled or by hand, billed in advance or in
// arrears, metered, its names and its mandate wording) is decided in one
// place, its kindSpec in plan_<kind>.go; the rest of billing asks the
// kind (Scheduled, InAdvance, Metered, Plan.FixedAmount).
package billing
