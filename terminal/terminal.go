package terminal

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"kassa/audit"
	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/jobs"
	"kassa/live"
	"kassa/mailer"
	"kassa/merchants"
	"kassa/money"
	"kassa/orders"
	"kassa/payments"
)

// Config wires the service.
type Config struct {
	DB        *db.DB
	Payments  *payments.Service
	Orders    *orders.Service
	Auth      *auth.Service
	Merchants *merchants.Service
	Mailer    *mailer.Mailer
	Jobs      *jobs.Queue
	Audit     *audit.Log
	Log       *slog.Logger
	Now       func() time.Time
	// SettleWait bounds how long Charge waits for the processor's callback
	// to settle a payment (default 5 s).
	SettleWait time.Duration
	// Live, when set, wakes a waiting sale as soon as its payment changes
	// (payment events); without it Charge polls.
	Live *live.Broker
}

// Service is the web terminal's domain.
type Service struct {
	db        *db.DB
	pay       *payments.Service
	orders    *orders.Service
	auth      *auth.Service
	merchants *merchants.Service
	mailer    *mailer.Mailer
	jobs      *jobs.Queue
	audit     *audit.Log
	log       *slog.Logger
	now       func() time.Time
	wait      time.Duration
	live      *live.Broker
}

// NewService returns the service, subscribed to payment changes (for
// receipts) and with its receipt worker registered on the job queue.
// Call it before the queue starts.
func NewService(cfg Config) *Service {
	s := &Service{db: cfg.DB, pay: cfg.Payments, orders: cfg.Orders, auth: cfg.Auth, merchants: cfg.Merchants,
		mailer: cfg.Mailer, jobs: cfg.Jobs, audit: cfg.Audit, log: cfg.Log, now: cfg.Now, wait: cfg.SettleWait,
		live: cfg.Live}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.wait == 0 {
		s.wait = 5 * time.Second
	}
	s.pay.OnChange(s.paymentChanged)
	river.AddWorker(s.jobs.Workers, &receiptWorker{s: s})
	return s
}

// Roles that may use the terminal.
var terminalRoles = []auth.Role{auth.RoleOwner, auth.RoleAdmin, auth.RoleSales}

// MayUse reports whether p may take payments at the terminal.
func MayUse(p *auth.Principal) bool { return p != nil && p.HasRole(terminalRoles...) }

// MayReverse reports whether p may void and refund (OWNER, ADMIN, API keys).
func MayReverse(p *auth.Principal) bool { return p != nil && payments.ActorOf(p).MayReverse() }

// SeesAll reports whether p sees every staff member's terminal payments
// (OWNER, ADMIN, API keys); SALES see their own.
func SeesAll(p *auth.Principal) bool { return MayReverse(p) }

// Charge is a card payment keyed in by staff.
type Charge struct {
	// ID, when set, is the payment's id (see FormPaymentID); a repeated
	// Charge with the same ID is the same payment and charges once.
	ID            uuid.UUID
	Amount        int64
	Currency      string
	CaptureMode   payments.CaptureMode // default IMMEDIATE
	Card          payments.Card
	Description   string
	CustomerEmail string
	// OrderID links the payment to an existing order (a supplement).
	OrderID *uuid.UUID
}

func cardFault(err error, field string) error {
	if f, ok := fault.As(err); ok {
		return &fault.Error{Code: f.Code, Field: []string{"input", "card", field}, Message: f.Message}
	}
	return err
}

// normalize checks c, everything that needs no database.
func (s *Service) normalize(c *Charge) error {
	c.Currency = strings.ToUpper(strings.TrimSpace(c.Currency))
	if err := money.Check("amount", "currency", money.Money{Amount: c.Amount, Currency: c.Currency}); err != nil {
		return err
	}
	if c.CaptureMode == "" {
		c.CaptureMode = payments.CaptureImmediate
	}
	if !c.CaptureMode.Valid() {
		return fault.Invalid("captureMode", payments.ErrInvalidCaptureMode, "captureMode must be IMMEDIATE or RESERVE")
	}
	c.Description = strings.TrimSpace(c.Description)
	if utf8.RuneCountInString(c.Description) > 500 || strings.ContainsAny(c.Description, "\r\n") {
		return fault.Invalid("description", fault.ErrInvalidDescription, "the description must be one line of at most 500 characters")
	}
	c.CustomerEmail = strings.TrimSpace(c.CustomerEmail)
	if c.CustomerEmail != "" {
		if err := auth.ValidateEmail(c.CustomerEmail); err != nil {
			return fault.Invalid("customerEmail", fault.ErrInvalidEmail, "the customer's email is not a valid address")
		}
	}
	var err error
	if c.Card.Number, err = payments.ParseCardNumber("number", c.Card.Number); err != nil {
		return cardFault(err, "number")
	}
	if c.Card.ExpMonth, c.Card.ExpYear, err = payments.CheckExpiry("expYear", c.Card.ExpMonth, c.Card.ExpYear, s.now()); err != nil {
		return cardFault(err, "expYear")
	}
	if c.Card.CVC, err = payments.ParseCVC("cvc", c.Card.CVC); err != nil {
		return cardFault(err, "cvc")
	}
	c.Card.Holder = strings.TrimSpace(c.Card.Holder)
	return nil
}

