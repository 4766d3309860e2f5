package server_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/server"
)

// TestMetricsAreNotPublic: /metrics names every tenant's operations; it
// is served only behind KASSA_METRICS_TOKEN or on KASSA_METRICS_ADDR.
func TestMetricsAreNotPublic(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, client *http.Client, u, token string) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, u, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(body), res.Header
	}

	t.Run("NeitherSetIs404", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ok(t, b.gql(t, b.a.Secret, `query SecretOperationName { viewer { merchant { id } } }`, nil, nil))
		status, body, _ := get(t, b.client, b.ts.URL+"/metrics", "")
		require.Equal(t, http.StatusNotFound, status)
		require.NotContains(t, body, "SecretOperationName")
		status, _, _ = get(t, b.client, b.ts.URL+"/metrics", "anything-at-all-long-enough")
		require.Equal(t, http.StatusNotFound, status)
	})

	t.Run("TokenRequired", func(t *testing.T) {
		t.Parallel()
		const token = "metrics-token-0123456789"
		b := setup(t, func(c *server.Config) { c.MetricsToken = token })
		ok(t, b.gql(t, b.a.Secret, `query SecretOperationName { viewer { merchant { id } } }`, nil, nil))
		for _, bad := range []string{"", "wrong-token-0123456789", token + "x", token[:len(token)-1]} {
			status, body, h := get(t, b.client, b.ts.URL+"/metrics", bad)
			require.Equal(t, http.StatusUnauthorized, status, "%q", bad)
			require.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
			require.NotContains(t, body, "SecretOperationName")
		}
		status, body, _ := get(t, b.client, b.ts.URL+"/metrics", token)
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, body, `operation="SecretOperationName"`)
	})

	t.Run("OwnAddress", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.Addr, cfg.MetricsAddr = "127.0.0.1:0", "127.0.0.1:0"
		cfg.DataDir = t.TempDir()
		d := dbtest.New(t)
		srv, err := server.New(cfg, d, logging.New(io.Discard, "error"))
		require.NoError(t, err)
		ln, err := srv.Listen()
		require.NoError(t, err)
		mln, err := srv.ListenMetrics()
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ctx, ln) }()
		t.Cleanup(func() {
			cancel()
			require.NoError(t, <-served)
		})
		client := &http.Client{Timeout: 10 * time.Second}
		status, _, _ := get(t, client, "http://"+ln.Addr().String()+"/metrics", "")
		require.Equal(t, http.StatusNotFound, status, "not on the main listener")
		status, body, _ := get(t, client, "http://"+mln.Addr().String()+"/metrics", "")
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, body, "go_goroutines")
		status, _, _ = get(t, client, "http://"+mln.Addr().String()+"/graphql", "")
		require.Equal(t, http.StatusNotFound, status, "only metrics on the metrics listener")
	})
}

// TestMetricsConfiguration: the environment names are a public contract.
func TestMetricsConfiguration(t *testing.T) {
	t.Setenv("KASSA_METRICS_ADDR", "127.0.0.1:9090")
	t.Setenv("KASSA_METRICS_TOKEN", "a-token-of-enough-length")
	cfg, err := server.FromEnv()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9090", cfg.MetricsAddr)
	require.Equal(t, "a-token-of-enough-length", cfg.MetricsToken)

	t.Setenv("KASSA_METRICS_ADDR", "nowhere")
	t.Setenv("KASSA_METRICS_TOKEN", "short")
	_, err = server.FromEnv()
	require.ErrorContains(t, err, "KASSA_METRICS_ADDR")
	require.ErrorContains(t, err, "KASSA_METRICS_TOKEN")
}
