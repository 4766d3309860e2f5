package auth_test

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db/dbtest"
	"kassa/fault"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)

	t.Run("StartsASession", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		sess, token, err := b.svc.Login(b.ctx, "  "+strings.ToUpper(sales.Email)+" ", testPassword, "192.0.2.1", "Firefox")
		require.NoError(t, err)
		require.NotEmpty(t, token)
		require.Equal(t, b.merchant, sess.MerchantID)
		require.Equal(t, sales.ID, sess.UserID)
		require.True(t, start.Add(12*time.Hour).Equal(sess.ExpiresAt), "expires %v", sess.ExpiresAt)

		p, err := b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)
		require.Equal(t, &auth.Principal{
			MerchantID:   b.merchant,
			Kind:         auth.CredentialSession,
			CredentialID: sales.ID,
			UserID:       sales.ID,
			Role:         auth.RoleSales,
			SessionID:    sess.ID,
			UserEmail:    sales.Email,
		}, p)
		require.False(t, p.IsAPIKey())

		require.True(t, start.Equal(*b.member(t, b.merchant, sales.ID).LastLoginAt))
	})

	t.Run("TokenIsStoredOnlyAsItsHash", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		token := b.login(t, b.owner)
		var stored []byte
		require.NoError(t, b.db.InSystem(b.ctx, func(tx *sqlx.Tx) error {
			return tx.GetContext(b.ctx, &stored, `SELECT token_hash FROM sessions WHERE user_id = $1`, b.owner.ID)
		}))
		want := sha256.Sum256([]byte(token))
		require.Equal(t, want[:], stored)
	})

	t.Run("EachLoginIsItsOwnSession", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		t1, t2 := b.login(t, b.owner), b.login(t, b.owner)
		require.NotEqual(t, t1, t2)
		p1, err := b.svc.AuthenticateSession(b.ctx, t1)
		require.NoError(t, err)
		p2, err := b.svc.AuthenticateSession(b.ctx, t2)
		require.NoError(t, err)
		require.NotEqual(t, p1.SessionID, p2.SessionID)
		// Idempotency keys and rate limits follow the user across sessions.
		require.Equal(t, p1.CredentialID, p2.CredentialID)
	})

	t.Run("WrongPasswordAndUnknownEmailLookAlike", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		invited, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("invited"), Role: auth.RoleSales})
		require.NoError(t, err)
		var errs []error
		for name, tc := range map[string]struct{ email, password string }{
			"WrongPassword":    {b.owner.Email, "not the password"},
			"EmptyPassword":    {b.owner.Email, ""},
			"UnknownEmail":     {"nobody@example.se", testPassword},
			"EmptyEmail":       {"", testPassword},
			"NoPasswordYet":    {invited.User.Email, testPassword},
			"HugeEmail":        {strings.Repeat("a", 1000) + "@example.se", testPassword},
			"HugePassword":     {b.owner.Email, strings.Repeat("p", 1<<16)},
			"PasswordPlusLine": {b.owner.Email, testPassword + "\n"},
		} {
			sess, token, err := b.svc.Login(b.ctx, tc.email, tc.password, "", "")
			require.ErrorIs(t, err, auth.ErrInvalidCredentials, name)
			require.Empty(t, token, name)
			require.Zero(t, sess, name)
			errs = append(errs, err)
		}
		for _, err := range errs[1:] {
			require.Equal(t, errs[0].Error(), err.Error())
		}
		require.Zero(t, b.countSessions(t, b.owner.ID))
	})

	t.Run("LocksAfterMaxFailedLogins", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for i := range 5 {
			_, _, err := b.svc.Login(b.ctx, b.owner.Email, "wrong password", "", "")
			require.ErrorIs(t, err, auth.ErrInvalidCredentials, "attempt %d", i+1)
		}
		_, _, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, "", "")
		requireCode(t, err, auth.ErrLoginThrottled.Code)

		b.clock.Advance(15*time.Minute - time.Second)
		_, _, err = b.svc.Login(b.ctx, b.owner.Email, testPassword, "", "")
		requireCode(t, err, auth.ErrLoginThrottled.Code)

		b.clock.Advance(time.Second)
		_, token, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, "", "")
		require.NoError(t, err)
		_, err = b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)
	})

	t.Run("LockCountsFailuresInARow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		fail := func(n int) {
			for range n {
				_, _, err := b.svc.Login(b.ctx, b.owner.Email, "wrong password", "", "")
				require.ErrorIs(t, err, auth.ErrInvalidCredentials)
			}
		}
		fail(4)
		b.login(t, b.owner) // resets the count
		fail(4)
		b.login(t, b.owner)
		fail(5)
		_, _, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, "", "")
		requireCode(t, err, auth.ErrLoginThrottled.Code)
	})

	t.Run("LockedAccountStartsAfreshAfterTheLock", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, d, auth.Config{MaxFailedLogins: 2, LockoutDuration: time.Minute})
		fail := func() error {
			_, _, err := b.svc.Login(b.ctx, b.owner.Email, "wrong password", "", "")
			return err
		}
		require.ErrorIs(t, fail(), auth.ErrInvalidCredentials)
		require.ErrorIs(t, fail(), auth.ErrInvalidCredentials)
		requireCode(t, fail(), auth.ErrLoginThrottled.Code)
		b.clock.Advance(time.Minute)
		// One failure after the lock is not yet a new lock.
		require.ErrorIs(t, fail(), auth.ErrInvalidCredentials)
		b.login(t, b.owner)
	})

	t.Run("LockIsPerPerson", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		admin := b.createUser(t, as(b.owner), auth.RoleAdmin)
		for range 5 {
			_, _, err := b.svc.Login(b.ctx, b.owner.Email, "wrong password", "", "")
			require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		}
		b.login(t, admin)
	})

	t.Run("DeactivatedMemberCannotLogIn", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		_, err := b.svc.DeactivateUser(b.ctx, as(b.owner), sales.ID)
		require.NoError(t, err)
		_, token, err := b.svc.Login(b.ctx, sales.Email, testPassword, "", "")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		require.Empty(t, token)
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)

	t.Run("ExpiresAfterSessionTTL", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d) // 12 h, idle 2 h
		token := b.login(t, b.owner)
		// Kept busy, the session still ends at 12 h.
		for range 11 {
			b.clock.Advance(time.Hour)
			_, err := b.svc.AuthenticateSession(b.ctx, token)
			require.NoError(t, err, "at %v", b.clock.Now().Sub(start))
		}
		b.clock.Advance(time.Hour - time.Second)
		_, err := b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)
		b.clock.Advance(time.Second)
		_, err = b.svc.AuthenticateSession(b.ctx, token)
		require.ErrorIs(t, err, fault.ErrUnauthorized)
	})

	t.Run("ConfiguredTTL", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, d, auth.Config{SessionTTL: 30 * time.Minute})
		require.Equal(t, 30*time.Minute, b.svc.SessionTTL())
		sess, token, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, "", "")
		require.NoError(t, err)
		require.True(t, start.Add(30*time.Minute).Equal(sess.ExpiresAt))
		b.clock.Advance(30 * time.Minute)
		_, err = b.svc.AuthenticateSession(b.ctx, token)
		require.ErrorIs(t, err, fault.ErrUnauthorized)
	})

	t.Run("EndsWhenIdle", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d) // idle 2 h
		token := b.login(t, b.owner)
		// Each use moves the idle deadline.
		for range 3 {
			b.clock.Advance(2*time.Hour - time.Second)
			_, err := b.svc.AuthenticateSession(b.ctx, token)
			require.NoError(t, err, "at %v", b.clock.Now().Sub(start))
		}
		b.clock.Advance(2 * time.Hour)
		_, err := b.svc.AuthenticateSession(b.ctx, token)
		require.ErrorIs(t, err, fault.ErrUnauthorized)
		// Activity elsewhere does not revive it.
		b.login(t, b.owner)
		_, err = b.svc.AuthenticateSession(b.ctx, token)
		require.ErrorIs(t, err, fault.ErrUnauthorized)
	})

	t.Run("LogoutEndsIt", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		token, other := b.login(t, b.owner), b.login(t, b.owner)
		require.NoError(t, b.svc.Logout(b.ctx, token))
		_, err := b.svc.AuthenticateSession(b.ctx, token)
		require.ErrorIs(t, err, fault.ErrUnauthorized)
		_, err = b.svc.AuthenticateSession(b.ctx, other)
		require.NoError(t, err, "logging out ended another session")
		require.Equal(t, 1, b.countSessions(t, b.owner.ID))

		require.NoError(t, b.svc.Logout(b.ctx, token), "logging out twice")
		require.NoError(t, b.svc.Logout(b.ctx, "never issued"))
	})

	t.Run("DeactivatedMembershipIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		token := b.login(t, sales)
		// Deactivated behind the service's back, so the session row stays.
		require.NoError(t, b.db.InTenant(b.ctx, b.merchant, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(b.ctx, `UPDATE memberships SET status = 'DEACTIVATED' WHERE user_id = $1`, sales.ID)
			return err
		}))
		require.Equal(t, 1, b.countSessions(t, sales.ID))
		_, err := b.svc.AuthenticateSession(b.ctx, token)
		require.ErrorIs(t, err, fault.ErrUnauthorized)
	})

	t.Run("RoleChangeAppliesAtOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		token := b.login(t, sales)
		_, err := b.svc.UpdateUserRole(b.ctx, as(b.owner), sales.ID, auth.RoleAdmin)
		require.NoError(t, err)
		p, err := b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)
		require.Equal(t, auth.RoleAdmin, p.Role)
	})

	t.Run("GarbageTokenIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		token := b.login(t, b.owner)
		for name, s := range map[string]string{
			"Empty":         "",
			"OneCharOff":    token[:len(token)-1],
			"TrailingSpace": token + " ",
			"Huge":          strings.Repeat("t", 1<<20),
			"InvalidUTF8":   "\xff\xfe",
			"APIKeyShape":   "kassa_test_" + strings.Repeat("A", 43),
		} {
			p, err := b.svc.AuthenticateSession(b.ctx, s)
			require.ErrorIs(t, err, fault.ErrUnauthorized, name)
			require.Nil(t, p, name)
		}
	})

	t.Run("PurgeDeletesExpiredAndIdleSessions", func(t *testing.T) {
		t.Parallel()
		// Purging spans merchants: it would end the other subtests' sessions.
		b := setupWith(t, dbtest.New(t), auth.Config{SessionTTL: time.Hour, SessionIdle: 30 * time.Minute})
		expired := b.login(t, b.owner)
		b.clock.Advance(25 * time.Minute)
		_, err := b.svc.AuthenticateSession(b.ctx, expired)
		require.NoError(t, err)
		idle := b.login(t, b.owner)
		b.clock.Advance(25 * time.Minute)
		_, err = b.svc.AuthenticateSession(b.ctx, expired)
		require.NoError(t, err)
		live := b.login(t, b.owner)

		n, err := b.svc.PurgeExpiredSessions(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n, "purged sessions still in use")
		require.Equal(t, 3, b.countSessions(t, b.owner.ID))

		// At 1 h 1 s: expired passed its 1 h life though used at 50 min;
		// idle was last used at 25 min; live was made at 50 min.
		b.clock.Advance(10*time.Minute + time.Second)
		n, err = b.svc.PurgeExpiredSessions(b.ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		require.Equal(t, 1, b.countSessions(t, b.owner.ID))
		for _, token := range []string{expired, idle} {
			_, err := b.svc.AuthenticateSession(b.ctx, token)
			require.ErrorIs(t, err, fault.ErrUnauthorized)
		}
		_, err = b.svc.AuthenticateSession(b.ctx, live)
		require.NoError(t, err)

		n, err = b.svc.PurgeExpiredSessions(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
