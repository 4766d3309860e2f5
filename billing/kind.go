package billing

import (
	"context"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"kassa/fault"
	"kassa/orders"
)

// PlanKind is how a subscription is charged. What a kind means (whether
// it bills on a schedule, in advance or in arrears, whether it is
// metered, how its invoices and mandate name it) is decided once, by its
// kindSpec in its own file (plan_fixed.go, plan_usage.go,
// plan_manual.go); the rest of billing asks the kind. A new kind is a
// new such file plus its value in the schema's PlanKind enum.
type PlanKind string

// billed is when a kind's periods are billed.
type billed int

const (
	// billedByHand: no schedule; charged only by ChargeManually.
	billedByHand billed = iota
	// billedInAdvance: a period is billed at its start, and the first
	// payment pays period 0.
	billedInAdvance
	// billedInArrears: a period is billed after its end and the usage
	// grace; the first payment only checks the card.
	billedInArrears
)

// kindSpec is what a plan kind means: the answers to every question
// billing asks of a plan's kind.
type kindSpec struct {
	// listed orders the kinds in messages that name them all.
	listed int
	billed billed
	// metered: usage is reported for it, and a period costs its usage
	// priced by the plan.
	metered bool
	// fixedAmount: each period charges Plan.Amount, which a member's
	// limit per payment then applies to. A metered kind has no most per
	// period; a kind billed by hand charges nothing by itself.
	fixedAmount bool
	// name names a plan without a description, by language ("sv", "en").
	name map[string]string
	// check validates and normalizes the kind's own fields of p (the
	// fields every plan has are checked by Plan.Check).
	check func(p *Plan) error
	// periodLines is what period per costs, in lines of its invoice
	// named after name (the plan's name and the period); nil when the
	// kind has no schedule.
	periodLines func(ctx context.Context, tx *sqlx.Tx, sub *Subscription, p Plan, per Period, name string) ([]orders.LineInput, error)
	// charges words what the merchant charges the card under mandate
	// terms m, after "charges it" / "drar", in lang; mine speaks as the
	// customer ("my usage").
	charges func(m orders.MandateTerms, lang string, mine bool) string
}

var kinds = map[PlanKind]kindSpec{}

// registerKind makes k known, and tells orders how its mandates read (a
// consent stores its terms with the kind, and orders shows them again).
func registerKind(k PlanKind, s kindSpec) {
	if _, dup := kinds[k]; dup {
		panic("billing: plan kind " + string(k) + " registered twice")
	}
	kinds[k] = s
	orders.RegisterMandateCharges(string(k), s.charges)
}

func (k PlanKind) spec() (kindSpec, bool) {
	s, ok := kinds[k]
	return s, ok
}

// Valid reports whether k is a known kind.
func (k PlanKind) Valid() bool {
	_, ok := kinds[k]
	return ok
}

// Scheduled reports whether plans of kind k bill on a calendar of their
// interval (the runner bills them); false: charged only by hand.
func (k PlanKind) Scheduled() bool {
	s, ok := kinds[k]
	return ok && s.billed != billedByHand
}

// InAdvance reports whether a period is billed at its start, the first
// payment paying the first period (false: after its end, or by hand).
func (k PlanKind) InAdvance() bool {
	s, ok := kinds[k]
	return ok && s.billed == billedInAdvance
}

// Metered reports whether usage is reported for plans of kind k.
func (k PlanKind) Metered() bool {
	s, ok := kinds[k]
	return ok && s.metered
}

// FixedAmount is what each period of p charges, when its kind charges a
// fixed amount; false for metered and manual plans.
func (p Plan) FixedAmount() (int64, bool) {
	s, ok := kinds[p.Kind]
	if !ok || !s.fixedAmount {
		return 0, false
	}
	return p.Amount, true
}

// kindList names every kind for a message: "FIXED, USAGE or MANUAL".
func kindList() string {
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, string(k))
	}
	sort.Slice(names, func(i, j int) bool { return kinds[PlanKind(names[i])].listed < kinds[PlanKind(names[j])].listed })
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// checkKind checks and normalizes the kind-specific fields of p.
func (p *Plan) checkKind() error {
	s, ok := p.Kind.spec()
	if !ok {
		return fault.Invalid("plan", ErrInvalidPlan, "kind must be %s", kindList())
	}
	return s.check(p)
}

// periodLines is what period per of plan p costs sub.
func (p Plan) periodLines(ctx context.Context, tx *sqlx.Tx, sub *Subscription, per Period) ([]orders.LineInput, error) {
	name := p.Name(sub.CustomerLocale) + " " + periodLabel(per, sub.TimeZone)
	s, _ := p.Kind.spec()
	return s.periodLines(ctx, tx, sub, p, per, name)
}
