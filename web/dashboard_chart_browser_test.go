package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
	"kassa/payments"
)

// TestDashboardChartBucketsAreTheLedgersSums: the overview's revenue
// chart, as the browser gets it (its days counted by the page in the
// merchant's zone, whatever the browser's own), holds for each local day
// exactly what a direct SQL sum of captures and refunds in that day finds:
// for a merchant in Europe/Stockholm with money moved either side of
// midnight and of the spring daylight-saving change (a 23-hour day).
func TestDashboardChartBucketsAreTheLedgersSums(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	ctx := context.Background()
	mid := e.Merchant.Merchant.ID
	_, err := e.SQL.Exec(`UPDATE merchants SET time_zone = 'Europe/Stockholm', default_currency = 'SEK' WHERE id = $1`, mid)
	require.NoError(t, err)
	loc, err := time.LoadLocation("Europe/Stockholm")
	require.NoError(t, err)

	var paid []payments.Payment
	for i := range 5 {
		p, err := e.Server.Payments().Authorize(ctx, payments.NewPayment{MerchantID: mid, Amount: int64(10_000 + i*1_234), Currency: "SEK",
			CaptureMode: payments.CaptureImmediate, Initiator: payments.InitiatorCustomer,
			Card: payments.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: time.Now().Year() + 3, CVC: "123"}})
		require.NoError(t, err)
		kassatest.Eventually(t, 10*time.Second, "the payment to be captured", func() bool {
			p, err = e.Server.Payments().Get(ctx, mid, p.ID)
			require.NoError(t, err)
			return p.Status == payments.StatusCaptured
		})
		paid = append(paid, p)
	}
	for _, amount := range []int64{1_000, 2_500} {
		_, err := e.Server.Payments().Refund(ctx, payments.System, mid, paid[1].ID, &amount, "")
		require.NoError(t, err)
	}
	at := func(d, h, m, s int) time.Time { return time.Date(2026, 3, d, h, m, s, 0, loc) }
	instants := []time.Time{
		at(28, 23, 59, 59), // Saturday's last second
		at(29, 0, 0, 0),    // Sunday's first (23:00Z the day before)
		at(29, 1, 59, 59),  // just before 02:00 becomes 03:00
		at(29, 3, 0, 0),    // just after
		at(29, 23, 59, 59), // the 23-hour day's last second
		at(30, 0, 0, 0),    // Monday
		at(30, 12, 0, 0),   // Monday noon
	}
	var ledger []uuid.UUID
	require.NoError(t, e.SQL.Select(&ledger, `SELECT id FROM payment_ledger WHERE merchant_id = $1 ORDER BY id`, mid))
	require.Len(t, ledger, len(instants))
	for i, id := range ledger {
		_, err := e.SQL.Exec(`UPDATE payment_ledger SET occurred_at = $3 WHERE merchant_id = $1 AND id = $2`, mid, id, instants[i])
		require.NoError(t, err)
	}

	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.AddStaff(t, "Olle Ägare", "olle@snickeri.test", auth.RoleOwner))
	d.Click(t, "Custom", 0)
	d.Set(t, "From", 0, "2026-03-28")
	d.Set(t, "To (inclusive)", 0, "2026-03-30")
	d.Click(t, "Show", 0)
	d.Click(t, "Show the figures as a table", 0)
	d.WaitText(t, "29 Mar 2026")
	d.Screenshot(t, "chart-dst.png")

	rows, ok := d.Eval(t, `Array.from(document.querySelectorAll('table.report-table tbody tr')).map((r) =>
	  [r.dataset.start, Number(r.dataset.captured), Number(r.dataset.refunded)])`).([]any)
	require.True(t, ok)
	require.Len(t, rows, 3, "three local days")
	wantStarts := []time.Time{at(28, 0, 0, 0), at(29, 0, 0, 0), at(30, 0, 0, 0)}
	var total int64
	for i, r := range rows {
		row := r.([]any)
		start, err := time.Parse(time.RFC3339, fmt.Sprint(row[0]))
		require.NoError(t, err)
		require.True(t, start.Equal(wantStarts[i]), "day %d starts at local midnight: %s, not %s", i, start, wantStarts[i])
		end := at(28+i+1, 0, 0, 0)
		var sums struct {
			Captured int64 `db:"captured"`
			Refunded int64 `db:"refunded"`
		}
		require.NoError(t, e.SQL.Get(&sums, `SELECT coalesce(sum(amount) FILTER (WHERE kind = 'CAPTURE'), 0) AS captured,
		  coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0) AS refunded
		  FROM payment_ledger WHERE merchant_id = $1 AND occurred_at >= $2 AND occurred_at < $3`, mid, start, end))
		require.EqualValues(t, sums.Captured, row[1], "captured on %s", start)
		require.EqualValues(t, sums.Refunded, row[2], "refunded on %s", start)
		total += sums.Captured + sums.Refunded
	}
	require.EqualValues(t, 10_000+11_234+12_468+13_702+14_936+1_000+2_500, total, "every capture and refund is in one of the days")
	require.Equal(t, 23*time.Hour, at(30, 0, 0, 0).Sub(at(29, 0, 0, 0)), "the middle day is the 23-hour one")
}
