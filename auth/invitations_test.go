package auth_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db/dbtest"
	"kassa/fault"
)

func TestInvitations(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)

	t.Run("NewPersonChoosesAPassword", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		email := uniqueEmail("new")
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: email, Name: "Nina", Role: auth.RoleAdmin})
		require.NoError(t, err)
		require.NotEmpty(t, inv.Token)
		require.Equal(t, b.merchant, inv.User.MerchantID)
		require.Equal(t, email, inv.User.Email)
		require.Equal(t, auth.RoleAdmin, inv.User.Role)
		require.Equal(t, auth.StatusInvited, inv.User.Status)

		info, err := b.svc.LookupInvitation(b.ctx, inv.Token)
		require.NoError(t, err)
		require.Equal(t, auth.InvitationInfo{MerchantName: "Acme AB", Email: email, HasPassword: false, Name: "Nina", Locale: "sv"}, info)

		// Invited is not yet a login.
		_, _, err = b.svc.Login(b.ctx, email, "", "", "")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)

		const pw = "a brand new password"
		sess, token, err := b.svc.AcceptInvitation(b.ctx, inv.Token, " Nina Nilsson ", pw, "192.0.2.7", "test")
		require.NoError(t, err)
		require.Equal(t, b.merchant, sess.MerchantID)
		require.Equal(t, inv.User.ID, sess.UserID)
		p, err := b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)
		require.Equal(t, b.merchant, p.MerchantID)
		require.Equal(t, inv.User.ID, p.UserID)
		require.Equal(t, auth.RoleAdmin, p.Role)

		u := b.member(t, b.merchant, inv.User.ID)
		require.Equal(t, auth.StatusActive, u.Status)
		require.Equal(t, "Nina Nilsson", u.Name)

		_, _, err = b.svc.Login(b.ctx, email, pw, "", "")
		require.NoError(t, err, "the chosen password does not log in")
	})

	t.Run("NewPersonMustChooseAStrongPassword", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("new"), Role: auth.RoleSales})
		require.NoError(t, err)
		_, token, err := b.svc.AcceptInvitation(b.ctx, inv.Token, "", "short", "", "")
		requireCode(t, err, auth.ErrWeakPassword)
		require.Empty(t, token)
		_, err = b.svc.LookupInvitation(b.ctx, inv.Token)
		require.NoError(t, err, "a failed acceptance used up the invitation")
		require.Equal(t, auth.StatusInvited, b.member(t, b.merchant, inv.User.ID).Status)
	})

	t.Run("NameMustBeOneLine", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("new"), Name: "Nina", Role: auth.RoleSales})
		require.NoError(t, err)
		for _, name := range []string{"Nina\r\nBcc: x@y.se", "Nina\nNilsson", strings.Repeat("n", 201)} {
			_, _, err = b.svc.AcceptInvitation(b.ctx, inv.Token, name, testPassword, "", "")
			requireCode(t, err, fault.ErrInvalidName)
		}
		require.Equal(t, "Nina", b.member(t, b.merchant, inv.User.ID).Name)
		require.Equal(t, auth.StatusInvited, b.member(t, b.merchant, inv.User.ID).Status)
	})

	t.Run("ExistingPersonProvesTheirPassword", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		// The person already works for another merchant.
		_, otherKey := b.newMerchant(t, "Other AB")
		person := b.createUser(t, otherKey, auth.RoleOwner)

		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: strings.ToUpper(person.Email), Name: "Ignored", Role: auth.RoleSales})
		require.NoError(t, err)
		require.Equal(t, person.ID, inv.User.ID, "the invitation made a second person for one email")

		info, err := b.svc.LookupInvitation(b.ctx, inv.Token)
		require.NoError(t, err)
		require.Equal(t, auth.InvitationInfo{MerchantName: "Acme AB", Email: person.Email, HasPassword: true, Name: "Test OWNER", Locale: "sv"}, info)

		for _, wrong := range []string{"", "not their password", "a brand new password"} {
			_, token, err := b.svc.AcceptInvitation(b.ctx, inv.Token, "", wrong, "", "")
			requireCode(t, err, auth.ErrInvalidCredentials.Code)
			require.Empty(t, token)
		}
		require.Equal(t, auth.StatusInvited, b.member(t, b.merchant, person.ID).Status)

		_, token, err := b.svc.AcceptInvitation(b.ctx, inv.Token, "New Name", testPassword, "", "")
		require.NoError(t, err)
		p, err := b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)
		require.Equal(t, b.merchant, p.MerchantID)
		require.Equal(t, person.ID, p.UserID)
		require.Equal(t, auth.RoleSales, p.Role)

		// Their login and their role elsewhere are untouched.
		require.Equal(t, auth.StatusActive, b.member(t, b.merchant, person.ID).Status)
		require.Equal(t, auth.RoleOwner, b.member(t, person.MerchantID, person.ID).Role)
		require.Equal(t, person.Name, b.member(t, person.MerchantID, person.ID).Name)
		_, _, err = b.svc.Login(b.ctx, person.Email, testPassword, "", "")
		require.NoError(t, err)
	})

	t.Run("InvitationWorksOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("new"), Role: auth.RoleSales})
		require.NoError(t, err)
		_, _, err = b.svc.AcceptInvitation(b.ctx, inv.Token, "", testPassword, "", "")
		require.NoError(t, err)

		_, err = b.svc.LookupInvitation(b.ctx, inv.Token)
		require.ErrorIs(t, err, fault.ErrNotFound)
		_, token, err := b.svc.AcceptInvitation(b.ctx, inv.Token, "", "someone else's password", "", "")
		require.ErrorIs(t, err, fault.ErrNotFound)
		require.Empty(t, token)
	})

	t.Run("ConcurrentAcceptancesMakeOneSession", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("new"), Role: auth.RoleSales})
		require.NoError(t, err)
		const n = 4
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, _, errs[i] = b.svc.AcceptInvitation(b.ctx, inv.Token, "", testPassword, "", "") })
		}
		wg.Wait()
		accepted := 0
		for _, err := range errs {
			if err == nil {
				accepted++
			} else {
				require.ErrorIs(t, err, fault.ErrNotFound)
			}
		}
		require.Equal(t, 1, accepted)
		require.Equal(t, 1, b.countSessions(t, inv.User.ID))
	})

	t.Run("UnknownTokenIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("new"), Role: auth.RoleSales})
		require.NoError(t, err)
		for _, token := range []string{"", "nope", strings.Repeat("A", 43), strings.Repeat("x", 1<<16)} {
			_, err := b.svc.LookupInvitation(b.ctx, token)
			require.ErrorIs(t, err, fault.ErrNotFound)
			_, _, err = b.svc.AcceptInvitation(b.ctx, token, "", testPassword, "", "")
			require.ErrorIs(t, err, fault.ErrNotFound)
		}
	})

	t.Run("ExpiredInvitationIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, d, auth.Config{InviteTTL: 48 * time.Hour})
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("new"), Role: auth.RoleSales})
		require.NoError(t, err)

		b.clock.Advance(48*time.Hour - time.Second)
		_, err = b.svc.LookupInvitation(b.ctx, inv.Token)
		require.NoError(t, err, "expired early")

		b.clock.Advance(time.Second)
		_, err = b.svc.LookupInvitation(b.ctx, inv.Token)
		require.ErrorIs(t, err, fault.ErrNotFound)
		_, _, err = b.svc.AcceptInvitation(b.ctx, inv.Token, "", testPassword, "", "")
		require.ErrorIs(t, err, fault.ErrNotFound)
		require.Equal(t, auth.StatusInvited, b.member(t, b.merchant, inv.User.ID).Status)
	})

	t.Run("DefaultLifetimeIsAWeek", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("new"), Role: auth.RoleSales})
		require.NoError(t, err)
		b.clock.Advance(7*24*time.Hour - time.Minute)
		_, err = b.svc.LookupInvitation(b.ctx, inv.Token)
		require.NoError(t, err)
		b.clock.Advance(time.Minute)
		_, err = b.svc.LookupInvitation(b.ctx, inv.Token)
		require.ErrorIs(t, err, fault.ErrNotFound)
	})

	t.Run("DeactivatedInvitationIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		inv, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("new"), Role: auth.RoleSales})
		require.NoError(t, err)
		_, err = b.svc.DeactivateUser(b.ctx, as(b.owner), inv.User.ID)
		require.NoError(t, err)
		_, err = b.svc.LookupInvitation(b.ctx, inv.Token)
		require.ErrorIs(t, err, fault.ErrNotFound)
		_, _, err = b.svc.AcceptInvitation(b.ctx, inv.Token, "", testPassword, "", "")
		require.ErrorIs(t, err, fault.ErrNotFound)
	})

	t.Run("AlreadyMember", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		invited, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("invited"), Role: auth.RoleSales})
		require.NoError(t, err)
		for name, email := range map[string]string{
			"Active":          b.owner.Email,
			"ActiveOtherCase": strings.ToUpper(b.owner.Email),
			"Invited":         invited.User.Email,
		} {
			t.Run(name, func(t *testing.T) {
				_, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: email, Role: auth.RoleAdmin})
				requireCode(t, err, auth.ErrAlreadyMember)
			})
		}
		require.Equal(t, auth.RoleOwner, b.member(t, b.merchant, b.owner.ID).Role)
		_, err = b.svc.LookupInvitation(b.ctx, invited.Token)
		require.NoError(t, err, "the first invitation was replaced")
	})

	t.Run("OnlyOwnersInviteOwners", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		admin := b.createUser(t, as(b.owner), auth.RoleAdmin)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		_, err := b.svc.InviteUser(b.ctx, as(admin), auth.NewUser{Email: uniqueEmail("o"), Role: auth.RoleOwner})
		require.ErrorIs(t, err, fault.ErrForbidden)
		_, err = b.svc.InviteUser(b.ctx, as(admin), auth.NewUser{Email: uniqueEmail("s"), Role: auth.RoleSales})
		require.NoError(t, err)
		for _, role := range roles {
			_, err := b.svc.InviteUser(b.ctx, as(sales), auth.NewUser{Email: uniqueEmail("x"), Role: role})
			require.ErrorIs(t, err, fault.ErrForbidden)
		}
		_, err = b.svc.InviteUser(b.ctx, b.system, auth.NewUser{Email: uniqueEmail("o"), Role: auth.RoleOwner})
		require.NoError(t, err)
	})

	t.Run("InputIsValidated", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, err := b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: "a@b.se\r\nBcc: x@y.se", Role: auth.RoleSales})
		requireCode(t, err, fault.ErrInvalidEmail)
		_, err = b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("x"), Role: "KING"})
		requireCode(t, err, auth.ErrInvalidRole)
		_, err = b.svc.InviteUser(b.ctx, as(b.owner), auth.NewUser{Email: uniqueEmail("x"), Name: "a\nb", Role: auth.RoleSales})
		requireCode(t, err, fault.ErrInvalidName)
	})
}
