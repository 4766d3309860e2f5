package simulator

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/payments"
)

// get fetches a page as a browser without JavaScript would.
func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirects.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// submit posts the challenge form as a browser would.
func submit(t *testing.T, u string, form url.Values) *http.Response {
	t.Helper()
	resp, err := noRedirects.PostForm(u, form)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

func testThreeDSecure(t *testing.T, b *bundle) {

	challenge := func(t *testing.T, opts ...authOpt) (payments.AuthorizeRequest, payments.AuthorizeResponse) {
		t.Helper()
		req, resp := b.authorize(t, "4000000000003220", append([]authOpt{withAmount(12345)}, opts...)...)
		require.Equal(t, payments.AuthRequiresAction, resp.Status)
		return req, resp
	}

	t.Run("PageShowsThePurchaseAndTheCodeField", func(t *testing.T) {
		t.Parallel()
		req, resp := challenge(t)
		page, body := get(t, resp.ActionURL)
		require.Equal(t, http.StatusOK, page.StatusCode)
		require.Contains(t, page.Header.Get("Content-Type"), "text/html")
		require.Contains(t, body, "<title>Verify your purchase</title>")
		require.Contains(t, body, "SEK\u00a0123.45", "the amount as the page's language writes it")
		require.Contains(t, body, req.MerchantID.String(), "without an account directory, the account")
		require.Contains(t, body, "•••• 3220")
		require.Contains(t, body, "Order 42")
		require.Contains(t, body, `name="code"`)
		require.Contains(t, body, "Enter the code 1234")
		require.Contains(t, body, `type="submit"`)
		require.Contains(t, body, `value="cancel"`)
		require.Contains(t, body, `action="`+resp.ActionURL+`"`)
		require.NotContains(t, body, "<script")
		require.NotContains(t, body, "src=")
		require.NotContains(t, body, "<link")
	})

	t.Run("PageShowsTheMerchantsNameAndTheAmountInItsLanguage", func(t *testing.T) {
		t.Parallel()
		named := uuid.New()
		b.names.Store(named.String(), Account{Name: `Snickeri "Nord" AB`, Locale: "sv"})
		_, resp := challenge(t, withAccount(named), withAmount(564800))
		for _, tc := range []struct{ acceptLanguage, want, title string }{
			{"", "5\u00a0648,00\u00a0kr", "Bekräfta ditt köp"},
			{"en-US,en;q=0.8", "5\u00a0648,00\u00a0kr", "Bekräfta ditt köp"}, // the account's language first, as kassa's payment page
		} {
			r, err := http.NewRequest(http.MethodGet, resp.ActionURL, nil)
			require.NoError(t, err)
			if tc.acceptLanguage != "" {
				r.Header.Set("Accept-Language", tc.acceptLanguage)
			}
			page, err := noRedirects.Do(r)
			require.NoError(t, err)
			raw, err := io.ReadAll(page.Body)
			page.Body.Close()
			require.NoError(t, err)
			body := string(raw)
			require.Equal(t, http.StatusOK, page.StatusCode)
			require.Contains(t, body, `<dd id="merchant">Snickeri &#34;Nord&#34; AB</dd>`, "the name, escaped")
			require.NotContains(t, body, named.String(), "not the account id")
			require.Contains(t, body, `<dd id="amount">`+tc.want+`</dd>`, tc.acceptLanguage)
			require.Contains(t, body, "<title>"+tc.title+"</title>")
		}
	})

	t.Run("WithoutAnAccountLanguageTheBrowsersIsUsed", func(t *testing.T) {
		t.Parallel()
		_, resp := challenge(t, withAmount(564800))
		r, err := http.NewRequest(http.MethodGet, resp.ActionURL, nil)
		require.NoError(t, err)
		r.Header.Set("Accept-Language", "sv-SE,sv;q=0.9,en;q=0.5")
		page, err := noRedirects.Do(r)
		require.NoError(t, err)
		raw, err := io.ReadAll(page.Body)
		page.Body.Close()
		require.NoError(t, err)
		require.Contains(t, string(raw), `<dd id="amount">5`+"\u00a0"+`648,00`+"\u00a0"+`kr</dd>`)
		require.Contains(t, string(raw), "<title>Bekräfta ditt köp</title>")
	})

	t.Run("CorrectCodeAuthorizes", func(t *testing.T) {
		t.Parallel()
		req, resp := challenge(t)
		got := submit(t, resp.ActionURL, url.Values{"code": {"1234"}, "action": {"verify"}})
		require.Equal(t, http.StatusSeeOther, got.StatusCode)
		require.Equal(t, req.ReturnURL+"?ref="+resp.ProcessorRef, got.Header.Get("Location"))

		p := b.payment(t, resp.ProcessorRef)
		require.Equal(t, StatusAuthorized, p.Status)
		require.Equal(t, "PASSED", p.ThreeDS)
		require.Equal(t, int64(12345), p.Authorized)
		require.Zero(t, p.Captured)
		ev := b.waitType(t, resp.ProcessorRef, EventAuthorized)
		require.Equal(t, "PASSED", ev.Snapshot.ThreeDS)
		require.False(t, ev.Snapshot.RequiresAction)
		b.drain(t)
		require.Equal(t, []string{EventRequiresAction, EventAuthorized}, b.recv.typesFor(resp.ProcessorRef))

		// Once completed, the page only sends the customer back, and the
		// form changes nothing.
		again, _ := get(t, resp.ActionURL)
		require.Equal(t, http.StatusSeeOther, again.StatusCode)
		require.Equal(t, req.ReturnURL+"?ref="+resp.ProcessorRef, again.Header.Get("Location"))
		late := submit(t, resp.ActionURL, url.Values{"action": {"cancel"}})
		require.Equal(t, http.StatusSeeOther, late.StatusCode)
		require.Equal(t, StatusAuthorized, b.payment(t, resp.ProcessorRef).Status)
	})

	t.Run("CorrectCodeCapturesAtOnce", func(t *testing.T) {
		t.Parallel()
		_, resp := challenge(t, withCapture, withReturnURL("https://shop.example/return?order=7"))
		got := submit(t, resp.ActionURL, url.Values{"code": {" 1234 "}})
		require.Equal(t, http.StatusSeeOther, got.StatusCode)
		require.Equal(t, "https://shop.example/return?order=7&ref="+resp.ProcessorRef, got.Header.Get("Location"))
		p := b.payment(t, resp.ProcessorRef)
		require.Equal(t, StatusCaptured, p.Status)
		require.Equal(t, int64(12345), p.Captured)
		b.waitType(t, resp.ProcessorRef, EventCaptured)
		b.drain(t)
		require.Equal(t, []string{EventRequiresAction, EventAuthorized, EventCaptured}, b.recv.typesFor(resp.ProcessorRef))
	})

	t.Run("WrongCodeFails", func(t *testing.T) {
		t.Parallel()
		req, resp := challenge(t)
		got := submit(t, resp.ActionURL, url.Values{"code": {"0000"}, "action": {"verify"}})
		require.Equal(t, http.StatusSeeOther, got.StatusCode)
		require.Equal(t, req.ReturnURL+"?ref="+resp.ProcessorRef, got.Header.Get("Location"))
		p := b.payment(t, resp.ProcessorRef)
		require.Equal(t, StatusFailed, p.Status)
		require.Equal(t, "FAILED", p.ThreeDS)
		require.Equal(t, CodeAuthenticationFailed, p.FailureCode)
		require.Zero(t, p.Authorized)
		ev := b.waitType(t, resp.ProcessorRef, EventFailed)
		require.True(t, ev.Snapshot.Failed)
		require.Equal(t, "FAILED", ev.Snapshot.ThreeDS)
		require.Equal(t, CodeAuthenticationFailed, ev.Snapshot.FailureCode)

		// A second try with the right code is too late.
		submit(t, resp.ActionURL, url.Values{"code": {"1234"}})
		require.Equal(t, StatusFailed, b.payment(t, resp.ProcessorRef).Status)
	})

	t.Run("CancelFails", func(t *testing.T) {
		t.Parallel()
		req, resp := challenge(t)
		got := submit(t, resp.ActionURL, url.Values{"code": {"1234"}, "action": {"cancel"}})
		require.Equal(t, http.StatusSeeOther, got.StatusCode)
		require.Equal(t, req.ReturnURL+"?ref="+resp.ProcessorRef, got.Header.Get("Location"))
		p := b.payment(t, resp.ProcessorRef)
		require.Equal(t, StatusFailed, p.Status)
		require.Equal(t, "CANCELLED", p.ThreeDS)
		require.Equal(t, CodeAuthenticationCancelled, p.FailureCode)
		ev := b.waitType(t, resp.ProcessorRef, EventFailed)
		require.Equal(t, "CANCELLED", ev.Snapshot.ThreeDS)
		require.Equal(t, CodeAuthenticationCancelled, ev.Snapshot.FailureCode)
	})

	t.Run("UnknownPayment", func(t *testing.T) {
		t.Parallel()
		page, _ := get(t, b.ts.URL+"/simulator/3ds/pay_nope")
		require.Equal(t, http.StatusNotFound, page.StatusCode)
	})

	t.Run("WithoutReturnURLShowsTheOutcome", func(t *testing.T) {
		t.Parallel()
		_, resp := challenge(t, withReturnURL(""))
		got, err := noRedirects.PostForm(resp.ActionURL, url.Values{"code": {"1234"}})
		require.NoError(t, err)
		body, _ := io.ReadAll(got.Body)
		got.Body.Close()
		require.Equal(t, http.StatusOK, got.StatusCode)
		require.True(t, strings.Contains(string(body), "AUTHORIZED"), string(body))
	})
}

func TestReturnURL(t *testing.T) {
	t.Parallel()
	for base, want := range map[string]string{
		"https://s.example/r":           "https://s.example/r?ref=pay_1",
		"https://s.example/r?o=1":       "https://s.example/r?o=1&ref=pay_1",
		"https://s.example/r?":          "https://s.example/r?ref=pay_1",
		"https://s.example/r?o=1#top":   "https://s.example/r?o=1&ref=pay_1#top",
		"https://s.example/r#x?y":       "https://s.example/r?ref=pay_1#x?y",
		"https://s.example/pay/t0k3n/x": "https://s.example/pay/t0k3n/x?ref=pay_1",
	} {
		require.Equal(t, want, returnURL(base, "pay_1"), base)
	}
}
