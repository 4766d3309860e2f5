package payments

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBrandName(t *testing.T) {
	t.Parallel()
	for brand, want := range map[string]string{
		"visa": "Visa", "VISA": "Visa", "mastercard": "Mastercard", "amex": "American Express", "jcb": "JCB",
		"diners": "Diners Club", "elo": "Elo", "unknown": "Kort", "": "Kort",
	} {
		require.Equal(t, want, BrandName(brand, "sv"), brand)
	}
	require.Equal(t, "Card", BrandName("unknown", "en"))
	require.Equal(t, "", CardLabel("visa", "", "sv"))
}

func ExampleCardLabel() {
	fmt.Println(CardLabel("visa", "4242", "sv"))
	fmt.Println(CardLabel("amex", "0005", "en"))
	// Output:
	// Visa •••• 4242
	// American Express •••• 0005
}

// TestPaymentCardLabel: receipts wrote the brand by upper-casing its id's
// first letter ("Amex", "Unknown"), and the payment page panicked on an
// empty brand; they write it as people do.
func TestPaymentCardLabel(t *testing.T) {
	t.Parallel()
	label := func(brand, last4 string) string {
		return (&Payment{CardBrand: &brand, CardLast4: &last4}).CardLabel("en")
	}
	require.Equal(t, "Visa •••• 4242", label("visa", "4242"))
	require.Equal(t, "Mastercard •••• 4444", label("mastercard", "4444"))
	require.Equal(t, "American Express •••• 0005", label("amex", "0005"))
	require.Equal(t, "Card •••• 1234", label("unknown", "1234"))
	require.Equal(t, "", (&Payment{}).CardLabel("en"))
	empty, last4 := "", "4242"
	require.Equal(t, "Kort •••• 4242", (&Payment{CardBrand: &empty, CardLast4: &last4}).CardLabel("sv"),
		"a card whose brand is not known is a card, in the page's language")
}
