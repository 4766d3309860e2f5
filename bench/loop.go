package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// op is one operation of a scenario: it returns how many units (requests,
// events, flows) it completed.
type op func(ctx context.Context, worker, seq int) (units int, err error)

// closedLoop runs fn on workers goroutines, each starting its next
// operation when the last one ends, until d has passed; operations in
// flight then finish. It returns the time from start until the last one
// ended, which the throughput is computed over.
func closedLoop(ctx context.Context, name string, d time.Duration, workers int, prog *progress, rec *recorder, fn op) time.Duration {
	end := prog.phase(name, d, rec.status)
	defer end()
	start := time.Now()
	deadline := start.Add(d)
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				n := int(seq.Add(1))
				t := time.Now()
				units, err := fn(ctx, w, n)
				rec.done(time.Since(t), units, err)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// openLoop starts fn at a fixed rate per second for d, whether or not
// earlier calls have ended (at most maxInFlight at once: beyond that a
// call waits for a slot, and its wait counts). Latency is measured from
// the time each call was scheduled, so a server that falls behind shows
// its backlog in the percentiles. A call still waiting for a slot 10 s
// after the end is abandoned as an error, so a saturated server does not
// stretch the run without bound.
func openLoop(ctx context.Context, name string, d time.Duration, rate float64, maxInFlight int, prog *progress, rec *recorder, fn op) time.Duration {
	end := prog.phase(name, d, rec.status)
	defer end()
	interval := time.Duration(float64(time.Second) / rate)
	total := int(d.Seconds() * rate)
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	giveUp := time.NewTimer(d + 10*time.Second)
	defer giveUp.Stop()
	abandon := make(chan struct{})
	go func() {
		select {
		case <-giveUp.C:
			close(abandon)
		case <-ctx.Done():
		}
	}()
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
			case <-abandon:
				rec.done(time.Since(due), 0, errSaturated)
				return
			}
			defer func() { <-slots }()
			units, err := fn(ctx, 0, i)
			rec.done(time.Since(due), units, err)
		})
	}
	wg.Wait()
	return time.Since(start)
}

var errSaturated = errors.New("not sent: the server fell behind the offered rate by more than 10 s")

// status is the running count the progress bar shows.
func (r *recorder) status() string {
	return fmt.Sprintf("%d ok  %d errors", r.ok.Load(), r.failed.Load())
}
