package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

var billingNeeds = []string{"createSubscription"}

// billingMerchants share the subscriptions: each merchant numbers its
// invoices on its own counter, as many merchants on one kassa do.
const billingMerchants = 10

var billingTarget = Target{Factor: 1.0, Baseline: PgbenchTPS}

// billing: N due FIXED subscriptions swept as `kassa billing run-once`
// sweeps them (billing.Service.Sweep), until every invoice is charged by
// the server's charge workers. Throughput is subscriptions from the start
// of the sweep until the last invoice was paid; the latency percentiles
// are of when each invoice was paid, counted from the sweep's start.
//
// The subscriptions are made by copying, in SQL, one real subscription
// per merchant, created through the API and activated by paying its
// first payment on the hosted page: the copies carry its real card
// mandate, and are backdated so that exactly one period (the second) is
// due now.
func runBilling(ctx context.Context, e *env, b Baseline) []Result {
	n := e.opts.BillingSubscriptions
	r := Result{Name: "billing", Unit: "subscriptions/s", target: billingTarget}
	merchants := make([]string, billingMerchants)
	templates := make([]string, billingMerchants)
	err := timed(e, "billing: "+strconv.Itoa(billingMerchants)+" merchants with a mandate", func() error {
		return forEach(ctx, billingMerchants, e.opts.concurrency(8), func(ctx context.Context, i int) error {
			c, m, err := e.merchant(ctx, "billing")
			if err != nil {
				return err
			}
			id, err := c.activeSubscription(ctx, i, map[string]any{"kind": "FIXED", "amount": 9900, "currency": "SEK",
				"interval": "MONTHLY", "vatRate": 2500})
			if err != nil {
				return err
			}
			merchants[i], templates[i] = m.Merchant.ID.String(), rawID(id)
			return nil
		})
	})
	if err != nil {
		return []Result{failed(r, fmt.Errorf("prepare subscriptions: %w", err), b)}
	}
	err = timed(e, "billing: "+num(float64(n))+" due subscriptions", func() error {
		return e.db.InSystem(ctx, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, `
				INSERT INTO subscriptions (merchant_id, id, status, customer_name, customer_email, customer_locale, plan, currency,
				  time_zone, anchor, next_period, next_billing_at, mandate_token, mandate_processor, card_brand, card_last4,
				  card_exp_month, card_exp_year, created_at, updated_at)
				SELECT t.merchant_id, gen_random_uuid(), 'ACTIVE', t.customer_name, 'bench-' || g || '@example.test', t.customer_locale,
				  t.plan, t.currency, t.time_zone, t.anchor - interval '40 days', 1, now() - interval '1 minute', t.mandate_token,
				  t.mandate_processor, t.card_brand, t.card_last4, t.card_exp_month, t.card_exp_year, now(), now()
				FROM generate_series(0, $1 - 1) AS g
				JOIN subscriptions t ON t.merchant_id = ($2::uuid[])[g % $3 + 1] AND t.id = ($4::uuid[])[g % $3 + 1]`,
				n, pq.Array(merchants), billingMerchants, pq.Array(templates))
			return err
		})
	})
	if err != nil {
		return []Result{failed(r, fmt.Errorf("copy subscriptions: %w", err), b)}
	}

	st0, tx0 := allSQL.statements.Load(), allSQL.txs.Load()
	e.takeTally()
	times0 := scrapeServer(ctx, e)
	// The sweep runs in its own goroutine, as run-once in its own process
	// would; the server's River workers charge the invoices meanwhile.
	start := time.Now()
	var sweepErr error
	var sweepTook time.Duration
	var swept int
	var wg sync.WaitGroup
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	wg.Go(func() {
		res, err := e.srv.Billing().Sweep(sweepCtx, start)
		sweepTook, swept, sweepErr = time.Since(start), res.Subscriptions, err
	})
	var paid, failedN int64
	status := func() string { return fmt.Sprintf("%d of %d invoices paid", paid, n) }
	end := e.prog.phase("billing: sweep and charge", 0, status)
	timeout := time.After(e.opts.BillingTimeout)
	poll := time.NewTicker(500 * time.Millisecond)
	timedOut := false
	for paid+failedN < int64(n) && !timedOut && ctx.Err() == nil {
		select {
		case <-poll.C:
			p, f, err := invoiceCounts(ctx, e, merchants)
			if err == nil {
				paid, failedN = p, f
			}
		case <-timeout:
			timedOut = true
		case <-ctx.Done():
		}
	}
	poll.Stop()
	elapsed := time.Since(start)
	end()
	// A sweep still running at the timeout stops: its open batch rolls
	// back, as when a runner is killed.
	stopSweep()
	wg.Wait()
	cancelled, cancelErr := cancelCharges(ctx, e, merchants)
	times1 := scrapeServer(ctx, e)
	sqlNote := e.sqlNote(paid, st0, tx0)

	lat, err := paidLatencies(ctx, e, merchants, start)
	if err != nil {
		return []Result{failed(r, err, b)}
	}
	rec := newRecorder()
	for _, d := range lat {
		rec.done(d, 1, nil)
	}
	s := rec.summarize(elapsed)
	s.Errors = failedN
	r.finish(s, elapsed.Seconds(), b)
	if sweepErr != nil && !timedOut {
		r.ErrorSamples = append(r.ErrorSamples, "sweep: "+sweepErr.Error())
	}
	if cancelErr != nil {
		r.ErrorSamples = append(r.ErrorSamples, "cancel the remaining charge jobs: "+cancelErr.Error())
	}
	r.Notes = append(r.Notes,
		fmt.Sprintf("%s subscriptions across %d merchants, one due period each; the sweep (invoices and charge jobs) took %.1f s for %s subscriptions (%s/s), the charges (River workers → processor → callback → invoice PAID) ended %.1f s after the start",
			num(float64(n)), billingMerchants, sweepTook.Seconds(), num(float64(swept)), num(float64(swept)/sweepTook.Seconds()), elapsed.Seconds()),
		"latency: from the start of the sweep until each invoice was paid")
	if bd := breakdown(times0, times1, paid); bd != "" {
		r.Notes = append(r.Notes, "server, per paid invoice (requests × mean latency): "+bd)
	}
	if sqlNote != "" {
		r.Notes = append(r.Notes, "SQL per paid invoice (the whole sweep's included): "+sqlNote)
	}
	if timedOut {
		sweepNote := "the sweep had finished"
		if sweepErr != nil {
			sweepNote = fmt.Sprintf("the sweep was stopped after %s subscriptions", num(float64(swept)))
		}
		r.Notes = append(r.Notes, fmt.Sprintf("stopped after %s (--billing-timeout; %s): %d paid, %d failed, %d not charged yet, whose %d queued charge jobs were cancelled so that they do not weigh on what follows; throughput is what was paid by then",
			e.opts.BillingTimeout, sweepNote, paid, failedN, int64(n)-paid-failedN, cancelled))
	}
	return []Result{r}
}

