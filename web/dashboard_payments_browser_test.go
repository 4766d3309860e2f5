package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestDashboardPaymentLinks: an owner's new-link form that is refused (an
// amount that is not one, then an address the server refuses) keeps all
// that was typed and says what is wrong beside the field; corrected, it
// makes a reusable link whose address and QR code are shown at once, and
// the link is deactivated from its row.
func TestDashboardPaymentLinks(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.Owner)
	merchant := e.Merchant.Merchant.ID

	d.Click(t, "Payment links", 0)
	d.WaitText(t, "New payment link")
	d.Click(t, "New payment link", 0)
	d.Fill(t, "Amount", 0, "tolv")
	d.Fill(t, "Description", 0, "Entré hantverksmässan")
	d.Choose(t, "VAT rate", 0, "600")
	d.Do(t, "tick Reusable", chromedp.Click(chromedp.CSS(d.Control(t, "Reusable", 0))))
	d.Fill(t, "Customer email", 0, "inte-en-adress")
	d.Do(t, "choose an end date", chromedp.Evaluate[chromedp.Void](`(() => { const el = document.getElementById('link-expires');
	  const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
	  set.call(el, '`+time.Now().AddDate(0, 1, 0).Format("2006-01-02")+`'); el.dispatchEvent(new Event('input', {bubbles: true})); })()`))
	d.Click(t, "Create payment link", 0)

	require.Contains(t, d.WaitFieldError(t, "Amount", 0), "Write an amount")
	require.Equal(t, "tolv", d.Value(t, "Amount", 0), "what was typed stays")
	require.Equal(t, "Entré hantverksmässan", d.Value(t, "Description", 0))
	require.Equal(t, "600", d.Value(t, "VAT rate", 0))
	require.Equal(t, true, d.Eval(t, `document.getElementById('link-reusable').checked`))

	d.Fill(t, "Amount", 0, "250")
	d.Click(t, "Create payment link", 0)
	require.Contains(t, d.WaitFieldError(t, "Customer email", 0), "not a valid address", "the server's userError is shown beside the field")
	require.Equal(t, "", d.FieldError(t, "Amount", 0), "the corrected field's error is gone")
	require.Equal(t, "inte-en-adress", d.Value(t, "Customer email", 0))
	require.Equal(t, "250", d.Value(t, "Amount", 0))
	require.Equal(t, true, d.Eval(t, `document.getElementById('link-reusable').checked`))
	d.Screenshot(t, "link-form-errors.png")
	require.Equal(t, 0, e.Count(t, `SELECT count(*) FROM payment_links WHERE merchant_id = $1 AND description = 'Entré hantverksmässan'`, merchant))

	d.Fill(t, "Customer email", 0, "kund@example.com")
	d.Click(t, "Create payment link", 0)
	d.WaitText(t, "Your new payment link")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM payment_links WHERE merchant_id = $1 AND description = 'Entré hantverksmässan'
	  AND kind = 'REUSABLE' AND status = 'ACTIVE' AND amount = 25000 AND currency = 'SEK' AND vat_rate = 600
	  AND customer_email = 'kund@example.com' AND expires_at > now() + interval '27 days'`, merchant))
	var token string
	require.NoError(t, e.SQL.Get(&token, `SELECT token FROM payment_links WHERE merchant_id = $1 AND description = 'Entré hantverksmässan'`, merchant))
	url := e.URL + "/pay/" + token
	d.WaitText(t, url)
	require.Equal(t, true, d.Eval(t, `(() => { const img = document.querySelector('.new-link .qr img');
	  return !!img && img.src.startsWith('data:image/svg+xml') && img.complete && img.naturalWidth > 0 && img.alt.includes(`+fmt.Sprintf("%q", url)+`); })()`),
		"the new link's QR code is shown")
	require.True(t, d.Has(t, "Download QR code (SVG)"))
	require.True(t, d.Has(t, "Copy"))
	d.Screenshot(t, "link-created.png")

	// The row opens to the address, the QR code and Deactivate.
	d.Click(t, "Close", 0)
	d.Click(t, "Show link: Entré hantverksmässan", 0)
	d.WaitText(t, "Deactivate")
	require.Equal(t, true, d.Eval(t, `!!document.querySelector('tr.link-detail .qr img')`))
	d.Do(t, "phone", chromedp.EmulateViewport(390, 844))
	require.True(t, d.FitsWidth(t), "the links page with a row open fits a phone")
	d.Screenshot(t, "links-phone.png")
	d.Do(t, "desktop", chromedp.EmulateViewport(1280, 1000))
	d.Click(t, "Deactivate", 0)
	d.WaitText(t, "The link was deactivated.")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM payment_links WHERE merchant_id = $1 AND description = 'Entré hantverksmässan' AND status = 'DEACTIVATED'`, merchant))
	d.WaitText(t, "Deactivated")

	// The status filter leaves it out of the active links.
	d.Choose(t, "Status", 0, "ACTIVE")
	d.WaitText(t, "No payment links match.")
}

