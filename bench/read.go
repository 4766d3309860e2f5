package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The read scenario's shape: the dashboard's orders list.
const (
	readPageSize = 50
	readRate     = 200 // requests per second offered
	readOrders   = 60  // paid orders prepared: a page of 50 and more
	countSamples = 20  // requests per page size when counting SQL
)

// ordersPageQuery is what a merchant dashboard asks for a page of orders:
// each order with its lines, total and payments. It is as much as the
// server's default complexity limit (1000) lets a page of 50 select: the
// limit charges every field once per order.
const ordersPageQuery = `query OrdersPage($first: Int!) {
  orders(first: $first) {
    edges {
      node {
        id status
        totals { gross { amount currency } }
        lines { description gross { amount } }
        payments { status captured { amount } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// read: the orders connection, 50 orders a page with their lines and
// payments, offered at a fixed 200 requests/s (open loop). Also counts
// the SQL each request runs at page sizes 5 and 50: it must not grow with
// the page.
func runRead(ctx context.Context, e *env, b Baseline) []Result {
	r := Result{Name: "read", Unit: "requests/s", target: Target{P99Ms: 20}}
	c, _, err := e.merchant(ctx, "read")
	if err != nil {
		return []Result{failed(r, err, b)}
	}
	err = timed(e, "read: "+strconv.Itoa(readOrders)+" paid orders", func() error {
		return forEach(ctx, readOrders, e.opts.concurrency(8), func(ctx context.Context, i int) error {
			_, err := c.checkout(ctx, i, nil)
			return err
		})
	})
	if err != nil {
		return []Result{failed(r, fmt.Errorf("prepare orders: %w", err), b)}
	}
	vars := map[string]any{"first": readPageSize}
	page := func(ctx context.Context, _, _ int) (int, error) {
		var out struct {
			Orders struct {
				Edges []struct {
					Node struct {
						Payments []struct{ Status string }
					}
				}
			}
		}
		if err := c.graphql(ctx, ordersPageQuery, vars, &out); err != nil {
			return 0, err
		}
		if len(out.Orders.Edges) != readPageSize {
			return 0, fmt.Errorf("page of %d orders, want %d", len(out.Orders.Edges), readPageSize)
		}
		if len(out.Orders.Edges[0].Node.Payments) == 0 {
			return 0, errors.New("an order on the page has no payment")
		}
		return 1, nil
	}
	// Warm up connections and caches: the figures are for a running server.
	for i := range 20 {
		if _, err := page(ctx, 0, i); err != nil {
			return []Result{failed(r, fmt.Errorf("orders page: %w", err), b)}
		}
	}
	rec := newRecorder()
	times0 := scrapeServer(ctx, e)
	elapsed := openLoop(ctx, "read", e.opts.Duration, readRate, 64, e.prog, rec, page)
	r.finish(rec.summarize(elapsed), elapsed.Seconds(), b)
	r.Notes = append(r.Notes, fmt.Sprintf("%d requests/s offered (open loop, latency from the scheduled time), %d orders per page with lines and payments",
		readRate, readPageSize))
	if bd := breakdown(times0, scrapeServer(ctx, e), rec.ok.Load()); bd != "" {
		r.Notes = append(r.Notes, "server, per request (requests × mean latency): "+bd)
	}

	check, perSize, note, err := countQueries(ctx, e, c)
	if err != nil {
		r.Checks = append(r.Checks, Check{Name: "fixed SQL per request", Detail: "could not count: " + err.Error()})
	} else {
		r.Checks = append(r.Checks, check)
		r.QueriesPerRequest = perSize
		r.Notes = append(r.Notes, note)
	}
	r.judge(b)
	return []Result{r}
}

// countQueries measures the SQL a page costs at two page sizes. In
// process it counts each request's statements exactly (a counting driver,
// attributed by the request's context); against --target it can only
// compare committed transactions on the database before and after, which
// background work may blur slightly.
func countQueries(ctx context.Context, e *env, c *client) (Check, map[string]float64, string, error) {
	if e.countURL != "" {
		return countInProcess(ctx, e, c)
	}
	sizes := []int{5, readPageSize}
	txs := map[string]float64{}
	// Statistics reach pg_stat_database up to a second late.
	const settle = 1200 * time.Millisecond
	const samples = 50
	for _, size := range sizes {
		before, err := xactCommits(ctx, e.kassaURL)
		if err != nil {
			return Check{}, nil, "", err
		}
		start := time.Now()
		for range samples {
			if err := c.graphql(ctx, ordersPageQuery, map[string]any{"first": size}, nil); err != nil {
				return Check{}, nil, "", err
			}
		}
		busy := time.Since(start)
		time.Sleep(settle)
		after, err := xactCommits(ctx, e.kassaURL)
		if err != nil {
			return Check{}, nil, "", err
		}
		// The server's background work commits meanwhile too: as much
		// again while idle is taken off.
		time.Sleep(busy)
		idle, err := xactCommits(ctx, e.kassaURL)
		if err != nil {
			return Check{}, nil, "", err
		}
		background := float64(idle-after-1) * float64(busy+settle) / float64(busy)
		txs[strconv.Itoa(size)] = (float64(after-before-1) - background) / samples // less the counts' own
	}
	small, large := strconv.Itoa(sizes[0]), strconv.Itoa(sizes[1])
	// Background commits blur these by a transaction or so; a query per
	// order would add 45 from the small page to the large one.
	ok := math.Abs(txs[large]-txs[small]) < 1.5
	detail := fmt.Sprintf("page of %s: %.1f transactions; page of %s: %.1f transactions (pg_stat_database, approximate: a query per order would add %d)",
		small, txs[small], large, txs[large], sizes[1]-sizes[0])
	return Check{Name: "fixed SQL per request", OK: ok, Detail: detail}, txs,
		"against --target only transactions can be counted (pg_stat_database.xact_commit, less the server's background commits); queries_per_request holds transactions", nil
}

// countInProcess sends countSamples requests one at a time at each page
// size through the counting listener. The check compares the typical
// (median) request; the range shows when a dataloader batch split.
func countInProcess(ctx context.Context, e *env, c *client) (Check, map[string]float64, string, error) {
	sizes := []int{1, 5, readPageSize}
	per := map[string]float64{}
	var details, timings []string
	var medians []int64
	for _, size := range sizes {
		vars := map[string]any{"first": size}
		op := "OrdersPage first=" + strconv.Itoa(size)
		start := time.Now()
		for range countSamples {
			if err := c.graphqlOp(ctx, op, ordersPageQuery, vars, nil); err != nil {
				return Check{}, nil, "", err
			}
		}
		timings = append(timings, fmt.Sprintf("%.1f ms for %d", float64(time.Since(start).Microseconds())/1000/countSamples, size))
		t := e.tally.take()[op]
		if t == nil || t.Requests == 0 {
			return Check{}, nil, "", errors.New("no request was counted")
		}
		st := slices.Clone(t.PerRequest)
		slices.Sort(st)
		med := st[len(st)/2]
		medians = append(medians, med)
		per[strconv.Itoa(size)] = float64(med)
		d := fmt.Sprintf("page of %d: %d statements in %.0f transactions", size, med, float64(t.Txs)/float64(t.Requests))
		if st[0] != st[len(st)-1] {
			d += fmt.Sprintf(" (%d–%d)", st[0], st[len(st)-1])
		}
		details = append(details, d)
	}
	ok := slices.Min(medians) == slices.Max(medians)
	return Check{Name: "fixed SQL per request", OK: ok, Detail: strings.Join(details, "; ")}, per,
		fmt.Sprintf("SQL counted per request in process over %d requests per page size (statements, BEGIN/COMMIT not included; authentication included); one request at a time takes %s",
			countSamples, strings.Join(timings, ", ")), nil
}

func xactCommits(ctx context.Context, url string) (int64, error) {
	d, err := sql.Open("postgres", url)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	var n int64
	err = d.QueryRowContext(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	return n, err
}
