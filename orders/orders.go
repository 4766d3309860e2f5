package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"kassa/auth"
	"kassa/branding"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/jobs"
	"kassa/mailer"
	"kassa/money"
	"kassa/payments"
)

// Status of an order.
type Status string

// The states of an order.
const (
	StatusDraft             Status = "DRAFT"
	StatusConfirmationSent  Status = "CONFIRMATION_SENT"
	StatusReserved          Status = "RESERVED"
	StatusPaid              Status = "PAID"
	StatusPartiallyRefunded Status = "PARTIALLY_REFUNDED"
	StatusRefunded          Status = "REFUNDED"
	StatusCancelled         Status = "CANCELLED"
	StatusExpired           Status = "EXPIRED"
)

// Payable reports whether an order in this status may still be paid.
func (s Status) Payable() bool { return s == StatusDraft || s == StatusConfirmationSent }

// Customer is who the order is for.
type Customer struct {
	Name   string `json:"name"`
	Email  string `json:"email"`
	Phone  string `json:"phone"`
	Locale string `json:"locale"` // sv or en
}

// Order is an order with its lines.
type Order struct {
	MerchantID       gid.MerchantID       `db:"merchant_id"`
	ID               uuid.UUID            `db:"id"`
	Number           int64                `db:"number"`
	Status           Status               `db:"status"`
	Currency         string               `db:"currency"`
	CaptureMode      payments.CaptureMode `db:"capture_mode"`
	CustomerName     string               `db:"customer_name"`
	CustomerEmail    *string              `db:"customer_email"`
	CustomerPhone    string               `db:"customer_phone"`
	CustomerLocale   string               `db:"customer_locale"`
	Reference        string               `db:"reference"`
	NetTotal         int64                `db:"net_total"`
	VATTotal         int64                `db:"vat_total"`
	GrossTotal       int64                `db:"gross_total"`
	AmountPaid       int64                `db:"amount_paid"`
	AmountRefunded   int64                `db:"amount_refunded"`
	Version          int                  `db:"version"`
	CreatedByUser    *uuid.UUID           `db:"created_by_user"`
	CreatedByAPIKey  *uuid.UUID           `db:"created_by_api_key"`
	SalespersonEmail *string              `db:"salesperson_email"`
	PaidAt           *time.Time           `db:"paid_at"`
	// PaymentAttemptID is the customer's payment attempt that may pay the
	// order now (started at PaymentAttemptAt); SettledByPaymentID is the
	// payment that reserved or paid it. Any other authorization for the
	// order is reversed.
	PaymentAttemptID   *gid.PaymentID `db:"payment_attempt_id"`
	PaymentAttemptAt   *time.Time     `db:"payment_attempt_at"`
	SettledByPaymentID *gid.PaymentID `db:"settled_by_payment_id"`
	CreatedAt          time.Time      `db:"created_at"`
	UpdatedAt          time.Time      `db:"updated_at"`

	// CustomerID is the customer record the order belongs to
	// (customers.go); the Customer… fields are the order's own copy.
	CustomerID uuid.UUID `db:"customer_id"`

	Lines []Line `db:"-"`
}

const orderColumns = `merchant_id, id, number, status, currency, capture_mode, customer_name, customer_email, customer_phone,
	customer_locale, reference, net_total, vat_total, gross_total, amount_paid, amount_refunded, version,
	created_by_user, created_by_api_key, salesperson_email, paid_at, payment_attempt_id, payment_attempt_at, settled_by_payment_id,
	created_at, updated_at, customer_id`

// Totals sums the order's lines.
func (o *Order) Totals() Totals { return totalsOf(o.Lines) }

// Customer returns the order's customer.
func (o *Order) Customer() Customer {
	c := Customer{Name: o.CustomerName, Phone: o.CustomerPhone, Locale: o.CustomerLocale}
	if o.CustomerEmail != nil {
		c.Email = *o.CustomerEmail
	}
	return c
}

