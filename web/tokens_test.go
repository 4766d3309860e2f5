package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestTokensMadeBeforeStillWork: new tokens are crypto/rand.Text (26
// characters); links and invitations already emailed carry the base64url
// tokens made before (32 and 43 characters), and keep working.
func TestTokensMadeBeforeStillWork(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	const old = "q3Vx_7mK-Pz0LwYb9TnRcA2sHdJe5UfG" // 24 random bytes, base64url, as made before

	t.Run("PaymentLink", func(t *testing.T) {
		var out struct {
			C struct{ PaymentLink struct{ URL string } } `json:"createPaymentLink"`
		}
		e.Query(t, `mutation { createPaymentLink(input: {amount: 10000, description: "Bokhylla"}) { paymentLink { url } } }`, nil, &out)
		token := out.C.PaymentLink.URL[strings.LastIndex(out.C.PaymentLink.URL, "/")+1:]
		require.Regexp(t, `^[A-Z2-7]{26}$`, token)
		_, err := e.SQL.Exec(`UPDATE payment_links SET token = $1 WHERE token = $2`, old, token)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, e.NewBrowser(t).Get(t, "/pay/"+old).Status)
		require.Equal(t, http.StatusNotFound, e.NewBrowser(t).Get(t, "/pay/"+token).Status)
	})

	t.Run("Invitation", func(t *testing.T) {
		// Invitations (and sessions) are looked up by the token's hash,
		// whatever its form.
		const old = "Zq3Vx_7mK-Pz0LwYb9TnRcA2sHdJe5UfGh1iJ4kLm8N" // 32 random bytes, base64url, as made before
		inv, err := e.Server.Auth().InviteUser(context.Background(), &auth.Principal{MerchantID: e.Merchant.Merchant.ID, Kind: auth.CredentialAPIKey,
			CredentialID: e.Merchant.APIKey.ID}, auth.NewUser{Email: "ola@tokens.test", Name: "Ola", Role: auth.RoleSales})
		require.NoError(t, err)
		require.Regexp(t, `^[A-Z2-7]{26}$`, inv.Token)
		_, err = e.SQL.Exec(`UPDATE memberships SET invite_token_hash = sha256(convert_to($1, 'UTF8')) WHERE invite_token_hash = sha256(convert_to($2, 'UTF8'))`, old, inv.Token)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, e.NewBrowser(t).Get(t, "/invite/"+old).Status)
	})
}
