package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/audit"
	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/jobs"
	"kassa/mailer"
	"kassa/merchants"
	"kassa/money"
	"kassa/orders"
	"kassa/payments"
	"kassa/webhooks"
)

// Status of a subscription.
type Status string

// The states of a subscription.
const (
	PendingMandate Status = "PENDING_MANDATE" // waiting for the customer's first payment
	Active         Status = "ACTIVE"
	PastDue        Status = "PAST_DUE" // a charge failed after every retry
	Paused         Status = "PAUSED"
	Cancelled      Status = "CANCELLED"
)

// Subscription is a customer's agreement to recurring charges.
type Subscription struct {
	MerchantID        gid.MerchantID `db:"merchant_id"`
	ID                uuid.UUID      `db:"id"`
	Status            Status         `db:"status"`
	CustomerName      string         `db:"customer_name"`
	CustomerEmail     string         `db:"customer_email"`
	CustomerLocale    string         `db:"customer_locale"`
	PlanJSON          []byte         `db:"plan"`
	PendingPlanJSON   []byte         `db:"pending_plan"`
	Currency          string         `db:"currency"`
	TimeZone          string         `db:"time_zone"`
	Anchor            time.Time      `db:"anchor"`
	NextPeriod        int            `db:"next_period"`
	NextBillingAt     *time.Time     `db:"next_billing_at"`
	MandateToken      *string        `db:"mandate_token"`
	MandateProcessor  *string        `db:"mandate_processor"`
	CardBrand         *string        `db:"card_brand"`
	CardLast4         *string        `db:"card_last4"`
	CardExpMonth      *int           `db:"card_exp_month"`
	CardExpYear       *int           `db:"card_exp_year"`
	CardWarnedFor     *string        `db:"card_warned_for"`
	FirstOrderID      *uuid.UUID     `db:"first_order_id"`
	CardOrderID       *uuid.UUID     `db:"card_order_id"`
	CancelAtPeriodEnd bool           `db:"cancel_at_period_end"`
	CancelledAt       *time.Time     `db:"cancelled_at"`
	PausedAt          *time.Time     `db:"paused_at"`
	CreatedByUser     *uuid.UUID     `db:"created_by_user"`
	CreatedByAPIKey   *uuid.UUID     `db:"created_by_api_key"`
	CreatedAt         time.Time      `db:"created_at"`
	UpdatedAt         time.Time      `db:"updated_at"`

	// CustomerID is the customer record (orders.CustomerRecord): that of
	// the subscription's first order. Nil only for rows written without it.
	CustomerID *uuid.UUID `db:"customer_id"`
}

const subscriptionColumns = `merchant_id, id, status, customer_name, customer_email, customer_locale, plan, pending_plan, currency,
	time_zone, anchor, next_period, next_billing_at, mandate_token, mandate_processor, card_brand, card_last4, card_exp_month,
	card_exp_year, card_warned_for, first_order_id, card_order_id, cancel_at_period_end, cancelled_at, paused_at,
	created_by_user, created_by_api_key, created_at, updated_at, customer_id`

// Plan decodes the subscription's plan, for display. What bills or
// charges uses decodePlan, which fails on a plan that does not decode.
func (s *Subscription) Plan() Plan {
	p, _ := s.decodePlan()
	return p
}

// errCorruptPlan: a stored plan that does not decode to a known kind. It is
// never taken for an empty plan (which would bill nothing, silently).
var errCorruptPlan = errors.New("billing: the stored plan is corrupt")

func (s *Subscription) decodePlan() (Plan, error) {
	var p Plan
	if err := json.Unmarshal(s.PlanJSON, &p); err != nil {
		return p, fmt.Errorf("%w: subscription %s: %v", errCorruptPlan, s.ID, err)
	}
	if !p.Kind.Valid() {
		return p, fmt.Errorf("%w: subscription %s: kind %q", errCorruptPlan, s.ID, p.Kind)
	}
	return p, nil
}

// PendingPlan decodes the plan that takes effect next period, if any.
func (s *Subscription) PendingPlan() *Plan {
	if len(s.PendingPlanJSON) == 0 {
		return nil
	}
	var p Plan
	if json.Unmarshal(s.PendingPlanJSON, &p) != nil {
		return nil
	}
	return &p
}

