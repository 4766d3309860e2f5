package money_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/fault"
	"kassa/money"
)

func ExampleFormat() {
	fmt.Println(money.Format(money.Money{Amount: 123450, Currency: "SEK"}, "sv"))
	fmt.Println(money.Format(money.Money{Amount: 123450, Currency: "SEK"}, "en"))
	fmt.Println(money.Format(money.Money{Amount: 500, Currency: "JPY"}, "sv"))
	// Output:
	// 1 234,50 kr
	// SEK 1,234.50
	// 500 ¥
}

func ExampleVATIncluded() {
	net, vat := money.VATIncluded(12500, 2500) // 125,00 kr including 25 % VAT
	fmt.Println(net, vat)
	net, vat = money.VATIncluded(1000, 1200) // 10,00 kr including 12 % VAT
	fmt.Println(net, vat)
	// Output:
	// 10000 2500
	// 893 107
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		m        money.Money
		wantCode error
	}{
		{"Valid", money.Money{Amount: 100, Currency: "SEK"}, nil},
		{"Zero", money.Money{Amount: 0, Currency: "SEK"}, fault.ErrInvalidAmount},
		{"Negative", money.Money{Amount: -1, Currency: "SEK"}, fault.ErrInvalidAmount},
		{"Huge", money.Money{Amount: math.MaxInt64, Currency: "SEK"}, fault.ErrAmountTooLarge},
		{"UnknownCurrency", money.Money{Amount: 100, Currency: "XYZ"}, fault.ErrInvalidCurrency},
		{"LowerCaseCurrency", money.Money{Amount: 100, Currency: "sek"}, fault.ErrInvalidCurrency},
		{"EmptyCurrency", money.Money{Amount: 100, Currency: ""}, fault.ErrInvalidCurrency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := money.Check("amount", "currency", tc.m)
			if tc.wantCode == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantCode)
		})
	}
}

func TestOverflow(t *testing.T) {
	t.Parallel()
	_, ok := money.Mul(math.MaxInt64/2+1, 2)
	require.False(t, ok)
	_, ok = money.Add(math.MaxInt64, 1)
	require.False(t, ok)
	v, ok := money.Mul(12345, 100)
	require.True(t, ok)
	require.Equal(t, int64(1234500), v)
}

func TestVATRoundsHalfUp(t *testing.T) {
	t.Parallel()
	// 6 % of 106 öre gross: vat = 106*600/10600 = 6 exactly.
	_, vat := money.VATIncluded(106, 600)
	require.Equal(t, int64(6), vat)
	// 25 % on 1 öre: 0.2 → 0.
	_, vat = money.VATIncluded(1, 2500)
	require.Equal(t, int64(0), vat)
	// 25 % on 3 öre: 0.6 → 1.
	_, vat = money.VATIncluded(3, 2500)
	require.Equal(t, int64(1), vat)
	// 12 % on 56 öre: 6.0 → 6.
	_, vat = money.VATIncluded(56, 1200)
	require.Equal(t, int64(6), vat)
	// exactly half: 25 % of 5 öre gross = 1.0; use 12 % of 14 öre: 1.5 → 2.
	_, vat = money.VATIncluded(14, 1200)
	require.Equal(t, int64(2), vat)
}

func ExampleRate() {
	fmt.Println(money.Rate(2500), money.Rate(1200), money.Rate(0), money.Rate(1250), money.Rate(705))
	// Output: 25 12 0 12,5 7,05
}
