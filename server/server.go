// Package server is kassa's composition root for HTTP: it builds the domain
// services on one database, the GraphQL executor and the web pages, and
// wraps them in the middleware every request passes (request id, access log
// and metrics, body limit, authentication, CSRF rule, rate limit,
// idempotency).
package server

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/jmoiron/sqlx"
	"github.com/vektah/gqlparser/v2/ast"

	"kassa/audit"
	"kassa/auth"
	"kassa/billing"
	"kassa/branding"
	"kassa/checkout"
	"kassa/db"
	"kassa/fault"
	"kassa/idempotency"
	"kassa/jobs"
	"kassa/live"
	"kassa/mailer"
	"kassa/merchants"
	"kassa/orders"
	"kassa/payments"
	"kassa/payments/simulator"
	"kassa/reports"
	"kassa/resolvers"
	"kassa/terminal"
	"kassa/web"
	"kassa/webhooks"
	"kassa/webhooks/egress"
)

// Server is a configured kassa HTTP server.
type Server struct {
	cfg       Config
	log       *slog.Logger
	db        *db.DB
	auth      *auth.Service
	merchants *merchants.Service
	payments  *payments.Service
	processor payments.BuiltProcessor // the configured card processor
	orders    *orders.Service
	branding  *branding.Service
	checkouts *checkout.Service
	webhooks  *webhooks.Service
	billing   *billing.Service
	terminal  *terminal.Service
	audit     *audit.Log
	jobs      *jobs.Queue
	mailer    *mailer.Mailer
	live      *live.Broker
	idem      *idempotency.Store
	limiter   *limiter
	metrics   *metrics
	handler   http.Handler

	metricsLnMu sync.Mutex
	metricsLn   net.Listener // opened by ListenMetrics
}

