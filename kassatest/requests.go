package kassatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// UserGlobalID is a user's GraphQL id.
func UserGlobalID(id uuid.UUID) string { return "usr_" + strings.ReplaceAll(id.String(), "-", "") }

// PaymentGlobalID is a payment's GraphQL id, of a uuid.UUID or a
// gid.PaymentID (both print as the dashed UUID).
func PaymentGlobalID(id fmt.Stringer) string {
	return "pay_" + strings.ReplaceAll(id.String(), "-", "")
}

// UserError is one of a payload's userErrors.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// GraphQLError is a top-level error of a GraphQL answer.
type GraphQLError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// Response is a GraphQL answer.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []GraphQLError  `json:"errors"`
	Raw    []byte          `json:"-"`
}

// Decode reads the data into v, failing t on top-level errors.
func (r Response) Decode(t *testing.T, v any) {
	t.Helper()
	require.Empty(t, r.Errors, "%s", r.Raw)
	require.NoError(t, json.Unmarshal(r.Data, v), "%s", r.Raw)
}

// Code is the first top-level error's code, or "".
func (r Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Codes are the codes of userErrors.
func Codes(errs []UserError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Code
	}
	return out
}

// GraphQL posts a request with the merchant's API key.
func (e *Env) GraphQL(t *testing.T, query string, vars map[string]any) Response {
	t.Helper()
	return e.GraphQLKey(t, e.APIKey, query, vars)
}

// GraphQLKey posts a request with an API key; header is more header
// names and values, in pairs.
func (e *Env) GraphQLKey(t *testing.T, key, query string, vars map[string]any, header ...string) Response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + key}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	c := e.Client
	if c == nil {
		c = http.DefaultClient
	}
	return e.graphql(t, c, h, query, vars)
}

// GraphQLAs posts a request as a logged-in browser (its session cookie).
func (e *Env) GraphQLAs(t *testing.T, b *Browser, query string, vars map[string]any) Response {
	t.Helper()
	return e.graphql(t, b.Client, nil, query, vars)
}

// GraphQLAsWith is GraphQLAs with extra headers (an Idempotency-Key).
func (e *Env) GraphQLAsWith(t *testing.T, b *Browser, headers map[string]string, query string, vars map[string]any) Response {
	t.Helper()
	return e.graphql(t, b.Client, headers, query, vars)
}

// Query posts a request with the merchant's API key, requires a 200
// answer without top-level errors, and decodes its data into out unless
// out is nil. header is more header names and values, in pairs.
func (e *Env) Query(t *testing.T, query string, vars map[string]any, out any, header ...string) {
	t.Helper()
	e.QueryKey(t, e.APIKey, query, vars, out, header...)
}

// QueryKey is Query with another API key.
func (e *Env) QueryKey(t *testing.T, key, query string, vars map[string]any, out any, header ...string) {
	t.Helper()
	r := e.GraphQLKey(t, key, query, vars, header...)
	require.Equal(t, http.StatusOK, r.Status, "GraphQL answered %d: %s", r.Status, r.Raw)
	require.Empty(t, r.Errors, "GraphQL errors for %s: %s", query, r.Raw)
	if out != nil {
		require.NoError(t, json.Unmarshal(r.Data, out), "%s", r.Raw)
	}
}

func (e *Env) graphql(t *testing.T, c *http.Client, headers map[string]string, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	r := Response{Status: res.StatusCode, Raw: raw}
	require.NoError(t, json.Unmarshal(raw, &r), "%d %s", res.StatusCode, raw)
	return r
}

// Browser is an HTTP client with its own cookies: a logged-in person
// without a real browser. It does not follow redirects.
type Browser struct {
	Client *http.Client
	env    *Env
}

// Page is an HTTP answer.
type Page struct {
	Status   int
	Location string
	Body     string
}

// NewBrowser returns a client with an empty cookie jar.
func (e *Env) NewBrowser(t *testing.T) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &Browser{env: e, Client: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Login logs s in through the login page.
func (e *Env) Login(t *testing.T, s Staff) *Browser {
	t.Helper()
	b := e.NewBrowser(t)
	form := b.Get(t, "/login")
	require.Equal(t, http.StatusOK, form.Status)
	p := b.Post(t, "/login", url.Values{"csrf_token": {Field(t, form.Body, "csrf_token")}, "email": {s.Email}, "password": {s.Password}, "next": {"/terminal"}})
	require.Equal(t, http.StatusSeeOther, p.Status, "login of %s: %s", s.Email, p.Body)
	return b
}

// Get fetches path.
func (b *Browser) Get(t *testing.T, path string) Page {
	t.Helper()
	res, err := b.Client.Get(b.env.URL + path)
	require.NoError(t, err)
	return read(t, res)
}

// Post submits a form to path.
func (b *Browser) Post(t *testing.T, path string, form url.Values) Page {
	t.Helper()
	res, err := b.Client.PostForm(b.env.URL+path, form)
	require.NoError(t, err)
	return read(t, res)
}

func read(t *testing.T, res *http.Response) Page {
	t.Helper()
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return Page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(raw)}
}

// Field returns the value of the named input in a page.
func Field(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`).FindStringSubmatch(body)
	require.NotNil(t, m, "no input %q in the page", name)
	return html.UnescapeString(m[1])
}

// Expiry is a card expiry date three years ahead, as MM/YY.
func Expiry() string { return fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100) }

// Test card numbers (the simulator's).
const (
	CardOK         = "4242424242424242"
	CardDeclined   = "4000000000000002"
	CardMastercard = "5555555555554444"
	CardNoFunds    = "4000000000009995"
)

// ScanForCards dumps the whole database and fails t if any card number
// (with or without spaces or dashes) is in the dump or in the logs.
func (e *Env) ScanForCards(t *testing.T, numbers ...string) {
	t.Helper()
	dump := PGDump(t, e.DBURL)
	require.Greater(t, len(dump), 10000, "the dump is suspiciously small")
	require.Contains(t, dump, "terminal_payments", "the dump misses the terminal's table")
	logs := e.Logs.String()
	for _, n := range numbers {
		for _, form := range []string{n, group(n, " "), group(n, "-")} {
			if line := lineWith(dump, form); line != "" {
				t.Errorf("card number %s is in the database dump: %s", form, line)
			}
			if line := lineWith(logs, form); line != "" {
				t.Errorf("card number %s is in the logs: %s", form, line)
			}
		}
	}
}

// lineWith returns the first line of s that holds sub, or "".
func lineWith(s, sub string) string {
	i := strings.Index(s, sub)
	if i < 0 {
		return ""
	}
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

func group(n, sep string) string {
	var parts []string
	for i := 0; i < len(n); i += 4 {
		parts = append(parts, n[i:min(i+4, len(n))])
	}
	return strings.Join(parts, sep)
}

// PGDump returns a plain-text dump of the database at url.
func PGDump(t *testing.T, dbURL string) string {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin/pg_dump"
	if _, err := os.Stat(bin); err != nil {
		bin, err = exec.LookPath("pg_dump")
		require.NoError(t, err, "pg_dump is not installed (apt-get install postgresql-client)")
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, "--no-owner", "--no-privileges", "--dbname="+dbURL)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), "pg_dump: %s", stderr.String())
	return out.String()
}
