package reports_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db/dbtest"
	"kassa/gid"
	"kassa/kassatest"
	"kassa/orders"
	"kassa/payments"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const salesReportQuery = `query($from: Time!, $to: Time!, $interval: ReportInterval!, $currency: String) {
  salesReport(from: $from, to: $to, interval: $interval, currency: $currency) {
    currency timeZone interval
    buckets { start end captured { amount currency } refunded { amount currency } net { amount currency } captureCount refundCount }
  }
}`

const overviewQuery = `query($from: Time!, $to: Time!) {
  salesOverview(from: $from, to: $to) {
    from to
    revenue { currency captured { amount currency } refunded { amount } net { amount } }
    paidOrders
    averageOrderValue { amount currency }
    openReservations { count amounts { amount currency } lapsingWithin24h }
    activeSubscriptions
    monthlyRecurringRevenue { amount currency }
    failedPayments
    pastDueSubscriptions
  }
}`

type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type bucket struct {
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Captured     money     `json:"captured"`
	Refunded     money     `json:"refunded"`
	Net          money     `json:"net"`
	CaptureCount int       `json:"captureCount"`
	RefundCount  int       `json:"refundCount"`
}

type salesReport struct {
	SalesReport struct {
		Currency string   `json:"currency"`
		TimeZone string   `json:"timeZone"`
		Interval string   `json:"interval"`
		Buckets  []bucket `json:"buckets"`
	} `json:"salesReport"`
}

// pay authorizes amount on card for merchant (IMMEDIATE: captured) and
// waits until the processor's callback settled it.
func pay(t *testing.T, e *kassatest.Env, merchantID gid.MerchantID, amount int64, currency string, mode payments.CaptureMode, number string, orderID *uuid.UUID) payments.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := e.Server.Payments().Authorize(ctx, payments.NewPayment{
		MerchantID: merchantID, OrderID: orderID, Amount: amount, Currency: currency, CaptureMode: mode, Initiator: payments.InitiatorCustomer,
		Card: payments.Card{Number: number, ExpMonth: 12, ExpYear: time.Now().Year() + 3, CVC: "123"},
	})
	require.NoError(t, err)
	kassatest.Eventually(t, 10*time.Second, "the payment to be settled", func() bool {
		p, err = e.Server.Payments().Get(ctx, merchantID, p.ID)
		require.NoError(t, err)
		return p.Status != payments.StatusPending && (mode == payments.CaptureReserve || p.Status != payments.StatusAuthorized)
	})
	return p
}

func refund(t *testing.T, e *kassatest.Env, p payments.Payment, amount int64) {
	t.Helper()
	_, err := e.Server.Payments().Refund(context.Background(), payments.System, p.MerchantID, p.ID, &amount, "")
	require.NoError(t, err)
}

func stockholm(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	require.NoError(t, err)
	return loc
}