// New builds the server on d.
func New(cfg Config, d *db.DB, log *slog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, log: log, db: d}
	s.auth = auth.NewService(d, auth.Config{Mode: cfg.APIKeyMode, SessionTTL: cfg.SessionTTL})
	s.merchants = merchants.NewService(d, s.auth)
	s.auth.UseMerchants(s.merchants)
	s.idem = idempotency.NewStore(d)
	var err error
	if s.processor, err = s.buildProcessor(); err != nil {
		return nil, err
	}
	s.payments = payments.NewService(payments.Config{DB: d, Processors: []payments.Processor{s.processor.Processor}, Log: log})
	if s.jobs, err = jobs.New(d.System.DB, jobs.Config{Log: log}); err != nil {
		return nil, err
	}
	if s.mailer, err = mailer.New(mailer.Config{SMTPURL: cfg.SMTPURL, TLSPolicy: cfg.SMTPTLS, From: cfg.MailFrom,
		FileDir: filepath.Join(cfg.DataDir, "mail"), Log: log, DB: d}, s.jobs); err != nil {
		return nil, err
	}
	s.auth.MailInvites(s.mailer, cfg.PublicURL)
	s.live = live.NewBroker(d.ListenerURL(), log)
	egressClient := egress.New(egress.Options{AllowPrivate: cfg.WebhookAllowPrivate, Timeout: 15 * time.Second})
	s.branding = branding.NewService(branding.Config{DB: d, Fetch: egressClient, Log: log})
	s.orders = orders.NewService(orders.Config{DB: d, Payments: s.payments, Mailer: s.mailer, Jobs: s.jobs, PublicURL: cfg.PublicURL, Log: log,
		Branding: s.branding, Now: cfg.OrdersClock,
		Notify: func(ctx context.Context, tx *sqlx.Tx, o orders.Order) error {
			return live.Publish(ctx, tx, live.Event{MerchantID: o.MerchantID, Kind: "order", ID: o.ID})
		}})
	s.checkouts = checkout.NewService(checkout.Config{DB: d, Orders: s.orders, PublicURL: cfg.PublicURL})
	s.webhooks = webhooks.NewService(webhooks.Config{DB: d, Jobs: s.jobs, Log: log, Client: egressClient,
		AllowPrivate: cfg.WebhookAllowPrivate, Schedule: cfg.WebhookSchedule})
	s.webhooks.Subscribe(webhooks.Sources{Payments: s.payments, Orders: s.orders, Checkouts: s.checkouts})
	s.limiter = newLimiter(cfg.RateLimit, cfg.RateBurst)
	s.metrics = newMetrics(map[string]*sql.DB{"kassa_app": d.App.DB, "kassa_system": d.System.DB})

	s.billing = billing.NewService(billing.Config{DB: d, Payments: s.payments, Orders: s.orders, Mailer: s.mailer, Jobs: s.jobs, Webhooks: s.webhooks,
		Log: log, PublicURL: cfg.PublicURL, UsageGrace: cfg.UsageGrace, Dunning: cfg.Dunning, CancelAfterDunning: cfg.DunningCancel})
	s.audit = audit.New(d, s.payments)
	s.merchants.UseAudit(s.audit)
	reportUndeliverable(s.mailer, d, s.audit)
	s.metrics.registry.MustRegister(s.mailer.Collectors()...)
	s.payments.OnChange(func(ctx context.Context, tx *sqlx.Tx, _, p payments.Payment) error {
		return live.Publish(ctx, tx, live.Event{MerchantID: p.MerchantID, Kind: "payment", ID: p.ID.UUID})
	})
	s.terminal = terminal.NewService(terminal.Config{DB: d, Payments: s.payments, Orders: s.orders, Auth: s.auth, Merchants: s.merchants,
		Mailer: s.mailer, Jobs: s.jobs, Audit: s.audit, Log: log, Live: s.live})
	s.billing.UseLimits(s.terminal, s.audit)
	res := &resolvers.Resolver{Auth: s.auth, Merchants: s.merchants, PaymentService: s.payments, OrderService: s.orders, BillingService: s.billing,
		Live: s.live, PublicURL: cfg.PublicURL, CheckoutService: s.checkouts, WebhookService: s.webhooks, BrandingService: s.branding}
	res.Terminal, res.Audit = s.terminal, s.audit
	res.Reports = &reports.Service{Merchants: s.merchants, Payments: s.payments, Orders: s.orders, Billing: s.billing}
	apq := lru.New[string](1000)
	sums := &summaries{cache: lru.New[*ast.QueryDocument](1000), apq: apq}
	gql := s.newGraphQL(res, apq)

	api := withBodyLimit(cfg.MaxBody, sums.inspect(s.authenticate(s.rateLimit(withFlags(s.idempotent(gql))))))

	mux := http.NewServeMux()
	mux.Handle("/graphql", api)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.HandleFunc("POST /callbacks/{processor}", s.callback)
	if h := s.processor.Handler; h != nil {
		mux.Handle("/"+cfg.Processor+"/", http.StripPrefix("/"+cfg.Processor, h))
	}
	if cfg.MetricsAddr == "" && cfg.MetricsToken != "" {
		mux.Handle("GET /metrics", s.metricsHandler())
	}
	// Otherwise /metrics on this listener is an unknown page (404): it is
	// served on MetricsAddr (see Serve), or not at all.
	mux.HandleFunc("GET /branding/logo/{sha}", s.branding.ServeLogo)
	mux.HandleFunc("GET /branding/theme/{file}", s.branding.ServeTheme)
	pages := web.New(web.Deps{Auth: s.auth, Orders: s.orders, Payments: s.payments, Billing: s.billing, Log: log, PublicURL: cfg.PublicURL,
		Checkouts: s.checkouts, Branding: s.branding, Terminal: s.terminal})
	pages.Register(mux)
	mux.HandleFunc("GET /graphiql", pages.GraphiQL)
	// An unknown URL: a page for a browser, the API's JSON error otherwise.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if web.WantsPage(r) {
			pages.NotFound(w, r)
			return
		}
		writeError(w, r, http.StatusNotFound, fault.ErrNotFound.Code, "no such page")
	})

	// Every page, GraphiQL included (served from the binary), is same-origin only.
	csp := func(next http.Handler) http.Handler {
		strict := securityHeaders(web.CSP, next)
		graphiql := securityHeaders(web.GraphiQLCSP, next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/graphiql" {
				graphiql.ServeHTTP(w, r)
				return
			}
			strict.ServeHTTP(w, r)
		})
	}
	s.handler = withRequestID(withClientAddr(cfg.TrustedProxies, s.withAccessLog(csp(mux))))
	return s, nil
}

