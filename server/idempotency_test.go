package server_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIdempotency(t *testing.T) {
	t.Parallel()
	b := setup(t)
	keyed := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }
	create := func(t *testing.T, secret, idemKey, name string) response {
		t.Helper()
		return b.gql(t, secret, createKeyMutation, map[string]any{"name": name}, keyed(idemKey))
	}

	t.Run("SameKeySameBodyReplaysByteForByte", func(t *testing.T) {
		first := ok(t, create(t, b.a.Secret, "replay-1", "replayed"))
		require.Empty(t, first.header.Get("Idempotency-Replayed"))
		second := create(t, b.a.Secret, "replay-1", "replayed")
		require.Equal(t, first.status, second.status)
		require.Equal(t, "true", second.header.Get("Idempotency-Replayed"))
		require.Equal(t, string(first.raw), string(second.raw))
		require.Equal(t, first.header.Get("Content-Type"), second.header.Get("Content-Type"))
		require.Equal(t, 1, count(b.keyNames(t, b.a.Secret), "replayed"))
	})

	t.Run("SameKeyOtherVariablesIsMismatch", func(t *testing.T) {
		ok(t, create(t, b.a.Secret, "mismatch-1", "original"))
		r := create(t, b.a.Secret, "mismatch-1", "different")
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r)
		require.Equal(t, "IDEMPOTENCY_KEY_MISMATCH", r.code())
		names := b.keyNames(t, b.a.Secret)
		require.Equal(t, 1, count(names, "original"))
		require.Zero(t, count(names, "different"))
	})

	t.Run("VariablesInAnotherKeyOrderAreTheSameRequest", func(t *testing.T) {
		const q = `mutation($name: String!, $show: Boolean!) { createApiKey(input: {name: $name}) { apiKey { name } secret @include(if: $show) } }`
		body := func(vars string) []byte {
			return []byte(fmt.Sprintf(`{"query": %q, "variables": %s}`, q, vars))
		}
		first := ok(t, b.gqlRaw(t, b.a.Secret, body(`{"name": "ordered", "show": true}`), keyed("order-1")))
		second := b.gqlRaw(t, b.a.Secret, body(`{"show":true,"name":"ordered"}`), keyed("order-1"))
		require.Equal(t, "true", second.header.Get("Idempotency-Replayed"), "%s", second)
		require.Equal(t, string(first.raw), string(second.raw))
		require.Equal(t, 1, count(b.keyNames(t, b.a.Secret), "ordered"))
	})

	t.Run("ConcurrentRequestsExecuteOnce", func(t *testing.T) {
		body := jsonBody(t, createKeyMutation, map[string]any{"name": "concurrent"})
		type result struct {
			status   int
			replayed string
			body     string
			err      error
		}
		const n = 50
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, err := http.NewRequest(http.MethodPost, b.ts.URL+"/graphql", bytes.NewReader(body))
				if err != nil {
					results[i].err = err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+b.a.Secret)
				req.Header.Set("Idempotency-Key", "concurrent-1")
				res, err := b.client.Do(req)
				if err != nil {
					results[i].err = err
					return
				}
				defer res.Body.Close()
				raw, err := io.ReadAll(res.Body)
				results[i] = result{status: res.StatusCode, replayed: res.Header.Get("Idempotency-Replayed"), body: string(raw), err: err}
			}()
		}
		close(start)
		wg.Wait()

		var executed []string
		var replays []string
		inUse := 0
		for _, r := range results {
			require.NoError(t, r.err)
			switch {
			case r.status == http.StatusOK && r.replayed == "":
				executed = append(executed, r.body)
			case r.status == http.StatusOK && r.replayed == "true":
				replays = append(replays, r.body)
			case r.status == http.StatusConflict:
				require.Contains(t, r.body, "IDEMPOTENCY_KEY_IN_USE")
				inUse++
			default:
				t.Fatalf("unexpected answer %d %s", r.status, r.body)
			}
		}
		require.Len(t, executed, 1, "executions")
		for _, r := range replays {
			require.Equal(t, executed[0], r)
		}
		require.Equal(t, n, 1+len(replays)+inUse)
		require.Equal(t, 1, count(b.keyNames(t, b.a.Secret), "concurrent"))
	})

	t.Run("TwoMutationFieldsWithAKeyAreRefused", func(t *testing.T) {
		r := b.gql(t, b.a.Secret, `mutation { x: createApiKey(input: {name: "multi-x"}) { secret } y: createApiKey(input: {name: "multi-y"}) { secret } }`,
			nil, keyed("multi-1"))
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r)
		require.Equal(t, "IDEMPOTENCY_KEY_MULTIPLE_MUTATIONS", r.code())
		// Hiding the second field in a fragment does not help.
		r = b.gql(t, b.a.Secret, `mutation { x: createApiKey(input: {name: "multi-x"}) { secret } ...Y }
			fragment Y on Mutation { y: createApiKey(input: {name: "multi-y"}) { secret } }`, nil, keyed("multi-2"))
		require.Equal(t, "IDEMPOTENCY_KEY_MULTIPLE_MUTATIONS", r.code(), "%s", r)
		names := b.keyNames(t, b.a.Secret)
		require.Zero(t, count(names, "multi-x"))
		require.Zero(t, count(names, "multi-y"))
	})

	t.Run("KeyIsScopedToTheCredential", func(t *testing.T) {
		_, other := b.createKey(t, b.a.Secret, "second credential")
		first := ok(t, create(t, b.a.Secret, "scoped-1", "scoped"))
		second := ok(t, create(t, other, "scoped-1", "scoped"))
		require.Empty(t, second.header.Get("Idempotency-Replayed"))
		require.NotEqual(t, first.data("createApiKey", "secret"), second.data("createApiKey", "secret"))
		require.Equal(t, 2, count(b.keyNames(t, b.a.Secret), "scoped"))
		// Another merchant's key with the same key string runs too.
		ok(t, create(t, b.b.Secret, "scoped-1", "scoped"))
		require.Equal(t, 1, count(b.keyNames(t, b.b.Secret), "scoped"))
	})

	t.Run("ExpiredKeyExecutesAgain", func(t *testing.T) {
		first := ok(t, create(t, b.a.Secret, "expiring-1", "expiring"))
		owner, err := sql.Open("postgres", b.dbURL)
		require.NoError(t, err)
		defer owner.Close()
		res, err := owner.Exec(`UPDATE idempotency_keys SET created_at = created_at - interval '25 hours' WHERE key = 'expiring-1'`)
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n)

		second := ok(t, create(t, b.a.Secret, "expiring-1", "expiring"))
		require.Empty(t, second.header.Get("Idempotency-Replayed"))
		require.NotEqual(t, string(first.raw), string(second.raw))
		require.Equal(t, 2, count(b.keyNames(t, b.a.Secret), "expiring"))
		third := create(t, b.a.Secret, "expiring-1", "expiring")
		require.Equal(t, "true", third.header.Get("Idempotency-Replayed"))
		require.Equal(t, string(second.raw), string(third.raw))
	})

	t.Run("KeyLength", func(t *testing.T) {
		r := create(t, b.a.Secret, strings.Repeat("k", 256), "too long key")
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r)
		require.Equal(t, "IDEMPOTENCY_KEY_INVALID", r.code())
		require.Zero(t, count(b.keyNames(t, b.a.Secret), "too long key"))
		ok(t, create(t, b.a.Secret, strings.Repeat("k", 255), "longest key"))
		require.Equal(t, 1, count(b.keyNames(t, b.a.Secret), "longest key"))
	})

	t.Run("UserErrorsAreRemembered", func(t *testing.T) {
		first := ok(t, create(t, b.a.Secret, "user-error-1", " "))
		require.Equal(t, "INVALID_NAME", first.data("createApiKey", "userErrors", 0, "code"))
		second := create(t, b.a.Secret, "user-error-1", " ")
		require.Equal(t, "true", second.header.Get("Idempotency-Replayed"))
		require.Equal(t, string(first.raw), string(second.raw))
	})

	t.Run("InternalErrorIsNotRemembered", func(t *testing.T) {
		owner, err := sql.Open("postgres", b.dbURL)
		require.NoError(t, err)
		defer owner.Close()
		// Make creating a key named "flaky" fail inside the database.
		_, err = owner.Exec(`ALTER TABLE api_keys ADD CONSTRAINT test_flaky CHECK (name <> 'flaky')`)
		require.NoError(t, err)
		r := create(t, b.a.Secret, "flaky-1", "flaky")
		require.Equal(t, "INTERNAL", r.code(), "%s", r)
		require.Equal(t, "internal error", r.message())
		require.NotContains(t, string(r.raw), "test_flaky")
		require.NotContains(t, string(r.raw), "constraint")

		// Once the fault is gone, a retry with the same key runs.
		_, err = owner.Exec(`ALTER TABLE api_keys DROP CONSTRAINT test_flaky`)
		require.NoError(t, err)
		retry := ok(t, create(t, b.a.Secret, "flaky-1", "flaky"))
		require.Empty(t, retry.header.Get("Idempotency-Replayed"))
		require.NotNil(t, retry.data("createApiKey", "secret"))
		require.Equal(t, 1, count(b.keyNames(t, b.a.Secret), "flaky"))
	})

	t.Run("QueriesIgnoreTheKey", func(t *testing.T) {
		ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id } } }`, nil, keyed("query-1")))
		r := ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { name } } }`, nil, keyed("query-1")))
		require.Empty(t, r.header.Get("Idempotency-Replayed"))
		require.Equal(t, "Shop A AB", r.data("viewer", "merchant", "name"))
	})
}
