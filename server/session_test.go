package server_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/server"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const viewer = `{ viewer { merchant { name } user { email role } } }`

	t.Run("LoginFormSetsCSRFCookie", func(t *testing.T) {
		csrf, token := b.loginForm(t)
		require.Equal(t, csrf.Value, token)
		require.GreaterOrEqual(t, len(token), 32)
		require.True(t, csrf.HttpOnly)
	})

	t.Run("LoginWithoutOrWithWrongCSRFTokenIs403", func(t *testing.T) {
		csrf, token := b.loginForm(t)
		for name, tc := range map[string]struct {
			cookie *http.Cookie
			token  string
		}{
			"NoToken":    {csrf, ""},
			"WrongToken": {csrf, strings.Repeat("A", len(token))},
			"NoCookie":   {nil, token},
		} {
			t.Run(name, func(t *testing.T) {
				res := b.postLogin(t, tc.cookie, tc.token, b.a.email, b.a.password)
				require.Equal(t, http.StatusForbidden, res.StatusCode)
				for _, c := range res.Cookies() {
					require.NotEqual(t, "kassa_session", c.Name)
				}
			})
		}
	})

	t.Run("LoginFromAnotherOriginIs403", func(t *testing.T) {
		csrf, token := b.loginForm(t)
		form := url.Values{"email": {b.a.email}, "password": {b.a.password}, "csrf_token": {token}}
		req := b.request(t, http.MethodPost, "/login", strings.NewReader(form.Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"})
		req.AddCookie(csrf)
		require.Equal(t, http.StatusForbidden, b.do(t, req).status)
	})

	var session *http.Cookie
	t.Run("LoginSetsSessionCookie", func(t *testing.T) {
		csrf, token := b.loginForm(t)
		res := b.postLogin(t, csrf, token, b.a.email, b.a.password)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Equal(t, "/", res.Header.Get("Location"))
		for _, c := range res.Cookies() {
			if c.Name == "kassa_session" {
				session = c
			}
		}
		require.NotNil(t, session)
		require.True(t, session.HttpOnly)
		require.Equal(t, http.SameSiteLaxMode, session.SameSite)
		require.False(t, session.Secure, "plain-http public URL")
		require.Greater(t, session.MaxAge, 0)
		require.NotEmpty(t, session.Value)
	})
	require.NotNil(t, session)

	t.Run("JSONPostWithCookieWorks", func(t *testing.T) {
		r := ok(t, b.gqlCookie(t, session, "application/json", jsonBody(t, viewer, nil), nil))
		require.Equal(t, "Shop A AB", r.data("viewer", "merchant", "name"))
		require.Equal(t, b.a.email, r.data("viewer", "user", "email"))
		require.Equal(t, "OWNER", r.data("viewer", "user", "role"))
	})

	multipartBody := func(t *testing.T) ([]byte, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		require.NoError(t, mw.WriteField("operations", string(jsonBody(t, viewer, nil))))
		require.NoError(t, mw.Close())
		return buf.Bytes(), mw.FormDataContentType()
	}

	t.Run("SimpleContentTypesWithCookieAreRejected", func(t *testing.T) {
		mp, mpType := multipartBody(t)
		for _, tc := range []struct {
			contentType string
			body        []byte
		}{
			{"text/plain", jsonBody(t, viewer, nil)},
			{"text/plain; charset=utf-8", jsonBody(t, viewer, nil)},
			{"application/x-www-form-urlencoded", []byte("query=" + url.QueryEscape(viewer))},
			{mpType, mp},
			{"", jsonBody(t, viewer, nil)},
		} {
			r := b.gqlCookie(t, session, tc.contentType, tc.body, nil)
			require.Equal(t, http.StatusBadRequest, r.status, "%q: %s", tc.contentType, r)
			require.Equal(t, "CSRF_REJECTED", r.code(), "%q", tc.contentType)
			require.Nil(t, r.data("viewer"))
		}
	})

	t.Run("CustomHeaderPassesTheCSRFRule", func(t *testing.T) {
		r := ok(t, b.gqlCookie(t, session, "", jsonBody(t, viewer, nil), map[string]string{"X-Kassa-CSRF": "1", "Content-Type": "application/json"}))
		require.Equal(t, "Shop A AB", r.data("viewer", "merchant", "name"))
		mp, mpType := multipartBody(t)
		for _, tc := range []struct {
			contentType string
			body        []byte
		}{
			{"text/plain", jsonBody(t, viewer, nil)},
			{"application/x-www-form-urlencoded", []byte("query=" + url.QueryEscape(viewer))},
			{mpType, mp},
		} {
			r := b.gqlCookie(t, session, tc.contentType, tc.body, map[string]string{"X-Kassa-CSRF": "1"})
			require.NotEqual(t, "CSRF_REJECTED", r.code(), "%q: %s", tc.contentType, r)
			require.NotEqual(t, http.StatusUnauthorized, r.status, "%q: %s", tc.contentType, r)
		}
	})

	t.Run("GETWithCookieNeedsCustomHeader", func(t *testing.T) {
		get := func(headers map[string]string) response {
			req := b.request(t, http.MethodGet, "/graphql?query="+url.QueryEscape(viewer), nil, headers)
			req.AddCookie(session)
			return b.do(t, req)
		}
		r := get(nil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r)
		require.Equal(t, "CSRF_REJECTED", r.code())
		r = ok(t, get(map[string]string{"X-Kassa-CSRF": "1"}))
		require.Equal(t, "Shop A AB", r.data("viewer", "merchant", "name"))
	})

	t.Run("LogoutEndsTheSession", func(t *testing.T) {
		csrf, token := b.loginForm(t)
		own := b.login(t, b.a.email, b.a.password)
		ok(t, b.gqlCookie(t, own, "application/json", jsonBody(t, viewer, nil), nil))

		req := b.request(t, http.MethodPost, "/logout", strings.NewReader(url.Values{"csrf_token": {token}}.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		req.AddCookie(csrf)
		req.AddCookie(own)
		res, err := b.client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		cleared := false
		for _, c := range res.Cookies() {
			if c.Name == "kassa_session" && c.MaxAge < 0 {
				cleared = true
			}
		}
		require.True(t, cleared, "logout does not clear the cookie")

		r := b.gqlCookie(t, own, "application/json", jsonBody(t, viewer, nil), nil)
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r)
		require.Equal(t, "UNAUTHENTICATED", r.code())
		// The other session lives on.
		ok(t, b.gqlCookie(t, session, "application/json", jsonBody(t, viewer, nil), nil))
	})

	t.Run("DeactivatedUsersSessionEnds", func(t *testing.T) {
		r := ok(t, b.gql(t, b.a.Secret, `mutation { createUser(input: {email: "temp@a.example.com", role: ADMIN, password: "temp password"}) { user { id } } }`, nil, nil))
		id := r.data("createUser", "user", "id").(string)
		s := b.login(t, "temp@a.example.com", "temp password")
		ok(t, b.gqlCookie(t, s, "application/json", jsonBody(t, viewer, nil), nil))
		ok(t, b.gql(t, b.a.Secret, `mutation($id: ID!) { deactivateUser(input: {userId: $id}) { userErrors { code } } }`, map[string]any{"id": id}, nil))
		require.Equal(t, http.StatusUnauthorized, b.gqlCookie(t, s, "application/json", jsonBody(t, viewer, nil), nil).status)
	})

	t.Run("WrongPasswordThenLockout", func(t *testing.T) {
		ok(t, b.gql(t, b.a.Secret, `mutation { createUser(input: {email: "clumsy@a.example.com", role: SALES, password: "the real password"}) { user { id } } }`, nil, nil))
		csrf, token := b.loginForm(t)
		post := func(password string) (int, string) {
			form := url.Values{"email": {"clumsy@a.example.com"}, "password": {password}, "csrf_token": {token}}
			req := b.request(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"})
			req.AddCookie(csrf)
			res, err := b.client.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			page, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			for _, c := range res.Cookies() {
				require.NotEqual(t, "kassa_session", c.Name)
			}
			return res.StatusCode, string(page)
		}
		for i := range 5 {
			status, page := post("wrong password")
			require.Equal(t, http.StatusUnauthorized, status, "attempt %d", i+1)
			require.Contains(t, page, "Wrong email or password")
		}
		// Locked now, even with the right password.
		status, page := post("the real password")
		require.Equal(t, http.StatusTooManyRequests, status)
		require.Contains(t, page, "Too many failed attempts")
		require.NotContains(t, b.logs.String(), "the real password")
		require.NotContains(t, b.logs.String(), "wrong password")
	})
}

func TestSessionCookieIsSecureBehindHTTPS(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *server.Config) { c.PublicURL = "https://kassa.example" })
	c := b.login(t, b.a.email, b.a.password)
	require.True(t, c.Secure)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
}
