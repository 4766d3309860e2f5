package auth_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db"
	"kassa/db/dbtest"
	"kassa/fault"
)

var roles = []auth.Role{auth.RoleOwner, auth.RoleAdmin, auth.RoleSales}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)

	t.Run("OwnerCreatesEveryRole", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for _, role := range roles {
			t.Run(string(role), func(t *testing.T) {
				email := uniqueEmail(string(role))
				u, err := b.svc.CreateUser(b.ctx, as(b.owner), auth.NewUser{Email: " " + email + " ", Name: " Ann Andersson ", Role: role, Password: testPassword})
				require.NoError(t, err)
				require.Equal(t, b.merchant, u.MerchantID)
				require.Equal(t, email, u.Email)
				require.Equal(t, "Ann Andersson", u.Name)
				require.Equal(t, role, u.Role)
				require.Equal(t, auth.StatusActive, u.Status)

				stored := b.member(t, b.merchant, u.ID)
				require.Equal(t, role, stored.Role)
				require.Equal(t, auth.StatusActive, stored.Status)

				p, err := b.svc.AuthenticateSession(b.ctx, b.login(t, u))
				require.NoError(t, err)
				require.Equal(t, role, p.Role)
			})
		}
	})

	t.Run("AdminCreatesAdminAndSalesButNoOwner", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		admin := b.createUser(t, as(b.owner), auth.RoleAdmin)
		for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleSales} {
			_, err := b.svc.CreateUser(b.ctx, as(admin), auth.NewUser{Email: uniqueEmail(string(role)), Role: role, Password: testPassword})
			require.NoError(t, err, "admin creating %s", role)
		}
		email := uniqueEmail("owner")
		_, err := b.svc.CreateUser(b.ctx, as(admin), auth.NewUser{Email: email, Role: auth.RoleOwner, Password: testPassword})
		require.ErrorIs(t, err, fault.ErrForbidden)
		// Nothing was created: the email is still free.
		_, err = b.svc.CreateUser(b.ctx, as(b.owner), auth.NewUser{Email: email, Role: auth.RoleOwner, Password: testPassword})
		require.NoError(t, err)
	})

	t.Run("SalesCannotCreateAnyone", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		for _, role := range roles {
			_, err := b.svc.CreateUser(b.ctx, as(sales), auth.NewUser{Email: uniqueEmail(string(role)), Role: role, Password: testPassword})
			require.ErrorIs(t, err, fault.ErrForbidden, "sales creating %s", role)
		}
		users, _, err := b.svc.Users(b.ctx, b.merchant, db.Page{Limit: 10})
		require.NoError(t, err)
		require.Len(t, users, 2)
	})

	t.Run("APIKeyCreatesEveryRole", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, secret, err := b.svc.CreateAPIKey(b.ctx, b.merchant, "Integration", nil)
		require.NoError(t, err)
		key, err := b.svc.AuthenticateAPIKey(b.ctx, secret)
		require.NoError(t, err)
		require.Equal(t, auth.CredentialAPIKey, key.Kind)
		for _, role := range roles {
			u, err := b.svc.CreateUser(b.ctx, key, auth.NewUser{Email: uniqueEmail(string(role)), Role: role, Password: testPassword})
			require.NoError(t, err, "API key creating %s", role)
			require.Equal(t, role, b.member(t, b.merchant, u.ID).Role)
		}
	})

	t.Run("EmailIsTakenWhateverItsCase", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, otherKey := b.newMerchant(t, "Other AB")
		for name, email := range map[string]string{
			"Same":           b.owner.Email,
			"Upper":          strings.ToUpper(b.owner.Email),
			"Spaces":         "  " + b.owner.Email + "\t",
			"MixedCaseLocal": strings.ToUpper(b.owner.Email[:1]) + b.owner.Email[1:],
		} {
			t.Run(name, func(t *testing.T) {
				_, err := b.svc.CreateUser(b.ctx, b.system, auth.NewUser{Email: email, Role: auth.RoleSales, Password: testPassword})
				requireCode(t, err, auth.ErrEmailTaken)
				// People are global: another merchant cannot create them
				// either (it invites them instead).
				_, err = b.svc.CreateUser(b.ctx, otherKey, auth.NewUser{Email: email, Role: auth.RoleSales, Password: testPassword})
				requireCode(t, err, auth.ErrEmailTaken)
			})
		}
	})

	t.Run("InvalidEmailIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for name, email := range map[string]string{
			"Empty":              "",
			"NoAt":               "anna.example.se",
			"TwoAts":             "anna@b@example.se",
			"NoLocalPart":        "@example.se",
			"NoDomain":           "anna@",
			"NoDotInDomain":      "anna@localhost",
			"HeaderInjection":    "a@b.se\r\nBcc: x@y.se",
			"LFInjection":        "a@b.se\nBcc: x@y.se",
			"CRInjection":        "a@b.se\rBcc: x@y.se",
			"DisplayName":        "A <a@b.se>",
			"AngleBrackets":      "<a@b.se>",
			"QuotedDisplayName":  `"Anna" <a@b.se>`,
			"SpaceInLocalPart":   "an na@example.se",
			"SpaceInDomain":      "anna@exa mple.se",
			"List":               "a@b.se, c@d.se",
			"Semicolon":          "a@b.se;c@d.se",
			"Comment":            "a@b.se (Anna)",
			"QuotedLocalPart":    `"anna"@example.se`,
			"TooLong":            longEmail(255),
			"DomainStartsDot":    "anna@.example.se",
			"DoubleDotInDomain":  "anna@example..se",
			"DoubleDotLocalPart": "an..na@example.se",
		} {
			t.Run(name, func(t *testing.T) {
				_, err := b.svc.CreateUser(b.ctx, b.system, auth.NewUser{Email: email, Role: auth.RoleSales, Password: testPassword})
				requireCode(t, err, fault.ErrInvalidEmail)
				fe, _ := fault.As(err)
				require.Equal(t, []string{"input", "email"}, fe.Field)
			})
		}
		users, _, err := b.svc.Users(b.ctx, b.merchant, db.Page{Limit: 100})
		require.NoError(t, err)
		require.Len(t, users, 1, "an invalid address was stored")
	})

	t.Run("LongestEmailIsAccepted", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		email := longEmail(254)
		_, err := b.svc.CreateUser(b.ctx, b.system, auth.NewUser{Email: email, Role: auth.RoleSales, Password: testPassword})
		require.NoError(t, err)
	})

	t.Run("WeakPasswordIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for name, pw := range map[string]string{
			"Empty":   "",
			"NineLen": "123456789",
			"TooLong": strings.Repeat("p", 201),
			// Ten bytes, but five characters.
			"FiveRunes": "ååååå",
		} {
			t.Run(name, func(t *testing.T) {
				_, err := b.svc.CreateUser(b.ctx, b.system, auth.NewUser{Email: uniqueEmail("weak"), Role: auth.RoleSales, Password: pw})
				requireCode(t, err, auth.ErrWeakPassword)
			})
		}
		for _, pw := range []string{"1234567890", "åäöåäöåäöå", strings.Repeat("p", 200)} {
			_, err := b.svc.CreateUser(b.ctx, b.system, auth.NewUser{Email: uniqueEmail("ok"), Role: auth.RoleSales, Password: pw})
			require.NoError(t, err, "password %q", pw)
		}
	})

	t.Run("InvalidRoleIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for _, role := range []auth.Role{"", "owner", "ROOT", "OWNER "} {
			_, err := b.svc.CreateUser(b.ctx, b.system, auth.NewUser{Email: uniqueEmail("role"), Role: role, Password: testPassword})
			requireCode(t, err, auth.ErrInvalidRole)
		}
	})

	t.Run("InvalidNameIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for _, name := range []string{"Ann\r\nBcc: x@y.se", "Ann\nAndersson", strings.Repeat("n", 201)} {
			_, err := b.svc.CreateUser(b.ctx, b.system, auth.NewUser{Email: uniqueEmail("name"), Name: name, Role: auth.RoleSales, Password: testPassword})
			requireCode(t, err, fault.ErrInvalidName)
		}
	})
}

