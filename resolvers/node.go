package resolvers

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"kassa/auth"
	"kassa/fault"
	"kassa/graph"
)

// node finds any object by type prefix and id, within the principal's
// merchant only: another merchant's id is simply not found.
func (r *Resolver) node(ctx context.Context, p *auth.Principal, prefix string, id uuid.UUID) (graph.Node, error) {
	l := loadersFrom(ctx)
	one := func(v any, err error) (graph.Node, error) {
		if errors.Is(err, fault.ErrNotFound) || errors.Is(err, dataloadgen.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
	switch prefix {
	case prefixMerchant:
		if id != p.MerchantID {
			return nil, nil
		}
		m, err := r.merchant(ctx)
		return one(&m, err)
	case prefixUser:
		u, err := l.users.Load(ctx, id)
		return one(&u, err)
	case prefixAPIKey:
		k, err := l.apiKeys.Load(ctx, id)
		return one(&k, err)
	case prefixPayment:
		pay, err := r.PaymentService.GetAs(ctx, actorOf(p), p.MerchantID, id)
		return one(&pay, err)
	case prefixOrder:
		o, err := l.orders.Load(ctx, id)
		return one(&o, err)
	case prefixConfirmation:
		cs, err := r.OrderService.ConfirmationsByID(ctx, p.MerchantID, []uuid.UUID{id})
		if c, ok := cs[id]; ok && err == nil {
			return &c, nil
		}
		return nil, err
	case prefixSubscription:
		sub, err := l.subscriptions.Load(ctx, id)
		return one(&sub, err)
	case prefixInvoice:
		invs, err := r.BillingService.InvoicesByIDs(ctx, p.MerchantID, []uuid.UUID{id})
		if inv, ok := invs[id]; ok && err == nil {
			return &inv, nil
		}
		return nil, err
	case prefixCheckout:
		c, err := r.CheckoutService.Get(ctx, p.MerchantID, id)
		return one(&c, err)
	case prefixWebhookEndpoint:
		e, err := l.webhookEndpoints.Load(ctx, id)
		return one(&e, err)
	case prefixWebhookDelivery:
		ds, err := r.WebhookService.DeliveriesByID(ctx, p.MerchantID, []uuid.UUID{id})
		if d, ok := ds[id]; ok && err == nil {
			return &d, nil
		}
		return nil, err
	case prefixCustomer:
		c, err := l.customers.Load(ctx, id)
		return one(&c, err)
	case prefixPaymentLink:
		ls, err := r.OrderService.LinksByID(ctx, p.MerchantID, []uuid.UUID{id})
		if lk, ok := ls[id]; ok && err == nil {
			return &lk, nil
		}
		return nil, err
	}
	return nil, nil
}
