package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
	"kassa/orders"
	"kassa/payments"
)

// chargeForm fills the terminal's form as rendered in page.
func chargeForm(t *testing.T, page, amount, card string, extra url.Values) url.Values {
	t.Helper()
	v := url.Values{
		"csrf_token": {kassatest.Field(t, page, "csrf_token")},
		"form":       {kassatest.Field(t, page, "form")},
		"amount":     {amount}, "currency": {"SEK"}, "captureMode": {"IMMEDIATE"},
		"cardNumber": {card}, "expiry": {kassatest.Expiry()}, "cvc": {"123"},
	}
	for k, vs := range extra {
		v[k] = vs
	}
	return v
}

// english makes b a browser that asks for English: the terminal speaks
// the browser's language, else the merchant's (Swedish here), and these
// tests read its English words.
func english(b *kassatest.Browser) *kassatest.Browser {
	return speaking(b, "en")
}

func speaking(b *kassatest.Browser, acceptLanguage string) *kassatest.Browser {
	next := b.Client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	b.Client.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Accept-Language", acceptLanguage)
		return next.RoundTrip(r)
	})
	return b
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var paymentPath = regexp.MustCompile(`^/terminal/payments/([0-9a-f-]{36})$`)

func paymentIDOf(t *testing.T, p kassatest.Page) uuid.UUID {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, p.Status, "%s", p.Body)
	m := paymentPath.FindStringSubmatch(p.Location)
	require.NotNil(t, m, "redirected to %q", p.Location)
	return uuid.MustParse(m[1])
}

