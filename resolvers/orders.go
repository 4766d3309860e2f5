package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"kassa/auth"
	"kassa/billing"
	"kassa/graph/model"
	"kassa/money"
	"kassa/orders"
)

const (
	prefixConfirmation = "ocf"
	prefixPaymentLink  = "lnk"
)

func customerOf(in *model.CustomerInput) orders.Customer {
	var c orders.Customer
	if in == nil {
		return c
	}
	c.Name, c.Email, c.Phone = deref(in.Name), deref(in.Email), deref(in.Phone)
	if in.Locale != nil {
		c.Locale = string(*in.Locale)
	}
	return c
}

func customerPatchOf(in *model.CustomerInput) *orders.CustomerPatch {
	if in == nil {
		return nil
	}
	p := &orders.CustomerPatch{Name: in.Name, Email: in.Email, Phone: in.Phone}
	if in.Locale != nil {
		l := string(*in.Locale)
		p.Locale = &l
	}
	return p
}

func linesOf(in []model.OrderLineInput) []orders.LineInput {
	if in == nil {
		return nil
	}
	out := make([]orders.LineInput, len(in))
	for i, l := range in {
		out[i] = orders.LineInput{Description: l.Description, Quantity: int64(l.Quantity), UnitPrice: l.UnitPrice, VATRate: l.VatRate}
	}
	return out
}

func totalsModel(t orders.Totals, currency string) *model.OrderTotals {
	m := func(a int64) *money.Money { return &money.Money{Amount: a, Currency: currency} }
	out := &model.OrderTotals{Net: m(t.Net), Vat: m(t.VAT), Gross: m(t.Gross), ByRate: []model.VatTotal{}}
	for _, g := range t.ByRate {
		out.ByRate = append(out.ByRate, model.VatTotal{Rate: g.Rate, Net: m(g.Net), Vat: m(g.VAT), Gross: m(g.Gross)})
	}
	return out
}

// currencyFromPath finds the currency of the order, confirmation or link
// a nested field belongs to.
func currencyFromPath(ctx context.Context) string {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		switch v := fc.Result.(type) {
		case *orders.Order:
			return v.Currency
		case *orders.Confirmation:
			if f, err := v.Frozen(); err == nil {
				return f.Currency
			}
		case *orders.Link:
			return v.Currency
		case *billing.Invoice:
			return v.Currency
		case *model.UpcomingInvoice:
			if v.Gross != nil {
				return v.Gross.Currency
			}
		}
	}
	return "SEK"
}

// salespersonEmail is the acting user's email, or "" for an API key.
func salespersonEmail(p *auth.Principal) string {
	if p.IsAPIKey() {
		return ""
	}
	return p.UserEmail
}

func orderOrNil(o orders.Order) *orders.Order {
	if o.ID == uuid.Nil {
		return nil
	}
	return &o
}

func linkOrNil(l orders.Link) *orders.Link {
	if l.ID == uuid.Nil {
		return nil
	}
	return &l
}

func confirmationOrNil(c orders.Confirmation) *orders.Confirmation {
	if c.ID == uuid.Nil {
		return nil
	}
	return &c
}
