// Package gid is the one codec for kassa's public ids: the ids the GraphQL
// API, webhook payloads, redirect URLs and logs show. A public id is the
// object type's prefix, "_", and the row's UUID as 32 lowercase hex digits
// ("ord_0190f3…"): the prefix lets node(id:) know where to look and tells a
// human reading a log what the id is.
//
// It also holds the typed ids (MerchantID, OrderID, PaymentID, …): a UUID
// with a phantom kind, so a merchant id passed where an order id belongs is a
// compile error. They embed uuid.UUID and so scan from and bind to SQL,
// marshal to JSON and print exactly as a uuid.UUID does.
//
// The package is a leaf: it imports only the standard library and uuid, so
// every domain package can use it.
package gid

import (
	"encoding/hex"
	"errors"
	"strings"

	"github.com/google/uuid"
)

// The prefixes of the public ids, one per object type. They are part of the
// public contract: never change one.
const (
	Merchant        = "mer"
	User            = "usr"
	APIKey          = "key"
	Order           = "ord"
	Payment         = "pay"
	Customer        = "cus"
	Confirmation    = "ocf"
	PaymentLink     = "lnk"
	Subscription    = "sub"
	Invoice         = "inv"
	UsageEvent      = "use"
	AuditEvent      = "aev"
	Checkout        = "chk"
	WebhookEndpoint = "whe"
	WebhookDelivery = "whd"
	WebhookEvent    = "evt" // also the webhook-id header of a delivery
)

var (
	// ErrMalformed is returned for a string that is not "<prefix>_<32 hex
	// digits>" of a non-nil UUID.
	ErrMalformed = errors.New("gid: malformed id")
	// ErrWrongType is returned by Parse for a well-formed id of another type.
	ErrWrongType = errors.New("gid: id of another type")
)

// Encode returns the public id of the object of type prefix with row id id.
func Encode(prefix string, id uuid.UUID) string {
	return prefix + "_" + hex.EncodeToString(id[:])
}

// Decode splits a public id into its prefix and row id. It returns
// ErrMalformed unless s is "<prefix>_<32 hex digits>" of a non-nil UUID.
func Decode(s string) (prefix string, id uuid.UUID, err error) {
	prefix, rest, ok := strings.Cut(s, "_")
	if !ok || len(rest) != 2*len(id) {
		return "", uuid.Nil, ErrMalformed
	}
	if _, err := hex.Decode(id[:], []byte(rest)); err != nil || id == uuid.Nil {
		return "", uuid.Nil, ErrMalformed
	}
	return prefix, id, nil
}

// Parse decodes a public id that must be of type prefix: ErrMalformed for
// one that does not decode, ErrWrongType for one of another type.
func Parse(prefix, s string) (uuid.UUID, error) {
	p, id, err := Decode(s)
	if err != nil {
		return uuid.Nil, err
	}
	if p != prefix {
		return uuid.Nil, ErrWrongType
	}
	return id, nil
}
