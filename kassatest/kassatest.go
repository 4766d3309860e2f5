// Package kassatest starts a whole kassa for a test on the test's own
// database: the HTTP server on its own port with its background loops (the
// payment simulator and its callbacks, webhooks, River jobs), and a
// merchant with an API key. Options set what tests differ in (SMTP server,
// webhooks to private addresses, the simulator's clock, the billing
// schedule, rate limits, the log buffer, …).
//
// It also holds what such tests share: a free address and listener, the
// server configuration's test defaults, merchants and staff, GraphQL
// requests, a log buffer safe for concurrent writes, cookie-keeping HTTP
// clients that log in, waiting, artifacts, and a scan of the database dump
// and the logs for card numbers.
package kassatest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db"
	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/merchants"
	"kassa/payments/simulator"
	"kassa/server"
)

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreeAddr returns a free 127.0.0.1 address, for a process that listens
// on it itself.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, _ := Listen(t)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// Listen listens on a free 127.0.0.1 port and returns the listener and
// its http:// URL. Whoever serves on it closes it.
func Listen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln, "http://" + ln.Addr().String()
}

// DefaultConfig is the configuration Start begins with: a development
// server on addr (its public URL http://addr) with the simulator, data in
// dataDir, mail written to files there, and limits high enough that tests
// do not meet them.
func DefaultConfig(addr, dataDir string) server.Config {
	return server.Config{
		Addr: addr, DataDir: dataDir, PublicURL: "http://" + addr,
		Env: "development", LogLevel: "debug", APIKeyMode: "test",
		MaxBody: 1 << 20, RateLimit: 100000, RateBurst: 100000, Complexity: 1000, MaxDepth: 12,
		SessionTTL: time.Hour, DBMaxConns: 20,
		Processor: "simulator", ProcessorSettings: map[string]string{simulator.SecretEnv: "kassa-test-simulator-secret"},
		MailFrom: MailFrom,
	}
}

// MailFrom is the sender address of DefaultConfig.
const MailFrom = "kassa@kassa.test"

// An Option changes what Start runs.
type Option func(*options)

type options struct {
	config   []func(*server.Config)
	merchant *merchants.NewMerchant
}

// Configure changes the server's configuration (after DefaultConfig and
// the options before it).
func Configure(f func(*server.Config)) Option {
	return func(o *options) { o.config = append(o.config, f) }
}

// LogLevel sets the server's log level (default debug).
func LogLevel(level string) Option {
	return Configure(func(c *server.Config) { c.LogLevel = level })
}

// SMTP sends mail through the SMTP server at url (smtp://host:port),
// without TLS, instead of writing it to files.
func SMTP(url string) Option {
	return Configure(func(c *server.Config) { c.SMTPURL, c.SMTPTLS = url, "none" })
}

// WebhookAllowPrivate lets webhooks reach receivers on 127.0.0.1.
func WebhookAllowPrivate() Option {
	return Configure(func(c *server.Config) { c.WebhookAllowPrivate = true })
}

// WebhookSchedule sets the waits after failed webhook attempts.
func WebhookSchedule(waits ...time.Duration) Option {
	return Configure(func(c *server.Config) { c.WebhookSchedule = waits })
}

// SimulatorSecret sets the secret that signs the simulator's callbacks.
func SimulatorSecret(secret string) Option {
	return Configure(func(c *server.Config) {
		if c.ProcessorSettings == nil {
			c.ProcessorSettings = map[string]string{}
		}
		c.ProcessorSettings[simulator.SecretEnv] = secret
	})
}

// BillingSchedule sets the billing sweep's cron expression.
func BillingSchedule(cron string) Option {
	return Configure(func(c *server.Config) { c.BillingSchedule = cron })
}

// RateLimit sets the requests per second and burst per credential.
func RateLimit(rate float64, burst int) Option {
	return Configure(func(c *server.Config) { c.RateLimit, c.RateBurst = rate, burst })
}

// Merchant sets the merchant Start creates (by default Snickeri Nord AB,
// owned by Olga Owner, owner@snickeri.test).
func Merchant(m merchants.NewMerchant) Option {
	return func(o *options) { o.merchant = &m }
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
	Config   server.Config
	DB       *db.DB   // the server's pool
	DBURL    string   // the database's superuser URL
	SQL      *sqlx.DB // superuser: looks behind the API's back
	Logs     *logging.Buffer
	Merchant merchants.Created
	APIKey   string
	Owner    Staff
	DataDir  string
	// Client makes the GraphQL requests; nil is http.DefaultClient.
	Client *http.Client
}

