package server_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLoginNextStaysOnSite: the page after login is a path on this site,
// whatever a link put in ?next=, including what some URL parsers would read
// as another host.
func TestLoginNextStaysOnSite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	nextField := regexp.MustCompile(`name="next" value="([^"]*)"`)
	for _, tc := range []struct {
		name, rawQuery string // rawQuery is next= as it appears in the link
		want           string
	}{
		{"Path", "/terminal", "/terminal"},
		{"PathWithQuery", "/invoices/abc%3Fx%3D1", "/invoices/abc?x=1"},
		{"EncodedSlashInPath", "/a%252Fb", "/a%2Fb"},
		{"Empty", "", "/"},
		{"TabThenSlash", "/%09/evil.example", "/"},
		{"NewlineThenSlash", "/%0a/evil.example", "/"},
		{"CarriageReturn", "/%0d/evil.example", "/"},
		{"NUL", "/%00/evil.example", "/"},
		{"DEL", "/%7f/evil.example", "/"},
		{"TabInside", "/ev%09il/%09/x", "/"},
		{"LeadingTab", "%09//evil.example", "/"},
		{"Space", "/%20/evil.example", "/"},
		{"NonBreakingSpace", "/%C2%A0/evil.example", "/"},
		{"LineSeparator", "/%E2%80%A8/evil.example", "/"},
		{"FullwidthSolidus", "/%EF%BC%8Fevil.example", "/"},
		{"SlashBackslash", "/%5Cevil.example", "/"},
		{"BackslashBackslash", "%5C%5Cevil.example", "/"},
		{"SlashBackslashSlash", "/%5C/evil.example", "/"},
		{"DoubleSlash", "//evil.example", "/"},
		{"TripleSlash", "///evil.example", "/"},
		{"EncodedDoubleSlash", "/%2f%2fevil.example", "/"},
		{"DoubleEncodedDoubleSlash", "/%252f%252fevil.example", "/"},
		{"DoubleEncodedBackslash", "/%255Cevil.example", "/"},
		{"DoubleEncodedTab", "/%2509/evil.example", "/"},
		{"DotSlashSlash", "/.//evil.example", "/"},
		{"DotDot", "/../evil.example", "/"},
		{"EncodedDot", "/%252e%252e/%252fevil.example", "/"},
		{"JavaScript", "javascript:alert(1)", "/"},
		{"JavaScriptUpper", "JaVaScRiPt:alert(1)", "/"},
		{"SlashJavaScriptTab", "/%09javascript:alert(1)", "/"},
		{"HTTP", "http://evil.example/", "/"},
		{"HTTPS", "https://evil.example/", "/"},
		{"SchemeRelative", "https:evil.example", "/"},
		{"Data", "data:text/html,hi", "/"},
		{"UserInfo", "//user@evil.example", "/"},
		{"Relative", "evil.example", "/"},
		{"Huge", "/" + strings.Repeat("a", 3000), "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := b.client.Get(b.ts.URL + "/login?next=" + tc.rawQuery)
			require.NoError(t, err)
			page, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			m := nextField.FindSubmatch(page)
			require.NotNil(t, m)
			require.Equal(t, tc.want, html.UnescapeString(string(m[1])), "the login form carries next on")

			// Posted with the form (what a forged form could send too).
			next, err := url.QueryUnescape(tc.rawQuery)
			require.NoError(t, err)
			csrf, token := b.loginForm(t)
			form := url.Values{"email": {b.a.email}, "password": {b.a.password}, "csrf_token": {token}, "next": {next}}
			req := b.request(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
			req.AddCookie(csrf)
			res, err = b.client.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
			loc := res.Header.Get("Location")
			require.Equal(t, tc.want, loc)
			u, err := url.Parse(loc)
			require.NoError(t, err)
			require.Empty(t, u.Host)
			require.Empty(t, u.Scheme)
		})
	}
}