// Config configures the service.
type Config struct {
	DB       *db.DB
	Payments *payments.Service
	Mailer   *mailer.Mailer
	Jobs     *jobs.Queue
	// Branding, when set, is how the merchant appears in emails.
	Branding  *branding.Service
	PublicURL string
	Log       *slog.Logger
	Now       func() time.Time
	// Notify is called in the transaction of every order change (e.g. to
	// publish live updates on commit with pg_notify).
	Notify func(ctx context.Context, tx *sqlx.Tx, o Order) error
}

// Service is the orders domain.
type Service struct {
	cfg Config
	db  *db.DB
	pay *payments.Service
	log *slog.Logger
	now func() time.Time

	statusListeners    []StatusListener
	duplicateListeners []DuplicateListener
}

// NewService returns the service and subscribes it to payment changes.
func NewService(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, db: cfg.DB, pay: cfg.Payments, log: cfg.Log, now: cfg.Now}
	cfg.Payments.OnChange(s.paymentChanged)
	cfg.Payments.OnExpiring(s.reservationExpiring)
	if cfg.Jobs != nil {
		river.AddWorker(cfg.Jobs.Workers, &reverseWorker{s: s})
	}
	return s
}

// NewOrder is what Create takes.
type NewOrder struct {
	// ID, when set, is the order's id (a reusable link derives it from the
	// customer's checkout, so a retry finds the same order).
	ID          uuid.UUID
	Customer    Customer
	Lines       []LineInput
	Currency    string // default SEK
	Reference   string
	CaptureMode payments.CaptureMode // default IMMEDIATE
}

func (n *NewOrder) normalize() ([]Line, Totals, error) {
	if n.Currency == "" {
		n.Currency = "SEK"
	}
	if n.CaptureMode == "" {
		n.CaptureMode = payments.CaptureImmediate
	}
	if err := money.CheckCurrency("currency", n.Currency); err != nil {
		return nil, Totals{}, err
	}
	if !n.CaptureMode.Valid() {
		return nil, Totals{}, fault.Invalid("captureMode", payments.ErrInvalidCaptureMode, "captureMode must be IMMEDIATE or RESERVE")
	}
	if err := normalizeCustomer(&n.Customer); err != nil {
		return nil, Totals{}, err
	}
	n.Reference = strings.TrimSpace(n.Reference)
	if utf8.RuneCountInString(n.Reference) > 200 || strings.ContainsAny(n.Reference, "\r\n") {
		return nil, Totals{}, fault.Invalid("reference", ErrInvalidReference, "reference must be at most 200 characters on one line")
	}
	return PriceLines(n.Lines)
}

func normalizeCustomer(c *Customer) error {
	c.Name = strings.TrimSpace(c.Name)
	c.Email = strings.TrimSpace(c.Email)
	c.Phone = strings.TrimSpace(c.Phone)
	if utf8.RuneCountInString(c.Name) > 200 || strings.ContainsAny(c.Name, "\r\n") {
		return &fault.Error{Code: fault.ErrInvalidName, Field: []string{"input", "customer", "name"}, Message: "the customer's name must be at most 200 characters on one line"}
	}
	if c.Email != "" {
		if err := auth.ValidateEmail(c.Email); err != nil {
			return &fault.Error{Code: fault.ErrInvalidEmail, Field: []string{"input", "customer", "email"}, Message: "the customer's email is not a valid address"}
		}
	}
	if len(c.Phone) > 40 || strings.ContainsAny(c.Phone, "\r\n") {
		return &fault.Error{Code: fault.ErrInvalidPhone, Field: []string{"input", "customer", "phone"}, Message: "the phone number is too long"}
	}
	switch c.Locale {
	case "":
		c.Locale = "sv"
	case "sv", "en":
	default:
		return &fault.Error{Code: fault.ErrInvalidLocale, Field: []string{"input", "customer", "locale"}, Message: "locale must be sv or en"}
	}
	return nil
}

// Create makes a DRAFT order with the next order number.
//
// Errors: the codes of PriceLines, and INVALID_CURRENCY,
// INVALID_CAPTURE_MODE, INVALID_NAME, INVALID_EMAIL, INVALID_PHONE,
// INVALID_LOCALE, INVALID_REFERENCE.
func (s *Service) Create(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, salespersonEmail string, n NewOrder) (Order, error) {
	lines, tot, err := n.normalize()
	if err != nil {
		return Order{}, err
	}
	var o Order
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var err error
		o, err = s.CreateTx(ctx, tx, actor, merchantID, salespersonEmail, n, lines, tot)
		return err
	})
	return o, err
}

