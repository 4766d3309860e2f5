package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/text"
)

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "kassa_session"

// Session is a logged-in browser.
type Session struct {
	MerchantID gid.MerchantID
	ID         uuid.UUID
	UserID     uuid.UUID
	ExpiresAt  time.Time
}

// ErrInvalidCredentials is the one answer to a wrong email or password, so
// a login never tells which was wrong.
var ErrInvalidCredentials = fault.New(fault.Define("INVALID_CREDENTIALS",
	"The email or password (or the current password) is wrong."), "wrong email or password")

// Login checks email and password and starts a session for the person's
// first active membership. It returns the session and its secret token
// (for the cookie). ip is the client's address: failed attempts are
// counted per address and per (address, account), so that failures from
// one place lock out only that place (see throttle).
//
// Errors: ErrInvalidCredentials; a *ThrottledError (code ACCOUNT_LOCKED,
// errors.Is ErrLoginThrottled) after too many failed attempts, saying
// when to retry.
func (s *Service) Login(ctx context.Context, email, password, ip, userAgent string) (Session, string, error) {
	email = strings.TrimSpace(email)
	// Text PostgreSQL cannot compare (not UTF-8, NUL) is no one's email;
	// sent on, it would fail as a database error.
	if len(email) > 254 || len(password) > maxPasswordLen || !text.Storable(email) {
		return Session{}, "", ErrInvalidCredentials
	}
	now := s.now().UTC()
	end, wait := s.throttle.begin(email, ip, now)
	if wait > 0 {
		return Session{}, "", newThrottled(wait)
	}
	outcome := loginAborted
	defer func() { end(outcome) }()
	var row struct {
		ID           uuid.UUID  `db:"id"`
		PasswordHash *string    `db:"password_hash"`
		LockedUntil  *time.Time `db:"locked_until"`
	}
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &row, `SELECT id, password_hash, locked_until FROM users WHERE lower(email) = lower($1)`, email)
	})
	if db.IsNoRows(err) || (err == nil && row.PasswordHash == nil) {
		_, _ = CheckPassword(dummyHash, password)
		outcome = loginFailed
		return Session{}, "", ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, "", err
	}
	if outcome, err = s.verify(ctx, row.ID, *row.PasswordHash, row.LockedUntil, password, now); err != nil {
		return Session{}, "", err
	}
	var merchantID gid.MerchantID
	err = s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1`, row.ID, now); err != nil {
			return err
		}
		return tx.GetContext(ctx, &merchantID, `
			SELECT merchant_id FROM memberships WHERE user_id = $1 AND status = 'ACTIVE' ORDER BY created_at LIMIT 1`, row.ID)
	})
	if db.IsNoRows(err) {
		return Session{}, "", ErrInvalidCredentials
	}
	if err != nil {
		return Session{}, "", err
	}
	return s.createSession(ctx, merchantID, row.ID, ip, userAgent)
}

// verify checks the password of a known person: the one check for logging
// in and for accepting an invitation with an existing login, so both are
// under the login throttle (which the caller began) and the account lock.
//
// Errors: ErrInvalidCredentials; *ThrottledError while the account is locked.
func (s *Service) verify(ctx context.Context, userID uuid.UUID, hash string, lockedUntil *time.Time, password string, now time.Time) (loginOutcome, error) {
	if lockedUntil != nil && lockedUntil.After(now) {
		return loginAborted, newThrottled(lockedUntil.Sub(now))
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return loginAborted, err
	}
	if ok {
		return loginSucceeded, nil
	}
	// The account itself locks only at a count far above what one address
	// may try (MaxFailedLoginsPerAccount): it bounds guessing spread over
	// many addresses and nodes.
	err = s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE users SET
			  failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
			  locked_until  = CASE WHEN failed_logins + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
			WHERE id = $1`, userID, s.cfg.MaxFailedLoginsPerAccount, now.Add(s.cfg.LockoutDuration))
		return err
	})
	if err != nil {
		return loginFailed, err
	}
	return loginFailed, ErrInvalidCredentials
}

func (s *Service) createSession(ctx context.Context, merchantID gid.MerchantID, userID uuid.UUID, ip, userAgent string) (Session, string, error) {
	now := s.now().UTC()
	token, hash := newToken()
	sess := Session{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), UserID: userID, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	userAgent, ip = text.Clean(userAgent, 300), text.Clean(ip, 64)
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sessions (merchant_id, id, user_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)`,
			merchantID, sess.ID, userID, hash, now, sess.ExpiresAt, ip, userAgent)
		return err
	})
	if err != nil {
		return Session{}, "", fmt.Errorf("auth: create session: %w", err)
	}
	return sess, token, nil
}

// AuthenticateSession returns the principal for a session token.
//
// Errors: fault.ErrUnauthorized when unknown, expired, idle too long, or
// the membership is no longer active.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*Principal, error) {
	if token == "" || len(token) > 100 {
		return nil, fault.ErrUnauthorized
	}
	now := s.now().UTC()
	var row struct {
		MerchantID gid.MerchantID `db:"merchant_id"`
		ID         uuid.UUID      `db:"id"`
		UserID     uuid.UUID      `db:"user_id"`
		Role       Role           `db:"role"`
		Email      string         `db:"email"`
		Locale     *string        `db:"locale"`
		LastSeenAt time.Time      `db:"last_seen_at"`
	}
	// One statement, no transaction: this runs on every request.
	err := s.db.System.GetContext(ctx, &row, `
		SELECT s.merchant_id, s.id, s.user_id, m.role, u.email, u.locale, s.last_seen_at
		FROM sessions s
		JOIN memberships m ON m.merchant_id = s.merchant_id AND m.user_id = s.user_id AND m.status = 'ACTIVE'
		JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3`,
		hashToken(token), now, now.Add(-s.cfg.SessionIdle))
	if db.IsNoRows(err) {
		return nil, fault.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(row.LastSeenAt) > time.Minute {
		_, _ = s.db.System.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $3 WHERE merchant_id = $1 AND id = $2`, row.MerchantID, row.ID, now)
	}
	p := &Principal{
		MerchantID: row.MerchantID, Kind: CredentialSession, CredentialID: row.UserID,
		UserID: row.UserID, Role: row.Role, SessionID: row.ID, UserEmail: row.Email,
	}
	if row.Locale != nil {
		p.Locale = *row.Locale
	}
	return p, nil
}

// Logout ends the session with token. An unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token))
		return err
	})
}

// PurgeExpiredSessions deletes sessions past their expiry and returns how
// many.
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2`,
			s.now().UTC(), s.now().UTC().Add(-s.cfg.SessionIdle))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
