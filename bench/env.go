package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"kassa/auth"
	"kassa/db"
	"kassa/db/pgcluster"
	"kassa/logging"
	"kassa/merchants"
	"kassa/server"
)

// benchRateLimit replaces the per-credential rate limit of the bench's own
// server: the bench drives one API key far beyond what the default (50/s)
// allows an integrator, and it measures kassa, not the limiter.
const benchRateLimit = 1_000_000

// env is what the scenarios run against: a kassa server (started here or
// given by --target), its database, and an HTTP client for both.
type env struct {
	opts Options
	prog *progress

	base     string // kassa's base URL
	countURL string // in-process only: the same handler, counting SQL per request
	adminURL string // a URL of the cluster that may create databases (database "postgres" when embedded)
	kassaURL string // the kassa database, as its owner
	inProc   bool

	srv  *server.Server // in-process: the server; --target: built on the database only to prepare data
	db   *db.DB
	http *http.Client

	pgVersion string
	logPath   string

	tally *sqlTally // of the requests through countURL

	metricsToken string // Bearer token of the server's /metrics (KASSA_METRICS_TOKEN)

	closers []func()
}

// setupEnv starts (or reaches) the server the scenarios drive.
func setupEnv(ctx context.Context, opts Options, prog *progress) (_ *env, err error) {
	e := &env{opts: opts, prog: prog}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	e.http = &http.Client{
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second},
		// The payment page answers with redirects the flow inspects itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       60 * time.Second,
	}
	if opts.Target != "" {
		err = e.attach(ctx)
	} else {
		err = e.start(ctx)
	}
	if err != nil {
		return nil, err
	}
	var v string
	if err := e.query(ctx, e.kassaURL, `SHOW server_version`, &v); err == nil {
		e.pgVersion = v
	}
	return e, nil
}

// start brings up a private cluster in a temp dir and kassa on it, as
// `kassa serve` does, on a free port.
func (e *env) start(ctx context.Context) error {
	e.inProc = true
	dir, err := os.MkdirTemp("", "kassa-bench-")
	if err != nil {
		return err
	}
	e.closers = append(e.closers, func() { os.RemoveAll(dir) })
	// The server may run as the postgres user (when we are root): it must
	// reach the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	e.logPath = filepath.Join(dir, "kassa.log")
	logf, err := os.Create(e.logPath)
	if err != nil {
		return err
	}
	e.closers = append(e.closers, func() { logf.Close() })

	e.prog.say("starting PostgreSQL in %s", dir)
	c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(dir, "pg")})
	if err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	e.closers = append(e.closers, func() {
		_ = c.Stop(context.Background())
		if c.DataDir() != filepath.Join(dir, "pg") {
			os.RemoveAll(c.DataDir())
		}
	})
	e.adminURL = c.URL()
	if err := db.EnsureDatabase(ctx, c.URL(), "kassa"); err != nil {
		return err
	}
	e.kassaURL = c.URLFor("kassa")
	if err := db.Migrate(ctx, e.kassaURL); err != nil {
		return err
	}

	cfg, err := server.FromEnv()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg.Addr = ln.Addr().String()
	cfg.PublicURL = "http://" + cfg.Addr
	cfg.DataDir = dir
	cfg.DatabaseURL = e.kassaURL
	cfg.RateLimit, cfg.RateBurst = benchRateLimit, benchRateLimit
	// /metrics is served only behind a token (or on an address of its
	// own); the bench reads the server's own latencies there.
	if cfg.MetricsAddr == "" && cfg.MetricsToken == "" {
		_, cfg.MetricsToken, err = auth.NewRandomToken()
		if err != nil {
			return err
		}
	}
	e.metricsToken = cfg.MetricsToken
	// The billing scenario sweeps when it is ready, as run-once does; the
	// server's own cron runner (every minute by default) stays out of it.
	cfg.BillingSchedule = "0 0 1 1 *"
	log := logging.New(logf, cfg.LogLevel)

	e.db, err = db.Open(ctx, e.kassaURL, db.Options{MaxOpenConns: cfg.DBMaxConns, Wrap: wrapCounting})
	if err != nil {
		ln.Close()
		return err
	}
	e.closers = append(e.closers, func() { e.db.Close() })
	e.srv, err = server.New(cfg, e.db, log)
	if err != nil {
		ln.Close()
		return err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(sctx, ln) }()
	e.closers = append(e.closers, func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench: kassa stopped with an error:", err)
			}
		case <-time.After(30 * time.Second):
		}
	})
	e.base = cfg.PublicURL

	// A second listener serves the same handler, counting the SQL each
	// request runs (see sqlcount.go). The scenarios send their requests
	// there; the server's own calls (to the simulator, its callbacks) use
	// the first.
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.tally = newTally()
	hs := &http.Server{Handler: countingHandler(e.srv.Handler(), e.tally), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = hs.Serve(cln) }()
	e.closers = append(e.closers, func() { _ = hs.Close() })
	e.countURL = "http://" + cln.Addr().String()
	return e.waitReady(ctx)
}