// Charge takes a card payment for p (MOTO: merchant-initiated, card not
// present, no 3-D Secure) and waits, up to the configured bound, for the
// processor's callback to settle it. The payment comes back AUTHORIZED or
// CAPTURED (approved), FAILED (declined: see FailureCode), or still
// PENDING when the processor is slow. The card number and CVC go to the
// processor and nowhere else.
//
// Errors: fault.ErrForbidden; codes INVALID_AMOUNT, AMOUNT_TOO_LARGE,
// INVALID_CURRENCY, INVALID_CAPTURE_MODE, INVALID_DESCRIPTION,
// INVALID_EMAIL, INVALID_CARD_NUMBER, INVALID_EXPIRY, CARD_EXPIRED,
// INVALID_CVC, NOT_FOUND (orderId), ORDER_CURRENCY_MISMATCH,
// ORDER_CANCELLED, AMOUNT_ABOVE_LIMIT, LIMIT_CURRENCY_MISMATCH,
// FORM_REUSED; PROCESSOR_UNAVAILABLE with the payment (PENDING: it is
// settled when the processor answers).
func (s *Service) Charge(ctx context.Context, p *auth.Principal, c Charge) (payments.Payment, error) {
	if !MayUse(p) {
		return payments.Payment{}, fault.ErrForbidden
	}
	if err := s.normalize(&c); err != nil {
		return payments.Payment{}, err
	}
	if c.OrderID != nil {
		o, err := s.orders.Get(ctx, p.MerchantID, *c.OrderID)
		if errors.Is(err, fault.ErrNotFound) {
			return payments.Payment{}, &fault.Error{Code: fault.ErrNotFound.Code, Field: []string{"input", "orderId"}, Message: "no such order"}
		}
		if err != nil {
			return payments.Payment{}, err
		}
		if o.Currency != c.Currency {
			return payments.Payment{}, fault.Invalid("currency", ErrOrderCurrencyMismatch, "order %d is in %s: a supplement must be too", o.Number, o.Currency)
		}
		if o.Status == orders.StatusCancelled {
			return payments.Payment{}, fault.Invalid("orderId", ErrOrderCancelled, "order %d is cancelled", o.Number)
		}
	}
	if err := s.checkLimit(ctx, p, c.Amount, c.Currency); err != nil {
		return payments.Payment{}, err
	}
	if c.ID == uuid.Nil {
		c.ID = uuid.Must(uuid.NewV7())
	}
	actor := actorOf(p)
	// Listen before anything is asked: the callback that settles the
	// payment may land before Authorize returns.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	changes := s.watch(ctx, p.MerchantID)

	// One submission at a time per payment id: a double click waits for
	// the first, then finds its payment instead of asking again.
	unlock, err := s.lock(ctx, c.ID)
	if err != nil {
		return payments.Payment{}, err
	}
	defer unlock()
	if existing, err := s.pay.Get(ctx, p.MerchantID, gid.Of[gid.PaymentID](c.ID)); err == nil {
		if existing.Initiator != payments.InitiatorMerchantMOTO || !sameActor(existing, actor) {
			return payments.Payment{}, fault.New(ErrFormReused, "this form was already used: open a new one")
		}
		if existing.Amount != c.Amount || existing.Currency != c.Currency {
			// The same form sent again with other details: it stays the
			// payment it was; the new details need a new form.
			return payments.Payment{}, fault.New(ErrFormReused,
				"this form was already used for payment %s of another amount; nothing more was charged: check the details and submit again", Reference(existing.ID.UUID))
		}
		unlock()
		return s.settle(ctx, existing, changes), nil
	} else if !errors.Is(err, fault.ErrNotFound) {
		return payments.Payment{}, err
	}
	if err := s.record(ctx, p.MerchantID, gid.Of[gid.PaymentID](c.ID), actor); err != nil {
		return payments.Payment{}, err
	}
	pay, err := s.pay.Authorize(ctx, payments.NewPayment{
		ID: c.ID, MerchantID: p.MerchantID, OrderID: c.OrderID, Amount: c.Amount, Currency: c.Currency,
		CaptureMode: c.CaptureMode, Initiator: payments.InitiatorMerchantMOTO, Card: c.Card,
		Description: c.Description, CustomerEmail: c.CustomerEmail, Actor: actor,
	})
	unlock()
	if err != nil {
		if errors.Is(err, payments.ErrProcessorUnavailable) && pay.ID.UUID != uuid.Nil {
			return pay, err
		}
		return payments.Payment{}, err
	}
	return s.settle(ctx, pay, changes), nil
}

