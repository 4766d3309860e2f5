package orders

import (
	"context"

	"github.com/jmoiron/sqlx"

	"kassa/payments"
)

// paymentChanged moves an order along with its payment, inside the
// payment's transaction: RESERVED when a RESERVE payment is authorized,
// PAID when captured, refunded with it, EXPIRED when its reservation
// lapses. The receipt and the salesperson's notice are queued on the way
// to RESERVED or PAID, once, because the payment's status changes once.
func (s *Service) paymentChanged(ctx context.Context, tx *sqlx.Tx, before, after payments.Payment) error {
	if after.OrderID == nil || (before.Status == after.Status && before.AmountCaptured == after.AmountCaptured && before.AmountRefunded == after.AmountRefunded) {
		return nil
	}
	o, err := s.lock(ctx, tx, *after.OrderID)
	if err != nil {
		return err
	}
	if after.Amount != o.GrossTotal || after.Currency != o.Currency {
		// Never mark an order paid by a payment of another amount. Staff
		// may take a supplement to an order (the terminal): that is
		// expected; anything else is worth a look.
		if after.Initiator != payments.InitiatorMerchantMOTO {
			s.log.ErrorContext(ctx, "payment amount does not match its order", "order_id", o.ID, "payment_id", after.ID,
				"order_total", o.GrossTotal, "payment_amount", after.Amount)
		}
		return nil
	}
	if before.AmountAuthorized == 0 && after.AmountAuthorized > 0 && s.duplicate(o, after) {
		return s.reverseDuplicate(ctx, tx, o, after)
	}
	if o.SettledByPaymentID != nil && *o.SettledByPaymentID != after.ID {
		// Another payment of the order's amount (one being reversed, or a
		// staff member's deliberate second charge): it neither pays nor
		// refunds this order.
		return nil
	}
	next := o.Status
	settled := false
	switch after.Status {
	case payments.StatusAuthorized:
		if o.Status.Payable() && after.CaptureMode == payments.CaptureReserve {
			next, settled = StatusReserved, true
		}
	case payments.StatusCaptured, payments.StatusPartiallyCaptured:
		if o.Status.Payable() || o.Status == StatusReserved || o.Status == StatusExpired {
			settled = o.Status.Payable() || o.Status == StatusExpired
			next = StatusPaid
		}
	case payments.StatusPartiallyRefunded:
		if o.Status == StatusPaid || o.Status == StatusPartiallyRefunded {
			next = StatusPartiallyRefunded
		}
	case payments.StatusRefunded:
		if o.Status == StatusPaid || o.Status == StatusPartiallyRefunded {
			next = StatusRefunded
		}
	case payments.StatusExpired:
		if o.Status == StatusReserved {
			next = StatusExpired
		}
	case payments.StatusVoided:
		if o.Status == StatusReserved {
			next = StatusCancelled
		}
	}
	now := s.now().UTC()
	paid := max(o.AmountPaid, after.AmountCaptured)
	refunded := max(o.AmountRefunded, after.AmountRefunded)
	if next == o.Status && paid == o.AmountPaid && refunded == o.AmountRefunded {
		return nil
	}
	if next == StatusPaid && o.PaidAt == nil {
		o.PaidAt = &now
	}
	if settled && o.SettledByPaymentID == nil {
		o.SettledByPaymentID = &after.ID
	}
	from := o.Status
	o.Status, o.AmountPaid, o.AmountRefunded, o.UpdatedAt = next, paid, refunded, now
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = $2, amount_paid = $3, amount_refunded = $4, paid_at = $5, updated_at = $6,
		  settled_by_payment_id = $7 WHERE id = $1`,
		o.ID, o.Status, o.AmountPaid, o.AmountRefunded, o.PaidAt, now, o.SettledByPaymentID); err != nil {
		return err
	}
	if settled {
		// The link that took the payment is used up (a reusable one goes on).
		if _, err := tx.ExecContext(ctx, `UPDATE payment_links SET status = 'PAID', paid_at = $2
			WHERE order_id = $1 AND status = 'ACTIVE' AND kind <> 'REUSABLE'`, o.ID, now); err != nil {
			return err
		}
		if err := s.sendPaidEmails(ctx, tx, o, after); err != nil {
			return err
		}
	}
	if err := s.statusChanged(ctx, tx, from, o); err != nil {
		return err
	}
	return s.notify(ctx, tx, o)
}
