package mailer

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
