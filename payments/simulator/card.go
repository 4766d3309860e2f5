package simulator

import (
	"fmt"
	"strings"
	"time"

	"kassa/luhn"
)

// behaviour is what a test card number asks the simulator to do. It is
// kept with the token, so the number itself never needs to be.
type behaviour struct {
	DeclineCode        string // decline every authorization with this code
	Challenge          bool   // ask for 3-D Secure when the customer is present
	DuplicateCallbacks bool   // deliver every callback twice and out of order
}

// testCards are Stripe's well-known test numbers. Any other number that
// passes the Luhn check succeeds without a challenge.
var testCards = map[string]behaviour{
	"4000000000003220": {Challenge: true},
	"4000000000000002": {DeclineCode: CodeCardDeclined},
	"4000000000009995": {DeclineCode: CodeInsufficientFunds},
	"4000000000000069": {DeclineCode: CodeExpiredCard},
	"4000000000000119": {DeclineCode: CodeProcessingError},
	"4000000000000259": {DuplicateCallbacks: true},
}

// Decline codes the simulator answers with.
const (
	CodeCardDeclined            = "card_declined"
	CodeInsufficientFunds       = "insufficient_funds"
	CodeExpiredCard             = "expired_card"
	CodeProcessingError         = "processing_error"
	CodeAuthenticationFailed    = "authentication_failed"
	CodeAuthenticationCancelled = "authentication_cancelled"
	CodeInvalidMandate          = "invalid_mandate"
	CodeAuthorizationExpired    = "authorization_expired"
	CodeAmountTooLarge          = "amount_too_large"
	// CodeInvalidState: the payment is not in a state that allows the
	// operation (capture of a voided payment, void after a capture, …).
	CodeInvalidState = "invalid_state"
)

var declineMessages = map[string]string{
	CodeCardDeclined:            "Your card was declined.",
	CodeInsufficientFunds:       "Your card has insufficient funds.",
	CodeExpiredCard:             "Your card has expired.",
	CodeProcessingError:         "An error occurred while processing your card. Try again.",
	CodeAuthenticationFailed:    "The cardholder failed 3-D Secure authentication.",
	CodeAuthenticationCancelled: "The cardholder cancelled 3-D Secure authentication.",
	CodeInvalidMandate:          "The mandate is not known for this account.",
	CodeAuthorizationExpired:    "The authorization has expired.",
	CodeAmountTooLarge:          "The amount is larger than what remains.",
}

func declineMessage(code string) string {
	if m, ok := declineMessages[code]; ok {
		return m
	}
	return "Your card was declined."
}

// card is what the simulator keeps of a card: never the number or CVC.
type card struct {
	Brand    string
	Last4    string
	ExpMonth int
	ExpYear  int
	behaviour
}

// invalidCardError says why a card cannot be tokenized, without the number.
type invalidCardError struct{ reason string }

func (e *invalidCardError) Error() string { return "invalid card: " + e.reason }

// parseCard checks a card as a processor would before tokenizing it: a
// number of 12 to 19 digits (spaces and dashes allowed between groups)
// passing the Luhn check, a month 1–12 and a four-digit year, and a CVC of
// three digits (four for American Express). An expired date is not an
// invalid card; it is declined (see expired).
func parseCard(number string, expMonth, expYear int, cvc string) (card, error) {
	digits, ok := normalizeNumber(number)
	if !ok {
		return card{}, &invalidCardError{"the number must have 12 to 19 digits"}
	}
	if !luhn.Valid(digits) {
		return card{}, &invalidCardError{"the number fails the check digit"}
	}
	if expMonth < 1 || expMonth > 12 {
		return card{}, &invalidCardError{"the expiry month must be 1 to 12"}
	}
	if expYear < 2000 || expYear > 2100 {
		return card{}, &invalidCardError{"the expiry year must have four digits"}
	}
	brand := brandOf(digits)
	cvcLen := 3
	if brand == "amex" {
		cvcLen = 4
	}
	if len(cvc) != cvcLen || !allDigits(cvc) {
		return card{}, &invalidCardError{fmt.Sprintf("the CVC must have %d digits", cvcLen)}
	}
	return card{
		Brand:     brand,
		Last4:     digits[len(digits)-4:],
		ExpMonth:  expMonth,
		ExpYear:   expYear,
		behaviour: testCards[digits],
	}, nil
}

// expired reports whether a card valid through the end of month/year has
// lapsed at now.
func expired(month, year int, now time.Time) bool {
	end := time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC)
	return !now.Before(end)
}

func normalizeNumber(s string) (string, bool) {
	if len(s) > 40 {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-':
		default:
			return "", false
		}
	}
	d := b.String()
	return d, len(d) >= 12 && len(d) <= 19
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// brandOf names the card scheme by the number's leading digits.
func brandOf(digits string) string {
	prefix := func(n int) int {
		v := 0
		for i := 0; i < n && i < len(digits); i++ {
			v = v*10 + int(digits[i]-'0')
		}
		return v
	}
	switch {
	case digits[0] == '4':
		return "visa"
	case prefix(2) >= 51 && prefix(2) <= 55, prefix(4) >= 2221 && prefix(4) <= 2720:
		return "mastercard"
	case prefix(2) == 34 || prefix(2) == 37:
		return "amex"
	default:
		return "unknown"
	}
}
