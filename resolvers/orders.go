package resolvers

import (
	"github.com/google/uuid"

	"kassa/auth"
	"kassa/graph/model"
	"kassa/money"
	"kassa/orders"
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

// orderLines are an order's lines as the API shows them, their amounts in
// the order's currency. Built in one resolver per order rather than one
// per amount: a page of orders then starts one goroutine per order.
func orderLines(ls []orders.Line, currency string) []model.OrderLine {
	out := make([]model.OrderLine, len(ls))
	for i, l := range ls {
		unit, net, vat, gross := lineMoney(l, currency)
		out[i] = model.OrderLine{Position: l.Position, Description: l.Description, Quantity: int(l.Quantity), VatRate: l.VATRate,
			UnitPrice: unit, Net: net, Vat: vat, Gross: gross}
	}
	return out
}

// invoiceLines are an invoice's lines as the API shows them.
func invoiceLines(ls []orders.Line, currency string) []model.InvoiceLine {
	out := make([]model.InvoiceLine, len(ls))
	for i, l := range ls {
		unit, net, vat, gross := lineMoney(l, currency)
		out[i] = model.InvoiceLine{Description: l.Description, Quantity: l.Quantity, VatRate: l.VATRate,
			UnitPrice: unit, Net: net, Vat: vat, Gross: gross}
	}
	return out
}

func lineMoney(l orders.Line, currency string) (unit, net, vat, gross *money.Money) {
	m := func(a int64) *money.Money { return &money.Money{Amount: a, Currency: currency} }
	return m(l.UnitPrice), m(l.Net), m(l.VAT), m(l.Gross)
}
