package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/db/dbtest"
	"kassa/logging"
	"kassa/merchants"
	"kassa/server"
)

// TestMain starts PostgreSQL for the tests, but not for fuzzing: the fuzz
// targets of this package need no database.
func TestMain(m *testing.M) { dbtest.Main(m) }

// syncBuffer collects the server's log lines; handlers write from many
// goroutines.
type syncBuffer struct{ logging.Buffer }

// lines returns every log line, each of which must be a JSON object.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "log line is not JSON: %s", l)
		out = append(out, m)
	}
	return out
}

// tenant is a merchant made for a test, with its owner and first API key.
type tenant struct {
	merchants.Created
	email, password string
}

type bundle struct {
	cfg    server.Config
	db     *db.DB
	dbURL  string // superuser URL of the test's database
	srv    *server.Server
	ts     *httptest.Server
	client *http.Client // does not follow redirects
	logs   *syncBuffer
	a, b   tenant
}

// testConfig is FromEnv's defaults, made explicit.
func testConfig() server.Config {
	return server.Config{
		Addr:       "127.0.0.1:0",
		PublicURL:  "http://kassa.test",
		Env:        "development",
		LogLevel:   "debug",
		APIKeyMode: "test",
		MaxBody:    1 << 20,
		RateLimit:  1000,
		RateBurst:  1000,
		Complexity: 1000,
		MaxDepth:   12,
		SessionTTL: 12 * time.Hour,
		DBMaxConns: 10,
		Processor:  "simulator",

		ProcessorSettings: map[string]string{"KASSA_SIMULATOR_SECRET": "kassa-server-test-secret"},
	}
}

// setup starts a server on the test's own database with two merchants, A
// and B. opts adjust the configuration first.
func setup(t *testing.T, opts ...func(*server.Config)) *bundle {
	t.Helper()
	cfg := testConfig()
	for _, o := range opts {
		o(&cfg)
	}
	d, u := dbtest.NewWithURL(t)
	logs := &syncBuffer{}
	srv, err := server.New(cfg, d, logging.New(logs, "debug"))
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	b := &bundle{cfg: cfg, db: d, dbURL: u, srv: srv, ts: ts, logs: logs}
	b.client = &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	b.a = b.newTenant(t, "Shop A AB", "owner@a.example.com")
	b.b = b.newTenant(t, "Shop B AB", "owner@b.example.com")
	return b
}

func (b *bundle) newTenant(t *testing.T, name, email string) tenant {
	t.Helper()
	pw := "pw-" + strings.ReplaceAll(email, "@", "-") + "-secret"
	c, err := b.srv.Merchants().Create(context.Background(), merchants.NewMerchant{
		Name: name, OwnerEmail: email, OwnerName: "Owner " + name, OwnerPassword: pw,
	})
	require.NoError(t, err)
	return tenant{Created: c, email: email, password: pw}
}

// response is an HTTP answer, its body decoded when it is JSON.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// code is errors[0].extensions.code, or "".
func (r response) code() string {
	s, _ := dig(r.body, "errors", 0, "extensions", "code").(string)
	return s
}

// message is errors[0].message, or "".
func (r response) message() string {
	s, _ := dig(r.body, "errors", 0, "message").(string)
	return s
}

// data follows path below "data".
func (r response) data(path ...any) any { return dig(r.body, append([]any{"data"}, path...)...) }

// dig follows a path of map keys and slice indexes; nil when absent.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func (b *bundle) do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := b.client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/") && strings.Contains(res.Header.Get("Content-Type"), "json") {
		require.NoError(t, json.Unmarshal(raw, &r.body), "body: %s", raw)
	}
	return r
}

func (b *bundle) request(t *testing.T, method, path string, body io.Reader, headers map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, b.ts.URL+path, body)
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req
}

// gql posts a GraphQL request as JSON with key as Bearer token (none when
// key is empty).
func (b *bundle) gql(t *testing.T, key, query string, vars map[string]any, headers map[string]string) response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	return b.gqlRaw(t, key, body, headers)
}

func (b *bundle) gqlRaw(t *testing.T, key string, body []byte, headers map[string]string) response {
	t.Helper()
	req := b.request(t, http.MethodPost, "/graphql", bytes.NewReader(body), headers)
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return b.do(t, req)
}

// gqlGet sends a GraphQL query as GET.
func (b *bundle) gqlGet(t *testing.T, key, query string, headers map[string]string) response {
	t.Helper()
	req := b.request(t, http.MethodGet, "/graphql?query="+url.QueryEscape(query), nil, headers)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return b.do(t, req)
}

// ok requires a 200 answer without errors.
func ok(t *testing.T, r response) response {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "%s", r)
	require.Nil(t, r.body["errors"], "%s", r)
	return r
}

const createKeyMutation = `mutation($name: String!) { createApiKey(input: {name: $name}) {
	apiKey { id name prefix last4 mode } secret userErrors { field message code } } }`

// createKey creates an API key for the caller and returns its global ID
// and secret.
func (b *bundle) createKey(t *testing.T, key, name string) (string, string) {
	t.Helper()
	r := ok(t, b.gql(t, key, createKeyMutation, map[string]any{"name": name}, nil))
	require.Empty(t, r.data("createApiKey", "userErrors"), "%s", r)
	return r.data("createApiKey", "apiKey", "id").(string), r.data("createApiKey", "secret").(string)
}

// keyNames lists the names of the caller's merchant's API keys.
func (b *bundle) keyNames(t *testing.T, key string) []string {
	t.Helper()
	r := ok(t, b.gql(t, key, `{ apiKeys(first: 100) { edges { node { name } } } }`, nil, nil))
	var names []string
	for _, e := range r.data("apiKeys", "edges").([]any) {
		names = append(names, dig(e, "node", "name").(string))
	}
	return names
}

func count(names []string, name string) int {
	n := 0
	for _, s := range names {
		if s == name {
			n++
		}
	}
	return n
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// loginForm fetches /login and returns the CSRF cookie and form token.
func (b *bundle) loginForm(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	res, err := b.client.Get(b.ts.URL + "/login")
	require.NoError(t, err)
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	var csrf *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "kassa_csrf" {
			csrf = c
		}
	}
	require.NotNil(t, csrf, "GET /login sets no CSRF cookie")
	m := csrfField.FindSubmatch(page)
	require.NotNil(t, m, "the login form has no csrf_token: %s", page)
	return csrf, string(m[1])
}

// postLogin posts the login form.
func (b *bundle) postLogin(t *testing.T, csrf *http.Cookie, token, email, password string) *http.Response {
	t.Helper()
	form := url.Values{"email": {email}, "password": {password}}
	if token != "" {
		form.Set("csrf_token", token)
	}
	req := b.request(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if csrf != nil {
		req.AddCookie(csrf)
	}
	res, err := b.client.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// login logs in through the web page and returns the session cookie.
func (b *bundle) login(t *testing.T, email, password string) *http.Cookie {
	t.Helper()
	csrf, token := b.loginForm(t)
	res := b.postLogin(t, csrf, token, email, password)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	for _, c := range res.Cookies() {
		if c.Name == "kassa_session" {
			return c
		}
	}
	t.Fatal("login set no session cookie")
	return nil
}

// gqlCookie sends a GraphQL POST authenticated by a session cookie only.
func (b *bundle) gqlCookie(t *testing.T, session *http.Cookie, contentType string, body []byte, headers map[string]string) response {
	t.Helper()
	req := b.request(t, http.MethodPost, "/graphql", bytes.NewReader(body), headers)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.AddCookie(session)
	return b.do(t, req)
}

func jsonBody(t *testing.T, query string, vars map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	return body
}