// Start runs kassa for t, stopped when t ends. If t failed, the server's
// log is left in test-artifacts/ and its end is logged.
func Start(t *testing.T, opts ...Option) *Env {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	d, dbURL := dbtest.NewWithURL(t)
	su, err := sqlx.Open("postgres", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = su.Close() })

	// The public URL must be known before the server is built, so listen
	// first and hand the listener to Serve.
	ln, base := Listen(t)
	cfg := DefaultConfig(ln.Addr().String(), t.TempDir())
	for _, f := range o.config {
		f(&cfg)
	}
	logs := &logging.Buffer{}
	srv, err := server.New(cfg, d, logging.New(logs, cfg.LogLevel))
	if err != nil {
		_ = ln.Close()
	}
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		if t.Failed() {
			writeDiagnostics(t, su)
		}
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
			t.Logf("server log in %s; its end:\n%s", p, Tail(logs.String(), 30))
		}
	})
	e := &Env{URL: base, Server: srv, Config: cfg, DB: d, DBURL: dbURL, SQL: su, Logs: logs, DataDir: cfg.DataDir}
	Eventually(t, 10*time.Second, "the server to answer /healthz", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	m := merchants.NewMerchant{Name: "Snickeri Nord AB", OwnerEmail: "owner@snickeri.test", OwnerName: "Olga Owner",
		OwnerPassword: "owner-password-" + uuid.NewString()[:8]}
	if o.merchant != nil {
		m = *o.merchant
	}
	e.Merchant, err = srv.Merchants().Create(context.Background(), m)
	require.NoError(t, err)
	require.NotEmpty(t, e.Merchant.Secret)
	e.APIKey = e.Merchant.Secret
	e.Owner = Staff{ID: e.Merchant.Owner.ID, Name: m.OwnerName, Email: m.OwnerEmail, Password: m.OwnerPassword, Role: auth.RoleOwner,
		GlobalID: UserGlobalID(e.Merchant.Owner.ID)}
	return e
}

// MerchantNamed is a merchant called name, owned by someone with an
// address no one else has.
func MerchantNamed(name string) merchants.NewMerchant {
	return merchants.NewMerchant{
		Name: name, OwnerEmail: "owner-" + uuid.NewString()[:8] + "@example.com", OwnerName: "Owner of " + name,
		OwnerPassword: "pw-" + strings.ReplaceAll(uuid.NewString(), "-", ""),
	}
}

// NewMerchant creates another merchant (MerchantNamed) and returns it with
// its API key's secret.
func (e *Env) NewMerchant(t *testing.T, name string) (merchants.Created, string) {
	t.Helper()
	c, err := e.Server.Merchants().Create(context.Background(), MerchantNamed(name))
	require.NoError(t, err)
	require.NotEmpty(t, c.Secret)
	return c, c.Secret
}

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

// Count runs a counting query as the superuser.
func (e *Env) Count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, e.SQL.Get(&n, query, args...), query)
	return n
}

// RepoRoot is the module's root directory: the first above the test's
// directory with a go.mod.
func RepoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "no go.mod above the test's directory")
		dir = parent
	}
}

// writeDiagnostics leaves, for a failed test, what explains a stall: the
// test process's goroutines (the server runs in it) and the River jobs
// with their state, attempts and errors.
func writeDiagnostics(t *testing.T, su *sqlx.DB) {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	_ = os.WriteFile(ArtifactPath(t, "goroutines.txt"), b.Bytes(), 0o644)
	b.Reset()
	rows, err := su.Query(`SELECT id, kind, state, attempt, created_at, scheduled_at, attempted_at, finalized_at, errors::text
		FROM river_job ORDER BY id`)
	if err != nil {
		fmt.Fprintf(&b, "river_job: %v\n", err)
	} else {
		defer rows.Close()
		for rows.Next() {
			var id int64
			var kind, state string
			var attempt int
			var created, scheduled time.Time
			var attempted, finalized sql.NullTime
			var errs sql.NullString
			if err := rows.Scan(&id, &kind, &state, &attempt, &created, &scheduled, &attempted, &finalized, &errs); err != nil {
				fmt.Fprintf(&b, "scan: %v\n", err)
				break
			}
			fmt.Fprintf(&b, "%d %s %s attempt=%d created=%s scheduled=%s attempted=%v finalized=%v errors=%s\n", id, kind, state, attempt,
				created.Format(time.RFC3339Nano), scheduled.Format(time.RFC3339Nano), attempted.Time.Format(time.RFC3339Nano), finalized.Time.Format(time.RFC3339Nano), errs.String)
		}
	}
	_ = os.WriteFile(ArtifactPath(t, "river-jobs.txt"), b.Bytes(), 0o644)
	t.Logf("goroutines and River jobs in %s", ArtifactPath(t, "{goroutines,river-jobs}.txt"))
}

// ArtifactPath is where a test leaves a file for people to look at:
// test-artifacts/ at the repository root (ignored by git).
func ArtifactPath(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(RepoRoot(t), "test-artifacts")
	require.NoError(t, os.MkdirAll(out, 0o755))
	return filepath.Join(out, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+name)
}

// WaitJobs waits until no job of the kinds (any kind when none are named)
// is left to be worked or retried: what they do has then been done. A test
// that asserts that something did not happen (a second email, a delivery
// after giving up) waits for this rather than for a while.
func (e *Env) WaitJobs(t *testing.T, kinds ...string) {
	t.Helper()
	Eventually(t, 30*time.Second, fmt.Sprintf("jobs %v to be worked", kinds), func() bool {
		ok, err := e.Server.Jobs().Drained(context.Background(), kinds...)
		require.NoError(t, err)
		return ok
	})
}

// WaitCallbacks waits until the simulator has delivered every callback it
// queued (the operation that queues one commits it with the operation; the
// callback is processed in the request that delivers it).
func (e *Env) WaitCallbacks(t *testing.T) {
	t.Helper()
	Eventually(t, 30*time.Second, "the simulator's callbacks to be delivered", func() bool {
		n, err := e.Server.Simulator().PendingCallbacks(context.Background())
		require.NoError(t, err)
		return n == 0
	})
}

// Eventually polls cond every 50 ms until it holds, failing t after
// timeout.
func Eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	Poll(t, timeout, 50*time.Millisecond, what, cond)
}

// Poll polls cond every interval until it holds, failing t after timeout.
func Poll(t *testing.T, timeout, interval time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}
