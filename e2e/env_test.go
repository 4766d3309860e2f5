package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/merchants"
	"kassa/server"
)

// mailFrom is the sender address kassa is configured with.
const mailFrom = "kassa@kassa.test"

// syncBuffer collects output written from many goroutines.
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

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// repoRoot is the module's root directory (tests run in e2e/).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "go.mod"))
	require.NoError(t, err, "e2e tests must run from the e2e directory of the repository")
	return dir
}

// artifactPath is where a test leaves a file for people to look at:
// test-artifacts/ at the repository root (ignored by git).
func artifactPath(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "test-artifacts")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+name)
}

// eventually polls cond every 100 ms until it holds, failing the test
// after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// env is one running kassa: its own database, server on its own port,
// a merchant with an API key, and the mailpit it sends through.
type env struct {
	url      string // KASSA_PUBLIC_URL
	srv      *server.Server
	sql      *sqlx.DB // superuser: counts rows behind the API's back
	mail     *mailpit
	merchant merchants.Created
	key      string // the merchant's API key secret
	name     string // the merchant's name
	logs     *syncBuffer
}

// setup starts kassa for this test, sending mail through mp.
func setup(t *testing.T, mp *mailpit) *env {
	t.Helper()
	d, dbURL := dbtest.NewWithURL(t)
	su, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = su.Close() })

	// The public URL must be known before the server is built, so listen
	// first and hand the listener to Serve.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	cfg := server.Config{
		Addr: ln.Addr().String(), DataDir: t.TempDir(), PublicURL: base,
		Env: "development", LogLevel: "info", APIKeyMode: "test",
		MaxBody: 1 << 20, RateLimit: 100000, RateBurst: 100000, Complexity: 1000, MaxDepth: 12,
		SessionTTL: time.Hour, DBMaxConns: 10,
		Processor: "simulator", SimulatorSecret: "kassa-e2e-simulator-secret",
		SMTPURL: "smtp://" + mp.smtpAddr, SMTPTLS: "none", MailFrom: mailFrom,
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
			t.Errorf("server did not stop within 30 s")
		}
		if t.Failed() {
			p := artifactPath(t, "server.log")
			_ = os.WriteFile(p, []byte(logs.String()), 0o644)
			t.Logf("server log in %s; its end:\n%s", p, tail(logs.String(), 30))
		}
	})
	e := &env{url: base, srv: srv, sql: su, mail: mp, logs: logs}
	eventually(t, 10*time.Second, "the server to answer /healthz", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	e.name = "Snickeri Nord AB"
	e.merchant, e.key = e.newMerchant(t, e.name)
	return e
}

// newMerchant creates a merchant and returns it with its API key secret.
func (e *env) newMerchant(t *testing.T, name string) (merchants.Created, string) {
	t.Helper()
	owner := "owner-" + randomHex(4) + "@example.com"
	c, err := e.srv.Merchants().Create(context.Background(), merchants.NewMerchant{
		Name: name, OwnerEmail: owner, OwnerName: "Owner of " + name, OwnerPassword: "pw-" + randomHex(12),
	})
	require.NoError(t, err)
	require.NotEmpty(t, c.Secret)
	return c, c.Secret
}

// count runs a counting query as the superuser.
func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.sql.Get(&n, query, args...), query)
	return n
}

// waitJobsIdle waits until no email job is waiting to be worked or
// retried, so a count of delivered mail is final.
func (e *env) waitJobsIdle(t *testing.T) {
	t.Helper()
	eventually(t, 90*time.Second, "all email jobs to finish", func() bool {
		return e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send' AND state NOT IN ('completed', 'discarded', 'cancelled')`) == 0
	})
	require.Zero(t, e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send' AND state <> 'completed'`),
		"an email job was discarded or cancelled")
}

