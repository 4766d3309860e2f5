package orders

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/fault"
	"kassa/gid"
	"kassa/payments"
)

// PaidFigures are the orders of one currency paid in a range.
type PaidFigures struct {
	Currency string `db:"currency"`
	// Orders counts the orders whose payment was captured (paidAt) in the
	// range, whatever was refunded of them since.
	Orders int `db:"orders"`
	// Net is what those orders brought in: paid less refunded, in minor
	// units.
	Net int64 `db:"net"`
}

// PaidBetween returns, per currency, the orders paid in [from, to) and
// what they brought in, for the dashboard's overview.
//
// Errors: fault.ErrForbidden (a may not see totals: payments/rules.go).
func (s *Service) PaidBetween(ctx context.Context, a payments.Actor, merchantID gid.MerchantID, from, to time.Time) ([]PaidFigures, error) {
	if !a.MaySeeTotals() {
		return nil, fault.ErrForbidden
	}
	var out []PaidFigures
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &out, `
			SELECT currency, count(*) AS orders, coalesce(sum(amount_paid - amount_refunded), 0)::bigint AS net
			FROM orders WHERE merchant_id = $1 AND paid_at >= $2 AND paid_at < $3
			GROUP BY currency ORDER BY currency`, merchantID, from.UTC(), to.UTC())
	})
	return out, err
}
