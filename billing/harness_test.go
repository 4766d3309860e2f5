package billing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/merchants"
	"kassa/server"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// kassa is a whole server for a test: HTTP, simulator, callbacks, River.
type kassa struct {
	srv        *server.Server
	db         *db.DB
	url        string
	ownerURL   string
	key        string
	merchantID uuid.UUID
	log        *syncBuffer
}

func start(t *testing.T) *kassa {
	t.Helper()
	d, ownerURL := dbtest.NewWithURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	logBuf := &syncBuffer{}
	cfg := server.Config{
		Addr: addr, PublicURL: "http://" + addr, DataDir: t.TempDir(), Env: "development", APIKeyMode: "test",
		MaxBody: 4 << 20, RateLimit: 10000, RateBurst: 10000, Complexity: 100000, MaxDepth: 15, SessionTTL: time.Hour,
		Processor: "simulator", SimulatorSecret: "test-secret", MailFrom: "kassa@example.com",
		BillingSchedule: "0 0 1 1 *", // the tests sweep by hand
	}
	srv, err := server.New(cfg, d, logging.New(logBuf, "info"))
	require.NoError(t, err)
	l, err := srv.Listen()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, l); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c, err := srv.Merchants().Create(context.Background(), merchants.NewMerchant{Name: "Gym AB", OwnerEmail: "owner-" + uuid.NewString()[:8] + "@gym.example", OwnerPassword: "correct horse battery"})
	require.NoError(t, err)
	return &kassa{srv: srv, db: d, url: cfg.PublicURL, ownerURL: ownerURL, key: c.Secret, merchantID: c.Merchant.ID, log: logBuf}
}

// gql runs a GraphQL request with the merchant's key and decodes data.
func (k *kassa) gql(t *testing.T, query string, vars map[string]any, out any, header ...string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, k.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+k.key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(b, &env), string(b))
	require.Empty(t, env.Errors, string(b))
	if out != nil {
		require.NoError(t, json.Unmarshal(env.Data, out), string(b))
	}
}

var hidden = regexp.MustCompile(`name="(csrf_token|attempt|checkout)" value="([^"]*)"`)

// pay pays a payment link over HTTP as a customer would, and waits until
// the processor's callback settled it.
func (k *kassa) pay(t *testing.T, link, card string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(link)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(page))
	form := url.Values{"accept": {"yes"}, "cardNumber": {card}, "expiry": {fmt.Sprintf("12/%02d", (time.Now().Year()+2)%100)}, "cvc": {"123"}, "cardholder": {"Test"}}
	for _, m := range hidden.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	resp, err = c.PostForm(link, form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	status := resp.Header.Get("Location")
	require.Eventually(t, func() bool {
		r, err := c.Get(status)
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "payment not settled")
}

// sweep runs the billing sweep as of now.
func (k *kassa) sweep(t *testing.T, now time.Time) {
	t.Helper()
	_, err := k.srv.Billing().Sweep(context.Background(), now)
	require.NoError(t, err)
}

func (k *kassa) scalar(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	owner, err := sqlOpen(k.ownerURL)
	require.NoError(t, err)
	defer owner.Close()
	var n int64
	require.NoError(t, owner.QueryRow(query, args...).Scan(&n))
	return n
}

// mails counts the emails of a kind (order_confirmation, charge_failed,
// …) written to addr.
func (k *kassa) mails(t *testing.T, kind, addr string) int {
	t.Helper()
	dir := k.srv.MailDir()
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), kind+"-") {
			continue
		}
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err == nil && strings.Contains(string(b), addr) {
			n++
		}
	}
	return n
}