// Schedule is the subscription's calendar (zero for plans charged by
// hand).
func (s *Subscription) Schedule() (Schedule, bool) {
	p := s.Plan()
	if !p.Kind.Scheduled() {
		return Schedule{}, false
	}
	sch, err := NewSchedule(s.Anchor, p.Interval, s.TimeZone)
	return sch, err == nil
}

// CurrentPeriod is the period containing now, for scheduled plans.
func (s *Subscription) CurrentPeriod(now time.Time) (Period, bool) {
	sch, ok := s.Schedule()
	if !ok {
		return Period{}, false
	}
	return sch.PeriodAt(now), true
}

// Config configures the service.
type Config struct {
	DB       *db.DB
	Payments *payments.Service
	Orders   *orders.Service
	Mailer   *mailer.Mailer
	Jobs     *jobs.Queue
	Log      *slog.Logger
	// PublicURL is where customers reach kassa (invoice pages, links).
	PublicURL string
	// Webhooks delivers SUBSCRIPTION_* and INVOICE_* events (nil: none).
	Webhooks *webhooks.Service
	Now      func() time.Time
	// UsageGrace is how long after a period's end usage for it is still
	// accepted, and so when a usage period is billed (KASSA_USAGE_GRACE).
	UsageGrace time.Duration
	// Dunning is the delays between a failed charge and its retries
	// (KASSA_DUNNING_SCHEDULE; default 1, 3, 7 days).
	Dunning []time.Duration
	// CancelAfterDunning cancels a subscription whose charge failed every
	// retry; otherwise it stays PAST_DUE (KASSA_DUNNING_CANCEL).
	CancelAfterDunning bool
	// BatchSize is how many due subscriptions one runner transaction
	// claims.
	BatchSize int
	// Limits applies members' limits per payment (nil: none).
	Limits Limits
	// Audit records who changed what a customer is charged (nil: not
	// recorded).
	Audit *audit.Log
}

// Service is the billing domain.
type Service struct {
	cfg   Config
	db    *db.DB
	log   *slog.Logger
	now   func() time.Time
	usage usageGroups
}

// NewService returns the service, subscribed to payment changes and with
// its charge worker registered on the job queue.
func NewService(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UsageGrace == 0 {
		cfg.UsageGrace = time.Hour
	}
	if cfg.Dunning == nil {
		cfg.Dunning = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour}
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 200
	}
	s := &Service{cfg: cfg, db: cfg.DB, log: cfg.Log, now: cfg.Now}
	s.usage.s = s
	cfg.Payments.OnChange(s.paymentChanged)
	registerWorkers(s)
	return s
}

// NewSubscription is what Create takes.
type NewSubscription struct {
	Customer orders.Customer
	Plan     Plan
	StartsAt *time.Time // default now
	Actor    payments.Actor
}

// Created is a new subscription and the link for its first payment.
type Created struct {
	Subscription Subscription
	Link         orders.Link
	Order        orders.Order
}

// verificationAmount is what a card check reserves (then releases): one
// unit of the currency.
func verificationAmount(currency string) int64 {
	a := int64(1)
	for range money.Digits(currency) {
		a *= 10
	}
	return a
}

