package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"kassa/billing"
	"kassa/fault"
	"kassa/money"
)

// invoice shows a subscription invoice to the customer (and to the
// merchant, printable), reached by its unguessable token.
func (p *Pages) invoice(w http.ResponseWriter, r *http.Request) {
	pg, err := p.billing.InvoiceByToken(r.Context(), r.PathValue("token"))
	lang := pickLang(r, "")
	if err != nil {
		if errors.Is(err, fault.ErrNotFound) {
			p.payMessage(w, r, http.StatusNotFound, lang, "Faktura / Invoice", "Fakturan finns inte. / No such invoice.", "")
			return
		}
		p.log.ErrorContext(r.Context(), "invoice page", "error", err)
		p.payMessage(w, r, http.StatusServiceUnavailable, lang, "Faktura / Invoice", "Try again in a moment.", "")
		return
	}
	lang = pickLang(r, pg.Subscription.CustomerLocale)
	inv := pg.Invoice
	f := func(a int64) string { return money.Format(money.Money{Amount: a, Currency: inv.Currency}, lang) }
	loc, err := time.LoadLocation(pg.Subscription.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var lines []payLine
	for _, l := range inv.Lines {
		lines = append(lines, payLine{Description: l.Description, Quantity: l.Quantity, UnitPrice: f(l.UnitPrice), VAT: money.Rate(l.VATRate), Gross: f(l.Gross)})
	}
	status := map[billing.InvoiceStatus][2]string{
		billing.InvoiceOpen: {"Obetald", "Unpaid"}, billing.InvoicePaid: {"Betald", "Paid"},
		billing.InvoiceFailed: {"Betalningen misslyckades", "Payment failed"}, billing.InvoiceVoid: {"Makulerad", "Void"},
	}[inv.Status]
	st := status[0]
	if lang == "en" {
		st = status[1]
	}
	period := ""
	if inv.PeriodStart != nil && inv.PeriodEnd != nil {
		period = inv.PeriodStart.In(loc).Format("2006-01-02") + " – " + inv.PeriodEnd.In(loc).Add(-time.Second).Format("2006-01-02")
	}
	p.render(w, r, http.StatusOK, "invoice.html", map[string]any{
		"Lang": lang, "Title": fmt.Sprintf("%s %d", map[string]string{"sv": "Faktura", "en": "Invoice"}[lang], inv.Number),
		"Merchant": pg.MerchantName, "Number": inv.Number, "Date": inv.CreatedAt.In(loc).Format("2006-01-02"),
		"Customer": pg.Subscription.CustomerName, "Email": pg.Subscription.CustomerEmail, "Period": period,
		"Lines": lines, "Net": f(inv.Net), "VAT": f(inv.VAT), "Total": f(inv.Gross), "Status": st, "Paid": inv.Status == billing.InvoicePaid,
		"SV": lang == "sv",
	})
}
