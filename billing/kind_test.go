package billing_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/billing"
	"kassa/fault"
	"kassa/orders"
)

// TestPlanKinds pins what each kind means, as every part of billing (and
// the mandate text orders shows) asks it.
func TestPlanKinds(t *testing.T) {
	t.Parallel()
	upTo := int64(100)
	cases := []struct {
		plan                          billing.Plan
		scheduled, inAdvance, metered bool
		fixed                         int64 // 0: no fixed amount
		nameSV, nameEN                string
		agreeSV, agreeEN              string
	}{
		{
			plan: billing.Plan{Kind: billing.Fixed, Amount: 9900, Interval: billing.Monthly, VATRate: 2500}, scheduled: true, inAdvance: true, fixed: 9900,
			nameSV: "Abonnemang", nameEN: "Subscription",
			agreeSV: "Jag godkänner att Snickeri Nord AB sparar mitt kort och drar 99,00\u00a0kr varje månad tills jag säger upp abonnemanget.",
			agreeEN: "I agree that Snickeri Nord AB stores my card and charges it SEK\u00a099.00 every month until I cancel.",
		},
		{
			plan:      billing.Plan{Kind: billing.Usage, Interval: billing.Quarterly, Tiers: []billing.Tier{{UpTo: &upTo, UnitPrice: 150}, {UnitPrice: 100, FlatFee: 5000}}},
			scheduled: true, metered: true,
			nameSV: "Användning", nameEN: "Usage",
			agreeSV: "Jag godkänner att Snickeri Nord AB sparar mitt kort och drar varje kvartal för min användning (1,50\u00a0kr per enhet upp till 100, 1,00\u00a0kr per enhet därutöver + 50,00\u00a0kr fast avgift) tills jag säger upp abonnemanget.",
			agreeEN: "I agree that Snickeri Nord AB stores my card and charges it every quarter for my usage (SEK\u00a01.50 per unit up to 100, SEK\u00a01.00 per unit above that + SEK\u00a050.00 fixed fee) until I cancel.",
		},
		{
			plan:   billing.Plan{Kind: billing.Manual},
			nameSV: "Debitering", nameEN: "Charge",
			agreeSV: "Jag godkänner att Snickeri Nord AB sparar mitt kort och drar belopp som Snickeri Nord AB meddelar mig i förväg tills jag säger upp abonnemanget.",
			agreeEN: "I agree that Snickeri Nord AB stores my card and charges it for amounts Snickeri Nord AB notifies me of in advance until I cancel.",
		},
	}
	for _, c := range cases {
		t.Run(string(c.plan.Kind), func(t *testing.T) {
			t.Parallel()
			p := c.plan
			require.NoError(t, p.Check())
			require.True(t, p.Kind.Valid())
			require.Equal(t, c.scheduled, p.Kind.Scheduled(), "scheduled")
			require.Equal(t, c.inAdvance, p.Kind.InAdvance(), "billed in advance")
			require.Equal(t, c.metered, p.Kind.Metered(), "metered")
			fixed, ok := p.FixedAmount()
			require.Equal(t, c.fixed != 0, ok, "has a fixed amount")
			require.Equal(t, c.fixed, fixed)
			require.Equal(t, c.nameSV, p.Name("sv"))
			require.Equal(t, c.nameEN, p.Name("en"))

			terms := orders.MandateTerms{Kind: string(p.Kind), Currency: "SEK", Amount: p.Amount, Interval: string(p.Interval), UnitPrice: p.UnitPrice,
				Merchant: "Snickeri Nord AB"}
			for _, tier := range p.Tiers {
				terms.Tiers = append(terms.Tiers, orders.MandateTier{UpTo: tier.UpTo, UnitPrice: tier.UnitPrice, FlatFee: tier.FlatFee})
			}
			require.Equal(t, c.agreeSV, terms.Agreement("sv"))
			require.Equal(t, c.agreeEN, terms.Agreement("en"))
		})
	}

	t.Run("UnknownKindIsRefused", func(t *testing.T) {
		t.Parallel()
		p := billing.Plan{Kind: "WEEKLY_BOX"}
		require.False(t, p.Kind.Valid())
		require.False(t, p.Kind.Scheduled())
		err := p.Check()
		f, ok := fault.As(err)
		require.True(t, ok, "%v", err)
		require.ErrorIs(t, err, billing.ErrInvalidPlan)
		// "kind must be FIXED, USAGE or MANUAL", in that order, and any
		// kind added since.
		require.Regexp(t, `^kind must be FIXED, USAGE(, [A-Z_]+)* or [A-Z_]+$`, f.Message)
		require.Contains(t, f.Message, "MANUAL")
	})
}
