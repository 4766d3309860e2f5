package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"

	"kassa/server"
)

func TestOperations(t *testing.T) {
	t.Parallel()
	const metricsToken = "ops-test-metrics-token"
	b := setup(t, func(c *server.Config) { c.MetricsToken = metricsToken })
	get := func(t *testing.T, path string, headers map[string]string) (int, string, http.Header) {
		t.Helper()
		req := b.request(t, http.MethodGet, path, nil, headers)
		res, err := b.client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(body), res.Header
	}

	t.Run("HealthAndReadiness", func(t *testing.T) {
		status, body, _ := get(t, "/healthz", nil)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "ok\n", body)
		status, _, _ = get(t, "/readyz", nil)
		require.Equal(t, http.StatusOK, status)
	})

	t.Run("Metrics", func(t *testing.T) {
		ok(t, b.gql(t, b.a.Secret, `query Metered { viewer { merchant { id } } }`, nil, nil))
		status, body, h := get(t, "/metrics", map[string]string{"Authorization": "Bearer " + metricsToken})
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, h.Get("Content-Type"), "text/plain")
		for _, want := range []string{
			`kassa_http_request_duration_seconds_bucket{method="POST",route="/graphql",status="200"`,
			`kassa_graphql_operation_duration_seconds_bucket{operation="Metered",type="query"`,
			`go_sql_open_connections{db_name="kassa_app"}`,
			`go_sql_max_open_connections{db_name="kassa_system"}`,
			`go_goroutines`,
		} {
			require.Contains(t, body, want)
		}
	})

	t.Run("EveryResponseHasARequestID", func(t *testing.T) {
		seen := map[string]bool{}
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/graphql", "/login", "/nowhere", "/graphiql"} {
			_, _, h := get(t, path, nil)
			id := h.Get("X-Request-Id")
			require.Regexp(t, `^req_[A-Z2-7]{26}$`, id, path)
			require.False(t, seen[id])
			seen[id] = true
		}
	})

	t.Run("SaneRequestIDIsEchoed", func(t *testing.T) {
		r := b.gql(t, b.a.Secret, `{ viewer { merchant { id } } }`, nil, map[string]string{"X-Request-Id": "client-req.42_A"})
		require.Equal(t, "client-req.42_A", r.header.Get("X-Request-Id"))
		for _, insane := range []string{"has space", strings.Repeat("x", 65), "quote\"", "new\u00e9"} {
			_, _, h := get(t, "/healthz", map[string]string{"X-Request-Id": insane})
			require.Regexp(t, `^req_[A-Z2-7]{26}$`, h.Get("X-Request-Id"), insane)
		}
	})

	t.Run("UnknownPathIsJSON404", func(t *testing.T) {
		req := b.request(t, http.MethodGet, "/nowhere", nil, nil)
		r := b.do(t, req)
		require.Equal(t, http.StatusNotFound, r.status)
		require.Equal(t, "NOT_FOUND", r.code())
	})

	t.Run("UnknownPageIsAPageForABrowser", func(t *testing.T) {
		browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
		status, body, h := get(t, "/nowhere", map[string]string{"Accept": browser, "Accept-Language": "sv-SE,sv;q=0.9"})
		require.Equal(t, http.StatusNotFound, status)
		require.Contains(t, h.Get("Content-Type"), "text/html")
		require.Contains(t, h.Get("Content-Security-Policy"), "script-src 'self'")
		require.Contains(t, body, `<html lang="sv">`)
		require.Contains(t, body, "Sidan finns inte")
		require.Contains(t, body, `href="/"`, "a way home")
		require.Contains(t, body, `/static/kassa.css`, "in the site's style")
		status, body, _ = get(t, "/nowhere", map[string]string{"Accept": browser, "Accept-Language": "en-GB"})
		require.Equal(t, http.StatusNotFound, status)
		require.Contains(t, body, "Page not found")

		for name, hdr := range map[string]map[string]string{
			"AsksForJSON":  {"Accept": "application/json"},
			"JSONFirst":    {"Accept": "application/json, text/html"},
			"AnyType":      {"Accept": "*/*"},
			"NoAcceptSent": {},
		} {
			status, body, h := get(t, "/nowhere", hdr)
			require.Equal(t, http.StatusNotFound, status, name)
			require.Contains(t, h.Get("Content-Type"), "application/json", name)
			require.Contains(t, body, `"NOT_FOUND"`, name)
		}
		status, body, h = get(t, "/graphql/nowhere", map[string]string{"Accept": browser})
		require.Equal(t, http.StatusNotFound, status)
		require.Contains(t, h.Get("Content-Type"), "application/json", "under the API's path: its error")
		require.Contains(t, body, `"NOT_FOUND"`)
	})

	t.Run("GraphiQL", func(t *testing.T) {
		status, body, h := get(t, "/graphiql", nil)
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, body, "/static/vendor/graphiql.js")
		require.Contains(t, body, "/static/graphiql-init.js")
		require.NotContains(t, body, "https://", "served from the binary, no CDN")
		require.NotContains(t, body, "<script>", "no inline script")
		csp := h.Get("Content-Security-Policy")
		require.Contains(t, csp, "script-src 'self';", "GraphiQL's scripts are same-origin, like every page's")
		require.NotContains(t, csp, "unsafe-eval")
		require.Contains(t, csp, "default-src 'self'")
		for _, path := range []string{"/static/vendor/graphiql.js", "/static/vendor/react.js", "/static/vendor/react-dom.js",
			"/static/vendor/graphql-ws.js", "/static/vendor/graphiql.css", "/static/graphiql-init.js"} {
			status, _, _ := get(t, path, nil)
			require.Equal(t, http.StatusOK, status, path)
		}
		_, _, h = get(t, "/login", nil)
		require.Contains(t, h.Get("Content-Security-Policy"), "default-src 'self'")
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	})
}

