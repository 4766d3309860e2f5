package orders

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

// Get returns an order with its lines.
//
// Errors: fault.ErrNotFound.
func (s *Service) Get(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Order, error) {
	m, err := s.ByIDs(ctx, merchantID, []uuid.UUID{id})
	if err != nil {
		return Order{}, err
	}
	o, ok := m[id]
	if !ok {
		return o, fault.NotFound("order")
	}
	return o, nil
}

// ByIDs loads orders with their lines: two queries whatever their number.
func (s *Service) ByIDs(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Order, error) {
	var os []Order
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q, args, err := sqlx.In(`SELECT `+orderColumns+` FROM orders WHERE id IN (?)`, ids)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &os, tx.Rebind(q), args...); err != nil {
			return err
		}
		return attachLines(ctx, tx, os)
	})
	out := make(map[uuid.UUID]Order, len(os))
	for _, o := range os {
		out[o.ID] = o
	}
	return out, err
}

func attachLines(ctx context.Context, tx *sqlx.Tx, os []Order) error {
	if len(os) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(os))
	idx := make(map[uuid.UUID]int, len(os))
	for i, o := range os {
		ids[i] = o.ID
		idx[o.ID] = i
	}
	var rows []struct {
		OrderID uuid.UUID `db:"order_id"`
		Line
	}
	q, args, err := sqlx.In(`SELECT order_id, position, description, quantity, unit_price, vat_rate, net, vat, gross
		FROM order_lines WHERE order_id IN (?) ORDER BY order_id, position`, ids)
	if err != nil {
		return err
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return err
	}
	for _, r := range rows {
		i := idx[r.OrderID]
		os[i].Lines = append(os[i].Lines, r.Line)
	}
	return nil
}

// Filter narrows List.
type Filter struct {
	Statuses      []Status
	CustomerEmail string
	CreatedFrom   *time.Time
	CreatedTo     *time.Time
	// Search matches words of the number, customer, reference and lines.
	Search string
	// CustomerID keeps one customer's orders; CreatedBy those a member
	// created (a SALES member's view of a customer, customers.go).
	CustomerID *uuid.UUID
	CreatedBy  *uuid.UUID
}

// List returns orders with their lines, newest first.
func (s *Service) List(ctx context.Context, merchantID gid.MerchantID, f Filter, page db.Page) ([]Order, bool, error) {
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
	if f.CustomerEmail != "" {
		where = append(where, "lower(customer_email) = lower(?)")
		args = append(args, f.CustomerEmail)
	}
	if f.CustomerID != nil {
		where = append(where, "customer_id = ?")
		args = append(args, *f.CustomerID)
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
	if q := strings.TrimSpace(f.Search); q != "" {
		if len(q) > 200 {
			q = q[:200]
		}
		where = append(where, "to_tsvector('simple', search) @@ plainto_tsquery('simple', ?)")
		args = append(args, q)
	}
	args = append(args, page.Fetch())
	var os []Order
	var more bool
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q, a, err := sqlx.In(`SELECT `+orderColumns+` FROM orders WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &os, tx.Rebind(q), a...); err != nil {
			return err
		}
		os, more = db.Trim(page, os)
		return attachLines(ctx, tx, os)
	})
	return os, more, err
}
