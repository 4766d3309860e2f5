package payments

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
)

// Get returns a payment.
//
// Errors: fault.ErrNotFound.
func (s *Service) Get(ctx context.Context, merchantID gid.MerchantID, id gid.PaymentID) (Payment, error) {
	var p Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, id)
	})
	if db.IsNoRows(err) {
		return p, fault.NotFound("payment")
	}
	return p, err
}

// GetAs returns a payment as viewer may see it (rules.go): one it may not
// see is not found.
//
// Errors: fault.ErrNotFound.
func (s *Service) GetAs(ctx context.Context, viewer Actor, merchantID gid.MerchantID, id gid.PaymentID) (Payment, error) {
	p, err := s.Get(ctx, merchantID, id)
	if err == nil && !viewer.MaySee(p) {
		return Payment{}, fault.NotFound("payment")
	}
	return p, err
}

// Visible keeps the payments of ps that viewer may see (rules.go).
func Visible(viewer Actor, ps []Payment) []Payment {
	out := ps[:0:0]
	for _, p := range ps {
		if viewer.MaySee(p) {
			out = append(out, p)
		}
	}
	return out
}

// GetTx returns a payment inside the caller's transaction (of the
// payment's merchant).
//
// Errors: fault.ErrNotFound.
func GetTx(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) (Payment, error) {
	var p Payment
	err := tx.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, id)
	if db.IsNoRows(err) {
		return p, fault.NotFound("payment")
	}
	return p, err
}

// NoteTx records an event of kassa's own on a payment's timeline, inside
// the caller's transaction: what another domain decided about it (e.g. the
// order it was meant to pay was already paid).
func NoteTx(ctx context.Context, tx *sqlx.Tx, p Payment, typ, detail string) error {
	return recordEvent(ctx, tx, &p, typ, nil, nil, detail, Actor{})
}

// ByIDs loads payments by id.
func (s *Service) ByIDs(ctx context.Context, merchantID gid.MerchantID, ids []gid.PaymentID) (map[gid.PaymentID]Payment, error) {
	var ps []Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &ps, `SELECT `+paymentColumns+` FROM payments WHERE id IN (?)`, ids)
	})
	out := make(map[gid.PaymentID]Payment, len(ps))
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, err
}

// ByOrders loads the payments of orders, oldest first per order.
func (s *Service) ByOrders(ctx context.Context, merchantID gid.MerchantID, orderIDs []uuid.UUID) (map[uuid.UUID][]Payment, error) {
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
	CaptureMode         *CaptureMode
	Initiators          []Initiator
	// CreatedBy keeps the payments this staff member took (the terminal,
	// manual charges): a SALES viewer still sees only what rules.go lets
	// them see of a colleague's.
	CreatedBy   *uuid.UUID
	CreatedFrom *time.Time // createdAt >= this
	CreatedTo   *time.Time // createdAt < this
	// Viewer is who lists: only what it may see is listed (rules.go).
	Viewer Actor

	// OrderIDs, when not nil, keeps the payments of these orders (none
	// when empty): a customer's payments.
	OrderIDs []uuid.UUID
}

// List returns the merchant's payments, newest first.
func (s *Service) List(ctx context.Context, merchantID gid.MerchantID, f Filter, page db.Page) ([]Payment, bool, error) {
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
	if f.OrderIDs != nil {
		if len(f.OrderIDs) == 0 {
			where = append(where, "false")
		} else {
			where = append(where, "order_id IN (?)")
			args = append(args, f.OrderIDs)
		}
	}
	if f.CaptureBeforeAfter != nil {
		where = append(where, "capture_before >= ?")
		args = append(args, *f.CaptureBeforeAfter)
	}
	if f.CaptureBeforeBefore != nil {
		where = append(where, "capture_before < ?")
		args = append(args, *f.CaptureBeforeBefore)
	}
	if f.CaptureMode != nil {
		where = append(where, "capture_mode = ?")
		args = append(args, string(*f.CaptureMode))
	}
	if len(f.Initiators) > 0 {
		is := make([]string, len(f.Initiators))
		for i, in := range f.Initiators {
			is[i] = string(in)
		}
		where = append(where, "initiator IN (?)")
		args = append(args, is)
	}
	if f.CreatedBy != nil {
		where = append(where, "created_by_user = ?")
		args = append(args, *f.CreatedBy)
	}
	if f.CreatedFrom != nil {
		where = append(where, "created_at >= ?")
		args = append(args, *f.CreatedFrom)
	}
	if f.CreatedTo != nil {
		where = append(where, "created_at < ?")
		args = append(args, *f.CreatedTo)
	}
	if !f.Viewer.known() {
		return nil, false, fault.ErrForbidden
	}
	if own := f.Viewer.seesOnlyOwnStaffPayments(); own != nil {
		where = append(where, "(initiator <> 'MERCHANT_MOTO' OR created_by_user = ?)")
		args = append(args, *own)
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
// soonest expiry first, as viewer may see them. after is the last payment
// of the previous page.
func (s *Service) Reservations(ctx context.Context, viewer Actor, merchantID gid.MerchantID, after *Payment, limit int) ([]Payment, bool, error) {
	if !viewer.known() {
		return nil, false, fault.ErrForbidden
	}
	own := uuid.Nil
	if u := viewer.seesOnlyOwnStaffPayments(); u != nil {
		own = *u
	}
	var ps []Payment
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if after == nil || after.CaptureBefore == nil {
			return tx.SelectContext(ctx, &ps, `SELECT `+paymentColumns+` FROM payments
				WHERE status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED') AND NOT expired AND NOT voided
				  AND ($2 = '00000000-0000-0000-0000-000000000000'::uuid OR initiator <> 'MERCHANT_MOTO' OR created_by_user = $2)
				ORDER BY capture_before, id LIMIT $1`, limit+1, own)
		}
		return tx.SelectContext(ctx, &ps, `SELECT `+paymentColumns+` FROM payments
			WHERE status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED') AND NOT expired AND NOT voided
			  AND (capture_before, id) > ($1, $2)
			  AND ($4 = '00000000-0000-0000-0000-000000000000'::uuid OR initiator <> 'MERCHANT_MOTO' OR created_by_user = $4)
			ORDER BY capture_before, id LIMIT $3`, *after.CaptureBefore, after.ID, limit+1, own)
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
func (s *Service) EventsByPayments(ctx context.Context, merchantID gid.MerchantID, paymentIDs []gid.PaymentID) (map[gid.PaymentID][]EventRecord, error) {
	var rows []struct {
		PaymentID gid.PaymentID `db:"payment_id"`
		EventRecord
	}
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &rows, `SELECT payment_id, id, type, amount, status, detail, processor_event_id, actor_user, actor_api_key, created_at
			FROM payment_events WHERE payment_id IN (?) ORDER BY id`, paymentIDs)
	})
	out := make(map[gid.PaymentID][]EventRecord, len(paymentIDs))
	for _, r := range rows {
		out[r.PaymentID] = append(out[r.PaymentID], r.EventRecord)
	}
	return out, err
}
