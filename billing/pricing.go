package billing

import (
	"fmt"

	"kassa/fault"
	"kassa/money"
)

// Tier is one step of a graduated price: units up to UpTo (nil: no limit)
// cost UnitPrice each, plus FlatFee once if any unit falls in the tier.
type Tier struct {
	UpTo      *int64 `json:"upTo,omitempty"`
	UnitPrice int64  `json:"unitPrice"`
	FlatFee   int64  `json:"flatFee,omitempty"`
}

// Aggregation says how a period's usage events make its quantity.
type Aggregation string

// The ways usage events can add up to a quantity.
const (
	Sum Aggregation = "SUM" // the total of the quantities
	Max Aggregation = "MAX" // the largest quantity reported (e.g. seats)
)

// CheckTiers validates a graduated tier table: ascending limits, the last
// one unbounded, prices not negative.
//
// Errors: code INVALID_TIERS.
func CheckTiers(tiers []Tier) error {
	bad := func(format string, args ...any) error {
		return fault.Invalid("plan", ErrInvalidTiers, format, args...)
	}
	if len(tiers) > 20 {
		return bad("at most 20 tiers")
	}
	var prev int64
	for i, t := range tiers {
		if t.UnitPrice < 0 || t.FlatFee < 0 || t.UnitPrice > money.MaxAmount || t.FlatFee > money.MaxAmount {
			return bad("tier %d: prices must be between 0 and 10^13", i+1)
		}
		last := i == len(tiers)-1
		switch {
		case t.UpTo == nil && !last:
			return bad("tier %d: only the last tier may be unbounded", i+1)
		case t.UpTo != nil && last:
			return bad("the last tier must be unbounded (leave upTo out)")
		case t.UpTo != nil && *t.UpTo <= prev:
			return bad("tier %d: upTo must be more than the previous tier's", i+1)
		}
		if t.UpTo != nil {
			prev = *t.UpTo
		}
	}
	return nil
}

// UsageAmount prices quantity units: by the graduated tiers when there are
// any, otherwise at unitPrice each. Everything is integer arithmetic with
// overflow checks.
//
// Errors: code AMOUNT_TOO_LARGE.
func UsageAmount(quantity, unitPrice int64, tiers []Tier) (int64, error) {
	if quantity <= 0 {
		return 0, nil
	}
	tooLarge := fault.New(fault.ErrAmountTooLarge, "the usage amount is too large")
	if len(tiers) == 0 {
		a, ok := money.Mul(quantity, unitPrice)
		if !ok || a > money.MaxAmount {
			return 0, tooLarge
		}
		return a, nil
	}
	var total, below int64
	for _, t := range tiers {
		upper := quantity
		if t.UpTo != nil && *t.UpTo < quantity {
			upper = *t.UpTo
		}
		units := upper - below
		if units <= 0 {
			break
		}
		a, ok := money.Mul(units, t.UnitPrice)
		if !ok {
			return 0, tooLarge
		}
		if total, ok = money.Add(total, a); !ok {
			return 0, tooLarge
		}
		if total, ok = money.Add(total, t.FlatFee); !ok {
			return 0, tooLarge
		}
		if t.UpTo == nil || *t.UpTo >= quantity {
			break
		}
		below = *t.UpTo
	}
	if total > money.MaxAmount {
		return 0, tooLarge
	}
	return total, nil
}

func (t Tier) String() string {
	if t.UpTo == nil {
		return fmt.Sprintf("rest at %d", t.UnitPrice)
	}
	return fmt.Sprintf("up to %d at %d", *t.UpTo, t.UnitPrice)
}
