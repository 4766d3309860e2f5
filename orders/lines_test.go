package orders_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/fault"
	"kassa/orders"
)

func ExamplePriceLines() {
	lines, totals, _ := orders.PriceLines([]orders.LineInput{
		{Description: "Kitchen cabinet", Quantity: 2, UnitPrice: 249900, VATRate: 2500},
		{Description: "Installation", Quantity: 3, UnitPrice: 65000, VATRate: 2500},
		{Description: "Cookbook", Quantity: 1, UnitPrice: 29900, VATRate: 600},
	})
	for _, l := range lines {
		fmt.Println(l.Description, l.Gross, l.Net, l.VAT)
	}
	for _, g := range totals.ByRate {
		fmt.Println("rate", g.Rate, g.Gross, g.Net, g.VAT)
	}
	fmt.Println("total", totals.Gross, totals.Net, totals.VAT)
	// Output:
	// Kitchen cabinet 499800 399840 99960
	// Installation 195000 156000 39000
	// Cookbook 29900 28208 1692
	// rate 2500 694800 555840 138960
	// rate 600 29900 28208 1692
	// total 724700 584048 140652
}

func TestPriceLinesRejects(t *testing.T) {
	t.Parallel()
	ok := orders.LineInput{Description: "x", Quantity: 1, UnitPrice: 100, VATRate: 2500}
	many := make([]orders.LineInput, 501)
	for i := range many {
		many[i] = ok
	}
	for _, tc := range []struct {
		name  string
		lines []orders.LineInput
		code  fault.Code
	}{
		{"NoLines", nil, orders.ErrNoLines},
		{"TooManyLines", many, orders.ErrTooManyLines},
		{"EmptyDescription", []orders.LineInput{{Description: "  ", Quantity: 1, UnitPrice: 1, VATRate: 0}}, fault.ErrInvalidDescription},
		{"ZeroQuantity", []orders.LineInput{{Description: "x", Quantity: 0, UnitPrice: 1, VATRate: 0}}, fault.ErrInvalidQuantity},
		{"NegativeQuantity", []orders.LineInput{{Description: "x", Quantity: -1, UnitPrice: 1, VATRate: 0}}, fault.ErrInvalidQuantity},
		{"NegativePrice", []orders.LineInput{{Description: "x", Quantity: 1, UnitPrice: -1, VATRate: 0}}, orders.ErrInvalidUnitPrice},
		{"OddVATRate", []orders.LineInput{{Description: "x", Quantity: 1, UnitPrice: 1, VATRate: 2000}}, fault.ErrInvalidVATRate},
		{"Overflow", []orders.LineInput{{Description: "x", Quantity: 1_000_000, UnitPrice: math.MaxInt64 / 10, VATRate: 0}}, orders.ErrInvalidUnitPrice},
		{"ProductOverflowsInt64", []orders.LineInput{{Description: "x", Quantity: 1_000_000, UnitPrice: 9_999_999_999_999, VATRate: 0}}, fault.ErrAmountTooLarge},
		{"TotalTooLarge", []orders.LineInput{
			{Description: "x", Quantity: 1, UnitPrice: 9_000_000_000_000, VATRate: 0},
			{Description: "y", Quantity: 1, UnitPrice: 9_000_000_000_000, VATRate: 0},
		}, fault.ErrAmountTooLarge},
		{"ZeroTotal", []orders.LineInput{{Description: "free", Quantity: 1, UnitPrice: 0, VATRate: 0}}, fault.ErrInvalidAmount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := orders.PriceLines(tc.lines)
			_, ok := fault.As(err)
			require.True(t, ok, "%v", err)
			require.ErrorIs(t, err, tc.code)
		})
	}
}

func TestTotalsAddUpFromLines(t *testing.T) {
	t.Parallel()
	var in []orders.LineInput
	for i := 1; i <= 50; i++ {
		in = append(in, orders.LineInput{Description: "l", Quantity: int64(i), UnitPrice: int64(i*37 + 1), VATRate: orders.VATRates[i%4]})
	}
	lines, tot, err := orders.PriceLines(in)
	require.NoError(t, err)
	var net, vat, gross int64
	for _, l := range lines {
		require.Equal(t, l.Gross, l.Net+l.VAT)
		net, vat, gross = net+l.Net, vat+l.VAT, gross+l.Gross
	}
	require.Equal(t, [3]int64{net, vat, gross}, [3]int64{tot.Net, tot.VAT, tot.Gross})
	var g int64
	for _, grp := range tot.ByRate {
		g += grp.Gross
	}
	require.Equal(t, gross, g)
}
