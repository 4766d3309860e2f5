package payments

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
)

// OpKind is a kind of operation on an authorization.
type OpKind string

// The operations on an authorization.
const (
	OpCapture OpKind = "CAPTURE"
	OpVoid    OpKind = "VOID"
	OpRefund  OpKind = "REFUND"
)

type operation struct {
	MerchantID gid.MerchantID `db:"merchant_id"`
	ID         uuid.UUID      `db:"id"`
	PaymentID  gid.PaymentID  `db:"payment_id"`
	Kind       OpKind         `db:"kind"`
	Amount     int64          `db:"amount"`
	Status     string         `db:"status"`
	Reason     string         `db:"reason"`
}

// Capture takes amount (nil: all that remains) of an authorization.
//
// A SALES member captures only what they may see (see rules.go).
//
// Errors: fault.ErrForbidden; fault.ErrNotFound; codes INVALID_AMOUNT,
// AMOUNT_TOO_LARGE, INVALID_STATE (not capturable now), RESERVATION_EXPIRED,
// CAPTURE_DECLINED, PROCESSOR_UNAVAILABLE.
func (s *Service) Capture(ctx context.Context, actor Actor, merchantID gid.MerchantID, paymentID gid.PaymentID, amount *int64) (Payment, error) {
	op, p, err := s.begin(ctx, actor, merchantID, paymentID, OpCapture, amount, "")
	if err != nil {
		return p, err
	}
	proc, err := s.processorOf(p)
	if err != nil {
		return p, err
	}
	resp, err := retry(ctx, func() (OperationResponse, error) {
		return proc.Capture(ctx, CaptureRequest{IdempotencyKey: IdempotencyKey("capture", op.ID), ProcessorRef: *p.ProcessorRef,
			Amount: op.Amount, Currency: p.Currency, Final: op.Amount == p.Remaining()})
	})
	return s.finish(ctx, actor, op, resp, err)
}

// Void releases an authorization with nothing captured.
//
// Only OWNER, ADMIN, API keys and kassa itself may void (see rules.go).
//
// Errors: fault.ErrForbidden; fault.ErrNotFound; codes INVALID_STATE,
// VOID_DECLINED, PROCESSOR_UNAVAILABLE.
func (s *Service) Void(ctx context.Context, actor Actor, merchantID gid.MerchantID, paymentID gid.PaymentID) (Payment, error) {
	op, p, err := s.begin(ctx, actor, merchantID, paymentID, OpVoid, nil, "")
	if err != nil {
		return p, err
	}
	proc, err := s.processorOf(p)
	if err != nil {
		return p, err
	}
	resp, err := retry(ctx, func() (OperationResponse, error) {
		return proc.Void(ctx, VoidRequest{IdempotencyKey: IdempotencyKey("void", op.ID), ProcessorRef: *p.ProcessorRef})
	})
	return s.finish(ctx, actor, op, resp, err)
}

// Refund returns amount (nil: all that is refundable) of what was captured.
//
// Only OWNER, ADMIN, API keys and kassa itself may refund (see rules.go).
//
// Errors: fault.ErrForbidden; fault.ErrNotFound; codes INVALID_AMOUNT,
// AMOUNT_TOO_LARGE, INVALID_STATE, INVALID_REASON, REFUND_DECLINED,
// PROCESSOR_UNAVAILABLE.
func (s *Service) Refund(ctx context.Context, actor Actor, merchantID gid.MerchantID, paymentID gid.PaymentID, amount *int64, reason string) (Payment, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 500 {
		return Payment{}, fault.Invalid("reason", ErrInvalidReason, "reason must be at most 500 characters")
	}
	op, p, err := s.begin(ctx, actor, merchantID, paymentID, OpRefund, amount, reason)
	if err != nil {
		return p, err
	}
	proc, err := s.processorOf(p)
	if err != nil {
		return p, err
	}
	resp, err := retry(ctx, func() (OperationResponse, error) {
		return proc.Refund(ctx, RefundRequest{IdempotencyKey: IdempotencyKey("refund", op.ID), ProcessorRef: *p.ProcessorRef,
			Amount: op.Amount, Currency: p.Currency, Reason: reason})
	})
	return s.finish(ctx, actor, op, resp, err)
}

