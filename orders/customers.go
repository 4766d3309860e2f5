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
	"kassa/mailer"
	"kassa/money"
	"kassa/payments"
)

// CustomerRecord is a customer as a record of its own: one per merchant and
// email address (compared without case), or one per order that has no
// email. Name, phone and locale are the latest an order or subscription
// gave; each order keeps its own copy (Order.Customer), the record of what
// was agreed.
//
// Snapshot marks a CustomerRecord made from the fields copied onto one
// order or subscription (CustomerOf): ID names the record, but the other
// fields are that order's, and ActiveAt and CreatedAt are not loaded.
type CustomerRecord struct {
	MerchantID gid.MerchantID `db:"merchant_id"`
	ID         uuid.UUID      `db:"id"`
	Email      *string        `db:"email"`
	Name       string         `db:"name"`
	Phone      string         `db:"phone"`
	Locale     string         `db:"locale"`
	// ActiveAt is the newest order or subscription of the customer.
	ActiveAt  time.Time `db:"active_at"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`

	Snapshot bool `db:"-"`
}

const customerColumns = `merchant_id, id, email, name, phone, locale, active_at, created_at, updated_at`

// CustomerOf is the snapshot of the customer an order was made for: the
// record's id with the order's own copy of the fields.
func CustomerOf(o Order) CustomerRecord {
	return o.Customer().Snapshot(o.MerchantID, o.CustomerID)
}

// Snapshot is c, as copied onto an order, confirmation or subscription,
// as the customer record id.
func (c Customer) Snapshot(merchantID gid.MerchantID, id uuid.UUID) CustomerRecord {
	return CustomerRecord{MerchantID: merchantID, ID: id, Email: strPtr(c.Email), Name: c.Name, Phone: c.Phone, Locale: c.Locale, Snapshot: true}
}

// Who may see which customers. The rule has this one home; the billing
// service applies it to subscriptions, and payments.Actor's own rule
// (payments/rules.go) still applies to each payment listed.
//
//	viewer               customers                 of each customer
//	OWNER/ADMIN, API     all                       all orders, subscriptions,
//	key, kassa (System)                            payments, stored cards, emails
//	SALES (or a user     those with an order the   the orders and subscriptions
//	without a role)      member created            the member created, their
//	                                               payments as payments.Actor
//	                                               allows, the cards of those
//	                                               subscriptions; no emails
//	no one (customer)    none (FORBIDDEN)

// CustomerView is what one viewer may see of customers.
type CustomerView struct {
	all  bool
	user uuid.UUID
}

// CustomerViewOf applies the rule above to a.
//
// Errors: fault.ErrForbidden for an Actor that names no one.
func CustomerViewOf(a payments.Actor) (CustomerView, error) {
	switch {
	case !a.Known():
		return CustomerView{}, fault.ErrForbidden
	case a.Whole():
		return CustomerView{all: true}, nil
	case a.UserID == nil:
		return CustomerView{}, fault.ErrForbidden
	}
	return CustomerView{user: *a.UserID}, nil
}

// All reports whether the viewer sees every customer and all of each.
func (v CustomerView) All() bool { return v.all }

// OnlyCreatedBy is the member whose own orders and subscriptions alone the
// viewer sees (nil: no such restriction).
func (v CustomerView) OnlyCreatedBy() *uuid.UUID {
	if v.all {
		return nil
	}
	u := v.user
	return &u
}

// SeesEmails reports whether the viewer sees the emails sent to customers.
// A SALES member does not: the email log is the merchant's whole
// correspondence with the customer (receipts of colleagues' sales
// included), not only the member's.
func (v CustomerView) SeesEmails() bool { return v.all }

