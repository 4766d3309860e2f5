package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestDashboardSubscriptionCreateEmailsFirstPaymentLink: a subscription
// created from the dashboard reaches the customer's email as a
// first-payment link. Refused input (an amount that is not one, then an
// email the server refuses) is shown beside its field and nothing typed
// is lost.
func TestDashboardSubscriptionCreateEmailsFirstPaymentLink(t *testing.T) {
	t.Parallel()
	mp := kassatest.StartMailpit(t)
	e := kassatest.Start(t, kassatest.SMTP("smtp://"+mp.SMTPAddr))
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.Owner)

	d.Click(t, "Subscriptions", 0)
	d.Click(t, "New subscription", 0)
	d.Fill(t, "Customer name", 0, "Anna Andersson")
	d.Fill(t, "Customer email", 0, "anna-at-example")
	d.Choose(t, "Plan type", 0, "FIXED")
	d.Choose(t, "Interval", 0, "MONTHLY")
	d.Fill(t, "Description", 0, "Kaffeklubben")
	d.Fill(t, "Amount", 0, "abc")
	d.Choose(t, "VAT rate", 0, "1200")
	d.Click(t, "Create subscription", 0)

	require.Contains(t, d.WaitFieldError(t, "Amount", 0), "Write an amount")
	require.Equal(t, "abc", d.Value(t, "Amount", 0), "what was typed stays")
	require.Equal(t, "Anna Andersson", d.Value(t, "Customer name", 0))
	require.Zero(t, e.Count(t, `SELECT count(*) FROM subscriptions`))

	d.Fill(t, "Amount", 0, "199,00")
	d.Click(t, "Create subscription", 0)
	require.Contains(t, d.WaitFieldError(t, "Customer email", 0), "valid email", "the server's userError is beside the email field")
	require.Equal(t, "", d.FieldError(t, "Amount", 0))
	require.Equal(t, "anna-at-example", d.Value(t, "Customer email", 0))
	require.Equal(t, "Kaffeklubben", d.Value(t, "Description", 0))
	require.Equal(t, "1200", d.Value(t, "VAT rate", 0))
	require.Equal(t, "199,00", d.Value(t, "Amount", 0))
	d.Screenshot(t, "new-subscription-errors.png")

	email := "anna@example.com"
	d.Fill(t, "Customer email", 0, email)
	d.Click(t, "Create subscription", 0)
	d.WaitText(t, "We emailed "+email)
	require.Contains(t, d.Path(t), "/subscriptions/sub_")
	d.WaitText(t, "Awaiting first payment")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM subscriptions WHERE merchant_id = $1 AND customer_email = $2
		AND status = 'PENDING_MANDATE' AND plan->>'kind' = 'FIXED' AND (plan->>'amount')::bigint = 19900
		AND (plan->>'vatRate')::int = 1200 AND plan->>'interval' = 'MONTHLY'`, e.Merchant.Merchant.ID, email))

	link := d.Eval(t, `(document.querySelector('section[aria-labelledby="first-h"] a[href*="/pay/"]') || {}).href || ''`).(string)
	require.True(t, strings.HasPrefix(link, e.URL+"/pay/"), "the page shows the first-payment link: %q", link)
	require.True(t, d.Has(t, "Copy"))
	require.True(t, d.Has(t, "Download QR code (SVG)"))

	msgs := mp.WaitTo(t, email, "", 1)
	msg := mp.Message(t, msgs[0].ID)
	require.Contains(t, msg.Text, link, "the customer's email holds the link of the first payment")
	require.Contains(t, msg.HTML, link)

	d.Do(t, "phone", chromedp.EmulateViewport(390, 844))
	require.True(t, d.FitsWidth(t), "the subscription page fits a phone")
	d.Screenshot(t, "subscription-pending-phone.png")
}

// TestDashboardSubscriptionPauseResume: on an active subscription's page
// the stored card and the paid first invoice are shown; Pause and Resume
// change its status. The invoice's page links to the customer's hosted
// invoice; a salesperson may pause and resume too, but is not offered a
// refund of the invoice's payment.
func TestDashboardSubscriptionPauseResume(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	subID, link := createSubscription(t, e, map[string]any{"kind": "FIXED", "amount": 9900, "interval": "MONTHLY"})
	status := func() string {
		var s string
		require.NoError(t, e.SQL.Get(&s, `SELECT status FROM subscriptions WHERE merchant_id = $1`, e.Merchant.Merchant.ID))
		return s
	}
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.Owner)
	d.Go(t, "/subscriptions/"+subID)
	d.WaitText(t, "Awaiting first payment")
	d.Eval(t, `window.__notReloaded = true`)

	// The customer's first payment turns the open page Active by itself.
	payFirst(t, link)
	kassatest.Eventually(t, 30*time.Second, "the first payment to activate the subscription", func() bool { return status() == "ACTIVE" })
	d.WaitText(t, "ending 4242")
	kassatest.Eventually(t, 15*time.Second, "the page to say Active", func() bool {
		return d.Eval(t, `!!document.querySelector('.page [data-status="ACTIVE"]')`) == true
	})
	require.Equal(t, true, d.Eval(t, `window.__notReloaded === true`), "without a reload")
	d.WaitText(t, "99,00")
	d.Click(t, "Pause", 0)
	kassatest.Eventually(t, 15*time.Second, "the subscription to be paused", func() bool { return status() == "PAUSED" })
	d.Click(t, "Resume", 0)
	kassatest.Eventually(t, 15*time.Second, "the subscription to be resumed", func() bool { return status() == "ACTIVE" })
	d.WaitText(t, "Resumed.")
	kassatest.Eventually(t, 15*time.Second, "an active subscription to offer Pause again", func() bool { return d.Has(t, "Pause") })

	d.Click(t, "Open invoice 1", 0)
	d.WaitText(t, "Total incl. VAT")
	hosted := d.Eval(t, `(Array.from(document.querySelectorAll('a')).find((a) => a.textContent.trim() === 'Open the invoice page') || {}).href || ''`).(string)
	require.Regexp(t, "^"+regexp.QuoteMeta(e.URL)+"/invoices/[A-Za-z0-9_-]+$", hosted)
	res, err := http.Get(hosted)
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the hosted invoice page opens")
	invoicePath := d.Path(t)
	d.WaitText(t, "Captured")
	require.True(t, d.Has(t, "Refund"), "an owner may refund the invoice's payment")

	sales := e.OpenDashboard(t, browser, e.AddStaff(t, "Sara Sälj", "sara@snickeri.test", auth.RoleSales))
	sales.Go(t, invoicePath)
	sales.WaitText(t, "Captured")
	require.False(t, sales.Has(t, "Refund"), "a salesperson is not offered a refund")
	sales.Go(t, "/subscriptions/"+subID)
	sales.WaitText(t, "ending 4242")
	sales.Click(t, "Pause", 0)
	kassatest.Eventually(t, 15*time.Second, "the salesperson's pause", func() bool { return status() == "PAUSED" })
	sales.Do(t, "phone", chromedp.EmulateViewport(390, 844))
	require.True(t, sales.FitsWidth(t), "the subscription page fits a phone")
	sales.Screenshot(t, "subscription-phone.png")
}

// createSubscription creates a subscription for anna@example.com through
// the API and returns its id and first-payment link.
func createSubscription(t *testing.T, e *kassatest.Env, plan map[string]any) (string, string) {
	t.Helper()
	var out struct {
		Create struct {
			Subscription *struct {
				ID string `json:"id"`
			} `json:"subscription"`
			PaymentLink *struct {
				URL string `json:"url"`
			} `json:"paymentLink"`
			UserErrors []kassatest.UserError `json:"userErrors"`
		} `json:"createSubscription"`
	}
	e.Query(t, `mutation($in: CreateSubscriptionInput!) { createSubscription(input: $in) {
		subscription { id } paymentLink { url } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"customer": map[string]any{"name": "Anna Andersson", "email": "anna@example.com", "locale": "en"}, "plan": plan}}, &out)
	require.Empty(t, out.Create.UserErrors)
	require.NotNil(t, out.Create.PaymentLink)
	return out.Create.Subscription.ID, out.Create.PaymentLink.URL
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// payFirst pays a subscription's first-payment link as the customer, with
// the simulator's card that needs no 3-D Secure, agreeing to the mandate.
func payFirst(t *testing.T, link string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(link)
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	v := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(string(body), -1) {
		v.Set(m[1], m[2])
	}
	v.Set("accept", "yes")
	v.Set("mandate", "yes")
	v.Set("cardNumber", "4242 4242 4242 4242")
	v.Set("expiry", kassatest.Expiry())
	v.Set("cvc", "123")
	v.Set("cardholder", "Anna Andersson")
	res, err = c.PostForm(link, v)
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "the payment is taken:\n%s", body)
}

