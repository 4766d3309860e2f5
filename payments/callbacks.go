package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/gid"
	"kassa/text"
)

// ErrUnknownProcessor is returned for a callback to a processor kassa does
// not use.
var ErrUnknownProcessor = errors.New("payments: unknown processor")

// ErrBadCallbackBody is returned for a callback whose body is not an event
// kassa can read (empty, not JSON, or text PostgreSQL cannot store): the
// sender's fault, answered 4xx, never retried as kassa's own failure.
var ErrBadCallbackBody = errors.New("payments: callback body is not a valid event")

// knownEvents are the event types that change a payment.
var knownEvents = map[string]bool{
	"payment.requires_action": true, "payment.authorized": true, "payment.captured": true,
	"payment.failed": true, "payment.voided": true, "payment.refunded": true, "payment.expired": true,
}

// HandleCallback verifies and applies a processor callback.
//
// Errors: ErrUnknownProcessor; ErrBadSignature, ErrBadCallbackBody
// (nothing changed). Any other error is kassa's own failure: answer 5xx so
// the processor retries.
func (s *Service) HandleCallback(ctx context.Context, processor string, header http.Header, body []byte) error {
	proc := s.processors[processor]
	if proc == nil {
		return ErrUnknownProcessor
	}
	events, err := proc.ParseCallback(header, body)
	if err != nil {
		// By the Processor contract every other parse error is the body's.
		if errors.Is(err, ErrBadSignature) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrBadCallbackBody, err)
	}
	for _, ev := range events {
		if !text.Storable(ev.ID, ev.Type, ev.ProcessorRef, ev.Snapshot.Currency, ev.Snapshot.FailureCode, ev.Snapshot.FailureMessage,
			ev.Snapshot.ThreeDS, ev.Snapshot.MandateToken, ev.Snapshot.Card.Brand, ev.Snapshot.Card.Last4) {
			return fmt.Errorf("%w: text that is not UTF-8 or contains NUL", ErrBadCallbackBody)
		}
	}
	for _, ev := range events {
		if err := s.applyEvent(ctx, proc.Name(), ev); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) applyEvent(ctx context.Context, processor string, ev Event) error {
	if !knownEvents[ev.Type] {
		s.log.InfoContext(ctx, "callback event ignored", "processor", processor, "event_id", ev.ID, "type", ev.Type)
		return nil
	}
	// Which merchant's payment is it? A processor that echoes kassa's ids
	// says so (its signature vouches for them, and the merchant's policy
	// applies to everything that follows); otherwise it is the one
	// cross-tenant read of a callback.
	var ref struct {
		MerchantID gid.MerchantID `db:"merchant_id"`
		ID         gid.PaymentID  `db:"id"`
	}
	if ev.MerchantID.UUID != uuid.Nil && ev.PaymentID != uuid.Nil {
		err := s.applyTo(ctx, processor, ev, ev.MerchantID, gid.Of[gid.PaymentID](ev.PaymentID))
		if !db.IsNoRows(err) {
			return err
		}
	}
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &ref, `
			SELECT merchant_id, id FROM payments
			WHERE processor = $1 AND (processor_ref = $2 OR id = $3)
			ORDER BY (processor_ref = $2) DESC NULLS LAST LIMIT 1`, processor, ev.ProcessorRef, ev.PaymentID)
	})
	if db.IsNoRows(err) {
		s.log.WarnContext(ctx, "callback for an unknown payment", "processor", processor, "event_id", ev.ID, "type", ev.Type, "processor_ref", ev.ProcessorRef)
		return nil
	}
	if err != nil {
		return err
	}
	return s.applyTo(ctx, processor, ev, ref.MerchantID, ref.ID)
}

// applyTo applies a verified event to one payment, under its merchant's
// policy, in one transaction with the event's record.
func (s *Service) applyTo(ctx context.Context, processor string, ev Event, merchantID gid.MerchantID, paymentID gid.PaymentID) error {
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var before Payment
		if err := tx.GetContext(ctx, &before, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 AND processor = $2 FOR UPDATE`, paymentID, processor); err != nil {
			return err
		}
		var seen bool
		if err := tx.GetContext(ctx, &seen, `SELECT EXISTS (SELECT 1 FROM payment_events WHERE processor = $1 AND processor_event_id = $2)`, processor, ev.ID); err != nil {
			return err
		}
		if seen {
			return nil
		}
		after := before
		if ev.ProcessorRef != "" && after.ProcessorRef == nil {
			after.ProcessorRef = strPtr(ev.ProcessorRef)
		}
		if ev.Snapshot.Amount != before.Amount || !strings.EqualFold(ev.Snapshot.Currency, before.Currency) {
			// Authentic but not what was asked for: never mark paid on it.
			s.log.ErrorContext(ctx, "callback amount does not match the payment", "payment_id", before.ID, "event_id", ev.ID,
				"expected_amount", before.Amount, "expected_currency", before.Currency, "amount", ev.Snapshot.Amount, "currency", ev.Snapshot.Currency)
			return s.store(ctx, tx, before, &after, "callback.amount_mismatch", "", &ev.Snapshot.Amount, &ev, Actor{})
		}
		merge(&after, ev.Snapshot)
		return s.store(ctx, tx, before, &after, ev.Type, "", nil, &ev, Actor{})
	})
	if db.ConstraintName(err) == "payment_events_processor_event_key" {
		return nil // a concurrent delivery of the same event won
	}
	return err
}
