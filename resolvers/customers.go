package resolvers

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"kassa/graph/model"
	"kassa/mailer"
	"kassa/money"
	"kassa/orders"
)

// primeCustomers seeds the loaders with a page of customers and, when the
// page asks for them, their order counts: one grouped query for the page.
func (r *Resolver) primeCustomers(ctx context.Context, cs []orders.CustomerRecord) error {
	if len(cs) == 0 {
		return nil
	}
	l := loadersFrom(ctx)
	ids := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		l.customers.Prime(c.ID, c)
		ids[i] = c.ID
	}
	want := nodeFields(ctx)
	if !want["orderCount"] && !want["lastOrderAt"] && !want["totalPaid"] {
		return nil
	}
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	stats, err := r.OrderService.CustomerStatsByIDs(ctx, actorOf(p), p.MerchantID, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		l.customerStats.Prime(id, stats[id])
	}
	return nil
}

func (r *Resolver) customerStats(ctx context.Context, id uuid.UUID) (orders.CustomerStats, error) {
	st, err := loadersFrom(ctx).customerStats.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return orders.CustomerStats{CustomerID: id, Paid: []money.Money{}}, nil
	}
	return st, err
}

func sentEmailConnection(es []mailer.SentEmail, more bool) *model.SentEmailConnection {
	edges, info := connection(es, more, func(e mailer.SentEmail) uuid.UUID { return e.ID },
		func(c string, e mailer.SentEmail) model.SentEmailEdge {
			return model.SentEmailEdge{Cursor: c, Node: &e}
		})
	return &model.SentEmailConnection{Edges: edges, PageInfo: info}
}
