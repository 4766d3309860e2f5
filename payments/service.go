package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/money"
)

// Listener is told of every change of a payment, inside the transaction
// that makes it, so what follows from it (an order marked paid, an email
// enqueued) commits with it or not at all.
type Listener func(ctx context.Context, tx *sqlx.Tx, before, after Payment) error

// Actor is who asked for an operation: a user (with the role the rules in
// rules.go apply), an API key, kassa itself (System), or none of them: the
// customer, who pays but operates on nothing.
type Actor struct {
	UserID   *uuid.UUID
	APIKeyID *uuid.UUID
	Role     auth.Role
	System   bool
}

// Config configures the service.
type Config struct {
	DB         *db.DB
	Processors []Processor
	// Default names the processor new payments use.
	Default string
	Log     *slog.Logger
	Now     func() time.Time
	// ExpiryWarning is how long before a reservation's captureBefore the
	// merchant is warned (24 h).
	ExpiryWarning time.Duration
}

// Service is the payments domain.
type Service struct {
	db         *db.DB
	processors map[string]Processor
	def        string
	log        *slog.Logger
	now        func() time.Time
	warnBefore time.Duration
	listeners  []Listener
	expiring   []ExpiryNotifier
}

// NewService returns the service.
func NewService(cfg Config) *Service {
	s := &Service{db: cfg.DB, processors: map[string]Processor{}, def: cfg.Default, log: cfg.Log, now: cfg.Now, warnBefore: cfg.ExpiryWarning}
	for _, p := range cfg.Processors {
		s.processors[p.Name()] = p
	}
	if s.def == "" && len(cfg.Processors) > 0 {
		s.def = cfg.Processors[0].Name()
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.warnBefore == 0 {
		s.warnBefore = 24 * time.Hour
	}
	return s
}

// OnChange registers l for every change of a payment. Register listeners
// before serving.
func (s *Service) OnChange(l Listener) { s.listeners = append(s.listeners, l) }

// Processor returns the processor named name.
func (s *Service) Processor(name string) (Processor, bool) {
	p, ok := s.processors[name]
	return p, ok
}

// NewPayment is what Authorize takes.
type NewPayment struct {
	MerchantID    gid.MerchantID
	OrderID       *uuid.UUID
	Amount        int64
	Currency      string
	CaptureMode   CaptureMode
	Initiator     Initiator
	Card          Card
	Description   string
	CustomerEmail string
	// ReturnURL is where the 3-D Secure challenge returns the customer.
	ReturnURL   string
	SaveMandate bool
	Actor       Actor
	// ID, when set, is the payment's id (so a caller can derive it from its
	// own idempotent row); otherwise a new one is made.
	ID uuid.UUID
	// LinkID is the payment link the customer paid through, if any.
	LinkID *uuid.UUID
}

func (n *NewPayment) validate() error {
	if err := money.Check("amount", "currency", money.Money{Amount: n.Amount, Currency: n.Currency}); err != nil {
		return err
	}
	if !n.CaptureMode.Valid() {
		return fault.Invalid("captureMode", ErrInvalidCaptureMode, "captureMode must be IMMEDIATE or RESERVE")
	}
	if utf8.RuneCountInString(n.Description) > 500 {
		return fault.Invalid("description", fault.ErrInvalidDescription, "description must be at most 500 characters")
	}
	return nil
}

// Authorize creates a payment and sends it to the processor. The payment
// comes back PENDING (the callback settles it), REQUIRES_ACTION (send the
// customer to NextActionURL) or FAILED (declined).
//
// Errors: fault codes INVALID_AMOUNT, AMOUNT_TOO_LARGE, INVALID_CURRENCY,
// INVALID_CAPTURE_MODE, INVALID_CARD_NUMBER, INVALID_EXPIRY, CARD_EXPIRED,
// INVALID_CVC; PROCESSOR_UNAVAILABLE when the processor cannot be reached
// (the payment stays PENDING and is settled if the processor acted).
func (s *Service) Authorize(ctx context.Context, n NewPayment) (Payment, error) {
	if err := n.validate(); err != nil {
		return Payment{}, err
	}
	var err error
	if n.Card.Number, err = ParseCardNumber("card.number", n.Card.Number); err != nil {
		return Payment{}, err
	}
	if n.Card.ExpMonth, n.Card.ExpYear, err = CheckExpiry("card.expiry", n.Card.ExpMonth, n.Card.ExpYear, s.now()); err != nil {
		return Payment{}, err
	}
	if n.Card.CVC, err = ParseCVC("card.cvc", n.Card.CVC); err != nil {
		return Payment{}, err
	}
	proc := s.processors[s.def]
	if proc == nil {
		return Payment{}, errors.New("payments: no processor configured")
	}
	p, err := s.insert(ctx, n, proc.Name(), CardInfo{Brand: Brand(n.Card.Number), Last4: n.Card.Number[len(n.Card.Number)-4:], ExpMonth: n.Card.ExpMonth, ExpYear: n.Card.ExpYear})
	if err != nil {
		return Payment{}, err
	}
	req := AuthorizeRequest{
		IdempotencyKey: IdempotencyKey("authorize", p.ID.UUID),
		PaymentID:      p.ID.UUID, MerchantID: p.MerchantID, Amount: p.Amount, Currency: p.Currency,
		Capture: n.CaptureMode == CaptureImmediate, Card: n.Card, Initiator: n.Initiator,
		ReturnURL: n.ReturnURL, SaveMandate: n.SaveMandate, Description: n.Description,
	}
	resp, err := retry(ctx, func() (AuthorizeResponse, error) { return proc.Authorize(ctx, req) })
	return s.afterAuthorize(ctx, p, resp, err)
}

// MandateCharge is what ChargeMandate takes.
type MandateCharge struct {
	ID           uuid.UUID // the payment's id, derived by the caller from its own row (e.g. the invoice), so a retry finds it
	MerchantID   gid.MerchantID
	Amount       int64
	Currency     string
	MandateToken string
	Processor    string
	Description  string
	Actor        Actor
}

// ChargeMandate charges a stored mandate without the customer. It is
// idempotent on ID: a second call returns the existing payment and never
// charges again.
func (s *Service) ChargeMandate(ctx context.Context, m MandateCharge) (Payment, error) {
	if err := money.Check("amount", "currency", money.Money{Amount: m.Amount, Currency: m.Currency}); err != nil {
		return Payment{}, err
	}
	if m.ID == uuid.Nil {
		return Payment{}, errors.New("payments: ChargeMandate needs an id")
	}
	name := m.Processor
	if name == "" {
		name = s.def
	}
	proc := s.processors[name]
	if proc == nil {
		return Payment{}, fmt.Errorf("payments: unknown processor %q", name)
	}
	// A retry finds its payment (insert returns the existing row) and asks
	// the processor again under the same idempotency key, which answers
	// what it answered before: no second charge.
	p, err := s.insert(ctx, NewPayment{
		ID: m.ID, MerchantID: m.MerchantID, Amount: m.Amount, Currency: m.Currency, CaptureMode: CaptureImmediate,
		Initiator: InitiatorMerchantRecurring, Description: m.Description, Actor: m.Actor,
	}, proc.Name(), CardInfo{})
	if err != nil {
		return Payment{}, err
	}
	req := MandateChargeRequest{
		IdempotencyKey: IdempotencyKey("authorize", p.ID.UUID), PaymentID: p.ID.UUID, MerchantID: p.MerchantID,
		Amount: p.Amount, Currency: p.Currency, Capture: true, MandateToken: m.MandateToken, Description: m.Description,
	}
	resp, err := retry(ctx, func() (AuthorizeResponse, error) { return proc.ChargeMandate(ctx, req) })
	return s.afterAuthorize(ctx, p, resp, err)
}

// insert stores a new PENDING payment, or returns the one with n.ID when
// it exists already (a retry).
func (s *Service) insert(ctx context.Context, n NewPayment, processor string, card CardInfo) (Payment, error) {
	if n.ID == uuid.Nil {
		n.ID = uuid.Must(uuid.NewV7())
	}
	p := Payment{
		MerchantID: n.MerchantID, ID: gid.Of[gid.PaymentID](n.ID), OrderID: n.OrderID, Amount: n.Amount, Currency: n.Currency,
		CaptureMode: n.CaptureMode, Status: StatusPending, Initiator: n.Initiator, Processor: processor,
		ThreeDS: "UNKNOWN", Description: n.Description, CustomerEmail: strPtr(strings.TrimSpace(n.CustomerEmail)),
		CreatedByUser: n.Actor.UserID, CreatedByAPIKey: n.Actor.APIKeyID, PaymentLinkID: n.LinkID,
	}
	fillCard(&p, card)
	err := s.db.InTenant(ctx, n.MerchantID, func(tx *sqlx.Tx) error {
		now := s.now().UTC()
		res, err := tx.ExecContext(ctx, `
			INSERT INTO payments (merchant_id, id, order_id, amount, currency, capture_mode, status, initiator, processor,
			  three_ds, card_brand, card_last4, card_exp_month, card_exp_year, description, customer_email,
			  created_by_user, created_by_api_key, payment_link_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $20, $19, $19)
			ON CONFLICT ON CONSTRAINT payments_pkey DO NOTHING`,
			p.MerchantID, p.ID, p.OrderID, p.Amount, p.Currency, p.CaptureMode, p.Status, p.Initiator, p.Processor,
			p.ThreeDS, p.CardBrand, p.CardLast4, p.CardExpMonth, p.CardExpYear, p.Description, p.CustomerEmail,
			p.CreatedByUser, p.CreatedByAPIKey, now, n.LinkID)
		if err != nil {
			return err
		}
		if rows, _ := res.RowsAffected(); rows == 1 {
			return recordEvent(ctx, tx, &p, "payment.created", nil, &p.Amount, "", n.Actor)
		}
		return tx.GetContext(ctx, &p, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, p.ID)
	})
	return p, err
}

// afterAuthorize records the processor's synchronous answer. It never marks
// the payment authorized: that takes a callback.
func (s *Service) afterAuthorize(ctx context.Context, p Payment, resp AuthorizeResponse, callErr error) (Payment, error) {
	var out Payment
	err := s.change(ctx, p.MerchantID, p.ID, func(tx *sqlx.Tx, q *Payment) (string, string, error) {
		switch {
		case callErr != nil && errors.Is(callErr, ErrInvalidCard):
			q.Failed, q.FailureCode, q.FailureMessage = true, strPtr("invalid_card"), strPtr("the processor refused the card details")
			return "payment.failed", "invalid card", nil
		case callErr != nil:
			// Unknown outcome: the processor may have acted. The payment
			// stays PENDING; a callback (which carries our payment id)
			// settles it.
			return "payment.processor_unreachable", callErr.Error(), nil
		}
		if resp.ProcessorRef != "" && q.ProcessorRef == nil {
			q.ProcessorRef = strPtr(resp.ProcessorRef)
		}
		fillCard(q, resp.Card)
		switch resp.Status {
		case AuthRequiresAction:
			if q.AmountAuthorized == 0 && !q.Failed {
				q.NextActionURL = strPtr(resp.ActionURL)
				q.ThreeDS = "PENDING"
			}
			return "payment.requires_action", "", nil
		case AuthDeclined:
			if q.AmountAuthorized == 0 {
				q.Failed, q.FailureCode, q.FailureMessage = true, strPtr(resp.DeclineCode), strPtr(resp.DeclineMsg)
			}
			return "payment.declined", resp.DeclineCode, nil
		}
		return "payment.submitted", "", nil
	}, &out)
	if err != nil {
		return Payment{}, err
	}
	if callErr != nil && !errors.Is(callErr, ErrInvalidCard) {
		s.log.WarnContext(ctx, "processor unreachable", "payment_id", p.ID, "error", callErr)
		return out, fault.New(ErrProcessorUnavailable, "the card processor did not answer; the payment is pending and will be settled when it does")
	}
	return out, nil
}

// change locks a payment, lets fn change it, derives its status, stores
// it with an event, and tells the listeners, all in one transaction.
// fn returns the event type and detail ("" type: no change worth an event).
func (s *Service) change(ctx context.Context, merchantID gid.MerchantID, id gid.PaymentID, fn func(tx *sqlx.Tx, p *Payment) (string, string, error), out *Payment) error {
	return s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var before Payment
		if err := tx.GetContext(ctx, &before, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 FOR UPDATE`, id); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("payment")
			}
			return err
		}
		after := before
		typ, detail, err := fn(tx, &after)
		if err != nil {
			return err
		}
		if err := s.store(ctx, tx, before, &after, typ, detail, nil, nil, Actor{}); err != nil {
			return err
		}
		*out = after
		return nil
	})
}

// store writes after (with its derived status) and an event, then tells
// the listeners.
func (s *Service) store(ctx context.Context, tx *sqlx.Tx, before Payment, after *Payment, typ, detail string, eventAmount *int64, procEvent *Event, actor Actor) error {
	after.Status = deriveStatus(after)
	if before.Status.Final() {
		after.Status = before.Status
	}
	after.UpdatedAt = s.now().UTC()
	_, err := tx.ExecContext(ctx, `
		UPDATE payments SET status = $2, processor_ref = $3, amount_authorized = $4, amount_captured = $5, amount_refunded = $6,
		  voided = $7, expired = $8, failed = $9, failure_code = $10, failure_message = $11, three_ds = $12, next_action_url = $13,
		  card_brand = $14, card_last4 = $15, card_exp_month = $16, card_exp_year = $17, mandate_token = $18, capture_before = $19,
		  expiry_warned_at = $20, updated_at = $21
		WHERE id = $1`,
		after.ID, after.Status, after.ProcessorRef, after.AmountAuthorized, after.AmountCaptured, after.AmountRefunded,
		after.Voided, after.Expired, after.Failed, after.FailureCode, after.FailureMessage, after.ThreeDS, after.NextActionURL,
		after.CardBrand, after.CardLast4, after.CardExpMonth, after.CardExpYear, after.MandateToken, after.CaptureBefore,
		after.ExpiryWarnedAt, after.UpdatedAt)
	if err != nil {
		return fmt.Errorf("payments: update %s: %w", after.ID, err)
	}
	if err := recordMovements(ctx, tx, before, *after); err != nil {
		return err
	}
	if typ != "" {
		if procEvent != nil {
			detail = procEvent.ID
		}
		if err := recordEvent(ctx, tx, after, typ, procEvent, eventAmount, detail, actor); err != nil {
			return err
		}
	}
	for _, l := range s.listeners {
		if err := l(ctx, tx, before, *after); err != nil {
			return err
		}
	}
	return nil
}

// recordMovements puts on the ledger what a change captured and refunded,
// dated now: the sales report sums these rows, and a payment's rows always
// add up to its totals because they are written with them.
func recordMovements(ctx context.Context, tx *sqlx.Tx, before, after Payment) error {
	for _, m := range []struct {
		kind  OpKind
		delta int64
	}{{OpCapture, after.AmountCaptured - before.AmountCaptured}, {OpRefund, after.AmountRefunded - before.AmountRefunded}} {
		if m.delta <= 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO payment_ledger (merchant_id, id, payment_id, kind, amount, currency, occurred_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			after.MerchantID, uuid.Must(uuid.NewV7()), after.ID, m.kind, m.delta, after.Currency, after.UpdatedAt); err != nil {
			return fmt.Errorf("payments: ledger of %s: %w", after.ID, err)
		}
	}
	return nil
}

func recordEvent(ctx context.Context, tx *sqlx.Tx, p *Payment, typ string, ev *Event, amount *int64, detail string, actor Actor) error {
	var procName, procID *string
	if ev != nil {
		procName, procID = &p.Processor, &ev.ID
	}
	if len(detail) > 500 {
		detail = detail[:500]
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO payment_events (merchant_id, id, payment_id, type, processor, processor_event_id, amount, status, detail, actor_user, actor_api_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.MerchantID, uuid.Must(uuid.NewV7()), p.ID, typ, procName, procID, amount, deriveStatus(p), detail, actor.UserID, actor.APIKeyID)
	return err
}

// retry calls fn up to three times while it times out: the idempotency
// key makes a repeat safe. It waits between tries (about 100 ms, then
// 200 ms, each with random jitter) so a processor that is struggling is not
// hit again at once by every caller in step.
func retry[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	var v T
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			base := retryBase << (attempt - 1)
			//nolint:gosec // G404: jitter for a retry needs no secret randomness
			t := time.NewTimer(base/2 + rand.N(base))
			select {
			case <-ctx.Done():
				t.Stop()
				return v, err
			case <-t.C:
			}
		}
		v, err = fn()
		if !errors.Is(err, ErrTimeout) || ctx.Err() != nil {
			return v, err
		}
	}
	return v, err
}

// retryBase is the first wait of retry.
const retryBase = 100 * time.Millisecond
