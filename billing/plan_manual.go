package billing

import (
	"fmt"

	"kassa/orders"
)

// Manual plans have no schedule: the merchant charges them by hand
// (chargeSubscription); the first payment checks the card.
const Manual PlanKind = "MANUAL"

func init() {
	registerKind(Manual, kindSpec{
		listed: 2,
		billed: billedByHand,
		name:   map[string]string{"sv": "Debitering", "en": "Charge"},
		check: func(p *Plan) error {
			p.Amount, p.UnitPrice, p.Tiers, p.Aggregation, p.Interval = 0, 0, nil, "", ""
			return nil
		},
		charges: func(m orders.MandateTerms, lang string, mine bool) string {
			if lang == "en" {
				who := "you"
				if mine {
					who = "me"
				}
				return fmt.Sprintf("for amounts %s notifies %s of in advance", m.Merchant, who)
			}
			who := "dig"
			if mine {
				who = "mig"
			}
			return fmt.Sprintf("belopp som %s meddelar %s i förväg", m.Merchant, who)
		},
	})
}
