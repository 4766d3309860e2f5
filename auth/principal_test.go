package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/fault"
	"kassa/gid"
)

func TestPrincipal(t *testing.T) {
	t.Parallel()

	apiKey := &auth.Principal{MerchantID: gid.Of[gid.MerchantID](uuid.New()), Kind: auth.CredentialAPIKey, CredentialID: uuid.New()}
	session := func(role auth.Role) *auth.Principal {
		id := uuid.New()
		return &auth.Principal{MerchantID: gid.Of[gid.MerchantID](uuid.New()), Kind: auth.CredentialSession, CredentialID: id, UserID: id, Role: role}
	}
	owner, admin, sales, none := session(auth.RoleOwner), session(auth.RoleAdmin), session(auth.RoleSales), session("")

	for _, tc := range []struct {
		name  string
		p     *auth.Principal
		roles []auth.Role
		want  bool
	}{
		{"APIKeyPassesAnyCheck", apiKey, []auth.Role{auth.RoleOwner}, true},
		{"APIKeyPassesEmptyCheck", apiKey, nil, true},
		{"OwnerIsOwner", owner, []auth.Role{auth.RoleOwner}, true},
		{"OwnerIsNotAdmin", owner, []auth.Role{auth.RoleAdmin}, false},
		{"OwnerAmongOwnerOrAdmin", owner, []auth.Role{auth.RoleOwner, auth.RoleAdmin}, true},
		{"AdminAmongOwnerOrAdmin", admin, []auth.Role{auth.RoleOwner, auth.RoleAdmin}, true},
		{"AdminIsNotOwner", admin, []auth.Role{auth.RoleOwner}, false},
		{"SalesIsNotOwnerOrAdmin", sales, []auth.Role{auth.RoleOwner, auth.RoleAdmin}, false},
		{"SalesIsSales", sales, []auth.Role{auth.RoleSales}, true},
		{"SalesAmongAll", sales, []auth.Role{auth.RoleOwner, auth.RoleAdmin, auth.RoleSales}, true},
		{"SessionFailsEmptyCheck", owner, nil, false},
		{"NoRoleFailsEveryCheck", none, []auth.Role{auth.RoleOwner, auth.RoleAdmin, auth.RoleSales}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.p.HasRole(tc.roles...))
			err := tc.p.Require(tc.roles...)
			if tc.want {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, fault.ErrForbidden)
			}
		})
	}

	t.Run("RoleValid", func(t *testing.T) {
		t.Parallel()
		for _, r := range []auth.Role{auth.RoleOwner, auth.RoleAdmin, auth.RoleSales} {
			require.True(t, r.Valid(), r)
		}
		for _, r := range []auth.Role{"", "owner", "Admin", "ROOT", " SALES"} {
			require.False(t, r.Valid(), r)
		}
	})

	t.Run("TravelsInContext", func(t *testing.T) {
		t.Parallel()
		require.Nil(t, auth.FromContext(context.Background()))
		ctx := auth.WithPrincipal(context.Background(), owner)
		require.Same(t, owner, auth.FromContext(ctx))
	})
}

// FuzzValidateEmail checks that an accepted address is one plain address on
// one line, whatever the input: addresses go into email headers.
func FuzzValidateEmail(f *testing.F) {
	for _, seed := range []string{
		"anna@example.se", "a@b.se\r\nBcc: x@y.se", "A <a@b.se>", `"a b"@c.se`, "a@b", "a@b.se (c)",
		"=?utf-8?q?a?=@b.se", "åsa@exempel.se", "a@[127.0.0.1]", "a@b.se, c@d.se",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, email string) {
		err := auth.ValidateEmail(email)
		if err != nil {
			_, ok := fault.As(err)
			require.True(t, ok)
			require.ErrorIs(t, err, fault.ErrInvalidEmail)
			return
		}
		require.LessOrEqual(t, len(email), 254)
		require.NotContains(t, email, "\r")
		require.NotContains(t, email, "\n")
		require.NotContains(t, email, "<")
		require.NotContains(t, email, ",")
		at := strings.LastIndexByte(email, '@')
		require.Positive(t, at, "no local part in %q", email)
		require.Contains(t, email[at+1:], ".")
	})
}
