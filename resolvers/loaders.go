package resolvers

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"kassa/auth"
	"kassa/billing"
	"kassa/checkout"
	"kassa/gid"
	"kassa/merchants"
	"kassa/money"
	"kassa/orders"
	"kassa/payments"
	"kassa/terminal"
	"kassa/webhooks"
)

// loaders batch belongs-to lookups for one request, so a list of N objects
// costs a fixed number of queries whatever N is.
type loaders struct {
	users              *dataloadgen.Loader[uuid.UUID, auth.User]
	apiKeys            *dataloadgen.Loader[uuid.UUID, auth.APIKey]
	paymentEvents      *dataloadgen.Loader[gid.PaymentID, []payments.EventRecord]
	orders             *dataloadgen.Loader[uuid.UUID, orders.Order]
	orderPayments      *dataloadgen.Loader[uuid.UUID, []payments.Payment]
	orderConfirmations *dataloadgen.Loader[uuid.UUID, []orders.Confirmation]
	orderLinks         *dataloadgen.Loader[uuid.UUID, []orders.Link]
	orderCheckouts     *dataloadgen.Loader[uuid.UUID, checkout.Checkout]
	links              *dataloadgen.Loader[uuid.UUID, orders.Link]
	webhookEndpoints   *dataloadgen.Loader[uuid.UUID, webhooks.Endpoint]
	webhookEvents      *dataloadgen.Loader[uuid.UUID, webhooks.Event]
	subscriptions      *dataloadgen.Loader[uuid.UUID, billing.Subscription]
	paymentLimits      *dataloadgen.Loader[uuid.UUID, terminal.Limit]
	paymentsByID       *dataloadgen.Loader[gid.PaymentID, payments.Payment]
	customers          *dataloadgen.Loader[uuid.UUID, orders.CustomerRecord]
	customerStats      *dataloadgen.Loader[uuid.UUID, orders.CustomerStats]
	customerCreatedAt  *dataloadgen.Loader[uuid.UUID, time.Time]

	merchantOnce sync.Once
	merchant     merchants.Merchant
	merchantErr  error
}

type loadersKey struct{}

// merchantScoped adapts a batch function of one merchant's rows to a
// loader's fetch.
func merchantScoped[K comparable, V any](fetch func(ctx context.Context, merchantID gid.MerchantID, ids []K) (map[K]V, error)) *dataloadgen.Loader[K, V] {
	return dataloadgen.NewMappedLoader(func(ctx context.Context, ids []K) (map[K]V, error) {
		p, err := principal(ctx)
		if err != nil {
			return nil, err
		}
		return fetch(ctx, p.MerchantID, ids)
	}, dataloadgen.WithWait(loaderWait))
}

// viewerScoped adapts a batch function of what the requesting actor may
// see of one merchant's rows (the domain applies the rule) to a loader's
// fetch.
func viewerScoped[K comparable, V any](fetch func(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, ids []K) (map[K]V, error)) *dataloadgen.Loader[K, V] {
	return dataloadgen.NewMappedLoader(func(ctx context.Context, ids []K) (map[K]V, error) {
		p, err := principal(ctx)
		if err != nil {
			return nil, err
		}
		return fetch(ctx, actorOf(p), p.MerchantID, ids)
	}, dataloadgen.WithWait(loaderWait))
}

// loaderWait is how long a loader collects keys before it queries. gqlgen
// resolves a list's fields concurrently, so a millisecond gathers a page;
// pages also prime their loaders (primeOrders) so the common case waits
// for nothing.
const loaderWait = time.Millisecond

