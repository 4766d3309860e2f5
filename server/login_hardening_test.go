package server_test

import (
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/server"
)

// TestLoginThrottleIsPerClientAddress: an attacker who fails again and
// again against a known email is throttled, and told when to retry; the
// person whose email it is still logs in from their own address.
func TestLoginThrottleIsPerClientAddress(t *testing.T) {
	t.Parallel()
	// The test server's peer is 127.0.0.1: as a trusted proxy, its
	// X-Forwarded-For gives each request the client address it names.
	b := setup(t, func(c *server.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	post := func(t *testing.T, from, email, password string) (*http.Response, string) {
		t.Helper()
		csrf, token := b.loginForm(t)
		form := url.Values{"email": {email}, "password": {password}, "csrf_token": {token}}
		req := b.request(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": from,
				"Accept-Language": "en"}) // the page speaks the browser's language; this test reads English
		req.AddCookie(csrf)
		res, err := b.client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		page, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, string(page)
	}
	const attacker, owner = "203.0.113.66", "198.51.100.20"

	throttled := 0
	for i := range 20 {
		res, page := post(t, attacker, b.a.email, "guess-"+strconv.Itoa(i))
		switch res.StatusCode {
		case http.StatusUnauthorized:
			require.Less(t, i, 5, "attempt %d was checked", i+1)
		case http.StatusTooManyRequests:
			throttled++
			secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
			require.NoError(t, err, "Retry-After %q", res.Header.Get("Retry-After"))
			require.Greater(t, secs, 0)
			require.LessOrEqual(t, secs, 15*60)
			require.Contains(t, page, "Too many failed attempts. Try again in 15 minutes.")
		default:
			t.Fatalf("attempt %d: %d %s", i+1, res.StatusCode, page)
		}
	}
	require.Equal(t, 15, throttled)

	// The owner, elsewhere, logs in.
	res, page := post(t, owner, b.a.email, b.a.password)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, page)
	// The attacker stays throttled, even with the right password.
	res, _ = post(t, attacker, b.a.email, b.a.password)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	require.NotEmpty(t, res.Header.Get("Retry-After"))
	for _, c := range res.Cookies() {
		require.NotEqual(t, "kassa_session", c.Name)
	}
	// A proxy-looking header from an untrusted hop changes nothing: the
	// rightmost address that is not a trusted proxy is the client.
	res, _ = post(t, owner+", "+attacker, b.a.email, b.a.password)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
}

// TestForwardedForIsIgnoredWithoutTrustedProxies: a client cannot escape
// the throttle by naming a new address in each request.
func TestForwardedForIsIgnoredWithoutTrustedProxies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var last int
	for i := range 7 {
		csrf, token := b.loginForm(t)
		form := url.Values{"email": {b.a.email}, "password": {"guess"}, "csrf_token": {token}}
		req := b.request(t, http.MethodPost, "/login", strings.NewReader(form.Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "192.0.2." + strconv.Itoa(i+1)})
		req.AddCookie(csrf)
		res, err := b.client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		last = res.StatusCode
	}
	require.Equal(t, http.StatusTooManyRequests, last)
}
