package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/payments"
)

// MandateOrder is what NewMandateOrderTx takes: an order the customer pays
// through a link whose payment stores the card as a mandate (a
// subscription's first payment, a card update, a failed invoice paid with
// another card).
type MandateOrder struct {
	Order     NewOrder
	ExpiresAt time.Time
}

// NewMandateOrderTx creates the order and its single-use link in the
// caller's transaction. The order is sent (CONFIRMATION_SENT) at once:
// the link is the confirmation.
func (s *Service) NewMandateOrderTx(ctx context.Context, tx *sqlx.Tx, merchantID uuid.UUID, actor payments.Actor, m MandateOrder) (Order, Link, error) {
	lines, tot, err := m.Order.normalize()
	if err != nil {
		return Order{}, Link{}, err
	}
	o, err := s.CreateTx(ctx, tx, merchantID, actor, "", m.Order, lines, tot)
	if err != nil {
		return Order{}, Link{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'CONFIRMATION_SENT' WHERE id = $1`, o.ID); err != nil {
		return Order{}, Link{}, err
	}
	o.Status = StatusConfirmationSent
	exp := m.ExpiresAt.UTC()
	desc := ""
	if len(lines) > 0 {
		desc = lines[0].Description
	}
	l := Link{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), Token: newLinkToken(), Kind: LinkAmount, Status: LinkActive,
		OrderID: &o.ID, Amount: o.GrossTotal, Currency: o.Currency, Description: desc, CustomerEmail: o.CustomerEmail,
		CaptureMode: o.CaptureMode, SaveMandate: true, ExpiresAt: &exp, CreatedByUser: actor.UserID, CreatedByAPIKey: actor.APIKeyID,
		CreatedAt: s.now().UTC()}
	if len(lines) > 0 {
		l.VATRate = lines[0].VATRate
	}
	return o, l, insertLink(ctx, tx, l)
}

// LinkURL is the public URL of a link's token.
func (s *Service) LinkURL(token string) string { return s.cfg.PublicURL + "/pay/" + token }
