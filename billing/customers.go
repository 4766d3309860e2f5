package billing

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/gid"
	"kassa/orders"
	"kassa/payments"
)

// CustomerSubscriptions lists a customer's subscriptions that viewer may
// see (orders.CustomerViewOf: a SALES member sees those they created),
// newest first.
//
// Errors: fault.ErrForbidden (an Actor that names no one).
func (s *Service) CustomerSubscriptions(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, customerID uuid.UUID, page db.Page) ([]Subscription, bool, error) {
	v, err := orders.CustomerViewOf(viewer)
	if err != nil {
		return nil, false, err
	}
	where, args := customerWhere(v, customerID)
	where = append(where, "id < ?")
	args = append(args, page.AfterOrMax(), page.Fetch())
	var subs []Subscription
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &subs, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE `+strings.Join(where, " AND ")+
			` ORDER BY id DESC LIMIT ?`, args...)
	})
	subs, more := db.Trim(page, subs)
	return subs, more, err
}

// CustomerCards returns the cards stored as mandates of a customer's
// subscriptions that viewer may see: each card (brand, last 4, expiry)
// once, the most recently stored first.
//
// Errors: fault.ErrForbidden (an Actor that names no one).
func (s *Service) CustomerCards(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, customerID uuid.UUID) ([]payments.CardInfo, error) {
	v, err := orders.CustomerViewOf(viewer)
	if err != nil {
		return nil, err
	}
	where, args := customerWhere(v, customerID)
	var rows []struct {
		Brand    string `db:"brand"`
		Last4    string `db:"last4"`
		ExpMonth int    `db:"exp_month"`
		ExpYear  int    `db:"exp_year"`
	}
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &rows, `
			SELECT brand, last4, exp_month, exp_year FROM (
			  SELECT DISTINCT ON (coalesce(card_brand, ''), card_last4, coalesce(card_exp_month, 0), coalesce(card_exp_year, 0))
			    coalesce(card_brand, '') AS brand, card_last4 AS last4, coalesce(card_exp_month, 0) AS exp_month,
			    coalesce(card_exp_year, 0) AS exp_year, updated_at
			  FROM subscriptions
			  WHERE mandate_token IS NOT NULL AND card_last4 IS NOT NULL AND `+strings.Join(where, " AND ")+`
			  ORDER BY coalesce(card_brand, ''), card_last4, coalesce(card_exp_month, 0), coalesce(card_exp_year, 0), updated_at DESC
			) c ORDER BY updated_at DESC, last4`, args...)
	})
	out := make([]payments.CardInfo, len(rows))
	for i, r := range rows {
		out[i] = payments.CardInfo{Brand: r.Brand, Last4: r.Last4, ExpMonth: r.ExpMonth, ExpYear: r.ExpYear}
	}
	return out, err
}

func customerWhere(v orders.CustomerView, customerID uuid.UUID) ([]string, []any) {
	where := []string{"customer_id = ?"}
	args := []any{customerID}
	if u := v.OnlyCreatedBy(); u != nil {
		where = append(where, "created_by_user = ?")
		args = append(args, *u)
	}
	return where, args
}