// TestLogs runs a flow that handles every kind of secret and then reads
// the whole log.
func TestLogs(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ok(t, b.gql(t, b.a.Secret, `{ viewer { merchant { id } } }`, nil, map[string]string{"X-Request-Id": "logs-viewer-1"}))
	_, newSecret := b.createKey(t, b.a.Secret, "logged key")
	ok(t, b.gql(t, newSecret, `{ viewer { merchant { id } } }`, nil, nil))
	b.gql(t, "kassa_test_wrongwrongwrongwrongwrongwrongwrongwrongwro", `{ viewer { merchant { id } } }`, nil, nil)
	r := ok(t, b.gql(t, b.a.Secret, `mutation { createUser(input: {email: "logme@a.example.com", role: ADMIN, password: "hunter2hunter2"}) { user { id } } }`, nil, nil))
	require.NotNil(t, r.data("createUser", "user"))
	inv := ok(t, b.gql(t, b.a.Secret, `mutation { inviteUser(input: {email: "new@a.example.com", role: SALES}) { inviteUrl } }`, nil, nil))
	inviteURL, err := url.Parse(inv.data("inviteUser", "inviteUrl").(string))
	require.NoError(t, err)
	inviteToken := strings.TrimPrefix(inviteURL.Path, "/invite/")
	res, err := b.client.Get(b.ts.URL + inviteURL.Path)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	session := b.login(t, "logme@a.example.com", "hunter2hunter2")
	csrf, _ := b.loginForm(t)
	b.postLogin(t, csrf, csrf.Value, "logme@a.example.com", "wrong-pass-for-log")
	ok(t, b.gqlCookie(t, session, "application/json", jsonBody(t, `{ viewer { user { id } } }`, nil), nil))

	lines := b.logs.lines(t)
	require.NotEmpty(t, lines)
	all := b.logs.String()
	for name, secret := range map[string]string{
		"api key":          b.a.Secret,
		"new api key":      newSecret,
		"wrong api key":    "kassa_test_wrongwrongwrong",
		"password":         "hunter2hunter2",
		"owner password":   b.a.password,
		"wrong password":   "wrong-pass-for-log",
		"session cookie":   session.Value,
		"invite token":     inviteToken,
		"csrf token":       csrf.Value,
		"api key secret":   newSecret[len("kassa_test_") : len(newSecret)-4],
		"first key's tail": b.a.Secret[len("kassa_test_"):],
	} {
		require.NotContains(t, all, secret, "the log holds the %s", name)
	}

	var viewerLine map[string]any
	authenticated := 0
	for _, l := range lines {
		require.NotEmpty(t, l["time"])
		require.NotEmpty(t, l["level"])
		require.NotEmpty(t, l["msg"])
		if l["msg"] != "http request" {
			continue
		}
		require.NotEmpty(t, l["request_id"], "%v", l)
		if l["request_id"] == "logs-viewer-1" {
			viewerLine = l
		}
		if l["path"] == "/graphql" && l["status"] == float64(http.StatusOK) {
			authenticated++
			require.NotEmpty(t, l["merchant_id"], "an authenticated request is logged without its merchant: %v", l)
		}
	}
	require.NotNil(t, viewerLine, "no access log line for the request")
	require.Equal(t, b.a.Merchant.ID.String(), viewerLine["merchant_id"])
	require.Equal(t, "POST", viewerLine["method"])
	require.EqualValues(t, http.StatusOK, viewerLine["status"])
	require.Greater(t, authenticated, 3)
}

