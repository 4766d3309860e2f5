package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestDashboardNewOrderKeepsTypedValues: a salesperson's order form that
// is refused (an amount that is not one, then an email the server
// refuses) shows each message beside its field and loses nothing typed;
// corrected, it creates the order and opens its page.
func TestDashboardNewOrderKeepsTypedValues(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.AddStaff(t, "Sara Sälj", "sara@snickeri.test", auth.RoleSales))

	d.Click(t, "New order", 0)
	d.WaitText(t, "Customer name")
	d.Fill(t, "Customer name", 0, "Kund Kundsson")
	d.Fill(t, "Customer email", 0, "not-an-email")
	d.Fill(t, "Description", 0, "Ekbord")
	d.Fill(t, "Quantity", 0, "2")
	d.Fill(t, "Unit price", 0, "12 500,00")
	d.Click(t, "Add line", 0)
	d.Fill(t, "Description", 1, "Montering")
	d.Fill(t, "Unit price", 1, "tolv")
	d.Choose(t, "VAT rate", 1, "1200")
	d.Click(t, "Create order", 0)

	require.Contains(t, d.WaitFieldError(t, "Unit price", 1), "Write an amount")
	require.Equal(t, "", d.FieldError(t, "Unit price", 0))
	require.Equal(t, "tolv", d.Value(t, "Unit price", 1), "what was typed stays")
	require.Equal(t, "Kund Kundsson", d.Value(t, "Customer name", 0))

	d.Fill(t, "Unit price", 1, "800")
	require.Equal(t, "800", d.Value(t, "Unit price", 1))
	d.Click(t, "Create order", 0)
	require.Contains(t, d.WaitFieldError(t, "Customer email", 0), "not a valid address", "the server's userError is shown beside the email field")
	require.Equal(t, "", d.FieldError(t, "Unit price", 1), "the corrected field's error is gone")
	require.Equal(t, "not-an-email", d.Value(t, "Customer email", 0))
	require.Equal(t, "Montering", d.Value(t, "Description", 1))
	require.Equal(t, "1200", d.Value(t, "VAT rate", 1))
	d.Screenshot(t, "new-order-errors.png")

	d.Fill(t, "Customer email", 0, "kund@example.com")
	d.Click(t, "Create order", 0)
	d.WaitText(t, "Send order confirmation")
	require.Contains(t, d.Path(t), "/orders/ord_")
	d.WaitText(t, "Draft")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM orders WHERE merchant_id = $1`, e.Merchant.Merchant.ID))
	d.Do(t, "phone", chromedp.EmulateViewport(390, 844))
	require.True(t, d.FitsWidth(t), "the order page fits a phone")
	d.Screenshot(t, "order-phone.png")
}