func (s *Service) processorOf(p Payment) (Processor, error) {
	proc := s.processors[p.Processor]
	if proc == nil {
		return nil, errors.New("payments: processor " + p.Processor + " is not configured")
	}
	return proc, nil
}

// begin checks an operation against the payment under its row lock and
// records it PENDING, holding its amount against concurrent requests.
func (s *Service) begin(ctx context.Context, actor Actor, merchantID gid.MerchantID, paymentID gid.PaymentID, kind OpKind, amount *int64, reason string) (operation, Payment, error) {
	if !actor.known() || (kind != OpCapture && !actor.MayReverse()) {
		return operation{}, Payment{}, fault.ErrForbidden
	}
	if amount != nil && *amount <= 0 {
		return operation{}, Payment{}, fault.Invalid("amount", fault.ErrInvalidAmount, "amount must be positive (in minor units)")
	}
	var op operation
	var p Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 FOR UPDATE`, paymentID); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("payment")
			}
			return err
		}
		if !actor.MaySee(p) || (kind == OpCapture && !actor.MayCapture(p)) {
			p = Payment{}
			return fault.NotFound("payment")
		}
		// What pending operations hold, and what succeeded ones took. A
		// processor's snapshot may already count a capture or refund
		// whose answer kassa has not recorded yet, so the amount in use
		// is the larger of the payment's amount and succeeded + pending,
		// not their sum (which would refuse what is still available).
		var pending struct {
			Capture  int64 `db:"capture"`
			Refund   int64 `db:"refund"`
			Void     int64 `db:"void"`
			Captured int64 `db:"captured"`
			Refunded int64 `db:"refunded"`
		}
		if err := tx.GetContext(ctx, &pending, `
			SELECT coalesce(sum(amount) FILTER (WHERE kind = 'CAPTURE' AND status = 'PENDING'), 0) AS capture,
			       coalesce(sum(amount) FILTER (WHERE kind = 'REFUND' AND status = 'PENDING'), 0) AS refund,
			       count(*) FILTER (WHERE kind = 'VOID' AND status = 'PENDING') AS void,
			       coalesce(sum(amount) FILTER (WHERE kind = 'CAPTURE' AND status = 'SUCCEEDED'), 0) AS captured,
			       coalesce(sum(amount) FILTER (WHERE kind = 'REFUND' AND status = 'SUCCEEDED'), 0) AS refunded
			FROM payment_operations WHERE payment_id = $1 AND status IN ('PENDING', 'SUCCEEDED')`, paymentID); err != nil {
			return err
		}
		now := s.now().UTC()
		var available int64
		switch kind {
		case OpCapture:
			// A lapsed hold says so, whatever status the lapse left
			// behind (EXPIRED, or CAPTURED after a partial capture).
			if p.Expired && !p.Voided && p.Remaining() > 0 {
				return fault.Invalid("paymentId", ErrReservationExpired, "the reservation expired; it can no longer be captured")
			}
			if p.Status != StatusAuthorized && p.Status != StatusPartiallyCaptured || p.Voided || pending.Void > 0 {
				return fault.Invalid("paymentId", fault.ErrInvalidState, "a %s payment cannot be captured", strings.ToLower(string(p.Status)))
			}
			if p.Expired || (p.CaptureBefore != nil && !now.Before(*p.CaptureBefore)) {
				return fault.Invalid("paymentId", ErrReservationExpired, "the reservation expired; it can no longer be captured")
			}
			available = p.AmountAuthorized - max(p.AmountCaptured, pending.Captured+pending.Capture)
		case OpVoid:
			if p.Status != StatusAuthorized || pending.Capture > 0 || pending.Void > 0 {
				return fault.Invalid("paymentId", fault.ErrInvalidState, "only an authorized payment with nothing captured can be voided (this one is %s)", strings.ToLower(string(p.Status)))
			}
		case OpRefund:
			if p.Status != StatusCaptured && p.Status != StatusPartiallyCaptured && p.Status != StatusPartiallyRefunded {
				return fault.Invalid("paymentId", fault.ErrInvalidState, "a %s payment cannot be refunded", strings.ToLower(string(p.Status)))
			}
			available = p.AmountCaptured - max(p.AmountRefunded, pending.Refunded+pending.Refund)
		}
		if p.ProcessorRef == nil {
			return fault.Invalid("paymentId", fault.ErrInvalidState, "the payment is not known to the processor yet")
		}
		op = operation{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), PaymentID: paymentID, Kind: kind, Status: "PENDING", Reason: reason}
		if kind != OpVoid {
			op.Amount = available
			if amount != nil {
				op.Amount = *amount
			}
			if op.Amount > available || available <= 0 {
				return fault.Invalid("amount", fault.ErrAmountTooLarge, "at most %d can be %s", max(available, 0), map[OpKind]string{OpCapture: "captured", OpRefund: "refunded"}[kind])
			}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO payment_operations (merchant_id, id, payment_id, kind, amount, status, reason, created_by_user, created_by_api_key, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $7, $8, $9, $9)`,
			op.MerchantID, op.ID, op.PaymentID, op.Kind, op.Amount, op.Reason, actor.UserID, actor.APIKeyID, now)
		return err
	})
	return op, p, err
}

