package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// Every posted form is checked once for text that cannot be used (NUL,
// invalid UTF-8, control characters): the terminal, the payment page and
// the invitation page answer 422 with the field named, keep what was
// typed, and change nothing. A NUL in a terminal description used to be
// 503.
func TestFormsRefuseUnusableText(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	owner := e.AddStaff(t, "Olle Ägare", "olle@forms.test", auth.RoleOwner)
	b := english(e.Login(t, owner))
	payments := func() int { return e.Count(t, `SELECT count(*) FROM payments`) }

	for name, bad := range map[string]string{"NUL": "Bokhylla\x00", "Escape": "Bok\x1b[2J", "InvalidUTF8": "Bok\xffhylla"} {
		t.Run("Terminal/"+name, func(t *testing.T) {
			before := payments()
			form := chargeForm(t, b.Get(t, "/terminal").Body, "10", kassatest.CardOK, url.Values{"description": {bad}})
			p := b.Post(t, "/terminal", form)
			require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
			require.Contains(t, p.Body, "The field description contains characters that cannot be used")
			require.Contains(t, p.Body, `value="10"`, "what was typed is kept")
			require.Equal(t, before, payments())
		})
	}

	t.Run("PaymentPage", func(t *testing.T) {
		var out struct {
			C struct{ PaymentLink struct{ URL string } } `json:"createPaymentLink"`
		}
		e.Query(t, `mutation { createPaymentLink(input: {amount: 10000, description: "Bokhylla"}) { paymentLink { url } } }`, nil, &out)
		c := e.NewBrowser(t)
		page := c.Get(t, out.C.PaymentLink.URL[len(e.URL):])
		require.Equal(t, http.StatusOK, page.Status)
		form := url.Values{"cardNumber": {kassatest.CardOK}, "expiry": {kassatest.Expiry()}, "cvc": {"123"}, "cardholder": {"Anna\x00"}, "email": {"anna@example.com"}}
		for _, f := range []string{"csrf_token", "checkout", "attempt"} {
			form.Set(f, kassatest.Field(t, page.Body, f))
		}
		before := payments()
		p := c.Post(t, out.C.PaymentLink.URL[len(e.URL):], form)
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
		require.Contains(t, p.Body, "Fältet cardholder innehåller tecken som inte kan användas")
		require.Contains(t, p.Body, "anna@example.com", "what was typed is kept")
		require.Equal(t, before, payments())
	})

	t.Run("InvitationPage", func(t *testing.T) {
		inv, err := e.Server.Auth().InviteUser(context.Background(), &auth.Principal{MerchantID: e.Merchant.Merchant.ID, Kind: auth.CredentialAPIKey,
			CredentialID: e.Merchant.APIKey.ID}, auth.NewUser{Email: "nina@forms.test", Name: "Nina", Role: auth.RoleSales})
		require.NoError(t, err)
		c := e.NewBrowser(t)
		page := c.Get(t, "/invite/"+inv.Token)
		require.Equal(t, http.StatusOK, page.Status)
		p := c.Post(t, "/invite/"+inv.Token, url.Values{"csrf_token": {kassatest.Field(t, page.Body, "csrf_token")},
			"name": {"Nina\x00"}, "password": {"a long enough password"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
		require.Contains(t, p.Body, "name")
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM memberships WHERE status = 'INVITED'`), "the invitation is still open")
	})
}
