package auth

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
)

// APIKey is a merchant's credential for integrations. Its secret is shown
// once, at creation.
type APIKey struct {
	MerchantID gid.MerchantID `db:"merchant_id"`
	ID         uuid.UUID      `db:"id"`
	Name       string         `db:"name"`
	Mode       string         `db:"mode"`
	Prefix     string         `db:"prefix"`
	Last4      string         `db:"last4"`
	CreatedBy  *uuid.UUID     `db:"created_by"`
	CreatedAt  time.Time      `db:"created_at"`
	LastUsedAt *time.Time     `db:"last_used_at"`
	RevokedAt  *time.Time     `db:"revoked_at"`
}

//nolint:gosec // G101: a column list, not a credential
const apiKeyColumns = `merchant_id, id, name, mode, prefix, last4, created_by, created_at, last_used_at, revoked_at`

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newAPISecret returns "kassa_<mode>_" followed by 43 base62 characters
// (over 256 bits).
func newAPISecret(mode string) string {
	var b strings.Builder
	b.WriteString("kassa_" + mode + "_")
	max := big.NewInt(int64(len(base62)))
	for range 43 {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err)
		}
		b.WriteByte(base62[n.Int64()])
	}
	return b.String()
}

// CreateAPIKey creates a key for the merchant and returns it with its
// secret, which is not stored and cannot be shown again.
//
// Errors: a fault.Error with code INVALID_NAME.
func (s *Service) CreateAPIKey(ctx context.Context, merchantID gid.MerchantID, name string, createdBy *uuid.UUID) (APIKey, string, error) {
	var key APIKey
	var secret string
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var err error
		key, secret, err = s.CreateAPIKeyTx(ctx, tx, merchantID, name, createdBy)
		return err
	})
	return key, secret, err
}

// CreateAPIKeyTx is CreateAPIKey inside the caller's transaction.
func (s *Service) CreateAPIKeyTx(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, name string, createdBy *uuid.UUID) (APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || strings.ContainsAny(name, "\r\n") {
		return APIKey{}, "", fault.Invalid("name", fault.ErrInvalidName, "name must be 1 to 100 characters on one line")
	}
	secret := newAPISecret(s.mode)
	key := APIKey{
		MerchantID: merchantID,
		ID:         uuid.Must(uuid.NewV7()),
		Name:       name,
		Mode:       s.mode,
		Prefix:     "kassa_" + s.mode + "_",
		Last4:      secret[len(secret)-4:],
		CreatedBy:  createdBy,
		CreatedAt:  s.now().UTC(),
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO api_keys (merchant_id, id, name, mode, prefix, last4, secret_hash, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		key.MerchantID, key.ID, key.Name, key.Mode, key.Prefix, key.Last4, hashToken(secret), key.CreatedBy, key.CreatedAt)
	if err != nil {
		return APIKey{}, "", err
	}
	return key, secret, nil
}

// RevokeAPIKey revokes a key at once. Revoking a revoked key is a no-op.
//
// Errors: fault.ErrNotFound.
func (s *Service) RevokeAPIKey(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (APIKey, error) {
	var key APIKey
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &key, `
			UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2)
			WHERE id = $1 RETURNING `+apiKeyColumns, id, s.now().UTC())
		if db.IsNoRows(err) {
			return fault.NotFound("API key")
		}
		return err
	})
	return key, err
}

// APIKeys lists the merchant's keys, newest first.
func (s *Service) APIKeys(ctx context.Context, merchantID gid.MerchantID, page db.Page) ([]APIKey, bool, error) {
	var keys []APIKey
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &keys, `
			SELECT `+apiKeyColumns+` FROM api_keys WHERE id < $1 ORDER BY id DESC LIMIT $2`,
			page.AfterOrMax(), page.Fetch())
	})
	keys, more := db.Trim(page, keys)
	return keys, more, err
}

// APIKeysByID loads keys by id, in the order of ids (missing ones absent).
func (s *Service) APIKeysByID(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]APIKey, error) {
	var keys []APIKey
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &keys, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id IN (?)`, ids)
	})
	out := make(map[uuid.UUID]APIKey, len(keys))
	for _, k := range keys {
		out[k.ID] = k
	}
	return out, err
}

// AuthenticateAPIKey returns the principal for a secret.
//
// Errors: fault.ErrUnauthorized for an unknown or revoked key.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, "kassa_") || len(secret) > 200 {
		return nil, fault.ErrUnauthorized
	}
	var row struct {
		MerchantID gid.MerchantID `db:"merchant_id"`
		ID         uuid.UUID      `db:"id"`
		RevokedAt  *time.Time     `db:"revoked_at"`
		LastUsedAt *time.Time     `db:"last_used_at"`
	}
	// One statement, no transaction: this runs on every request.
	err := s.db.System.GetContext(ctx, &row, `
		SELECT merchant_id, id, revoked_at, last_used_at FROM api_keys WHERE secret_hash = $1`, hashToken(secret))
	if db.IsNoRows(err) {
		return nil, fault.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if row.RevokedAt != nil {
		return nil, fault.ErrUnauthorized
	}
	now := s.now().UTC()
	// Recording every use would make each request a write; a minute's
	// precision is what "last used" needs.
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > time.Minute {
		_, _ = s.db.System.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $3 WHERE merchant_id = $1 AND id = $2`, row.MerchantID, row.ID, now)
	}
	return &Principal{MerchantID: row.MerchantID, Kind: CredentialAPIKey, CredentialID: row.ID}, nil
}
