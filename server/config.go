package server

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"kassa/billing"
	"kassa/payments"
	"kassa/payments/simulator"
)

// Config is all of kassa's configuration. Every field comes from an
// environment variable (listed in the README); FromEnv fills the defaults.
type Config struct {
	Addr        string        // KASSA_ADDR, default 127.0.0.1:8080
	DataDir     string        // KASSA_DATA_DIR, default ./var
	DatabaseURL string        // KASSA_DATABASE_URL; empty: embedded PostgreSQL in DataDir/pg
	PublicURL   string        // KASSA_PUBLIC_URL, default http://<Addr>
	Env         string        // KASSA_ENV: development (default) or production
	LogLevel    string        // KASSA_LOG_LEVEL: debug, info (default), warn, error
	APIKeyMode  string        // KASSA_API_KEY_MODE: test (default) or live
	MaxBody     int64         // KASSA_MAX_BODY_BYTES, default 1 MiB
	RateLimit   float64       // KASSA_RATE_LIMIT: requests (mutation fields) per second per credential, default 50
	RateBurst   int           // KASSA_RATE_BURST, default 100
	Complexity  int           // KASSA_COMPLEXITY_LIMIT, default 20000 (a page costs first × its items)
	MaxDepth    int           // KASSA_MAX_DEPTH, default 12
	SessionTTL  time.Duration // KASSA_SESSION_TTL, default 12h
	DBMaxConns  int           // KASSA_DB_MAX_CONNS per pool, default 40

	// MetricsAddr (KASSA_METRICS_ADDR) serves /metrics on a listener of
	// its own, e.g. 127.0.0.1:9090, and not on Addr. MetricsToken
	// (KASSA_METRICS_TOKEN) requires "Authorization: Bearer <token>" for
	// /metrics wherever it is served, and serves it on Addr when
	// MetricsAddr is empty. With neither, /metrics is not served (404):
	// its labels name every tenant's GraphQL operations.
	MetricsAddr  string
	MetricsToken string

	// TrustedProxies (KASSA_TRUSTED_PROXIES: comma-separated addresses
	// and CIDR prefixes) are the reverse proxies whose X-Forwarded-For
	// names the client; empty: the peer address is the client.
	TrustedProxies []netip.Prefix

	Processor string // KASSA_PROCESSOR: a registered processor (payments.Processors), default simulator
	// ProcessorSettings are the registered processors' own environment
	// variables by name (payments.ProcessorSpec.Env, e.g.
	// KASSA_SIMULATOR_SECRET), defaults applied; each processor reads and
	// checks its own.
	ProcessorSettings map[string]string

	SMTPURL  string // KASSA_SMTP_URL: smtp://user:pass@host:587; empty writes .eml files to DataDir/mail
	SMTPTLS  string // KASSA_SMTP_TLS: opportunistic (default), mandatory, none
	MailFrom string // KASSA_MAIL_FROM: the sender address; the merchant's name is the sender name

	// WebhookAllowPrivate (KASSA_WEBHOOK_ALLOW_PRIVATE=true) lets webhook
	// endpoints and logo URLs be on private, loopback and link-local
	// addresses and use plain http: for development and tests only.
	WebhookAllowPrivate bool
	// WebhookSchedule is the wait after each failed webhook attempt (nil:
	// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h). Not settable from the
	// environment; tests shorten it.
	WebhookSchedule []time.Duration

	BillingSchedule string          // KASSA_BILLING_SCHEDULE: cron expression of the billing sweep, default every minute
	UsageGrace      time.Duration   // KASSA_USAGE_GRACE: usage accepted this long after a period ends, default 1h
	Dunning         []time.Duration // KASSA_DUNNING_SCHEDULE: days between a failed charge and its retries, default "1,3,7"
	DunningCancel   bool            // KASSA_DUNNING_CANCEL: cancel (not just PAST_DUE) after the last failed retry

	// SimulatorClock is the business clock of the processor, for one that
	// keeps time (the simulator; tests move it); nil is real time. Not
	// settable from the environment.
	SimulatorClock simulator.Clock
	// OrdersClock is the clock of orders and their payment links (when a
	// link has expired); nil is real time. Not settable from the
	// environment; tests move it instead of waiting for an expiry.
	OrdersClock func() time.Time
}

// Production reports whether kassa runs in production mode.
func (c Config) Production() bool { return c.Env == "production" }