// emailJobs counts the email jobs of a kind (order_confirmation, receipt,
// …) to a recipient.
func (e *env) emailJobs(t *testing.T, kind, to string) int {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send'
		AND args->'message'->>'kind' = $1 AND args->'message'->>'to' = $2`, kind, to)
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// graphqlAs posts a GraphQL request with an API key and returns the
// decoded answer, whatever it says.
func (e *env) graphqlAs(t *testing.T, key, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.url+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GraphQL answered %d: %s", resp.StatusCode, raw)
	var out gqlResponse
	require.NoError(t, json.Unmarshal(raw, &out), "GraphQL answer: %s", raw)
	return out
}

// graphql runs a request as the test's merchant, requires that it has no
// top-level errors, and decodes its data into out.
func (e *env) graphql(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	e.graphqlKey(t, e.key, query, vars, out)
}

func (e *env) graphqlKey(t *testing.T, key, query string, vars map[string]any, out any) {
	t.Helper()
	resp := e.graphqlAs(t, key, query, vars)
	require.Empty(t, resp.Errors, "GraphQL errors for %s", query)
	if out != nil {
		require.NoError(t, json.Unmarshal(resp.Data, out))
	}
}

type moneyView struct {
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Formatted string `json:"formatted"`
}

type paymentView struct {
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	Amount       moneyView `json:"amount"`
	Captured     moneyView `json:"captured"`
	Capturable   moneyView `json:"capturable"`
	ThreeDSecure string    `json:"threeDSecure"`
	FailureCode  string    `json:"failureCode"`
	Events       []struct {
		Type   string `json:"type"`
		Status string `json:"status"`
	} `json:"events"`
}

type linkView struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Status   string `json:"status"`
	Views    int    `json:"views"`
	Attempts int    `json:"attempts"`
}

type orderView struct {
	ID          string    `json:"id"`
	Number      int64     `json:"number"`
	Status      string    `json:"status"`
	CaptureMode string    `json:"captureMode"`
	Paid        moneyView `json:"paid"`
	PaidAt      string    `json:"paidAt"`
	Totals      struct {
		Net   moneyView `json:"net"`
		VAT   moneyView `json:"vat"`
		Gross moneyView `json:"gross"`
	} `json:"totals"`
	Lines []struct {
		Description string    `json:"description"`
		Quantity    int64     `json:"quantity"`
		Gross       moneyView `json:"gross"`
	} `json:"lines"`
	Payments      []paymentView `json:"payments"`
	PaymentLinks  []linkView    `json:"paymentLinks"`
	Confirmations []struct {
		ID         string  `json:"id"`
		Version    int     `json:"version"`
		AcceptedAt *string `json:"acceptedAt"`
		AcceptedIP *string `json:"acceptedIp"`
	} `json:"confirmations"`
}

const orderFields = `id number status captureMode paidAt
	paid { amount currency formatted }
	totals { net { amount currency formatted } vat { amount currency formatted } gross { amount currency formatted } }
	lines { description quantity gross { amount currency formatted } }
	payments { id status threeDSecure failureCode amount { amount } captured { amount } capturable { amount } events { type status } }
	paymentLinks { id url status views attempts }
	confirmations { id version acceptedAt acceptedIp }`

// line is an order line input.
func line(description string, quantity, unitPrice int64, vatRate int) map[string]any {
	return map[string]any{"description": description, "quantity": quantity, "unitPrice": unitPrice, "vatRate": vatRate}
}

// orderInput is a createOrder input for a Swedish customer.
func orderInput(name, email string, lines ...map[string]any) map[string]any {
	if lines == nil {
		lines = []map[string]any{} // [], not null
	}
	return map[string]any{
		"customer": map[string]any{"name": name, "email": email, "locale": "sv"},
		"lines":    lines,
	}
}

// customerEmail is an address no other test uses.
func customerEmail(who string) string {
	return who + "-" + randomHex(4) + "@example.com"
}

func (e *env) createOrderKey(t *testing.T, key string, input map[string]any) (*orderView, []userError) {
	t.Helper()
	var out struct {
		CreateOrder struct {
			Order      *orderView  `json:"order"`
			UserErrors []userError `json:"userErrors"`
		} `json:"createOrder"`
	}
	e.graphqlKey(t, key, `mutation($input: CreateOrderInput!) { createOrder(input: $input) {
		order { `+orderFields+` } userErrors { field message code } } }`, map[string]any{"input": input}, &out)
	return out.CreateOrder.Order, out.CreateOrder.UserErrors
}

func (e *env) createOrder(t *testing.T, input map[string]any) (*orderView, []userError) {
	t.Helper()
	return e.createOrderKey(t, e.key, input)
}

// mustCreateOrder creates an order that must be valid.
func (e *env) mustCreateOrder(t *testing.T, input map[string]any) orderView {
	t.Helper()
	o, errs := e.createOrder(t, input)
	require.Empty(t, errs)
	require.NotNil(t, o)
	require.Equal(t, "DRAFT", o.Status)
	return *o
}

// sendConfirmation calls sendOrderConfirmation with input.
func (e *env) sendConfirmation(t *testing.T, input map[string]any) (*linkView, []userError) {
	t.Helper()
	var out struct {
		Send struct {
			Confirmation *struct {
				ID string `json:"id"`
			} `json:"confirmation"`
			PaymentLink *linkView   `json:"paymentLink"`
			UserErrors  []userError `json:"userErrors"`
		} `json:"sendOrderConfirmation"`
	}
	e.graphql(t, `mutation($input: SendOrderConfirmationInput!) { sendOrderConfirmation(input: $input) {
		confirmation { id } paymentLink { id url status views attempts } userErrors { field message code } } }`,
		map[string]any{"input": input}, &out)
	return out.Send.PaymentLink, out.Send.UserErrors
}

// mustSend sends an order's confirmation and returns its payment link.
func (e *env) mustSend(t *testing.T, orderID string) linkView {
	t.Helper()
	l, errs := e.sendConfirmation(t, map[string]any{"orderId": orderID})
	require.Empty(t, errs)
	require.NotNil(t, l)
	require.True(t, strings.HasPrefix(l.URL, e.url+"/pay/"), "link %s is not under %s/pay/", l.URL, e.url)
	require.Equal(t, "ACTIVE", l.Status)
	return *l
}

func (e *env) orderKey(t *testing.T, key, id string) *orderView {
	t.Helper()
	var out struct {
		Node *orderView `json:"node"`
	}
	e.graphqlKey(t, key, `query($id: ID!) { node(id: $id) { ... on Order { `+orderFields+` } } }`, map[string]any{"id": id}, &out)
	return out.Node
}

// order fetches an order of the test's merchant.
func (e *env) order(t *testing.T, id string) orderView {
	t.Helper()
	o := e.orderKey(t, e.key, id)
	require.NotNil(t, o, "order %s not found", id)
	return *o
}

// waitOrder polls the order until it has status.
func (e *env) waitOrder(t *testing.T, id, status string) orderView {
	t.Helper()
	var o orderView
	eventually(t, 30*time.Second, fmt.Sprintf("order %s to be %s", id, status), func() bool {
		o = e.order(t, id)
		return o.Status == status
	})
	return o
}

// markDelivered calls markOrderDelivered; amount nil captures the rest.
func (e *env) markDelivered(t *testing.T, orderID string, amount *int64) (*orderView, []userError) {
	t.Helper()
	input := map[string]any{"orderId": orderID}
	if amount != nil {
		input["amount"] = *amount
	}
	var out struct {
		M struct {
			Order      *orderView  `json:"order"`
			UserErrors []userError `json:"userErrors"`
		} `json:"markOrderDelivered"`
	}
	e.graphql(t, `mutation($input: MarkOrderDeliveredInput!) { markOrderDelivered(input: $input) {
		order { `+orderFields+` } userErrors { field message code } } }`, map[string]any{"input": input}, &out)
	return out.M.Order, out.M.UserErrors
}

func codes(errs []userError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Code
	}
	return out
}
