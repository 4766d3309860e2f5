package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
)

// Event is one thing that happened, as delivered.
type Event struct {
	MerchantID gid.MerchantID `db:"merchant_id"`
	ID         uuid.UUID      `db:"id"`
	Type       EventType      `db:"type"`
	Body       string         `db:"body"`
	CreatedAt  time.Time      `db:"created_at"`
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// The states of a delivery.
const (
	DeliveryPending   DeliveryStatus = "PENDING" // being tried, or waiting for its next attempt
	DeliverySucceeded DeliveryStatus = "SUCCEEDED"
	DeliveryFailed    DeliveryStatus = "FAILED" // gave up: retries exhausted, 410, or the endpoint was disabled
)

// Delivery is one event to one endpoint.
type Delivery struct {
	MerchantID       gid.MerchantID `db:"merchant_id"`
	ID               uuid.UUID      `db:"id"`
	EndpointID       uuid.UUID      `db:"endpoint_id"`
	EventID          uuid.UUID      `db:"event_id"`
	EventType        EventType      `db:"event_type"`
	Status           DeliveryStatus `db:"status"`
	Attempts         int            `db:"attempts"`
	Failures         int            `db:"failures"`
	LastResponseCode *int           `db:"last_response_code"`
	LastError        *string        `db:"last_error"`
	LastAttemptAt    *time.Time     `db:"last_attempt_at"`
	NextAttemptAt    *time.Time     `db:"next_attempt_at"`
	DeliveredAt      *time.Time     `db:"delivered_at"`
	CreatedAt        time.Time      `db:"created_at"`
}

const deliveryColumns = `d.merchant_id, d.id, d.endpoint_id, d.event_id, e.type AS event_type, d.status, d.attempts, d.failures,
	d.last_response_code, d.last_error, d.last_attempt_at, d.next_attempt_at, d.delivered_at, d.created_at`

const deliveryFrom = ` FROM webhook_deliveries d JOIN webhook_events e ON e.merchant_id = d.merchant_id AND e.id = d.event_id`

// DeliverArgs is the job that makes one attempt at a delivery.
type DeliverArgs struct {
	MerchantID gid.MerchantID `json:"merchant_id"`
	DeliveryID uuid.UUID      `json:"delivery_id"`
}

// Kind names the job.
func (DeliverArgs) Kind() string { return "webhooks.deliver" }

// envelope is a delivery's body (Standard Webhooks' recommended shape).
type envelope struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// EmitTx records an event of type t with data (marshalled to JSON) in tx
// and queues its delivery to every enabled endpoint of the merchant that
// subscribes to t: all of it commits with tx or not at all. It returns the
// event's id, or uuid.Nil when no endpoint wants it (nothing is stored).
func (s *Service) EmitTx(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, t EventType, data any) (uuid.UUID, error) {
	if !t.Known() {
		return uuid.Nil, fmt.Errorf("webhooks: emit of unregistered event type %q", t)
	}
	var endpoints []uuid.UUID
	if err := tx.SelectContext(ctx, &endpoints, `SELECT id FROM webhook_endpoints
		WHERE merchant_id = $1 AND status = 'ENABLED' AND $2 = ANY (events) ORDER BY id`, merchantID, string(t)); err != nil {
		return uuid.Nil, err
	}
	if len(endpoints) == 0 {
		return uuid.Nil, nil
	}
	now := s.now().UTC()
	body, err := json.Marshal(envelope{Type: t.Dotted(), Timestamp: now.Truncate(time.Millisecond), Data: data})
	if err != nil {
		return uuid.Nil, fmt.Errorf("webhooks: marshal %s: %w", t, err)
	}
	ev := uuid.Must(uuid.NewV7())
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (merchant_id, id, type, body, created_at) VALUES ($1, $2, $3, $4, $5)`,
		merchantID, ev, string(t), string(body), now); err != nil {
		return uuid.Nil, err
	}
	for _, ep := range endpoints {
		id := uuid.Must(uuid.NewV7())
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO webhook_deliveries (merchant_id, id, endpoint_id, event_id, status, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, 'PENDING', $5, $5)`, merchantID, id, ep, ev, now); err != nil {
			return uuid.Nil, err
		}
		if err := s.jobs.InsertTx(ctx, tx, DeliverArgs{MerchantID: merchantID, DeliveryID: id}, &river.InsertOpts{MaxAttempts: 25}); err != nil {
			return uuid.Nil, err
		}
	}
	return ev, nil
}

