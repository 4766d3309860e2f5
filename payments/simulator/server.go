package simulator

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/payments"
)

// Config configures a Server.
type Config struct {
	// DB holds the simulator's tables; only the system pool is used.
	DB *db.DB
	// PublicURL is the absolute base URL where Handler is mounted, e.g.
	// "http://127.0.0.1:8080/simulator"; 3-D Secure links start with it.
	PublicURL string
	// CallbackURL is where callbacks are POSTed, e.g.
	// "http://127.0.0.1:8080/callbacks/simulator".
	CallbackURL string
	// Secret signs callbacks (HMAC-SHA256) and authenticates API calls
	// (Authorization: Bearer). It must not be empty.
	Secret string
	// Clock is business time: when holds were taken and when they lapse.
	// nil is real time. Callback signatures always use real time.
	Clock  Clock
	Logger *slog.Logger
	// HTTPClient delivers callbacks; default: a 10 s timeout.
	HTTPClient *http.Client
	// Backoff is the wait before retrying a callback after its attempt'th
	// failed delivery (attempt ≥ 1); nil is 1 s, 2 s, 4 s … capped at 1 min.
	Backoff func(attempt int) time.Duration
}

// Holds of an authorization: customer-initiated ones last longer, as with
// the card schemes.
const (
	HoldCustomer = 7 * 24 * time.Hour
	HoldMerchant = 5 * 24 * time.Hour
)

// Server is the simulated processor: its API, its 3-D Secure page, and
// (through Run) its callback delivery and hold expiry.
type Server struct {
	db          *db.DB
	publicURL   string
	callbackURL string
	secret      string
	clock       Clock
	log         *slog.Logger
	http        *http.Client
	backoff     func(int) time.Duration

	wake chan struct{}

	accounts func(ctx context.Context, account string) (Account, error) // see SetAccounts

	delayMu    sync.Mutex
	delayCount int
	delayFor   time.Duration
}

// NewServer returns a Server. It panics without a DB or a Secret: those
// are wiring mistakes, not runtime conditions.
func NewServer(cfg Config) *Server {
	if cfg.DB == nil {
		panic("simulator: NewServer without a DB")
	}
	if cfg.Secret == "" {
		panic("simulator: NewServer without a Secret")
	}
	s := &Server{
		db:          cfg.DB,
		publicURL:   strings.TrimRight(cfg.PublicURL, "/"),
		callbackURL: cfg.CallbackURL,
		secret:      cfg.Secret,
		clock:       cfg.Clock,
		log:         cfg.Logger,
		http:        cfg.HTTPClient,
		backoff:     cfg.Backoff,
		wake:        make(chan struct{}, 1),
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 10 * time.Second}
	}
	if s.backoff == nil {
		s.backoff = DefaultBackoff
	}
	return s
}

// DefaultBackoff waits 1 s after the first failed delivery and doubles
// the wait each time, up to a minute.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 7 {
		return time.Minute
	}
	return min(time.Second<<(attempt-1), time.Minute)
}

// now is business time at the database's precision.
func (s *Server) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// DelayResponses makes the next n API responses wait d after their work
// has committed: a caller whose timeout is shorter than d sees a timeout
// although the processor acted, as happens with real networks.
func (s *Server) DelayResponses(n int, d time.Duration) {
	s.delayMu.Lock()
	defer s.delayMu.Unlock()
	s.delayCount, s.delayFor = n, d
}

func (s *Server) takeDelay() time.Duration {
	s.delayMu.Lock()
	defer s.delayMu.Unlock()
	if s.delayCount <= 0 {
		return 0
	}
	s.delayCount--
	return s.delayFor
}

func holdFor(initiator string) time.Duration {
	if initiator == string(payments.InitiatorCustomer) {
		return HoldCustomer
	}
	return HoldMerchant
}

// pendingEvent is a callback event recorded with a snapshot of the payment
// at the moment it happened, so events delivered out of order still tell
// the truth about their moment.
type pendingEvent struct {
	Type     string
	Created  time.Time
	Snapshot wireSnapshot
}

