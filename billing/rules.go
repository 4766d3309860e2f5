package billing

import (
	"context"

	"github.com/jmoiron/sqlx"

	"kassa/audit"
	"kassa/fault"
	"kassa/gid"
	"kassa/payments"
)

// Limits applies a member's limit per payment. The web terminal owns the
// limits (terminal.Service); billing applies the same rule to what a member
// charges a stored card and to the plans a member sets, so a SALES member
// with a 50 kr limit can neither charge 1 000 kr to a customer's card nor
// raise the customer's plan to 9 999 kr a month.
type Limits interface {
	// CheckLimit refuses amount in currency above a's limit.
	//
	// Errors: codes AMOUNT_ABOVE_LIMIT, LIMIT_CURRENCY_MISMATCH.
	CheckLimit(ctx context.Context, a payments.Actor, merchantID gid.MerchantID, amount int64, currency string) error
}

// UseLimits sets the limits and the audit trail once the services that
// own them exist (they are built after billing). Call it before serving.
func (s *Service) UseLimits(l Limits, a *audit.Log) { s.cfg.Limits, s.cfg.Audit = l, a }

// recordTx puts a member's change of what a customer is charged on the
// audit trail, in the change's transaction.
func (s *Service) recordTx(ctx context.Context, tx *sqlx.Tx, a payments.Actor, merchantID gid.MerchantID, action string, paymentID *gid.PaymentID, amount int64, currency, detail string) error {
	if s.cfg.Audit == nil {
		return nil
	}
	return s.cfg.Audit.RecordTx(ctx, tx, merchantID, audit.Event{Action: action, ActorUser: a.UserID, ActorAPIKey: a.APIKeyID,
		PaymentID: paymentID, Amount: &amount, Currency: &currency, Detail: detail})
}

// checkActor refuses a change by no one in particular: every change of
// what a customer is charged names who made it.
func checkActor(a payments.Actor) error {
	if a.UserID == nil && a.APIKeyID == nil && !a.System {
		return fault.ErrForbidden
	}
	return nil
}

// checkPlanLimit applies a's limit per payment to the most one period of
// plan p charges. A usage plan has no such most, so a member with a limit
// may not set one; a manual plan charges nothing by itself (each manual
// charge is checked when it is made).
func (s *Service) checkPlanLimit(ctx context.Context, a payments.Actor, merchantID gid.MerchantID, p Plan) error {
	if s.cfg.Limits == nil || a.System || a.APIKeyID != nil {
		return nil
	}
	if most, ok := p.FixedAmount(); ok {
		return s.cfg.Limits.CheckLimit(ctx, a, merchantID, most, p.Currency)
	}
	if p.Kind.Metered() {
		// The largest amount that passes any limit: refused only when
		// the member has a limit at all.
		if err := s.cfg.Limits.CheckLimit(ctx, a, merchantID, 1<<53, p.Currency); err != nil {
			f, _ := fault.As(err)
			return fault.Invalid("plan", f.Code, "usage plans have no most per period, and you have a limit per payment: ask an owner or admin to set this plan")
		}
	}
	return nil
}
