package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// postWith submits form to path in b's session with extra headers.
func postWith(t *testing.T, e *kassatest.Env, b *kassatest.Browser, path string, form url.Values, header map[string]string) kassatest.Page {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.Client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	return kassatest.Page{Status: res.StatusCode, Location: res.Header.Get("Location")}
}

// TestTerminalCSRFIsBoundToTheSession: the terminal's form token was a
// double-submit cookie, so whoever could plant that cookie (a sibling
// subdomain) could forge a charge, and a post from an opaque origin
// ("Origin: null": a sandboxed frame, a data: URL) was let through.
func TestTerminalCSRFIsBoundToTheSession(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	sales := e.AddStaff(t, "Sigge Säljare", "sigge@snickeri.test", auth.RoleSales)
	a, b := e.Login(t, sales), e.Login(t, sales)
	payments := func() int { return e.Count(t, `SELECT count(*) FROM payments`) }

	t.Run("TokenOfAnotherSessionIsRefused", func(t *testing.T) {
		pageA := a.Get(t, "/terminal").Body
		form := chargeForm(t, pageA, "10", kassatest.CardOK, nil)
		// The attacker also plants the token as b's double-submit cookie.
		u, err := url.Parse(e.URL)
		require.NoError(t, err)
		b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "kassa_csrf", Value: form.Get("csrf_token"), Path: "/"}})
		before := payments()
		require.Equal(t, http.StatusForbidden, b.Post(t, "/terminal", form).Status)
		require.Equal(t, before, payments())
	})
	t.Run("OpaqueOriginIsRefused", func(t *testing.T) {
		form := chargeForm(t, a.Get(t, "/terminal").Body, "11", kassatest.CardOK, nil)
		before := payments()
		require.Equal(t, http.StatusForbidden, postWith(t, e, a, "/terminal", form, map[string]string{"Origin": "null"}).Status)
		require.Equal(t, before, payments())
	})
	t.Run("CrossOriginIsRefused", func(t *testing.T) {
		form := chargeForm(t, a.Get(t, "/terminal").Body, "12", kassatest.CardOK, nil)
		before := payments()
		require.Equal(t, http.StatusForbidden, postWith(t, e, a, "/terminal", form, map[string]string{"Origin": "https://evil.example"}).Status)
		require.Equal(t, http.StatusForbidden, postWith(t, e, a, "/terminal", form, map[string]string{"Referer": "https://evil.example/x"}).Status)
		require.Equal(t, before, payments())
	})
	t.Run("SameSessionAndOriginCharges", func(t *testing.T) {
		form := chargeForm(t, a.Get(t, "/terminal").Body, "13", kassatest.CardOK, nil)
		before := payments()
		p := postWith(t, e, a, "/terminal", form, map[string]string{"Origin": e.URL, "Referer": e.URL + "/terminal"})
		require.Equal(t, http.StatusSeeOther, p.Status)
		require.Equal(t, before+1, payments())
	})
	t.Run("ActionsNeedTheSessionsToken", func(t *testing.T) {
		id := paymentIDOf(t, a.Post(t, "/terminal", chargeForm(t, a.Get(t, "/terminal").Body, "14", kassatest.CardOK,
			url.Values{"captureMode": {"RESERVE"}})))
		tokenA := kassatest.Field(t, a.Get(t, "/terminal/payments/"+id.String()).Body, "csrf_token")
		void := url.Values{"csrf_token": {tokenA}, "back": {"/terminal"}}
		require.Equal(t, http.StatusForbidden, b.Post(t, "/terminal/payments/"+id.String()+"/void", void).Status)
		require.Equal(t, http.StatusForbidden, postWith(t, e, a, "/terminal/payments/"+id.String()+"/void", void, map[string]string{"Origin": "null"}).Status)
		require.Equal(t, "AUTHORIZED", status(t, e, id))
	})
	t.Run("LogoutFromTheTerminal", func(t *testing.T) {
		c := e.Login(t, sales)
		token := kassatest.Field(t, c.Get(t, "/terminal").Body, "csrf_token")
		p := c.Post(t, "/logout", url.Values{"csrf_token": {token}})
		require.Equal(t, http.StatusSeeOther, p.Status)
		require.Equal(t, "/login", p.Location)
		require.Equal(t, http.StatusSeeOther, c.Get(t, "/terminal").Status, "logged out")
	})
}
