package kassatest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/logging"
)

// mailpitModule is the tool pinned in tools/go.mod.
const mailpitModule = "github.com/axllent/mailpit"

var mailpitBuild struct {
	once sync.Once
	path string
	err  error
}

// MailpitBinary builds mailpit once per test binary from the tools module
// and returns its path. `go tool -n` builds the pinned tool into Go's
// build cache (minutes on a cold cache, a second when warm) and prints
// where it is, so nothing is left behind in temporary directories.
func MailpitBinary(t *testing.T) string {
	t.Helper()
	mailpitBuild.once.Do(func() {
		cmd := exec.Command("go", "tool", "-n", mailpitModule)
		cmd.Dir = filepath.Join(RepoRoot(t), "tools")
		cmd.Env = append(os.Environ(), "GOWORK=off")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			mailpitBuild.err = fmt.Errorf("build mailpit from tools/go.mod: %v\n%s", err, stderr.String())
			return
		}
		path := strings.TrimSpace(string(out))
		if _, err := os.Stat(path); err != nil {
			mailpitBuild.err = fmt.Errorf("go tool -n %s printed %q: %v", mailpitModule, path, err)
			return
		}
		mailpitBuild.path = path
	})
	require.NoError(t, mailpitBuild.err)
	return mailpitBuild.path
}

// Mailpit is a real SMTP server whose HTTP API shows what it received. It
// can be stopped and started again on the same ports with the same
// storage, for outage tests.
type Mailpit struct {
	bin, dir           string
	flags              []string
	SMTPAddr, httpAddr string
	out                *logging.Buffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartMailpit starts a mailpit for this test, stopped when it ends, with
// extra command-line flags if given (e.g. --smtp-allowed-recipients, to
// have it refuse some recipients as a real server would).
func StartMailpit(t *testing.T, flags ...string) *Mailpit {
	t.Helper()
	m := &Mailpit{bin: MailpitBinary(t), dir: t.TempDir(), out: &logging.Buffer{}, flags: flags}
	t.Cleanup(func() {
		m.Stop(t)
		if t.Failed() {
			t.Logf("mailpit output:\n%s", Tail(m.out.String(), 40))
		}
	})
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		// Free ports are found by asking the kernel for one and closing
		// it; another process may take it meanwhile, so try again then.
		m.SMTPAddr, m.httpAddr = FreeAddr(t), FreeAddr(t)
		if err = m.tryStart(); err == nil {
			return m
		}
		m.Stop(t)
	}
	require.NoError(t, err, "start mailpit")
	return m
}

// Start starts mailpit again after stop, on the same ports and storage.
func (m *Mailpit) Start(t *testing.T) {
	t.Helper()
	require.NoError(t, m.tryStart(), "restart mailpit")
}

func (m *Mailpit) tryStart() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return errors.New("mailpit is already running")
	}
	// Plain SMTP without authentication is mailpit's default; --max 0 keeps
	// every message (the default prunes past 500).
	cmd := exec.Command(m.bin, append([]string{
		"--smtp", m.SMTPAddr, "--listen", m.httpAddr,
		"--database", filepath.Join(m.dir, "mailpit.db"),
		"--max", "0", "--disable-version-check", "--smtp-disable-rdns"}, m.flags...)...)
	cmd.Stdout, cmd.Stderr = m.out, m.out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	m.cmd, m.exited = cmd, exited
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			m.cmd = nil
			return fmt.Errorf("mailpit exited at start:\n%s", Tail(m.out.String(), 20))
		default:
		}
		if m.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mailpit not ready after 30 s:\n%s", Tail(m.out.String(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *Mailpit) ready() bool {
	c, err := net.DialTimeout("tcp", m.SMTPAddr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	resp, err := http.Get("http://" + m.httpAddr + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop stops mailpit and waits until its SMTP port refuses connections.
func (m *Mailpit) Stop(t *testing.T) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	m.cmd = nil
	if c, err := net.DialTimeout("tcp", m.SMTPAddr, time.Second); err == nil {
		_ = c.Close()
		t.Errorf("mailpit stopped but %s still accepts connections", m.SMTPAddr)
	}
}

// MailAddr is an address as mailpit's API gives it.
type MailAddr struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// MailSummary is a message in mailpit's list.
type MailSummary struct {
	ID        string     `json:"ID"`
	MessageID string     `json:"MessageID"`
	From      MailAddr   `json:"From"`
	To        []MailAddr `json:"To"`
	Subject   string     `json:"Subject"`
}

// MailMessage is one message with its bodies.
type MailMessage struct {
	MailSummary
	Text string `json:"Text"`
	HTML string `json:"HTML"`
}

// Get reads path from mailpit's HTTP API into out, failing the test on an error.
func (m *Mailpit) Get(t *testing.T, path string, out any) {
	t.Helper()
	resp, err := http.Get("http://" + m.httpAddr + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "mailpit %s: %s", path, body)
	if b, ok := out.(*[]byte); ok {
		*b = body
		return
	}
	require.NoError(t, json.Unmarshal(body, out), "mailpit %s", path)
}

// All lists every message mailpit holds, newest first.
func (m *Mailpit) All(t *testing.T) []MailSummary {
	t.Helper()
	var out []MailSummary
	for start := 0; ; {
		var page struct {
			Total    int           `json:"total"`
			Messages []MailSummary `json:"messages"`
		}
		m.Get(t, fmt.Sprintf("/api/v1/messages?start=%d&limit=500", start), &page)
		out = append(out, page.Messages...)
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.Total {
			return out
		}
	}
}

// To lists the messages addressed to addr whose subject starts with
// subject ("" for any).
func (m *Mailpit) To(t *testing.T, addr, subject string) []MailSummary {
	t.Helper()
	var out []MailSummary
	for _, s := range m.All(t) {
		if !strings.HasPrefix(s.Subject, subject) {
			continue
		}
		for _, a := range s.To {
			if strings.EqualFold(a.Address, addr) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// WaitTo waits until at least n messages to addr with the subject prefix
// arrived, and returns them.
func (m *Mailpit) WaitTo(t *testing.T, addr, subject string, n int) []MailSummary {
	t.Helper()
	var got []MailSummary
	Poll(t, 60*time.Second, 100*time.Millisecond, fmt.Sprintf("%d message(s) to %s with subject %q", n, addr, subject), func() bool {
		got = m.To(t, addr, subject)
		return len(got) >= n
	})
	return got
}

// Message reads one message by its mailpit ID.
func (m *Mailpit) Message(t *testing.T, id string) MailMessage {
	t.Helper()
	var msg MailMessage
	m.Get(t, "/api/v1/message/"+url.PathEscape(id), &msg)
	return msg
}

// Raw is the message as it went over SMTP.
func (m *Mailpit) Raw(t *testing.T, id string) []byte {
	t.Helper()
	var b []byte
	m.Get(t, "/api/v1/message/"+url.PathEscape(id)+"/raw", &b)
	return b
}
