// Package terminaltest runs a whole kassa server for the web terminal's
// tests: its own database, the server on its own port with its background
// loops (the simulator's callbacks, jobs), a merchant with an API key and
// staff who log in, and helpers to call GraphQL, drive the pages over HTTP
// and scan a database dump and the logs for card numbers.
package terminaltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/merchants"
	"kassa/server"
)

// Logs collects the server's log output, written from many goroutines.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Staff is a member who logs in.
type Staff struct {
	ID          uuid.UUID
	Name, Email string
	Password    string
	Role        auth.Role
	GlobalID    string // usr_…
}

// Env is one running kassa.
type Env struct {
	URL      string
	Server   *server.Server
	DBURL    string   // the database's superuser URL
	SQL      *sqlx.DB // superuser: looks behind the API's back
	Logs     *Logs
	Merchant merchants.Created
	APIKey   string
	Owner    Staff
	DataDir  string
}

// Start runs kassa for t, stopped when t ends.
func Start(t *testing.T) *Env {
	t.Helper()
	d, dbURL := dbtest.NewWithURL(t)
	su, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = su.Close() })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	cfg := server.Config{
		Addr: ln.Addr().String(), DataDir: t.TempDir(), PublicURL: base,
		Env: "development", LogLevel: "debug", APIKeyMode: "test",
		MaxBody: 1 << 20, RateLimit: 100000, RateBurst: 100000, Complexity: 1000, MaxDepth: 12,
		SessionTTL: time.Hour, DBMaxConns: 20,
		Processor: "simulator", SimulatorSecret: "kassa-terminal-test-secret",
		MailFrom: "kassa@kassa.test",
	}
	logs := &Logs{}
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
			p := ArtifactPath(t, "server.log")
			_ = os.WriteFile(p, []byte(logs.String()), 0o644)
			t.Logf("server log in %s", p)
		}
	})
	e := &Env{URL: base, Server: srv, DBURL: dbURL, SQL: su, Logs: logs, DataDir: cfg.DataDir}
	Eventually(t, 10*time.Second, "the server to answer /healthz", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	pw := "owner-password-" + uuid.NewString()[:8]
	e.Merchant, err = srv.Merchants().Create(context.Background(), merchants.NewMerchant{
		Name: "Snickeri Nord AB", OwnerEmail: "owner@snickeri.test", OwnerName: "Olga Owner", OwnerPassword: pw,
	})
	require.NoError(t, err)
	e.APIKey = e.Merchant.Secret
	e.Owner = Staff{ID: e.Merchant.Owner.ID, Name: "Olga Owner", Email: "owner@snickeri.test", Password: pw, Role: auth.RoleOwner,
		GlobalID: UserGlobalID(e.Merchant.Owner.ID)}
	return e
}

// UserGlobalID is a user's GraphQL id.
func UserGlobalID(id uuid.UUID) string { return "usr_" + strings.ReplaceAll(id.String(), "-", "") }

// PaymentGlobalID is a payment's GraphQL id.
func PaymentGlobalID(id uuid.UUID) string { return "pay_" + strings.ReplaceAll(id.String(), "-", "") }

// AddStaff makes a member with a password.
func (e *Env) AddStaff(t *testing.T, name, email string, role auth.Role) Staff {
	t.Helper()
	key := e.Merchant.APIKey.ID
	actor := &auth.Principal{MerchantID: e.Merchant.Merchant.ID, Kind: auth.CredentialAPIKey, CredentialID: key}
	pw := "staff-password-" + uuid.NewString()[:8]
	u, err := e.Server.Auth().CreateUser(context.Background(), actor, auth.NewUser{Email: email, Name: name, Role: role, Password: pw})
	require.NoError(t, err)
	return Staff{ID: u.ID, Name: name, Email: email, Password: pw, Role: role, GlobalID: UserGlobalID(u.ID)}
}

// ArtifactPath is where a test leaves a file for people to look at:
// test-artifacts/ at the repository root (ignored by git).
func ArtifactPath(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the test's directory")
		dir = parent
	}
	out := filepath.Join(dir, "test-artifacts")
	require.NoError(t, os.MkdirAll(out, 0o755))
	return filepath.Join(out, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+name)
}

// Eventually polls cond until it holds, failing t after timeout.
func Eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Count runs a counting query as the superuser.
func (e *Env) Count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.SQL.Get(&n, query, args...), query)
	return n
}

// UserError is one of a payload's userErrors.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// Response is a GraphQL answer.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Raw []byte `json:"-"`
}

// Decode reads the data into v, failing t on top-level errors.
func (r Response) Decode(t *testing.T, v any) {
	t.Helper()
	require.Empty(t, r.Errors, "%s", r.Raw)
	require.NoError(t, json.Unmarshal(r.Data, v), "%s", r.Raw)
}

