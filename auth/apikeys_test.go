package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db"
	"kassa/db/dbtest"
	"kassa/fault"
)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)

	t.Run("SecretCarriesTheModePrefix", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			mode, wantMode string
		}{
			{"test", "test"},
			{"live", "live"},
			{"", "test"},
			{"production", "test"},
		} {
			t.Run("Mode="+tc.mode, func(t *testing.T) {
				t.Parallel()
				b := setupWith(t, d, auth.Config{Mode: tc.mode})
				prefix := "kassa_" + tc.wantMode + "_"
				key, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Webshop", &b.owner.ID)
				require.NoError(t, err)
				require.Regexp(t, "^"+regexp.QuoteMeta(prefix)+"[0-9A-Za-z]{43}$", secret)
				require.Equal(t, tc.wantMode, key.Mode)
				require.Equal(t, prefix, key.Prefix)
				require.Equal(t, secret[len(secret)-4:], key.Last4)
				require.Equal(t, b.merchant, key.MerchantID)
				require.Equal(t, "Webshop", key.Name)
				require.Equal(t, &b.owner.ID, key.CreatedBy)
				require.True(t, start.Equal(key.CreatedAt))
				require.Nil(t, key.RevokedAt)
			})
		}
	})

	t.Run("SecretsAreUnique", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		seen := map[string]bool{}
		for i := range 5 {
			_, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, fmt.Sprint("key ", i), nil)
			require.NoError(t, err)
			require.False(t, seen[secret])
			seen[secret] = true
		}
	})

	t.Run("SecretIsNotStored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		key, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Webshop", nil)
		require.NoError(t, err)
		random := strings.TrimPrefix(secret, key.Prefix)

		row := map[string]any{}
		require.NoError(t, b.db.InSystem(b.ctx, func(tx *sqlx.Tx) error {
			return tx.QueryRowxContext(b.ctx, `SELECT * FROM api_keys WHERE id = $1`, key.ID).MapScan(row)
		}))
		require.Contains(t, row, "secret_hash")
		for col, v := range row {
			for _, s := range renderings(v) {
				require.NotContains(t, s, random, "column %s holds the secret", col)
			}
		}
		want := sha256.Sum256([]byte(secret))
		require.Equal(t, want[:], row["secret_hash"])
	})

	t.Run("SecretAuthenticates", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		key, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Webshop", nil)
		require.NoError(t, err)
		p, err := b.svc.AuthenticateAPIKey(b.ctx, secret)
		require.NoError(t, err)
		require.Equal(t, &auth.Principal{MerchantID: b.merchant, Kind: auth.CredentialAPIKey, CredentialID: key.ID}, p)
		require.True(t, p.IsAPIKey())
	})

	t.Run("RevokedKeyIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		key, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Old", nil)
		require.NoError(t, err)
		_, other, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Current", nil)
		require.NoError(t, err)
		_, err = b.svc.AuthenticateAPIKey(b.ctx, secret)
		require.NoError(t, err)

		revoked, err := b.svc.RevokeAPIKey(b.ctx, b.merchant, key.ID)
		require.NoError(t, err)
		require.NotNil(t, revoked.RevokedAt)
		require.True(t, start.Equal(*revoked.RevokedAt))

		_, err = b.svc.AuthenticateAPIKey(b.ctx, secret)
		require.ErrorIs(t, err, fault.ErrUnauthorized)
		_, err = b.svc.AuthenticateAPIKey(b.ctx, other)
		require.NoError(t, err, "revoking one key revoked another")

		b.clock.Advance(time.Hour)
		again, err := b.svc.RevokeAPIKey(b.ctx, b.merchant, key.ID)
		require.NoError(t, err)
		require.True(t, start.Equal(*again.RevokedAt), "revoking twice moved the revocation time")
	})

	t.Run("UnknownKeyIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Webshop", nil)
		require.NoError(t, err)
		// Same shape as a real key, one character off.
		last := secret[len(secret)-1]
		swapped := byte('a')
		if last == 'a' {
			swapped = 'b'
		}
		for _, s := range []string{secret[:len(secret)-1] + string(swapped), secret[:len(secret)-1], "kassa_test_" + strings.Repeat("A", 43)} {
			_, err := b.svc.AuthenticateAPIKey(b.ctx, s)
			require.ErrorIs(t, err, fault.ErrUnauthorized, "secret %q", s)
		}
	})

	t.Run("GarbageIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Webshop", nil)
		require.NoError(t, err)
		for name, s := range map[string]string{
			"Empty":           "",
			"PrefixOnly":      "kassa_",
			"Bearer":          "Bearer " + secret,
			"TrailingSpace":   secret + " ",
			"OtherMode":       strings.Replace(secret, "kassa_test_", "kassa_live_", 1),
			"Uppercase":       strings.ToUpper(secret),
			"NUL":             secret + "\x00",
			"InvalidUTF8":     "kassa_\xff\xfe\xfd",
			"SQL":             "kassa_' OR 1=1 --",
			"Huge":            strings.Repeat("k", 1<<20),
			"HugeWithPrefix":  secret + strings.Repeat("A", 1<<20),
			"JustOverTheSize": "kassa_" + strings.Repeat("A", 195),
		} {
			t.Run(name, func(t *testing.T) {
				p, err := b.svc.AuthenticateAPIKey(b.ctx, s)
				require.ErrorIs(t, err, fault.ErrUnauthorized)
				require.Nil(t, p)
			})
		}
	})

	t.Run("LastUsedAtIsRecorded", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		key, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Webshop", nil)
		require.NoError(t, err)
		lastUsed := func() *time.Time {
			keys, err := b.svc.APIKeysByID(b.ctx, b.merchant, []uuid.UUID{key.ID})
			require.NoError(t, err)
			return keys[key.ID].LastUsedAt
		}
		require.Nil(t, lastUsed())

		b.clock.Advance(time.Hour)
		used := b.clock.Now()
		_, err = b.svc.AuthenticateAPIKey(b.ctx, secret)
		require.NoError(t, err)
		require.NotNil(t, lastUsed())
		require.True(t, used.Equal(*lastUsed()), "last used %v, want %v", lastUsed(), used)

		// Within the minute, uses are not written.
		b.clock.Advance(30 * time.Second)
		_, err = b.svc.AuthenticateAPIKey(b.ctx, secret)
		require.NoError(t, err)
		require.True(t, used.Equal(*lastUsed()))

		b.clock.Advance(time.Minute)
		_, err = b.svc.AuthenticateAPIKey(b.ctx, secret)
		require.NoError(t, err)
		require.True(t, b.clock.Now().Equal(*lastUsed()))
	})

	t.Run("ListsNewestFirstInPages", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for i := 1; i <= 5; i++ {
			_, _, err := b.svc.CreateAPIKey(b.ctx, b.merchant, fmt.Sprint("key ", i), nil)
			require.NoError(t, err)
		}
		var pages [][]string
		var more []bool
		page := db.Page{Limit: 2}
		for range 10 {
			keys, hasMore, err := b.svc.APIKeys(b.ctx, b.merchant, page)
			require.NoError(t, err)
			var names []string
			for _, k := range keys {
				names = append(names, k.Name)
			}
			pages = append(pages, names)
			more = append(more, hasMore)
			if !hasMore {
				break
			}
			page.After = keys[len(keys)-1].ID
		}
		require.Equal(t, [][]string{{"key 5", "key 4"}, {"key 3", "key 2"}, {"key 1"}}, pages)
		require.Equal(t, []bool{true, true, false}, more)
	})

	t.Run("ExactlyFullPageHasNoMore", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for i := range 2 {
			_, _, err := b.svc.CreateAPIKey(b.ctx, b.merchant, fmt.Sprint("key ", i), nil)
			require.NoError(t, err)
		}
		keys, more, err := b.svc.APIKeys(b.ctx, b.merchant, db.Page{Limit: 2})
		require.NoError(t, err)
		require.Len(t, keys, 2)
		require.False(t, more)
	})

	t.Run("InvalidNameIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for name, in := range map[string]string{
			"Empty":      "",
			"Blank":      " \t ",
			"TooLong":    strings.Repeat("n", 101),
			"CRLF":       "Webshop\r\nX-Injected: yes",
			"LF":         "Web\nshop",
			"CR":         "Web\rshop",
			"TrailingLF": "Webshop\n\nx",
		} {
			t.Run(name, func(t *testing.T) {
				_, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, in, nil)
				requireCode(t, err, fault.ErrInvalidName)
				fe, _ := fault.As(err)
				require.Equal(t, []string{"input", "name"}, fe.Field)
				require.Empty(t, secret)
			})
		}
		keys, _, err := b.svc.APIKeys(b.ctx, b.merchant, db.Page{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, keys, "a rejected key was stored")
	})

	t.Run("NameIsTrimmedAndMayHave100Characters", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		long := strings.Repeat("n", 100)
		key, _, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "  "+long+"  ", nil)
		require.NoError(t, err)
		require.Equal(t, long, key.Name)
	})

	t.Run("OtherMerchantCannotRevoke", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		other, _ := b.newMerchant(t, "Other AB")
		key, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Webshop", nil)
		require.NoError(t, err)

		_, err = b.svc.RevokeAPIKey(b.ctx, other, key.ID)
		require.ErrorIs(t, err, fault.ErrNotFound)
		_, err = b.svc.AuthenticateAPIKey(b.ctx, secret)
		require.NoError(t, err, "another merchant revoked the key")

		_, err = b.svc.RevokeAPIKey(b.ctx, b.merchant, uuid.Must(uuid.NewV7()))
		require.ErrorIs(t, err, fault.ErrNotFound)
	})

	t.Run("ListingIsPerMerchant", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		other, _ := b.newMerchant(t, "Other AB")
		var mine []uuid.UUID
		for i := range 3 {
			k, _, err := b.svc.CreateAPIKey(b.ctx, b.merchant, fmt.Sprint("mine ", i), nil)
			require.NoError(t, err)
			mine = append(mine, k.ID)
		}
		theirs, _, err := b.svc.CreateAPIKey(b.ctx, other, "theirs", nil)
		require.NoError(t, err)

		keys, more, err := b.svc.APIKeys(b.ctx, other, db.Page{Limit: 100})
		require.NoError(t, err)
		require.False(t, more)
		require.Len(t, keys, 1)
		require.Equal(t, theirs.ID, keys[0].ID)

		keys, _, err = b.svc.APIKeys(b.ctx, b.merchant, db.Page{Limit: 100})
		require.NoError(t, err)
		require.Len(t, keys, 3)
		for _, k := range keys {
			require.Equal(t, b.merchant, k.MerchantID)
		}

		byID, err := b.svc.APIKeysByID(b.ctx, other, append(mine, theirs.ID))
		require.NoError(t, err)
		require.Len(t, byID, 1)
		require.Contains(t, byID, theirs.ID)
	})
}

// renderings returns the ways a column value might show a secret: as text,
// and for bytes also as hex.
func renderings(v any) []string {
	switch v := v.(type) {
	case []byte:
		return []string{string(v), hex.EncodeToString(v)}
	case nil:
		return nil
	default:
		return []string{fmt.Sprint(v)}
	}
}
