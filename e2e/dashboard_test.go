package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestSalespersonSellsFromTheDashboard is the salesperson's flow from the
// dashboard alone: a SALES member writes a two-line order (25 % and 12 %
// VAT) and sends the confirmation; the customer opens the email and pays
// with a card that asks for 3-D Secure; the salesperson's order page turns
// Paid without a reload. Then the owner refunds part of it from the same
// page, which the payment shows, while the salesperson has no refund
// action and the API refuses the refund they send by hand.
func TestSalespersonSellsFromTheDashboard(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	browser := kassatest.Chromium(t, "en-GB")
	sales := e.AddStaff(t, "Sara Säljare", "sara@snickeri.test", auth.RoleSales)
	owner := e.AddStaff(t, "Olle Ägare", "olle@snickeri.test", auth.RoleOwner)
	email := customerEmail("dashboard")

	d := e.OpenDashboard(t, browser, sales)
	d.Click(t, "New order", 0)
	d.Fill(t, "Customer name", 0, "Karin Kund")
	d.Fill(t, "Customer email", 0, email)
	d.Choose(t, "Language of emails and payment page", 0, "sv")
	d.Fill(t, "Description", 0, "Ekbord, 180 cm")
	d.Fill(t, "Quantity", 0, "1")
	d.Fill(t, "Unit price", 0, "12 500,00")
	d.Choose(t, "VAT rate", 0, "2500")
	d.Click(t, "Add line", 0)
	d.Fill(t, "Description", 1, "Hemleverans")
	d.Fill(t, "Quantity", 1, "2")
	d.Fill(t, "Unit price", 1, "400")
	d.Choose(t, "VAT rate", 1, "1200")
	d.Fill(t, "Message to the customer", 0, "Tack för samtalet! Här är ordern vi kom överens om.")
	d.Click(t, "Create order", 0)
	d.WaitText(t, "Send the order confirmation")
	require.Equal(t, "Tack för samtalet! Här är ordern vi kom överens om.", d.Value(t, "Message to the customer", 0),
		"the message typed in the order form waits in the confirmation's form")
	d.Screenshot(t, "1-draft.png")
	d.Click(t, "Send order confirmation", 0)
	d.WaitText(t, "The order confirmation was sent to "+email)
	d.WaitText(t, "Confirmation sent")
	orderID := strings.TrimPrefix(d.Path(t), "/orders/")
	const gross = 12_500_00 + 2*400_00
	o := e.order(t, orderID)
	require.Equal(t, "CONFIRMATION_SENT", o.Status)
	require.EqualValues(t, gross, o.Totals.Gross.Amount)
	d.Screenshot(t, "2-sent.png")

	// The page must turn Paid by itself: mark it, and see the mark survive.
	d.Eval(t, `window.__notReloaded = true`)

	mail := e.mail.WaitTo(t, email, "Orderbekräftelse", 1)
	msg := e.mail.Message(t, mail[0].ID)
	require.Contains(t, msg.Text, "Tack för samtalet!")
	link := payLinkRe.FindString(msg.Text)
	require.NotEmpty(t, link, "the email carries the payment link")

	cust, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, stop := context.WithTimeout(cust, 60*time.Second)
	defer stop()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("cardNumber")),
		chromedp.Click(chromedp.CSS(`input[name="accept"]`)),
		chromedp.SendKeys(chromedp.ID("cardNumber"), card3DS),
		chromedp.SendKeys(chromedp.ID("expiry"), expiry()),
		chromedp.SendKeys(chromedp.ID("cvc"), "123"),
		chromedp.SendKeys(chromedp.ID("cardholder"), "Karin Kund"),
		chromedp.Click(chromedp.ID("pay")),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), "1234"),
		chromedp.Click(chromedp.CSS("button.verify")),
		chromedp.WaitVisible(chromedp.ID("done")),
	), "the customer pays with 3-D Secure")

	d.WaitText(t, "Paid")
	require.Equal(t, true, d.Eval(t, `window.__notReloaded === true`), "the order page turned Paid without a reload")
	require.Equal(t, "PAID", d.Eval(t, `document.querySelector('.page-head [data-status]').dataset.status`))
	d.Screenshot(t, "3-paid-live.png")
	paid := e.waitOrder(t, orderID, "PAID")
	require.EqualValues(t, gross, paid.Paid.Amount)
	paymentID := paid.Payments[0].ID

	// SALES has no refund action, and the API refuses one sent by hand.
	require.False(t, d.Has(t, "Refund"), "a salesperson is offered no refund")
	b := e.Login(t, sales)
	r := e.GraphQLAsWith(t, b, map[string]string{"Idempotency-Key": "sales-refund-1"},
		`mutation($input: RefundPaymentInput!) { refundPayment(input: $input) { payment { id } userErrors { code message } } }`,
		map[string]any{"input": map[string]any{"paymentId": paymentID, "amount": 100_00}})
	require.Contains(t, string(r.Raw), "FORBIDDEN", "the API refuses a salesperson's refund: %s", r.Raw)
	require.EqualValues(t, 0, refundedOf(t, e, paymentID), "nothing was refunded")
	require.Equal(t, orderID, orderOf(t, e, paymentID), "the payment names the order it paid")

	// The owner refunds part of it from the order's page.
	od := e.OpenDashboard(t, browser, owner)
	od.Go(t, "/orders/"+orderID)
	od.WaitText(t, "Paid")
	// More than was paid is refused beside the amount, and nothing typed
	// is lost.
	od.Fill(t, "Amount to refund", 0, "99 999,00")
	od.Fill(t, "Reason", 0, "Leveransen blev billigare")
	od.Click(t, "Refund", 0)
	require.NotEmpty(t, od.WaitFieldError(t, "Amount to refund", 0))
	require.Equal(t, "Leveransen blev billigare", od.Value(t, "Reason", 0))
	require.Equal(t, "99 999,00", od.Value(t, "Amount to refund", 0))
	require.EqualValues(t, 0, refundedOf(t, e, paymentID), "nothing was refunded")

	od.Fill(t, "Amount to refund", 0, "400,00")
	od.Click(t, "Refund", 0)
	od.WaitText(t, "Refunded 400,00")
	od.WaitText(t, "Partially refunded")
	od.Screenshot(t, "4-refunded.png")
	e.waitOrder(t, orderID, "PARTIALLY_REFUNDED")
	require.EqualValues(t, 400_00, refundedOf(t, e, paymentID))

	// The payment's own page shows it too, and leads back to the order.
	od.Go(t, "/payments/"+paymentID)
	od.WaitText(t, "Partially refunded")
	od.WaitText(t, "400,00")
	od.WaitText(t, "For order ")

	// So does the overview: revenue net of the refund, one paid order.
	od.Go(t, "/")
	od.WaitText(t, "Revenue, net of refunds")
	require.Equal(t, "12 900,00 kr", strings.ReplaceAll(fmt.Sprint(od.Eval(t, `document.querySelector('[data-kpi="net"]').textContent`)), "\u00a0", " "))
	od.WaitText(t, "Refunded 400,00")
	require.Equal(t, "1", fmt.Sprint(od.Eval(t, `document.querySelector('[data-kpi="paidOrders"]').textContent`)))
	od.Screenshot(t, "5-overview.png")
	// Narrowed to a phone's width, the overview (its chart too) follows.
	od.Do(t, "phone", chromedp.EmulateViewport(390, 844), chromedp.Sleep(500*time.Millisecond))
	od.Screenshot(t, "6-overview-phone.png")
	require.True(t, od.FitsWidth(t), "the overview fits a phone: %v", od.Eval(t, `Array.from(document.querySelectorAll('*')).filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`))
}

// refundedOf is what the API says was refunded of a payment.
func refundedOf(t *testing.T, e *env, paymentID string) int64 {
	t.Helper()
	var out struct {
		Node struct {
			Refunded moneyView `json:"refunded"`
		} `json:"node"`
	}
	e.Query(t, `query($id: ID!) { node(id: $id) { ... on Payment { refunded { amount currency } } } }`, map[string]any{"id": paymentID}, &out)
	return out.Node.Refunded.Amount
}

// orderOf is the order the API says a payment paid.
func orderOf(t *testing.T, e *env, paymentID string) string {
	t.Helper()
	var out struct {
		Node struct {
			Order *struct {
				ID string `json:"id"`
			} `json:"order"`
		} `json:"node"`
	}
	e.Query(t, `query($id: ID!) { node(id: $id) { ... on Payment { order { id } } } }`, map[string]any{"id": paymentID}, &out)
	if out.Node.Order == nil {
		return ""
	}
	return out.Node.Order.ID
}
