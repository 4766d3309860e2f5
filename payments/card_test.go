package payments_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/fault"
	"kassa/payments"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestParseCardNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		code     error
	}{
		{"4242424242424242", "4242424242424242", nil},
		{"4242 4242 4242 4242", "4242424242424242", nil},
		{"4000-0000-0000-3220", "4000000000003220", nil},
		{"5555555555554444", "5555555555554444", nil},
		{"4242424242424241", "", payments.ErrInvalidCardNumber},
		{"42424242", "", payments.ErrInvalidCardNumber},
		{"", "", payments.ErrInvalidCardNumber},
		{"4242x42424242424", "", payments.ErrInvalidCardNumber},
		{strings.Repeat("4", 50), "", payments.ErrInvalidCardNumber},
	} {
		got, err := payments.ParseCardNumber("cardNumber", tc.in)
		if tc.code != nil {
			f, ok := fault.As(err)
			require.True(t, ok, tc.in)
			require.ErrorIs(t, err, tc.code, tc.in)
			// The error never echoes the number.
			if tc.in != "" {
				require.NotContains(t, f.Message, tc.in)
			}
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got)
	}
}

func TestParseExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		m, y int
		code error
	}{
		{"12/30", 12, 2030, nil},
		{"01/2027", 1, 2027, nil},
		{"1130", 11, 2030, nil},
		{" 11 / 26 ", 11, 2026, nil},
		{"10/26", 0, 0, payments.ErrCardExpired},
		{"13/30", 0, 0, fault.ErrInvalidExpiry},
		{"00/30", 0, 0, fault.ErrInvalidExpiry},
		{"12/99", 0, 0, fault.ErrInvalidExpiry},
		{"ab/cd", 0, 0, fault.ErrInvalidExpiry},
		{"", 0, 0, fault.ErrInvalidExpiry},
		{"12/3", 0, 0, fault.ErrInvalidExpiry},
	} {
		m, y, err := payments.ParseExpiry("expiry", tc.in, now)
		if tc.code != nil {
			_, ok := fault.As(err)
			require.True(t, ok, tc.in)
			require.ErrorIs(t, err, tc.code, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, [2]int{tc.m, tc.y}, [2]int{m, y}, tc.in)
	}
}

func TestCardNeverFormatsItsNumber(t *testing.T) {
	t.Parallel()
	c := payments.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	req := payments.AuthorizeRequest{Card: c, Amount: 100}
	for _, s := range []string{
		c.String(), fmtAll(c), fmtAll(req), fmtAll(&req),
	} {
		require.NotContains(t, s, "4242424242424242")
		require.NotContains(t, s, "123 ")
	}
}

func FuzzParseCardNumber(f *testing.F) {
	for _, s := range []string{"4242 4242 4242 4242", "4000-0000-0000-3220", "", "x", "4242424242424241"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := payments.ParseCardNumber("cardNumber", s)
		if err != nil {
			return
		}
		if len(n) < 12 || len(n) > 19 {
			t.Fatalf("accepted %q as %q", s, n)
		}
		for _, r := range n {
			if r < '0' || r > '9' {
				t.Fatalf("accepted non-digit in %q", n)
			}
		}
	})
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"12/30", "1130", "01/2027", "", "13/13", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, y, err := payments.ParseExpiry("expiry", s, now)
		if err != nil {
			return
		}
		if m < 1 || m > 12 || y < now.Year() || y > now.Year()+30 {
			t.Fatalf("accepted %q as %d/%d", s, m, y)
		}
	})
}
