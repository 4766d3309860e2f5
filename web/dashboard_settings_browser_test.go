package web_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestDashboardSettings: an admin fills in the business details receipts
// and invoices need. A wrong organisation number is refused beside its
// field and nothing typed is lost; corrected, the details are stored as
// kassa normalises them, the language switch is remembered for the
// person, and in Swedish a refusal is said in Swedish.
func TestDashboardSettings(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.AddStaff(t, "Ada Admin", "ada@snickeri.test", auth.RoleAdmin))

	d.Click(t, "Settings", 0)
	d.Fill(t, "Legal name", 0, "Snickeri Nord Aktiebolag")
	d.Fill(t, "Organisation number", 0, "556016-0681")
	d.Fill(t, "VAT number", 0, "se 556016068001")
	d.Fill(t, "Address", 0, "Storgatan 1")
	d.Fill(t, "Postal code", 0, "90325")
	d.Fill(t, "City", 0, "Umeå")
	d.Click(t, "Save details", 0)
	require.NotEmpty(t, d.WaitFieldError(t, "Organisation number", 0))
	require.Equal(t, "556016-0681", d.Value(t, "Organisation number", 0), "what was typed stays")
	require.Equal(t, "Umeå", d.Value(t, "City", 0))
	require.Equal(t, 0, e.Count(t, `SELECT count(*) FROM merchants WHERE legal_name IS NOT NULL`), "nothing was stored")

	d.Fill(t, "Organisation number", 0, "5560160680")
	d.Click(t, "Save details", 0)
	d.WaitText(t, "Saved.")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM merchants WHERE id = $1 AND legal_name = 'Snickeri Nord Aktiebolag'
	  AND organisation_number = '556016-0680' AND vat_number = 'SE556016068001' AND address_line1 = 'Storgatan 1'
	  AND postal_code = '903 25' AND city = 'Umeå' AND country = 'SE'`, e.Merchant.Merchant.ID))
	require.True(t, d.FitsWidth(t))
	d.Screenshot(t, "settings.png")

	// The language switch is the person's, kept by kassa: a new browser
	// context (no local storage) opens in Swedish.
	d.Click(t, "Svenska", 0)
	d.WaitText(t, "Inställningar")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM users WHERE email = 'ada@snickeri.test' AND locale = 'sv'`))

	// In Swedish the server's refusal is said in Swedish, beside its field.
	d.Fill(t, "Organisationsnummer", 0, "556016-0681")
	d.Click(t, "Spara uppgifterna", 0)
	require.Contains(t, d.WaitFieldError(t, "Organisationsnummer", 0), "Organisationsnumret stämmer inte")
}
