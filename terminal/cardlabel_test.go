package terminal_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/payments"
	"kassa/terminal"
)

// TestCardLabel: receipts wrote the brand by upper-casing its id's first
// letter ("Amex", "Unknown"); they write it as people do.
func TestCardLabel(t *testing.T) {
	t.Parallel()
	label := func(brand, last4 string) string {
		return terminal.CardLabel(payments.Payment{CardBrand: &brand, CardLast4: &last4})
	}
	require.Equal(t, "Visa •••• 4242", label("visa", "4242"))
	require.Equal(t, "Mastercard •••• 4444", label("mastercard", "4444"))
	require.Equal(t, "American Express •••• 0005", label("amex", "0005"))
	require.Equal(t, "Card •••• 1234", label("unknown", "1234"))
	require.Equal(t, "", terminal.CardLabel(payments.Payment{}))
}
