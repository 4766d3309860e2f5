// Package paymentstest runs kassa's payments service against the built-in
// card processor simulator, for tests: a Fixture starts a simulator on an
// httptest server over the test's own database, connects a
// payments.Service to it through the simulator's HTTP client, and routes
// the simulator's signed callbacks to Service.HandleCallback, recording
// each delivery so a test can replay, reorder or tamper with real ones.
//
// Time is manual: the simulator's business clock and kassa's clock are
// separate ManualClocks (Advance moves both), so a test can let one side
// see a hold lapse before the other does.
package paymentstest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/db/dbtest"
	"kassa/gid"
	"kassa/logging"
	"kassa/payments"
	"kassa/payments/simulator"
)

// Secret signs the fixture's callbacks and authenticates its API calls.
const Secret = "whsec_paymentstest"

// Fixture is one simulator and one payments.Service on a fresh database.
type Fixture struct {
	DB        *db.DB
	DBURL     string // the test database's superuser URL
	Service   *payments.Service
	Sim       *simulator.Server
	Client    *simulator.Client
	SimClock  *simulator.ManualClock // the simulator's business time
	Clock     *simulator.ManualClock // kassa's time
	URL       string                 // the httptest server's base URL
	Logs      *logging.Buffer        // every log line of kassa and the simulator (JSON)
	Callbacks *Recorder
}

type config struct {
	clientOpts []simulator.ClientOption
	listeners  []payments.Listener
}

// Option adjusts a Fixture before it starts.
type Option func(*config)

// WithClientOptions configures the simulator client kassa uses (e.g.
// simulator.WithTimeout).
func WithClientOptions(opts ...simulator.ClientOption) Option {
	return func(c *config) { c.clientOpts = append(c.clientOpts, opts...) }
}

// WithListener registers l with the service before anything runs.
func WithListener(l payments.Listener) Option {
	return func(c *config) { c.listeners = append(c.listeners, l) }
}

// New starts a Fixture for t; everything stops when t ends.
func New(t testing.TB, opts ...Option) *Fixture {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	d, dbURL := dbtest.NewWithURL(t)
	start := time.Now().UTC().Truncate(time.Second)
	f := &Fixture{DB: d, DBURL: dbURL, SimClock: simulator.NewManualClock(start), Clock: simulator.NewManualClock(start), Logs: &logging.Buffer{}}
	log := slog.New(slog.NewJSONHandler(f.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	f.URL = ts.URL
	f.Sim = simulator.NewServer(simulator.Config{
		DB:          d,
		PublicURL:   ts.URL + "/simulator",
		CallbackURL: ts.URL + "/callbacks/simulator",
		Secret:      Secret,
		Clock:       f.SimClock,
		Logger:      log,
		Backoff:     func(int) time.Duration { return 50 * time.Millisecond },
	})
	f.Client = simulator.NewClient(ts.URL+"/simulator", Secret, cfg.clientOpts...)
	f.Service = payments.NewService(payments.Config{DB: d, Processors: []payments.Processor{f.Client}, Log: log, Now: f.Clock.Now})
	for _, l := range cfg.listeners {
		f.Service.OnChange(l)
	}
	f.Callbacks = &Recorder{svc: f.Service, apply: true}
	mux.Handle("/simulator/", http.StripPrefix("/simulator", f.Sim.Handler()))
	mux.Handle("POST /callbacks/simulator", f.Callbacks)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Sim.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return f
}

// Advance moves kassa's and the simulator's clocks forward by d.
func (f *Fixture) Advance(d time.Duration) {
	f.SimClock.Advance(d)
	f.Clock.Advance(d)
}

// NewMerchant inserts a merchant and returns its id.
func (f *Fixture) NewMerchant(t testing.TB) gid.MerchantID {
	t.Helper()
	id := gid.Of[gid.MerchantID](uuid.New())
	err := f.DB.InTenant(context.Background(), id, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`INSERT INTO merchants (id, name) VALUES ($1, $2)`, id, "Merchant "+id.String()[:8])
		return err
	})
	require.NoError(t, err)
	return id
}

// Payment is a customer payment of amount SEK (minor units) in RESERVE mode
// with number, valid for three more years, returning to a shop page.
func (f *Fixture) Payment(merchantID gid.MerchantID, number string, amount int64) payments.NewPayment {
	return payments.NewPayment{
		MerchantID:  merchantID,
		Amount:      amount,
		Currency:    "SEK",
		CaptureMode: payments.CaptureReserve,
		Initiator:   payments.InitiatorCustomer,
		Card:        payments.Card{Number: number, ExpMonth: 12, ExpYear: f.Clock.Now().Year() + 3, CVC: "123", Holder: "Test Person"},
		Description: "Order 42",
		ReturnURL:   "https://shop.example/return",
	}
}

