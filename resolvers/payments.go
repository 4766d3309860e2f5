package resolvers

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"kassa/auth"
	"kassa/gid"
	"kassa/graph/model"
	"kassa/payments"
)

func actorOf(p *auth.Principal) payments.Actor { return payments.ActorOf(p) }

func paymentOrNil(p payments.Payment) *payments.Payment {
	if p.ID.UUID == uuid.Nil {
		return nil
	}
	return &p
}

func orEmpty(ue []model.UserError) []model.UserError {
	if ue == nil {
		return []model.UserError{}
	}
	return ue
}

func loadUser(ctx context.Context, id *uuid.UUID) (*auth.User, error) {
	if id == nil {
		return nil, nil
	}
	u, err := loadersFrom(ctx).users.Load(ctx, *id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// paymentFromPath finds the payment a nested field belongs to.
func paymentFromPath(ctx context.Context) (*payments.Payment, bool) {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if p, ok := fc.Result.(*payments.Payment); ok {
			return p, true
		}
	}
	return nil, false
}

func paymentFilter(in *model.PaymentFilter) (payments.Filter, error) {
	var f payments.Filter
	if in == nil {
		return f, nil
	}
	f.Statuses = in.Status
	f.CaptureBeforeAfter = in.CaptureBeforeFrom
	f.CaptureBeforeBefore = in.CaptureBeforeTo
	if in.OrderID != nil {
		id, err := idOf(gid.Order, "orderId", *in.OrderID)
		if err != nil {
			return f, err
		}
		f.OrderID = &id
	}
	f.CaptureMode, f.Initiators = in.CaptureMode, in.Initiator
	f.CreatedFrom, f.CreatedTo = in.CreatedFrom, in.CreatedTo
	if in.CreatedBy != nil {
		id, err := idOf(gid.User, "createdBy", *in.CreatedBy)
		if err != nil {
			return f, err
		}
		f.CreatedBy = &id
	}
	return f, nil
}

func paymentConnection(ps []payments.Payment, more bool) *model.PaymentConnection {
	edges, info := connection(ps, more, func(p payments.Payment) uuid.UUID { return p.ID.UUID },
		func(c string, p payments.Payment) model.PaymentEdge { return model.PaymentEdge{Cursor: c, Node: &p} })
	return &model.PaymentConnection{Edges: edges, PageInfo: info}
}