func TestWebsocket(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wsURL := "ws" + strings.TrimPrefix(b.ts.URL, "http") + "/graphql"
	dial := func(t *testing.T, ctx context.Context) *websocket.Conn {
		t.Helper()
		c, res, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		require.NoError(t, err)
		require.Equal(t, "graphql-transport-ws", res.Header.Get("Sec-Websocket-Protocol"))
		t.Cleanup(func() { c.CloseNow() })
		return c
	}

	t.Run("KeyInConnectionInitIsAcked", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := dial(t, ctx)
		require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + b.a.Secret}}))
		var msg map[string]any
		require.NoError(t, wsjson.Read(ctx, c, &msg))
		require.Equal(t, "connection_ack", msg["type"])

		// The connection acts as the key's merchant.
		require.NoError(t, wsjson.Write(ctx, c, map[string]any{"id": "1", "type": "subscribe",
			"payload": map[string]any{"query": `{ viewer { merchant { name } } }`}}))
		for {
			msg = nil
			require.NoError(t, wsjson.Read(ctx, c, &msg))
			if msg["type"] != "ping" && msg["type"] != "pong" && msg["type"] != "ka" {
				break
			}
		}
		require.Equal(t, "next", msg["type"], "%v", msg)
		require.Equal(t, "Shop A AB", dig(msg, "payload", "data", "viewer", "merchant", "name"), "%v", msg)
	})

	t.Run("SessionCookieFromOwnOrigin", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		session := b.login(t, b.a.email, b.a.password)
		c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader: http.Header{"Cookie": {session.Name + "=" + session.Value}}})
		require.NoError(t, err)
		defer c.CloseNow()
		require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init"}))
		var msg map[string]any
		require.NoError(t, wsjson.Read(ctx, c, &msg))
		require.Equal(t, "connection_ack", msg["type"])
	})

	t.Run("SessionCookieFromAnotherOriginIsRefused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		session := b.login(t, b.a.email, b.a.password)
		c, res, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader: http.Header{"Cookie": {session.Name + "=" + session.Value}, "Origin": {"https://evil.example"}}})
		require.Error(t, err)
		require.Nil(t, c)
		require.Equal(t, http.StatusBadRequest, res.StatusCode)
	})

	for name, payload := range map[string]map[string]any{
		"BadKeyIsRefused":      {"Authorization": "Bearer kassa_test_nope"},
		"WrongSchemeIsRefused": {"Authorization": "Basic " + b.a.Secret},
		"NoKeyIsRefused":       {},
		"NullPayloadIsRefused": nil,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := dial(t, ctx)
			require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": payload}))
			for {
				var msg map[string]any
				err := wsjson.Read(ctx, c, &msg)
				if err != nil {
					require.NotErrorIs(t, err, context.DeadlineExceeded, "the server neither refused nor closed")
					return
				}
				require.NotEqual(t, "connection_ack", msg["type"], "%v", msg)
				require.NotEqual(t, "next", msg["type"], "%v", msg)
			}
		})
	}
}