func TestTerminalPages(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	sales := e.AddStaff(t, "Sigge Säljare", "sigge@snickeri.test", auth.RoleSales)
	admin := e.AddStaff(t, "Ada Admin", "ada@snickeri.test", auth.RoleAdmin)
	_, err := e.Server.Terminal().SetLimit(context.Background(), &auth.Principal{MerchantID: e.Merchant.Merchant.ID, Kind: auth.CredentialAPIKey,
		CredentialID: e.Merchant.APIKey.ID}, sales.ID, ptr(int64(100_000)), "SEK")
	require.NoError(t, err)
	asSales, asAdmin := english(e.Login(t, sales)), english(e.Login(t, admin))

	t.Run("LoginRequired", func(t *testing.T) {
		p := e.NewBrowser(t).Get(t, "/terminal")
		require.Equal(t, http.StatusSeeOther, p.Status)
		require.Equal(t, "/login?next=%2Fterminal", p.Location)
		p = e.NewBrowser(t).Post(t, "/terminal", url.Values{"amount": {"10"}})
		require.Equal(t, http.StatusSeeOther, p.Status)
		require.Zero(t, e.Count(t, `SELECT count(*) FROM payments`))
	})
	t.Run("FormRendersForStaff", func(t *testing.T) {
		p := asSales.Get(t, "/terminal")
		require.Equal(t, http.StatusOK, p.Status)
		for _, name := range []string{"cardNumber", "expiry", "cvc", "amount", "currency", "description", "customerEmail", "orderNumber", "captureMode"} {
			require.Contains(t, p.Body, `name="`+name+`"`)
		}
		require.Contains(t, p.Body, "MOTO")
		require.Contains(t, p.Body, "Your limit is 1\u00a0000,00\u00a0kr per payment.")
		require.NotContains(t, p.Body, `id="tab-all"`, "SALES see their own payments only")
		require.NotContains(t, p.Body, "https://", "no third-party assets")
		require.Contains(t, asAdmin.Get(t, "/terminal").Body, `id="tab-all"`)
	})
	t.Run("CSRFRequired", func(t *testing.T) {
		page := asSales.Get(t, "/terminal").Body
		form := chargeForm(t, page, "10", kassatest.CardOK, nil)
		form.Set("csrf_token", strings.Repeat("x", 32))
		require.Equal(t, http.StatusForbidden, asSales.Post(t, "/terminal", form).Status)
		form.Del("csrf_token")
		require.Equal(t, http.StatusForbidden, asSales.Post(t, "/terminal", form).Status)
		require.Zero(t, e.Count(t, `SELECT count(*) FROM payments`))
	})
	t.Run("DoubleSubmitChargesOnce", func(t *testing.T) {
		form := chargeForm(t, asSales.Get(t, "/terminal").Body, "123,45", kassatest.CardOK, nil)
		var wg sync.WaitGroup
		pages := make([]kassatest.Page, 4)
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := asSales.Client.PostForm(e.URL+"/terminal", form)
				if err == nil {
					pages[i] = kassatest.Page{Status: res.StatusCode, Location: res.Header.Get("Location")}
					res.Body.Close()
				}
			}()
		}
		wg.Wait()
		pages[3] = asSales.Post(t, "/terminal", form)
		id := paymentIDOf(t, pages[3])
		for _, p := range pages[:3] {
			require.Equal(t, id, paymentIDOf(t, p), "every submission shows the same payment")
		}
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM payments`))
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM simulator_payments`), "the processor charged once")
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM payment_events WHERE type = 'payment.created'`))
		require.Equal(t, "CAPTURED", status(t, e, id))
		res := asSales.Get(t, "/terminal/payments/"+id.String())
		require.Contains(t, res.Body, "Approved and charged")
		require.Contains(t, res.Body, "123,45\u00a0kr")
		require.Contains(t, res.Body, "Visa •••• 4242")
	})
	t.Run("DeclinedKeepsTheFormButNotTheCard", func(t *testing.T) {
		before := e.Count(t, `SELECT count(*) FROM payments`)
		form := chargeForm(t, asSales.Get(t, "/terminal").Body, "77,50", kassatest.CardDeclined, url.Values{"description": {"Mässan, monter 4"}})
		p := asSales.Post(t, "/terminal", form)
		require.Equal(t, http.StatusPaymentRequired, p.Status)
		require.Contains(t, p.Body, "Declined: the card was declined")
		require.Equal(t, "77,50", kassatest.Field(t, p.Body, "amount"))
		require.Equal(t, "Mässan, monter 4", kassatest.Field(t, p.Body, "description"))
		require.NotContains(t, p.Body, kassatest.CardDeclined)
		require.NotRegexp(t, `name="cardNumber"[^>]*value=`, p.Body)
		require.NotRegexp(t, `name="cvc"[^>]*value=`, p.Body)
		require.Equal(t, before+1, e.Count(t, `SELECT count(*) FROM payments`))

		// Resubmitting the same form, even with another card, is the same
		// (declined) payment; the form shown after the decline is a new one.
		again := form
		again.Set("cardNumber", kassatest.CardOK)
		require.Equal(t, http.StatusPaymentRequired, asSales.Post(t, "/terminal", again).Status)
		require.Equal(t, before+1, e.Count(t, `SELECT count(*) FROM payments`))
		again.Set("amount", "70")
		changed := asSales.Post(t, "/terminal", again)
		require.Equal(t, http.StatusUnprocessableEntity, changed.Status)
		require.Contains(t, changed.Body, "This form was already used for payment")
		require.Equal(t, before+1, e.Count(t, `SELECT count(*) FROM payments`))
		fresh := chargeForm(t, p.Body, "77,50", kassatest.CardOK, nil)
		require.NotEqual(t, form.Get("form"), fresh.Get("form"))
		id := paymentIDOf(t, asSales.Post(t, "/terminal", fresh))
		require.Equal(t, "CAPTURED", status(t, e, id))
	})
	t.Run("SalesAboveLimitRefused", func(t *testing.T) {
		before := e.Count(t, `SELECT count(*) FROM payments`)
		p := asSales.Post(t, "/terminal", chargeForm(t, asSales.Get(t, "/terminal").Body, "1 500", kassatest.CardOK, nil))
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, "1\u00a0500,00\u00a0kr is above your limit of 1\u00a0000,00\u00a0kr per payment")
		require.Equal(t, "1 500", kassatest.Field(t, p.Body, "amount"))
		require.Equal(t, before, e.Count(t, `SELECT count(*) FROM payments`))
	})
	t.Run("AmountsAreReadCarefully", func(t *testing.T) {
		p := asSales.Post(t, "/terminal", chargeForm(t, asSales.Get(t, "/terminal").Body, "1.234", kassatest.CardOK, nil))
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, "ambiguous")
		id := paymentIDOf(t, asSales.Post(t, "/terminal", chargeForm(t, asSales.Get(t, "/terminal").Body, "1 000,00", kassatest.CardOK, nil)))
		var amount int64
		require.NoError(t, e.SQL.Get(&amount, `SELECT amount FROM payments WHERE id = $1`, id))
		require.Equal(t, int64(100_000), amount)
	})
	var reserved uuid.UUID
	t.Run("ReserveThenCaptureFromTheList", func(t *testing.T) {
		reserved = paymentIDOf(t, asSales.Post(t, "/terminal", chargeForm(t, asSales.Get(t, "/terminal").Body, "450", kassatest.CardMastercard,
			url.Values{"captureMode": {"RESERVE"}})))
		require.Equal(t, "AUTHORIZED", status(t, e, reserved))
		list := asSales.Get(t, "/terminal").Body
		require.Contains(t, list, `action="/terminal/payments/`+reserved.String()+`/capture"`)
		require.NotContains(t, list, `/void"`, "SALES get no void button")
		p := asSales.Post(t, "/terminal/payments/"+reserved.String()+"/capture", url.Values{
			"csrf_token": {kassatest.Field(t, list, "csrf_token")}, "back": {"/terminal?view=mine"}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		require.True(t, strings.HasPrefix(p.Location, "/terminal?"), p.Location)
		require.Equal(t, "CAPTURED", status(t, e, reserved))
		require.Contains(t, asSales.Get(t, p.Location).Body, "captured")
	})
	t.Run("OnlyOwnersAndAdminsVoidAndRefund", func(t *testing.T) {
		page := asSales.Get(t, "/terminal").Body
		csrf := kassatest.Field(t, page, "csrf_token")
		for _, action := range []string{"refund", "void"} {
			p := asSales.Post(t, "/terminal/payments/"+reserved.String()+"/"+action, url.Values{"csrf_token": {csrf}})
			require.Equal(t, http.StatusForbidden, p.Status, action)
		}
		require.Equal(t, "CAPTURED", status(t, e, reserved))

		admins := asAdmin.Get(t, "/terminal/payments/"+reserved.String()).Body
		require.Contains(t, admins, `id="refund"`)
		p := asAdmin.Post(t, "/terminal/payments/"+reserved.String()+"/refund", url.Values{
			"csrf_token": {kassatest.Field(t, admins, "csrf_token")}, "amount": {"100"}, "reason": {"Skadad vara"},
			"back": {"/terminal/payments/" + reserved.String()}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		require.Equal(t, "PARTIALLY_REFUNDED", status(t, e, reserved))
		detail := asAdmin.Get(t, "/terminal/payments/"+reserved.String()).Body
		require.Contains(t, detail, "Refunded")
		require.Contains(t, detail, "100,00\u00a0kr")
		require.Contains(t, detail, "Ada Admin", "the history names who refunded")
	})
	t.Run("SalesSeeOnlyTheirOwn", func(t *testing.T) {
		adminsPayment := paymentIDOf(t, asAdmin.Post(t, "/terminal", chargeForm(t, asAdmin.Get(t, "/terminal").Body, "5000", kassatest.CardOK, nil)))
		require.Equal(t, http.StatusNotFound, asSales.Get(t, "/terminal/payments/"+adminsPayment.String()).Status)
		require.Equal(t, http.StatusNotFound, asSales.Get(t, "/terminal/payments/"+adminsPayment.String()+"/receipt").Status)
		require.NotContains(t, asSales.Get(t, "/terminal?view=all").Body, adminsPayment.String())
		require.Contains(t, asAdmin.Get(t, "/terminal?view=all").Body, reserved.String())
		require.NotContains(t, asAdmin.Get(t, "/terminal?view=mine").Body, reserved.String())
	})
	t.Run("PrintableReceipt", func(t *testing.T) {
		p := asSales.Get(t, "/terminal/payments/"+reserved.String()+"/receipt")
		require.Equal(t, http.StatusOK, p.Status)
		for _, want := range []string{"Kvitto", "Snickeri Nord AB", "450,00\u00a0kr", "Mastercard •••• 4444", "Delvis återbetald", "Betjänad av", "Sigge"} {
			require.Contains(t, p.Body, want)
		}
		require.Contains(t, asSales.Get(t, "/terminal/payments/"+reserved.String()+"/receipt?lang=en").Body, "Receipt")
	})
	t.Run("SupplementByOrderNumber", func(t *testing.T) {
		o, err := e.Server.Orders().Create(context.Background(), payments.Actor{}, e.Merchant.Merchant.ID, "", orders.NewOrder{
			Customer: orders.Customer{Name: "Kund"}, Lines: []orders.LineInput{{Description: "Trappa", Quantity: 1, UnitPrice: 900_000, VATRate: 2500}},
		})
		require.NoError(t, err)
		page := asSales.Get(t, "/terminal").Body
		p := asSales.Post(t, "/terminal", chargeForm(t, page, "800", kassatest.CardOK, url.Values{"orderNumber": {"999"}}))
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, "There is no order number 999.")
		id := paymentIDOf(t, asSales.Post(t, "/terminal", chargeForm(t, p.Body, "800", kassatest.CardOK,
			url.Values{"orderNumber": {strconv.FormatInt(o.Number, 10)}})))
		var orderID uuid.UUID
		require.NoError(t, e.SQL.Get(&orderID, `SELECT order_id FROM payments WHERE id = $1`, id))
		require.Equal(t, o.ID, orderID, "the payment is one of the order's")
		var st string
		require.NoError(t, e.SQL.Get(&st, `SELECT status FROM orders WHERE id = $1`, o.ID))
		require.Equal(t, "DRAFT", st, "a supplement does not pay the order")
		require.Contains(t, asSales.Get(t, "/terminal/payments/"+id.String()).Body, "<dt>Order</dt><dd>"+strconv.FormatInt(o.Number, 10)+"</dd>")
	})
	t.Run("ExpiredSessionSendsToLogin", func(t *testing.T) {
		b := e.Login(t, sales)
		page := b.Get(t, "/terminal").Body
		before := e.Count(t, `SELECT count(*) FROM payments`)
		_, err := e.SQL.Exec(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, sales.ID)
		require.NoError(t, err)
		p := b.Post(t, "/terminal", chargeForm(t, page, "10", kassatest.CardOK, nil))
		require.Equal(t, http.StatusSeeOther, p.Status)
		require.True(t, strings.HasPrefix(p.Location, "/login"), p.Location)
		require.Equal(t, before, e.Count(t, `SELECT count(*) FROM payments`))
	})
	t.Run("NoCardInLogsOrDump", func(t *testing.T) {
		e.ScanForCards(t, kassatest.CardOK, kassatest.CardDeclined, kassatest.CardMastercard)
	})
}

func status(t *testing.T, e *kassatest.Env, id uuid.UUID) string {
	t.Helper()
	var s string
	require.NoError(t, e.SQL.Get(&s, `SELECT status FROM payments WHERE id = $1`, id))
	return s
}

func ptr[T any](v T) *T { return &v }
