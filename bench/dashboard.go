package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The dashboard's target: the overview and the first page of orders each
// answer within 200 ms for a merchant with 1,000,000 orders and 100,000
// subscriptions.
var dashboardTarget = Target{P99Ms: 200}

// dashboardOverviewQuery is what the dashboard's overview asks in one
// request: the figures of the last 30 days and their revenue chart by day.
const dashboardOverviewQuery = `query DashboardOverview($from: Time!, $to: Time!) {
  salesOverview(from: $from, to: $to) {
    revenue { currency captured { amount currency } refunded { amount } net { amount } }
    paidOrders
    averageOrderValue { amount currency }
    openReservations { count amounts { amount currency } lapsingWithin24h }
    activeSubscriptions
    monthlyRecurringRevenue { amount currency }
    failedPayments
    pastDueSubscriptions
  }
  salesReport(from: $from, to: $to, interval: DAY) {
    currency timeZone
    buckets { start end captured { amount } refunded { amount } net { amount } captureCount refundCount }
  }
}`

// dashboardOrdersQuery is the dashboard's first page of orders with what
// its list shows.
const dashboardOrdersQuery = `query DashboardOrders {
  orders(first: 20) {
    edges { node { id number status customer { name } totals { gross { amount currency } } createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`

// dashboard: one merchant with --dashboard-orders orders over two years
// (paid, partly and wholly refunded, reserved, drafts, cancelled, …, each
// with lines, the paid ones with a captured payment on the ledger) and
// --dashboard-subscriptions subscriptions, built in SQL; then the
// overview (salesOverview + a 30-day salesReport by day, one request) and
// the first page of orders, each requested in a closed loop through the
// HTTP GraphQL endpoint with an API key.
func runDashboard(ctx context.Context, e *env, b Baseline) []Result {
	workers := e.opts.concurrency(1) // one person loading the dashboard: the target is its latency
	overview := Result{Name: "dashboard-overview", Unit: "requests/s", Concurrency: workers, target: dashboardTarget}
	list := Result{Name: "dashboard-orders", Unit: "requests/s", Concurrency: workers, target: dashboardTarget}
	fail := func(err error) []Result { return []Result{failed(overview, err, b), failed(list, err, b)} }
	c, m, err := e.merchant(ctx, "dashboard")
	if err != nil {
		return fail(err)
	}
	n, subs := e.opts.DashboardOrders, e.opts.DashboardSubscriptions
	start := time.Now()
	var rows dashboardRows
	err = timed(e, fmt.Sprintf("dashboard: %s orders, %s subscriptions (SQL)", num(float64(n)), num(float64(subs))), func() error {
		var err error
		rows, err = buildDashboard(ctx, e, m.Merchant.ID.String(), n, subs, time.Now().UTC())
		return err
	})
	if err != nil {
		return fail(fmt.Errorf("build the data set: %w", err))
	}
	built := time.Since(start)

	to := time.Now().UTC()
	from := to.AddDate(0, 0, -30)
	ovVars := map[string]any{"from": from, "to": to}
	var check struct {
		SalesOverview struct{ PaidOrders, ActiveSubscriptions int }
		SalesReport   struct{ Buckets []struct{ CaptureCount int } }
	}
	var page struct {
		Orders struct {
			Edges []struct{ Node struct{ Number int } }
		}
	}
	// Warm up connections and caches; check the answers while at it.
	for range 5 {
		if err := c.graphql(ctx, dashboardOverviewQuery, ovVars, &check); err != nil {
			return fail(fmt.Errorf("overview: %w", err))
		}
		if err := c.graphql(ctx, dashboardOrdersQuery, nil, &page); err != nil {
			return fail(fmt.Errorf("orders page: %w", err))
		}
	}
	if check.SalesOverview.PaidOrders == 0 || len(check.SalesReport.Buckets) < 30 || check.SalesOverview.ActiveSubscriptions == 0 {
		return fail(fmt.Errorf("the overview shows no data: %+v", check))
	}
	if len(page.Orders.Edges) != min(20, n) || page.Orders.Edges[0].Node.Number != n {
		return fail(fmt.Errorf("orders page: %d orders, the first number %v, want %d orders from number %d", len(page.Orders.Edges), page.Orders.Edges, min(20, n), n))
	}

	measure := func(r *Result, name, query string, vars map[string]any) {
		rec := newRecorder()
		elapsed := closedLoop(ctx, name, e.opts.Duration, workers, e.prog, rec, func(ctx context.Context, _, _ int) (int, error) {
			return 1, c.graphql(ctx, query, vars, nil)
		})
		r.finish(rec.summarize(elapsed), elapsed.Seconds(), b)
	}
	measure(&overview, "dashboard-overview", dashboardOverviewQuery, ovVars)
	measure(&list, "dashboard-orders", dashboardOrdersQuery, nil)

	data := fmt.Sprintf("one merchant with %s orders over 2 years (%s order lines, %s payments, %s ledger rows) and %s subscriptions, built in SQL in %.0f s; %s, closed loop, over HTTP with an API key",
		num(float64(n)), num(float64(rows.lines)), num(float64(rows.payments)), num(float64(rows.ledger)), num(float64(subs)), built.Seconds(), workerCount(workers))
	overview.Notes = append(overview.Notes, data,
		fmt.Sprintf("one request: salesOverview for the last 30 days (%s orders paid in them) and salesReport by day for the same 30 days",
			num(float64(check.SalesOverview.PaidOrders))))
	list.Notes = append(list.Notes, data, "orders(first: 20): number, status, customer name, gross total, createdAt")
	if rows.vacuumErr != nil {
		note := "VACUUM ANALYZE after the build failed (" + rows.vacuumErr.Error() + "): the planner's statistics may be stale"
		overview.Notes = append(overview.Notes, note)
		list.Notes = append(list.Notes, note)
	}
	return []Result{overview, list}
}

