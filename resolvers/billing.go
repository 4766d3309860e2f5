package resolvers

import (
	"context"

	"github.com/google/uuid"

	"kassa/billing"
	"kassa/fault"
	"kassa/graph/model"
	"kassa/money"
)

func planOf(in *model.PlanInput) billing.Plan {
	if in == nil {
		return billing.Plan{}
	}
	p := billing.Plan{Kind: in.Kind, Description: deref(in.Description), Currency: deref(in.Currency), VATRate: 2500}
	if in.Amount != nil {
		p.Amount = *in.Amount
	}
	if in.UnitPrice != nil {
		p.UnitPrice = *in.UnitPrice
	}
	if in.Aggregation != nil {
		p.Aggregation = *in.Aggregation
	}
	if in.Interval != nil {
		p.Interval = *in.Interval
	}
	if in.VatRate != nil {
		p.VATRate = *in.VatRate
	}
	for _, t := range in.Tiers {
		tier := billing.Tier{UpTo: t.UpTo, UnitPrice: t.UnitPrice}
		if t.FlatFee != nil {
			tier.FlatFee = *t.FlatFee
		}
		p.Tiers = append(p.Tiers, tier)
	}
	return p
}

func planModel(p billing.Plan) *model.Plan {
	m := func(a int64) *money.Money { return &money.Money{Amount: a, Currency: p.Currency} }
	out := &model.Plan{Kind: p.Kind, Description: p.Name("en"), Currency: p.Currency, VatRate: p.VATRate, Tiers: []model.PriceTier{}}
	if p.Description != "" {
		out.Description = p.Description
	}
	if a, ok := p.FixedAmount(); ok {
		out.Amount = m(a)
	}
	if p.Kind.Metered() {
		if len(p.Tiers) == 0 {
			out.UnitPrice = m(p.UnitPrice)
		}
		agg := p.Aggregation
		out.Aggregation = &agg
	}
	if p.Interval != "" {
		iv := p.Interval
		out.Interval = &iv
	}
	for _, t := range p.Tiers {
		out.Tiers = append(out.Tiers, model.PriceTier{UpTo: t.UpTo, UnitPrice: m(t.UnitPrice), FlatFee: m(t.FlatFee)})
	}
	return out
}

func subscriptionOrNil(s billing.Subscription) *billing.Subscription {
	if s.ID == uuid.Nil {
		return nil
	}
	return &s
}

func invoiceOrNil(i billing.Invoice) *billing.Invoice {
	if i.ID == uuid.Nil {
		return nil
	}
	return &i
}

func usageEventModel(e billing.UsageEvent) *billing.UsageEvent {
	if e.ID == uuid.Nil {
		return nil
	}
	return &e
}

func invoiceConnection(invs []billing.Invoice, more bool) *model.InvoiceConnection {
	edges, info := connection(invs, more, func(i billing.Invoice) uuid.UUID { return i.ID },
		func(c string, i billing.Invoice) model.InvoiceEdge { return model.InvoiceEdge{Cursor: c, Node: &i} })
	return &model.InvoiceConnection{Edges: edges, PageInfo: info}
}

// requireIdempotencyKey refuses a mutation that must never run twice
// unless the request carries an Idempotency-Key header.
func requireIdempotencyKey(ctx context.Context, key string) error {
	if key == "" {
		return fault.New(ErrIdempotencyKeyRequired, "this mutation charges a card: send it with an Idempotency-Key header so a retry cannot charge twice")
	}
	return nil
}

// trimInput drops the leading "input" of a domain error's field path.
func trimInput(f []string) []string {
	if len(f) > 0 && f[0] == "input" {
		return f[1:]
	}
	return f
}
