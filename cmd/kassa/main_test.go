package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/logging"
)

// The binary under test, built once.
var kassaBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kassa-bin-")
	if err != nil {
		panic(err)
	}
	kassaBin = filepath.Join(dir, "kassa")
	out, err := exec.Command("go", "build", "-o", kassaBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build kassa: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// dataDir returns a data directory the postgres system user can reach.
func dataDir(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	return dir
}

func viewer(t *testing.T, base, key string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(`{"query":"{ viewer { merchant { id name } } }"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNewcomerPath follows the README: `kassa serve --demo` on an empty data
// directory starts the embedded PostgreSQL, prints a working API key, and a
// CLI command run meanwhile on the same directory uses the running cluster.
func TestNewcomerPath(t *testing.T) {
	dir := dataDir(t)
	addr := freeAddr(t)
	env := append(os.Environ(), "KASSA_DATA_DIR="+dir, "KASSA_ADDR="+addr, "KASSA_DATABASE_URL=")

	serve := exec.Command(kassaBin, "serve", "--demo")
	serve.Env = env
	var stderr logging.Buffer // written by the process while the test reads it
	serve.Stderr = &stderr
	stdout, err := serve.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, serve.Start())
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })

	// The banner names the API key.
	var key string
	sc := bufio.NewScanner(stdout)
	deadline := time.After(60 * time.Second)
	lines := make(chan string)
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for key == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before printing the API key: %s", stderr.String())
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "API" && f[1] == "key" {
				key = f[2]
			}
		case <-deadline:
			t.Fatalf("no API key printed: %s", stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	require.True(t, strings.HasPrefix(key, "kassa_test_"), key)

	base := "http://" + addr
	status, body := viewer(t, base, key)
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"name":"Demo Shop AB"`)

	// A CLI command while serve runs: attaches to the running cluster.
	create := exec.Command(kassaBin, "merchants", "create", "--name", "Second AB", "--owner-email", "owner@second.example", "--owner-password", "correct horse battery", "--json")
	create.Env = env
	out, err := create.Output()
	require.NoError(t, err, "%s", out)
	var created struct {
		MerchantID string `json:"merchantId"`
		APIKey     string `json:"apiKey"`
	}
	require.NoError(t, json.Unmarshal(out, &created), "%s", out)
	require.NotEmpty(t, created.MerchantID)
	status, body = viewer(t, base, created.APIKey)
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"name":"Second AB"`)

	// The server still answers after the CLI exited: it did not stop the
	// cluster it merely attached to.
	status, _ = viewer(t, base, key)
	require.Equal(t, http.StatusOK, status)

	// Bad input to the CLI: a clear message, a non-zero exit.
	bad := exec.Command(kassaBin, "merchants", "create", "--name", "X", "--owner-email", "not-an-email", "--owner-password", "correct horse battery")
	bad.Env = env
	out, err = bad.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "INVALID_EMAIL")

	// SIGTERM stops the server and the cluster it started.
	require.NoError(t, serve.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "serve exits cleanly on SIGTERM: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, "pg", "data", "postmaster.pid"))
		return os.IsNotExist(err)
	}, 10*time.Second, 100*time.Millisecond, "the embedded PostgreSQL kept running")

	// A second start reuses the data directory and prints the same key.
	again := exec.Command(kassaBin, "serve", "--demo")
	again.Env = env
	var againErr logging.Buffer
	again.Stderr = &againErr
	againOut, err := again.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, again.Start())
	t.Cleanup(func() { _ = again.Process.Kill(); _ = again.Wait() })
	sc2 := bufio.NewScanner(againOut)
	found := false
	for sc2.Scan() {
		if strings.Contains(sc2.Text(), key) {
			found = true
			break
		}
	}
	require.True(t, found, "second start did not print the same demo key")
	go func() { _, _ = io.Copy(io.Discard, againOut) }()
	require.NoError(t, again.Process.Signal(syscall.SIGINT))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitErr := make(chan error, 1)
	go func() { waitErr <- again.Wait() }()
	select {
	case err := <-waitErr:
		require.NoError(t, err, "serve exits cleanly on SIGINT: %s", againErr.String())
	case <-ctx.Done():
		t.Fatal("serve did not stop on SIGINT")
	}
}

func TestMissingPostgresBinariesSaysHowToInstall(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	cmd := exec.Command(kassaBin, "migrate")
	cmd.Env = append(os.Environ(), "KASSA_DATA_DIR="+dataDir(t), "KASSA_DATABASE_URL=", "KASSA_PG_BIN_DIR="+empty)
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "apt-get install postgresql")
}

func TestUnknownCommandPrintsUsage(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(kassaBin, "frobnicate").CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "Usage:")
}