// TestSalesReportBucketsFollowTheMerchantsCalendar is the chart's
// exactness: captures and refunds made by real flows, then dated either
// side of local midnights and of both daylight-saving changes of 2026 in
// Europe/Stockholm; every bucket of salesReport (DAY, WEEK, MONTH) must
// start and end on local midnights and hold exactly what a direct SQL sum
// over the ledger rows of its [start, end) finds.
func TestSalesReportBucketsFollowTheMerchantsCalendar(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	ctx := context.Background()
	mid := e.Merchant.Merchant.ID
	_, err := e.SQL.Exec(`UPDATE merchants SET time_zone = 'Europe/Stockholm', default_currency = 'SEK' WHERE id = $1`, mid)
	require.NoError(t, err)
	loc := stockholm(t)

	// Ten captures and four refunds (two of one payment), by real flows.
	var paid []payments.Payment
	for i := range 10 {
		paid = append(paid, pay(t, e, mid, int64(10_000+i*1_111), "SEK", payments.CaptureImmediate, "4242424242424242", nil))
		require.Equal(t, payments.StatusCaptured, paid[i].Status)
	}
	refund(t, e, paid[0], 1_000)
	refund(t, e, paid[0], 2_500)
	refund(t, e, paid[3], 13_333)
	refund(t, e, paid[7], 7)
	// The ledger adds up to every payment's totals.
	require.Equal(t, 0, e.Count(t, `
		SELECT count(*) FROM payments p, LATERAL (
		  SELECT coalesce(sum(amount) FILTER (WHERE kind = 'CAPTURE'), 0) AS captured, coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0) AS refunded
		  FROM payment_ledger l WHERE l.merchant_id = p.merchant_id AND l.payment_id = p.id) l
		WHERE p.merchant_id = $1 AND (p.amount_captured <> l.captured OR p.amount_refunded <> l.refunded)`, mid))
	require.Equal(t, 14, e.Count(t, `SELECT count(*) FROM payment_ledger WHERE merchant_id = $1`, mid))

	// Another merchant's capture at one of the instants must not count.
	other, _ := e.NewMerchant(t, "Annan Butik AB")
	pay(t, e, other.Merchant.ID, 99_900, "SEK", payments.CaptureImmediate, "4242424242424242", nil)

	at := func(y int, mo time.Month, d, h, mi, s int) time.Time { return time.Date(y, mo, d, h, mi, s, 0, loc) }
	instants := []time.Time{
		at(2026, 3, 28, 23, 59, 59),                    // Saturday before the spring change, last second
		at(2026, 3, 29, 0, 0, 0),                       // its local midnight (23:00Z)
		at(2026, 3, 29, 1, 59, 59),                     // just before 02:00 CET becomes 03:00 CEST
		at(2026, 3, 29, 3, 0, 0),                       // just after (01:00Z)
		at(2026, 3, 29, 23, 59, 59),                    // the 23-hour day's last second (21:59:59Z)
		at(2026, 3, 30, 0, 0, 0),                       // Monday: a new day and a new ISO week (22:00Z)
		at(2026, 3, 31, 23, 59, 59),                    // March's last second
		at(2026, 4, 1, 0, 0, 0),                        // April (2026-03-31T22:00Z)
		time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), // 02:30 CEST, the first of the repeated hour
		time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), // 02:30 CET, the second
		at(2026, 10, 24, 23, 59, 59),                   // before the fall change's midnight (21:59:59Z)
		at(2026, 10, 25, 23, 59, 59),                   // the 25-hour day's last second (22:59:59Z)
		at(2026, 10, 26, 0, 0, 0),                      // Monday after it (23:00Z)
		at(2026, 10, 31, 23, 59, 59),                   // October's last second
	}
	var ledger []uuid.UUID
	require.NoError(t, e.SQL.Select(&ledger, `SELECT id FROM payment_ledger WHERE merchant_id = $1 ORDER BY id`, mid))
	require.Len(t, ledger, len(instants))
	for i, id := range ledger {
		_, err := e.SQL.Exec(`UPDATE payment_ledger SET occurred_at = $3 WHERE merchant_id = $1 AND id = $2`, mid, id, instants[i])
		require.NoError(t, err)
	}
	_, err = e.SQL.Exec(`UPDATE payment_ledger SET occurred_at = $2 WHERE merchant_id = $1`, other.Merchant.ID, instants[3])
	require.NoError(t, err)

	// What a bucket should hold, summed directly over the raw rows.
	direct := func(t *testing.T, start, end time.Time) bucket {
		var b struct {
			Captured, Refunded int64
			CaptureN, RefundN  int
		}
		require.NoError(t, e.SQL.QueryRowContext(ctx, `
			SELECT coalesce(sum(amount) FILTER (WHERE kind = 'CAPTURE'), 0), coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0),
			  count(*) FILTER (WHERE kind = 'CAPTURE'), count(*) FILTER (WHERE kind = 'REFUND')
			FROM payment_ledger WHERE merchant_id = $1 AND currency = 'SEK' AND occurred_at >= $2 AND occurred_at < $3`,
			mid, start, end).Scan(&b.Captured, &b.Refunded, &b.CaptureN, &b.RefundN))
		return bucket{Start: start, End: end, Captured: money{b.Captured, "SEK"}, Refunded: money{b.Refunded, "SEK"},
			Net: money{b.Captured - b.Refunded, "SEK"}, CaptureCount: b.CaptureN, RefundCount: b.RefundN}
	}
	var totalCaptured, totalRefunded int64
	require.NoError(t, e.SQL.QueryRow(`SELECT coalesce(sum(amount) FILTER (WHERE kind = 'CAPTURE'), 0), coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0)
		FROM payment_ledger WHERE merchant_id = $1`, mid).Scan(&totalCaptured, &totalRefunded))

	owner := e.Login(t, e.Owner)
	cases := []struct {
		interval string
		from, to time.Time
		next     func(time.Time) time.Time // the next local boundary
		buckets  int
	}{
		{"DAY", at(2026, 3, 1, 0, 0, 0), at(2026, 11, 1, 0, 0, 0), func(s time.Time) time.Time { return s.AddDate(0, 0, 1) }, 245},
		{"WEEK", at(2026, 3, 2, 0, 0, 0), at(2026, 11, 2, 0, 0, 0), func(s time.Time) time.Time { return s.AddDate(0, 0, 7) }, 35},
		{"MONTH", at(2026, 1, 1, 0, 0, 0), at(2027, 1, 1, 0, 0, 0), func(s time.Time) time.Time { return s.AddDate(0, 1, 0) }, 12},
	}
	for _, tc := range cases {
		t.Run(tc.interval, func(t *testing.T) {
			var out salesReport
			e.GraphQLAs(t, owner, salesReportQuery, map[string]any{"from": tc.from, "to": tc.to, "interval": tc.interval}).Decode(t, &out)
			rep := out.SalesReport
			require.Equal(t, "SEK", rep.Currency, "the merchant's default currency")
			require.Equal(t, "Europe/Stockholm", rep.TimeZone)
			require.Equal(t, tc.interval, rep.Interval)
			require.Len(t, rep.Buckets, tc.buckets)
			var captured, refunded int64
			start := tc.from
			for i, b := range rep.Buckets {
				// Boundaries are the local calendar's, as instants.
				require.True(t, b.Start.Equal(start), "bucket %d starts %s, want %s", i, b.Start, start)
				next := tc.next(start.In(loc)) // calendar arithmetic in the merchant's zone
				require.True(t, b.End.Equal(next), "bucket %d ends %s, want %s", i, b.End, next)
				local := b.Start.In(loc)
				require.Equal(t, [3]int{0, 0, 0}, [3]int{local.Hour(), local.Minute(), local.Second()}, "bucket %d starts at local midnight", i)
				switch tc.interval {
				case "WEEK":
					require.Equal(t, time.Monday, local.Weekday())
				case "MONTH":
					require.Equal(t, 1, local.Day())
				}
				require.Equal(t, direct(t, b.Start, b.End), b, "bucket %d [%s, %s)", i, b.Start, b.End)
				captured += b.Captured.Amount
				refunded += b.Refunded.Amount
				start = b.End
			}
			require.True(t, start.Equal(tc.to))
			require.Equal(t, totalCaptured, captured, "every capture is in a bucket")
			require.Equal(t, totalRefunded, refunded, "every refund is in a bucket")
		})
	}

	t.Run("DaylightSavingDaysAre23And25Hours", func(t *testing.T) {
		var out salesReport
		e.GraphQLAs(t, owner, salesReportQuery, map[string]any{"from": at(2026, 3, 28, 0, 0, 0), "to": at(2026, 3, 31, 0, 0, 0), "interval": "DAY"}).Decode(t, &out)
		bs := out.SalesReport.Buckets
		require.Len(t, bs, 3)
		require.Equal(t, []time.Duration{24 * time.Hour, 23 * time.Hour, 24 * time.Hour},
			[]time.Duration{bs[0].End.Sub(bs[0].Start), bs[1].End.Sub(bs[1].Start), bs[2].End.Sub(bs[2].Start)})
		require.Equal(t, time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC), bs[1].Start.UTC())
		require.Equal(t, time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC), bs[1].End.UTC())
		// Saturday's last second, Sunday's first, both sides of 02:00 and
		// Sunday's last second fall on their own days.
		require.Equal(t, []int{1, 4, 1}, []int{bs[0].CaptureCount + bs[0].RefundCount, bs[1].CaptureCount + bs[1].RefundCount, bs[2].CaptureCount + bs[2].RefundCount})

		e.GraphQLAs(t, owner, salesReportQuery, map[string]any{"from": at(2026, 10, 24, 0, 0, 0), "to": at(2026, 10, 27, 0, 0, 0), "interval": "DAY"}).Decode(t, &out)
		bs = out.SalesReport.Buckets
		require.Len(t, bs, 3)
		require.Equal(t, []time.Duration{24 * time.Hour, 25 * time.Hour, 24 * time.Hour},
			[]time.Duration{bs[0].End.Sub(bs[0].Start), bs[1].End.Sub(bs[1].Start), bs[2].End.Sub(bs[2].Start)})
		require.Equal(t, []int{1, 3, 1}, []int{bs[0].CaptureCount + bs[0].RefundCount, bs[1].CaptureCount + bs[1].RefundCount, bs[2].CaptureCount + bs[2].RefundCount})
	})

	t.Run("RangeNotOnBoundariesCutsTheEndBuckets", func(t *testing.T) {
		from, to := at(2026, 3, 29, 1, 0, 0), at(2026, 3, 30, 12, 0, 0)
		var out salesReport
		e.GraphQLAs(t, owner, salesReportQuery, map[string]any{"from": from, "to": to, "interval": "DAY"}).Decode(t, &out)
		bs := out.SalesReport.Buckets
		require.Len(t, bs, 2)
		require.True(t, bs[0].Start.Equal(from))
		require.True(t, bs[0].End.Equal(at(2026, 3, 30, 0, 0, 0)))
		require.True(t, bs[1].End.Equal(to))
		for _, b := range bs {
			require.Equal(t, direct(t, b.Start, b.End), b)
		}
	})

	t.Run("OtherCurrencyIsEmptyNotMissing", func(t *testing.T) {
		var out salesReport
		e.Query(t, salesReportQuery, map[string]any{"from": at(2026, 3, 1, 0, 0, 0), "to": at(2026, 4, 1, 0, 0, 0), "interval": "WEEK", "currency": "EUR"}, &out)
		require.Equal(t, "EUR", out.SalesReport.Currency)
		require.Len(t, out.SalesReport.Buckets, 6)
		for _, b := range out.SalesReport.Buckets {
			require.Equal(t, money{0, "EUR"}, b.Captured)
			require.Equal(t, 0, b.CaptureCount)
		}
	})
}

