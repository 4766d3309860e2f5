package server

import "kassa/fault"

// Error codes the HTTP and GraphQL transport raises itself, before or
// around the resolvers (writeError, presentError, the edge's text check).
var (
	ErrInternal = fault.Define("INTERNAL",
		"Something went wrong inside kassa; it is logged. Retrying may help.")
	ErrBadRequest = fault.Define("BAD_REQUEST",
		"The request is not a valid GraphQL request (parse or validation error), or its body could not be read.")
	ErrInvalidJSON = fault.Define("INVALID_JSON",
		"The request body is not a GraphQL request in JSON.")
	ErrRequestTooLarge = fault.Define("REQUEST_TOO_LARGE",
		"The request (or callback) body is too large.")
	ErrUnavailable = fault.Define("UNAVAILABLE",
		"kassa could not check the credentials or the Idempotency-Key just now: try again.")
	ErrCSRFRejected = fault.Define("CSRF_REJECTED",
		"A request authenticated by a session cookie is neither application/json nor carries the X-Kassa-CSRF header.")
	ErrRateLimited = fault.Define("RATE_LIMITED",
		"Too many requests: wait the time in Retry-After.")
	ErrIdempotencyKeyInvalid = fault.Define("IDEMPOTENCY_KEY_INVALID",
		"The Idempotency-Key header is longer than 255 characters, or is not UTF-8 text without control characters.")
	ErrIdempotencyKeyMultipleMutations = fault.Define("IDEMPOTENCY_KEY_MULTIPLE_MUTATIONS",
		"A request with an Idempotency-Key must hold exactly one mutation.")
	ErrIdempotencyKeyMismatch = fault.Define("IDEMPOTENCY_KEY_MISMATCH",
		"The Idempotency-Key was used before with a different request.")
	ErrIdempotencyKeyInUse = fault.Define("IDEMPOTENCY_KEY_IN_USE",
		"A request with the same Idempotency-Key is still running.")
	ErrIntrospectionDisabled = fault.Define("INTROSPECTION_DISABLED",
		"Schema introspection is off on this server.")
	ErrCancelled = fault.Define("CANCELLED",
		"The request was cancelled before it finished.")
	ErrDepthLimitExceeded = fault.Define("DEPTH_LIMIT_EXCEEDED",
		"The query is nested deeper than allowed.")
	ErrComplexityLimitExceeded = fault.Define("COMPLEXITY_LIMIT_EXCEEDED",
		"The query would cost more than the complexity limit (each page counts its size).")
	ErrInvalidCallbackBody = fault.Define("INVALID_CALLBACK_BODY",
		"A processor callback's body is not a valid event.")
	ErrBadSignature = fault.Define("BAD_SIGNATURE",
		"A processor callback's signature is not valid.")
	ErrInvalidText = fault.Define("INVALID_TEXT",
		"A text holds a NUL byte, invalid UTF-8 or control characters, or is longer than any field takes.")
)
