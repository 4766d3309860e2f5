package billing

import "kassa/fault"

// Error codes the billing package owns. Compare with errors.Is.
var (
	ErrInvalidPlan = fault.Define("INVALID_PLAN",
		"The plan is not valid (kind, aggregation, description), or a new plan changes the kind of schedule or interval.")
	ErrInvalidTiers = fault.Define("INVALID_TIERS",
		"A usage plan's price tiers are not valid.")
	ErrInvalidStart = fault.Define("INVALID_START",
		"startsAt is in the past or more than a year ahead.")
	ErrBatchTooLarge = fault.Define("BATCH_TOO_LARGE",
		"A usage report has more events than one batch may hold.")
	ErrNotMetered = fault.Define("NOT_METERED",
		"The subscription's plan is not usage-based.")
	ErrNotScheduled = fault.Define("NOT_SCHEDULED",
		"The subscription has no upcoming invoice.")
	ErrFutureEvent = fault.Define("FUTURE_EVENT",
		"A usage event's occurredAt is more than 5 minutes in the future.")
	ErrLateEvent = fault.Define("LATE_EVENT",
		"A usage event's occurredAt is before the subscription started or in a period already closed.")
	ErrInvoiceSettled = fault.Define("INVOICE_SETTLED",
		"The invoice is already paid or closed.")
	ErrStaleAttempt = fault.Define("STALE_ATTEMPT",
		"The invoice has moved past this payment attempt.")
)
