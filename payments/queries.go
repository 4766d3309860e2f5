package payments

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
)

// Get returns a payment.
//
// Errors: fault.ErrNotFound.
func (s *Service) Get(ctx context.Context, merchantID, id uuid.UUID) (Payment, error) {
	var p Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, id)
	})
	if db.IsNoRows(err) {
		return p, fault.NotFound("payment")
	}
	return p, err
}

// ByIDs loads payments by id.
func (s *Service) ByIDs(ctx context.Context, merchantID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Payment, error) {
	var ps []Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &ps, `SELECT `+paymentColumns+` FROM payments WHERE id IN (?)`, ids)
	})
	out := make(map[uuid.UUID]Payment, len(ps))
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, err
}

// ByOrders loads the payments of orders, oldest first per order.
func (s *Service) ByOrders(ctx context.Context, merchantID uuid.UUID, orderIDs []uuid.UUID) (map[uuid.UUID][]Payment, error) {
	var ps []Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &ps, `SELECT `+paymentColumns+` FROM payments WHERE order_id IN (?) ORDER BY id`, orderIDs)
	})
	out := make(map[uuid.UUID][]Payment, len(orderIDs))
	for _, p := range ps {
		out[*p.OrderID] = append(out[*p.OrderID], p)
	}
	return out, err
}

// Filter narrows List.
type Filter struct {
	Statuses            []Status
	OrderID             *uuid.UUID
	CaptureBeforeAfter  *time.Time // captureBefore >= this
	CaptureBeforeBefore *time.Time // captureBefore < this
}

// List returns the merchant's payments, newest first.
func (s *Service) List(ctx context.Context, merchantID uuid.UUID, f Filter, page db.Page) ([]Payment, bool, error) {
	where := []string{"id < ?"}
	args := []any{page.AfterOrMax()}
	if len(f.Statuses) > 0 {
		ss := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ss[i] = string(st)
		}
		where = append(where, "status IN (?)")
		args = append(args, ss)
	}
	if f.OrderID != nil {
		where = append(where, "order_id = ?")
		args = append(args, *f.OrderID)
	}
	if f.CaptureBeforeAfter != nil {
		where = append(where, "capture_before >= ?")
		args = append(args, *f.CaptureBeforeAfter)
	}
	if f.CaptureBeforeBefore != nil {
		where = append(where, "capture_before < ?")
		args = append(args, *f.CaptureBeforeBefore)
	}
	args = append(args, page.Fetch())
	var ps []Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q, a, err := sqlx.In(`SELECT `+paymentColumns+` FROM payments WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
		if err != nil {
			return err
		}
		return tx.SelectContext(ctx, &ps, tx.Rebind(q), a...)
	})
	ps, more := db.Trim(page, ps)
	return ps, more, err
}

// Reservations returns open authorizations (something left to capture),
// soonest expiry first. after is the last payment of the previous page.
func (s *Service) Reservations(ctx context.Context, merchantID uuid.UUID, after *Payment, limit int) ([]Payment, bool, error) {
	var ps []Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if after == nil || after.CaptureBefore == nil {
			return tx.SelectContext(ctx, &ps, `SELECT `+paymentColumns+` FROM payments
				WHERE status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED') AND NOT expired AND NOT voided
				ORDER BY capture_before, id LIMIT $1`, limit+1)
		}
		return tx.SelectContext(ctx, &ps, `SELECT `+paymentColumns+` FROM payments
			WHERE status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED') AND NOT expired AND NOT voided
			  AND (capture_before, id) > ($1, $2)
			ORDER BY capture_before, id LIMIT $3`, *after.CaptureBefore, after.ID, limit+1)
	})
	if len(ps) > limit {
		return ps[:limit], true, err
	}
	return ps, false, err
}

// EventRecord is one entry of a payment's history.
type EventRecord struct {
	ID               uuid.UUID  `db:"id"`
	Type             string     `db:"type"`
	Amount           *int64     `db:"amount"`
	Status           Status     `db:"status"`
	Detail           string     `db:"detail"`
	ProcessorEventID *string    `db:"processor_event_id"`
	ActorUser        *uuid.UUID `db:"actor_user"`
	ActorAPIKey      *uuid.UUID `db:"actor_api_key"`
	CreatedAt        time.Time  `db:"created_at"`
}

// EventsByPayments returns the histories of several payments, oldest first.
func (s *Service) EventsByPayments(ctx context.Context, merchantID uuid.UUID, paymentIDs []uuid.UUID) (map[uuid.UUID][]EventRecord, error) {
	var rows []struct {
		PaymentID uuid.UUID `db:"payment_id"`
		EventRecord
	}
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &rows, `SELECT payment_id, id, type, amount, status, detail, processor_event_id, actor_user, actor_api_key, created_at
			FROM payment_events WHERE payment_id IN (?) ORDER BY id`, paymentIDs)
	})
	out := make(map[uuid.UUID][]EventRecord, len(paymentIDs))
	for _, r := range rows {
		out[r.PaymentID] = append(out[r.PaymentID], r.EventRecord)
	}
	return out, err
}