// opEvents name the event of an operation that succeeded, as the
// processors name theirs.
var opEvents = map[OpKind]string{OpCapture: "payment.captured", OpVoid: "payment.voided", OpRefund: "payment.refunded"}

// finish records the processor's answer to an operation. A decline fails
// the operation (its amount is free again); an unknown outcome leaves it
// PENDING for the sweep to retry with the same key.
func (s *Service) finish(ctx context.Context, actor Actor, op operation, resp OperationResponse, callErr error) (Payment, error) {
	var out Payment
	var decline *DeclineError
	err := s.db.InTenant(ctx, op.MerchantID, func(tx *sqlx.Tx) error {
		var before Payment
		if err := tx.GetContext(ctx, &before, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 FOR UPDATE`, op.PaymentID); err != nil {
			return err
		}
		var status string
		if err := tx.GetContext(ctx, &status, `SELECT status FROM payment_operations WHERE id = $1 FOR UPDATE`, op.ID); err != nil {
			return err
		}
		after := before
		now := s.now().UTC()
		switch {
		case callErr == nil:
			if status == "PENDING" {
				if _, err := tx.ExecContext(ctx, `UPDATE payment_operations SET status = 'SUCCEEDED', processor_op_ref = $2, attempts = attempts + 1, updated_at = $3 WHERE id = $1`,
					op.ID, resp.OperationRef, now); err != nil {
					return err
				}
			}
			if err := applySucceeded(ctx, tx, &after); err != nil {
				return err
			}
			if resp.Snapshot.Amount == after.Amount && resp.Snapshot.Currency == after.Currency {
				merge(&after, resp.Snapshot)
			}
			amt := op.Amount
			if err := s.store(ctx, tx, before, &after, opEvents[op.Kind], "", &amt, nil, actor); err != nil {
				return err
			}
			out = after
			return nil
		case errors.As(callErr, &decline):
			if _, err := tx.ExecContext(ctx, `UPDATE payment_operations SET status = 'FAILED', failure_code = $2, attempts = attempts + 1, updated_at = $3 WHERE id = $1 AND status = 'PENDING'`,
				op.ID, decline.Code, now); err != nil {
				return err
			}
			if decline.Code == "authorization_expired" && op.Kind == OpCapture && after.AmountCaptured == 0 {
				after.Expired = true
			}
			amt := op.Amount
			if err := s.store(ctx, tx, before, &after, "payment."+strings.ToLower(string(op.Kind))+"_declined", decline.Code, &amt, nil, actor); err != nil {
				return err
			}
			out = after
			return nil
		default:
			_, err := tx.ExecContext(ctx, `UPDATE payment_operations SET attempts = attempts + 1, updated_at = $2 WHERE id = $1`, op.ID, now)
			out = before
			return err
		}
	})
	if err != nil {
		return Payment{}, err
	}
	if callErr != nil {
		if decline != nil {
			code := map[OpKind]fault.Code{OpCapture: ErrCaptureDeclined, OpVoid: ErrVoidDeclined, OpRefund: ErrRefundDeclined}[op.Kind]
			if decline.Code == "authorization_expired" {
				code = ErrReservationExpired
			}
			return out, fault.Invalid("paymentId", code, "the processor declined: %s", decline.Code)
		}
		s.log.WarnContext(ctx, "processor unreachable", "payment_id", op.PaymentID, "operation", op.ID, "error", callErr)
		return out, fault.New(ErrProcessorUnavailable, "the card processor did not answer; the %s is pending and will be retried", strings.ToLower(string(op.Kind)))
	}
	return out, nil
}

// applySucceeded sets the payment's amounts from its succeeded operations
// (never lowering them).
func applySucceeded(ctx context.Context, tx *sqlx.Tx, p *Payment) error {
	var sums struct {
		Captured int64 `db:"captured"`
		Refunded int64 `db:"refunded"`
		Voided   bool  `db:"voided"`
	}
	if err := tx.GetContext(ctx, &sums, `
		SELECT coalesce(sum(amount) FILTER (WHERE kind = 'CAPTURE'), 0) AS captured,
		       coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0) AS refunded,
		       count(*) FILTER (WHERE kind = 'VOID') > 0 AS voided
		FROM payment_operations WHERE payment_id = $1 AND status = 'SUCCEEDED'`, p.ID); err != nil {
		return err
	}
	p.AmountCaptured = max(p.AmountCaptured, min(sums.Captured, p.AmountAuthorized))
	p.AmountRefunded = max(p.AmountRefunded, min(sums.Refunded, p.AmountCaptured))
	p.Voided = p.Voided || sums.Voided
	return nil
}

// RetryPending retries operations whose outcome is unknown (the processor
// did not answer), with their original keys, and returns how many it
// settled. The sweep calls it.
func (s *Service) RetryPending(ctx context.Context, olderThan time.Duration) (int, error) {
	var ops []operation
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &ops, `
			SELECT merchant_id, id, payment_id, kind, amount, status, reason FROM payment_operations
			WHERE status = 'PENDING' AND updated_at < $1 ORDER BY updated_at LIMIT 100`, s.now().UTC().Add(-olderThan))
	})
	if err != nil {
		return 0, err
	}
	settled := 0
	for _, op := range ops {
		p, err := s.Get(ctx, op.MerchantID, op.PaymentID)
		if err != nil || p.ProcessorRef == nil {
			continue
		}
		proc, err := s.processorOf(p)
		if err != nil {
			continue
		}
		var resp OperationResponse
		switch op.Kind {
		case OpCapture:
			resp, err = proc.Capture(ctx, CaptureRequest{IdempotencyKey: IdempotencyKey("capture", op.ID), ProcessorRef: *p.ProcessorRef, Amount: op.Amount, Currency: p.Currency})
		case OpVoid:
			resp, err = proc.Void(ctx, VoidRequest{IdempotencyKey: IdempotencyKey("void", op.ID), ProcessorRef: *p.ProcessorRef})
		case OpRefund:
			resp, err = proc.Refund(ctx, RefundRequest{IdempotencyKey: IdempotencyKey("refund", op.ID), ProcessorRef: *p.ProcessorRef, Amount: op.Amount, Currency: p.Currency, Reason: op.Reason})
		}
		if _, ferr := s.finish(ctx, Actor{}, op, resp, err); ferr == nil || errors.Is(err, ErrDeclined) {
			settled++
		}
	}
	return settled, nil
}