// CreateTx inserts an order in the caller's transaction (lines already
// priced by PriceLines and n normalized).
func (s *Service) CreateTx(ctx context.Context, tx *sqlx.Tx, actor payments.Actor, merchantID gid.MerchantID, salespersonEmail string, n NewOrder, lines []Line, tot Totals) (Order, error) {
	number, err := NextNumber(ctx, tx, merchantID, "order")
	if err != nil {
		return Order{}, err
	}
	now := s.now().UTC()
	if n.ID == uuid.Nil {
		n.ID = uuid.Must(uuid.NewV7())
	}
	// Every entry point that makes an order comes here: its customer is got
	// or created in the order's transaction.
	customerID, err := upsertCustomerTx(ctx, tx, merchantID, n.Customer, now)
	if err != nil {
		return Order{}, err
	}
	o := Order{
		MerchantID: merchantID, ID: n.ID, Number: number, Status: StatusDraft, Currency: n.Currency,
		CaptureMode: n.CaptureMode, CustomerName: n.Customer.Name, CustomerEmail: strPtr(n.Customer.Email),
		CustomerPhone: n.Customer.Phone, CustomerLocale: n.Customer.Locale, CustomerID: customerID, Reference: n.Reference,
		NetTotal: tot.Net, VATTotal: tot.VAT, GrossTotal: tot.Gross, Version: 1,
		CreatedByUser: actor.UserID, CreatedByAPIKey: actor.APIKeyID, SalespersonEmail: strPtr(salespersonEmail),
		CreatedAt: now, UpdatedAt: now, Lines: lines,
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO orders (merchant_id, id, number, status, currency, capture_mode, customer_name, customer_email, customer_phone,
		  customer_locale, reference, net_total, vat_total, gross_total, version, search, created_by_user, created_by_api_key,
		  salesperson_email, created_at, updated_at, customer_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $17, $18, $19, $19, $20)`,
		o.MerchantID, o.ID, o.Number, o.Status, o.Currency, o.CaptureMode, o.CustomerName, o.CustomerEmail, o.CustomerPhone,
		o.CustomerLocale, o.Reference, o.NetTotal, o.VATTotal, o.GrossTotal, searchText(o), o.CreatedByUser, o.CreatedByAPIKey,
		o.SalespersonEmail, now, o.CustomerID); err != nil {
		return Order{}, err
	}
	if err := insertLines(ctx, tx, merchantID, o.ID, lines); err != nil {
		return Order{}, err
	}
	return o, s.notify(ctx, tx, o)
}

func insertLines(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, orderID uuid.UUID, lines []Line) error {
	// One statement for all lines: an order of 500 lines is one round trip.
	b, err := json.Marshal(lines)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO order_lines (merchant_id, order_id, position, description, quantity, unit_price, vat_rate, net, vat, gross)
		SELECT $1, $2, l.position, l.description, l.quantity, l."unitPrice", l."vatRate", l.net, l.vat, l.gross
		FROM jsonb_to_recordset($3::jsonb) AS l(position int, description text, quantity bigint, "unitPrice" bigint, "vatRate" int, net bigint, vat bigint, gross bigint)`,
		merchantID, orderID, b)
	return err
}

// NextNumber takes the next number of a per-merchant counter in tx: gapless,
// because a rolled-back transaction rolls the counter back too.
func NextNumber(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, name string) (int64, error) {
	var n int64
	err := tx.GetContext(ctx, &n, `
		INSERT INTO merchant_counters (merchant_id, name, value) VALUES ($1, $2, 1)
		ON CONFLICT ON CONSTRAINT merchant_counters_pkey DO UPDATE SET value = merchant_counters.value + 1
		RETURNING value`, merchantID, name)
	return n, err
}