func actorOf(p *auth.Principal) payments.Actor { return payments.ActorOf(p) }

func sameActor(p payments.Payment, a payments.Actor) bool {
	eq := func(x, y *uuid.UUID) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return eq(p.CreatedByUser, a.UserID) && eq(p.CreatedByAPIKey, a.APIKeyID)
}

// record notes the terminal's sale before the processor is asked, so the
// callback that approves it (within milliseconds) finds it.
func (s *Service) record(ctx context.Context, merchantID gid.MerchantID, paymentID gid.PaymentID, a payments.Actor) error {
	return s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO terminal_payments (merchant_id, id, payment_id, taken_by_user, taken_by_api_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT ON CONSTRAINT terminal_payments_payment_key DO NOTHING`,
			merchantID, uuid.Must(uuid.NewV7()), paymentID, a.UserID, a.APIKeyID, s.now().UTC())
		return err
	})
}

// lockClass namespaces the terminal's advisory locks ("term").
const lockClass = 0x7465726d

// lock takes a session advisory lock for a payment id, held until the
// returned func is called (safe to call twice).
func (s *Service) lock(ctx context.Context, id uuid.UUID) (func(), error) {
	//nolint:gosec // G115: the bits of the id reinterpreted as a lock key; wrapping is intended
	return s.db.SessionLock(ctx, lockClass, int32(binary.BigEndian.Uint32(id[12:])))
}

// unsettled reports whether p's outcome is still on its way: PENDING, or
// an IMMEDIATE payment authorized but not yet reported captured (the
// processor's callbacks arrive one by one).
func unsettled(p payments.Payment) bool {
	return p.Status == payments.StatusPending ||
		(p.Status == payments.StatusAuthorized && p.CaptureMode == payments.CaptureImmediate)
}

// watch returns the merchant's payment changes (nil without a broker).
func (s *Service) watch(ctx context.Context, merchantID gid.MerchantID) <-chan live.Event {
	if s.live == nil {
		return nil
	}
	return s.live.Subscribe(ctx, merchantID)
}

// settle waits, up to the configured bound, until p's outcome is known.
// It reloads p when changes says it changed, and also polls, more slowly,
// in case a notification was lost (a listener reconnecting, a full
// buffer); other payments' events do not put the poll off.
func (s *Service) settle(ctx context.Context, p payments.Payment, changes <-chan live.Event) payments.Payment {
	deadline := time.Now().Add(s.wait)
	step := 20 * time.Millisecond
	if changes != nil {
		step = 100 * time.Millisecond
	}
	poll := time.NewTimer(min(step, time.Until(deadline)))
	defer poll.Stop()
	for unsettled(p) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return p
		case e, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if e.Kind != "payment" || e.ID != p.ID.UUID {
				continue
			}
		case <-poll.C:
			step = min(step*2, 200*time.Millisecond)
			poll.Reset(min(step, max(time.Until(deadline), 0)))
		}
		q, err := s.pay.Get(ctx, p.MerchantID, p.ID)
		if err != nil {
			s.log.WarnContext(ctx, "terminal: poll payment", "payment_id", p.ID, "error", err)
			continue
		}
		p = q
	}
	return p
}

// Merchant returns the merchant (its name, currency and locale).
func (s *Service) Merchant(ctx context.Context, id gid.MerchantID) (merchants.Merchant, error) {
	return s.merchants.Get(ctx, id)
}

// OrderByNumber finds an order by its number, for staff who type it.
//
// Errors: fault.ErrNotFound.
func (s *Service) OrderByNumber(ctx context.Context, merchantID gid.MerchantID, number int64) (orders.Order, error) {
	if number <= 0 {
		return orders.Order{}, fault.NotFound("order")
	}
	// The orders' word search holds the number; an exact match among the
	// hits is the order.
	page := db.Page{Limit: 100}
	for range 10 {
		os, more, err := s.orders.List(ctx, merchantID, orders.Filter{Search: strconv.FormatInt(number, 10)}, page)
		if err != nil {
			return orders.Order{}, err
		}
		for _, o := range os {
			if o.Number == number {
				return o, nil
			}
		}
		if !more || len(os) == 0 {
			break
		}
		page.After = os[len(os)-1].ID
	}
	return orders.Order{}, fault.NotFound("order")
}