// Authorize authorizes n and requires it to be accepted by kassa.
func (f *Fixture) Authorize(t testing.TB, n payments.NewPayment) payments.Payment {
	t.Helper()
	p, err := f.Service.Authorize(context.Background(), n)
	require.NoError(t, err)
	return p
}

// Authorized authorizes amount on 4242 4242 4242 4242 and waits for the
// callback that makes it AUTHORIZED (or CAPTURED with mode IMMEDIATE).
func (f *Fixture) Authorized(t testing.TB, merchantID gid.MerchantID, amount int64, mode payments.CaptureMode) payments.Payment {
	t.Helper()
	n := f.Payment(merchantID, "4242424242424242", amount)
	n.CaptureMode = mode
	p := f.Authorize(t, n)
	want := payments.StatusAuthorized
	if mode == payments.CaptureImmediate {
		want = payments.StatusCaptured
	}
	return f.WaitStatus(t, p, want)
}

// Get reloads p.
func (f *Fixture) Get(t testing.TB, p payments.Payment) payments.Payment {
	t.Helper()
	q, err := f.Service.Get(context.Background(), p.MerchantID, p.ID)
	require.NoError(t, err)
	return q
}

// WaitStatus waits until p has status, and returns it.
func (f *Fixture) WaitStatus(t testing.TB, p payments.Payment, status payments.Status) payments.Payment {
	t.Helper()
	return f.WaitFor(t, p, func(q payments.Payment) bool { return q.Status == status }, "status %s", status)
}

// WaitFor waits until cond holds for p, and returns it.
func (f *Fixture) WaitFor(t testing.TB, p payments.Payment, cond func(payments.Payment) bool, msg string, args ...any) payments.Payment {
	t.Helper()
	var q payments.Payment
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var err error
		q, err = f.Service.Get(context.Background(), p.MerchantID, p.ID)
		require.NoError(c, err)
		require.Truef(c, cond(q), "payment is %s (authorized %d, captured %d, refunded %d); waiting for "+msg,
			append([]any{q.Status, q.AmountAuthorized, q.AmountCaptured, q.AmountRefunded}, args...)...)
	}, 15*time.Second, 10*time.Millisecond)
	return q
}

// Settle waits until the simulator has delivered every callback written so
// far (to be delivered, kassa must have acknowledged it).
func (f *Fixture) Settle(t testing.TB) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var n int
		require.NoError(c, f.DB.System.Get(&n, `SELECT count(*) FROM simulator_callbacks WHERE delivered_at IS NULL`))
		require.Zero(c, n, "callbacks not delivered yet")
	}, 15*time.Second, 10*time.Millisecond)
}

// SettlePayment waits until the simulator has delivered every callback
// about the payment ref written so far.
func (f *Fixture) SettlePayment(t testing.TB, ref *string) {
	t.Helper()
	require.NotNil(t, ref, "the payment has no processor reference")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var n int
		require.NoError(c, f.DB.System.Get(&n, `SELECT count(*) FROM simulator_callbacks WHERE ref = $1 AND delivered_at IS NULL`, *ref))
		require.Zero(c, n, "callbacks not delivered yet")
	}, 15*time.Second, 10*time.Millisecond)
}

// SimPayment is the simulator's own record of the payment ref.
func (f *Fixture) SimPayment(t testing.TB, ref *string) simulator.Payment {
	t.Helper()
	require.NotNil(t, ref, "the payment has no processor reference")
	sp, err := f.Sim.Payment(context.Background(), *ref)
	require.NoError(t, err)
	return sp
}

// RequireBooksAgree requires kassa's amounts for p to equal the simulator's.
func (f *Fixture) RequireBooksAgree(t testing.TB, p payments.Payment) simulator.Payment {
	t.Helper()
	sp := f.SimPayment(t, p.ProcessorRef)
	require.Equal(t, p.ID.UUID, sp.PaymentID)
	require.Equal(t, [4]int64{sp.Amount, sp.Authorized, sp.Captured, sp.Refunded},
		[4]int64{p.Amount, p.AmountAuthorized, p.AmountCaptured, p.AmountRefunded}, "amount, authorized, captured, refunded: simulator vs kassa")
	require.Equal(t, sp.Currency, p.Currency)
	return sp
}

