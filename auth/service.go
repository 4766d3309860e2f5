package auth

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

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
	db      *db.DB
	cfg     Config
	mode    string
	now     func() time.Time
	invited []func(ctx context.Context, tx *sqlx.Tx, inv Invited) error
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

// Invited is an invitation just made, for the email that carries it.
type Invited struct {
	MerchantID  uuid.UUID
	Email, Name string
	Role        Role
	Token       string // the secret of the /invite/{token} link
	InvitedBy   string // the inviter's name, "" for an API key
	ExpiresAt   time.Time
	// HasPassword: the person already signs in to kassa (for another
	// merchant) and accepts with that password instead of choosing one.
	HasPassword bool
}

// OnInvite registers fn for every invitation, called inside the
// transaction that makes it (so an email is queued only with an
// invitation that exists). Register before serving.
func (s *Service) OnInvite(fn func(ctx context.Context, tx *sqlx.Tx, inv Invited) error) {
	s.invited = append(s.invited, fn)
}

// SessionTTL is the longest a session lives.
func (s *Service) SessionTTL() time.Duration { return s.cfg.SessionTTL }
