package idempotency

import (
	"bytes"
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/gid"
)

// Store keeps claimed keys and their responses.
type Store struct {
	db *db.DB
	// Retention is how long a key is remembered (24 h).
	Retention time.Duration
	// LockTimeout is how long a claim without a response blocks others.
	LockTimeout time.Duration
	Now         func() time.Time
}

// NewStore returns a store with Stripe's retention of 24 hours.
func NewStore(d *db.DB) *Store {
	return &Store{db: d, Retention: 24 * time.Hour, LockTimeout: 5 * time.Minute, Now: time.Now}
}

// Scope is whose key it is.
type Scope struct {
	MerchantID   gid.MerchantID
	CredentialID uuid.UUID
	Key          string
}

// Outcome of a claim.
type Outcome int

const (
	// Claimed means the caller runs the request and then calls Complete or Release.
	Claimed Outcome = iota
	// Replay means a stored response is returned in Response.
	Replay
	// Mismatch means the key was used with another request.
	Mismatch
	// InUse means the first request with this key is still running.
	InUse
)

// Response is a stored answer.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Claim tries to take the key for a request whose body hashes to hash.
func (s *Store) Claim(ctx context.Context, sc Scope, hash []byte) (Outcome, Response, error) {
	now := s.Now().UTC()
	var out Outcome
	var resp Response
	err := s.db.InTenant(ctx, sc.MerchantID, func(tx *sqlx.Tx) error {
		// A key past retention is forgotten, as if purged already.
		if _, err := tx.ExecContext(ctx, `
			DELETE FROM idempotency_keys WHERE credential_id = $1 AND key = $2 AND created_at < $3`,
			sc.CredentialID, sc.Key, now.Add(-s.Retention)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO idempotency_keys (merchant_id, credential_id, key, request_hash, status, created_at, locked_at)
			VALUES ($1, $2, $3, $4, 'RUNNING', $5, $5)
			ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO NOTHING`,
			sc.MerchantID, sc.CredentialID, sc.Key, hash, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = Claimed
			return nil
		}
		var row struct {
			RequestHash  []byte    `db:"request_hash"`
			Status       string    `db:"status"`
			ResponseCode *int      `db:"response_code"`
			ResponseType *string   `db:"response_type"`
			ResponseBody []byte    `db:"response_body"`
			LockedAt     time.Time `db:"locked_at"`
		}
		if err := tx.GetContext(ctx, &row, `
			SELECT request_hash, status, response_code, response_type, response_body, locked_at
			FROM idempotency_keys WHERE credential_id = $1 AND key = $2 FOR UPDATE`,
			sc.CredentialID, sc.Key); err != nil {
			return err
		}
		switch {
		case !bytes.Equal(row.RequestHash, hash):
			out = Mismatch
		case row.Status == "DONE":
			out = Replay
			resp = Response{Status: *row.ResponseCode, ContentType: *row.ResponseType, Body: row.ResponseBody}
		case now.Sub(row.LockedAt) > s.LockTimeout:
			// The node that claimed it died before answering: take over.
			_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET locked_at = $3 WHERE credential_id = $1 AND key = $2`,
				sc.CredentialID, sc.Key, now)
			if err != nil {
				return err
			}
			out = Claimed
		default:
			out = InUse
		}
		return nil
	})
	return out, resp, err
}

// Complete stores the response of a claimed request.
func (s *Store) Complete(ctx context.Context, sc Scope, resp Response) error {
	return s.db.InTenant(ctx, sc.MerchantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE idempotency_keys SET status = 'DONE', response_code = $3, response_type = $4, response_body = $5, completed_at = $6
			WHERE credential_id = $1 AND key = $2`,
			sc.CredentialID, sc.Key, resp.Status, resp.ContentType, resp.Body, s.Now().UTC())
		return err
	})
}

// Release forgets a claim whose request ended without a response worth
// keeping (it never ran, or the server failed), so a retry runs it.
func (s *Store) Release(ctx context.Context, sc Scope) error {
	return s.db.InTenant(ctx, sc.MerchantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE credential_id = $1 AND key = $2 AND status = 'RUNNING'`,
			sc.CredentialID, sc.Key)
		return err
	})
}

// Purge deletes keys past retention, across merchants, and returns how many.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, s.Now().UTC().Add(-s.Retention))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

type keyCtx struct{}

// WithKey marks ctx as a request made under an idempotency key.
func WithKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyCtx{}, key)
}

// KeyFrom returns the request's idempotency key, or "".
func KeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(keyCtx{}).(string)
	return k
}