// Events returns p's history, oldest first.
func (f *Fixture) Events(t testing.TB, p payments.Payment) []payments.EventRecord {
	t.Helper()
	evs, err := f.Service.EventsByPayments(context.Background(), p.MerchantID, []gid.PaymentID{p.ID})
	require.NoError(t, err)
	return evs[p.ID]
}

// Operation is a capture, void or refund kassa recorded.
type Operation struct {
	ID     uuid.UUID `db:"id"`
	Kind   string    `db:"kind"`
	Amount int64     `db:"amount"`
	Status string    `db:"status"`
}

// Operations returns p's operations in the order kassa made them.
func (f *Fixture) Operations(t testing.TB, p payments.Payment) []Operation {
	t.Helper()
	var ops []Operation
	err := f.DB.InTenant(context.Background(), p.MerchantID, func(tx *sqlx.Tx) error {
		return tx.Select(&ops, `SELECT id, kind, amount, status FROM payment_operations WHERE payment_id = $1 ORDER BY id`, p.ID)
	})
	require.NoError(t, err)
	return ops
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// Challenge answers the 3-D Secure challenge at actionURL as a cardholder's
// browser would: it loads the page and submits its form with code, or
// presses Cancel when cancel is set. It returns where the page sends the
// cardholder.
func (f *Fixture) Challenge(t testing.TB, actionURL, code string, cancel bool) *url.URL {
	t.Helper()
	browser := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := browser.Get(actionURL)
	require.NoError(t, err)
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", page)
	require.Contains(t, string(page), "Enter the code 1234")
	m := formAction.FindSubmatch(page)
	require.NotNil(t, m, "the challenge page has no form: %s", page)
	form := url.Values{"code": {code}, "action": {"verify"}}
	if cancel {
		form.Set("action", "cancel")
	}
	res, err = browser.PostForm(string(m[1]), form)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := res.Location()
	require.NoError(t, err)
	return loc
}

// SignatureHeader signs body at t with the fixture's secret, as the
// simulator does: "t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func SignatureHeader(secret string, at time.Time, body []byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Signed returns a header carrying body's signature at now.
func Signed(body []byte) http.Header {
	h := http.Header{}
	h.Set(simulator.SignatureHeader, SignatureHeader(Secret, time.Now(), body))
	return h
}

// Delivery is one callback the simulator posted.
type Delivery struct {
	Header  http.Header
	Body    []byte
	EventID string
	Type    string
	Ref     string
	Status  int // what the fixture answered
}

// Recorder receives the simulator's callbacks at /callbacks/simulator,
// records each, and hands it to Service.HandleCallback (answering as
// kassa's server does: 400 for a bad signature, 500 for kassa's own
// failure) unless told to hold them.
type Recorder struct {
	svc *payments.Service

	mu         sync.Mutex
	apply      bool
	deliveries []Delivery
}

// Hold makes the recorder acknowledge callbacks without applying them, so
// a test can deliver them itself later; Apply(true) undoes it.
func (r *Recorder) Hold() { r.Apply(false) }

// Apply sets whether callbacks reach the service.
func (r *Recorder) Apply(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.apply = on
}

func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Ref string `json:"ref"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &ev)
	d := Delivery{Header: req.Header.Clone(), Body: body, EventID: ev.ID, Type: ev.Type, Ref: ev.Data.Ref, Status: http.StatusOK}
	r.mu.Lock()
	apply := r.apply
	r.mu.Unlock()
	if apply {
		err := r.svc.HandleCallback(req.Context(), "simulator", req.Header, body)
		switch {
		case errors.Is(err, payments.ErrBadSignature):
			d.Status = http.StatusBadRequest
		case err != nil:
			d.Status = http.StatusInternalServerError
		}
	}
	r.mu.Lock()
	r.deliveries = append(r.deliveries, d)
	r.mu.Unlock()
	w.WriteHeader(d.Status)
}

// For returns the deliveries for the processor reference ref, in arrival
// order.
func (r *Recorder) For(ref string) []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Delivery
	for _, d := range r.deliveries {
		if d.Ref == ref {
			out = append(out, d)
		}
	}
	return out
}

// Wait waits for a delivery of type typ for ref and returns the first.
func (r *Recorder) Wait(t testing.TB, ref *string, typ string) Delivery {
	t.Helper()
	require.NotNil(t, ref, "the payment has no processor reference")
	var d Delivery
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, x := range r.For(*ref) {
			if x.Type == typ {
				d = x
				return
			}
		}
		c.Errorf("no %s callback for %s yet", typ, *ref)
	}, 15*time.Second, 10*time.Millisecond)
	return d
}
