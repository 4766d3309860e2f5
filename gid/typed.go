package gid

import "github.com/google/uuid"

// Kind names what an ID identifies. Its only implementations are the
// unexported phantom kinds below, one per typed id.
type Kind interface{ prefix() string }

// ID is the row id of an object of kind K. It embeds uuid.UUID, so it keeps
// its methods: it binds as a query argument and scans from a uuid column
// (sqlx struct fields included), marshals to JSON as the dashed UUID, and
// prints as one. Only the Go type differs: an OrderID is not a MerchantID.
type ID[K Kind] struct{ uuid.UUID }

// Global returns the public id ("ord_…"), as Encode does.
func (id ID[K]) Global() string { return Encode(id.prefix(), id.UUID) }

func (ID[K]) prefix() string {
	var k K
	return k.prefix()
}

// typed is any ID[K]: MerchantID, OrderID, ….
type typed interface {
	~struct{ uuid.UUID }
	prefix() string
}

// Of types a bare row id: gid.Of[gid.OrderID](u).
func Of[T typed](id uuid.UUID) T { return T{id} }

// ParseID decodes a public id of T's type: gid.ParseID[gid.OrderID](s). The
// errors are Parse's.
func ParseID[T typed](s string) (T, error) {
	var t T
	id, err := Parse(t.prefix(), s)
	return T{id}, err
}

type (
	merchantKind     struct{}
	orderKind        struct{}
	paymentKind      struct{}
	subscriptionKind struct{}
	customerKind     struct{}
)

func (merchantKind) prefix() string     { return Merchant }
func (orderKind) prefix() string        { return Order }
func (paymentKind) prefix() string      { return Payment }
func (subscriptionKind) prefix() string { return Subscription }
func (customerKind) prefix() string     { return Customer }

// The typed ids of the objects most often passed around together.
type (
	// MerchantID is a merchant's row id (merchants.id, every merchant_id).
	MerchantID = ID[merchantKind]
	// OrderID is an order's row id.
	OrderID = ID[orderKind]
	// PaymentID is a payment's row id.
	PaymentID = ID[paymentKind]
	// SubscriptionID is a billing subscription's row id.
	SubscriptionID = ID[subscriptionKind]
	// CustomerID is a customer's row id.
	CustomerID = ID[customerKind]
)