// TestDashboardSubscriptionChangePlanAndCharge: a new plan (after an
// amount that is not one, kept as typed) waits for the next period; a
// manual charge (after the same) makes an invoice and charges the stored
// card.
func TestDashboardSubscriptionChangePlanAndCharge(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	subID, link := createSubscription(t, e, map[string]any{"kind": "FIXED", "amount": 9900, "interval": "MONTHLY"})
	payFirst(t, link)
	kassatest.Eventually(t, 30*time.Second, "the first payment to activate the subscription", func() bool {
		return e.Count(t, `SELECT count(*) FROM subscriptions WHERE status = 'ACTIVE'`) == 1
	})

	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.Owner)
	d.Go(t, "/subscriptions/"+subID)
	d.WaitText(t, "ending 4242")

	d.Click(t, "Change plan", 0)
	d.Fill(t, "Amount", 0, "x")
	d.Click(t, "Change plan", 0)
	require.Contains(t, d.WaitFieldError(t, "Amount", 0), "Write an amount")
	require.Equal(t, "x", d.Value(t, "Amount", 0))
	d.Fill(t, "Amount", 0, "149,00")
	d.Click(t, "Change plan", 0)
	d.WaitText(t, "Plan changed: it takes effect from the next period.")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM subscriptions WHERE (pending_plan->>'amount')::bigint = 14900 AND (plan->>'amount')::bigint = 9900`))
	d.WaitText(t, "From the next period")

	d.Fill(t, "Amount to charge", 0, "tjugo")
	d.Fill(t, "What the charge is for", 0, "Extra delivery")
	d.Click(t, "Charge card", 0)
	require.Contains(t, d.WaitFieldError(t, "Amount to charge", 0), "Write an amount")
	require.Equal(t, "Extra delivery", d.Value(t, "What the charge is for", 0))
	require.Zero(t, e.Count(t, `SELECT count(*) FROM invoices WHERE kind = 'MANUAL'`))
	d.Fill(t, "Amount to charge", 0, "25,00")
	d.Click(t, "Charge card", 0)
	d.WaitText(t, "Invoice 2 made")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM invoices WHERE kind = 'MANUAL' AND gross = 2500`))
	kassatest.Eventually(t, 30*time.Second, "the manual charge to be paid", func() bool {
		return e.Count(t, `SELECT count(*) FROM invoices WHERE kind = 'MANUAL' AND status = 'PAID'`) == 1
	})
	kassatest.Eventually(t, 15*time.Second, "the new invoice in the subscription's list", func() bool { return d.Has(t, "Open invoice 2") })
	d.Screenshot(t, "subscription-charged.png")
}

