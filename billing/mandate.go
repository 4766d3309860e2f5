package billing

import (
	"context"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/money"
	"kassa/orders"
	"kassa/payments"
)

// subscriptionOfOrder finds the subscription a mandate order belongs to:
// its first payment, a new card for it, or an invoice of it paid with
// another card (which becomes its card too; see mandateStored).
// forUpdate locks the subscription's row.
func subscriptionOfOrder(ctx context.Context, tx *sqlx.Tx, orderID uuid.UUID, forUpdate bool) (Subscription, bool, error) {
	lock, lockS := "", ""
	if forUpdate {
		lock, lockS = " FOR UPDATE", " FOR UPDATE OF s"
	}
	var sub Subscription
	err := tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE first_order_id = $1 OR card_order_id = $1`+lock, orderID)
	if db.IsNoRows(err) {
		err = tx.GetContext(ctx, &sub, `SELECT `+prefixed("s")+` FROM subscriptions s JOIN invoices i ON i.subscription_id = s.id WHERE i.order_id = $1`+lockS, orderID)
	}
	if db.IsNoRows(err) {
		return sub, false, nil
	}
	return sub, err == nil, err
}

// mandateTerms are the terms the customer of sub agrees to by paying
// today (a card check, reserved and released, when check) with their
// card stored: what the plan charges and how often, the next charge, and
// the merchant's contact for cancelling.
func (s *Service) mandateTerms(ctx context.Context, tx *sqlx.Tx, sub Subscription, today int64, check bool) (orders.MandateTerms, error) {
	plan := sub.Plan()
	m := orders.MandateTerms{Kind: string(plan.Kind), Plan: plan.Description, Currency: sub.Currency, Today: today, TodayIsCheck: check,
		TimeZone: sub.TimeZone}
	if a, ok := plan.FixedAmount(); ok {
		m.Amount = a
	}
	if plan.Kind.Scheduled() {
		m.Interval = string(plan.Interval)
	}
	if plan.Kind.Metered() {
		m.UnitPrice = plan.UnitPrice
		for _, t := range plan.Tiers {
			m.Tiers = append(m.Tiers, orders.MandateTier{UpTo: t.UpTo, UnitPrice: t.UnitPrice, FlatFee: t.FlatFee})
		}
	}
	if sub.Status == PendingMandate {
		// Not billed yet: the first payment pays period 0 of a plan billed
		// in advance (so period 1 is next); one billed in arrears is billed
		// after its period.
		if sch, ok := sub.Schedule(); ok {
			next := s.dueAt(plan, sch.Period(0))
			if plan.Kind.InAdvance() {
				next = s.dueAt(plan, sch.Period(1))
			}
			m.NextChargeAt = &next
		}
	} else if sub.NextBillingAt != nil {
		next := sub.NextBillingAt.UTC()
		m.NextChargeAt = &next
	}
	var err error
	m.Merchant, m.SupportEmail, m.SupportPhone, err = s.cfg.Orders.MerchantContactTx(ctx, tx)
	return m, err
}

// termsMoney formats amount a in the currency of terms m, for lang.
func termsMoney(m orders.MandateTerms, a int64, lang string) string {
	return money.Format(money.Money{Amount: a, Currency: m.Currency}, lang)
}

// MandateTerms are the terms a payment through link t agrees to when it
// stores the card for a subscription; false when it does not.
func (s *Service) MandateTerms(ctx context.Context, t orders.PayTarget) (orders.MandateTerms, bool, error) {
	if !t.Link.SaveMandate || t.Link.OrderID == nil {
		return orders.MandateTerms{}, false, nil
	}
	check := t.Link.CaptureMode == payments.CaptureReserve
	if t.Order != nil {
		check = t.Order.CaptureMode == payments.CaptureReserve
	}
	var m orders.MandateTerms
	found := false
	err := s.db.InTenant(ctx, t.Link.MerchantID, func(tx *sqlx.Tx) error {
		sub, ok, err := subscriptionOfOrder(ctx, tx, *t.Link.OrderID, false)
		if err != nil || !ok || sub.Status == Cancelled {
			return err
		}
		found = true
		m, err = s.mandateTerms(ctx, tx, sub, t.Amount(), check)
		return err
	})
	return m, found, err
}

// mailFirstPayment sends the customer the link of their subscription's
// first payment, with the terms they will be asked to agree to.
func (s *Service) mailFirstPayment(ctx context.Context, tx *sqlx.Tx, sub Subscription, o orders.Order, l orders.Link) error {
	terms, err := s.mandateTerms(ctx, tx, sub, o.GrossTotal, o.CaptureMode == payments.CaptureReserve)
	if err != nil {
		return err
	}
	d, err := s.mailData(ctx, tx, sub)
	if err != nil {
		return err
	}
	d.MerchantName, d.Title, d.PayURL = terms.Merchant, "Subscription", s.cfg.Orders.URL(l)
	d.Total, d.Terms = format(o.GrossTotal, o.Currency, d.Lang), terms.Disclosure(d.Lang)
	if l.ExpiresAt != nil {
		d.Expires = terms.Date(*l.ExpiresAt, d.Lang)
	}
	return s.send(ctx, tx, "subscription_first_payment", sub, d)
}
