package orders

import "kassa/fault"

// Error codes the orders package owns. Compare with errors.Is.
var (
	ErrNoLines = fault.Define("NO_LINES",
		"An order needs at least one line.")
	ErrTooManyLines = fault.Define("TOO_MANY_LINES",
		"An order has more lines than allowed.")
	ErrInvalidUnitPrice = fault.Define("INVALID_UNIT_PRICE",
		"A line's unit price is negative or above 10^13 minor units.")
	ErrInvalidReference = fault.Define("INVALID_REFERENCE",
		"The order's reference is longer than 200 characters or not on one line.")
	ErrInvalidMessage = fault.Define("INVALID_MESSAGE",
		"The confirmation's message is longer than 2000 characters.")
	ErrOrderNotEditable = fault.Define("ORDER_NOT_EDITABLE",
		"The order's status no longer allows changing it or sending it for payment.")
	ErrOrderNotCancellable = fault.Define("ORDER_NOT_CANCELLABLE",
		"The order's status (paid, or already closed) does not allow cancelling it.")
	ErrOrderNotReserved = fault.Define("ORDER_NOT_RESERVED",
		"The order has no reservation to capture.")
	ErrOrderNotPayable = fault.Define("ORDER_NOT_PAYABLE",
		"The order cannot be paid in its status (paid, cancelled or expired).")
	ErrNoCustomerEmail = fault.Define("NO_CUSTOMER_EMAIL",
		"The order has no customer email to send the confirmation to.")
	ErrLinkNotActive = fault.Define("LINK_NOT_ACTIVE",
		"The payment link (or the confirmation's link) is paid, expired or deactivated.")
	ErrLinkAlreadyPaid = fault.Define("LINK_ALREADY_PAID",
		"The payment link was paid: refund the payment instead.")
	ErrNotAccepted = fault.Define("NOT_ACCEPTED",
		"The customer did not confirm having checked the order.")
	ErrMandateNotAccepted = fault.Define("MANDATE_NOT_ACCEPTED",
		"The customer did not agree to store the card for the subscription.")
	ErrNoMandate = fault.Define("NO_MANDATE",
		"There is no stored card (mandate) to charge.")
)
