package resolvers

import (
	"context"

	"kassa/audit"
	"kassa/auth"
	"kassa/billing"
	"kassa/branding"
	"kassa/checkout"
	"kassa/fault"
	"kassa/live"
	"kassa/merchants"
	"kassa/orders"
	"kassa/payments"
	"kassa/reports"
	"kassa/terminal"
	"kassa/webhooks"
)

// Resolver holds the domain services the GraphQL layer calls. It holds no
// state of its own.
type Resolver struct {
	Auth           *auth.Service
	Merchants      *merchants.Service
	PaymentService *payments.Service
	OrderService   *orders.Service
	BillingService *billing.Service
	Live           *live.Broker
	// Terminal is the web terminal's domain; Audit the audit trail.
	Terminal *terminal.Service
	Audit    *audit.Log
	// Checkouts, Webhooks and Branding serve the webshop integration.
	CheckoutService *checkout.Service
	WebhookService  *webhooks.Service
	BrandingService *branding.Service
	// Reports composes the dashboard's figures.
	Reports *reports.Service
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
