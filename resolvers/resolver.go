package resolvers

import (
	"context"

	"kassa/auth"
	"kassa/fault"
	"kassa/live"
	"kassa/merchants"
	"kassa/orders"
	"kassa/payments"
)

// Resolver holds the domain services the GraphQL layer calls. It holds no
// state of its own.
type Resolver struct {
	Auth           *auth.Service
	Merchants      *merchants.Service
	PaymentService *payments.Service
	OrderService   *orders.Service
	Live           *live.Broker
	// PublicURL is where kassa is reached from outside, for links.
	PublicURL string
}

// principal returns who the request acts as. The HTTP layer rejects
// unauthenticated requests before they reach GraphQL; this guards against
// a resolver being reached some other way.
func principal(ctx context.Context) (*auth.Principal, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return nil, fault.ErrUnauthorized
	}
	return p, nil
}