func withFlags(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestFlagsKey{}, &requestFlags{})))
	})
}

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Auth is the server's auth service (for the CLI and tests).
func (s *Server) Auth() *auth.Service { return s.auth }

// Payments is the server's payments service.
func (s *Server) Payments() *payments.Service { return s.payments }

// Simulator is the built-in processor simulator, or nil when another
// processor is configured.
func (s *Server) Simulator() *simulator.Server {
	sim, _ := s.processor.Service.(*simulator.Server)
	return sim
}

// MailDir is where emails are written when no SMTP server is configured.
func (s *Server) MailDir() string { return filepath.Join(s.cfg.DataDir, "mail") }

// Billing is the server's billing service.
func (s *Server) Billing() *billing.Service { return s.billing }

// Orders is the server's orders service.
func (s *Server) Orders() *orders.Service { return s.orders }

// Jobs is the server's background job queue.
func (s *Server) Jobs() *jobs.Queue { return s.jobs }

// Terminal is the server's web terminal service.
func (s *Server) Terminal() *terminal.Service { return s.terminal }

// Merchants is the server's merchants service.
func (s *Server) Merchants() *merchants.Service { return s.merchants }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain")
	if err := s.db.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unreachable\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Listen opens the listening socket, so the caller can report the address
// before serving (useful with port 0).
func (s *Server) Listen() (net.Listener, error) {
	return net.Listen("tcp", s.cfg.Addr)
}

// ListenMetrics opens the metrics listener on MetricsAddr (once; Serve
// uses it), so a caller can learn its address before serving.
func (s *Server) ListenMetrics() (net.Listener, error) {
	s.metricsLnMu.Lock()
	defer s.metricsLnMu.Unlock()
	if s.metricsLn == nil {
		if s.cfg.MetricsAddr == "" {
			return nil, errors.New("server: no KASSA_METRICS_ADDR to listen on")
		}
		ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			return nil, fmt.Errorf("listen on KASSA_METRICS_ADDR %s: %w", s.cfg.MetricsAddr, err)
		}
		s.metricsLn = ln
	}
	return s.metricsLn, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go s.housekeeping(ctx)
	go s.payments.Run(ctx, 30*time.Second)
	go func() {
		if err := s.billing.Run(ctx, cmp.Or(s.cfg.BillingSchedule, "* * * * *")); err != nil {
			s.log.Error("billing runner", "error", err)
		}
	}()
	go s.live.Run(ctx)
	if err := s.jobs.Start(ctx); err != nil {
		if ctx.Err() != nil {
			// Asked to stop (Ctrl-C, SIGTERM) while starting: a clean stop,
			// not a failure to start.
			return nil
		}
		return fmt.Errorf("start background jobs: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.jobs.Stop(stopCtx)
	}()
	if s.processor.Run != nil {
		go s.processor.Run(ctx)
	}
	servers := []*http.Server{srv}
	listeners := []net.Listener{ln}
	if s.cfg.MetricsAddr != "" {
		mln, err := s.ListenMetrics()
		if err != nil {
			return err
		}
		m := http.NewServeMux()
		m.Handle("GET /metrics", s.metricsHandler())
		servers = append(servers, &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)})
		listeners = append(listeners, mln)
		s.log.Info("metrics listening", "addr", mln.Addr().String())
	}
	errc := make(chan error, len(servers))
	for i, hs := range servers {
		go func() { errc <- hs.Serve(listeners[i]) }()
	}
	var err error
	received := 0
	select {
	case err = <-errc: // a listener failed: stop the others too
		received++
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, hs := range servers {
		err = errors.Join(err, hs.Shutdown(shutdownCtx))
	}
	for ; received < len(servers); received++ {
		if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
	}
	return err
}

// housekeeping purges expired idempotency keys and sessions every hour.
func (s *Server) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.idem.Purge(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "purge idempotency keys", "error", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "purged idempotency keys", "count", n)
		}
		if n, err := s.auth.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "purge sessions", "error", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "purged sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
