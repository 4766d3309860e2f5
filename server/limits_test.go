package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/server"
)

// introspectionQuery is what GraphiQL (graphql-js getIntrospectionQuery)
// sends to learn the schema.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}`

func TestLimits(t *testing.T) {
	t.Parallel()

	t.Run("DepthLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *server.Config) { c.MaxDepth = 3 })
		ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id } } }`, nil, nil))
		for name, q := range map[string]string{
			"Fields":         `{ viewer { apiKey { createdBy { id } } } }`,
			"Fragment":       `{ ...V } fragment V on Query { viewer { apiKey { createdBy { id } } } }`,
			"InlineFragment": `{ node(id: "x") { ... on ApiKey { createdBy { email } } } viewer { ... on Viewer { apiKey { createdBy { id } } } } }`,
		} {
			t.Run(name, func(t *testing.T) {
				r := b.gql(t, b.a.Secret, q, nil, nil)
				require.Equal(t, "DEPTH_LIMIT_EXCEEDED", r.code(), "%s", r)
				require.Contains(t, r.message(), "limit of 3")
				require.Nil(t, r.data("viewer"))
			})
		}
	})

	t.Run("ComplexityLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *server.Config) { c.Complexity = 50 })
		ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id name } } }`, nil, nil))
		ok(t, b.gql(t, b.a.Secret, `{ users(first: 5) { edges { node { id } } } }`, nil, nil))
		// A page of 100 costs 100 times its items, not one.
		for _, q := range []string{
			`{ users(first: 100) { edges { node { id email } } } }`,
			`{ apiKeys(first: 100) { edges { node { id name } } } }`,
			`{ users { edges { node { id email name role } } } }`,
		} {
			r := b.gql(t, b.a.Secret, q, nil, nil)
			require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(), "%s: %s", q, r)
			require.Contains(t, r.message(), "complexity")
			require.Nil(t, r.data("users"))
		}
		r := b.gql(t, b.a.Secret, `query($n: Int) { users(first: $n) { edges { node { id email } } } }`, map[string]any{"n": 100}, nil)
		require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(), "%s", r)
	})

	t.Run("FragmentFanOutIsRefusedQuickly", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// 700 bytes that expand to 6^9 copies of the leaf.
		var sb strings.Builder
		sb.WriteString("query { ...F0 }\n")
		for i := range 10 {
			fmt.Fprintf(&sb, "fragment F%d on Query { ", i)
			for range 6 {
				if i == 9 {
					sb.WriteString("viewer { merchant { id } } ")
				} else {
					fmt.Fprintf(&sb, "...F%d ", i+1)
				}
			}
			sb.WriteString("}\n")
		}
		start := time.Now()
		r := b.gql(t, b.a.Secret, sb.String(), nil, nil)
		require.Less(t, time.Since(start), 5*time.Second)
		require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(), "%s", r)
	})

	t.Run("IntrospectionInDevelopment", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := ok(t, b.gql(t, b.a.Secret, introspectionQuery, nil, nil))
		require.Equal(t, "Query", r.data("__schema", "queryType", "name"))
		require.Contains(t, string(r.raw), `"name":"createApiKey"`)
		r = ok(t, b.gql(t, b.a.Secret, `{ __type(name: "ApiKey") { fields { name } } }`, nil, nil))
		require.Contains(t, string(r.raw), `"lastUsedAt"`)
		// __typename is always allowed.
		r = ok(t, b.gql(t, b.a.Secret, `{ __typename viewer { __typename } }`, nil, nil))
		require.Equal(t, "Query", r.data("__typename"))
	})

	t.Run("NoIntrospectionInProduction", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *server.Config) { c.Env = "production" })
		for _, q := range []string{introspectionQuery, `{ __type(name: "ApiKey") { name } }`} {
			r := b.gql(t, b.a.Secret, q, nil, nil)
			require.NotNil(t, r.body["errors"], "%s", r)
			require.Nil(t, r.data("__schema"))
			require.Nil(t, r.data("__type"))
			require.NotContains(t, string(r.raw), "createApiKey")
			require.Equal(t, "INTROSPECTION_DISABLED", r.code(), "%s", r)
		}
		require.NotContains(t, b.logs.String(), "graphql internal error")
		// Ordinary queries and __typename still work.
		ok(t, b.gql(t, b.a.Secret, `{ __typename viewer { merchant { name } } }`, nil, nil))
	})

	t.Run("InternalErrorIsHidden", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id } } }`, nil, nil))
		require.NoError(t, b.db.App.Close())

		r := b.gql(t, b.a.Secret, `{ viewer { merchant { id } } }`, nil, map[string]string{"X-Request-Id": "internal-error-1"})
		require.Equal(t, "INTERNAL", r.code(), "%s", r)
		require.Equal(t, "internal error", r.message())
		for _, leak := range []string{"sql", "database", "closed", "goroutine", ".go:"} {
			require.NotContains(t, strings.ToLower(string(r.raw)), leak)
		}

		var logged map[string]any
		for _, l := range b.logs.lines(t) {
			if l["msg"] == "graphql internal error" {
				logged = l
			}
		}
		require.NotNil(t, logged, "the internal error is not logged")
		require.Equal(t, "internal-error-1", logged["request_id"])
		require.Equal(t, b.a.Merchant.ID.String(), logged["merchant_id"])
		require.Contains(t, logged["error"], "database is closed")
		require.Equal(t, "viewer", logged["path"])

		// Readiness follows the database.
		res, err := b.client.Get(b.ts.URL + "/readyz")
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	})
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	// A slow refill keeps the test independent of how fast requests run.
	b := setup(t, func(c *server.Config) { c.RateLimit = 0.2; c.RateBurst = 3 })
	_, second := b.createKey(t, b.a.Secret, "second")
	_, third := b.createKey(t, b.a.Secret, "third")
	const q = `{ viewer { merchant { id } } }`

	t.Run("BurstThen429", func(t *testing.T) {
		for range 3 {
			ok(t, b.gql(t, second, q, nil, nil))
		}
		r := b.gql(t, second, q, nil, nil)
		require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r)
		require.Equal(t, "RATE_LIMITED", r.code())
		retry, err := strconv.Atoi(r.header.Get("Retry-After"))
		require.NoError(t, err)
		require.GreaterOrEqual(t, retry, 1)
	})

	t.Run("OtherCredentialsHaveTheirOwnBucket", func(t *testing.T) {
		ok(t, b.gql(t, third, q, nil, nil))
		ok(t, b.gql(t, b.b.Secret, q, nil, nil))
		require.Equal(t, http.StatusTooManyRequests, b.gql(t, second, q, nil, nil).status)
	})

	t.Run("AliasedMutationsCountOneByOne", func(t *testing.T) {
		fields := make([]string, 4)
		for i := range fields {
			fields[i] = fmt.Sprintf(`m%d: createApiKey(input: {name: "aliased"}) { secret }`, i)
		}
		r := b.gql(t, b.b.Secret, "mutation { "+strings.Join(fields, " ")+" }", nil, nil)
		require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r)
		require.Equal(t, "RATE_LIMITED", r.code())
		// Hidden in a fragment they count the same.
		r = b.gql(t, b.a.Secret, `mutation { ...M } fragment M on Mutation { `+strings.Join(fields, " ")+` }`, nil, nil)
		require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r)
		// And in nested inline fragments.
		r = b.gql(t, third, "mutation { "+strings.Repeat("... on Mutation { ", 12)+strings.Join(fields, " ")+strings.Repeat(" }", 12)+" }", nil, nil)
		require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r)
		require.Zero(t, count(b.keyNames(t, b.b.Secret), "aliased"))
		require.Zero(t, count(b.keyNames(t, third), "aliased"))
	})
}