// attach uses a running server (--target) and its database
// (--database-url, whose user may create databases: the pgbench baseline
// gets its own).
func (e *env) attach(ctx context.Context) error {
	if e.opts.DatabaseURL == "" {
		return errors.New("--target needs --database-url (the bench prepares its data and measures the baseline there)")
	}
	e.base = strings.TrimRight(e.opts.Target, "/")
	e.kassaURL = e.opts.DatabaseURL
	e.adminURL = e.opts.DatabaseURL
	cfg, err := server.FromEnv()
	if err != nil {
		return err
	}
	cfg.DatabaseURL = e.kassaURL
	e.metricsToken = cfg.MetricsToken
	if cfg.DataDir, err = os.MkdirTemp("", "kassa-bench-"); err != nil {
		return err
	}
	dir := cfg.DataDir
	e.closers = append(e.closers, func() { os.RemoveAll(dir) })
	e.db, err = db.Open(ctx, e.kassaURL, db.Options{MaxOpenConns: 4})
	if err != nil {
		return err
	}
	e.closers = append(e.closers, func() { e.db.Close() })
	// Not served: only its services prepare the data (merchants, API keys).
	e.srv, err = server.New(cfg, e.db, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	return e.waitReady(ctx)
}

func (e *env) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/readyz", nil)
		resp, err := e.http.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s/readyz answered %s", e.base, resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// close stops what setupEnv started, in reverse order.
func (e *env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// merchant creates a merchant of its own for a scenario and returns a
// client authenticated with its first API key.
func (e *env) merchant(ctx context.Context, scenario string) (*client, merchants.Created, error) {
	suffix := uuid.NewString()[:8]
	c, err := e.srv.Merchants().Create(ctx, merchants.NewMerchant{
		Name:          "kassa bench " + scenario + " " + suffix,
		OwnerEmail:    "bench-" + scenario + "-" + suffix + "@example.test",
		OwnerName:     "Bench Owner",
		OwnerPassword: "bench-" + uuid.NewString(),
	})
	if err != nil {
		return nil, c, fmt.Errorf("create merchant: %w", err)
	}
	base := e.base
	if e.countURL != "" {
		base = e.countURL
	}
	return &client{http: e.http, base: base, key: c.Secret}, c, nil
}

// takeTally returns the SQL tally of the bench's requests so far (in
// process; nil otherwise) and starts a new one.
func (e *env) takeTally() map[string]*opTally {
	if e.tally == nil {
		return nil
	}
	return e.tally.take()
}

// sqlNote describes the SQL per unit since the pools counted st0
// statements and tx0 transactions and the tally was last taken ("" with
// --target).
func (e *env) sqlNote(units, st0, tx0 int64) string {
	if !e.inProc {
		return ""
	}
	return sqlPerUnit(e.takeTally(), units, allSQL.statements.Load()-st0, allSQL.txs.Load()-tx0)
}

// query runs one query on url and scans its single row into dest.
func (e *env) query(ctx context.Context, url, q string, dest ...any) error {
	d, err := sql.Open("postgres", url)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.QueryRowContext(ctx, q).Scan(dest...)
}

// withDatabase returns the postgres:// URL u naming database name instead.
func withDatabase(u, name string) (string, error) {
	p, err := neturl.Parse(u)
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		return "", fmt.Errorf("database URL must be a postgres:// URL")
	}
	p.Path = "/" + name
	return p.String(), nil
}
