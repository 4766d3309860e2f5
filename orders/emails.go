package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/auth"
	"kassa/branding"
	"kassa/gid"
	"kassa/mailer"
	"kassa/merchants"
	"kassa/money"
	"kassa/payments"
)

// emailLine is an order line formatted for an email.
type emailLine struct {
	Description string
	Quantity    int64
	UnitPrice   string
	VATPercent  string
	Gross       string
}

type emailVAT struct {
	Percent string
	Net     string
	VAT     string
}

// emailData is what the order emails show. Amounts are formatted for the
// customer's locale here, so templates never do arithmetic.
type emailData struct {
	merchantID                 gid.MerchantID // whose email it is (an undeliverable one is reported to them)
	Lang, Title, Accent        string
	MerchantName, SupportEmail string
	// AccentText is the text colour readable on Accent; SupportPhone and
	// LogoURL come from the merchant's branding.
	AccentText, SupportPhone, LogoURL string
	CustomerName, Reference           string
	OrderNumber                       string
	Lines                             []emailLine
	VAT                               []emailVAT
	Net, VATTotal, Total, Paid        string
	Message, PayURL, ExpiresAt        string
	Card, PaidAt                      string
	Reserved                          bool
	// Mandate says, on the receipt of a payment that stored the card for
	// a subscription, what was agreed (orders.MandateTerms.Saved);
	// CardCheck that the amount was only reserved to check the card.
	Mandate   []string
	CardCheck bool
}

// merchantInfo is what emails show of the merchant: its name as its
// branding presents it.
type merchantInfo struct {
	ID       gid.MerchantID
	Name     string
	TimeZone string
	Brand    branding.Brand
}

func (s *Service) merchantInfo(ctx context.Context, tx *sqlx.Tx) (merchantInfo, error) {
	cur, err := merchants.CurrentTx(ctx, tx)
	if err != nil {
		return merchantInfo{}, err
	}
	m := merchantInfo{ID: cur.ID, Name: cur.Name, TimeZone: cur.TimeZone}
	m.Brand = branding.Brand{MerchantID: m.ID, MerchantName: m.Name}
	if s.cfg.Branding != nil {
		b, err := s.cfg.Branding.GetTx(ctx, tx, cur)
		if err != nil {
			return m, err
		}
		m.Brand = b
	}
	m.Name = m.Brand.Name()
	return m, nil
}

// brandData fills the merchant's branding into an email.
func (s *Service) brandData(d *emailData, m merchantInfo) {
	d.merchantID = m.ID
	d.MerchantName, d.Accent, d.AccentText = m.Name, m.Brand.Accent(), branding.TextOn(m.Brand.Accent())
	d.SupportEmail, d.SupportPhone = m.Brand.SupportEmail, m.Brand.SupportPhone
	if p := m.Brand.LogoPath(); p != "" {
		d.LogoURL = s.cfg.PublicURL + p
	}
}

