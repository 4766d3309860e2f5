package web_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

// TestInvitationPageSpeaksTheInvitationsLanguage: the invitation email is
// in the merchant's language (Swedish) but its page was English, and it
// asked for the name the owner had already given.
func TestInvitationPageSpeaksTheInvitationsLanguage(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	invite := func(t *testing.T, secret, email, name string) string {
		t.Helper()
		var out struct {
			InviteUser struct {
				InviteURL  string                `json:"inviteUrl"`
				UserErrors []kassatest.UserError `json:"userErrors"`
			} `json:"inviteUser"`
		}
		e.GraphQLKey(t, secret, `mutation($email: String!, $name: String) { inviteUser(input: {email: $email, name: $name, role: SALES}) { inviteUrl userErrors { code } } }`,
			map[string]any{"email": email, "name": name}).Decode(t, &out)
		require.Empty(t, out.InviteUser.UserErrors)
		u, err := url.Parse(out.InviteUser.InviteURL)
		require.NoError(t, err)
		return u.Path
	}
	get := func(t *testing.T, path, acceptLanguage string) kassatest.Page {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.URL+path, nil)
		require.NoError(t, err)
		if acceptLanguage != "" {
			req.Header.Set("Accept-Language", acceptLanguage)
		}
		b := e.NewBrowser(t)
		res, err := b.Client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return kassatest.Page{Status: res.StatusCode, Body: string(body)}
	}

	t.Run("SwedishMerchantSwedishPageWithTheGivenName", func(t *testing.T) {
		path := invite(t, e.APIKey, "sam@snickeri.test", `Sam "Säljare" Ek`)
		for _, al := range []string{"", "en-US,en;q=0.9"} {
			p := get(t, path, al)
			require.Equal(t, http.StatusOK, p.Status)
			require.Contains(t, p.Body, `<html lang="sv">`, al)
			require.Contains(t, p.Body, "Gå med i "+e.Merchant.Merchant.Name)
			require.Contains(t, p.Body, "Välj ett lösenord")
			require.Contains(t, p.Body, `value="Sam &#34;Säljare&#34; Ek"`, "the name the owner gave, prefilled and escaped")
			require.NotContains(t, p.Body, "Choose a password")
		}
	})
	t.Run("ErrorsInTheSameLanguageKeepTheName", func(t *testing.T) {
		path := invite(t, e.APIKey, "siv@snickeri.test", "Siv")
		b := e.NewBrowser(t)
		page := b.Get(t, path)
		p := b.Post(t, path, url.Values{"csrf_token": {kassatest.Field(t, page.Body, "csrf_token")}, "lang": {kassatest.Field(t, page.Body, "lang")},
			"name": {"Siv Sjö"}, "password": {"short"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, "Lösenordet måste vara 10–200 tecken.")
		require.Contains(t, p.Body, `value="Siv Sjö"`)
	})
	t.Run("EnglishMerchantEnglishPage", func(t *testing.T) {
		other, secret := e.NewMerchant(t, "Carpentry Ltd")
		_, err := e.SQL.Exec(`UPDATE merchants SET locale = 'en' WHERE id = $1`, other.Merchant.ID)
		require.NoError(t, err)
		p := get(t, invite(t, secret, "ann@carpentry.test", "Ann"), "sv-SE")
		require.Contains(t, p.Body, `<html lang="en">`)
		require.Contains(t, p.Body, "Join Carpentry Ltd")
		require.Contains(t, p.Body, `value="Ann"`)
	})
	t.Run("UnknownInvitationInTheBrowsersLanguage", func(t *testing.T) {
		p := get(t, "/invite/nosuchtoken", "sv-SE,sv;q=0.9")
		require.Equal(t, http.StatusGone, p.Status)
		require.Contains(t, p.Body, "Inbjudan gäller inte")
	})
}
