package terminal_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/fault"
	"kassa/money"
	"kassa/terminal"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in       string
		currency string
		want     int64
	}{
		{"1 234,50", "SEK", 123450},
		{"1234.50", "SEK", 123450},
		{"1234,5", "SEK", 123450},
		{"1234", "SEK", 123400},
		{"1 234", "SEK", 123400},
		{"1\u00a0234,50\u00a0kr", "SEK", 123450},
		{"1.234,50", "SEK", 123450},
		{"1,234.50", "SEK", 123450},
		{"1 234 567,89", "SEK", 123456789},
		{"1.234.567", "SEK", 123456700},
		{"250:-", "SEK", 25000},
		{"250,-", "SEK", 25000},
		{"SEK 99,90", "SEK", 9990},
		{"99,90 kr.", "SEK", 9990},
		{"0,50", "SEK", 50},
		{",50", "SEK", 50},
		{"0.01", "EUR", 1},
		{"12,30 €", "EUR", 1230},
		{"1,234", "JPY", 1234},
		{"1234", "JPY", 1234},
		{"1.234", "KWD", 1234},
		{"007", "SEK", 700},
	}
	for _, c := range ok {
		got, err := terminal.ParseAmount(c.in, c.currency)
		require.NoError(t, err, "%q %s", c.in, c.currency)
		require.Equal(t, c.want, got, "%q %s", c.in, c.currency)
	}
	bad := []struct {
		in, currency string
		code         fault.Code
	}{
		{"", "SEK", fault.ErrInvalidAmount},
		{"0", "SEK", fault.ErrInvalidAmount},
		{"0,00", "SEK", fault.ErrInvalidAmount},
		{"-5", "SEK", fault.ErrInvalidAmount},
		{"\u22125", "SEK", fault.ErrInvalidAmount},
		{"1.234", "SEK", fault.ErrInvalidAmount}, // ambiguous: 1234 or 1,234?
		{"1,234", "SEK", fault.ErrInvalidAmount},
		{"12,345", "EUR", fault.ErrInvalidAmount},
		{"1,2,3", "SEK", fault.ErrInvalidAmount},
		{"1.23.456", "SEK", fault.ErrInvalidAmount},
		{"1,234,5", "SEK", fault.ErrInvalidAmount},
		{"1.234,5.6", "SEK", fault.ErrInvalidAmount},
		{"12,5", "JPY", fault.ErrInvalidAmount},
		{"1e5", "SEK", fault.ErrInvalidAmount},
		{"abc", "SEK", fault.ErrInvalidAmount},
		{"100 USD", "SEK", fault.ErrInvalidAmount},
		{"12a3", "SEK", fault.ErrInvalidAmount},
		{"0x10", "SEK", fault.ErrInvalidAmount},
		{"+5", "SEK", fault.ErrInvalidAmount},
		{"250,50:-", "SEK", fault.ErrInvalidAmount},
		{"99999999999999999999", "SEK", fault.ErrAmountTooLarge},
		{"100000000001", "SEK", fault.ErrAmountTooLarge},
	}
	for _, c := range bad {
		_, err := terminal.ParseAmount(c.in, c.currency)
		f, isFault := fault.As(err)
		require.True(t, isFault, "%q %s: want %s, got %v", c.in, c.currency, c.code, err)
		require.ErrorIs(t, err, c.code, "%q %s: %s", c.in, c.currency, f.Message)
		require.Equal(t, []string{"input", "amount"}, f.Field)
	}
}

func ExampleParseAmount() {
	for _, s := range []string{"1 234,50", "1234.50", "250:-", "1.234"} {
		a, err := terminal.ParseAmount(s, "SEK")
		if err != nil {
			fmt.Printf("%s: %v\n", s, err)
			continue
		}
		fmt.Printf("%s: %d öre\n", s, a)
	}
	// Output:
	// 1 234,50: 123450 öre
	// 1234.50: 123450 öre
	// 250:-: 25000 öre
	// 1.234: "1.234" is ambiguous: write 1234 or 1,23
}

// FuzzParseAmount: whatever is typed, an accepted amount is within bounds,
// and every amount kassa prints reads back as itself.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1 234,50", "1234.50", "250:-", "1.234,56", "kr 5", "0,5", "99999999999", ",", ".-", "1,234.5"} {
		f.Add(s, int64(12345))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		for _, cur := range []string{"SEK", "EUR", "JPY", "KWD"} {
			if v, err := terminal.ParseAmount(s, cur); err == nil {
				if v <= 0 || v > money.MaxAmount {
					t.Fatalf("%q %s: %d out of bounds", s, cur, v)
				}
			} else if _, ok := fault.As(err); !ok {
				t.Fatalf("%q %s: not a fault: %v", s, cur, err)
			}
			if n > 0 && n <= money.MaxAmount {
				for _, locale := range []string{"sv", "en"} {
					printed := money.Format(money.Money{Amount: n, Currency: cur}, locale)
					back, err := terminal.ParseAmount(printed, cur)
					if err != nil || back != n {
						t.Fatalf("%d %s printed %q read back as %d, %v", n, cur, printed, back, err)
					}
				}
			}
		}
	})
}
