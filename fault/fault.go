// Package fault defines the errors that domain packages return for what a
// caller can fix or must be told, so the GraphQL layer and the web pages can
// show them without knowing each package: a stable machine-readable code, the
// input field at fault, and a message safe to show. Anything else that goes
// wrong is internal: logged, and shown only as "internal error".
//
// Every code is declared once, with Define, as an exported value of the
// package that owns it (orders.ErrLinkNotActive); codes several packages
// raise for the same kind of bad input live here. An error is made from a
// declared Code, never from a string, so a misspelt code does not compile,
// and it is recognised with errors.Is(err, orders.ErrLinkNotActive). The
// README's table of codes is generated from the declarations
// (go run ./fault/cmd/codes).
package fault

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
)

// Code is a stable, machine-readable error code: part of the public API,
// sent as GraphQL userErrors.code and extensions.code and in the HTTP error
// bodies. Only Define makes one, so a code cannot be spelt ad hoc; the zero
// Code is no code. A Code is an error only so that errors.Is(err, code)
// asks whether err carries it: return errors made with New or Invalid.
type Code struct{ d *definition }

type definition struct{ name, meaning string }

var (
	definedMu sync.Mutex
	defined   = map[string]bool{}
	codeName  = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)
)

// Define declares the code name (SCREAMING_SNAKE_CASE) with what it means
// to a caller, for the README's table. Call it once per code, in a
// package-level variable of the package that owns the code; it panics on a
// malformed or repeated name, which is a programming error.
func Define(name, meaning string) Code {
	if !codeName.MatchString(name) || meaning == "" {
		panic(fmt.Sprintf("fault: code %q needs a SCREAMING_SNAKE_CASE name and a meaning", name))
	}
	definedMu.Lock()
	defer definedMu.Unlock()
	if defined[name] {
		panic("fault: code " + name + " is defined twice")
	}
	defined[name] = true
	return Code{&definition{name: name, meaning: meaning}}
}

// String is the code as the API sends it, e.g. "LINK_NOT_ACTIVE".
func (c Code) String() string {
	if c.d == nil {
		return ""
	}
	return c.d.name
}

// Meaning says what the code tells a caller.
func (c Code) Meaning() string {
	if c.d == nil {
		return ""
	}
	return c.d.meaning
}

// Error is the code's name; see Code on why a Code is an error.
func (c Code) Error() string { return c.String() }

// Error is an error the caller can act on.
type Error struct {
	Code    Code     // stable, part of the public API
	Field   []string // path of the input field at fault, if any
	Message string   // safe to show to the caller
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is match on the code, so a code (orders.ErrLinkNotActive)
// or a sentinel such as ErrNotFound matches every error with that code
// whatever its message.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Error:
		return t.Code == e.Code
	case Code:
		return t == e.Code
	}
	return false
}

// New returns an error with code and message, not tied to a field.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an error about one input field.
func Invalid(field string, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Field: []string{"input", field}, Message: fmt.Sprintf(format, args...)}
}

// Sentinels shared by every package. Compare with errors.Is.
var (
	ErrNotFound = &Error{Code: Define("NOT_FOUND",
		"The object does not exist, or it belongs to another merchant."), Message: "not found"}
	ErrForbidden = &Error{Code: Define("FORBIDDEN",
		"The caller's role (or API key) may not do this."), Message: "you are not allowed to do this"}
	ErrUnauthorized = &Error{Code: Define("UNAUTHENTICATED",
		"The request has no valid session or API key."), Message: "authentication required"}
	ErrInvalidCursor = &Error{Code: Define("INVALID_CURSOR",
		"The `after` cursor was not made by this connection."), Message: "the cursor is not valid"}
)

// Codes for bad input that several packages check, each for its own fields.
var (
	ErrInvalidAmount = Define("INVALID_AMOUNT",
		"An amount is zero, negative or otherwise not allowed here (amounts are in minor units).")
	ErrAmountTooLarge = Define("AMOUNT_TOO_LARGE",
		"An amount, or a total computed from the input, is above what may be charged, captured or refunded.")
	ErrInvalidCurrency = Define("INVALID_CURRENCY",
		"The currency is not an ISO 4217 code kassa takes, or it differs from the one already fixed.")
	ErrInvalidDescription = Define("INVALID_DESCRIPTION",
		"A description is empty, too long or not on one line.")
	ErrInvalidEmail = Define("INVALID_EMAIL",
		"An email address is missing or not valid.")
	ErrInvalidExpiry = Define("INVALID_EXPIRY",
		"An expiry (of a link, checkout or card) is malformed, in the past or too far ahead.")
	ErrInvalidLocale = Define("INVALID_LOCALE",
		"The language is not one kassa speaks (sv or en).")
	ErrInvalidName = Define("INVALID_NAME",
		"A name is empty, too long or not on one line.")
	ErrInvalidPhone = Define("INVALID_PHONE",
		"A phone number is too long or holds other characters than digits, spaces and + ( ) - . /.")
	ErrInvalidURL = Define("INVALID_URL",
		"A URL is not an absolute http(s) URL with a host, or holds credentials or a fragment.")
	ErrInvalidInterval = Define("INVALID_INTERVAL",
		"The interval (of a plan, or of a report's buckets) is missing or not one of the enum's values.")
	ErrInvalidQuantity = Define("INVALID_QUANTITY",
		"A quantity is outside its bounds.")
	ErrInvalidVATRate = Define("INVALID_VAT_RATE",
		"A VAT rate is not one of 2500, 1200, 600 or 0 basis points.")
	ErrInvalidIdempotencyKey = Define("INVALID_IDEMPOTENCY_KEY",
		"An idempotencyKey is empty, longer than 255 characters, or has surrounding spaces or control characters.")
	ErrInvalidState = Define("INVALID_STATE",
		"The object (payment, subscription) is not in a state that allows this operation.")
)

// NotFound returns a not-found error naming what was looked for.
func NotFound(what string) *Error {
	return &Error{Code: ErrNotFound.Code, Message: what + " not found"}
}

// As returns err as an *Error when it is (or wraps) one. A bare Code
// returned by mistake is an *Error too, with the code's meaning as message,
// so the caller still learns the code rather than "internal error".
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var c Code
	if errors.As(err, &c) && c.d != nil {
		return &Error{Code: c, Message: c.Meaning()}, true
	}
	return nil, false
}