func TestSalesReportRefusesBadArguments(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	// In UTC, days are UTC's: 400 of them from a UTC midnight are 400
	// buckets, none cut.
	_, err := e.SQL.Exec(`UPDATE merchants SET time_zone = 'UTC' WHERE id = $1`, e.Merchant.Merchant.ID)
	require.NoError(t, err)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		vars map[string]any
		code string
	}{
		"FromAfterTo":     {map[string]any{"from": day.Add(time.Hour), "to": day, "interval": "DAY"}, "INVALID_RANGE"},
		"EmptyRange":      {map[string]any{"from": day, "to": day, "interval": "DAY"}, "INVALID_RANGE"},
		"TooManyBuckets":  {map[string]any{"from": day, "to": day.AddDate(2, 0, 0), "interval": "DAY"}, "TOO_MANY_BUCKETS"},
		"BadCurrency":     {map[string]any{"from": day, "to": day.AddDate(0, 1, 0), "interval": "DAY", "currency": "kronor"}, "INVALID_CURRENCY"},
		"UnknownInterval": {map[string]any{"from": day, "to": day.AddDate(0, 1, 0), "interval": "YEAR"}, "GRAPHQL_VALIDATION_FAILED"},
		"YearOutOfBounds": {map[string]any{"from": "0001-01-01T00:00:00Z", "to": day, "interval": "MONTH"}, "INVALID_RANGE"},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.GraphQL(t, salesReportQuery, tc.vars)
			require.Equal(t, tc.code, r.Code(), "%s", r.Raw)
		})
	}
	// 400 buckets are allowed: the limit is not off by one.
	var out salesReport
	e.Query(t, salesReportQuery, map[string]any{"from": day, "to": day.AddDate(0, 0, 400), "interval": "DAY"}, &out)
	require.Len(t, out.SalesReport.Buckets, 400)
	r := e.GraphQL(t, overviewQuery, map[string]any{"from": day, "to": day})
	require.Equal(t, "INVALID_RANGE", r.Code(), "%s", r.Raw)
}

