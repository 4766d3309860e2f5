package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

// screenshot saves the whole page as test-artifacts/<test>-<name>.png.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := kassatest.ArtifactPath(t, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

// text reads the text of the element with id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	require.NoError(t, err, "text of #%s", id)
	return strings.TrimSpace(s)
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	return loc
}

// The customer pays with a card that needs 3-D Secure in a real browser:
// the link from the email, the payment page, the bank's challenge, back
// to the status page, which refreshes itself until the callback settles
// the payment.
func TestThreeDSecureInBrowser(t *testing.T) {
	t.Parallel()
	kassatest.ChromiumPath(t)
	e := setup(t, kassatest.StartMailpit(t))
	email := customerEmail("browser")
	o := e.mustCreateOrder(t, twoLineOrder(email))
	link := e.mustSend(t, o.ID)
	mail := e.mail.WaitTo(t, email, "Orderbekräftelse", 1)
	fromMail := payLinkRe.FindString(e.mail.Message(t, mail[0].ID).Text)
	require.Equal(t, link.URL, fromMail)

	ctx := kassatest.Chromium(t, "sv-SE", kassatest.WindowSize(1024, 1100), kassatest.BrowserTimeout(2*time.Minute))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(fromMail),
		chromedp.WaitVisible(chromedp.ID("cardNumber")),
		chromedp.Click(chromedp.CSS(`input[name="accept"]`)),
		chromedp.SendKeys(chromedp.ID("cardNumber"), card3DS),
		chromedp.SendKeys(chromedp.ID("expiry"), expiry()),
		chromedp.SendKeys(chromedp.ID("cvc"), "123"),
		chromedp.SendKeys(chromedp.ID("cardholder"), "Anna Andersson"),
	), "payment page")
	require.Equal(t, sek(twoLineGross), text(t, ctx, "total"))
	screenshot(t, ctx, "1-payment-page")

	// Submitting leads to the issuer's 3-D Secure challenge.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("pay")),
		chromedp.WaitVisible(chromedp.ID("code")),
	), "3-D Secure page")
	loc := location(t, ctx)
	require.True(t, strings.HasPrefix(loc, e.URL+"/simulator/3ds/"), "after submitting the browser is at %s", loc)
	// The bank names the merchant and writes the amount in the merchant's
	// language, as the payment page did: not an id and "25299.00 SEK".
	require.Equal(t, sek(twoLineGross), text(t, ctx, "amount"))
	require.Equal(t, e.Merchant.Merchant.Name, text(t, ctx, "merchant"))
	screenshot(t, ctx, "2-3ds-challenge")
	require.Equal(t, "REQUIRES_ACTION", e.order(t, o.ID).Payments[0].Status)

	// The code passes the challenge; the browser returns to the status
	// page, which refreshes itself until the payment is settled.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), "1234"),
		chromedp.Click(chromedp.CSS("button.verify")),
		chromedp.WaitVisible(chromedp.ID("done")),
	), "result page")
	loc = location(t, ctx)
	require.True(t, strings.HasPrefix(loc, link.URL+"/status?payment="), "after 3-D Secure the browser is at %s", loc)
	require.Equal(t, "Tack! Betalningen är klar.", text(t, ctx, "done"))
	screenshot(t, ctx, "3-result")

	paid := e.waitOrder(t, o.ID, "PAID")
	require.EqualValues(t, twoLineGross, paid.Paid.Amount)
	require.Len(t, paid.Payments, 1)
	require.Equal(t, "CAPTURED", paid.Payments[0].Status)
	require.Equal(t, "PASSED", paid.Payments[0].ThreeDSecure)
	e.mail.WaitTo(t, email, "Kvitto", 1)
	e.waitJobsIdle(t)
	require.Len(t, e.mail.To(t, email, "Kvitto"), 1)
}
