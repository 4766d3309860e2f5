package auth_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db/dbtest"
)

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	const attacker, home = "203.0.113.66", "198.51.100.20"

	requireThrottled := func(t *testing.T, err error, min, max time.Duration) {
		t.Helper()
		requireCode(t, err, auth.ErrLoginThrottled.Code)
		require.ErrorIs(t, err, auth.ErrLoginThrottled)
		wait, ok := auth.RetryAfter(err)
		require.True(t, ok, "%v", err)
		require.GreaterOrEqual(t, wait, min)
		require.LessOrEqual(t, wait, max)
	}

	// An invitation to a person who has a login asks for their password:
	// whoever holds the link (any merchant's admin can make one) guesses
	// under the same throttle as at /login, and the guesses count there too.
	t.Run("InvitationIsNoWayAroundTheThrottle", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, otherKey := b.newMerchant(t, "Other AB")
		person := b.createUser(t, otherKey, auth.RoleOwner)
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: person.Email, Role: auth.RoleSales})
		require.NoError(t, err)
		checked := 0
		for range 10 {
			_, _, err := b.svc.AcceptInvitation(b.ctx, inv.Token, "", "guess", attacker, "curl")
			if errors.Is(err, auth.ErrLoginThrottled) {
				requireThrottled(t, err, 15*time.Minute, 15*time.Minute)
				continue
			}
			requireCode(t, err, auth.ErrInvalidCredentials.Code)
			checked++
		}
		require.Equal(t, 5, checked, "only five guesses are checked")
		_, _, err = b.svc.Login(b.ctx, person.Email, testPassword, attacker, "curl")
		requireThrottled(t, err, 15*time.Minute, 15*time.Minute)
		// The person, from their own address, still accepts.
		_, _, err = b.svc.AcceptInvitation(b.ctx, inv.Token, "", testPassword, home, "Firefox")
		require.NoError(t, err)
	})

	t.Run("AttackerElsewhereDoesNotLockTheOwnerOut", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		checked := 0
		for i := range 20 {
			_, _, err := b.svc.Login(b.ctx, b.owner.Email, "guess", attacker, "curl")
			if errors.Is(err, auth.ErrInvalidCredentials) {
				checked++
				continue
			}
			requireThrottled(t, err, 15*time.Minute, 15*time.Minute)
			require.Contains(t, err.Error(), "try again in 15 minutes", "attempt %d", i+1)
		}
		require.Equal(t, 5, checked, "only five guesses are checked")

		// The owner logs in from home.
		_, token, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, home, "Firefox")
		require.NoError(t, err)
		_, err = b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)

		// The attacker's address stays throttled, even with the password.
		b.clock.Advance(10 * time.Minute)
		_, _, err = b.svc.Login(b.ctx, b.owner.Email, testPassword, attacker, "curl")
		requireThrottled(t, err, 5*time.Minute, 5*time.Minute)

		// Until the lock runs out.
		b.clock.Advance(5 * time.Minute)
		_, _, err = b.svc.Login(b.ctx, b.owner.Email, "guess", attacker, "curl")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	})

	t.Run("AddressSprayingManyAccountsIsThrottled", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, d, auth.Config{MaxFailedLogins: 3, MaxFailedLoginsPerAddress: 7})
		var people []auth.User
		for range 4 {
			people = append(people, b.createUser(t, as(b.owner), auth.RoleSales))
		}
		failures := 0
		for _, p := range people {
			for range 2 {
				_, _, err := b.svc.Login(b.ctx, p.Email, "guess", attacker, "")
				if errors.Is(err, auth.ErrInvalidCredentials) {
					failures++
					continue
				}
				requireThrottled(t, err, time.Second, 15*time.Minute)
			}
		}
		require.Equal(t, 7, failures, "the address is throttled after 7 failures over all accounts")
		// Even an account it never tried.
		_, _, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, attacker, "")
		requireThrottled(t, err, 15*time.Minute, 15*time.Minute)
		// Others are not.
		b.login(t, people[0])
		_, _, err = b.svc.Login(b.ctx, people[1].Email, testPassword, home, "")
		require.NoError(t, err)
	})

	t.Run("UnknownEmailsAreThrottledAlike", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for range 5 {
			_, _, err := b.svc.Login(b.ctx, "nobody-"+b.owner.Email, "guess", attacker, "")
			require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		}
		_, _, err := b.svc.Login(b.ctx, "NOBODY-"+strings.ToUpper(b.owner.Email), "guess", attacker, "")
		requireThrottled(t, err, 15*time.Minute, 15*time.Minute)
	})

	t.Run("AnIPv6ClientIsItsSlash64", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::5"} {
			_, _, err := b.svc.Login(b.ctx, b.owner.Email, "guess", ip, "")
			require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		}
		_, _, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, "2001:db8:1:2::99", "")
		requireThrottled(t, err, 15*time.Minute, 15*time.Minute)
		_, _, err = b.svc.Login(b.ctx, b.owner.Email, testPassword, "2001:db8:1:3::1", "")
		require.NoError(t, err, "another /64 is another client")
	})

	t.Run("ManyAddressesLockTheAccountAtAMuchHigherCount", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, d, auth.Config{MaxFailedLogins: 2, MaxFailedLoginsPerAccount: 6})
		for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
			for range 2 {
				_, _, err := b.svc.Login(b.ctx, b.owner.Email, "guess", ip, "")
				require.ErrorIs(t, err, auth.ErrInvalidCredentials)
			}
		}
		_, _, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, home, "")
		requireThrottled(t, err, 15*time.Minute-time.Second, 15*time.Minute)
		b.clock.Advance(15 * time.Minute)
		_, _, err = b.svc.Login(b.ctx, b.owner.Email, testPassword, home, "")
		require.NoError(t, err)
	})

	t.Run("ParallelGuessesAreCountedBeforeTheyEnd", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		var wg sync.WaitGroup
		errs := make([]error, 30)
		for i := range errs {
			wg.Go(func() {
				_, _, errs[i] = b.svc.Login(b.ctx, b.owner.Email, "guess", attacker, "")
			})
		}
		wg.Wait()
		checked := 0
		for _, err := range errs {
			if errors.Is(err, auth.ErrInvalidCredentials) {
				checked++
			} else {
				require.ErrorIs(t, err, auth.ErrLoginThrottled)
			}
		}
		require.LessOrEqual(t, checked, 5)
		require.Positive(t, checked)
	})

	t.Run("TextPostgreSQLRefusesIsNoDatabaseError", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for _, email := range []string{"\xff\xfe@example.se", "nul\x00@example.se", b.owner.Email + "\x00"} {
			_, _, err := b.svc.Login(b.ctx, email, testPassword, home, "")
			require.ErrorIs(t, err, auth.ErrInvalidCredentials, "%q", email)
		}
		// A User-Agent is any bytes; the session is made all the same.
		ua := "Mozilla/5.0 \xff\xfe\x00 " + strings.Repeat("å", 200)
		_, token, err := b.svc.Login(b.ctx, b.owner.Email, testPassword, home, ua)
		require.NoError(t, err)
		_, err = b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)
	})
}

func TestHumanWait(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Millisecond: "1 second", 30 * time.Second: "30 seconds", time.Minute: "1 minute",
		time.Minute + time.Second: "2 minutes", 15 * time.Minute: "15 minutes", 14*time.Minute + 59*time.Second: "15 minutes",
	} {
		require.Equal(t, want, auth.HumanWait(d), "%v", d)
	}
}
