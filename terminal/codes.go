package terminal

import "kassa/fault"

// Error codes the terminal package owns. Compare with errors.Is.
var (
	ErrFormReused = fault.Define("FORM_REUSED",
		"The terminal form was already submitted: open a new one.")
	ErrOrderCancelled = fault.Define("ORDER_CANCELLED",
		"The order to take a supplement for is cancelled.")
	ErrOrderCurrencyMismatch = fault.Define("ORDER_CURRENCY_MISMATCH",
		"A supplement's currency differs from its order's.")
	ErrAmountAboveLimit = fault.Define("AMOUNT_ABOVE_LIMIT",
		"The amount is above the user's limit per payment.")
	ErrLimitCurrencyMismatch = fault.Define("LIMIT_CURRENCY_MISMATCH",
		"The payment's currency differs from the currency of the user's limit.")
	ErrLimitNotApplicable = fault.Define("LIMIT_NOT_APPLICABLE",
		"The user's role has no terminal limit (owners and admins are not limited).")
)