// TestSalesFiguresAreForOwnersAdminsAndAPIKeys: a SALES member sees only
// their own staff-taken payments, so totals over every payment are
// refused to them, on both queries.
func TestSalesFiguresAreForOwnersAdminsAndAPIKeys(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	from, to := time.Now().Add(-24*time.Hour), time.Now()
	vars := map[string]any{"from": from, "to": to, "interval": "DAY"}
	admin := e.Login(t, e.AddStaff(t, "Ada Admin", "admin@snickeri.test", auth.RoleAdmin))
	sales := e.Login(t, e.AddStaff(t, "Sam Sales", "sales@snickeri.test", auth.RoleSales))
	owner := e.Login(t, e.Owner)
	for _, q := range []string{salesReportQuery, overviewQuery} {
		r := e.GraphQLAs(t, sales, q, vars)
		require.Equal(t, "FORBIDDEN", r.Code(), "%s", r.Raw)
		require.Equal(t, "null", string(r.Data), "nothing but the error: %s", r.Raw)
		for who, b := range map[string]*kassatest.Browser{"owner": owner, "admin": admin} {
			r := e.GraphQLAs(t, b, q, vars)
			require.Empty(t, r.Errors, "%s: %s", who, r.Raw)
		}
		r = e.GraphQL(t, q, vars)
		require.Empty(t, r.Errors, "API key: %s", r.Raw)
	}
	// The rule lives in the domain: a direct call is refused too.
	_, err := e.Server.Payments().SalesReport(context.Background(), payments.Actor{UserID: &e.Owner.ID, Role: auth.RoleSales},
		e.Merchant.Merchant.ID, payments.SalesQuery{From: from, To: to, Interval: payments.ReportDay, Currency: "SEK", TimeZone: "UTC"})
	require.ErrorContains(t, err, "not allowed")
}

