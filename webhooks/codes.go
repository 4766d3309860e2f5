package webhooks

import "kassa/fault"

// Error codes the webhooks package owns. Compare with errors.Is.
var (
	ErrNoEvents = fault.Define("NO_EVENTS",
		"An endpoint must subscribe to at least one event type.")
	ErrTooManyEvents = fault.Define("TOO_MANY_EVENTS",
		"An endpoint subscribes to more than 100 event types.")
	ErrUnknownEventType = fault.Define("UNKNOWN_EVENT_TYPE",
		"An event type is not one kassa sends.")
	ErrTooManyEndpoints = fault.Define("TOO_MANY_ENDPOINTS",
		"The merchant has as many webhook endpoints as allowed.")
	ErrInvalidOverlap = fault.Define("INVALID_OVERLAP",
		"The overlap of the old and new signing secrets is not between 0 and 168 hours.")
	ErrDeliveryPending = fault.Define("DELIVERY_PENDING",
		"The delivery is still being tried.")
	ErrEndpointDisabled = fault.Define("ENDPOINT_DISABLED",
		"The endpoint is disabled: enable it first.")
)
