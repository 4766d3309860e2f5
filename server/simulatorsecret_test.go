package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/payments/simulator"
	"kassa/server"
)

// TestSimulatorSecretPerInstallation: without KASSA_SIMULATOR_SECRET each
// installation makes its own secret, keeps it in the data directory, and
// uses it on every later start; no secret ships with the code.
func TestSimulatorSecretPerInstallation(t *testing.T) {
	t.Setenv("KASSA_SIMULATOR_SECRET", "")
	cfg, err := server.FromEnv()
	require.NoError(t, err)
	require.Empty(t, cfg.ProcessorSettings["KASSA_SIMULATOR_SECRET"], "no default secret in the code")

	start := func(t *testing.T, dataDir string) *server.Server {
		t.Helper()
		cfg := testConfig()
		cfg.ProcessorSettings["KASSA_SIMULATOR_SECRET"], cfg.DataDir = "", dataDir
		srv, err := server.New(cfg, dbtest.New(t), logging.New(io.Discard, "error"))
		require.NoError(t, err)
		return srv
	}
	readSecret := func(t *testing.T, dir string) string {
		t.Helper()
		path := filepath.Join(dir, "simulator-secret")
		st, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		sec := strings.TrimSpace(string(b))
		require.Regexp(t, `^[0-9a-f]{64}$`, sec)
		return sec
	}
	// status answers a callback signed with secret (an event for no known
	// payment: acknowledged when the signature is right).
	status := func(t *testing.T, srv *server.Server, secret string) int {
		t.Helper()
		body := []byte(`{"id": "evt_secret", "type": "payment.captured", "created": 1, "data": {"ref": "pay_nothing"}}`)
		req := httptest.NewRequest(http.MethodPost, "/callbacks/simulator", bytes.NewReader(body))
		req.Header.Set(simulator.SignatureHeader, signCallback(secret, body))
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec.Code
	}

	dir := filepath.Join(t.TempDir(), "var")
	first := start(t, dir)
	secret := readSecret(t, dir)
	require.Equal(t, http.StatusOK, status(t, first, secret))

	second := start(t, dir)
	require.Equal(t, secret, readSecret(t, dir), "a later start keeps the secret")
	require.Equal(t, http.StatusOK, status(t, second, secret))
	require.Equal(t, http.StatusBadRequest, status(t, second, "kassa-simulator-development-secret"), "the old public default signs nothing")

	other := t.TempDir()
	third := start(t, other)
	require.NotEqual(t, secret, readSecret(t, other), "another installation has another secret")
	require.Equal(t, http.StatusBadRequest, status(t, third, secret))

	// A file others could read is narrowed again.
	require.NoError(t, os.Chmod(filepath.Join(dir, "simulator-secret"), 0o644))
	start(t, dir)
	require.Equal(t, secret, readSecret(t, dir))

	// An explicit secret wins, and no file is made for it.
	t.Setenv("KASSA_SIMULATOR_SECRET", "explicit-simulator-secret")
	cfg, err = server.FromEnv()
	require.NoError(t, err)
	require.Equal(t, "explicit-simulator-secret", cfg.ProcessorSettings["KASSA_SIMULATOR_SECRET"])
	explicitDir := t.TempDir()
	cfg2 := testConfig()
	cfg2.ProcessorSettings["KASSA_SIMULATOR_SECRET"], cfg2.DataDir = cfg.ProcessorSettings["KASSA_SIMULATOR_SECRET"], explicitDir
	srv, err := server.New(cfg2, dbtest.New(t), logging.New(io.Discard, "error"))
	require.NoError(t, err)
	require.NoFileExists(t, filepath.Join(explicitDir, "simulator-secret"))
	require.Equal(t, http.StatusOK, status(t, srv, "explicit-simulator-secret"))
}
