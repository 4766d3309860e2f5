package billing

import (
	"context"

	"github.com/jmoiron/sqlx"

	"kassa/fault"
	"kassa/money"
	"kassa/orders"
)

// Fixed plans charge a fixed amount every interval, billed in advance: the
// first payment pays the first period.
const Fixed PlanKind = "FIXED"

func init() {
	registerKind(Fixed, kindSpec{
		listed:      0,
		billed:      billedInAdvance,
		fixedAmount: true,
		name:        map[string]string{"sv": "Abonnemang", "en": "Subscription"},
		check: func(p *Plan) error {
			if err := money.CheckAmount("plan.amount", p.Amount); err != nil {
				return err
			}
			if !p.Interval.Valid() {
				return fault.Invalid("plan", fault.ErrInvalidInterval, "a FIXED plan needs an interval: MONTHLY, QUARTERLY, SEMIANNUAL or YEARLY")
			}
			p.UnitPrice, p.Tiers, p.Aggregation = 0, nil, ""
			return nil
		},
		periodLines: func(_ context.Context, _ *sqlx.Tx, _ *Subscription, p Plan, _ Period, name string) ([]orders.LineInput, error) {
			return []orders.LineInput{{Description: name, Quantity: 1, UnitPrice: p.Amount, VATRate: p.VATRate}}, nil
		},
		charges: func(m orders.MandateTerms, lang string, _ bool) string {
			return termsMoney(m, m.Amount, lang) + " " + Interval(m.Interval).every(lang)
		},
	})
}
