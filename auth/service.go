package auth

import (
	"time"

	"kassa/db"
)

// Config tunes the service.
type Config struct {
	// Mode is "test" or "live"; it names the API keys' prefix.
	Mode string
	// SessionTTL bounds a session's life; SessionIdle ends it earlier when
	// unused.
	SessionTTL, SessionIdle time.Duration
	// MaxFailedLogins in a row lock an account for LockoutDuration.
	MaxFailedLogins int
	LockoutDuration time.Duration
	// InviteTTL is how long an invitation stays valid.
	InviteTTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service is the auth domain.
type Service struct {
	db   *db.DB
	cfg  Config
	mode string
	now  func() time.Time
}

// NewService returns a service on d.
func NewService(d *db.DB, cfg Config) *Service {
	if cfg.Mode != "live" {
		cfg.Mode = "test"
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = 2 * time.Hour
	}
	if cfg.MaxFailedLogins == 0 {
		cfg.MaxFailedLogins = 5
	}
	if cfg.LockoutDuration == 0 {
		cfg.LockoutDuration = 15 * time.Minute
	}
	if cfg.InviteTTL == 0 {
		cfg.InviteTTL = 7 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{db: d, cfg: cfg, mode: cfg.Mode, now: cfg.Now}
}

// SessionTTL is the longest a session lives.
func (s *Service) SessionTTL() time.Duration { return s.cfg.SessionTTL }
