package resolvers

import (
	"context"
	"errors"
	"fmt"

	"github.com/vikstrous/dataloadgen"

	"kassa/audit"
	"kassa/auth"
	"kassa/fault"
	"kassa/gid"
	"kassa/graph/model"
	"kassa/payments"
	"kassa/terminal"
)

// terminalCharge turns createTerminalPayment's input into a charge.
func terminalCharge(in model.CreateTerminalPaymentInput) (terminal.Charge, error) {
	c := terminal.Charge{Amount: in.Amount, Currency: in.Currency, Description: deref(in.Description), CustomerEmail: deref(in.CustomerEmail)}
	if in.Card != nil {
		c.Card = payments.Card{Number: in.Card.Number, ExpMonth: in.Card.ExpMonth, ExpYear: in.Card.ExpYear, CVC: in.Card.Cvc}
	}
	if in.CaptureMode != nil {
		c.CaptureMode = *in.CaptureMode
	}
	if in.OrderID != nil {
		id, err := idOf(gid.Order, "orderId", *in.OrderID)
		if err != nil {
			return c, err
		}
		c.OrderID = &id
	}
	return c, nil
}

// declined is the user error of a declined card: the payment exists (and
// is in the payload), but the caller should try another card.
func declined(p payments.Payment) []model.UserError {
	if p.Status != payments.StatusFailed {
		return nil
	}
	code := "card_declined"
	if p.FailureCode != nil {
		code = *p.FailureCode
	}
	return []model.UserError{{Field: []string{"input", "card"}, Code: ErrCardDeclined.String(),
		Message: fmt.Sprintf("the card was declined (%s): try another card", code)}}
}

// auditFilter reads auditEvents' filter for p: SALES members see their
// own actions only, whatever they ask for.
func auditFilter(p *auth.Principal, in *model.AuditEventFilter) (audit.Filter, bool, error) {
	var f audit.Filter
	if in != nil && in.ActorID != nil {
		id, err := idOf(gid.User, "actorId", *in.ActorID)
		if err != nil {
			return f, false, err
		}
		f.ActorUser = &id
	}
	if in != nil && in.PaymentID != nil {
		id, err := idOf(gid.Payment, "paymentId", *in.PaymentID)
		if err != nil {
			return f, false, err
		}
		pid := gid.Of[gid.PaymentID](id)
		f.PaymentID = &pid
	}
	if !terminal.SeesAll(p) {
		if f.ActorUser != nil && *f.ActorUser != p.UserID {
			return f, false, nil
		}
		me := p.UserID
		f.ActorUser = &me
	}
	return f, true, nil
}

func loadPayment(ctx context.Context, id *gid.PaymentID) (*payments.Payment, error) {
	if id == nil {
		return nil, nil
	}
	p, err := loadersFrom(ctx).paymentsByID.Load(ctx, *id)
	if errors.Is(err, dataloadgen.ErrNotFound) || errors.Is(err, fault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}
