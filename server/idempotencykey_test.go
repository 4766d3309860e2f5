package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIdempotencyKeyMustBeText: a key PostgreSQL cannot store is the
// caller's mistake, answered 400 (not 503, which clients retry forever),
// and nothing runs.
func TestIdempotencyKeyMustBeText(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, key := range map[string]string{
		"Latin1":         "nyckel-\xe5\xe4\xf6",
		"InvalidUTF8":    "\xff\xfe\xfd",
		"TruncatedUTF8":  "key-\xe2\x82",
		"TabInside":      "key\twith-tab",
		"ObsTextAndTail": "k\x80y",
	} {
		r := b.gql(t, b.a.Secret, createKeyMutation, map[string]any{"name": "bad key " + name}, map[string]string{"Idempotency-Key": key})
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r)
		require.Equal(t, "IDEMPOTENCY_KEY_INVALID", r.code(), name)
		require.Contains(t, r.message(), "UTF-8 text without control characters", name)
		require.Zero(t, count(b.keyNames(t, b.a.Secret), "bad key "+name), name)
	}
	// Control characters an HTTP client will not send, straight to the
	// handler.
	for _, key := range []string{"key\x00nul", "key\x01", "key\x7f", "key\u0085next-line", "key\u009b"} {
		body := jsonBody(t, createKeyMutation, map[string]any{"name": "control key"})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+b.a.Secret)
		req.Header["Idempotency-Key"] = []string{key}
		rec := httptest.NewRecorder()
		b.srv.Handler().ServeHTTP(rec, req)
		require.Equal(t, http.StatusBadRequest, rec.Code, "%q: %s", key, rec.Body)
		require.Contains(t, rec.Body.String(), "IDEMPOTENCY_KEY_INVALID")
	}
	require.Zero(t, count(b.keyNames(t, b.a.Secret), "control key"))
	// Non-ASCII UTF-8 is a fine key.
	ok(t, b.gql(t, b.a.Secret, createKeyMutation, map[string]any{"name": "utf8 key"}, map[string]string{"Idempotency-Key": "nyckel-åäö-🔑"}))
}