type dashboardRows struct {
	lines, payments, ledger int64
	vacuumErr               error
}

// buildDashboard writes the merchant's data set with a few INSERT …
// SELECT statements over generate_series. Ids are UUIDv7-shaped (the
// creation time's milliseconds first), as kassa makes them, so "newest
// first" is the primary key's order as in production.
func buildDashboard(ctx context.Context, e *env, merchantID string, n, subs int, now time.Time) (dashboardRows, error) {
	var out dashboardRows
	err := bulkTx(ctx, e, func(tx *sqlx.Tx) error {
		steps := []struct {
			what string
			q    string
			args []any
			rows *int64
		}{
			// One row per order: when, what status, the two lines' gross
			// amounts (VAT 25 % included; the second line on odd orders).
			{"orders (staging)", `
				CREATE TEMP TABLE bench_orders ON COMMIT DROP AS
				SELECT i, created_at, id, pay_id, status, currency, g1, (2 * g1 + 5) / 10 AS v1, g2, (2 * g2 + 5) / 10 AS v2,
				  created_at + interval '5 minutes' AS paid_at
				FROM (
				  SELECT i, created_at,
				    (lpad(to_hex((extract(epoch FROM created_at) * 1000)::bigint), 12, '0') || '7' || substr(md5(i || 'o'), 1, 3) || '8' || substr(md5(i || 'o'), 4, 15))::uuid AS id,
				    (lpad(to_hex((extract(epoch FROM created_at + interval '5 minutes') * 1000)::bigint), 12, '0') || '7' || substr(md5(i || 'p'), 1, 3) || '9' || substr(md5(i || 'p'), 4, 15))::uuid AS pay_id,
				    CASE
				      WHEN i % 100 < 70 THEN 'PAID'
				      WHEN i % 100 < 75 THEN 'PARTIALLY_REFUNDED'
				      WHEN i % 100 < 78 THEN 'REFUNDED'
				      WHEN i % 100 < 82 THEN CASE WHEN created_at > $2::timestamptz - interval '7 days' THEN 'RESERVED' ELSE 'EXPIRED' END
				      WHEN i % 100 < 88 THEN 'CONFIRMATION_SENT'
				      WHEN i % 100 < 92 THEN 'DRAFT'
				      WHEN i % 100 < 96 THEN 'CANCELLED'
				      ELSE 'EXPIRED'
				    END AS status,
				    CASE WHEN i % 50 = 7 THEN 'EUR' ELSE 'SEK' END AS currency,
				    5000 + (i * 7919) % 200000 AS g1,
				    CASE WHEN i % 2 = 1 THEN 1000 + (i * 104729) % 50000 ELSE 0 END AS g2
				  FROM (SELECT i, $2::timestamptz - interval '730 days' * ($1 - i) / $1 - interval '1 second' * (i % 97) AS created_at
				        FROM generate_series(1, $1::bigint) AS i) g
				) o`, []any{n, now}, nil},
			// Customers: one for every four orders, so most buy again.
			{"customers", `
				INSERT INTO customers (merchant_id, id, email, email_key, name, locale, active_at, created_at, updated_at)
				SELECT $1, md5('c' || c)::uuid, 'kund' || c || '@example.test', 'kund' || c || '@example.test', 'Kund ' || c, 'sv', $3, $3, $3
				FROM generate_series(1, greatest($2::bigint / 4, 1)) AS c`, []any{merchantID, n, now}, nil},
			{"orders", `
				INSERT INTO orders (merchant_id, id, number, status, currency, capture_mode, customer_id, customer_name, customer_email, customer_locale,
				  reference, net_total, vat_total, gross_total, amount_paid, amount_refunded, search, paid_at, settled_by_payment_id, created_at, updated_at)
				SELECT $1, id, i, status, currency, CASE WHEN status IN ('RESERVED', 'EXPIRED') THEN 'RESERVE' ELSE 'IMMEDIATE' END,
				  md5('c' || (i % greatest($2::bigint / 4, 1) + 1))::uuid,
				  'Kund ' || (i % greatest($2::bigint / 4, 1) + 1), 'kund' || (i % greatest($2::bigint / 4, 1) + 1) || '@example.test', 'sv', 'REF-' || i,
				  (g1 - v1) + (g2 - v2), v1 + v2, g1 + g2,
				  CASE WHEN status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') THEN g1 + g2 ELSE 0 END,
				  CASE status WHEN 'PARTIALLY_REFUNDED' THEN (g1 + g2) / 4 WHEN 'REFUNDED' THEN g1 + g2 ELSE 0 END,
				  i || ' Kund ' || i,
				  CASE WHEN status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') THEN paid_at END,
				  CASE WHEN status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'RESERVED') THEN pay_id END,
				  created_at, created_at
				FROM bench_orders`, []any{merchantID, n}, nil},
			{"order lines", `
				INSERT INTO order_lines (merchant_id, order_id, position, description, quantity, unit_price, vat_rate, net, vat, gross)
				SELECT $1::uuid, id, 1, 'Bord ek', 1, g1, 2500, g1 - v1, v1, g1 FROM bench_orders
				UNION ALL
				SELECT $1::uuid, id, 2, 'Frakt', 1, g2, 2500, g2 - v2, v2, g2 FROM bench_orders WHERE g2 > 0`, []any{merchantID}, &out.lines},
			// A payment for every order that was paid or is reserved, and
			// a declined one for some that were sent a confirmation.
			{"payments", `
				INSERT INTO payments (merchant_id, id, order_id, amount, currency, capture_mode, status, initiator, processor,
				  amount_authorized, amount_captured, amount_refunded, failed, failure_code, three_ds, card_brand, card_last4,
				  capture_before, created_at, updated_at)
				SELECT $1, pay_id, id, g1 + g2, currency, CASE WHEN status = 'RESERVED' THEN 'RESERVE' ELSE 'IMMEDIATE' END,
				  CASE status WHEN 'PAID' THEN 'CAPTURED' WHEN 'RESERVED' THEN 'AUTHORIZED' WHEN 'CONFIRMATION_SENT' THEN 'FAILED' ELSE status END,
				  'CUSTOMER', 'simulator',
				  CASE WHEN status = 'CONFIRMATION_SENT' THEN 0 ELSE g1 + g2 END,
				  CASE WHEN status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') THEN g1 + g2 ELSE 0 END,
				  CASE status WHEN 'PARTIALLY_REFUNDED' THEN (g1 + g2) / 4 WHEN 'REFUNDED' THEN g1 + g2 ELSE 0 END,
				  status = 'CONFIRMATION_SENT', CASE WHEN status = 'CONFIRMATION_SENT' THEN 'card_declined' END,
				  'NOT_REQUIRED', 'visa', '4242',
				  CASE WHEN status = 'RESERVED' THEN created_at + interval '7 days' END,
				  paid_at, paid_at
				FROM bench_orders
				WHERE status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'RESERVED') OR (status = 'CONFIRMATION_SENT' AND i % 3 = 0)`,
				[]any{merchantID}, &out.payments},
			// The ledger: each capture when the order was paid, each
			// refund up to three weeks later (never after now), in the
			// order kassa would have written them.
			{"ledger", `
				INSERT INTO payment_ledger (merchant_id, id, payment_id, kind, amount, currency, occurred_at)
				SELECT $1::uuid, (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '7' || substr(md5(i || kind), 1, 3) || 'a' || substr(md5(i || kind), 4, 15))::uuid,
				  pay_id, kind, amount, currency, at
				FROM (
				  SELECT i, pay_id, 'CAPTURE' AS kind, g1 + g2 AS amount, currency, paid_at AS at
				  FROM bench_orders WHERE status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
				  UNION ALL
				  SELECT i, pay_id, 'REFUND', CASE WHEN status = 'REFUNDED' THEN g1 + g2 ELSE (g1 + g2) / 4 END, currency,
				    least(paid_at + interval '1 day' * (i % 21), $2::timestamptz)
				  FROM bench_orders WHERE status IN ('PARTIALLY_REFUNDED', 'REFUNDED')
				) l
				ORDER BY at`, []any{merchantID, now}, &out.ledger},
			// Subscriptions: mostly active, of every interval, some usage;
			// none due (no next_billing_at), so no runner charges them.
			{"subscriptions", `
				INSERT INTO subscriptions (merchant_id, id, status, customer_name, customer_email, plan, currency, time_zone, anchor, created_at, updated_at)
				SELECT $1, gen_random_uuid(),
				  CASE WHEN g % 20 < 17 THEN 'ACTIVE' WHEN g % 20 = 17 THEN 'PAST_DUE' WHEN g % 20 = 18 THEN 'PAUSED' ELSE 'CANCELLED' END,
				  'Abonnent ' || g, 'abonnent' || g || '@example.test',
				  CASE WHEN g % 10 = 9
				    THEN jsonb_build_object('kind', 'USAGE', 'unitPrice', 100, 'currency', 'SEK', 'interval', 'MONTHLY', 'aggregation', 'SUM', 'vatRate', 2500)
				    ELSE jsonb_build_object('kind', 'FIXED', 'amount', 9900 + (g % 7) * 5000, 'currency', 'SEK',
				      'interval', (ARRAY['MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'YEARLY'])[g % 4 + 1], 'vatRate', 2500)
				  END,
				  'SEK', 'Europe/Stockholm', $3::timestamptz - interval '1 day' * (g % 700), $3::timestamptz - interval '1 day' * (g % 700), $3::timestamptz
				FROM generate_series(1, $2) AS g`, []any{merchantID, subs, now}, nil},
		}
		for _, st := range steps {
			res, err := tx.ExecContext(ctx, st.q, st.args...)
			if err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
			if st.rows != nil {
				*st.rows, _ = res.RowsAffected()
			}
		}
		// The counter that numbers the merchant's next order.
		_, err := tx.ExecContext(ctx, `
			INSERT INTO merchant_counters (merchant_id, name, value) VALUES ($1, 'order', $2)
			ON CONFLICT ON CONSTRAINT merchant_counters_pkey DO UPDATE SET value = excluded.value`, merchantID, n)
		return err
	})
	if err != nil {
		return out, err
	}
	// Fresh statistics and visibility maps, as autovacuum would leave
	// them on a database that grew to this size over two years.
	out.vacuumErr = vacuumAnalyze(ctx, e.kassaURL, "orders", "order_lines", "payments", "payment_ledger", "subscriptions")
	return out, nil
}

func vacuumAnalyze(ctx context.Context, url string, tables ...string) error {
	d, err := sql.Open("postgres", url)
	if err != nil {
		return err
	}
	defer d.Close()
	var errs []error
	for _, t := range tables {
		if _, err := d.ExecContext(ctx, `VACUUM (ANALYZE) `+t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// bulkTx runs fn in one transaction that writes the data set. As a
// superuser (the bench's own cluster) it skips the foreign-key triggers
// (session_replication_role = replica): the rows are consistent by
// construction, and checking 3 million references one by one would take
// most of the build. Otherwise it writes as kassa's system role, checks
// and all.
func bulkTx(ctx context.Context, e *env, fn func(tx *sqlx.Tx) error) error {
	owner, err := sqlx.Open("postgres", e.kassaURL)
	if err != nil {
		return err
	}
	defer owner.Close()
	var super bool
	if err := owner.GetContext(ctx, &super, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`); err != nil || !super {
		return e.db.InSystem(ctx, fn)
	}
	tx, err := owner.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func workerCount(n int) string {
	if n == 1 {
		return "1 worker"
	}
	return fmt.Sprintf("%d workers", n)
}