// Create makes a subscription waiting for its mandate, and the link the
// customer pays to give it: the first period's amount for a FIXED plan,
// otherwise a card check of one currency unit that is released again.
// The customer is emailed the link with the subscription's terms.
//
// Errors: the codes of Plan.Check; INVALID_EMAIL, INVALID_NAME,
// INVALID_LOCALE, INVALID_START.
func (s *Service) Create(ctx context.Context, merchantID gid.MerchantID, n NewSubscription) (Created, error) {
	if err := checkActor(n.Actor); err != nil {
		return Created{}, err
	}
	if err := n.Plan.Check(); err != nil {
		return Created{}, err
	}
	if err := s.checkPlanLimit(ctx, n.Actor, merchantID, n.Plan); err != nil {
		return Created{}, err
	}
	n.Customer.Email = strings.TrimSpace(n.Customer.Email)
	if err := auth.ValidateEmail(n.Customer.Email); err != nil {
		return Created{}, &fault.Error{Code: fault.ErrInvalidEmail, Field: []string{"input", "customer", "email"}, Message: "the customer needs a valid email address"}
	}
	if n.Customer.Locale == "" {
		n.Customer.Locale = "sv"
	}
	now := s.now().UTC()
	start := now
	if n.StartsAt != nil {
		start = n.StartsAt.UTC()
		if start.Before(now.Add(-time.Minute)) || start.After(now.AddDate(1, 0, 0)) {
			return Created{}, fault.Invalid("startsAt", ErrInvalidStart, "startsAt must be now or within a year")
		}
	}
	var c Created
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		m, err := merchants.GetTx(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		sub := Subscription{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), Status: PendingMandate,
			CustomerName: n.Customer.Name, CustomerEmail: n.Customer.Email, CustomerLocale: n.Customer.Locale,
			PlanJSON: n.Plan.value(), Currency: n.Plan.Currency, TimeZone: m.TimeZone, Anchor: start,
			CreatedByUser: n.Actor.UserID, CreatedByAPIKey: n.Actor.APIKeyID, CreatedAt: now, UpdatedAt: now}
		o, l, err := s.firstPaymentOrder(ctx, tx, sub, n.Plan, n.Customer, n.Actor)
		if err != nil {
			return err
		}
		sub.FirstOrderID = &o.ID
		// The first order got or created the customer in this transaction.
		sub.CustomerID = &o.CustomerID
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO subscriptions (merchant_id, id, status, customer_name, customer_email, customer_locale, plan, currency, time_zone,
			  anchor, first_order_id, created_by_user, created_by_api_key, created_at, updated_at, customer_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15)`,
			sub.MerchantID, sub.ID, sub.Status, sub.CustomerName, sub.CustomerEmail, sub.CustomerLocale, sub.PlanJSON, sub.Currency,
			sub.TimeZone, sub.Anchor, sub.FirstOrderID, sub.CreatedByUser, sub.CreatedByAPIKey, now, sub.CustomerID); err != nil {
			return err
		}
		// The customer learns of the subscription, and gets its link, in
		// the transaction that creates it: both or neither.
		if err := s.mailFirstPayment(ctx, tx, sub, o, l); err != nil {
			return err
		}
		c = Created{Subscription: sub, Link: l, Order: o}
		return nil
	})
	return c, err
}

// firstPaymentOrder makes the order and mandate link of a subscription's
// first payment.
func (s *Service) firstPaymentOrder(ctx context.Context, tx *sqlx.Tx, sub Subscription, p Plan, c orders.Customer, actor payments.Actor) (orders.Order, orders.Link, error) {
	n := orders.NewOrder{Customer: c, Currency: p.Currency}
	if p.Kind.InAdvance() {
		// The first payment pays the first period.
		sch, err := NewSchedule(sub.Anchor, p.Interval, sub.TimeZone)
		if err != nil {
			return orders.Order{}, orders.Link{}, err
		}
		n.CaptureMode = payments.CaptureImmediate
		if n.Lines, err = p.periodLines(ctx, tx, &sub, sch.Period(0)); err != nil {
			return orders.Order{}, orders.Link{}, err
		}
	} else {
		n.CaptureMode = payments.CaptureReserve
		desc := "Kortverifiering (reserveras och släpps)"
		if c.Locale == "en" {
			desc = "Card check (reserved, then released)"
		}
		n.Lines = []orders.LineInput{{Description: desc, Quantity: 1, UnitPrice: verificationAmount(p.Currency), VATRate: 0}}
	}
	return s.cfg.Orders.NewMandateOrderTx(ctx, tx, actor, sub.MerchantID, orders.MandateOrder{Order: n, ExpiresAt: s.now().Add(14 * 24 * time.Hour)})
}

func periodLabel(p Period, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return p.Start.In(loc).Format("2006-01-02") + "–" + p.End.In(loc).Add(-time.Second).Format("2006-01-02")
}

// dueAt is when period p of a plan is billed: at its start when billed
// in advance, after its end and the usage grace when billed in arrears.
func (s *Service) dueAt(p Plan, per Period) time.Time {
	if !p.Kind.InAdvance() {
		return per.End.Add(s.cfg.UsageGrace)
	}
	return per.Start
}

// Get returns a subscription.
//
// Errors: fault.ErrNotFound.
func (s *Service) Get(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Subscription, error) {
	var sub Subscription
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, id)
	})
	if db.IsNoRows(err) {
		return sub, fault.NotFound("subscription")
	}
	return sub, err
}

// ByIDs loads subscriptions by id.
func (s *Service) ByIDs(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Subscription, error) {
	var subs []Subscription
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &subs, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id IN (?)`, ids)
	})
	out := make(map[uuid.UUID]Subscription, len(subs))
	for _, sub := range subs {
		out[sub.ID] = sub
	}
	return out, err
}

