package egress

import "kassa/fault"

// Error codes the egress package owns. Compare with errors.Is.
var (
	ErrHTTPSRequired = fault.Define("HTTPS_REQUIRED",
		"The URL must use https.")
	ErrPrivateAddress = fault.Define("PRIVATE_ADDRESS",
		"The URL's host is, or resolves to, a private, loopback or link-local address.")
	ErrUnresolvableHost = fault.Define("UNRESOLVABLE_HOST",
		"The URL's host does not resolve.")
)
