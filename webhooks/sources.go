package webhooks

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/checkout"
	"kassa/gid"
	"kassa/orders"
	"kassa/payments"
)

// OrderData is the data of the ORDER_* events. IDs are the GraphQL API's
// global IDs, so the receiver can query node(id:).
type OrderData struct {
	Object      string               `json:"object"` // "order"
	ID          string               `json:"id"`
	Number      int64                `json:"number"`
	Status      orders.Status        `json:"status"`
	Reference   string               `json:"reference"`
	Currency    string               `json:"currency"`
	Total       int64                `json:"total"`
	Paid        int64                `json:"paid"`
	Refunded    int64                `json:"refunded"`
	CaptureMode payments.CaptureMode `json:"captureMode"`
	CheckoutID  *string              `json:"checkoutId"`
}

// PaymentData is the data of the PAYMENT_* and RESERVATION_* events.
type PaymentData struct {
	Object      string               `json:"object"` // "payment"
	ID          string               `json:"id"`
	Status      payments.Status      `json:"status"`
	Currency    string               `json:"currency"`
	Amount      int64                `json:"amount"`
	Authorized  int64                `json:"authorized"`
	Captured    int64                `json:"captured"`
	Refunded    int64                `json:"refunded"`
	CaptureMode payments.CaptureMode `json:"captureMode"`
	// Change is what this event moved: the amount captured or refunded
	// by it (0 for other events).
	Change         int64      `json:"change"`
	CaptureBefore  *time.Time `json:"captureBefore"`
	FailureCode    *string    `json:"failureCode"`
	OrderID        *string    `json:"orderId"`
	OrderReference *string    `json:"orderReference"`
	CheckoutID     *string    `json:"checkoutId"`
}

// Sources are the domain services whose changes become events.
type Sources struct {
	Payments  *payments.Service
	Orders    *orders.Service
	Checkouts *checkout.Service
}

// Subscribe turns changes of orders and payments into events, each in the
// transaction of its change. Call it once, before serving.
func (s *Service) Subscribe(src Sources) {
	h := &handlers{s: s, src: src}
	src.Payments.OnChange(h.paymentChanged)
	src.Payments.OnExpiring(h.reservationExpiring)
	src.Orders.OnStatusChange(h.orderStatusChanged)
	src.Orders.OnDuplicate(h.paymentDuplicate)
}

func (h *handlers) paymentDuplicate(ctx context.Context, tx *sqlx.Tx, _ orders.Order, p payments.Payment) error {
	if ok, err := h.s.Wants(ctx, tx, p.MerchantID, PaymentDuplicate); err != nil || !ok {
		return err
	}
	d, err := h.paymentData(ctx, tx, p)
	if err != nil {
		return err
	}
	_, err = h.s.EmitTx(ctx, tx, p.MerchantID, PaymentDuplicate, d)
	return err
}

type handlers struct {
	s   *Service
	src Sources
}

func (h *handlers) orderStatusChanged(ctx context.Context, tx *sqlx.Tx, from orders.Status, o orders.Order) error {
	var t EventType
	switch o.Status {
	case orders.StatusPaid:
		t = OrderPaid
	case orders.StatusReserved:
		t = OrderReserved
	default:
		return nil
	}
	if ok, err := h.s.Wants(ctx, tx, o.MerchantID, t); err != nil || !ok {
		return err
	}
	d := OrderData{Object: "order", ID: gid.Encode(gid.Order, o.ID), Number: o.Number, Status: o.Status, Reference: o.Reference,
		Currency: o.Currency, Total: o.GrossTotal, Paid: o.AmountPaid, Refunded: o.AmountRefunded, CaptureMode: o.CaptureMode}
	if h.src.Checkouts != nil {
		c, ok, err := h.src.Checkouts.ByOrderTx(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if ok {
			id := gid.Encode(gid.Checkout, c.ID)
			d.CheckoutID = &id
		}
	}
	_, err := h.s.EmitTx(ctx, tx, o.MerchantID, t, d)
	return err
}

func (h *handlers) paymentChanged(ctx context.Context, tx *sqlx.Tx, before, after payments.Payment) error {
	type ev struct {
		t      EventType
		change int64
	}
	var evs []ev
	if after.AmountCaptured > before.AmountCaptured {
		evs = append(evs, ev{PaymentCaptured, after.AmountCaptured - before.AmountCaptured})
	}
	if after.AmountRefunded > before.AmountRefunded {
		evs = append(evs, ev{PaymentRefunded, after.AmountRefunded - before.AmountRefunded})
	}
	if after.Status == payments.StatusFailed && before.Status != payments.StatusFailed {
		evs = append(evs, ev{PaymentFailed, 0})
	}
	wanted := evs[:0]
	for _, e := range evs {
		ok, err := h.s.Wants(ctx, tx, after.MerchantID, e.t)
		if err != nil {
			return err
		}
		if ok {
			wanted = append(wanted, e)
		}
	}
	evs = wanted
	if len(evs) == 0 {
		return nil
	}
	d, err := h.paymentData(ctx, tx, after)
	if err != nil {
		return err
	}
	for _, e := range evs {
		d.Change = e.change
		if _, err := h.s.EmitTx(ctx, tx, after.MerchantID, e.t, d); err != nil {
			return err
		}
	}
	return nil
}

func (h *handlers) reservationExpiring(ctx context.Context, tx *sqlx.Tx, p payments.Payment) error {
	if ok, err := h.s.Wants(ctx, tx, p.MerchantID, ReservationExpiring); err != nil || !ok {
		return err
	}
	d, err := h.paymentData(ctx, tx, p)
	if err != nil {
		return err
	}
	_, err = h.s.EmitTx(ctx, tx, p.MerchantID, ReservationExpiring, d)
	return err
}

func (h *handlers) paymentData(ctx context.Context, tx *sqlx.Tx, p payments.Payment) (PaymentData, error) {
	d := PaymentData{Object: "payment", ID: p.ID.Global(), Status: p.Status, Currency: p.Currency, Amount: p.Amount,
		Authorized: p.AmountAuthorized, Captured: p.AmountCaptured, Refunded: p.AmountRefunded, CaptureMode: p.CaptureMode,
		CaptureBefore: p.CaptureBefore, FailureCode: p.FailureCode}
	if p.OrderID == nil {
		return d, nil
	}
	oid := gid.Encode(gid.Order, *p.OrderID)
	d.OrderID = &oid
	o, err := h.src.Orders.GetTx(ctx, tx, *p.OrderID)
	if err != nil {
		return d, err
	}
	d.OrderReference = &o.Reference
	if h.src.Checkouts != nil {
		c, ok, err := h.src.Checkouts.ByOrderTx(ctx, tx, *p.OrderID)
		if err != nil {
			return d, err
		}
		if ok {
			id := gid.Encode(gid.Checkout, c.ID)
			d.CheckoutID = &id
		}
	}
	return d, nil
}