func formatTime(t time.Time, tz, locale string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	if locale == "en" {
		return t.In(loc).Format("2 January 2006 15:04 MST")
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func (s *Service) emailData(m merchantInfo, o Order, locale string) emailData {
	f := func(a int64) string { return money.Format(money.Money{Amount: a, Currency: o.Currency}, locale) }
	d := emailData{
		Lang: locale, CustomerName: o.CustomerName, Reference: o.Reference,
		OrderNumber: fmt.Sprint(o.Number), Net: f(o.NetTotal), VATTotal: f(o.VATTotal), Total: f(o.GrossTotal),
	}
	s.brandData(&d, m)
	for _, l := range o.Lines {
		d.Lines = append(d.Lines, emailLine{Description: l.Description, Quantity: l.Quantity, UnitPrice: f(l.UnitPrice), VATPercent: money.Rate(l.VATRate), Gross: f(l.Gross)})
	}
	for _, g := range o.Totals().ByRate {
		if g.Rate > 0 {
			d.VAT = append(d.VAT, emailVAT{Percent: money.Rate(g.Rate), Net: f(g.Net), VAT: f(g.VAT)})
		}
	}
	return d
}

// enqueue renders template name for the order and queues it in tx.
func (s *Service) enqueue(ctx context.Context, tx *sqlx.Tx, name, to, toName string, cc []string, d emailData) (string, error) {
	r, err := mailer.Render(name, d.Lang, d)
	if err != nil {
		return "", err
	}
	return s.cfg.Mailer.EnqueueTx(ctx, tx, mailer.Message{MerchantID: d.merchantID,
		FromName: d.MerchantName, ReplyTo: d.SupportEmail, To: to, ToName: toName, Cc: cc, Subject: r.Subject, Text: r.Text, HTML: r.HTML, Kind: name,
	})
}

// sendPaidEmails queues the customer's receipt and the salesperson's
// notice for an order its payment just settled.
func (s *Service) sendPaidEmails(ctx context.Context, tx *sqlx.Tx, o Order, p payments.Payment) error {
	m, err := s.merchantInfo(ctx, tx)
	if err != nil {
		return err
	}
	card := p.CardLabel(o.CustomerLocale)
	reserved := p.Status == payments.StatusAuthorized
	if o.CustomerEmail != nil {
		d := s.emailData(m, o, o.CustomerLocale)
		d.Card, d.PaidAt, d.Reserved = card, formatTime(s.now(), m.TimeZone, o.CustomerLocale), reserved
		d.Paid = money.Format(money.Money{Amount: p.AmountCaptured, Currency: p.Currency}, o.CustomerLocale)
		d.Title = "Receipt"
		if p.MandateToken != nil { // only a payment that stored the card has a consent
			if a, ok, err := mandateOfPayment(ctx, tx, p.ID); err != nil {
				return err
			} else if ok {
				d.Mandate, d.CardCheck = a.Terms.Saved(o.CustomerLocale), a.Terms.TodayIsCheck
			}
		}
		if _, err := s.enqueue(ctx, tx, "receipt", *o.CustomerEmail, o.CustomerName, nil, d); err != nil {
			return err
		}
	}
	if o.SalespersonEmail != nil {
		d := s.emailData(m, o, "sv")
		d.Card, d.PaidAt, d.Reserved, d.Title = card, formatTime(s.now(), m.TimeZone, "sv"), reserved, "Betalning mottagen"
		if _, err := s.enqueue(ctx, tx, "payment_received", *o.SalespersonEmail, "", nil, d); err != nil {
			return err
		}
	}
	return nil
}

// reservationExpiring warns the merchant's owners and admins that a
// reservation lapses soon: capture it (deliver the order) or lose it.
func (s *Service) reservationExpiring(ctx context.Context, tx *sqlx.Tx, p payments.Payment) error {
	m, err := s.merchantInfo(ctx, tx)
	if err != nil {
		return err
	}
	to, err := auth.ManagerEmailsTx(ctx, tx)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return nil
	}
	d := emailData{Lang: "sv", Title: "Reservation",
		Total:  money.Format(money.Money{Amount: p.Remaining(), Currency: p.Currency}, "sv"),
		PayURL: s.cfg.PublicURL + "/graphiql"}
	s.brandData(&d, m)
	if p.CaptureBefore != nil {
		d.ExpiresAt = formatTime(*p.CaptureBefore, m.TimeZone, "sv")
	}
	if p.OrderID != nil {
		var number int64
		if err := tx.GetContext(ctx, &number, `SELECT number FROM orders WHERE id = $1`, *p.OrderID); err == nil {
			d.OrderNumber = fmt.Sprint(number)
		}
	}
	for _, addr := range to {
		if _, err := s.enqueue(ctx, tx, "reservation_expiring", addr, "", nil, d); err != nil {
			return err
		}
	}
	return nil
}