// WithLoaders gives a GraphQL response fresh loaders. The server calls it
// for each response (a query, a mutation, each event of a subscription),
// so caches never outlive a response: no one sees stale or foreign data.
func (r *Resolver) WithLoaders(ctx context.Context) context.Context {
	l := &loaders{
		users:              merchantScoped(r.Auth.UsersByID),
		apiKeys:            merchantScoped(r.Auth.APIKeysByID),
		paymentEvents:      merchantScoped(r.PaymentService.EventsByPayments),
		orders:             merchantScoped(r.OrderService.ByIDs),
		orderPayments:      merchantScoped(r.PaymentService.ByOrders),
		orderConfirmations: merchantScoped(r.OrderService.ConfirmationsByOrders),
		orderLinks:         merchantScoped(r.OrderService.LinksByOrders),
		orderCheckouts:     merchantScoped(r.CheckoutService.ByOrders),
		links:              merchantScoped(r.OrderService.LinksByID),
		webhookEndpoints:   merchantScoped(r.WebhookService.EndpointsByID),
		webhookEvents:      merchantScoped(r.WebhookService.EventsByID),
		subscriptions:      merchantScoped(r.BillingService.ByIDs),
		paymentLimits:      merchantScoped(r.Terminal.LimitsByUsers),
		paymentsByID:       merchantScoped(r.PaymentService.ByIDs),
		customers:          viewerScoped(r.OrderService.CustomersByIDs),
		customerStats:      viewerScoped(r.OrderService.CustomerStatsByIDs),
		customerCreatedAt:  merchantScoped(r.OrderService.CustomersCreatedAt),
	}
	ctx = context.WithValue(ctx, loadersKey{}, l)
	// Money formats itself in the merchant's locale, loaded once per
	// response; formatting is a plain method call, not a resolver, so a
	// page of amounts costs no goroutine per amount.
	return money.WithLocale(ctx, func() string {
		m, err := r.merchant(ctx)
		if err != nil {
			return "sv"
		}
		return m.Locale
	})
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}

// merchant is the requesting merchant, loaded once per request.
func (r *Resolver) merchant(ctx context.Context) (merchants.Merchant, error) {
	l := loadersFrom(ctx)
	l.merchantOnce.Do(func() {
		p, err := principal(ctx)
		if err != nil {
			l.merchantErr = err
			return
		}
		l.merchant, l.merchantErr = r.Merchants.Get(ctx, p.MerchantID)
	})
	return l.merchant, l.merchantErr
}

// emptyIfNotFound turns a loader's "no rows for this key" into an empty
// list: a has-many with nothing in it.
func emptyIfNotFound[T any](v []T, err error) ([]T, error) {
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return []T{}, nil
	}
	return v, err
}

func loadOrder(ctx context.Context, id uuid.UUID) (*orders.Order, error) {
	o, err := loadersFrom(ctx).orders.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

func loadAPIKey(ctx context.Context, id *uuid.UUID) (*auth.APIKey, error) {
	if id == nil {
		return nil, nil
	}
	k, err := loadersFrom(ctx).apiKeys.Load(ctx, *id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// primeOrders seeds the loaders with a page of orders and what its
// fields will ask for (payments, confirmations, links), each fetched in one
// query for the page: a page costs the same few queries whatever its size,
// and its fields find their data without waiting.
func (r *Resolver) primeOrders(ctx context.Context, merchantID gid.MerchantID, os []orders.Order) error {
	if len(os) == 0 {
		return nil
	}
	l := loadersFrom(ctx)
	ids := make([]uuid.UUID, len(os))
	for i, o := range os {
		l.orders.Prime(o.ID, o)
		ids[i] = o.ID
	}
	want := nodeFields(ctx)
	if want["payments"] {
		pays, err := r.PaymentService.ByOrders(ctx, merchantID, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			l.orderPayments.Prime(id, orEmptySlice(pays[id]))
		}
	}
	if want["confirmations"] {
		confs, err := r.OrderService.ConfirmationsByOrders(ctx, merchantID, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			l.orderConfirmations.Prime(id, orEmptySlice(confs[id]))
		}
	}
	if want["paymentLinks"] {
		links, err := r.OrderService.LinksByOrders(ctx, merchantID, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			l.orderLinks.Prime(id, orEmptySlice(links[id]))
		}
	}
	return nil
}

// nodeFields names the fields a connection's query selects on its nodes
// (edges { node { … } }).
func nodeFields(ctx context.Context) map[string]bool {
	out := map[string]bool{}
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return out
	}
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, nil) {
			if node.Name != "node" {
				continue
			}
			for _, f := range graphql.CollectFields(oc, node.Selections, nil) {
				out[f.Name] = true
			}
		}
	}
	return out
}

func orEmptySlice[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
