package bench

import (
	"context"
	"sync"
	"sync/atomic"
)

// checkout: the salesperson's flow end to end, one order per flow:
// createOrder → sendOrderConfirmation → the customer opens the hosted
// payment page and pays with 4242… → the simulator's callback → the order
// is PAID as seen through GraphQL. Latency is the whole flow's.
func runCheckout(ctx context.Context, e *env, b Baseline) []Result {
	r := Result{Name: "checkout", Unit: "flows/s", Concurrency: e.opts.concurrency(8),
		target: Target{Factor: 0.15, Baseline: PgbenchTPS}}
	c, _, err := e.merchant(ctx, "checkout")
	if err != nil {
		return []Result{failed(r, err, b)}
	}
	rec := newRecorder()
	st := &stepTimes{}
	sql0, tx0 := allSQL.statements.Load(), allSQL.txs.Load()
	e.takeTally()
	times0 := scrapeServer(ctx, e)
	elapsed := closedLoop(ctx, "checkout", e.opts.Duration, r.Concurrency, e.prog, rec, func(ctx context.Context, _, n int) (int, error) {
		_, err := c.checkout(ctx, n, st)
		return 1, err
	})
	r.finish(rec.summarize(elapsed), elapsed.Seconds(), b)
	r.Notes = append(r.Notes, "a flow is 5 HTTP requests plus status polls every 20 ms until PAID (the processor's callback is asynchronous)",
		"mean per step: "+st.summary())
	if bd := breakdown(times0, scrapeServer(ctx, e), rec.ok.Load()); bd != "" {
		r.Notes = append(r.Notes, "server, per flow (requests × mean latency): "+bd)
	}
	if note := e.sqlNote(rec.ok.Load(), sql0, tx0); note != "" {
		r.Notes = append(r.Notes, "SQL per flow: "+note)
	}
	return []Result{r}
}

// failed is a scenario that could not be set up.
func failed(r Result, err error, b Baseline) Result {
	r.Errors = 1
	r.ErrorSamples = []string{err.Error()}
	r.judge(b)
	r.Met = false
	return r
}

// forEach runs fn(i) for i in [0, n) on workers goroutines and returns the
// first error.
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// timed runs fn as a phase with a progress line.
func timed(e *env, name string, fn func() error) error {
	end := e.prog.phase(name, 0, nil)
	defer end()
	return fn()
}
