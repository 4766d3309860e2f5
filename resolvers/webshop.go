package resolvers

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"kassa/auth"
	"kassa/branding"
	"kassa/checkout"
	"kassa/fault"
	"kassa/gid"
	"kassa/graph/model"
	"kassa/orders"
	"kassa/webhooks"
)

func checkoutOrNil(c checkout.Checkout) *checkout.Checkout {
	if c.ID == uuid.Nil {
		return nil
	}
	return &c
}

func endpointOrNil(e webhooks.Endpoint) *webhooks.Endpoint {
	if e.ID == uuid.Nil {
		return nil
	}
	return &e
}

func deliveryOrNil(d webhooks.Delivery) *webhooks.Delivery {
	if d.ID == uuid.Nil {
		return nil
	}
	return &d
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func brandOrNil(b branding.Brand) *branding.Brand {
	if b.MerchantID.UUID == uuid.Nil {
		return nil
	}
	return &b
}

func newCheckoutOf(in model.CreateCheckoutInput) checkout.New {
	n := checkout.New{Lines: linesOf(in.Lines), Currency: deref(in.Currency), Customer: customerOf(in.Customer),
		Reference: deref(in.Reference), SuccessURL: in.SuccessURL, CancelURL: in.CancelURL, ExpiresAt: in.ExpiresAt}
	if n.Lines == nil {
		n.Lines = []orders.LineInput{}
	}
	if in.CaptureMode != nil {
		n.CaptureMode = *in.CaptureMode
	}
	return n
}

// overlapOf turns overlapHours into a duration (nil: the default).
func overlapOf(h *int) *time.Duration {
	if h == nil {
		return nil
	}
	d := time.Duration(*h) * time.Hour
	return &d
}

// mayManageIntegrations says who may change webhooks and branding: owners,
// admins and API keys.
func mayManageIntegrations(p *auth.Principal) error { return p.Require(auth.RoleOwner, auth.RoleAdmin) }

// deliveries is a page of webhook deliveries.
func (r *Resolver) deliveries(ctx context.Context, merchantID gid.MerchantID, f webhooks.DeliveryFilter, first *int, after *string) (*model.WebhookDeliveryConnection, error) {
	page, err := pageOf(first, after)
	if err != nil {
		return nil, err
	}
	ds, more, err := r.WebhookService.Deliveries(ctx, merchantID, f, page)
	if err != nil {
		return nil, err
	}
	edges, info := connection(ds, more, func(d webhooks.Delivery) uuidT { return d.ID },
		func(c string, d webhooks.Delivery) model.WebhookDeliveryEdge {
			return model.WebhookDeliveryEdge{Cursor: c, Node: &d}
		})
	return &model.WebhookDeliveryConnection{Edges: edges, PageInfo: info}, nil
}

// loadOptional loads a belongs-to that may be absent.
func loadOptional[V any](ctx context.Context, l *dataloadgen.Loader[uuid.UUID, V], id uuid.UUID) (*V, error) {
	v, err := l.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// nilIfNotFound makes a domain not-found a null field.
func nilIfNotFound[V any](v V, err error) (*V, error) {
	if errors.Is(err, fault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}