// TestDashboardSubscriptionUsageTiers: a usage plan priced in tiers is
// made from the form as PlanInput has it: the last tier unbounded, a flat
// fee, the largest quantity counted. A tier's bound that is not a number
// is refused beside it, keeping what was typed.
func TestDashboardSubscriptionUsageTiers(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.Owner)
	d.Go(t, "/subscriptions/new")
	d.Fill(t, "Customer name", 0, "Bo Berg")
	d.Fill(t, "Customer email", 0, "bo@example.com")
	d.Choose(t, "Plan type", 0, "USAGE")
	d.Choose(t, "How usage is counted", 0, "MAX")
	d.Do(t, "price in tiers", chromedp.Click(chromedp.CSS(d.Control(t, "Price in tiers (graduated)", 0))))
	d.Fill(t, "Up to (units)", 0, "lots")
	d.Fill(t, "Unit price", 0, "2,00")
	d.Fill(t, "Unit price", 1, "1,00")
	d.Fill(t, "Flat fee", 1, "50")
	d.Click(t, "Create subscription", 0)
	require.Contains(t, d.WaitFieldError(t, "Up to (units)", 0), "whole number")
	require.Equal(t, "lots", d.Value(t, "Up to (units)", 0))
	require.Equal(t, "50", d.Value(t, "Flat fee", 1))
	d.Fill(t, "Up to (units)", 0, "100")
	d.Click(t, "Create subscription", 0)
	d.WaitText(t, "We emailed bo@example.com")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM subscriptions WHERE plan->>'kind' = 'USAGE' AND plan->>'aggregation' = 'MAX'
		AND plan->>'interval' = 'MONTHLY' AND (plan->'tiers'->0->>'upTo')::bigint = 100 AND (plan->'tiers'->0->>'unitPrice')::bigint = 200
		AND plan->'tiers'->1->'upTo' IS NULL AND (plan->'tiers'->1->>'unitPrice')::bigint = 100 AND (plan->'tiers'->1->>'flatFee')::bigint = 5000`))
	d.WaitText(t, "Tiered usage / month")
}
