package resolvers

import (
	"errors"
	"reflect"

	"kassa/fault"
	"kassa/graph/model"
)

// userErrors splits err into what goes in a payload's userErrors (returned
// first) and what must be a top-level error: a missing permission or
// anything internal.
func userErrors(err error) ([]model.UserError, error) {
	if err == nil {
		return nil, nil
	}
	f, ok := fault.As(err)
	if !ok || errors.Is(err, fault.ErrForbidden) || errors.Is(err, fault.ErrUnauthorized) {
		return nil, err
	}
	return []model.UserError{{Field: f.Field, Message: f.Message, Code: f.Code.String()}}, nil
}

// payload returns the payload built by mk from err's user errors, or err
// itself when the caller cannot fix it. A payload with userErrors carries
// no object: whatever mk put beside them is dropped, so a caller never
// takes a half-made object for a result.
func payload[P any](err error, mk func([]model.UserError) *P) (*P, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := mk(ue)
	if len(ue) > 0 {
		v := reflect.ValueOf(p).Elem()
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.Pointer && v.Type().Field(i).Name != "UserErrors" {
				f.SetZero()
			}
		}
	}
	return p, nil
}

// Error codes the GraphQL layer raises itself. Compare with errors.Is.
var (
	ErrInvalidPageSize = fault.Define("INVALID_PAGE_SIZE",
		"A connection's first is not between 1 and 100.")
	ErrIdempotencyKeyRequired = fault.Define("IDEMPOTENCY_KEY_REQUIRED",
		"The mutation charges a card and must be sent with an Idempotency-Key header.")
	ErrCardDeclined = fault.Define("CARD_DECLINED",
		"The card was declined; the message says why (the processor's decline code).")
)