// change collects the events of one transaction.
type change struct {
	s      *Server
	p      *paymentRow
	now    time.Time
	events []pendingEvent
}

func (s *Server) change(p *paymentRow, now time.Time) *change {
	p.UpdatedAt = now
	return &change{s: s, p: p, now: now}
}

func (c *change) emit(typ string) {
	c.events = append(c.events, pendingEvent{Type: typ, Created: c.now, Snapshot: c.p.snapshot(c.s.publicURL)})
}

// approve authorizes the payment in full (and captures it, when asked to
// capture at once).
func (c *change) approve() {
	p := c.p
	p.Status = StatusAuthorized
	p.Authorized = p.Amount
	p.AuthorizedAt = validTime(c.now)
	p.CaptureBefore = validTime(c.now.Add(holdFor(p.Initiator)))
	if p.SaveMandate && p.Token.Valid {
		p.MandateToken = p.Token
	}
	c.emit(EventAuthorized)
	if p.Capture {
		p.Captured = p.Amount
		p.Status = StatusCaptured
		c.emit(EventCaptured)
	}
}

func (c *change) fail(code string) {
	c.p.Status = StatusFailed
	c.p.FailureCode = code
	c.p.FailureMessage = declineMessage(code)
	c.emit(EventFailed)
}

// saveMandate turns the token into a mandate once an authorization that
// asked for it succeeded.
func (c *change) saveMandate(ctx context.Context, tx *sqlx.Tx) error {
	if !c.p.MandateToken.Valid || !c.p.SaveMandate {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE simulator_tokens SET mandate = true WHERE token = $1`, c.p.MandateToken.String)
	return err
}

// authorize runs POST /v1/payments.
func (s *Server) authorize(ctx context.Context, key string, req authorizeRequest) (authorizeResponse, error) {
	if err := validatePayment(req.Account, req.Amount, req.Currency); err != nil {
		return authorizeResponse{}, err
	}
	switch payments.Initiator(req.Initiator) {
	case payments.InitiatorCustomer, payments.InitiatorMerchantMOTO, payments.InitiatorMerchantRecurring:
	default:
		return authorizeResponse{}, invalidRequest("invalid_initiator", "initiator must be CUSTOMER, MERCHANT_MOTO or MERCHANT_RECURRING")
	}
	if err := validateReturnURL(req.ReturnURL); err != nil {
		return authorizeResponse{}, err
	}
	c, err := parseCard(req.Card.Number, req.Card.ExpMonth, req.Card.ExpYear, req.Card.CVC)
	if err != nil {
		return authorizeResponse{}, &apiError{Status: http.StatusBadRequest, Type: "invalid_card", Code: "invalid_card", Message: err.Error()}
	}
	now := s.now()
	tok := &tokenRow{
		Token: newID("tok_"), Account: req.Account, Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear,
		DeclineCode: c.DeclineCode, Challenge: c.Challenge, DuplicateCallbacks: c.DuplicateCallbacks, CreatedAt: now,
	}
	p := &paymentRow{
		Ref: newID("pay_"), Account: req.Account, PaymentID: req.PaymentID, IdempotencyKey: key,
		Amount: req.Amount, Currency: req.Currency, Capture: req.Capture, Initiator: req.Initiator,
		Token: validString(tok.Token), Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear,
		SaveMandate: req.SaveMandate, DuplicateCallbacks: c.DuplicateCallbacks,
		ReturnURL: req.ReturnURL, Description: req.Description, CreatedAt: now,
	}
	ch := s.change(p, now)
	decline := c.DeclineCode
	if decline == "" && expired(c.ExpMonth, c.ExpYear, now) {
		decline = CodeExpiredCard
	}
	switch {
	case decline != "":
		ch.fail(decline)
	case c.Challenge && req.Initiator == string(payments.InitiatorCustomer):
		p.Status = StatusRequiresAction
		ch.emit(EventRequiresAction)
	default:
		p.ThreeDS = validString("NOT_REQUIRED")
		ch.approve()
	}
	resp := authResponse(p, s.publicURL)
	return s.createPayment(ctx, req.Account, tok, ch, resp, func(old *paymentRow) bool {
		return old.Account == req.Account && old.PaymentID == req.PaymentID && old.Amount == req.Amount &&
			old.Currency == req.Currency && old.Capture == req.Capture && old.Initiator == req.Initiator
	})
}

// chargeMandate runs POST /v1/mandate-charges.
func (s *Server) chargeMandate(ctx context.Context, key string, req mandateChargeRequest) (authorizeResponse, error) {
	if err := validatePayment(req.Account, req.Amount, req.Currency); err != nil {
		return authorizeResponse{}, err
	}
	now := s.now()
	p := &paymentRow{
		Ref: newID("pay_"), Account: req.Account, PaymentID: req.PaymentID, IdempotencyKey: key,
		Amount: req.Amount, Currency: req.Currency, Capture: req.Capture, Initiator: string(payments.InitiatorMerchantRecurring),
		Description: req.Description, CreatedAt: now,
	}
	ch := s.change(p, now)
	var tok *tokenRow
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		var err error
		tok, err = getToken(ctx, tx, req.MandateToken)
		if errors.Is(err, ErrNotFound) {
			tok, err = nil, nil
		}
		return err
	})
	if err != nil {
		return authorizeResponse{}, err
	}
	if tok == nil || !tok.Mandate || tok.Account != req.Account {
		ch.fail(CodeInvalidMandate)
	} else {
		p.Token, p.MandateToken = validString(tok.Token), validString(tok.Token)
		p.Brand, p.Last4, p.ExpMonth, p.ExpYear = tok.Brand, tok.Last4, tok.ExpMonth, tok.ExpYear
		p.DuplicateCallbacks = tok.DuplicateCallbacks
		decline := tok.MandateDeclineCode
		if decline == "" {
			decline = tok.DeclineCode
		}
		if decline == "" && expired(tok.ExpMonth, tok.ExpYear, now) {
			decline = CodeExpiredCard
		}
		if decline != "" {
			ch.fail(decline)
		} else {
			// No challenge: the cardholder is not there, the mandate
			// stands for the authentication of the first payment.
			p.ThreeDS = validString("NOT_REQUIRED")
			ch.approve()
		}
	}
	resp := authResponse(p, s.publicURL)
	return s.createPayment(ctx, req.Account, nil, ch, resp, func(old *paymentRow) bool {
		return old.Account == req.Account && old.PaymentID == req.PaymentID && old.Amount == req.Amount &&
			old.Currency == req.Currency && old.Capture == req.Capture && old.Initiator == string(payments.InitiatorMerchantRecurring)
	})
}

func authResponse(p *paymentRow, publicURL string) authorizeResponse {
	resp := authorizeResponse{Ref: p.Ref, Card: p.card()}
	switch p.Status {
	case StatusFailed:
		resp.Status = string(payments.AuthDeclined)
		resp.DeclineCode, resp.DeclineMessage = p.FailureCode, p.FailureMessage
	case StatusRequiresAction:
		resp.Status = string(payments.AuthRequiresAction)
		resp.ActionURL = actionURL(publicURL, p.Ref)
	default:
		resp.Status = string(payments.AuthPending)
		resp.MandateToken = p.MandateToken.String
	}
	return resp
}

// errKeyTaken rolls back a new payment whose idempotency key another
// request has used.
var errKeyTaken = errors.New("simulator: idempotency key taken")

// createPayment stores a new payment with its events, unless the key was
// used before: then the first answer is returned again if the request is
// the same, and refused if not.
func (s *Server) createPayment(ctx context.Context, account string, tok *tokenRow, ch *change, resp authorizeResponse, same func(*paymentRow) bool) (authorizeResponse, error) {
	ch.p.AuthResponse = mustJSON(resp)
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		if tok != nil {
			if err := tok.insert(ctx, tx); err != nil {
				return err
			}
		}
		ok, err := ch.p.insert(ctx, tx)
		if err != nil {
			return err
		}
		if !ok {
			return errKeyTaken
		}
		if err := ch.saveMandate(ctx, tx); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, ch)
	})
	if errors.Is(err, errKeyTaken) {
		var old *paymentRow
		err = s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
			var err error
			old, err = getPaymentByKey(ctx, tx, ch.p.IdempotencyKey)
			return err
		})
		if err != nil {
			return authorizeResponse{}, err
		}
		if !same(old) {
			return authorizeResponse{}, keyReused()
		}
		var first authorizeResponse
		if err := jsonUnmarshal(old.AuthResponse, &first); err != nil {
			return authorizeResponse{}, err
		}
		return first, nil
	}
	if err != nil {
		return authorizeResponse{}, err
	}
	s.log.InfoContext(ctx, "simulator: authorization", "ref", ch.p.Ref, "account", account, "status", resp.Status,
		"decline_code", resp.DeclineCode, "brand", ch.p.Brand, "last4", ch.p.Last4)
	s.notify()
	return resp, nil
}

// challengeOutcome is what the cardholder did on the 3-D Secure page.
type challengeOutcome int

const (
	challengePassed challengeOutcome = iota
	challengeFailed
	challengeCancelled
)

// completeChallenge settles a 3-D Secure challenge; a payment no longer
// waiting for one is returned unchanged.
func (s *Server) completeChallenge(ctx context.Context, ref string, outcome challengeOutcome) (*paymentRow, error) {
	var p *paymentRow
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		var err error
		p, err = getPayment(ctx, tx, ref, true)
		if err != nil || p.Status != StatusRequiresAction {
			return err
		}
		ch := s.change(p, s.now())
		switch outcome {
		case challengePassed:
			p.ThreeDS = validString("PASSED")
			ch.approve()
		case challengeFailed:
			p.ThreeDS = validString("FAILED")
			ch.fail(CodeAuthenticationFailed)
		default:
			p.ThreeDS = validString("CANCELLED")
			ch.fail(CodeAuthenticationCancelled)
		}
		if err := p.update(ctx, tx); err != nil {
			return err
		}
		if err := ch.saveMandate(ctx, tx); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, ch)
	})
	if err != nil {
		return nil, err
	}
	s.notify()
	return p, nil
}

// operation is a capture, void or refund request.
type operation struct {
	Kind     string // capture, void, refund
	Ref      string
	Key      string
	Amount   int64 // 0: all that remains
	Currency string
	Final    bool
}

// errRetry: a concurrent request took the same key on another payment.
var errRetry = errors.New("simulator: retry")

// operate runs a capture, void or refund once per idempotency key and
// returns the answer to send (the first answer again, for a retry).
func (s *Server) operate(ctx context.Context, op operation) (int, []byte, error) {
	if op.Amount < 0 {
		return 0, nil, invalidRequest("invalid_amount", "amount must not be negative")
	}
	for attempt := 0; ; attempt++ {
		status, body, err := s.operateOnce(ctx, op)
		if errors.Is(err, errRetry) && attempt == 0 {
			continue
		}
		return status, body, err
	}
}

func (s *Server) operateOnce(ctx context.Context, op operation) (status int, body []byte, err error) {
	notify := false
	err = s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		p, err := getPayment(ctx, tx, op.Ref, true)
		if errors.Is(err, ErrNotFound) {
			return &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "resource_missing", Message: "no such payment: " + op.Ref}
		}
		if err != nil {
			return err
		}
		prev, err := getOperationByKey(ctx, tx, op.Key)
		switch {
		case err == nil:
			if prev.Ref != op.Ref || prev.Kind != op.Kind || prev.RequestedAmount != op.Amount {
				return keyReused()
			}
			status, body = prev.ResponseStatus, prev.Response
			return nil
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if op.Currency != "" && op.Currency != p.Currency {
			return invalidRequest("currency_mismatch", "the payment is in "+p.Currency)
		}
		now := s.now()
		ch := s.change(p, now)
		amount, decline := s.apply(ch, op)
		row := &operationRow{
			ID: newID("op_"), IdempotencyKey: op.Key, Ref: op.Ref, Kind: op.Kind,
			RequestedAmount: op.Amount, Amount: amount, CreatedAt: now,
		}
		if decline != "" {
			row.Result, row.DeclineCode, row.Amount = "DECLINED", decline, 0
			row.ResponseStatus = http.StatusPaymentRequired
			row.Response = mustJSON(errorResponse{Error: wireError{Type: "card_error", Code: decline, Message: declineMessage(decline)}})
		} else {
			if err := p.update(ctx, tx); err != nil {
				return err
			}
			row.Result = "SUCCEEDED"
			row.ResponseStatus = http.StatusOK
			row.Response = mustJSON(operationResponse{ID: row.ID, Payment: p.snapshot(s.publicURL)})
		}
		if err := row.insert(ctx, tx); err != nil {
			if db.ConstraintName(err) == "simulator_operations_idempotency_key_key" {
				return errRetry
			}
			return err
		}
		if err := s.enqueue(ctx, tx, ch); err != nil {
			return err
		}
		notify = len(ch.events) > 0
		status, body = row.ResponseStatus, row.Response
		s.log.InfoContext(ctx, "simulator: operation", "ref", op.Ref, "kind", op.Kind, "amount", amount, "decline_code", decline)
		return nil
	})
	if notify {
		s.notify()
	}
	return status, body, err
}

// apply changes the payment as the operation asks, or says why not.
func (s *Server) apply(ch *change, op operation) (amount int64, decline string) {
	p := ch.p
	lapsed := p.CaptureBefore.Valid && !ch.now.Before(p.CaptureBefore.Time)
	switch op.Kind {
	case "capture":
		switch {
		case p.Status == StatusExpired:
			return 0, CodeAuthorizationExpired
		case p.Status != StatusAuthorized && p.Status != StatusCaptured, p.CaptureClosed:
			return 0, CodeInvalidState
		case lapsed:
			return 0, CodeAuthorizationExpired
		}
		remaining := p.Authorized - p.Captured
		amount = op.Amount
		if amount == 0 {
			amount = remaining
		}
		if amount == 0 || amount > remaining {
			return 0, CodeAmountTooLarge
		}
		p.Captured += amount
		p.Status = StatusCaptured
		p.CaptureClosed = op.Final
		ch.emit(EventCaptured)
	case "void":
		switch {
		case p.Status == StatusExpired:
			return 0, CodeAuthorizationExpired
		case p.Status != StatusAuthorized:
			return 0, CodeInvalidState
		case lapsed:
			return 0, CodeAuthorizationExpired
		}
		p.Status = StatusVoided
		ch.emit(EventVoided)
		return p.Authorized, ""
	case "refund":
		if p.Captured == 0 {
			return 0, CodeInvalidState
		}
		remaining := p.Captured - p.Refunded
		amount = op.Amount
		if amount == 0 {
			amount = remaining
		}
		if amount == 0 || amount > remaining {
			return 0, CodeAmountTooLarge
		}
		p.Refunded += amount
		ch.emit(EventRefunded)
	}
	return amount, ""
}

// expireHolds marks lapsed, uncaptured authorizations expired, a batch at
// a time, skipping rows another process is working on.
func (s *Server) expireHolds(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
			now := s.now()
			var rows []paymentRow
			if err := tx.SelectContext(ctx, &rows, `SELECT `+paymentColumns+` FROM simulator_payments
				WHERE status = 'AUTHORIZED' AND captured_amount = 0 AND capture_before <= $1
				ORDER BY capture_before LIMIT 100 FOR UPDATE SKIP LOCKED`, now); err != nil {
				return err
			}
			for i := range rows {
				p := &rows[i]
				ch := s.change(p, now)
				p.Status = StatusExpired
				ch.emit(EventExpired)
				if err := p.update(ctx, tx); err != nil {
					return err
				}
				if err := s.enqueue(ctx, tx, ch); err != nil {
					return err
				}
			}
			n = len(rows)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n > 0 {
			s.notify()
		}
		if n < 100 {
			return total, nil
		}
	}
}
