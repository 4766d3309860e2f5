package billing_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/billing"
	"kassa/fault"
)

func upTo(n int64) *int64 { return &n }

func ExampleUsageAmount() {
	tiers := []billing.Tier{
		{UpTo: upTo(100), UnitPrice: 200},  // the first 100 units at 2,00 kr
		{UpTo: upTo(1000), UnitPrice: 150}, // the next 900 at 1,50 kr
		{UnitPrice: 100, FlatFee: 5000},    // the rest at 1,00 kr, plus 50 kr once
	}
	for _, q := range []int64{0, 50, 100, 101, 1000, 2500} {
		a, _ := billing.UsageAmount(q, 0, tiers)
		fmt.Println(q, a)
	}
	// Output:
	// 0 0
	// 50 10000
	// 100 20000
	// 101 20150
	// 1000 155000
	// 2500 310000
}

func TestGraduatedTiers(t *testing.T) {
	t.Parallel()
	tiers := []billing.Tier{{UpTo: upTo(10), UnitPrice: 100, FlatFee: 1000}, {UpTo: upTo(20), UnitPrice: 50}, {UnitPrice: 10}}
	for _, tc := range []struct{ q, want int64 }{
		{1, 100 + 1000}, {10, 1000 + 1000}, {11, 2000 + 50}, {20, 2000 + 500}, {21, 2500 + 10}, {1000, 2500 + 980*10},
	} {
		got, err := billing.UsageAmount(tc.q, 0, tiers)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "quantity %d", tc.q)
	}
	flat, err := billing.UsageAmount(7, 150, nil)
	require.NoError(t, err)
	require.Equal(t, int64(1050), flat)

	_, err = billing.UsageAmount(math.MaxInt64/2, 3, nil)
	_, ok := fault.As(err)
	require.True(t, ok)
	require.ErrorIs(t, err, fault.ErrAmountTooLarge)
}

func TestCheckTiers(t *testing.T) {
	t.Parallel()
	require.NoError(t, billing.CheckTiers([]billing.Tier{{UpTo: upTo(10), UnitPrice: 1}, {UnitPrice: 2}}))
	require.NoError(t, billing.CheckTiers(nil))
	for _, bad := range [][]billing.Tier{
		{{UpTo: upTo(10), UnitPrice: 1}},                                                // last bounded
		{{UnitPrice: 1}, {UnitPrice: 2}},                                                // unbounded before last
		{{UpTo: upTo(10), UnitPrice: 1}, {UpTo: upTo(5), UnitPrice: 1}, {UnitPrice: 1}}, // not ascending
		{{UpTo: upTo(10), UnitPrice: -1}, {UnitPrice: 1}},                               // negative
	} {
		require.Error(t, billing.CheckTiers(bad), "%v", bad)
	}
}
