package server_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/server"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("ViewerWithAPIKey", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id name } apiKey { id name prefix last4 } user { id } } }`, nil, nil))
		require.Equal(t, "Shop A AB", r.data("viewer", "merchant", "name"))
		require.Regexp(t, `^mer_[0-9a-f]{32}$`, r.data("viewer", "merchant", "id"))
		require.Equal(t, "Default key", r.data("viewer", "apiKey", "name"))
		require.Equal(t, "kassa_test_", r.data("viewer", "apiKey", "prefix"))
		require.Equal(t, b.a.Secret[len(b.a.Secret)-4:], r.data("viewer", "apiKey", "last4"))
		require.Nil(t, r.data("viewer", "user"))
	})

	t.Run("LastUsedIsRecorded", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, `{ viewer { apiKey { lastUsedAt } } }`, nil, nil))
		require.NotNil(t, r.data("viewer", "apiKey", "lastUsedAt"))
	})

	unauthenticated := func(t *testing.T, r response) {
		t.Helper()
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r)
		require.Contains(t, r.header.Get("Content-Type"), "application/json")
		require.Equal(t, "UNAUTHENTICATED", r.code(), "%s", r)
		require.NotEmpty(t, r.message())
		require.Nil(t, r.body["data"])
	}

	t.Run("NoCredentialIs401", func(t *testing.T) {
		unauthenticated(t, b.gql(t, "", `{ viewer { merchant { id } } }`, nil, nil))
	})

	t.Run("WrongKeyIs401", func(t *testing.T) {
		unauthenticated(t, b.gql(t, "kassa_test_"+strings.Repeat("x", 43), `{ viewer { merchant { id } } }`, nil, nil))
		unauthenticated(t, b.gql(t, "not-a-kassa-key", `{ viewer { merchant { id } } }`, nil, nil))
	})

	t.Run("MalformedAuthorizationIs401", func(t *testing.T) {
		for _, h := range []string{"Basic " + b.a.Secret, b.a.Secret, "Bearer", "Bearer    ", "bearer\t" + b.a.Secret + "x"} {
			r := b.gql(t, "", `{ viewer { merchant { id } } }`, nil, map[string]string{"Authorization": h})
			unauthenticated(t, r)
		}
	})

	t.Run("RevokedKeyIs401", func(t *testing.T) {
		id, secret := b.createKey(t, b.a.Secret, "to revoke")
		ok(t, b.gql(t, secret, `{ viewer { merchant { id } } }`, nil, nil))
		r := ok(t, b.gql(t, b.a.Secret, `mutation($id: ID!) { revokeApiKey(input: {apiKeyId: $id}) { apiKey { id revokedAt } userErrors { code } } }`,
			map[string]any{"id": id}, nil))
		require.Empty(t, r.data("revokeApiKey", "userErrors"))
		require.NotNil(t, r.data("revokeApiKey", "apiKey", "revokedAt"))
		unauthenticated(t, b.gql(t, secret, `{ viewer { merchant { id } } }`, nil, nil))
		// The key that revoked it still works.
		ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id } } }`, nil, nil))
	})
}

func TestGraphQLRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *server.Config) { c.MaxBody = 4 << 10 })

	t.Run("SyntaxErrorIs4xxWithMessage", func(t *testing.T) {
		r := b.gql(t, b.a.Secret, `{ viewer { merchant { id }`, nil, nil)
		require.GreaterOrEqual(t, r.status, 400, "%s", r)
		require.Less(t, r.status, 500, "%s", r)
		require.Contains(t, r.message(), "Expected")
		require.NotEmpty(t, r.code())
	})

	t.Run("UnknownFieldIs4xxWithMessage", func(t *testing.T) {
		r := b.gql(t, b.a.Secret, `{ viewer { merchant { id password } } }`, nil, nil)
		require.GreaterOrEqual(t, r.status, 400, "%s", r)
		require.Less(t, r.status, 500, "%s", r)
		require.Contains(t, r.message(), `Cannot query field "password"`)
	})

	t.Run("InvalidJSONIs400", func(t *testing.T) {
		r := b.gqlRaw(t, b.a.Secret, []byte(`{"query": "{ viewer { merchant { id } } }"`), nil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r)
		require.NotEmpty(t, r.message())
	})

	t.Run("OversizeBodyIs413", func(t *testing.T) {
		big := jsonBody(t, `query($pad: String) { viewer { merchant { id } } }`, map[string]any{"pad": strings.Repeat("x", 8<<10)})
		r := b.gqlRaw(t, b.a.Secret, big, nil)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "%s", r)
		require.Equal(t, "REQUEST_TOO_LARGE", r.code())
	})

	t.Run("OversizeChunkedBodyIs413", func(t *testing.T) {
		big := jsonBody(t, `query($pad: String) { viewer { merchant { id } } }`, map[string]any{"pad": strings.Repeat("x", 8<<10)})
		// A reader of unknown length makes the client send it chunked,
		// without a Content-Length to refuse it by.
		req := b.request(t, http.MethodPost, "/graphql", io.MultiReader(bytes.NewReader(big)),
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + b.a.Secret})
		req.ContentLength = -1
		r := b.do(t, req)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "%s", r)
		require.Equal(t, "REQUEST_TOO_LARGE", r.code())
	})

	t.Run("GETQueryWorks", func(t *testing.T) {
		r := ok(t, b.gqlGet(t, b.a.Secret, `{ viewer { merchant { name } } }`, nil))
		require.Equal(t, "Shop A AB", r.data("viewer", "merchant", "name"))
	})

	t.Run("GETMutationIsRefusedAndNotExecuted", func(t *testing.T) {
		r := b.gqlGet(t, b.a.Secret, `mutation { createApiKey(input: {name: "via GET"}) { secret } }`, nil)
		require.GreaterOrEqual(t, r.status, 400, "%s", r)
		require.Less(t, r.status, 500, "%s", r)
		require.Nil(t, r.data("createApiKey"))
		require.Zero(t, count(b.keyNames(t, b.a.Secret), "via GET"))
	})
}

func TestAccessManagement(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("CreateAPIKeyShowsTheSecretOnce", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, createKeyMutation, map[string]any{"name": "integration"}, nil))
		secret := r.data("createApiKey", "secret").(string)
		require.Regexp(t, `^kassa_test_[0-9A-Za-z]{43}$`, secret)
		require.Equal(t, "kassa_test_", r.data("createApiKey", "apiKey", "prefix"))
		require.Equal(t, secret[len(secret)-4:], r.data("createApiKey", "apiKey", "last4"))
		require.Equal(t, "test", r.data("createApiKey", "apiKey", "mode"))
		require.Equal(t, []any{}, r.data("createApiKey", "userErrors"))

		// The new key works, and no listing shows its secret.
		ok(t, b.gql(t, secret, `{ viewer { merchant { id } } }`, nil, nil))
		list := ok(t, b.gql(t, b.a.Secret, `{ apiKeys { edges { node { id name prefix last4 createdAt lastUsedAt } } } }`, nil, nil))
		require.NotContains(t, string(list.raw), secret)
		require.NotContains(t, string(list.raw), secret[len("kassa_test_"):len(secret)-4])
		bad := b.gql(t, b.a.Secret, `{ apiKeys { edges { node { secret } } } }`, nil, nil)
		require.Contains(t, bad.message(), `Cannot query field "secret"`)
	})

	t.Run("CreateAPIKeyWithBadNameIsAUserError", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, createKeyMutation, map[string]any{"name": "  "}, nil))
		require.Equal(t, "INVALID_NAME", r.data("createApiKey", "userErrors", 0, "code"))
		require.Equal(t, []any{"input", "name"}, r.data("createApiKey", "userErrors", 0, "field"))
		require.Nil(t, r.data("createApiKey", "secret"))
	})

	t.Run("RevokeAPIKeyOfUnknownIDIsNotFound", func(t *testing.T) {
		for _, id := range []string{"key_0190e0e0e0e07000800000000000abcd", "garbage", b.a.Owner.ID.String()} {
			r := ok(t, b.gql(t, b.a.Secret, `mutation($id: ID!) { revokeApiKey(input: {apiKeyId: $id}) { apiKey { id } userErrors { code field } } }`,
				map[string]any{"id": id}, nil))
			require.Equal(t, "NOT_FOUND", r.data("revokeApiKey", "userErrors", 0, "code"), "%s", r)
		}
	})

	t.Run("APIKeysPaginate", func(t *testing.T) {
		b := setup(t)
		for _, n := range []string{"k1", "k2", "k3", "k4"} {
			b.createKey(t, b.a.Secret, n)
		}
		const q = `query($first: Int, $after: String) { apiKeys(first: $first, after: $after) {
			edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`
		var names []string
		var after any
		for page := 0; ; page++ {
			require.Less(t, page, 5)
			r := ok(t, b.gql(t, b.a.Secret, q, map[string]any{"first": 2, "after": after}, nil))
			edges := r.data("apiKeys", "edges").([]any)
			require.LessOrEqual(t, len(edges), 2)
			for _, e := range edges {
				names = append(names, dig(e, "node", "name").(string))
			}
			if len(edges) > 0 {
				require.Equal(t, dig(edges[len(edges)-1], "cursor"), r.data("apiKeys", "pageInfo", "endCursor"))
			}
			if r.data("apiKeys", "pageInfo", "hasNextPage") == false {
				break
			}
			after = r.data("apiKeys", "pageInfo", "endCursor")
		}
		// Newest first, each exactly once.
		require.Equal(t, []string{"k4", "k3", "k2", "k1", "Default key"}, names)
	})

	t.Run("PageSizeOutOfRangeIsAnError", func(t *testing.T) {
		for _, first := range []int{0, -1, 101} {
			for _, conn := range []string{"apiKeys", "users"} {
				r := b.gql(t, b.a.Secret, `query($first: Int) { `+conn+`(first: $first) { edges { cursor } } }`, map[string]any{"first": first}, nil)
				require.Equal(t, "INVALID_PAGE_SIZE", r.code(), "%s first=%d: %s", conn, first, r)
				require.Nil(t, r.body["data"])
			}
		}
		r := b.gql(t, b.a.Secret, `{ apiKeys(after: "%%%") { edges { cursor } } }`, nil, nil)
		require.Equal(t, "INVALID_CURSOR", r.code(), "%s", r)
	})

	const createUser = `mutation($in: CreateUserInput!) { createUser(input: $in) {
		user { id email name role status } userErrors { field message code } } }`

	t.Run("CreateUser", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, createUser, map[string]any{"in": map[string]any{
			"email": "admin@a.example.com", "name": "Ada Admin", "role": "ADMIN", "password": "correct horse battery"}}, nil))
		require.Empty(t, r.data("createUser", "userErrors"))
		require.Equal(t, "ADMIN", r.data("createUser", "user", "role"))
		require.Equal(t, "ACTIVE", r.data("createUser", "user", "status"))
		require.Regexp(t, `^usr_[0-9a-f]{32}$`, r.data("createUser", "user", "id"))
		require.NotContains(t, b.logs.String(), "correct horse battery")
	})

	t.Run("CreateUserUserErrors", func(t *testing.T) {
		for _, tc := range []struct {
			name, email, password, code string
		}{
			{"InvalidEmail", "not an email", "long enough pw", "INVALID_EMAIL"},
			{"EmailWithDisplayName", "Eve <eve@a.example.com>", "long enough pw", "INVALID_EMAIL"},
			{"EmailTaken", "owner@a.example.com", "long enough pw", "EMAIL_TAKEN"},
			{"EmailTakenCaseInsensitively", "OWNER@A.example.com", "long enough pw", "EMAIL_TAKEN"},
			{"WeakPassword", "weak@a.example.com", "short", "WEAK_PASSWORD"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := ok(t, b.gql(t, b.a.Secret, createUser, map[string]any{"in": map[string]any{
					"email": tc.email, "role": "SALES", "password": tc.password}}, nil))
				require.Equal(t, tc.code, r.data("createUser", "userErrors", 0, "code"), "%s", r)
				require.Nil(t, r.data("createUser", "user"))
			})
		}
	})

	t.Run("InviteUser", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, `mutation { inviteUser(input: {email: "invitee@a.example.com", role: SALES}) {
			user { email status role } inviteUrl userErrors { code } } }`, nil, nil))
		require.Equal(t, "INVITED", r.data("inviteUser", "user", "status"))
		require.Regexp(t, `^http://kassa\.test/invite/[A-Z2-7]{26}$`, r.data("inviteUser", "inviteUrl"))
		again := ok(t, b.gql(t, b.a.Secret, `mutation { inviteUser(input: {email: "invitee@a.example.com", role: SALES}) {
			inviteUrl userErrors { code } } }`, nil, nil))
		require.Equal(t, "ALREADY_MEMBER", again.data("inviteUser", "userErrors", 0, "code"))
		bad := ok(t, b.gql(t, b.a.Secret, `mutation { inviteUser(input: {email: "nope", role: SALES}) { userErrors { code } } }`, nil, nil))
		require.Equal(t, "INVALID_EMAIL", bad.data("inviteUser", "userErrors", 0, "code"))
	})

	t.Run("UpdateRoleAndDeactivate", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, createUser, map[string]any{"in": map[string]any{
			"email": "sam@a.example.com", "role": "SALES", "password": "long enough pw"}}, nil))
		id := r.data("createUser", "user", "id").(string)

		r = ok(t, b.gql(t, b.a.Secret, `mutation($id: ID!) { updateUserRole(input: {userId: $id, role: ADMIN}) { user { role } userErrors { code } } }`,
			map[string]any{"id": id}, nil))
		require.Equal(t, "ADMIN", r.data("updateUserRole", "user", "role"), "%s", r)

		r = ok(t, b.gql(t, b.a.Secret, `mutation($id: ID!) { deactivateUser(input: {userId: $id}) { user { status } userErrors { code } } }`,
			map[string]any{"id": id}, nil))
		require.Equal(t, "DEACTIVATED", r.data("deactivateUser", "user", "status"), "%s", r)
	})

	t.Run("LastOwnerIsKept", func(t *testing.T) {
		owner := "usr_" + strings.ReplaceAll(b.a.Owner.ID.String(), "-", "")
		r := ok(t, b.gql(t, b.a.Secret, `mutation($id: ID!) { updateUserRole(input: {userId: $id, role: ADMIN}) { user { role } userErrors { code field } } }`,
			map[string]any{"id": owner}, nil))
		require.Equal(t, "LAST_OWNER", r.data("updateUserRole", "userErrors", 0, "code"), "%s", r)
		r = ok(t, b.gql(t, b.a.Secret, `mutation($id: ID!) { deactivateUser(input: {userId: $id}) { user { status } userErrors { code } } }`,
			map[string]any{"id": owner}, nil))
		require.Equal(t, "LAST_OWNER", r.data("deactivateUser", "userErrors", 0, "code"), "%s", r)
		v := ok(t, b.gql(t, b.a.Secret, `query($id: ID!) { node(id: $id) { ... on User { role status } } }`, map[string]any{"id": owner}, nil))
		require.Equal(t, "OWNER", v.data("node", "role"))
		require.Equal(t, "ACTIVE", v.data("node", "status"))
	})

	t.Run("UsersConnection", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, `{ users(first: 100) { edges { node { email role status } } pageInfo { hasNextPage } } }`, nil, nil))
		var emails []string
		for _, e := range r.data("users", "edges").([]any) {
			emails = append(emails, dig(e, "node", "email").(string))
		}
		require.Contains(t, emails, "owner@a.example.com")
		require.Contains(t, emails, "admin@a.example.com")
		require.Contains(t, emails, "invitee@a.example.com")
		require.NotContains(t, emails, "owner@b.example.com")
		require.Equal(t, false, r.data("users", "pageInfo", "hasNextPage"))
	})

	t.Run("SalesSessionCannotManageKeys", func(t *testing.T) {
		ok(t, b.gql(t, b.a.Secret, createUser, map[string]any{"in": map[string]any{
			"email": "seller@a.example.com", "role": "SALES", "password": "seller password"}}, nil))
		session := b.login(t, "seller@a.example.com", "seller password")

		v := b.gqlCookie(t, session, "application/json", jsonBody(t, `{ viewer { user { email role } apiKey { id } } }`, nil), nil)
		ok(t, v)
		require.Equal(t, "SALES", v.data("viewer", "user", "role"))
		require.Nil(t, v.data("viewer", "apiKey"))

		r := b.gqlCookie(t, session, "application/json", jsonBody(t, createKeyMutation, map[string]any{"name": "sales key"}), nil)
		require.Equal(t, "FORBIDDEN", r.code(), "%s", r)
		require.Nil(t, r.data("createApiKey"))
		r = b.gqlCookie(t, session, "application/json", jsonBody(t, `{ apiKeys { edges { cursor } } }`, nil), nil)
		require.Equal(t, "FORBIDDEN", r.code(), "%s", r)
		r = b.gqlCookie(t, session, "application/json", jsonBody(t, createUser, map[string]any{"in": map[string]any{
			"email": "sneaky@a.example.com", "role": "OWNER", "password": "long enough pw"}}), nil)
		require.Equal(t, "FORBIDDEN", r.code(), "%s", r)
		require.Zero(t, count(b.keyNames(t, b.a.Secret), "sales key"))
	})
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	aKeyID, _ := b.createKey(t, b.a.Secret, "A's second key")
	r := ok(t, b.gql(t, b.a.Secret, `mutation { createUser(input: {email: "clerk@a.example.com", role: SALES, password: "clerk password"}) { user { id } } }`, nil, nil))
	aUserID := r.data("createUser", "user", "id").(string)
	v := ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id } apiKey { id } } }`, nil, nil))
	aMerchantID := v.data("viewer", "merchant", "id").(string)
	aDefaultKeyID := v.data("viewer", "apiKey", "id").(string)

	t.Run("OwnIDsAreFound", func(t *testing.T) {
		for _, id := range []string{aMerchantID, aUserID, aKeyID, aDefaultKeyID} {
			r := ok(t, b.gql(t, b.a.Secret, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, nil))
			require.Equal(t, id, r.data("node", "id"))
		}
	})

	t.Run("NodeOfAnotherMerchantIsNull", func(t *testing.T) {
		for _, id := range []string{aMerchantID, aUserID, aKeyID, aDefaultKeyID} {
			r := ok(t, b.gql(t, b.b.Secret, `query($id: ID!) { node(id: $id) { id ... on User { email } ... on ApiKey { name } ... on Merchant { name } } }`,
				map[string]any{"id": id}, nil))
			require.Nil(t, r.data("node"), "B sees %s: %s", id, r)
			require.NotContains(t, string(r.raw), "Shop A")
		}
	})

	t.Run("ConnectionsHoldOnlyOwnObjects", func(t *testing.T) {
		r := ok(t, b.gql(t, b.b.Secret, `{ users(first: 100) { edges { node { id email } } } apiKeys(first: 100) { edges { node { id name } } } }`, nil, nil))
		require.NotContains(t, string(r.raw), "a.example.com")
		require.NotContains(t, string(r.raw), aKeyID)
		require.NotContains(t, string(r.raw), aDefaultKeyID)
		require.Len(t, r.data("users", "edges"), 1)
		require.Len(t, r.data("apiKeys", "edges"), 1)
	})

	t.Run("MutationsOnAnotherMerchantsIDsAreNotFound", func(t *testing.T) {
		for _, tc := range []struct{ name, mutation, field, id string }{
			{"RevokeAPIKey", `mutation($id: ID!) { revokeApiKey(input: {apiKeyId: $id}) { apiKey { id } userErrors { code } } }`, "revokeApiKey", aDefaultKeyID},
			{"UpdateUserRole", `mutation($id: ID!) { updateUserRole(input: {userId: $id, role: OWNER}) { user { id } userErrors { code } } }`, "updateUserRole", aUserID},
			{"DeactivateUser", `mutation($id: ID!) { deactivateUser(input: {userId: $id}) { user { id } userErrors { code } } }`, "deactivateUser", aUserID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := ok(t, b.gql(t, b.b.Secret, tc.mutation, map[string]any{"id": tc.id}, nil))
				require.Equal(t, "NOT_FOUND", r.data(tc.field, "userErrors", 0, "code"), "%s", r)
				require.Nil(t, r.data(tc.field, "user"))
				require.Nil(t, r.data(tc.field, "apiKey"))
			})
		}
		// A's objects are unchanged: the key works, the clerk is an active SALES member.
		ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id } } }`, nil, nil))
		r := ok(t, b.gql(t, b.a.Secret, `query($u: ID!, $k: ID!) { u: node(id: $u) { ... on User { role status } } k: node(id: $k) { ... on ApiKey { revokedAt } } }`,
			map[string]any{"u": aUserID, "k": aDefaultKeyID}, nil))
		require.Equal(t, "SALES", r.data("u", "role"))
		require.Equal(t, "ACTIVE", r.data("u", "status"))
		require.Nil(t, r.data("k", "revokedAt"))
		require.Contains(t, r.data(), "k")
	})
}
