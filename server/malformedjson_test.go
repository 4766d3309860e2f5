package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMalformedJSONEchoesNothing: a body that does not decode is refused
// without quoting it; it may carry a card number.
func TestMalformedJSONEchoesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const pan = "4242424242424242"
	bodies := map[string]string{
		"Truncated":         `{"query": "mutation { keyIn(input: {number: \"` + pan + `\"`,
		"QueryNotAString":   `{"query": ` + pan + `}`,
		"VariablesAnArray":  `{"query": "{ viewer { merchant { id } } }", "variables": ["` + pan + `"]}`,
		"VariablesAString":  `{"query": "{ viewer { merchant { id } } }", "variables": "` + pan + `"}`,
		"BadEscape":         `{"query": "\q` + pan + `"}`,
		"NotJSON":           `number=` + pan,
		"ExtensionsAString": `{"query": "{ viewer { merchant { id } } }", "extensions": "` + pan + `"}`,
	}
	for name, body := range bodies {
		r := b.gqlRaw(t, b.a.Secret, []byte(body), nil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r)
		require.NotContains(t, string(r.raw), pan, name)
		require.NotContains(t, string(r.raw), pan[:8], name)
		require.NotEmpty(t, r.message(), name)
		// Without credentials: refused one way or another, quoting nothing.
		r = b.gqlRaw(t, "", []byte(body), nil)
		require.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized}, r.status, "%s: %s", name, r)
		require.NotContains(t, string(r.raw), pan[:8], name)
	}
	r := b.gqlRaw(t, b.a.Secret, []byte(bodies["Truncated"]), nil)
	require.Equal(t, "INVALID_JSON", r.code())
	require.Contains(t, r.message(), "not valid JSON")
	require.Contains(t, r.message(), "offset")
	r = b.gqlRaw(t, b.a.Secret, []byte(bodies["QueryNotAString"]), nil)
	require.Equal(t, "INVALID_JSON", r.code())
	require.Contains(t, r.message(), "query and operationName must be strings")
	// Whatever follows the request object is not read (gqlgen decodes one
	// value), and certainly not shown.
	r = b.gqlRaw(t, b.a.Secret, []byte(`{"query": "{ viewer { merchant { id } } }"} `+pan), nil)
	require.NotContains(t, string(r.raw), pan)

	// GET variables.
	req := b.request(t, http.MethodGet, "/graphql?query="+url.QueryEscape(`{ viewer { merchant { id } } }`)+
		"&variables="+url.QueryEscape(`{"n": "`+pan+`"`), nil, map[string]string{"Authorization": "Bearer " + b.a.Secret})
	r = b.do(t, req)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r)
	require.NotContains(t, string(r.raw), pan)

	// The simulator's API, with its secret.
	for name, body := range map[string]string{
		"Truncated": `{"account": "acct", "amount": 100, "currency": "SEK", "card": {"number": "` + pan + `"`,
		"WrongType": `{"account": "acct", "amount": "` + pan + `"}`,
		"Unknown":   `{"cardnumber": "` + pan + `"}`,
	} {
		req := b.request(t, http.MethodPost, "/simulator/v1/payments", strings.NewReader(body), map[string]string{
			"Content-Type": "application/json", "Authorization": "Bearer " + b.cfg.ProcessorSettings["KASSA_SIMULATOR_SECRET"], "Idempotency-Key": "malformed-" + name})
		r := b.do(t, req)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r)
		require.NotContains(t, string(r.raw), pan, name)
		require.NotContains(t, string(r.raw), pan[:8], name)
	}
	require.NotContains(t, b.logs.String(), pan)
}
