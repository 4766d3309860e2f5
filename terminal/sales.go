package terminal

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/payments"
)

// Sale is a payment taken at the terminal, with who took it.
type Sale struct {
	// ID orders sales (newest first) and is the cursor of lists.
	ID            uuid.UUID
	Payment       payments.Payment
	TakenByUser   *uuid.UUID
	TakenByAPIKey *uuid.UUID
}

// TakenBy reports whether the person p took the sale.
func (s Sale) TakenBy(p *auth.Principal) bool {
	return p != nil && !p.IsAPIKey() && s.TakenByUser != nil && *s.TakenByUser == p.UserID
}

type saleRow struct {
	ID            uuid.UUID     `db:"id"`
	PaymentID     gid.PaymentID `db:"payment_id"`
	TakenByUser   *uuid.UUID    `db:"taken_by_user"`
	TakenByAPIKey *uuid.UUID    `db:"taken_by_api_key"`
	CreatedAt     time.Time     `db:"created_at"`
}

// ListFilter narrows List.
type ListFilter struct {
	// TakenBy keeps the sales of one person.
	TakenBy *uuid.UUID
}

// List returns the terminal's sales, newest first, for p: OWNER, ADMIN
// and API keys see everyone's, SALES only their own (asking for someone
// else's gives nothing).
//
// Errors: fault.ErrForbidden.
func (s *Service) List(ctx context.Context, p *auth.Principal, f ListFilter, page db.Page) ([]Sale, bool, error) {
	if !MayUse(p) {
		return nil, false, fault.ErrForbidden
	}
	if !SeesAll(p) {
		if f.TakenBy != nil && *f.TakenBy != p.UserID {
			return nil, false, nil
		}
		me := p.UserID
		f.TakenBy = &me
	}
	where := []string{"id < ?"}
	args := []any{page.AfterOrMax()}
	if f.TakenBy != nil {
		where = append(where, "taken_by_user = ?")
		args = append(args, *f.TakenBy)
	}
	args = append(args, page.Fetch())
	var rows []saleRow
	err := s.db.InTenant(ctx, p.MerchantID, func(tx *sqlx.Tx) error {
		q := `SELECT id, payment_id, taken_by_user, taken_by_api_key, created_at FROM terminal_payments
			WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ?`
		return tx.SelectContext(ctx, &rows, tx.Rebind(q), args...)
	})
	if err != nil {
		return nil, false, err
	}
	rows, more := db.Trim(page, rows)
	if len(rows) == 0 {
		return nil, more, nil
	}
	ids := make([]gid.PaymentID, len(rows))
	for i, r := range rows {
		ids[i] = r.PaymentID
	}
	ps, err := s.pay.ByIDs(ctx, p.MerchantID, ids)
	if err != nil {
		return nil, false, err
	}
	out := make([]Sale, 0, len(rows))
	for _, r := range rows {
		// A sale whose payment never came to exist (the process stopped
		// between the two writes) has nothing to show.
		if pay, ok := ps[r.PaymentID]; ok {
			out = append(out, Sale{ID: r.ID, Payment: pay, TakenByUser: r.TakenByUser, TakenByAPIKey: r.TakenByAPIKey})
		}
	}
	return out, more, nil
}

// Get returns the sale of a payment as p may see it: SALES see only their
// own.
//
// Errors: fault.ErrForbidden; fault.ErrNotFound (also for a payment not
// taken at the terminal, or another's for SALES).
func (s *Service) Get(ctx context.Context, p *auth.Principal, paymentID gid.PaymentID) (Sale, error) {
	if !MayUse(p) {
		return Sale{}, fault.ErrForbidden
	}
	var r saleRow
	err := s.db.InTenant(ctx, p.MerchantID, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &r, `SELECT id, payment_id, taken_by_user, taken_by_api_key, created_at FROM terminal_payments WHERE payment_id = $1`, paymentID)
	})
	if db.IsNoRows(err) {
		return Sale{}, fault.NotFound("payment")
	}
	if err != nil {
		return Sale{}, err
	}
	sale := Sale{ID: r.ID, TakenByUser: r.TakenByUser, TakenByAPIKey: r.TakenByAPIKey}
	if !SeesAll(p) && !sale.TakenBy(p) {
		return Sale{}, fault.NotFound("payment")
	}
	if sale.Payment, err = s.pay.Get(ctx, p.MerchantID, paymentID); err != nil {
		return Sale{}, err
	}
	return sale, nil
}

// Capture takes amount (nil: all that remains) of a reserved terminal
// payment. Anyone at the terminal may capture what they may see.
//
// Errors: those of Get and payments.Service.Capture.
func (s *Service) Capture(ctx context.Context, p *auth.Principal, paymentID gid.PaymentID, amount *int64) (payments.Payment, error) {
	if _, err := s.Get(ctx, p, paymentID); err != nil {
		return payments.Payment{}, err
	}
	return s.pay.Capture(ctx, actorOf(p), p.MerchantID, paymentID, amount)
}

// Void releases a reserved terminal payment (OWNER, ADMIN).
//
// Errors: fault.ErrForbidden; those of Get and payments.Service.Void.
func (s *Service) Void(ctx context.Context, p *auth.Principal, paymentID gid.PaymentID) (payments.Payment, error) {
	if !MayReverse(p) {
		return payments.Payment{}, fault.ErrForbidden
	}
	if _, err := s.Get(ctx, p, paymentID); err != nil {
		return payments.Payment{}, err
	}
	return s.pay.Void(ctx, actorOf(p), p.MerchantID, paymentID)
}

// Refund returns amount (nil: all that is refundable) of a terminal
// payment (OWNER, ADMIN).
//
// Errors: fault.ErrForbidden; those of Get and payments.Service.Refund.
func (s *Service) Refund(ctx context.Context, p *auth.Principal, paymentID gid.PaymentID, amount *int64, reason string) (payments.Payment, error) {
	if !MayReverse(p) {
		return payments.Payment{}, fault.ErrForbidden
	}
	if _, err := s.Get(ctx, p, paymentID); err != nil {
		return payments.Payment{}, err
	}
	return s.pay.Refund(ctx, actorOf(p), p.MerchantID, paymentID, amount, reason)
}

// Users returns the merchant's members by id (names for lists).
func (s *Service) Users(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]auth.User, error) {
	if len(ids) == 0 {
		return map[uuid.UUID]auth.User{}, nil
	}
	return s.auth.UsersByID(ctx, merchantID, ids)
}

// History is the payment's events, oldest first.
func (s *Service) History(ctx context.Context, merchantID gid.MerchantID, paymentID gid.PaymentID) ([]payments.EventRecord, error) {
	evs, err := s.pay.EventsByPayments(ctx, merchantID, []gid.PaymentID{paymentID})
	return evs[paymentID], err
}