// Wants reports whether any enabled endpoint of the merchant subscribes to
// t, so a caller can skip building an event no one receives.
func (s *Service) Wants(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, t EventType) (bool, error) {
	var ok bool
	err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints
		WHERE merchant_id = $1 AND status = 'ENABLED' AND $2 = ANY (events))`, merchantID, string(t))
	return ok, err
}

// DeliveryFilter narrows Deliveries.
type DeliveryFilter struct {
	EndpointID *uuid.UUID
	EventID    *uuid.UUID
	Statuses   []DeliveryStatus
}

// Deliveries lists deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, merchantID gid.MerchantID, f DeliveryFilter, page db.Page) ([]Delivery, bool, error) {
	where := "d.id < ?"
	args := []any{page.AfterOrMax()}
	if f.EndpointID != nil {
		where += " AND d.endpoint_id = ?"
		args = append(args, *f.EndpointID)
	}
	if f.EventID != nil {
		where += " AND d.event_id = ?"
		args = append(args, *f.EventID)
	}
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ss[i] = string(st)
		}
		where += " AND d.status IN (?)"
		args = append(args, ss)
	}
	args = append(args, page.Fetch())
	var ds []Delivery
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q, a, err := sqlx.In(`SELECT `+deliveryColumns+deliveryFrom+` WHERE `+where+` ORDER BY d.id DESC LIMIT ?`, args...)
		if err != nil {
			return err
		}
		return tx.SelectContext(ctx, &ds, tx.Rebind(q), a...)
	})
	ds, more := db.Trim(page, ds)
	return ds, more, err
}

// DeliveriesByID loads deliveries by id.
func (s *Service) DeliveriesByID(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Delivery, error) {
	var ds []Delivery
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q, args, err := sqlx.In(`SELECT `+deliveryColumns+deliveryFrom+` WHERE d.id IN (?)`, ids)
		if err != nil {
			return err
		}
		return tx.SelectContext(ctx, &ds, tx.Rebind(q), args...)
	})
	out := make(map[uuid.UUID]Delivery, len(ds))
	for _, d := range ds {
		out[d.ID] = d
	}
	return out, err
}

// EventsByID loads events by id.
func (s *Service) EventsByID(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Event, error) {
	var es []Event
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &es, `SELECT merchant_id, id, type, body, created_at FROM webhook_events WHERE id IN (?)`, ids)
	})
	out := make(map[uuid.UUID]Event, len(es))
	for _, e := range es {
		out[e.ID] = e
	}
	return out, err
}

// Redeliver sends a finished delivery again: the same event, body and
// webhook-id, with a fresh retry schedule.
//
// Errors: fault.ErrNotFound; codes DELIVERY_PENDING (it is still being
// tried), ENDPOINT_DISABLED.
func (s *Service) Redeliver(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Delivery, error) {
	var d Delivery
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var status DeliveryStatus
		var endpointStatus EndpointStatus
		err := tx.QueryRowxContext(ctx, `SELECT d.status, w.status FROM webhook_deliveries d
			JOIN webhook_endpoints w ON w.merchant_id = d.merchant_id AND w.id = d.endpoint_id
			WHERE d.id = $1 FOR UPDATE OF d`, id).Scan(&status, &endpointStatus)
		if db.IsNoRows(err) {
			return fault.NotFound("webhook delivery")
		}
		if err != nil {
			return err
		}
		if status == DeliveryPending {
			return fault.Invalid("deliveryId", ErrDeliveryPending, "the delivery is still being tried")
		}
		if endpointStatus != EndpointEnabled {
			return fault.Invalid("deliveryId", ErrEndpointDisabled, "the endpoint is disabled; enable it first")
		}
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'PENDING', failures = 0, next_attempt_at = $2 WHERE id = $1`, id, now); err != nil {
			return err
		}
		if err := s.jobs.InsertTx(ctx, tx, DeliverArgs{MerchantID: merchantID, DeliveryID: id}, &river.InsertOpts{MaxAttempts: 25}); err != nil {
			return err
		}
		return tx.GetContext(ctx, &d, `SELECT `+deliveryColumns+deliveryFrom+` WHERE d.id = $1`, id)
	})
	return d, err
}
