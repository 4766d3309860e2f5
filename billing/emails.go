package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/gid"
	"kassa/mailer"
	"kassa/merchants"
	"kassa/orders"
	"kassa/payments"
)

// emailData is what billing emails show, formatted.
type emailData struct {
	Lang, Title, Accent, MerchantName string
	CustomerName, Plan                string
	InvoiceNumber, Period, Total      string
	InvoiceURL, PayURL, Card, Reason  string
	Expires                           string
	Final                             bool
	// Terms is the subscription's disclosure (orders.MandateTerms), one
	// paragraph each.
	Terms []string
}

func (s *Service) mailData(ctx context.Context, tx *sqlx.Tx, sub Subscription) (emailData, error) {
	d := emailData{Lang: sub.CustomerLocale, Accent: "#0b5fff", CustomerName: sub.CustomerName, Plan: sub.Plan().Name(sub.CustomerLocale)}
	m, err := merchants.GetTx(ctx, tx, sub.MerchantID)
	if err != nil {
		return d, err
	}
	d.MerchantName = m.Name
	if sub.CardBrand != nil && sub.CardLast4 != nil {
		d.Card = payments.CardLabel(*sub.CardBrand, *sub.CardLast4, d.Lang)
	}
	return d, nil
}

func (s *Service) send(ctx context.Context, tx *sqlx.Tx, name string, sub Subscription, d emailData) error {
	r, err := mailer.Render(name, d.Lang, d)
	if err != nil {
		return err
	}
	_, err = s.cfg.Mailer.EnqueueTx(ctx, tx, mailer.Message{MerchantID: sub.MerchantID, FromName: d.MerchantName, To: sub.CustomerEmail, ToName: sub.CustomerName,
		Subject: r.Subject, Text: r.Text, HTML: r.HTML, Kind: name})
	return err
}

func (s *Service) invoiceData(ctx context.Context, tx *sqlx.Tx, sub Subscription, inv Invoice) (emailData, error) {
	d, err := s.mailData(ctx, tx, sub)
	if err != nil {
		return d, err
	}
	d.InvoiceNumber, d.Total, d.InvoiceURL = fmt.Sprint(inv.Number), format(inv.Gross, inv.Currency, d.Lang), s.InvoiceURL(inv)
	if inv.PeriodStart != nil && inv.PeriodEnd != nil {
		d.Period = periodLabel(Period{Start: *inv.PeriodStart, End: *inv.PeriodEnd}, sub.TimeZone)
	}
	return d, nil
}

// mailInvoicePaid sends the customer the receipt of a charged invoice.
func (s *Service) mailInvoicePaid(ctx context.Context, tx *sqlx.Tx, inv Invoice) error {
	var sub Subscription
	if err := tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, inv.SubscriptionID); err != nil {
		return err
	}
	d, err := s.invoiceData(ctx, tx, sub, inv)
	if err != nil {
		return err
	}
	d.Title = "Invoice " + d.InvoiceNumber
	return s.send(ctx, tx, "invoice_paid", sub, d)
}

// mailChargeFailed tells the customer a charge failed and how to pay with
// another card; final says no more retries follow.
func (s *Service) mailChargeFailed(ctx context.Context, tx *sqlx.Tx, sub Subscription, inv Invoice, code string, link *orders.Link, final bool) error {
	d, err := s.invoiceData(ctx, tx, sub, inv)
	if err != nil {
		return err
	}
	d.Title, d.Reason, d.Final = "Payment failed", declineReason(code, d.Lang), final
	if link == nil && inv.OrderID != nil {
		if url, err := s.cfg.Orders.ActiveLinkURLTx(ctx, tx, *inv.OrderID); err == nil {
			d.PayURL = url
		}
	} else if link != nil {
		d.PayURL = s.cfg.Orders.URL(*link)
	}
	return s.send(ctx, tx, "charge_failed", sub, d)
}

func declineReason(code, lang string) string {
	sv := map[string]string{"card_declined": "kortet nekades", "insufficient_funds": "det fanns inte tillräckligt med pengar",
		"expired_card": "kortet har gått ut", "invalid_mandate": "kortet kan inte längre debiteras"}
	en := map[string]string{"card_declined": "the card was declined", "insufficient_funds": "there were insufficient funds",
		"expired_card": "the card has expired", "invalid_mandate": "the card can no longer be charged"}
	m := sv
	if lang == "en" {
		m = en
	}
	if r, ok := m[code]; ok {
		return r
	}
	if lang == "en" {
		return "the payment was declined"
	}
	return "betalningen nekades"
}

// warnExpiringCards emails customers whose stored card expires at the end
// of this month (in the merchant's time zone), once per card expiry, with
// a link to store a new card.
func (s *Service) warnExpiringCards(ctx context.Context, now time.Time) (int, error) {
	var due []struct {
		MerchantID gid.MerchantID `db:"merchant_id"`
		ID         uuid.UUID      `db:"id"`
	}
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &due, `
			SELECT merchant_id, id FROM subscriptions
			WHERE status IN ('ACTIVE', 'PAST_DUE') AND card_exp_year IS NOT NULL
			  AND make_date(card_exp_year, card_exp_month, 1) <= ($1::timestamptz)::date
			  AND (card_warned_for IS NULL OR card_warned_for <> card_exp_year || '-' || card_exp_month)
			LIMIT 1000`, now)
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range due {
		_, err := s.change(ctx, d.MerchantID, d.ID, func(tx *sqlx.Tx, sub *Subscription) error {
			key := fmt.Sprintf("%d-%d", *sub.CardExpYear, *sub.CardExpMonth)
			if sub.CardWarnedFor != nil && *sub.CardWarnedFor == key {
				return nil
			}
			plan := sub.Plan()
			desc := "Nytt kort för abonnemanget (reserveras och släpps)"
			if sub.CustomerLocale == "en" {
				desc = "New card for your subscription (reserved, then released)"
			}
			o, l, err := s.cfg.Orders.NewMandateOrderTx(ctx, tx, payments.Actor{}, sub.MerchantID, orders.MandateOrder{
				Order: orders.NewOrder{Customer: orders.Customer{Name: sub.CustomerName, Email: sub.CustomerEmail, Locale: sub.CustomerLocale},
					Currency: plan.Currency, CaptureMode: payments.CaptureReserve,
					Lines: []orders.LineInput{{Description: desc, Quantity: 1, UnitPrice: verificationAmount(plan.Currency), VATRate: 0}}},
				ExpiresAt: now.Add(45 * 24 * time.Hour),
			})
			if err != nil {
				return err
			}
			d, err := s.mailData(ctx, tx, *sub)
			if err != nil {
				return err
			}
			d.Title, d.PayURL = "Card expiring", s.cfg.Orders.URL(l)
			d.Expires = fmt.Sprintf("%02d/%d", *sub.CardExpMonth, *sub.CardExpYear)
			if err := s.send(ctx, tx, "card_expiring", *sub, d); err != nil {
				return err
			}
			sub.CardWarnedFor, sub.CardOrderID = &key, &o.ID
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