// TestDashboardPayments: payments a salesperson took at the terminal are
// listed; a reservation that lapses within a day is marked in words; the
// salesperson may capture but sees neither void nor refund; an admin
// captures the reservation from its page (reached by the terminal's bare
// UUID address) and may then refund.
func TestDashboardPayments(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "en-GB")
	anna := e.AddStaff(t, "Anna Andersson", "anna@snickeri.test", auth.RoleSales)
	bertil := e.AddStaff(t, "Bertil Berg", "bertil@snickeri.test", auth.RoleAdmin)

	annaAPI := e.Login(t, anna)
	take := func(amount int64, mode, description string) uuid.UUID {
		t.Helper()
		r := e.GraphQLAs(t, annaAPI, `mutation($input: CreateTerminalPaymentInput!) { createTerminalPayment(input: $input) {
		  payment { id } userErrors { field message code } } }`, map[string]any{"input": map[string]any{
			"amount": amount, "currency": "SEK", "captureMode": mode, "description": description, "customerEmail": "kund@example.com",
			"card": map[string]any{"number": kassatest.CardOK, "expMonth": 12, "expYear": time.Now().Year() + 3, "cvc": "123"},
		}})
		require.Empty(t, r.Errors, "%s", r.Raw)
		var out struct {
			CreateTerminalPayment struct {
				Payment    struct{ ID string }
				UserErrors []kassatest.UserError
			}
		}
		r.Decode(t, &out)
		require.Empty(t, out.CreateTerminalPayment.UserErrors)
		id, err := uuid.Parse(strings.TrimPrefix(out.CreateTerminalPayment.Payment.ID, "pay_"))
		require.NoError(t, err)
		return id
	}
	charged := take(123450, "IMMEDIATE", "Matbord i ek")
	reserved := take(80000, "RESERVE", "Stolar, leverans fredag")
	kassatest.Eventually(t, 15*time.Second, "the simulator to settle both payments", func() bool {
		return e.Count(t, `SELECT count(*) FROM payments WHERE (id = $1 AND status = 'CAPTURED') OR (id = $2 AND status = 'AUTHORIZED')`, charged, reserved) == 2
	})
	// The reservation lapses in a few hours.
	_, err := e.SQL.Exec(`UPDATE payments SET capture_before = now() + interval '5 hours 30 minutes' WHERE id = $1`, reserved)
	require.NoError(t, err)

	t.Run("SalesCapturesButNeitherVoidsNorRefunds", func(t *testing.T) {
		d := e.OpenDashboard(t, browser, anna)
		d.Click(t, "Payments", 0)
		d.WaitText(t, "Matbord i ek")
		d.WaitText(t, "Stolar, leverans fredag")
		require.Equal(t, false, d.Eval(t, `!!document.getElementById('p-staff')`), "SALES have no staff filter")
		d.Go(t, "/payments/"+kassatest.PaymentGlobalID(charged))
		d.WaitText(t, "Matbord i ek")
		d.WaitText(t, "Captured")
		require.False(t, d.Has(t, "Refund"), "SALES see no refund")
		d.Go(t, "/payments/"+reserved.String())
		d.WaitText(t, "Stolar, leverans fredag")
		d.WaitText(t, "Lapses in 5 h")
		require.True(t, d.Has(t, "Capture"), "SALES may capture")
		require.False(t, d.Has(t, "Void reservation"), "SALES see no void")
		require.False(t, d.Has(t, "Refund"))
	})

	t.Run("AdminCapturesAReservation", func(t *testing.T) {
		d := e.OpenDashboard(t, browser, bertil)
		d.Go(t, "/payments?view=reservations")
		d.WaitText(t, "Lapses in 5 h")
		require.Equal(t, true, d.Eval(t, `!!document.querySelector('tr.soon[data-payment="`+kassatest.PaymentGlobalID(reserved)+`"]')`),
			"the row of a reservation that lapses today is marked")
		d.Screenshot(t, "reservations.png")
		d.Do(t, "phone", chromedp.EmulateViewport(390, 844))
		require.True(t, d.FitsWidth(t), "the reservations fit a phone")
		d.Screenshot(t, "reservations-phone.png")
		d.Do(t, "desktop", chromedp.EmulateViewport(1280, 1000))

		d.Click(t, "800,00 kr", 0)
		d.WaitText(t, "Stolar, leverans fredag")
		require.Contains(t, d.Path(t), "/payments/"+kassatest.PaymentGlobalID(reserved))
		require.True(t, d.Has(t, "Void reservation"), "an admin may void")
		require.False(t, d.Has(t, "Refund"), "nothing captured, nothing to refund")

		d.Fill(t, "Amount to capture", 0, "åtta")
		d.Click(t, "Capture", 0)
		require.Contains(t, d.WaitFieldError(t, "Amount to capture", 0), "Write an amount")
		require.Equal(t, "åtta", d.Value(t, "Amount to capture", 0))
		require.Equal(t, 0, e.Count(t, `SELECT count(*) FROM payments WHERE id = $1 AND amount_captured > 0`, reserved))

		d.Fill(t, "Amount to capture", 0, "")
		d.Click(t, "Capture", 0)
		waitJS(t, d, `(document.querySelector('[role=status] .notice')?.textContent || '').startsWith('Captured') && document.querySelector('[role=status] .notice').textContent.includes('800')`)
		kassatest.Eventually(t, 15*time.Second, "the capture", func() bool {
			return e.Count(t, `SELECT count(*) FROM payments WHERE id = $1 AND status = 'CAPTURED' AND amount_captured = 80000`, reserved) == 1
		})
		kassatest.Eventually(t, 15*time.Second, "the page to offer a refund of what was captured (an admin may)", func() bool { return d.Has(t, "Refund") })
		require.False(t, d.Has(t, "Void reservation"))
		d.Screenshot(t, "payment-captured.png")

		// (The staff filter names Anna before the list has loaded: wait
		// for the list itself.)
		d.Go(t, "/payments")
		kassatest.Eventually(t, 15*time.Second, "the terminal payment to be listed", func() bool { return d.Has(t, "1 234,50 kr") })
		d.Choose(t, "Status", 0, "FAILED")
		d.WaitText(t, "No payments match.")
	})
}

// waitJS waits until the expression js is true in d's page.
func waitJS(t *testing.T, d *kassatest.Dash, js string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for d.Eval(t, js) != true {
		if time.Now().After(deadline) {
			d.Screenshot(t, "waitjs.png")
			t.Fatalf("waited for %s", js)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
