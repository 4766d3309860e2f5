package checkout_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
	"kassa/webhooks"
)

// env is one kassa running for a test (see kassatest), with this
// package's helpers.
type env struct{ *kassatest.Env }

type userError = kassatest.UserError

// setup starts kassa. allowPrivate lets webhooks reach the test's
// receivers on 127.0.0.1.
func setup(t *testing.T, allowPrivate bool) *env {
	t.Helper()
	opts := []kassatest.Option{kassatest.LogLevel("warn"), kassatest.WebhookSchedule(100*time.Millisecond, 200*time.Millisecond)}
	if allowPrivate {
		opts = append(opts, kassatest.WebhookAllowPrivate())
	}
	e := &env{kassatest.Start(t, opts...)}
	e.Client = &http.Client{Timeout: 30 * time.Second}
	return e
}

// shopper pays on the hosted page over plain HTTP, seeing redirects
// rather than following them.
type shopper struct{ c *http.Client }

func newShopper(t *testing.T) *shopper {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &shopper{c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	location string
	refresh  string
	body     string
}

func (s *shopper) do(t *testing.T, method, u string, form url.Values) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), refresh: resp.Header.Get("Refresh"), body: string(b)}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// submit opens the payment page and pays with card; it returns the
// redirect's target (the status page, or 3-D Secure).
func (s *shopper) submit(t *testing.T, link, card, email string) page {
	t.Helper()
	p := s.do(t, http.MethodGet, link, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(p.body, -1) {
		form.Set(m[1], m[2])
	}
	form.Set("cardNumber", card)
	form.Set("expiry", kassatest.Expiry())
	form.Set("cvc", "123")
	form.Set("cardholder", "Anna Andersson")
	if email != "" {
		form.Set("email", email)
	}
	return s.do(t, http.MethodPost, link, form)
}

// waitSettled follows the status page while it says "processing".
func (s *shopper) waitSettled(t *testing.T, statusURL string) page {
	t.Helper()
	var p page
	kassatest.Eventually(t, 20*time.Second, "the payment to settle", func() bool {
		p = s.do(t, http.MethodGet, statusURL, nil)
		return p.status != http.StatusAccepted
	})
	return p
}

// hook is one webhook delivery a receiver got.
type hook struct {
	ID, Timestamp, Signature string
	Body                     []byte
	Type                     string
	Data                     map[string]any
}

// receiver is the shop's webhook endpoint: it verifies every delivery
// with the secret it is given and keeps them.
type receiver struct {
	mu     sync.Mutex
	secret string
	hooks  []hook
	bad    int
	srv    *http.Server
	url    string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, base := kassatest.Listen(t)
	rc := &receiver{url: base + "/kassa"}
	rc.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := hook{ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"), Signature: r.Header.Get("webhook-signature"), Body: body}
		var env struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &env)
		h.Type, h.Data = env.Type, env.Data
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if webhooks.Verify(rc.secret, h.ID, h.Timestamp, h.Signature, body, time.Now(), webhooks.DefaultTolerance) != nil {
			rc.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.hooks = append(rc.hooks, h)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = rc.srv.Serve(ln) }()
	t.Cleanup(func() { _ = rc.srv.Close() })
	return rc
}

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s
}

// wait returns the first delivery of type typ (dotted) whose data
// matches, waiting for it.
func (rc *receiver) wait(t *testing.T, typ string, match func(map[string]any) bool) hook {
	t.Helper()
	var found hook
	kassatest.Eventually(t, 20*time.Second, "a "+typ+" webhook", func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, h := range rc.hooks {
			if h.Type == typ && (match == nil || match(h.Data)) {
				found = h
				return true
			}
		}
		return false
	})
	return found
}

func (rc *receiver) all() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hook(nil), rc.hooks...)
}