func TestUpdateUserRole(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)

	t.Run("SoleOwnerCannotBeDemoted", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		for _, actor := range []*auth.Principal{as(b.owner), b.system} {
			for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleSales} {
				_, err := b.svc.UpdateUserRole(b.ctx, actor, b.owner.ID, role)
				requireCode(t, err, auth.ErrLastOwner)
			}
		}
		require.Equal(t, auth.RoleOwner, b.member(t, b.merchant, b.owner.ID).Role)
	})

	t.Run("OwnerCanBeDemotedWhileAnotherRemains", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		second := b.createUser(t, as(b.owner), auth.RoleOwner)
		u, err := b.svc.UpdateUserRole(b.ctx, as(second), b.owner.ID, auth.RoleAdmin)
		require.NoError(t, err)
		require.Equal(t, auth.RoleAdmin, u.Role)
		require.Equal(t, auth.RoleAdmin, b.member(t, b.merchant, b.owner.ID).Role)
		// Now second is the last one.
		_, err = b.svc.UpdateUserRole(b.ctx, as(second), second.ID, auth.RoleSales)
		requireCode(t, err, auth.ErrLastOwner)
	})

	t.Run("DeactivatedOwnerDoesNotCount", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		second := b.createUser(t, as(b.owner), auth.RoleOwner)
		_, err := b.svc.DeactivateUser(b.ctx, as(b.owner), second.ID)
		require.NoError(t, err)
		_, err = b.svc.UpdateUserRole(b.ctx, b.system, b.owner.ID, auth.RoleAdmin)
		requireCode(t, err, auth.ErrLastOwner)
	})

	t.Run("OwnersDemotingEachOtherAtOnceKeepOne", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		second := b.createUser(t, as(b.owner), auth.RoleOwner)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		wg.Go(func() { _, errs[0] = b.svc.UpdateUserRole(b.ctx, as(second), b.owner.ID, auth.RoleAdmin) })
		wg.Go(func() { _, errs[1] = b.svc.UpdateUserRole(b.ctx, as(b.owner), second.ID, auth.RoleAdmin) })
		wg.Wait()
		// One wins; the other is told why, not given an internal error.
		if errs[0] != nil {
			errs[0], errs[1] = errs[1], errs[0]
		}
		require.NoError(t, errs[0])
		requireCode(t, errs[1], auth.ErrLastOwner)
		owners := 0
		for _, id := range []uuid.UUID{b.owner.ID, second.ID} {
			if b.member(t, b.merchant, id).Role == auth.RoleOwner {
				owners++
			}
		}
		require.Equal(t, 1, owners)
	})

	t.Run("OnlyOwnersManageOwners", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		admin := b.createUser(t, as(b.owner), auth.RoleAdmin)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		second := b.createUser(t, as(b.owner), auth.RoleOwner)

		for name, tc := range map[string]struct {
			actor  auth.User
			target uuid.UUID
			role   auth.Role
		}{
			"AdminDemotesOwner":    {admin, second.ID, auth.RoleAdmin},
			"AdminPromotesSales":   {admin, sales.ID, auth.RoleOwner},
			"AdminPromotesSelf":    {admin, admin.ID, auth.RoleOwner},
			"SalesPromotesSelf":    {sales, sales.ID, auth.RoleAdmin},
			"SalesDemotesAdmin":    {sales, admin.ID, auth.RoleSales},
			"SalesDemotesOwner":    {sales, second.ID, auth.RoleSales},
			"SalesKeepsSalesSales": {sales, sales.ID, auth.RoleSales},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := b.svc.UpdateUserRole(b.ctx, as(tc.actor), tc.target, tc.role)
				require.ErrorIs(t, err, fault.ErrForbidden)
			})
		}
		require.Equal(t, auth.RoleOwner, b.member(t, b.merchant, second.ID).Role)
		require.Equal(t, auth.RoleAdmin, b.member(t, b.merchant, admin.ID).Role)
		require.Equal(t, auth.RoleSales, b.member(t, b.merchant, sales.ID).Role)
	})

	t.Run("AdminManagesAdminsAndSales", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		admin := b.createUser(t, as(b.owner), auth.RoleAdmin)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		_, err := b.svc.UpdateUserRole(b.ctx, as(admin), sales.ID, auth.RoleAdmin)
		require.NoError(t, err)
		require.Equal(t, auth.RoleAdmin, b.member(t, b.merchant, sales.ID).Role)
		_, err = b.svc.UpdateUserRole(b.ctx, as(admin), sales.ID, auth.RoleSales)
		require.NoError(t, err)
		require.Equal(t, auth.RoleSales, b.member(t, b.merchant, sales.ID).Role)
	})

	t.Run("InvalidRoleIsRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		_, err := b.svc.UpdateUserRole(b.ctx, as(b.owner), sales.ID, "SUPERUSER")
		requireCode(t, err, auth.ErrInvalidRole)
	})

	t.Run("OtherMerchantsUserIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, otherKey := b.newMerchant(t, "Other AB")
		theirs := b.createUser(t, otherKey, auth.RoleSales)
		_, err := b.svc.UpdateUserRole(b.ctx, as(b.owner), theirs.ID, auth.RoleAdmin)
		require.ErrorIs(t, err, fault.ErrNotFound)
		_, err = b.svc.UpdateUserRole(b.ctx, as(b.owner), uuid.Must(uuid.NewV7()), auth.RoleAdmin)
		require.ErrorIs(t, err, fault.ErrNotFound)
		require.Equal(t, auth.RoleSales, b.member(t, theirs.MerchantID, theirs.ID).Role)
	})
}