// NextNumbers takes the next k numbers of a per-merchant counter in tx at
// once, gapless like NextNumber, and returns the last of them (the first
// is last-k+1).
func NextNumbers(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, name string, k int64) (last int64, err error) {
	err = tx.GetContext(ctx, &last, `
		INSERT INTO merchant_counters (merchant_id, name, value) VALUES ($1, $2, $3)
		ON CONFLICT ON CONSTRAINT merchant_counters_pkey DO UPDATE SET value = merchant_counters.value + $3
		RETURNING value`, merchantID, name, k)
	return last, err
}

func searchText(o Order) string {
	parts := []string{fmt.Sprint(o.Number), o.CustomerName, o.Reference, o.CustomerPhone}
	if o.CustomerEmail != nil {
		parts = append(parts, *o.CustomerEmail)
	}
	for _, l := range o.Lines {
		parts = append(parts, l.Description)
	}
	s := strings.Join(parts, " ")
	if len(s) > 10000 {
		s = s[:10000]
	}
	return s
}

// CustomerPatch changes some of a customer's fields; nil fields stay.
type CustomerPatch struct {
	Name, Email, Phone, Locale *string
}

func (p *CustomerPatch) apply(c *Customer) {
	if p == nil {
		return
	}
	for _, f := range []struct {
		from *string
		to   *string
	}{{p.Name, &c.Name}, {p.Email, &c.Email}, {p.Phone, &c.Phone}, {p.Locale, &c.Locale}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
}

// Update is what UpdateOrder changes; nil fields stay.
type Update struct {
	Customer    *CustomerPatch
	Lines       []LineInput // nil: unchanged
	Reference   *string
	CaptureMode *payments.CaptureMode
}

// Update changes an order that is not yet paid. If a confirmation was sent,
// its links stop working and the order is a DRAFT again: the customer must
// be sent the new version.
//
// Errors: fault.ErrNotFound; code ORDER_NOT_EDITABLE; those of Create.
func (s *Service) Update(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID, u Update) (Order, error) {
	var out Order
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		o, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if !o.Status.Payable() {
			return fault.Invalid("orderId", ErrOrderNotEditable, "a %s order cannot be changed", strings.ToLower(string(o.Status)))
		}
		n := NewOrder{Customer: o.Customer(), Currency: o.Currency, Reference: o.Reference, CaptureMode: o.CaptureMode}
		for _, l := range o.Lines {
			n.Lines = append(n.Lines, LineInput{Description: l.Description, Quantity: l.Quantity, UnitPrice: l.UnitPrice, VATRate: l.VATRate})
		}
		u.Customer.apply(&n.Customer)
		if u.Lines != nil {
			n.Lines = u.Lines
		}
		if u.Reference != nil {
			n.Reference = *u.Reference
		}
		if u.CaptureMode != nil {
			n.CaptureMode = *u.CaptureMode
		}
		lines, tot, err := n.normalize()
		if err != nil {
			return err
		}
		o.CustomerName, o.CustomerEmail, o.CustomerPhone, o.CustomerLocale = n.Customer.Name, strPtr(n.Customer.Email), n.Customer.Phone, n.Customer.Locale
		o.Reference, o.CaptureMode, o.Lines = n.Reference, n.CaptureMode, lines
		o.NetTotal, o.VATTotal, o.GrossTotal = tot.Net, tot.VAT, tot.Gross
		if o.Status == StatusConfirmationSent {
			o.Version++
			o.Status = StatusDraft
			if err := s.deactivateOrderLinks(ctx, tx, o.ID); err != nil {
				return err
			}
		}
		o.UpdatedAt = s.now().UTC()
		if _, err := tx.ExecContext(ctx, `
			UPDATE orders SET status = $2, capture_mode = $3, customer_name = $4, customer_email = $5, customer_phone = $6,
			  customer_locale = $7, reference = $8, net_total = $9, vat_total = $10, gross_total = $11, version = $12,
			  search = $13, updated_at = $14
			WHERE id = $1`, o.ID, o.Status, o.CaptureMode, o.CustomerName, o.CustomerEmail, o.CustomerPhone, o.CustomerLocale,
			o.Reference, o.NetTotal, o.VATTotal, o.GrossTotal, o.Version, searchText(o), o.UpdatedAt); err != nil {
			return err
		}
		if u.Customer != nil {
			if err := s.recustomerTx(ctx, tx, &o); err != nil {
				return err
			}
		}
		if u.Lines != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM order_lines WHERE order_id = $1`, o.ID); err != nil {
				return err
			}
			if err := insertLines(ctx, tx, merchantID, o.ID, lines); err != nil {
				return err
			}
		}
		out = o
		return s.notify(ctx, tx, o)
	})
	return out, err
}

// Cancel cancels an order not yet paid, voiding its reservation if it has
// one, and deactivates its links.
//
// Errors: fault.ErrNotFound; code ORDER_NOT_CANCELLABLE; those of
// payments.Void.
func (s *Service) Cancel(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, id uuid.UUID) (Order, error) {
	o, err := s.Get(ctx, merchantID, id)
	if err != nil {
		return o, err
	}
	switch o.Status {
	case StatusDraft, StatusConfirmationSent:
	case StatusReserved:
		pays, err := s.pay.ByOrders(ctx, merchantID, []uuid.UUID{id})
		if err != nil {
			return o, err
		}
		for _, p := range pays[id] {
			if p.Status == payments.StatusAuthorized {
				if _, err := s.pay.Void(ctx, actor, merchantID, p.ID); err != nil {
					return o, err
				}
			}
		}
	default:
		return o, fault.Invalid("orderId", ErrOrderNotCancellable, "a %s order cannot be cancelled", strings.ToLower(string(o.Status)))
	}
	var out Order
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		o, err := s.lock(ctx, tx, id)
		if err != nil {
			return err
		}
		if o.Status == StatusPaid || o.Status == StatusPartiallyRefunded || o.Status == StatusRefunded {
			return fault.Invalid("orderId", ErrOrderNotCancellable, "the order was paid meanwhile")
		}
		if err := s.deactivateOrderLinks(ctx, tx, id); err != nil {
			return err
		}
		from := o.Status
		o.Status, o.UpdatedAt = StatusCancelled, s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1`, id, o.Status, o.UpdatedAt); err != nil {
			return err
		}
		out = o
		if err := s.statusChanged(ctx, tx, from, o); err != nil {
			return err
		}
		return s.notify(ctx, tx, o)
	})
	return out, err
}

