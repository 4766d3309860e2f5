// Package fault defines the errors that domain packages return for what a
// caller can fix or must be told, so the GraphQL layer and the web pages can
// show them without knowing each package: a stable machine-readable code, the
// input field at fault, and a message safe to show. Anything else that goes
// wrong is internal: logged, and shown only as "internal error".
package fault

import (
	"errors"
	"fmt"
)

// Error is an error the caller can act on.
type Error struct {
	Code    string   // stable, SCREAMING_SNAKE_CASE, part of the public API
	Field   []string // path of the input field at fault, if any
	Message string   // safe to show to the caller
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is match on the code, so a sentinel such as ErrNotFound
// matches every not-found error whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// New returns an error with code and message, not tied to a field.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an error about one input field.
func Invalid(field, code, format string, args ...any) *Error {
	return &Error{Code: code, Field: []string{"input", field}, Message: fmt.Sprintf(format, args...)}
}

// Sentinels shared by every package. Compare with errors.Is.
var (
	ErrNotFound      = &Error{Code: "NOT_FOUND", Message: "not found"}
	ErrForbidden     = &Error{Code: "FORBIDDEN", Message: "you are not allowed to do this"}
	ErrUnauthorized  = &Error{Code: "UNAUTHENTICATED", Message: "authentication required"}
	ErrInvalidCursor = &Error{Code: "INVALID_CURSOR", Message: "the cursor is not valid"}
)

// NotFound returns a not-found error naming what was looked for.
func NotFound(what string) *Error {
	return &Error{Code: ErrNotFound.Code, Message: what + " not found"}
}

// As returns err as an *Error when it is (or wraps) one.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
