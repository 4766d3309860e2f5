package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
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
	Complexity  int           // KASSA_COMPLEXITY_LIMIT, default 1000
	MaxDepth    int           // KASSA_MAX_DEPTH, default 12
	SessionTTL  time.Duration // KASSA_SESSION_TTL, default 12h
	DBMaxConns  int           // KASSA_DB_MAX_CONNS per pool, default 20
}

// Production reports whether kassa runs in production mode.
func (c Config) Production() bool { return c.Env == "production" }

// FromEnv reads the configuration from the environment.
func FromEnv() (Config, error) {
	c := Config{
		Addr:        env("KASSA_ADDR", "127.0.0.1:8080"),
		DataDir:     env("KASSA_DATA_DIR", "./var"),
		DatabaseURL: os.Getenv("KASSA_DATABASE_URL"),
		Env:         env("KASSA_ENV", "development"),
		LogLevel:    env("KASSA_LOG_LEVEL", "info"),
		APIKeyMode:  env("KASSA_API_KEY_MODE", "test"),
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
	c.Complexity = int(num("KASSA_COMPLEXITY_LIMIT", 1000))
	c.MaxDepth = int(num("KASSA_MAX_DEPTH", 12))
	c.DBMaxConns = int(num("KASSA_DB_MAX_CONNS", 20))
	c.SessionTTL = dur("KASSA_SESSION_TTL", 12*time.Hour)
	c.PublicURL = strings.TrimRight(env("KASSA_PUBLIC_URL", "http://"+c.Addr), "/")
	if c.Env != "development" && c.Env != "production" {
		errs = append(errs, "KASSA_ENV must be development or production")
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