// MarkDelivered captures a RESERVE order's reservation: all of it, or
// amount for the part delivered.
//
// Errors: fault.ErrNotFound; code ORDER_NOT_RESERVED; those of
// payments.Capture.
func (s *Service) MarkDelivered(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, id uuid.UUID, amount *int64) (Order, error) {
	o, err := s.Get(ctx, merchantID, id)
	if err != nil {
		return o, err
	}
	pays, err := s.pay.ByOrders(ctx, merchantID, []uuid.UUID{id})
	if err != nil {
		return o, err
	}
	var reserved *payments.Payment
	for i := range pays[id] {
		p := pays[id][i]
		if p.Status == payments.StatusAuthorized || p.Status == payments.StatusPartiallyCaptured {
			reserved = &p
		}
	}
	if reserved == nil {
		return o, fault.Invalid("orderId", ErrOrderNotReserved, "the order has no reservation to capture (it is %s)", strings.ToLower(string(o.Status)))
	}
	if _, err := s.pay.Capture(ctx, actor, merchantID, reserved.ID, amount); err != nil {
		return o, err
	}
	return s.Get(ctx, merchantID, id)
}

func (s *Service) lock(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) (Order, error) {
	var o Order
	if err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE id = $1 FOR UPDATE`, id); err != nil {
		if db.IsNoRows(err) {
			return o, fault.NotFound("order")
		}
		return o, err
	}
	return o, tx.SelectContext(ctx, &o.Lines, `SELECT position, description, quantity, unit_price, vat_rate, net, vat, gross FROM order_lines WHERE order_id = $1 ORDER BY position`, id)
}

func (s *Service) notify(ctx context.Context, tx *sqlx.Tx, o Order) error {
	if s.cfg.Notify == nil {
		return nil
	}
	return s.cfg.Notify(ctx, tx, o)
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
