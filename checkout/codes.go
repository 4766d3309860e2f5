package checkout

import "kassa/fault"

// ErrCheckoutComplete is the code of an operation on a checkout that was
// paid. Compare with errors.Is.
var ErrCheckoutComplete = fault.Define("CHECKOUT_COMPLETE",
	"The checkout was paid: refund the payment instead.")