// TestSalesOverviewFigures checks every figure of the overview against
// what real flows made: paid orders (one partly refunded), reservations
// (one lapsing within 24 hours), a declined payment and subscriptions of
// every interval.
func TestSalesOverviewFigures(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	ctx := context.Background()
	mid := e.Merchant.Merchant.ID

	gross := []int64{12_500, 20_000, 7_333}
	var orderPayments []payments.Payment
	for i, g := range gross {
		o, err := e.Server.Orders().Create(ctx, payments.System, mid, "", orders.NewOrder{
			Customer: orders.Customer{Name: fmt.Sprintf("Kund %d", i), Email: fmt.Sprintf("kund%d@example.com", i)},
			Lines:    []orders.LineInput{{Description: "Bord", Quantity: 1, UnitPrice: g, VATRate: 2500}},
		})
		require.NoError(t, err)
		p := pay(t, e, mid, o.GrossTotal, "SEK", payments.CaptureImmediate, "4242424242424242", &o.ID)
		require.Equal(t, payments.StatusCaptured, p.Status)
		orderPayments = append(orderPayments, p)
		kassatest.Eventually(t, 10*time.Second, "the order to be paid", func() bool {
			o, err = e.Server.Orders().Get(ctx, mid, o.ID)
			require.NoError(t, err)
			return o.Status == orders.StatusPaid
		})
	}
	refund(t, e, orderPayments[1], 5_000)
	kassatest.Eventually(t, 10*time.Second, "the order to be partly refunded", func() bool {
		o, err := e.Server.Orders().Get(ctx, mid, *orderPayments[1].OrderID)
		require.NoError(t, err)
		return o.AmountRefunded == 5_000
	})
	// Reservations: one partly captured; one lapsing within 24 hours.
	r1 := pay(t, e, mid, 30_000, "SEK", payments.CaptureReserve, "4242424242424242", nil)
	r2 := pay(t, e, mid, 4_000, "SEK", payments.CaptureReserve, "4242424242424242", nil)
	require.Equal(t, payments.StatusAuthorized, r1.Status)
	amt := int64(10_000)
	_, err := e.Server.Payments().Capture(ctx, payments.System, mid, r1.ID, &amt)
	require.NoError(t, err)
	_, err = e.SQL.Exec(`UPDATE payments SET capture_before = now() + interval '2 hours' WHERE merchant_id = $1 AND id = $2`, mid, r2.ID)
	require.NoError(t, err)
	_, err = e.SQL.Exec(`UPDATE payments SET capture_before = now() + interval '3 days' WHERE merchant_id = $1 AND id = $2`, mid, r1.ID)
	require.NoError(t, err)
	declined := pay(t, e, mid, 5_000, "SEK", payments.CaptureImmediate, "4000000000000002", nil)
	require.Equal(t, payments.StatusFailed, declined.Status)

	// Subscriptions, as the billing runner leaves them (fixtures: an
	// active one needs a customer on the payment page).
	for i, s := range []struct{ status, plan string }{
		{"ACTIVE", `{"kind":"FIXED","amount":9900,"currency":"SEK","interval":"MONTHLY","vatRate":2500}`},
		{"ACTIVE", `{"kind":"FIXED","amount":30000,"currency":"SEK","interval":"QUARTERLY","vatRate":2500}`},
		{"ACTIVE", `{"kind":"FIXED","amount":59999,"currency":"SEK","interval":"SEMIANNUAL","vatRate":2500}`},
		{"ACTIVE", `{"kind":"FIXED","amount":12000,"currency":"SEK","interval":"YEARLY","vatRate":2500}`},
		{"ACTIVE", `{"kind":"USAGE","unitPrice":100,"currency":"SEK","interval":"MONTHLY","vatRate":2500}`},
		{"ACTIVE", `{"kind":"FIXED","amount":1000,"currency":"EUR","interval":"MONTHLY","vatRate":2500}`},
		{"PAST_DUE", `{"kind":"FIXED","amount":50000,"currency":"SEK","interval":"MONTHLY","vatRate":2500}`},
		{"CANCELLED", `{"kind":"FIXED","amount":70000,"currency":"SEK","interval":"MONTHLY","vatRate":2500}`},
	} {
		_, err := e.SQL.Exec(`INSERT INTO subscriptions (merchant_id, id, status, customer_email, plan, currency, time_zone, anchor)
			VALUES ($1, $2, $3, $4, $5, $5::jsonb->>'currency', 'Europe/Stockholm', now())`,
			mid, uuid.New(), s.status, fmt.Sprintf("abonnent%d@example.com", i), s.plan)
		require.NoError(t, err)
	}

	var out struct {
		SalesOverview struct {
			From    time.Time `json:"from"`
			Revenue []struct {
				Currency string `json:"currency"`
				Captured money  `json:"captured"`
				Refunded struct{ Amount int64 }
				Net      struct{ Amount int64 }
			} `json:"revenue"`
			PaidOrders        int     `json:"paidOrders"`
			AverageOrderValue []money `json:"averageOrderValue"`
			OpenReservations  struct {
				Count            int     `json:"count"`
				Amounts          []money `json:"amounts"`
				LapsingWithin24h int     `json:"lapsingWithin24h"`
			} `json:"openReservations"`
			ActiveSubscriptions     int     `json:"activeSubscriptions"`
			MonthlyRecurringRevenue []money `json:"monthlyRecurringRevenue"`
			FailedPayments          int     `json:"failedPayments"`
			PastDueSubscriptions    int     `json:"pastDueSubscriptions"`
		} `json:"salesOverview"`
	}
	now := time.Now()
	e.GraphQLAs(t, e.Login(t, e.Owner), overviewQuery, map[string]any{"from": now.Add(-time.Hour), "to": now.Add(time.Hour)}).Decode(t, &out)
	o := out.SalesOverview
	captured := gross[0] + gross[1] + gross[2] + 10_000
	require.Len(t, o.Revenue, 1)
	require.Equal(t, "SEK", o.Revenue[0].Currency)
	require.Equal(t, money{captured, "SEK"}, o.Revenue[0].Captured)
	require.Equal(t, int64(5_000), o.Revenue[0].Refunded.Amount)
	require.Equal(t, captured-5_000, o.Revenue[0].Net.Amount)
	require.Equal(t, 3, o.PaidOrders)
	require.Equal(t, []money{{(gross[0] + gross[1] + gross[2] - 5_000) / 3, "SEK"}}, o.AverageOrderValue, "integer division")
	require.Equal(t, 2, o.OpenReservations.Count)
	require.Equal(t, []money{{20_000 + 4_000, "SEK"}}, o.OpenReservations.Amounts, "what is left to capture")
	require.Equal(t, 1, o.OpenReservations.LapsingWithin24h)
	require.Equal(t, 6, o.ActiveSubscriptions)
	require.Equal(t, 1, o.PastDueSubscriptions)
	// 9 900 + 30 000/3 + 59 999/6 + 12 000/12 = 30 899.83…: rounded once,
	// not truncated per plan (which would give 30 899).
	require.Equal(t, []money{{1_000, "EUR"}, {30_900, "SEK"}}, o.MonthlyRecurringRevenue)
	require.Equal(t, 1, o.FailedPayments)

	// A range before any of it: nothing moved, the default currency shows
	// zeros, and what is "now" stays.
	e.Query(t, overviewQuery, map[string]any{"from": now.Add(-48 * time.Hour), "to": now.Add(-24 * time.Hour)}, &out)
	o = out.SalesOverview
	require.Len(t, o.Revenue, 1)
	require.Equal(t, money{0, "SEK"}, o.Revenue[0].Captured)
	require.Zero(t, o.PaidOrders)
	require.Empty(t, o.AverageOrderValue)
	require.Zero(t, o.FailedPayments)
	require.Equal(t, 2, o.OpenReservations.Count)
	require.Equal(t, 6, o.ActiveSubscriptions)
}
