package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/payments"
)

// LinkCheckout is the single-use link of a webshop checkout (package
// checkout): it pays the checkout's order, lines and all.
const LinkCheckout LinkKind = "CHECKOUT"

// NewCheckoutOrderTx creates a checkout's order and its single-use link in
// the caller's transaction. The order is sent (CONFIRMATION_SENT) at once,
// as for a free-amount link: changing it afterwards deactivates the link.
//
// Errors: those of Create.
func (s *Service) NewCheckoutOrderTx(ctx context.Context, tx *sqlx.Tx, actor payments.Actor, merchantID gid.MerchantID, n NewOrder, expiresAt time.Time) (Order, Link, error) {
	lines, tot, err := n.normalize()
	if err != nil {
		return Order{}, Link{}, err
	}
	o, err := s.CreateTx(ctx, tx, actor, merchantID, "", n, lines, tot)
	if err != nil {
		return Order{}, Link{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'CONFIRMATION_SENT' WHERE id = $1`, o.ID); err != nil {
		return Order{}, Link{}, err
	}
	o.Status = StatusConfirmationSent
	exp := expiresAt.UTC()
	l := Link{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), Token: newLinkToken(), Kind: LinkCheckout, Status: LinkActive,
		OrderID: &o.ID, Amount: o.GrossTotal, Currency: o.Currency, Description: fmt.Sprintf("Order %d", o.Number),
		CustomerEmail: o.CustomerEmail, CaptureMode: o.CaptureMode, ExpiresAt: &exp, CreatedByUser: actor.UserID,
		CreatedByAPIKey: actor.APIKeyID, CreatedAt: s.now().UTC()}
	if len(lines) > 0 {
		l.VATRate = lines[0].VATRate
	}
	return o, l, insertLink(ctx, tx, l)
}

// GetTx reads an order with its lines in the caller's transaction.
//
// Errors: fault.ErrNotFound.
func (s *Service) GetTx(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) (Order, error) {
	var o Order
	if err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id); err != nil {
		if db.IsNoRows(err) {
			return o, fault.NotFound("order")
		}
		return o, err
	}
	os := []Order{o}
	err := attachLines(ctx, tx, os)
	return os[0], err
}

// StatusListener is told of every change of an order's status, inside the
// transaction that makes it (e.g. to send the merchant a webhook).
type StatusListener func(ctx context.Context, tx *sqlx.Tx, from Status, o Order) error

// OnStatusChange registers l. Register listeners before serving.
func (s *Service) OnStatusChange(l StatusListener) { s.statusListeners = append(s.statusListeners, l) }

func (s *Service) statusChanged(ctx context.Context, tx *sqlx.Tx, from Status, o Order) error {
	if from == o.Status {
		return nil
	}
	for _, l := range s.statusListeners {
		if err := l(ctx, tx, from, o); err != nil {
			return err
		}
	}
	return nil
}
