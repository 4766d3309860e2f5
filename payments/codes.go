package payments

import "kassa/fault"

// Error codes the payments package owns. Compare with errors.Is.
var (
	ErrInvalidCaptureMode = fault.Define("INVALID_CAPTURE_MODE",
		"captureMode is not IMMEDIATE or RESERVE.")
	ErrProcessorUnavailable = fault.Define("PROCESSOR_UNAVAILABLE",
		"The card processor did not answer; the payment or operation is pending and is settled when it does.")
	ErrInvalidCardNumber = fault.Define("INVALID_CARD_NUMBER",
		"The card number is not a valid card number.")
	ErrInvalidCVC = fault.Define("INVALID_CVC",
		"The card's security code is not 3 or 4 digits.")
	ErrCardExpired = fault.Define("CARD_EXPIRED",
		"The card's expiry date has passed.")
	ErrInvalidReason = fault.Define("INVALID_REASON",
		"The reason is longer than 500 characters.")
	ErrReservationExpired = fault.Define("RESERVATION_EXPIRED",
		"The reservation (authorization) expired and can no longer be captured.")
	ErrCaptureDeclined = fault.Define("CAPTURE_DECLINED",
		"The processor declined the capture.")
	ErrVoidDeclined = fault.Define("VOID_DECLINED",
		"The processor declined the void.")
	ErrRefundDeclined = fault.Define("REFUND_DECLINED",
		"The processor declined the refund.")
	ErrInvalidRange = fault.Define("INVALID_RANGE",
		"A report's from is not before its to, or lies outside the years 1900 to 9999.")
	ErrTooManyBuckets = fault.Define("TOO_MANY_BUCKETS",
		"A report's range holds too many buckets of the interval: choose a shorter range or a longer interval.")
)