// upsertCustomerTx gets or creates the customer of c in tx and makes its
// name, phone and locale c's (latest wins; an empty name or phone does not
// erase a known one). Concurrent orders for one email meet on the unique
// constraint and both get the one customer.
func upsertCustomerTx(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, c Customer, at time.Time) (uuid.UUID, error) {
	id := uuid.Must(uuid.NewV7())
	if c.Email == "" {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO customers (merchant_id, id, name, phone, locale, active_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $6)`, merchantID, id, c.Name, c.Phone, c.Locale, at)
		return id, err
	}
	err := tx.GetContext(ctx, &id, `
		INSERT INTO customers (merchant_id, id, email, email_key, name, phone, locale, active_at, created_at, updated_at)
		VALUES ($1, $2, $3, lower($3), $4, $5, $6, $7, $7, $7)
		ON CONFLICT ON CONSTRAINT customers_email_key DO UPDATE SET
		  email = EXCLUDED.email,
		  name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE customers.name END,
		  phone = CASE WHEN EXCLUDED.phone <> '' THEN EXCLUDED.phone ELSE customers.phone END,
		  locale = EXCLUDED.locale,
		  active_at = greatest(customers.active_at, EXCLUDED.active_at),
		  updated_at = EXCLUDED.updated_at
		RETURNING id`, merchantID, id, c.Email, c.Name, c.Phone, c.Locale, at)
	return id, err
}

// recustomerTx points an order whose customer fields changed (updateOrder,
// an email given on the payment page) at the customer they now name, and
// keeps that customer's fields current. An order without an email keeps
// its own customer; one that gets an email joins that email's customer,
// and its own customer, now without orders, is removed.
func (s *Service) recustomerTx(ctx context.Context, tx *sqlx.Tx, o *Order) error {
	c := o.Customer()
	old := o.CustomerID
	at := s.now().UTC()
	var id uuid.UUID
	var oldHasEmail bool
	if err := tx.GetContext(ctx, &oldHasEmail, `SELECT email_key IS NOT NULL FROM customers WHERE id = $1`, old); err != nil && !db.IsNoRows(err) {
		return err
	}
	switch {
	case c.Email != "":
		var err error
		if id, err = upsertCustomerTx(ctx, tx, o.MerchantID, c, at); err != nil {
			return err
		}
	case old != uuid.Nil && !oldHasEmail:
		id = old
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET name = $2, phone = $3, locale = $4, active_at = greatest(active_at, $5), updated_at = $5
			WHERE id = $1`, id, c.Name, c.Phone, c.Locale, at); err != nil {
			return err
		}
	default:
		var err error
		if id, err = upsertCustomerTx(ctx, tx, o.MerchantID, c, at); err != nil {
			return err
		}
	}
	if id == old {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET customer_id = $2 WHERE id = $1`, o.ID, id); err != nil {
		return err
	}
	o.CustomerID = id
	if old != uuid.Nil && !oldHasEmail {
		// A customer without an email is one order's own: nothing else
		// refers to it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM customers c WHERE c.id = $1 AND c.email_key IS NULL
			AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.merchant_id = c.merchant_id AND o.customer_id = c.id)`, old); err != nil {
			return err
		}
	}
	return nil
}

// CustomerFilter narrows Customers.
type CustomerFilter struct {
	// Search matches a part of the name, email or phone, without case.
	Search string
}

// visibleSQL is the condition on customers c that keeps what v may see.
func (v CustomerView) visibleSQL() (string, []any) {
	if v.all {
		return "true", nil
	}
	return `EXISTS (SELECT 1 FROM orders o WHERE o.merchant_id = c.merchant_id AND o.customer_id = c.id AND o.created_by_user = ?)`, []any{v.user}
}

// Customers lists the customers viewer may see, the most recently active
// first (then the newest). page.After is the last customer of the previous
// page.
//
// Errors: fault.ErrForbidden (an Actor that names no one).
func (s *Service) Customers(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, f CustomerFilter, page db.Page) ([]CustomerRecord, bool, error) {
	v, err := CustomerViewOf(viewer)
	if err != nil {
		return nil, false, err
	}
	vis, args := v.visibleSQL()
	where := []string{vis}
	if page.After != uuid.Nil {
		where = append(where, `(c.active_at, c.id) < (SELECT a.active_at, a.id FROM customers a WHERE a.id = ?)`)
		args = append(args, page.After)
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		if len(q) > 200 {
			q = q[:200]
		}
		pat := "%" + likeEscaper.Replace(strings.ToLower(q)) + "%"
		where = append(where, `(lower(c.name) LIKE ? OR c.email_key LIKE ? OR c.phone LIKE ?)`)
		args = append(args, pat, pat, pat)
	}
	args = append(args, page.Fetch())
	var cs []CustomerRecord
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &cs, `SELECT `+prefixed("c", customerColumns)+` FROM customers c WHERE `+strings.Join(where, " AND ")+`
			ORDER BY c.active_at DESC, c.id DESC LIMIT ?`, args...)
	})
	cs, more := db.Trim(page, cs)
	return cs, more, err
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// CustomersByIDs loads the customers of ids that viewer may see.
//
// Errors: fault.ErrForbidden (an Actor that names no one).
func (s *Service) CustomersByIDs(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]CustomerRecord, error) {
	v, err := CustomerViewOf(viewer)
	if err != nil {
		return nil, err
	}
	vis, args := v.visibleSQL()
	var cs []CustomerRecord
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &cs, `SELECT `+prefixed("c", customerColumns)+` FROM customers c WHERE c.id IN (?) AND `+vis,
			append([]any{ids}, args...)...)
	})
	out := make(map[uuid.UUID]CustomerRecord, len(cs))
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, err
}

// CustomerStats is what a customers list shows of each customer's orders.
type CustomerStats struct {
	CustomerID  uuid.UUID
	OrderCount  int
	LastOrderAt *time.Time
	// Paid is what the orders took, net of refunds, per currency (the
	// currency with the most first); none when nothing was paid.
	Paid []money.Money
}