// List returns subscriptions, newest first.
func (s *Service) List(ctx context.Context, merchantID gid.MerchantID, statuses []Status, page db.Page) ([]Subscription, bool, error) {
	var subs []Subscription
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if len(statuses) == 0 {
			return tx.SelectContext(ctx, &subs, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id < $1 ORDER BY id DESC LIMIT $2`,
				page.AfterOrMax(), page.Fetch())
		}
		ss := make([]string, len(statuses))
		for i, st := range statuses {
			ss[i] = string(st)
		}
		q, args, err := sqlx.In(`SELECT `+subscriptionColumns+` FROM subscriptions WHERE id < ? AND status IN (?) ORDER BY id DESC LIMIT ?`,
			page.AfterOrMax(), ss, page.Fetch())
		if err != nil {
			return err
		}
		return tx.SelectContext(ctx, &subs, tx.Rebind(q), args...)
	})
	subs, more := db.Trim(page, subs)
	return subs, more, err
}

// change locks a subscription and lets fn change it.
func (s *Service) change(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID, fn func(tx *sqlx.Tx, sub *Subscription) error) (Subscription, error) {
	var sub Subscription
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1 FOR UPDATE`, id); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("subscription")
			}
			return err
		}
		if err := fn(tx, &sub); err != nil {
			return err
		}
		sub.UpdatedAt = s.now().UTC()
		_, err := tx.ExecContext(ctx, `
			UPDATE subscriptions SET status = $2, plan = $3, pending_plan = $4, next_period = $5, next_billing_at = $6,
			  mandate_token = $7, mandate_processor = $8, card_brand = $9, card_last4 = $10, card_exp_month = $11, card_exp_year = $12,
			  card_warned_for = $13, card_order_id = $14, cancel_at_period_end = $15, cancelled_at = $16, paused_at = $17, updated_at = $18
			WHERE id = $1`,
			sub.ID, sub.Status, sub.PlanJSON, nullJSON(sub.PendingPlanJSON), sub.NextPeriod, sub.NextBillingAt,
			sub.MandateToken, sub.MandateProcessor, sub.CardBrand, sub.CardLast4, sub.CardExpMonth, sub.CardExpYear,
			sub.CardWarnedFor, sub.CardOrderID, sub.CancelAtPeriodEnd, sub.CancelledAt, sub.PausedAt, sub.UpdatedAt)
		return err
	})
	return sub, err
}

func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Cancel ends a subscription now, or at the end of the current period
// (nothing more is billed after it).
//
// Errors: fault.ErrNotFound; code INVALID_STATE.
func (s *Service) Cancel(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID, atPeriodEnd bool) (Subscription, error) {
	return s.change(ctx, merchantID, id, func(tx *sqlx.Tx, sub *Subscription) error {
		if sub.Status == Cancelled {
			return fault.Invalid("id", fault.ErrInvalidState, "the subscription is already cancelled")
		}
		now := s.now().UTC()
		if atPeriodEnd && sub.Status != PendingMandate && sub.Plan().Kind.Scheduled() {
			// Recorded as the moment it takes effect; the runner cancels it
			// when it reaches the first period starting then.
			sch, _ := sub.Schedule()
			end := sch.PeriodAt(now).End
			sub.CancelAtPeriodEnd, sub.CancelledAt = true, &end
			return nil
		}
		sub.Status, sub.CancelledAt, sub.NextBillingAt = Cancelled, &now, nil
		if err := s.emitSubscription(ctx, tx, SubscriptionCancelled, *sub, Cancelled); err != nil {
			return err
		}
		if sub.FirstOrderID != nil {
			// An unpaid first payment link must not start it after all.
			return s.cfg.Orders.DeactivateOrderLinksTx(ctx, tx, *sub.FirstOrderID, now)
		}
		return nil
	})
}

