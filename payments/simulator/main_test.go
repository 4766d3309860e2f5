package simulator

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testSecret = "whsec_test_simulator"

// bundle is one simulator on its own database, mounted like kassa mounts
// it, with a callback receiver that verifies every callback.
type bundle struct {
	db      *db.DB
	dbURL   string
	srv     *Server
	client  *Client
	clock   *ManualClock
	ts      *httptest.Server
	recv    *receiver
	logs    *logging.Buffer
	account uuid.UUID
	// names is the account directory the 3-D Secure page asks: account
	// id -> Account. Accounts not in it are unknown, as b.account is.
	names sync.Map
}

func setup(t *testing.T) *bundle {
	t.Helper()
	d, dbURL := dbtest.NewWithURL(t)
	b := &bundle{db: d, dbURL: dbURL, logs: &logging.Buffer{}, account: uuid.New()}
	b.clock = NewManualClock(time.Now().UTC().Truncate(time.Second))
	mux := http.NewServeMux()
	b.ts = httptest.NewServer(mux)
	t.Cleanup(b.ts.Close)
	b.srv = NewServer(Config{
		DB:          d,
		PublicURL:   b.ts.URL + "/simulator",
		CallbackURL: b.ts.URL + "/callbacks/simulator",
		Secret:      testSecret,
		Clock:       b.clock,
		Logger:      slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Backoff:     func(int) time.Duration { return 50 * time.Millisecond },
	})
	b.srv.SetAccounts(func(_ context.Context, account string) (Account, error) {
		if a, ok := b.names.Load(account); ok {
			return a.(Account), nil
		}
		return Account{}, nil
	})
	b.client = NewClient(b.ts.URL+"/simulator", testSecret)
	b.recv = &receiver{client: b.client}
	mux.Handle("/simulator/", http.StripPrefix("/simulator", b.srv.Handler()))
	mux.Handle("/callbacks/simulator", b.recv)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.srv.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return b
}

// receiver is kassa's side of the callbacks, reduced to recording them.
type receiver struct {
	client *Client

	mu       sync.Mutex
	events   []payments.Event // accepted, in arrival order
	attempts []attempt        // every delivery, refused ones too
	bodies   [][]byte
	failNext int // refuse this many deliveries with a 500
}

type attempt struct {
	EventID  string
	At       time.Time
	Accepted bool
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	events, err := r.client.ParseCallback(req.Header, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, body)
	if r.failNext > 0 {
		r.failNext--
		r.attempts = append(r.attempts, attempt{EventID: events[0].ID, At: time.Now()})
		http.Error(w, "not now", http.StatusInternalServerError)
		return
	}
	r.attempts = append(r.attempts, attempt{EventID: events[0].ID, At: time.Now(), Accepted: true})
	r.events = append(r.events, events...)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) failNextDeliveries(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failNext = n
}

// eventsFor returns the accepted events of ref, in arrival order.
func (r *receiver) eventsFor(ref string) []payments.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []payments.Event
	for _, e := range r.events {
		if e.ProcessorRef == ref {
			out = append(out, e)
		}
	}
	return out
}

func (r *receiver) typesFor(ref string) []string {
	var out []string
	for _, e := range r.eventsFor(ref) {
		out = append(out, e.Type)
	}
	return out
}

// drain waits until every callback written so far has been delivered.
func (b *bundle) drain(t *testing.T) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var n int
		require.NoError(c, b.db.System.Get(&n, `SELECT count(*) FROM simulator_callbacks WHERE delivered_at IS NULL`))
		require.Zero(c, n, "callbacks not delivered yet")
	}, 10*time.Second, 10*time.Millisecond)
}

// waitType waits for an accepted event of type typ for ref.
func (b *bundle) waitType(t *testing.T, ref, typ string) payments.Event {
	t.Helper()
	var ev payments.Event
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, e := range b.recv.eventsFor(ref) {
			if e.Type == typ {
				ev = e
				return
			}
		}
		c.Errorf("no %s event for %s yet (have %v)", typ, ref, b.recv.typesFor(ref))
	}, 10*time.Second, 10*time.Millisecond)
	return ev
}

type authOpt func(*payments.AuthorizeRequest)

