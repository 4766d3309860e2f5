package auth

import "kassa/fault"

// Error codes the auth package owns. Compare with errors.Is.
var (
	ErrInvalidRole = fault.Define("INVALID_ROLE",
		"The role is not OWNER, ADMIN or SALES.")
	ErrWeakPassword = fault.Define("WEAK_PASSWORD",
		"The password is shorter or longer than allowed.")
	ErrEmailTaken = fault.Define("EMAIL_TAKEN",
		"A user with this email already exists.")
	ErrAlreadyMember = fault.Define("ALREADY_MEMBER",
		"The person is already a member of, or invited to, the merchant.")
	ErrCannotDeactivateSelf = fault.Define("CANNOT_DEACTIVATE_SELF",
		"A user cannot deactivate themselves.")
	ErrLastOwner = fault.Define("LAST_OWNER",
		"A merchant must keep at least one active owner.")
)
