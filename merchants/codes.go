package merchants

import "kassa/fault"

// Error codes the merchants package owns. Compare with errors.Is.
var (
	ErrInvalidLegalName = fault.Define("INVALID_LEGAL_NAME",
		"The legal name is longer than 200 characters or not on one line.")
	ErrInvalidAddress = fault.Define("INVALID_ADDRESS",
		"An address line is empty (the first), too long or not on one line.")
	ErrInvalidCity = fault.Define("INVALID_CITY",
		"The city is empty, longer than 100 characters or not on one line.")
)
