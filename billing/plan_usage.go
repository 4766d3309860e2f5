package billing

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"kassa/fault"
	"kassa/money"
	"kassa/orders"
)

// Usage plans charge metered usage reported through the API, billed in
// arrears at period end (after the usage grace); the first payment checks
// the card.
const Usage PlanKind = "USAGE"

func init() {
	registerKind(Usage, kindSpec{
		listed:  1,
		billed:  billedInArrears,
		metered: true,
		name:    map[string]string{"sv": "Användning", "en": "Usage"},
		check: func(p *Plan) error {
			if p.Interval == "" {
				p.Interval = Monthly
			}
			if !p.Interval.Valid() {
				return fault.Invalid("plan", fault.ErrInvalidInterval, "interval must be MONTHLY, QUARTERLY, SEMIANNUAL or YEARLY")
			}
			if p.Aggregation == "" {
				p.Aggregation = Sum
			}
			if p.Aggregation != Sum && p.Aggregation != Max {
				return fault.Invalid("plan", ErrInvalidPlan, "aggregation must be SUM or MAX")
			}
			if len(p.Tiers) == 0 && (p.UnitPrice <= 0 || p.UnitPrice > money.MaxAmount) {
				return fault.Invalid("plan", fault.ErrInvalidAmount, "a USAGE plan needs a positive unitPrice or tiers")
			}
			if err := CheckTiers(p.Tiers); err != nil {
				return err
			}
			p.Amount = 0
			return nil
		},
		periodLines: usageLines,
		charges: func(m orders.MandateTerms, lang string, mine bool) string {
			if lang == "en" {
				who := "your"
				if mine {
					who = "my"
				}
				return fmt.Sprintf("%s for %s usage (%s)", Interval(m.Interval).every(lang), who, usagePricing(m, lang))
			}
			who := "din"
			if mine {
				who = "min"
			}
			return fmt.Sprintf("%s för %s användning (%s)", Interval(m.Interval).every(lang), who, usagePricing(m, lang))
		},
	})
}

// usageLines prices the period's metered usage.
func usageLines(ctx context.Context, tx *sqlx.Tx, sub *Subscription, p Plan, per Period, name string) ([]orders.LineInput, error) {
	q, err := usageQuantity(ctx, tx, sub.MerchantID, sub.ID, p.Aggregation, per)
	if err != nil {
		return nil, err
	}
	amount, err := UsageAmount(q, p.UnitPrice, p.Tiers)
	if err != nil {
		return nil, err
	}
	unit := "enheter"
	if sub.CustomerLocale == "en" {
		unit = "units"
	}
	return []orders.LineInput{{Description: fmt.Sprintf("%s: %d %s", name, q, unit), Quantity: 1, UnitPrice: amount, VATRate: p.VATRate}}, nil
}

// usagePricing is how the mandate's usage plan prices a period's units.
func usagePricing(m orders.MandateTerms, lang string) string {
	unit, above, upTo, fee := "%s per enhet", "%s per enhet därutöver", "%s per enhet upp till %d", "%s fast avgift"
	if lang == "en" {
		unit, above, upTo, fee = "%s per unit", "%s per unit above that", "%s per unit up to %d", "%s fixed fee"
	}
	if len(m.Tiers) == 0 {
		return fmt.Sprintf(unit, termsMoney(m, m.UnitPrice, lang))
	}
	parts := make([]string, 0, len(m.Tiers))
	for _, t := range m.Tiers {
		p := fmt.Sprintf(above, termsMoney(m, t.UnitPrice, lang))
		if t.UpTo != nil {
			p = fmt.Sprintf(upTo, termsMoney(m, t.UnitPrice, lang), *t.UpTo)
		}
		if t.FlatFee > 0 {
			p += " + " + fmt.Sprintf(fee, termsMoney(m, t.FlatFee, lang))
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}
