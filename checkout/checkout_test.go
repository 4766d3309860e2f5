package checkout_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/checkout"
	"kassa/gid"
	"kassa/kassatest"
)

const createCheckout = `mutation($input: CreateCheckoutInput!) {
	createCheckout(input: $input) {
		checkout { id url status successUrl cancelUrl expiresAt completedAt
			order { id status captureMode reference totals { gross { amount } } lines { description quantity } payments { id status } }
			paymentLink { kind status } }
		userErrors { field message code }
	}
}`

type checkoutView struct {
	ID          string  `json:"id"`
	URL         string  `json:"url"`
	Status      string  `json:"status"`
	SuccessURL  string  `json:"successUrl"`
	CancelURL   string  `json:"cancelUrl"`
	ExpiresAt   string  `json:"expiresAt"`
	CompletedAt *string `json:"completedAt"`
	Order       struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		CaptureMode string `json:"captureMode"`
		Reference   string `json:"reference"`
		Totals      struct {
			Gross struct {
				Amount int64 `json:"amount"`
			} `json:"gross"`
		} `json:"totals"`
		Lines []struct {
			Description string `json:"description"`
			Quantity    int    `json:"quantity"`
		} `json:"lines"`
		Payments []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"payments"`
	} `json:"order"`
	PaymentLink struct {
		Kind   string `json:"kind"`
		Status string `json:"status"`
	} `json:"paymentLink"`
}

func cart(ref string) map[string]any {
	return map[string]any{
		"lines": []map[string]any{
			{"description": "Skärbräda i ek", "quantity": 2, "unitPrice": 34900, "vatRate": 2500},
			{"description": "Smörkniv", "quantity": 1, "unitPrice": 12500, "vatRate": 2500},
		},
		"reference":  ref,
		"successUrl": "http://shop.test/orders/" + ref + "/thanks?lang=sv",
		"cancelUrl":  "http://shop.test/cart",
	}
}

func (e *env) createCheckout(t *testing.T, input map[string]any) (*checkoutView, []userError) {
	t.Helper()
	var out struct {
		CreateCheckout struct {
			Checkout   *checkoutView `json:"checkout"`
			UserErrors []userError   `json:"userErrors"`
		} `json:"createCheckout"`
	}
	e.Query(t, createCheckout, map[string]any{"input": input}, &out)
	return out.CreateCheckout.Checkout, out.CreateCheckout.UserErrors
}

func (e *env) checkout(t *testing.T, id string) checkoutView {
	t.Helper()
	var out struct {
		Checkout *checkoutView `json:"checkout"`
		Node     *struct {
			ID string `json:"id"`
		} `json:"node"`
	}
	e.Query(t, `query($id: ID!) { checkout(id: $id) { id url status successUrl cancelUrl expiresAt completedAt
		order { id status captureMode reference totals { gross { amount } } lines { description quantity } payments { id status } }
		paymentLink { kind status } }
		node(id: $id) { id ... on Checkout { status } } }`, map[string]any{"id": id}, &out)
	require.NotNil(t, out.Checkout)
	require.NotNil(t, out.Node, "node(id:) finds the checkout")
	require.Equal(t, id, out.Node.ID)
	return *out.Checkout
}

func TestCreateCheckout(t *testing.T) {
	t.Parallel()
	e := setup(t, false)
	c, ue := e.createCheckout(t, cart("1001"))
	require.Empty(t, ue)
	require.True(t, strings.HasPrefix(c.ID, "chk_"), c.ID)
	require.True(t, strings.HasPrefix(c.URL, e.URL+"/pay/"), c.URL)
	require.Equal(t, "OPEN", c.Status)
	require.Equal(t, "CHECKOUT", c.PaymentLink.Kind)
	require.Equal(t, "1001", c.Order.Reference)
	require.Equal(t, "IMMEDIATE", c.Order.CaptureMode)
	require.Equal(t, int64(2*34900+12500), c.Order.Totals.Gross.Amount)
	require.Len(t, c.Order.Lines, 2)
	exp, err := time.Parse(time.RFC3339, c.ExpiresAt)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(time.Hour), exp, time.Minute, "the default expiry is an hour")

	got := e.checkout(t, c.ID)
	require.Equal(t, c.URL, got.URL)
	var viaOrder struct {
		Node struct {
			Checkout struct {
				ID string `json:"id"`
			} `json:"checkout"`
		} `json:"node"`
	}
	e.Query(t, `query($id: ID!) { node(id: $id) { ... on Order { checkout { id } } } }`, map[string]any{"id": c.Order.ID}, &viaOrder)
	require.Equal(t, c.ID, viaOrder.Node.Checkout.ID)

	// The shopper's page shows both lines, the way back to the shop, and
	// no email field is skipped: none was given.
	p := newShopper(t).do(t, http.MethodGet, c.URL, nil)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "Skärbräda i ek")
	require.Contains(t, p.body, "Smörkniv")
	require.Contains(t, p.body, `id="cancel"`)
	require.Contains(t, p.body, `name="email"`)

	t.Run("ExpireCancelsTheOrder", func(t *testing.T) {
		var out struct {
			ExpireCheckout struct {
				Checkout   checkoutView `json:"checkout"`
				UserErrors []userError  `json:"userErrors"`
			} `json:"expireCheckout"`
		}
		e.Query(t, `mutation($id: ID!) { expireCheckout(input: {checkoutId: $id}) { checkout { status order { status } paymentLink { status } } userErrors { code } } }`,
			map[string]any{"id": c.ID}, &out)
		require.Empty(t, out.ExpireCheckout.UserErrors)
		require.Equal(t, "EXPIRED", out.ExpireCheckout.Checkout.Status)
		require.Equal(t, "CANCELLED", out.ExpireCheckout.Checkout.Order.Status)
		require.Equal(t, "DEACTIVATED", out.ExpireCheckout.Checkout.PaymentLink.Status)
		p := newShopper(t).do(t, http.MethodGet, c.URL, nil)
		require.Equal(t, http.StatusGone, p.status)
		require.Contains(t, p.body, `href="http://shop.test/cart"`, "an expired checkout leads back to the shop's cancelUrl")
	})
}

func TestCreateCheckoutRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t, false)
	with := func(k string, v any) map[string]any {
		in := cart("2001")
		if v == nil {
			delete(in, k)
		} else {
			in[k] = v
		}
		return in
	}
	for _, tc := range []struct {
		name  string
		input map[string]any
		code  string
		field []string
	}{
		{"JavaScriptSuccessURL", with("successUrl", "javascript:alert(document.cookie)"), "INVALID_URL", []string{"input", "successUrl"}},
		{"DataCancelURL", with("cancelUrl", "data:text/html,<script>alert(1)</script>"), "INVALID_URL", []string{"input", "cancelUrl"}},
		{"RelativeSuccessURL", with("successUrl", "/thanks"), "INVALID_URL", []string{"input", "successUrl"}},
		{"SchemeRelativeSuccessURL", with("successUrl", "//evil.example/x"), "INVALID_URL", []string{"input", "successUrl"}},
		{"ExpiresTooSoon", with("expiresAt", time.Now().Add(time.Minute).Format(time.RFC3339)), "INVALID_EXPIRY", []string{"input", "expiresAt"}},
		{"ExpiresTooLate", with("expiresAt", time.Now().Add(30*24*time.Hour).Format(time.RFC3339)), "INVALID_EXPIRY", []string{"input", "expiresAt"}},
		{"NoLines", with("lines", []map[string]any{}), "NO_LINES", nil},
		{"UnknownCurrency", with("currency", "XYZ"), "INVALID_CURRENCY", nil},
		{"ZeroQuantity", with("lines", []map[string]any{{"description": "x", "quantity": 0, "unitPrice": 100, "vatRate": 2500}}), "INVALID_QUANTITY", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ue := e.createCheckout(t, tc.input)
			require.Nil(t, c)
			require.Equal(t, []string{tc.code}, kassatest.Codes(ue))
			if tc.field != nil {
				require.Equal(t, tc.field, ue[0].Field)
			}
		})
	}
	require.Zero(t, e.Count(t, `SELECT count(*) FROM orders`), "no order was made")
	require.Zero(t, e.Count(t, `SELECT count(*) FROM checkouts`))
}

func TestReturnURLs(t *testing.T) {
	t.Parallel()
	c := checkout.Checkout{SuccessURL: "https://shop.example/thanks?lang=sv", CancelURL: "https://shop.example/cart"}
	id := gid.Encode(gid.Checkout, c.ID)
	u, err := url.Parse(c.SuccessRedirect())
	require.NoError(t, err)
	require.Equal(t, id, u.Query().Get("checkout_id"))
	require.Equal(t, "sv", u.Query().Get("lang"))
	require.Equal(t, "https://shop.example/cart", c.CancelRedirect())

	c.SuccessURL = "https://shop.example/orders/{CHECKOUT_ID}/done"
	c.CancelURL = "https://shop.example/cart?abandoned={CHECKOUT_ID}"
	require.Equal(t, "https://shop.example/orders/"+id+"/done", c.SuccessRedirect())
	require.Equal(t, "https://shop.example/cart?abandoned="+id, c.CancelRedirect())
}

// pngOf is a w×h PNG in one colour.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{R: 0x11, G: 0x22, B: 0x33, A: 0xff})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

const updateBranding = `mutation($input: UpdateBrandingInput!) {
	updateBranding(input: $input) { branding { displayName logoUrl accentColor supportEmail supportPhone } userErrors { field code } }
}`

type brandingView struct {
	DisplayName  string  `json:"displayName"`
	LogoURL      *string `json:"logoUrl"`
	AccentColor  string  `json:"accentColor"`
	SupportEmail *string `json:"supportEmail"`
	SupportPhone *string `json:"supportPhone"`
}

func (e *env) brand(t *testing.T, input map[string]any) (*brandingView, []userError) {
	t.Helper()
	var out struct {
		UpdateBranding struct {
			Branding   *brandingView `json:"branding"`
			UserErrors []userError   `json:"userErrors"`
		} `json:"updateBranding"`
	}
	e.Query(t, updateBranding, map[string]any{"input": input}, &out)
	return out.UpdateBranding.Branding, out.UpdateBranding.UserErrors
}

func TestBranding(t *testing.T) {
	t.Parallel()
	e := setup(t, false)
	logo := pngOf(t, 120, 40)

	t.Run("BadInput", func(t *testing.T) {
		huge := make([]byte, 600<<10)
		copy(huge, logo)
		svg := `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`
		for _, tc := range []struct {
			name  string
			input map[string]any
			code  string
		}{
			{"OversizedLogo", map[string]any{"logoBase64": base64.StdEncoding.EncodeToString(huge)}, "LOGO_TOO_LARGE"},
			{"SVGLogo", map[string]any{"logoBase64": base64.StdEncoding.EncodeToString([]byte(svg))}, "UNSUPPORTED_LOGO_TYPE"},
			{"NotAnImage", map[string]any{"logoBase64": base64.StdEncoding.EncodeToString([]byte("GIF89a nope"))}, "UNSUPPORTED_LOGO_TYPE"},
			{"TruncatedPNG", map[string]any{"logoBase64": base64.StdEncoding.EncodeToString(logo[:40])}, "INVALID_LOGO"},
			{"NotBase64", map[string]any{"logoBase64": "%%%"}, "INVALID_LOGO"},
			{"HTTPLogoURL", map[string]any{"logoUrl": "http://cdn.example.com/logo.png"}, "HTTPS_REQUIRED"},
			{"PrivateLogoURL", map[string]any{"logoUrl": "https://169.254.169.254/logo.png"}, "PRIVATE_ADDRESS"},
			{"ColourName", map[string]any{"accentColor": "red"}, "INVALID_COLOR"},
			{"ShortColour", map[string]any{"accentColor": "#fff"}, "INVALID_COLOR"},
			{"BadEmail", map[string]any{"supportEmail": "support at shop"}, "INVALID_EMAIL"},
			{"BadPhone", map[string]any{"supportPhone": "call us!"}, "INVALID_PHONE"},
			{"MarkupName", map[string]any{"displayName": "<b>Shop</b>"}, "INVALID_DISPLAY_NAME"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b, ue := e.brand(t, tc.input)
				require.Nil(t, b)
				require.Equal(t, []string{tc.code}, kassatest.Codes(ue))
			})
		}
		require.Zero(t, e.Count(t, `SELECT count(*) FROM merchant_branding`), "nothing was stored")
	})

	t.Run("ShownOnThePaymentPage", func(t *testing.T) {
		b, ue := e.brand(t, map[string]any{"displayName": "Snickeriet", "accentColor": "#0E7C3A", "supportEmail": "hjalp@snickeriet.example",
			"supportPhone": "+46 8 123 456", "logoBase64": "data:image/png;base64," + base64.StdEncoding.EncodeToString(logo)})
		require.Empty(t, ue)
		require.Equal(t, "Snickeriet", b.DisplayName)
		require.Equal(t, "#0e7c3a", b.AccentColor)
		require.NotNil(t, b.LogoURL)
		require.True(t, strings.HasPrefix(*b.LogoURL, e.URL+"/branding/logo/"), *b.LogoURL)

		resp, err := http.Get(*b.LogoURL)
		require.NoError(t, err)
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
		require.Equal(t, logo, got)

		c, ue := e.createCheckout(t, cart("3001"))
		require.Empty(t, ue)
		p := newShopper(t).do(t, http.MethodGet, c.URL, nil)
		require.Equal(t, http.StatusOK, p.status)
		logoPath := strings.TrimPrefix(*b.LogoURL, e.URL)
		require.Contains(t, p.body, `src="`+logoPath+`"`, "the logo comes from kassa itself")
		require.Contains(t, p.body, `href="/branding/theme/0e7c3a.css"`)
		require.Contains(t, p.body, "Betala till Snickeriet")
		require.Contains(t, p.body, "hjalp@snickeriet.example")
		require.Contains(t, p.body, "46 8 123 456")
		require.NotContains(t, p.body, "https://", "nothing on the page loads from elsewhere")

		resp, err = http.Get(e.URL + "/branding/theme/0e7c3a.css")
		require.NoError(t, err)
		css, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, "text/css; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Contains(t, string(css), "--accent: #0e7c3a")
		resp, err = http.Get(e.URL + "/branding/theme/red;}body{x.css")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode)

		b, ue = e.brand(t, map[string]any{"removeLogo": true, "displayName": ""})
		require.Empty(t, ue)
		require.Nil(t, b.LogoURL)
		require.Equal(t, "Snickeri Nord AB", b.DisplayName, "without a display name, the merchant's name")
	})
}

// TestCheckoutPaid is the shop's whole integration over HTTP: a webhook
// endpoint, a checkout, a declined card and a good one, the way back to the
// shop, the signed webhooks, the checkout COMPLETE; then a refund; and a
// RESERVE checkout captured at delivery.
func TestCheckoutPaid(t *testing.T) {
	t.Parallel()
	e := setup(t, true)
	rc := newReceiver(t)
	var ep struct {
		CreateWebhookEndpoint struct {
			WebhookEndpoint struct {
				ID     string   `json:"id"`
				Events []string `json:"events"`
			} `json:"webhookEndpoint"`
			Secret     string      `json:"secret"`
			UserErrors []userError `json:"userErrors"`
		} `json:"createWebhookEndpoint"`
	}
	e.Query(t, `mutation($url: String!) { createWebhookEndpoint(input: {url: $url, events: ["ORDER_PAID", "ORDER_RESERVED", "PAYMENT_CAPTURED",
		"PAYMENT_REFUNDED", "PAYMENT_FAILED", "RESERVATION_EXPIRING"]}) { webhookEndpoint { id events } secret userErrors { code } } }`,
		map[string]any{"url": rc.url}, &ep)
	require.Empty(t, ep.CreateWebhookEndpoint.UserErrors)
	require.True(t, strings.HasPrefix(ep.CreateWebhookEndpoint.Secret, "whsec_"))
	require.Len(t, ep.CreateWebhookEndpoint.WebhookEndpoint.Events, 6)
	rc.setSecret(ep.CreateWebhookEndpoint.Secret)
	_, ue := e.brand(t, map[string]any{"accentColor": "#112233", "supportEmail": "kundtjanst@snickeri.example"})
	require.Empty(t, ue)

	in := cart("4001")
	in["customer"] = map[string]any{"email": "anna@example.se", "name": "Anna Andersson"}
	c, ue := e.createCheckout(t, in)
	require.Empty(t, ue)
	sh := newShopper(t)

	// Giving up leads back to the shop; the checkout stays open.
	p := sh.do(t, http.MethodGet, c.URL+"/cancel", nil)
	require.Equal(t, http.StatusSeeOther, p.status)
	require.Equal(t, "http://shop.test/cart", p.location)

	// A declined card: PAYMENT_FAILED, and the shopper may try again.
	p = sh.submit(t, c.URL, "4000000000000002", "")
	require.Equal(t, http.StatusPaymentRequired, p.status, p.body)
	failed := rc.wait(t, "payment.failed", nil)
	require.Equal(t, "4001", failed.Data["orderReference"])
	require.Equal(t, c.ID, failed.Data["checkoutId"])
	require.Equal(t, "card_declined", failed.Data["failureCode"])

	p = sh.submit(t, c.URL, "4242 4242 4242 4242", "")
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	p = sh.waitSettled(t, p.location)
	require.Equal(t, http.StatusOK, p.status, p.body)
	success := "http://shop.test/orders/4001/thanks?checkout_id=" + c.ID + "&lang=sv"
	require.Equal(t, "0; url="+success, p.refresh, "the settled page sends the shopper back to successUrl with the checkout id")
	require.Contains(t, p.body, `id="return"`)

	paid := rc.wait(t, "order.paid", nil)
	require.Equal(t, c.Order.ID, paid.Data["id"])
	require.Equal(t, c.ID, paid.Data["checkoutId"])
	require.Equal(t, "4001", paid.Data["reference"])
	require.Equal(t, "PAID", paid.Data["status"])
	require.EqualValues(t, 2*34900+12500, paid.Data["paid"])
	captured := rc.wait(t, "payment.captured", nil)
	require.EqualValues(t, 2*34900+12500, captured.Data["change"])
	require.NotEqual(t, paid.ID, captured.ID, "each event has its own webhook-id")

	got := e.checkout(t, c.ID)
	require.Equal(t, "COMPLETE", got.Status)
	require.NotNil(t, got.CompletedAt)
	require.Equal(t, "PAID", got.Order.Status)
	require.Equal(t, "PAID", got.PaymentLink.Status)

	// The link is used up: back to the shop's success page.
	p = newShopper(t).do(t, http.MethodGet, c.URL, nil)
	require.Equal(t, http.StatusGone, p.status)
	require.Contains(t, p.body, `id="back"`)

	// The receipt carries the merchant's branding.
	kassatest.Eventually(t, 20*time.Second, "the receipt email", func() bool {
		files, _ := filepath.Glob(filepath.Join(e.DataDir, "mail", "*.eml"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			s := string(b)
			if strings.Contains(s, "anna@example.se") && strings.Contains(s, "#112233") && strings.Contains(s, "Reply-To: <kundtjanst@snickeri.example>") {
				return true
			}
		}
		return false
	})

	// The deliveries are listed with their outcome.
	var ds struct {
		WebhookDeliveries struct {
			Edges []struct {
				Node struct {
					Status           string `json:"status"`
					Attempts         int    `json:"attempts"`
					LastResponseCode *int   `json:"lastResponseCode"`
					Event            struct {
						ID   string `json:"id"`
						Type string `json:"type"`
					} `json:"event"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"webhookDeliveries"`
	}
	kassatest.Eventually(t, 10*time.Second, "every delivery to succeed", func() bool {
		e.Query(t, `{ webhookDeliveries(first: 50) { edges { node { status attempts lastResponseCode event { id type } } } } }`, nil, &ds)
		for _, ed := range ds.WebhookDeliveries.Edges {
			if ed.Node.Status != "SUCCEEDED" {
				return false
			}
		}
		return len(ds.WebhookDeliveries.Edges) >= 3
	})
	types := map[string]string{}
	for _, ed := range ds.WebhookDeliveries.Edges {
		require.Equal(t, 1, ed.Node.Attempts)
		require.Equal(t, 200, *ed.Node.LastResponseCode)
		types[ed.Node.Event.ID] = ed.Node.Event.Type
	}
	require.Equal(t, "ORDER_PAID", types[paid.ID])

	t.Run("RefundIsAnEvent", func(t *testing.T) {
		var out struct {
			RefundPayment struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"refundPayment"`
		}
		e.Query(t, `mutation($id: ID!) { refundPayment(input: {paymentId: $id, amount: 12500, reason: "knife returned"}) { userErrors { code } } }`,
			map[string]any{"id": captured.Data["id"]}, &out)
		require.Empty(t, out.RefundPayment.UserErrors)
		refunded := rc.wait(t, "payment.refunded", nil)
		require.EqualValues(t, 12500, refunded.Data["change"])
		require.Equal(t, "4001", refunded.Data["orderReference"])
	})

	t.Run("ReserveCapturedAtDelivery", func(t *testing.T) {
		in := cart("4002")
		in["captureMode"] = "RESERVE"
		c, ue := e.createCheckout(t, in)
		require.Empty(t, ue)
		sh := newShopper(t)
		p := sh.submit(t, c.URL, "4242424242424242", "bo@example.se")
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		p = sh.waitSettled(t, p.location)
		require.Contains(t, p.refresh, "checkout_id="+c.ID)
		reserved := rc.wait(t, "order.reserved", func(d map[string]any) bool { return d["reference"] == "4002" })
		require.Equal(t, c.ID, reserved.Data["checkoutId"])
		require.EqualValues(t, 0, reserved.Data["paid"])
		require.Equal(t, "COMPLETE", e.checkout(t, c.ID).Status)

		// A day before the hold lapses, the shop is warned.
		orderID, err := uuid.Parse(strings.TrimPrefix(c.Order.ID, "ord_"))
		require.NoError(t, err)
		_, err = e.SQL.Exec(`UPDATE payments SET capture_before = now() + interval '2 hours' WHERE order_id = $1`, orderID)
		require.NoError(t, err)
		n, err := e.Server.Payments().WarnExpiring(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		expiring := rc.wait(t, "reservation.expiring", nil)
		require.Equal(t, "4002", expiring.Data["orderReference"])

		var out struct {
			MarkOrderDelivered struct {
				Order struct {
					Status string `json:"status"`
				} `json:"order"`
				UserErrors []userError `json:"userErrors"`
			} `json:"markOrderDelivered"`
		}
		e.Query(t, `mutation($id: ID!) { markOrderDelivered(input: {orderId: $id}) { order { status } userErrors { code } } }`,
			map[string]any{"id": c.Order.ID}, &out)
		require.Empty(t, out.MarkOrderDelivered.UserErrors)
		paid := rc.wait(t, "order.paid", func(d map[string]any) bool { return d["reference"] == "4002" })
		require.EqualValues(t, 2*34900+12500, paid.Data["paid"])
		require.Equal(t, c.ID, paid.Data["checkoutId"])
	})

	rc.mu.Lock()
	require.Zero(t, rc.bad, "every delivery was correctly signed")
	rc.mu.Unlock()
	seen := map[string]int{}
	for _, h := range rc.all() {
		seen[h.ID]++
	}
	for id, n := range seen {
		require.Equal(t, 1, n, "event %s delivered more than once", id)
	}
}

func TestWebhookEndpointsRefuseBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t, false)
	for _, tc := range []struct {
		name   string
		url    string
		events []string
		code   string
	}{
		{"PlainHTTP", "http://shop.example.com/kassa", []string{"ORDER_PAID"}, "HTTPS_REQUIRED"},
		{"Loopback", "https://127.0.0.1/kassa", []string{"ORDER_PAID"}, "PRIVATE_ADDRESS"},
		{"PrivateNetwork", "https://10.20.30.40/kassa", []string{"ORDER_PAID"}, "PRIVATE_ADDRESS"},
		{"LinkLocal", "https://[fe80::1]/kassa", []string{"ORDER_PAID"}, "PRIVATE_ADDRESS"},
		{"Localhost", "https://localhost:8443/kassa", []string{"ORDER_PAID"}, "PRIVATE_ADDRESS"},
		{"UnknownEvent", "https://93.184.215.14/kassa", []string{"ORDER_SHIPPED"}, "UNKNOWN_EVENT_TYPE"},
		{"NoEvents", "https://93.184.215.14/kassa", []string{}, "NO_EVENTS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out struct {
				CreateWebhookEndpoint struct {
					WebhookEndpoint *struct{ ID string } `json:"webhookEndpoint"`
					Secret          *string              `json:"secret"`
					UserErrors      []userError          `json:"userErrors"`
				} `json:"createWebhookEndpoint"`
			}
			e.Query(t, `mutation($url: String!, $events: [String!]!) { createWebhookEndpoint(input: {url: $url, events: $events}) {
				webhookEndpoint { id } secret userErrors { field code } } }`, map[string]any{"url": tc.url, "events": tc.events}, &out)
			require.Nil(t, out.CreateWebhookEndpoint.WebhookEndpoint)
			require.Nil(t, out.CreateWebhookEndpoint.Secret)
			require.Equal(t, []string{tc.code}, kassatest.Codes(out.CreateWebhookEndpoint.UserErrors))
		})
	}
	require.Zero(t, e.Count(t, `SELECT count(*) FROM webhook_endpoints`))

	t.Run("ManageAnEndpoint", func(t *testing.T) {
		// A public literal address passes the check (nothing is sent to it
		// here: no event is emitted).
		var created struct {
			CreateWebhookEndpoint struct {
				WebhookEndpoint struct {
					ID string `json:"id"`
				} `json:"webhookEndpoint"`
				Secret string `json:"secret"`
			} `json:"createWebhookEndpoint"`
		}
		e.Query(t, `mutation { createWebhookEndpoint(input: {url: "https://93.184.215.14/kassa", events: ["ORDER_PAID"]}) { webhookEndpoint { id } secret } }`, nil, &created)
		id := created.CreateWebhookEndpoint.WebhookEndpoint.ID
		require.True(t, strings.HasPrefix(id, "whe_"))
		var rotated struct {
			RotateWebhookSecret struct {
				WebhookEndpoint struct {
					PreviousSecretExpiresAt *string `json:"previousSecretExpiresAt"`
				} `json:"webhookEndpoint"`
				Secret string `json:"secret"`
			} `json:"rotateWebhookSecret"`
		}
		e.Query(t, `mutation($id: ID!) { rotateWebhookSecret(input: {webhookEndpointId: $id}) { webhookEndpoint { previousSecretExpiresAt } secret } }`,
			map[string]any{"id": id}, &rotated)
		require.NotEqual(t, created.CreateWebhookEndpoint.Secret, rotated.RotateWebhookSecret.Secret)
		require.NotNil(t, rotated.RotateWebhookSecret.WebhookEndpoint.PreviousSecretExpiresAt)
		var list struct {
			WebhookEndpoints struct {
				Edges []struct {
					Node struct {
						ID     string   `json:"id"`
						URL    string   `json:"url"`
						Status string   `json:"status"`
						Events []string `json:"events"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"webhookEndpoints"`
			WebhookEventTypes []struct {
				Type string `json:"type"`
				Name string `json:"name"`
			} `json:"webhookEventTypes"`
		}
		e.Query(t, `{ webhookEndpoints { edges { node { id url status events } } } webhookEventTypes { type name } }`, nil, &list)
		require.Len(t, list.WebhookEndpoints.Edges, 1)
		require.Equal(t, "ENABLED", list.WebhookEndpoints.Edges[0].Node.Status)
		require.GreaterOrEqual(t, len(list.WebhookEventTypes), 6)
		var deleted struct {
			DeleteWebhookEndpoint struct {
				DeletedWebhookEndpointID string `json:"deletedWebhookEndpointId"`
			} `json:"deleteWebhookEndpoint"`
		}
		e.Query(t, `mutation($id: ID!) { deleteWebhookEndpoint(input: {webhookEndpointId: $id}) { deletedWebhookEndpointId } }`, map[string]any{"id": id}, &deleted)
		require.Equal(t, id, deleted.DeleteWebhookEndpoint.DeletedWebhookEndpointID)
		require.Zero(t, e.Count(t, `SELECT count(*) FROM webhook_endpoints`))
	})
}
