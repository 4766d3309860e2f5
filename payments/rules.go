package payments

import (
	"github.com/google/uuid"

	"kassa/auth"
)

// Who may do what with a payment. Each rule has this one home; every entry
// point (GraphQL, the web terminal, the dashboard, the CLI, jobs) passes its
// Actor and the service applies the rule, so a new entry point cannot
// bypass it.
//
//	operation            OWNER/ADMIN  API key  SALES                 kassa (System)
//	see                  all          all      customers' payments,  all
//	                                           own staff-taken ones
//	capture              all          all      what they may see     all
//	void, refund         all          all      no                    all
//	sales figures        yes          yes      no                    yes
//	(reports, overview)
//
// A staff-taken (MOTO) payment belongs to the member who keyed it in: a
// SALES member neither sees nor captures a colleague's. A user Actor
// without a role is treated as SALES: the rules fail closed.

// System is kassa itself acting (jobs, sweeps, reversals of duplicates).
var System = Actor{System: true}

// ActorOf is the Actor of an authenticated principal, with its role.
func ActorOf(p *auth.Principal) Actor {
	if p == nil {
		return Actor{}
	}
	if p.IsAPIKey() {
		id := p.CredentialID
		return Actor{APIKeyID: &id}
	}
	id := p.UserID
	return Actor{UserID: &id, Role: p.Role}
}

// known reports whether a names someone (or kassa): an empty Actor is a
// customer, who may not operate on payments.
func (a Actor) known() bool { return a.System || a.APIKeyID != nil || a.UserID != nil }

// whole reports whether a acts for the merchant as a whole.
func (a Actor) whole() bool {
	return a.System || a.APIKeyID != nil || (a.UserID != nil && (a.Role == auth.RoleOwner || a.Role == auth.RoleAdmin))
}

// Known reports whether a names someone (or kassa): an empty Actor is a
// customer, who may see nothing of the merchant's.
func (a Actor) Known() bool { return a.known() }

// Whole reports whether a acts for the merchant as a whole (kassa, an API
// key, an owner or an admin), as opposed to a SALES member, whose view
// other domains narrow the way this file narrows payments.
func (a Actor) Whole() bool { return a.whole() }

// MaySee reports whether a may see p.
func (a Actor) MaySee(p Payment) bool {
	switch {
	case !a.known():
		return false
	case a.whole():
		return true
	case p.Initiator == InitiatorMerchantMOTO:
		return p.CreatedByUser != nil && *p.CreatedByUser == *a.UserID
	}
	return true
}

// MayCapture reports whether a may capture p.
func (a Actor) MayCapture(p Payment) bool { return a.MaySee(p) }

// MaySeeTotals reports whether a may see the merchant's sales figures:
// sums and counts over every payment, order and subscription (the sales
// report and the dashboard's overview). Only who sees every payment may:
// a SALES member sees only their own staff-taken payments, and a total
// would tell them about their colleagues'.
func (a Actor) MaySeeTotals() bool { return a.whole() }

// MayReverse reports whether a may void or refund payments.
func (a Actor) MayReverse() bool { return a.whole() }

// seesOnlyOwnStaffPayments is, for a List filter, the user whose
// staff-taken payments alone a may see (nil: no such restriction).
func (a Actor) seesOnlyOwnStaffPayments() *uuid.UUID {
	if !a.known() || a.whole() {
		return nil
	}
	return a.UserID
}
