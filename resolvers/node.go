package resolvers

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"kassa/auth"
	"kassa/fault"
	"kassa/gid"
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
	case gid.Merchant:
		if id != p.MerchantID.UUID {
			return nil, nil
		}
		m, err := r.merchant(ctx)
		return one(&m, err)
	case gid.User:
		u, err := l.users.Load(ctx, id)
		return one(&u, err)
	case gid.APIKey:
		k, err := l.apiKeys.Load(ctx, id)
		return one(&k, err)
	case gid.Payment:
		pay, err := r.PaymentService.GetAs(ctx, actorOf(p), p.MerchantID, gid.Of[gid.PaymentID](id))
		return one(&pay, err)
	case gid.Order:
		o, err := l.orders.Load(ctx, id)
		return one(&o, err)
	case gid.Confirmation:
		cs, err := r.OrderService.ConfirmationsByID(ctx, p.MerchantID, []uuid.UUID{id})
		if c, ok := cs[id]; ok && err == nil {
			return &c, nil
		}
		return nil, err
	case gid.Subscription:
		sub, err := l.subscriptions.Load(ctx, id)
		return one(&sub, err)
	case gid.Invoice:
		invs, err := r.BillingService.InvoicesByIDs(ctx, p.MerchantID, []uuid.UUID{id})
		if inv, ok := invs[id]; ok && err == nil {
			return &inv, nil
		}
		return nil, err
	case gid.Checkout:
		c, err := r.CheckoutService.Get(ctx, p.MerchantID, id)
		return one(&c, err)
	case gid.WebhookEndpoint:
		e, err := l.webhookEndpoints.Load(ctx, id)
		return one(&e, err)
	case gid.WebhookDelivery:
		ds, err := r.WebhookService.DeliveriesByID(ctx, p.MerchantID, []uuid.UUID{id})
		if d, ok := ds[id]; ok && err == nil {
			return &d, nil
		}
		return nil, err
	case gid.Customer:
		c, err := l.customers.Load(ctx, id)
		return one(&c, err)
	case gid.PaymentLink:
		ls, err := r.OrderService.LinksByID(ctx, p.MerchantID, []uuid.UUID{id})
		if lk, ok := ls[id]; ok && err == nil {
			return &lk, nil
		}
		return nil, err
	}
	return nil, nil
}
