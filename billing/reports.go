package billing

import (
	"context"

	"github.com/jmoiron/sqlx"

	"kassa/fault"
	"kassa/gid"
	"kassa/money"
	"kassa/payments"
)

// Figures are the subscriptions' part of the dashboard's overview, as of
// now.
type Figures struct {
	Active  int // status ACTIVE
	PastDue int // status PAST_DUE: a charge failed and is being retried
	// MRR is the monthly recurring revenue of the ACTIVE subscriptions
	// with a FIXED plan, per currency: each plan's amount (VAT included)
	// divided by its interval in months (quarterly by 3, semiannual by 6,
	// yearly by 12), summed exactly and rounded half-up to the minor unit
	// once, at the end. USAGE plans (no amount known in advance) and
	// MANUAL ones are not included.
	MRR []money.Money
}

// Figures returns the subscription figures of the overview.
//
// Errors: fault.ErrForbidden (a may not see totals: payments/rules.go).
func (s *Service) Figures(ctx context.Context, a payments.Actor, merchantID gid.MerchantID) (Figures, error) {
	if !a.MaySeeTotals() {
		return Figures{}, fault.ErrForbidden
	}
	f := Figures{MRR: []money.Money{}}
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var rows []struct {
			Status   string `db:"status"`
			Currency string `db:"currency"`
			Count    int    `db:"count"`
			Twelfths int64  `db:"twelfths"`
		}
		// mrr_twelfths is the plan's amount × 12 / its months (a column
		// PostgreSQL generates from the plan): summed exactly, divided
		// by 12 once. Read from the index by one process: starting
		// parallel workers costs more than they save on 100,000 rows.
		if _, err := tx.ExecContext(ctx, `SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &rows, `
			SELECT status, currency, count(*) AS count, coalesce(sum(mrr_twelfths), 0)::bigint AS twelfths
			FROM subscriptions WHERE merchant_id = $1 AND status IN ('ACTIVE', 'PAST_DUE')
			GROUP BY status, currency ORDER BY currency, status`, merchantID); err != nil {
			return err
		}
		for _, r := range rows {
			switch r.Status {
			case string(Active):
				f.Active += r.Count
				f.MRR = append(f.MRR, money.Money{Amount: (r.Twelfths + 6) / 12, Currency: r.Currency}) // half-up
			case string(PastDue):
				f.PastDue += r.Count
			}
		}
		return nil
	})
	return f, err
}