// FromEnv reads the configuration from the environment.
func FromEnv() (Config, error) {
	c := Config{
		Addr:              env("KASSA_ADDR", "127.0.0.1:8080"),
		DataDir:           env("KASSA_DATA_DIR", "./var"),
		DatabaseURL:       os.Getenv("KASSA_DATABASE_URL"),
		Env:               env("KASSA_ENV", "development"),
		LogLevel:          env("KASSA_LOG_LEVEL", "info"),
		APIKeyMode:        env("KASSA_API_KEY_MODE", "test"),
		Processor:         env("KASSA_PROCESSOR", defaultProcessor),
		SMTPURL:           os.Getenv("KASSA_SMTP_URL"),
		SMTPTLS:           env("KASSA_SMTP_TLS", "opportunistic"),
		MailFrom:          env("KASSA_MAIL_FROM", "kassa@localhost"),
		MetricsAddr:       os.Getenv("KASSA_METRICS_ADDR"),
		MetricsToken:      os.Getenv("KASSA_METRICS_TOKEN"),
		ProcessorSettings: map[string]string{},
	}
	for _, p := range payments.Processors() {
		maps.Copy(c.ProcessorSettings, p.Settings(os.Getenv))
	}
	var errs []string
	num := func(name string, def int64) int64 {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, name+" must be a positive integer")
			return def
		}
		return n
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, name+" must be a positive duration such as 12h")
			return def
		}
		return d
	}
	c.MaxBody = num("KASSA_MAX_BODY_BYTES", 1<<20)
	c.RateLimit = float64(num("KASSA_RATE_LIMIT", 50))
	c.RateBurst = int(num("KASSA_RATE_BURST", 100))
	c.Complexity = int(num("KASSA_COMPLEXITY_LIMIT", 20000))
	c.MaxDepth = int(num("KASSA_MAX_DEPTH", 12))
	c.DBMaxConns = int(num("KASSA_DB_MAX_CONNS", 40))
	c.SessionTTL = dur("KASSA_SESSION_TTL", 12*time.Hour)
	c.UsageGrace = dur("KASSA_USAGE_GRACE", time.Hour)
	c.BillingSchedule = env("KASSA_BILLING_SCHEDULE", "* * * * *")
	if err := billing.ValidSchedule(c.BillingSchedule); err != nil {
		errs = append(errs, "KASSA_BILLING_SCHEDULE must be a cron expression such as \"* * * * *\"")
	}
	for _, d := range strings.Split(env("KASSA_DUNNING_SCHEDULE", "1,3,7"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil || n <= 0 {
			errs = append(errs, "KASSA_DUNNING_SCHEDULE must be comma-separated days, e.g. 1,3,7")
			break
		}
		c.Dunning = append(c.Dunning, time.Duration(n)*24*time.Hour)
	}
	c.DunningCancel = os.Getenv("KASSA_DUNNING_CANCEL") == "true"
	c.PublicURL = strings.TrimRight(env("KASSA_PUBLIC_URL", "http://"+c.Addr), "/")
	switch v := strings.ToLower(os.Getenv("KASSA_WEBHOOK_ALLOW_PRIVATE")); v {
	case "", "false", "0":
	case "true", "1":
		c.WebhookAllowPrivate = true
	default:
		errs = append(errs, "KASSA_WEBHOOK_ALLOW_PRIVATE must be true or false")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, "KASSA_METRICS_ADDR must be host:port, e.g. 127.0.0.1:9090")
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, "KASSA_METRICS_TOKEN must be at least 16 characters")
	}
	if ps, ok := parsePrefixes(os.Getenv("KASSA_TRUSTED_PROXIES")); ok {
		c.TrustedProxies = ps
	} else {
		errs = append(errs, "KASSA_TRUSTED_PROXIES must be comma-separated addresses or CIDR prefixes, e.g. 10.0.0.0/8,127.0.0.1")
	}
	if c.Env != "development" && c.Env != "production" {
		errs = append(errs, "KASSA_ENV must be development or production")
	}
	if p, ok := payments.LookupProcessor(c.Processor); !ok {
		errs = append(errs, "KASSA_PROCESSOR must be "+processorNames())
	} else if p.Check != nil {
		errs = append(errs, p.Check(p.Settings(settingOf(c)), c.Production())...)
	}
	if c.APIKeyMode != "test" && c.APIKeyMode != "live" {
		errs = append(errs, "KASSA_API_KEY_MODE must be test or live")
	}
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
