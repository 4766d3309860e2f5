package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestStaffPagesSpeakSwedishAndEnglish: the login page and the web
// terminal speak the browser's language (Accept-Language), else the
// merchant's (Swedish), and a sv/en link switches and is remembered. The
// controls keep their ids and names in both.
func TestStaffPagesSpeakSwedishAndEnglish(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	sales := e.AddStaff(t, "Saga Säljare", "saga@lang.test", auth.RoleSales)

	t.Run("LoginPage", func(t *testing.T) {
		p := e.NewBrowser(t).Get(t, "/login")
		require.Contains(t, p.Body, `<html lang="sv">`)
		require.Contains(t, p.Body, "Logga in i kassa")
		require.Contains(t, p.Body, `<label for="password">Lösenord</label>`)
		p = speaking(e.NewBrowser(t), "en-GB,en;q=0.8").Get(t, "/login")
		require.Contains(t, p.Body, `<html lang="en">`)
		require.Contains(t, p.Body, "Log in to kassa")

		b := e.NewBrowser(t)
		form := b.Get(t, "/login?next=%2Fterminal")
		require.Contains(t, form.Body, `href="/login?lang=en&amp;next=%2fterminal"`, "the switch keeps where to go next")
		p = b.Post(t, "/login", url.Values{"csrf_token": {kassatest.Field(t, form.Body, "csrf_token")}, "email": {sales.Email}, "password": {"wrong password!"}})
		require.Equal(t, http.StatusUnauthorized, p.Status)
		require.Contains(t, p.Body, "Fel e-postadress eller lösenord.")
	})

	t.Run("TerminalInTheMerchantsLanguage", func(t *testing.T) {
		b := e.Login(t, sales)
		p := b.Get(t, "/terminal")
		require.Equal(t, http.StatusOK, p.Status)
		for _, want := range []string{`<html lang="sv">`, "Ta betalt med kort", `<label for="amount">Belopp</label>`, "Kortnummer",
			`<a href="/" id="dashboard">Översikt</a>`, ">Logga ut</button>", "saga@lang.test · säljare", "Inga betalningar ännu."} {
			require.Contains(t, p.Body, want)
		}
		for _, name := range []string{"cardNumber", "expiry", "cvc", "amount", "currency", "description", "customerEmail", "orderNumber", "captureMode"} {
			require.Contains(t, p.Body, `name="`+name+`"`, "the same controls in Swedish")
		}
		require.NotContains(t, p.Body, "Take a card payment")

		declined := b.Post(t, "/terminal", chargeForm(t, p.Body, "99", kassatest.CardDeclined, nil))
		require.Equal(t, http.StatusPaymentRequired, declined.Status)
		require.Contains(t, declined.Body, "Nekad: kortet nekades. Ingenting drogs. Be om ett annat kort.")

		bad := b.Post(t, "/terminal", chargeForm(t, p.Body, "12,345", kassatest.CardOK, nil))
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
		require.Contains(t, bad.Body, "Skriv beloppet med siffror")

		ok := b.Post(t, "/terminal", chargeForm(t, b.Get(t, "/terminal").Body, "250", kassatest.CardOK, nil))
		id := paymentIDOf(t, ok)
		page := b.Get(t, "/terminal/payments/"+id.String()).Body
		require.Contains(t, page, `<h1 id="outcome" data-outcome="approved">Godkänd och dragen</h1>`)
		require.Contains(t, page, "Betalningen togs", "the history too")
	})

	t.Run("TerminalInTheBrowsersLanguage", func(t *testing.T) {
		p := english(e.Login(t, sales)).Get(t, "/terminal")
		require.Contains(t, p.Body, `<html lang="en">`)
		require.Contains(t, p.Body, "Take a card payment")
		require.Contains(t, p.Body, `<a href="/" id="dashboard">Dashboard</a>`)
	})

	t.Run("SwitchIsRemembered", func(t *testing.T) {
		b := e.Login(t, sales)
		p := b.Get(t, "/terminal?lang=en")
		require.Contains(t, p.Body, "Take a card payment")
		require.Contains(t, p.Body, `href="?lang=sv"`, "the link back to Swedish")
		require.Contains(t, b.Get(t, "/terminal").Body, "Take a card payment", "the choice holds on the next page")
		require.Contains(t, speaking(b, "en").Get(t, "/terminal?lang=sv").Body, "Ta betalt med kort", "and beats Accept-Language")
	})
}

// TestTerminalPaymentPageSendsOtherPaymentsToTheDashboard: a payment
// paid by link (or checkout) is not the terminal's; its terminal URL
// takes whoever may see it to the dashboard's payment page, while one
// that does not exist, or is not the viewer's to see, is still not found.
func TestTerminalPaymentPageSendsOtherPaymentsToTheDashboard(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	admin := e.AddStaff(t, "Alma Admin", "alma@redirect.test", auth.RoleAdmin)
	sales := e.AddStaff(t, "Sixten Säljare", "sixten@redirect.test", auth.RoleSales)
	asAdmin, asSales := english(e.Login(t, admin)), english(e.Login(t, sales))

	var out struct {
		C struct{ PaymentLink struct{ URL string } } `json:"createPaymentLink"`
	}
	e.Query(t, `mutation { createPaymentLink(input: {amount: 10000, description: "Bokhylla"}) { paymentLink { url } } }`, nil, &out)
	path := strings.TrimPrefix(out.C.PaymentLink.URL, e.URL)
	c := e.NewBrowser(t)
	page := c.Get(t, path)
	require.Equal(t, http.StatusOK, page.Status)
	form := url.Values{"cardNumber": {kassatest.CardOK}, "expiry": {kassatest.Expiry()}, "cvc": {"123"}, "cardholder": {"Anna"}, "email": {"anna@example.com"}}
	for _, f := range []string{"csrf_token", "checkout", "attempt"} {
		form.Set(f, kassatest.Field(t, page.Body, f))
	}
	c.Post(t, path, form)
	var byLink uuid.UUID
	require.NoError(t, e.SQL.Get(&byLink, `SELECT id FROM payments`))

	for name, b := range map[string]*kassatest.Browser{"Admin": asAdmin, "Sales": asSales} {
		p := b.Get(t, "/terminal/payments/"+byLink.String())
		require.Equal(t, http.StatusSeeOther, p.Status, "%s: %s", name, p.Body)
		require.Equal(t, "/payments/"+byLink.String(), p.Location, name)
	}

	p := asSales.Get(t, "/terminal/payments/"+uuid.Must(uuid.NewV7()).String())
	require.Equal(t, http.StatusNotFound, p.Status)
	require.Contains(t, p.Body, "There is no such terminal payment")

	adminsOwn := paymentIDOf(t, asAdmin.Post(t, "/terminal", chargeForm(t, asAdmin.Get(t, "/terminal").Body, "20", kassatest.CardOK, nil)))
	p = asSales.Get(t, "/terminal/payments/"+adminsOwn.String())
	require.Equal(t, http.StatusNotFound, p.Status, "a colleague's terminal payment stays hidden from SALES, on the dashboard too")
	require.Empty(t, p.Location)
	require.Equal(t, http.StatusOK, asAdmin.Get(t, "/terminal/payments/"+adminsOwn.String()).Status, "a terminal payment is shown by the terminal")
}