func withCapture(r *payments.AuthorizeRequest)   { r.Capture = true }
func withMandate(r *payments.AuthorizeRequest)   { r.SaveMandate = true }
func withMOTO(r *payments.AuthorizeRequest)      { r.Initiator = payments.InitiatorMerchantMOTO }
func withRecurring(r *payments.AuthorizeRequest) { r.Initiator = payments.InitiatorMerchantRecurring }
func withAmount(n int64) authOpt                 { return func(r *payments.AuthorizeRequest) { r.Amount = n } }
func withAccount(a uuid.UUID) authOpt {
	return func(r *payments.AuthorizeRequest) { r.MerchantID = gid.Of[gid.MerchantID](a) }
}
func withReturnURL(u string) authOpt { return func(r *payments.AuthorizeRequest) { r.ReturnURL = u } }
func withExpiry(m, y int) authOpt {
	return func(r *payments.AuthorizeRequest) { r.Card.ExpMonth, r.Card.ExpYear = m, y }
}
func withCVC(c string) authOpt { return func(r *payments.AuthorizeRequest) { r.Card.CVC = c } }

// authRequest builds an authorization of 1000 SEK by a present customer,
// keyed as kassa keys it.
func (b *bundle) authRequest(number string, opts ...authOpt) payments.AuthorizeRequest {
	id := uuid.New()
	cvc := "123"
	if len(number) == 15 {
		cvc = "1234"
	}
	r := payments.AuthorizeRequest{
		IdempotencyKey: payments.IdempotencyKey("authorize", id),
		PaymentID:      id,
		MerchantID:     gid.Of[gid.MerchantID](b.account),
		Amount:         1000,
		Currency:       "SEK",
		Card:           payments.Card{Number: number, ExpMonth: 12, ExpYear: b.clock.Now().Year() + 3, CVC: cvc, Holder: "Test Person"},
		Initiator:      payments.InitiatorCustomer,
		ReturnURL:      "https://shop.example/return",
		Description:    "Order 42",
	}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func (b *bundle) authorize(t *testing.T, number string, opts ...authOpt) (payments.AuthorizeRequest, payments.AuthorizeResponse) {
	t.Helper()
	req := b.authRequest(number, opts...)
	resp, err := b.client.Authorize(context.Background(), req)
	require.NoError(t, err)
	return req, resp
}

func (b *bundle) capture(ref string, amount int64) (payments.OperationResponse, error) {
	return b.client.Capture(context.Background(), payments.CaptureRequest{
		IdempotencyKey: payments.IdempotencyKey("capture", uuid.New()), ProcessorRef: ref, Amount: amount, Currency: "SEK",
	})
}

func (b *bundle) refund(ref string, amount int64) (payments.OperationResponse, error) {
	return b.client.Refund(context.Background(), payments.RefundRequest{
		IdempotencyKey: payments.IdempotencyKey("refund", uuid.New()), ProcessorRef: ref, Amount: amount, Currency: "SEK",
	})
}

func (b *bundle) void(ref string) (payments.OperationResponse, error) {
	return b.client.Void(context.Background(), payments.VoidRequest{IdempotencyKey: payments.IdempotencyKey("void", uuid.New()), ProcessorRef: ref})
}

func (b *bundle) payment(t *testing.T, ref string) Payment {
	t.Helper()
	p, err := b.srv.Payment(context.Background(), ref)
	require.NoError(t, err)
	return p
}

// requireDecline asserts err is a decline with code.
func requireDecline(t *testing.T, err error, code string) {
	t.Helper()
	require.ErrorIs(t, err, payments.ErrDeclined)
	var de *payments.DeclineError
	require.ErrorAs(t, err, &de)
	require.Equal(t, code, de.Code, "decline: %v", err)
	require.NotEmpty(t, de.Message)
}

// noRedirects is a browser that shows us where it would go.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// simulatorTables lists the simulator's tables as the owner sees them.
func simulatorTables(t *testing.T, owner *sqlx.DB) []string {
	t.Helper()
	var tables []string
	require.NoError(t, owner.Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name LIKE 'simulator\_%' ORDER BY 1`))
	require.Equal(t, []string{"simulator_callbacks", "simulator_operations", "simulator_payments", "simulator_tokens"}, tables)
	return tables
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
