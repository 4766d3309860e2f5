package stripe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// stripe-mock is built from the tools module (its version pinned there) and
// started on first use, so tests that need no API (signatures, event
// mapping, fuzzing) never build or start it; TestMain stops it at the end.
var mock struct {
	once sync.Once
	url  string
	err  error
	dir  string
	cmd  *exec.Cmd
}

func TestMain(m *testing.M) {
	code := m.Run()
	if mock.cmd != nil && mock.cmd.Process != nil {
		_ = mock.cmd.Process.Kill()
		_ = mock.cmd.Wait()
	}
	if mock.dir != "" {
		_ = os.RemoveAll(mock.dir)
	}
	os.Exit(code)
}

// stripeMock returns the base URL of the running stripe-mock, building and
// starting it on first call.
func stripeMock(t *testing.T) string {
	t.Helper()
	mock.once.Do(func() { mock.url, mock.err = startStripeMock() })
	if mock.err != nil {
		t.Fatalf("stripe-mock: %v", mock.err)
	}
	return mock.url
}

func startStripeMock() (string, error) {
	// The test runs in payments/stripe; the tools module is at the root.
	tools, err := filepath.Abs(filepath.Join("..", "..", "tools"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(tools, "go.mod")); err != nil {
		return "", fmt.Errorf("tools module not found: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go") //nolint:staticcheck // SA1019: a fallback when go is not on PATH; the test runs where it was built
	}
	mock.dir, err = os.MkdirTemp("", "kassa-stripe-mock-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(mock.dir, "stripe-mock")
	build := exec.Command(goBin, "build", "-C", tools, "-o", bin, "github.com/stripe/stripe-mock")
	// The tools module stands alone, whatever workspace the caller is in.
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}

	// Both listeners on loopback with ports the kernel picks: stripe-mock
	// opens its HTTPS listener (default port 12112) unless told otherwise,
	// which would collide between concurrent test runs.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	mock.cmd = cmd

	addr := make(chan string, 1)
	go func() {
		const prefix = "Listening for HTTP at address: "
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				addr <- a
			}
		}
		// Keep draining so stripe-mock never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(30 * time.Second):
		return "", errors.New("stripe-mock did not report its address")
	}
	return base, waitAnswering(base)
}

func waitAnswering(base string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/charges", nil)
		req.SetBasicAuth("sk_test_123", "")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stripe-mock at %s did not answer: %v", base, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