// rawID is the UUID in a global ID ("sub_0190…" → its 32 hex digits as a
// UUID).
func rawID(gid string) string {
	for i := len(gid) - 1; i >= 0; i-- {
		if gid[i] == '_' {
			h := gid[i+1:]
			if len(h) == 32 {
				return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
			}
		}
	}
	return gid
}

// cancelCharges deletes the charge jobs of the bench's merchants that no
// worker has started.
func cancelCharges(ctx context.Context, e *env, merchants []string) (int64, error) {
	res, err := e.db.System.ExecContext(ctx, `
		DELETE FROM river_job WHERE kind = 'billing.charge' AND state IN ('available', 'scheduled', 'retryable', 'pending')
		AND args->>'merchant_id' = ANY($1::text[])`, pq.Array(merchants))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func invoiceCounts(ctx context.Context, e *env, merchants []string) (paid, failed int64, err error) {
	err = e.db.System.QueryRowxContext(ctx, `
		SELECT count(*) FILTER (WHERE status = 'PAID'), count(*) FILTER (WHERE status = 'FAILED')
		FROM invoices WHERE merchant_id = ANY($1::uuid[]) AND kind = 'PERIOD' AND period_index = 1`,
		pq.Array(merchants)).Scan(&paid, &failed)
	return paid, failed, err
}

func paidLatencies(ctx context.Context, e *env, merchants []string, start time.Time) ([]time.Duration, error) {
	var secs []float64
	err := e.db.System.SelectContext(ctx, &secs, `
		SELECT extract(epoch FROM paid_at - $2)::float8 FROM invoices
		WHERE merchant_id = ANY($1::uuid[]) AND kind = 'PERIOD' AND period_index = 1 AND status = 'PAID'`,
		pq.Array(merchants), start)
	out := make([]time.Duration, len(secs))
	for i, s := range secs {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out, err
}
