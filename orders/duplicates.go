package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"kassa/fault"
	"kassa/gid"
	"kassa/payments"
)

// An order is paid once. Starting a checkout admits one live attempt at a
// time (claimAttempt), but an attempt can still be authorized after it was
// superseded (a 3-D Secure challenge completed in a forgotten tab) or after
// the order was paid, cancelled or settled otherwise. Such an authorization
// is a duplicate: it never moves the order, it is recorded on the payment's
// timeline, announced to the merchant, and reversed by a durable job
// queued in the same transaction: voided while only authorized, refunded
// once captured.

// duplicate reports whether p, just authorized, must not pay o.
func (s *Service) duplicate(o Order, p payments.Payment) bool {
	switch {
	case o.SettledByPaymentID != nil:
		return *o.SettledByPaymentID != p.ID && p.Initiator != payments.InitiatorMerchantMOTO
	case !o.Status.Payable():
		// Cancelled (or otherwise closed) while the customer was paying.
		return p.Initiator != payments.InitiatorMerchantMOTO
	case p.Initiator == payments.InitiatorCustomer && o.PaymentAttemptID != nil:
		return *o.PaymentAttemptID != p.ID
	}
	return false
}

// DuplicateListener is told, inside the payment's transaction, of a payment
// that will be reversed because its order was paid otherwise.
type DuplicateListener func(ctx context.Context, tx *sqlx.Tx, o Order, p payments.Payment) error

// OnDuplicate registers l. Register listeners before serving.
func (s *Service) OnDuplicate(l DuplicateListener) {
	s.duplicateListeners = append(s.duplicateListeners, l)
}

func (s *Service) reverseDuplicate(ctx context.Context, tx *sqlx.Tx, o Order, p payments.Payment) error {
	why := fmt.Sprintf("order %d was already paid, cancelled or being paid by another payment: this payment is reversed", o.Number)
	if o.SettledByPaymentID == nil && !o.Status.Payable() {
		why = fmt.Sprintf("order %d is %s: this payment is reversed", o.Number, o.Status)
	}
	s.log.WarnContext(ctx, "duplicate payment for an order: reversing it", "order_id", o.ID, "payment_id", p.ID)
	if err := payments.NoteTx(ctx, tx, p, "payment.duplicate", why); err != nil {
		return err
	}
	if s.cfg.Jobs == nil {
		return errors.New("orders: no job queue to reverse a duplicate payment")
	}
	if err := s.cfg.Jobs.InsertTx(ctx, tx, ReverseArgs{MerchantID: o.MerchantID, PaymentID: p.ID, OrderID: o.ID},
		&river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
		return err
	}
	for _, l := range s.duplicateListeners {
		if err := l(ctx, tx, o, p); err != nil {
			return err
		}
	}
	return s.notify(ctx, tx, o)
}

// ReverseArgs is the job that gives back a duplicate payment's money.
type ReverseArgs struct {
	MerchantID gid.MerchantID `json:"merchant_id"`
	PaymentID  gid.PaymentID  `json:"payment_id"`
	OrderID    uuid.UUID      `json:"order_id"`
}

// Kind names the job.
func (ReverseArgs) Kind() string { return "orders.reverse_duplicate" }

type reverseWorker struct {
	river.WorkerDefaults[ReverseArgs]
	s *Service
}

// captureWait is how long a duplicate IMMEDIATE payment that is only
// authorized waits for the capture the processor is making (then it is
// refunded); past it, the authorization is voided instead.
const captureWait = time.Minute

func (w *reverseWorker) Work(ctx context.Context, job *river.Job[ReverseArgs]) error {
	a := job.Args
	p, err := w.s.pay.Get(ctx, a.MerchantID, a.PaymentID)
	if err != nil {
		return err
	}
	const reason = "duplicate payment: the order was paid once already"
	switch {
	case p.Refundable() > 0:
		_, err = w.s.pay.Refund(ctx, payments.System, a.MerchantID, p.ID, nil, reason)
	case p.Status == payments.StatusAuthorized && p.CaptureMode == payments.CaptureImmediate && w.s.now().Sub(p.UpdatedAt) < captureWait:
		return river.JobSnooze(2 * time.Second)
	case p.Status == payments.StatusAuthorized:
		_, err = w.s.pay.Void(ctx, payments.System, a.MerchantID, p.ID)
	default:
		return nil // nothing held any more: voided, expired, refunded
	}
	if err != nil {
		if f, ok := fault.As(err); ok {
			return fmt.Errorf("reverse duplicate payment %s: %s: %w", p.ID, f.Code, err)
		}
		return err
	}
	p, err = w.s.pay.Get(ctx, a.MerchantID, a.PaymentID)
	if err != nil {
		return err
	}
	if p.Refundable() > 0 || p.Capturable() > 0 {
		return fmt.Errorf("duplicate payment %s still holds money (%s)", p.ID, p.Status)
	}
	return nil
}
