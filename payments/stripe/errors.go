package stripe

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	stripego "github.com/stripe/stripe-go/v82"

	"kassa/payments"
)

// mapError turns a stripe-go error into kassa's processor errors:
//
//   - a refusal of the card or of the operation (card errors, and request
//     errors with a business code such as charge_already_refunded or
//     amount_too_large) → *payments.DeclineError with Stripe's decline code,
//     or its error code when there is none;
//   - anything after which the request may have been carried out at Stripe
//     (timeouts, broken connections, 5xx, a concurrent request holding the
//     same idempotency key) → payments.ErrTimeout: retrying with the same
//     key is safe;
//   - a request that never left (connection refused, DNS) and requests
//     Stripe rejected outright (bad key, bad parameters, rate limit) → a
//     plain error.
func mapError(op string, err error) error {
	var se *stripego.Error
	if errors.As(err, &se) {
		code := string(se.Code)
		switch {
		case se.HTTPStatusCode >= 500 || se.Type == stripego.ErrorTypeAPI:
			return fmt.Errorf("stripe: %s: %w: Stripe answered %d (%s)", op, payments.ErrTimeout, se.HTTPStatusCode, se.Msg)
		case se.Code == stripego.ErrorCodeIdempotencyKeyInUse || se.Code == stripego.ErrorCodeLockTimeout:
			return fmt.Errorf("stripe: %s: %w: %s", op, payments.ErrTimeout, code)
		case se.Type == stripego.ErrorTypeCard:
			dc := string(se.DeclineCode)
			if dc == "" {
				dc = code
			}
			if dc == "" {
				dc = string(stripego.ErrorCodeCardDeclined)
			}
			return &payments.DeclineError{Code: dc, Message: se.Msg}
		case se.Type == stripego.ErrorTypeInvalidRequest && isRefusal(se):
			return &payments.DeclineError{Code: code, Message: se.Msg}
		}
		return fmt.Errorf("stripe: %s: %s (status %d, %s %s)", op, se.Msg, se.HTTPStatusCode, se.Type, code)
	}
	if notSent(err) {
		return fmt.Errorf("stripe: %s: Stripe not reached: %w", op, err)
	}
	return fmt.Errorf("stripe: %s: %w: %w", op, payments.ErrTimeout, err)
}

// isRefusal tells Stripe refusing the operation on this payment (kassa may
// show the code) from kassa sending a malformed request (a bug).
func isRefusal(se *stripego.Error) bool {
	if se.Code == "" || strings.HasPrefix(string(se.Code), "parameter") {
		return false
	}
	switch se.HTTPStatusCode {
	case http.StatusBadRequest, http.StatusPaymentRequired, http.StatusNotFound:
		return true
	}
	return false
}

// notSent tells errors that prove the request never reached Stripe: the
// connection was never made, so nothing was written. Everything else,
// a deadline included, leaves the outcome unknown.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// failure is the decline code and message of a PaymentIntent's last error.
func failure(e *stripego.Error) (code, msg string) {
	if e == nil {
		return string(stripego.ErrorCodeCardDeclined), ""
	}
	code = string(e.DeclineCode)
	if code == "" {
		code = string(e.Code)
	}
	if code == "" {
		code = string(stripego.ErrorCodeCardDeclined)
	}
	return code, e.Msg
}
