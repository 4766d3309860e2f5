package auth

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/gid"
)

// Config tunes the service.
type Config struct {
	// Mode is "test" or "live"; it names the API keys' prefix.
	Mode string
	// SessionTTL bounds a session's life; SessionIdle ends it earlier when
	// unused.
	SessionTTL, SessionIdle time.Duration
	// MaxFailedLogins failed logins in a row from one client address
	// against one account lock that address out of that account for
	// LockoutDuration (default 5); MaxFailedLoginsPerAddress failures from
	// one address against any accounts within LockoutDuration lock the
	// address out of all (default 20). Neither stops the person logging in
	// from another place. MaxFailedLoginsPerAccount failures in a row from
	// everywhere lock the account itself (default 100): far above what one
	// address may try, so locking someone out takes many addresses.
	MaxFailedLogins           int
	MaxFailedLoginsPerAddress int
	MaxFailedLoginsPerAccount int
	LockoutDuration           time.Duration
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
	// throttle counts failed logins by client address (in memory).
	throttle *throttle
	invited  []func(ctx context.Context, tx *sqlx.Tx, inv Invited) error
	// merchants reads and locks merchant rows (set by UseMerchants).
	merchants Merchants
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
	if cfg.MaxFailedLoginsPerAddress == 0 {
		cfg.MaxFailedLoginsPerAddress = max(20, 4*cfg.MaxFailedLogins)
	}
	if cfg.MaxFailedLoginsPerAccount == 0 {
		cfg.MaxFailedLoginsPerAccount = max(100, 20*cfg.MaxFailedLogins)
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
	return &Service{db: d, cfg: cfg, mode: cfg.Mode, now: cfg.Now,
		throttle: newThrottle(cfg.MaxFailedLogins, cfg.MaxFailedLoginsPerAddress, cfg.LockoutDuration)}
}

// Invited is an invitation just made, for the email that carries it.
type Invited struct {
	MerchantID  gid.MerchantID
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

// Merchants is what auth needs of the merchants package, which owns the
// merchant rows. That package builds on this one (a merchant is created
// with its first owner and API key), so it is handed in with UseMerchants
// instead of imported.
type Merchants interface {
	// ProfileTx returns the merchant's name, language and time zone, read
	// in tx. Errors: fault.ErrNotFound.
	ProfileTx(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID) (MerchantProfile, error)
	// LockTx takes the merchant's row lock in tx (FOR NO KEY UPDATE).
	LockTx(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID) error
}

// MerchantProfile is what invitations show of a merchant.
type MerchantProfile struct {
	Name     string
	Locale   string // sv or en
	TimeZone string // IANA name
}

// UseMerchants gives the service the merchant rows it reads and locks:
// for invitations and for the rule that a merchant keeps an owner. Call it
// before serving.
func (s *Service) UseMerchants(m Merchants) { s.merchants = m }

func (s *Service) merchantRows() (Merchants, error) {
	if s.merchants == nil {
		return nil, errors.New("auth: no merchants (call UseMerchants)")
	}
	return s.merchants, nil
}

// SessionTTL is the longest a session lives.
func (s *Service) SessionTTL() time.Duration { return s.cfg.SessionTTL }
