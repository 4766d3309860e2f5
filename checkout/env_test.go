package checkout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/merchants"
	"kassa/server"
	"kassa/webhooks"
)

// env is one kassa running for a test: its own database, the server on
// its own port, serving (jobs, the simulator's callbacks), a merchant and
// its API key.
type env struct {
	url     string
	srv     *server.Server
	sql     *sqlx.DB // superuser, to look behind the API
	key     string
	dataDir string
}

// setup starts kassa. allowPrivate lets webhooks reach the test's
// receivers on 127.0.0.1.
func setup(t *testing.T, allowPrivate bool) *env {
	t.Helper()
	d, dbURL := dbtest.NewWithURL(t)
	su, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = su.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	cfg := server.Config{
		Addr: ln.Addr().String(), DataDir: t.TempDir(), PublicURL: base, Env: "development", LogLevel: "warn", APIKeyMode: "test",
		MaxBody: 1 << 20, RateLimit: 100000, RateBurst: 100000, Complexity: 1000, MaxDepth: 12, SessionTTL: time.Hour, DBMaxConns: 10,
		Processor: "simulator", SimulatorSecret: "kassa-checkout-test-secret", MailFrom: "kassa@kassa.test",
		WebhookAllowPrivate: allowPrivate, WebhookSchedule: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
	}
	logs := &syncBuffer{}
	srv, err := server.New(cfg, d, logging.New(logs, cfg.LogLevel))
	if err != nil {
		_ = ln.Close()
	}
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("server: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("server did not stop")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	c, err := srv.Merchants().Create(context.Background(), merchants.NewMerchant{
		Name: "Snickeri Nord AB", OwnerEmail: "owner@snickeri.example", OwnerName: "Owner", OwnerPassword: "a long password 123"})
	require.NoError(t, err)
	return &env{url: base, srv: srv, sql: su, key: c.Secret, dataDir: cfg.DataDir}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// graphql posts a request with the merchant's API key; it requires no
// top-level errors and decodes data into out.
func (e *env) graphql(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.key)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GraphQL answered %d: %s", resp.StatusCode, raw)
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(raw, &r))
	require.Empty(t, r.Errors, "GraphQL errors: %s", raw)
	if out != nil {
		require.NoError(t, json.Unmarshal(r.Data, out), "%s", raw)
	}
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.sql.Get(&n, q, args...))
	return n
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func codes(ues []userError) []string {
	out := make([]string, len(ues))
	for i, u := range ues {
		out[i] = u.Code
	}
	return out
}

// shopper pays on the hosted page over plain HTTP, seeing redirects
// rather than following them.
type shopper struct{ c *http.Client }

func newShopper(t *testing.T) *shopper {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &shopper{c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	location string
	refresh  string
	body     string
}

func (s *shopper) do(t *testing.T, method, u string, form url.Values) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), refresh: resp.Header.Get("Refresh"), body: string(b)}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

func expiry() string { return fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100) }

// submit opens the payment page and pays with card; it returns the
// redirect's target (the status page, or 3-D Secure).
func (s *shopper) submit(t *testing.T, link, card, email string) page {
	t.Helper()
	p := s.do(t, http.MethodGet, link, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(p.body, -1) {
		form.Set(m[1], m[2])
	}
	form.Set("cardNumber", card)
	form.Set("expiry", expiry())
	form.Set("cvc", "123")
	form.Set("cardholder", "Anna Andersson")
	if email != "" {
		form.Set("email", email)
	}
	return s.do(t, http.MethodPost, link, form)
}

// waitSettled follows the status page while it says "processing".
func (s *shopper) waitSettled(t *testing.T, statusURL string) page {
	t.Helper()
	var p page
	eventually(t, 20*time.Second, "the payment to settle", func() bool {
		p = s.do(t, http.MethodGet, statusURL, nil)
		return p.status != http.StatusAccepted
	})
	return p
}

// hook is one webhook delivery a receiver got.
type hook struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Type                     string
	Data                     map[string]any
}

// receiver is the shop's webhook endpoint: it verifies every delivery
// with the secret it is given and keeps them.
type receiver struct {
	mu     sync.Mutex
	secret string
	hooks  []hook
	bad    int
	srv    *http.Server
	url    string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	rc := &receiver{url: "http://" + ln.Addr().String() + "/kassa"}
	rc.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := hook{ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"), Signature: r.Header.Get("webhook-signature"), Body: body}
		var env struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &env)
		h.Type, h.Data = env.Type, env.Data
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if webhooks.Verify(rc.secret, h.ID, h.Timestamp, h.Signature, body, time.Now(), webhooks.DefaultTolerance) != nil {
			rc.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.hooks = append(rc.hooks, h)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = rc.srv.Serve(ln) }()
	t.Cleanup(func() { _ = rc.srv.Close() })
	return rc
}

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s
}

// wait returns the first delivery of type typ (dotted) whose data
// matches, waiting for it.
func (rc *receiver) wait(t *testing.T, typ string, match func(map[string]any) bool) hook {
	t.Helper()
	var found hook
	eventually(t, 20*time.Second, "a "+typ+" webhook", func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, h := range rc.hooks {
			if h.Type == typ && (match == nil || match(h.Data)) {
				found = h
				return true
			}
		}
		return false
	})
	return found
}

func (rc *receiver) all() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hook(nil), rc.hooks...)
}
