package mailer

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// vatLines are the text's summary lines about VAT (not the per-line
// "(moms 25 %)" notes).
func vatLines(text, label string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, label+" ") || strings.HasPrefix(l, label+":") {
			out = append(out, l)
		}
	}
	return out
}

// TestOrderConfirmationTextNamesEachVATOnce: with one VAT rate the plain
// text said "Moms 25 %: 200,00 kr (på 800,00 kr)" and then "Moms: 200,00
// kr", the same VAT twice. Each rate appears once with its label, and the
// total once (with one rate, the rate's line is the total). The receipt
// said it twice the same way; both share one VAT summary now.
func TestOrderConfirmationTextNamesEachVATOnce(t *testing.T) {
	t.Parallel()
	base := func() map[string]any {
		return map[string]any{
			"MerchantName": "Snickeri AB", "CustomerName": "Anna", "OrderNumber": "17", "PayURL": "https://kassa.example/pay/x",
			"Accent": "#0b5fff", "Title": "t", "Net": "800,00 kr", "Total": "1 000,00 kr",
			"Lines": []map[string]any{{"Description": "Bord", "UnitPrice": "1 000,00 kr", "VATPercent": "25", "Gross": "1 000,00 kr", "Quantity": 1}},
		}
	}
	for _, tc := range []struct{ email, lang, label, on string }{
		{"order_confirmation", "sv", "Moms", "på"}, {"order_confirmation", "en", "VAT", "on"},
		{"receipt", "sv", "Moms", "på"}, {"receipt", "en", "VAT", "on"},
	} {
		t.Run(tc.email+"/OneRate_"+tc.lang, func(t *testing.T) {
			d := base()
			d["VATTotal"] = "200,00 kr"
			d["VAT"] = []map[string]any{{"Percent": "25", "Net": "800,00 kr", "VAT": "200,00 kr"}}
			r, err := Render(tc.email, tc.lang, d)
			require.NoError(t, err)
			require.Equal(t, []string{tc.label + " 25 %: 200,00 kr"}, vatLines(r.Text, tc.label), r.Text)
			require.Equal(t, 1, strings.Count(r.Text, "200,00 kr"), r.Text)
		})
		t.Run(tc.email+"/TwoRates_"+tc.lang, func(t *testing.T) {
			d := base()
			d["VATTotal"] = "216,92 kr"
			d["VAT"] = []map[string]any{
				{"Percent": "25", "Net": "800,00 kr", "VAT": "200,00 kr"},
				{"Percent": "6", "Net": "282,08 kr", "VAT": "16,92 kr"},
			}
			r, err := Render(tc.email, tc.lang, d)
			require.NoError(t, err)
			require.Equal(t, []string{
				tc.label + " 25 % " + tc.on + " 800,00 kr: 200,00 kr",
				tc.label + " 6 % " + tc.on + " 282,08 kr: 16,92 kr",
				tc.label + ": 216,92 kr",
			}, vatLines(r.Text, tc.label), r.Text)
		})
	}
}