func TestDeactivateUser(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)

	t.Run("SoleOwnerCannotBeDeactivated", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, err := b.svc.DeactivateUser(b.ctx, b.system, b.owner.ID)
		requireCode(t, err, auth.ErrLastOwner)
		require.Equal(t, auth.StatusActive, b.member(t, b.merchant, b.owner.ID).Status)
	})

	t.Run("OwnerCanBeDeactivatedWhileAnotherRemains", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		second := b.createUser(t, as(b.owner), auth.RoleOwner)
		u, err := b.svc.DeactivateUser(b.ctx, as(b.owner), second.ID)
		require.NoError(t, err)
		require.Equal(t, auth.StatusDeactivated, u.Status)
		require.Equal(t, auth.StatusDeactivated, b.member(t, b.merchant, second.ID).Status)
	})

	t.Run("CannotDeactivateSelf", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		b.createUser(t, as(b.owner), auth.RoleOwner) // so LAST_OWNER is no reason
		admin := b.createUser(t, as(b.owner), auth.RoleAdmin)
		for _, u := range []auth.User{b.owner, admin} {
			_, err := b.svc.DeactivateUser(b.ctx, as(u), u.ID)
			requireCode(t, err, auth.ErrCannotDeactivateSelf)
			require.Equal(t, auth.StatusActive, b.member(t, b.merchant, u.ID).Status)
		}
	})

	t.Run("AdminCannotDeactivateOwner", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		b.createUser(t, as(b.owner), auth.RoleOwner)
		admin := b.createUser(t, as(b.owner), auth.RoleAdmin)
		_, err := b.svc.DeactivateUser(b.ctx, as(admin), b.owner.ID)
		require.ErrorIs(t, err, fault.ErrForbidden)
		require.Equal(t, auth.StatusActive, b.member(t, b.merchant, b.owner.ID).Status)
	})

	t.Run("SalesCannotDeactivateAnyone", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		other := b.createUser(t, as(b.owner), auth.RoleSales)
		_, err := b.svc.DeactivateUser(b.ctx, as(sales), other.ID)
		require.ErrorIs(t, err, fault.ErrForbidden)
	})

	t.Run("AdminDeactivatesSales", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		admin := b.createUser(t, as(b.owner), auth.RoleAdmin)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		_, err := b.svc.DeactivateUser(b.ctx, as(admin), sales.ID)
		require.NoError(t, err)
		require.Equal(t, auth.StatusDeactivated, b.member(t, b.merchant, sales.ID).Status)
	})

	t.Run("DeactivationEndsSessionsAndLogins", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		sales := b.createUser(t, as(b.owner), auth.RoleSales)
		tokens := []string{b.login(t, sales), b.login(t, sales)}
		ownerToken := b.login(t, b.owner)

		_, err := b.svc.DeactivateUser(b.ctx, as(b.owner), sales.ID)
		require.NoError(t, err)
		for _, token := range tokens {
			_, err := b.svc.AuthenticateSession(b.ctx, token)
			require.ErrorIs(t, err, fault.ErrUnauthorized)
		}
		require.Zero(t, b.countSessions(t, sales.ID), "the sessions were not deleted")
		_, err = b.svc.AuthenticateSession(b.ctx, ownerToken)
		require.NoError(t, err, "someone else's session ended")

		_, _, err = b.svc.Login(b.ctx, sales.Email, testPassword, "", "")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	})

	t.Run("DeactivationEndsOnlyThatMerchantsSessions", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		// The owner also works for another merchant.
		other, otherKey := b.newMerchant(t, "Other AB")
		inv, err := b.svc.InviteUser(b.ctx, otherKey, auth.NewUser{Email: b.owner.Email, Role: auth.RoleSales})
		require.NoError(t, err)
		_, otherToken, err := b.svc.AcceptInvitation(b.ctx, inv.Token, "", testPassword, "", "")
		require.NoError(t, err)
		// ... where they are deactivated; their first merchant keeps them.
		_, err = b.svc.DeactivateUser(b.ctx, otherKey, b.owner.ID)
		require.NoError(t, err)
		_, err = b.svc.AuthenticateSession(b.ctx, otherToken)
		require.ErrorIs(t, err, fault.ErrUnauthorized)
		require.Equal(t, auth.StatusDeactivated, b.member(t, other, b.owner.ID).Status)

		p, err := b.svc.AuthenticateSession(b.ctx, b.login(t, b.owner))
		require.NoError(t, err)
		require.Equal(t, b.merchant, p.MerchantID)
		require.Equal(t, auth.StatusActive, b.member(t, b.merchant, b.owner.ID).Status)
	})

	t.Run("OtherMerchantsUserIsNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		_, otherKey := b.newMerchant(t, "Other AB")
		theirs := b.createUser(t, otherKey, auth.RoleSales)
		token := b.login(t, theirs)
		_, err := b.svc.DeactivateUser(b.ctx, as(b.owner), theirs.ID)
		require.ErrorIs(t, err, fault.ErrNotFound)
		_, err = b.svc.DeactivateUser(b.ctx, b.system, uuid.Must(uuid.NewV7()))
		require.ErrorIs(t, err, fault.ErrNotFound)
		require.Equal(t, auth.StatusActive, b.member(t, theirs.MerchantID, theirs.ID).Status)
		_, err = b.svc.AuthenticateSession(b.ctx, token)
		require.NoError(t, err)
	})
}

// longEmail returns a well-formed address of n (at least 252) bytes.
func longEmail(n int) string {
	label := strings.Repeat("d", 60)
	e := strings.Repeat("a", 64) + "@" + label + "." + label + "." + label + "."
	e += strings.Repeat("g", n-len(e)-len(".se")) + ".se"
	if len(e) != n {
		panic("longEmail: wrong length")
	}
	return e
}