// Pause stops billing: periods while paused are not billed.
//
// Errors: fault.ErrNotFound; code INVALID_STATE.
func (s *Service) Pause(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Subscription, error) {
	return s.change(ctx, merchantID, id, func(tx *sqlx.Tx, sub *Subscription) error {
		if sub.Status != Active && sub.Status != PastDue {
			return fault.Invalid("id", fault.ErrInvalidState, "only an active subscription can be paused (this one is %s)", strings.ToLower(string(sub.Status)))
		}
		now := s.now().UTC()
		sub.Status, sub.PausedAt = Paused, &now
		return nil
	})
}

// Resume restarts billing from the period containing now: the periods
// while paused are skipped, not billed late.
//
// Errors: fault.ErrNotFound; code INVALID_STATE.
func (s *Service) Resume(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Subscription, error) {
	return s.change(ctx, merchantID, id, func(tx *sqlx.Tx, sub *Subscription) error {
		if sub.Status != Paused {
			return fault.Invalid("id", fault.ErrInvalidState, "only a paused subscription can be resumed")
		}
		sub.Status, sub.PausedAt = Active, nil
		if sch, ok := sub.Schedule(); ok {
			now := s.now().UTC()
			cur := sch.PeriodAt(now)
			p := sub.Plan()
			next := cur.Index
			if p.Kind.InAdvance() {
				// The current period started while paused: bill from the next.
				next = cur.Index + 1
			}
			if next > sub.NextPeriod {
				sub.NextPeriod = next
			}
			due := s.dueAt(p, sch.Period(sub.NextPeriod))
			sub.NextBillingAt = &due
		}
		return nil
	})
}

// UpdatePlan changes the plan from the next period on. The actor's limit
// per payment applies to the new plan, and the change is on the audit
// trail with who made it.
//
// Errors: fault.ErrForbidden; fault.ErrNotFound; codes INVALID_STATE,
// AMOUNT_ABOVE_LIMIT, LIMIT_CURRENCY_MISMATCH, and those of Plan.Check.
func (s *Service) UpdatePlan(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, id uuid.UUID, p Plan) (Subscription, error) {
	if err := checkActor(actor); err != nil {
		return Subscription{}, err
	}
	if err := p.Check(); err != nil {
		return Subscription{}, err
	}
	if err := s.checkPlanLimit(ctx, actor, merchantID, p); err != nil {
		return Subscription{}, err
	}
	return s.change(ctx, merchantID, id, func(tx *sqlx.Tx, sub *Subscription) error {
		if err := s.recordTx(ctx, tx, actor, merchantID, "subscription.plan_changed", nil, p.Amount, p.Currency,
			fmt.Sprintf("subscription %s: %s plan", id, p.Kind)); err != nil {
			return err
		}
		if sub.Status == Cancelled {
			return fault.Invalid("id", fault.ErrInvalidState, "the subscription is cancelled")
		}
		cur := sub.Plan()
		if p.Currency != cur.Currency {
			return fault.Invalid("plan", fault.ErrInvalidCurrency, "the currency of a subscription cannot change")
		}
		if cur.Kind.Scheduled() != p.Kind.Scheduled() || (cur.Kind.Scheduled() && p.Interval != cur.Interval) {
			return fault.Invalid("plan", ErrInvalidPlan, "a new plan keeps the kind of schedule and interval; cancel and create a new subscription to change them")
		}
		if sub.Status == PendingMandate {
			sub.PlanJSON = p.value()
			return nil
		}
		sch, _ := sub.Schedule()
		p.EffectivePeriod = sch.PeriodAt(s.now()).Index + 1
		sub.PendingPlanJSON = p.value()
		return nil
	})
}

func (s *Subscription) String() string { return fmt.Sprintf("subscription %s", s.ID) }