// CustomerStatsByIDs counts the orders of customers that viewer may see
// (a SALES member: their own), in one query for a page of customers.
//
// Errors: fault.ErrForbidden (an Actor that names no one).
func (s *Service) CustomerStatsByIDs(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]CustomerStats, error) {
	v, err := CustomerViewOf(viewer)
	if err != nil {
		return nil, err
	}
	q := `SELECT customer_id, currency, count(*) AS order_count, max(created_at) AS last_order_at,
		sum(amount_paid - amount_refunded)::bigint AS paid
		FROM orders WHERE customer_id IN (?)`
	args := []any{ids}
	if u := v.OnlyCreatedBy(); u != nil {
		q += ` AND created_by_user = ?`
		args = append(args, *u)
	}
	var rows []struct {
		CustomerID  uuid.UUID `db:"customer_id"`
		Currency    string    `db:"currency"`
		OrderCount  int       `db:"order_count"`
		LastOrderAt time.Time `db:"last_order_at"`
		Paid        int64     `db:"paid"`
	}
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &rows, q+` GROUP BY customer_id, currency ORDER BY customer_id, paid DESC, currency`, args...)
	})
	out := make(map[uuid.UUID]CustomerStats, len(ids))
	for _, id := range ids {
		out[id] = CustomerStats{CustomerID: id, Paid: []money.Money{}}
	}
	for _, r := range rows {
		st := out[r.CustomerID]
		st.OrderCount += r.OrderCount
		if st.LastOrderAt == nil || r.LastOrderAt.After(*st.LastOrderAt) {
			t := r.LastOrderAt
			st.LastOrderAt = &t
		}
		if r.Paid != 0 {
			st.Paid = append(st.Paid, money.Money{Amount: r.Paid, Currency: r.Currency})
		}
		out[r.CustomerID] = st
	}
	return out, err
}

// CustomerOrders lists a customer's orders that viewer may see, newest
// first.
//
// Errors: fault.ErrForbidden (an Actor that names no one).
func (s *Service) CustomerOrders(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, customerID uuid.UUID, page db.Page) ([]Order, bool, error) {
	v, err := CustomerViewOf(viewer)
	if err != nil {
		return nil, false, err
	}
	return s.List(ctx, merchantID, Filter{CustomerID: &customerID, CreatedBy: v.OnlyCreatedBy()}, page)
}

// CustomerPayments lists the payments of a customer's orders that viewer
// may see (payments.Actor's rule applies to each), newest first.
//
// Errors: fault.ErrForbidden (an Actor that names no one).
func (s *Service) CustomerPayments(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, customerID uuid.UUID, page db.Page) ([]payments.Payment, bool, error) {
	v, err := CustomerViewOf(viewer)
	if err != nil {
		return nil, false, err
	}
	q := `SELECT id FROM orders WHERE customer_id = ?`
	args := []any{customerID}
	if u := v.OnlyCreatedBy(); u != nil {
		q += ` AND created_by_user = ?`
		args = append(args, *u)
	}
	ids := []uuid.UUID{}
	if err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &ids, tx.Rebind(q), args...)
	}); err != nil {
		return nil, false, err
	}
	return s.pay.List(ctx, merchantID, payments.Filter{OrderIDs: ids, Viewer: viewer}, page)
}

// CustomerEmails lists the emails kassa sent to a customer's address,
// newest first, if viewer may see them (else none).
//
// Errors: fault.ErrForbidden (an Actor that names no one).
func (s *Service) CustomerEmails(ctx context.Context, viewer payments.Actor, merchantID gid.MerchantID, customerID uuid.UUID, page db.Page) ([]mailer.SentEmail, bool, error) {
	v, err := CustomerViewOf(viewer)
	if err != nil || !v.SeesEmails() {
		return nil, false, err
	}
	var out []mailer.SentEmail
	var more bool
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var email *string
		if err := tx.GetContext(ctx, &email, `SELECT email FROM customers WHERE id = $1`, customerID); err != nil {
			if db.IsNoRows(err) {
				return nil
			}
			return err
		}
		if email == nil {
			return nil
		}
		var err error
		out, more, err = mailer.SentToTx(ctx, tx, *email, page)
		return err
	})
	return out, more, err
}

// CustomersCreatedAt returns when customers were created, for customers
// reached through an order, confirmation or subscription the viewer
// already sees (a snapshot): the time reveals nothing that showing the
// customer did not, so no rule narrows it.
func (s *Service) CustomersCreatedAt(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]time.Time, error) {
	var rows []struct {
		ID        uuid.UUID `db:"id"`
		CreatedAt time.Time `db:"created_at"`
	}
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &rows, `SELECT id, created_at FROM customers WHERE id IN (?)`, ids)
	})
	out := make(map[uuid.UUID]time.Time, len(rows))
	for _, r := range rows {
		out[r.ID] = r.CreatedAt
	}
	return out, err
}