// Code is the first top-level error's code, or "".
func (r Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// GraphQL posts a request with the merchant's API key.
func (e *Env) GraphQL(t *testing.T, query string, vars map[string]any) Response {
	t.Helper()
	return e.graphql(t, http.DefaultClient, map[string]string{"Authorization": "Bearer " + e.APIKey}, query, vars)
}

// GraphQLAs posts a request as a logged-in browser (its session cookie).
func (e *Env) GraphQLAs(t *testing.T, b *Browser, query string, vars map[string]any) Response {
	t.Helper()
	return e.graphql(t, b.Client, nil, query, vars)
}

func (e *Env) graphql(t *testing.T, c *http.Client, headers map[string]string, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	r := Response{Status: res.StatusCode, Raw: raw}
	require.NoError(t, json.Unmarshal(raw, &r), "%d %s", res.StatusCode, raw)
	return r
}

// Browser is an HTTP client with its own cookies: a logged-in person
// without a real browser. It does not follow redirects.
type Browser struct {
	Client *http.Client
	env    *Env
}

// Page is an HTTP answer.
type Page struct {
	Status   int
	Location string
	Body     string
}

// NewBrowser returns a client with an empty cookie jar.
func (e *Env) NewBrowser(t *testing.T) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &Browser{env: e, Client: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Login logs s in through the login page.
func (e *Env) Login(t *testing.T, s Staff) *Browser {
	t.Helper()
	b := e.NewBrowser(t)
	form := b.Get(t, "/login")
	require.Equal(t, http.StatusOK, form.Status)
	p := b.Post(t, "/login", url.Values{"csrf_token": {Field(t, form.Body, "csrf_token")}, "email": {s.Email}, "password": {s.Password}, "next": {"/terminal"}})
	require.Equal(t, http.StatusSeeOther, p.Status, "login of %s: %s", s.Email, p.Body)
	return b
}

// Get fetches path.
func (b *Browser) Get(t *testing.T, path string) Page {
	t.Helper()
	res, err := b.Client.Get(b.env.URL + path)
	require.NoError(t, err)
	return read(t, res)
}

// Post submits a form to path.
func (b *Browser) Post(t *testing.T, path string, form url.Values) Page {
	t.Helper()
	res, err := b.Client.PostForm(b.env.URL+path, form)
	require.NoError(t, err)
	return read(t, res)
}

func read(t *testing.T, res *http.Response) Page {
	t.Helper()
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return Page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(raw)}
}

// Field returns the value of the named input in a page.
func Field(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`).FindStringSubmatch(body)
	require.NotNil(t, m, "no input %q in the page", name)
	return html.UnescapeString(m[1])
}

// Expiry is a card expiry date three years ahead, as MM/YY.
func Expiry() string { return fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100) }

// Test card numbers (the simulator's).
const (
	CardOK         = "4242424242424242"
	CardDeclined   = "4000000000000002"
	CardMastercard = "5555555555554444"
	CardNoFunds    = "4000000000009995"
)

// ScanForCards dumps the whole database and fails t if any card number
// (with or without spaces or dashes) is in the dump or in the logs.
func (e *Env) ScanForCards(t *testing.T, numbers ...string) {
	t.Helper()
	dump := PGDump(t, e.DBURL)
	require.Greater(t, len(dump), 10000, "the dump is suspiciously small")
	require.Contains(t, dump, "terminal_payments", "the dump misses the terminal's table")
	logs := e.Logs.String()
	for _, n := range numbers {
		for _, form := range []string{n, group(n, " "), group(n, "-")} {
			if line := lineWith(dump, form); line != "" {
				t.Errorf("card number %s is in the database dump: %s", form, line)
			}
			if line := lineWith(logs, form); line != "" {
				t.Errorf("card number %s is in the logs: %s", form, line)
			}
		}
	}
}

// lineWith returns the first line of s that holds sub, or "".
func lineWith(s, sub string) string {
	i := strings.Index(s, sub)
	if i < 0 {
		return ""
	}
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

func group(n, sep string) string {
	var parts []string
	for i := 0; i < len(n); i += 4 {
		parts = append(parts, n[i:min(i+4, len(n))])
	}
	return strings.Join(parts, sep)
}

// PGDump returns a plain-text dump of the database at url.
func PGDump(t *testing.T, dbURL string) string {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin/pg_dump"
	if _, err := os.Stat(bin); err != nil {
		bin, err = exec.LookPath("pg_dump")
		require.NoError(t, err, "pg_dump is not installed (apt-get install postgresql-client)")
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, "--no-owner", "--no-privileges", "--dbname="+dbURL)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), "pg_dump: %s", stderr.String())
	return out.String()
}
