package bench

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest sample with at least p % of the samples
// at or below it. An empty slice gives 0.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// recorder collects the outcome of every operation of a scenario. Safe for
// concurrent use.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	errs      map[string]int // distinct error messages, for the report

	ok     atomic.Int64 // operations that succeeded
	failed atomic.Int64
	units  atomic.Int64 // what the throughput counts (events, flows, requests)
}

func newRecorder() *recorder { return &recorder{errs: map[string]int{}} }

// done records one operation that took d and, when it succeeded, produced
// units.
func (r *recorder) done(d time.Duration, units int, err error) {
	if err != nil {
		r.failed.Add(1)
		r.mu.Lock()
		msg := err.Error()
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		if len(r.errs) < 20 || r.errs[msg] > 0 {
			r.errs[msg]++
		}
		r.mu.Unlock()
		return
	}
	r.ok.Add(1)
	r.units.Add(int64(units))
	r.mu.Lock()
	r.latencies = append(r.latencies, d)
	r.mu.Unlock()
}

// summary is what a recorder measured over elapsed.
type summary struct {
	Ops        int64
	Units      int64
	Errors     int64
	Throughput float64 // units per second
	P50        time.Duration
	P95        time.Duration
	P99        time.Duration
	Max        time.Duration
	ErrorTexts []string // the most frequent first
}

func (r *recorder) summarize(elapsed time.Duration) summary {
	r.mu.Lock()
	lat := slices.Clone(r.latencies)
	errs := make([]string, 0, len(r.errs))
	for m := range r.errs {
		errs = append(errs, m)
	}
	slices.SortFunc(errs, func(a, b string) int { return r.errs[b] - r.errs[a] })
	r.mu.Unlock()
	slices.Sort(lat)
	s := summary{Ops: r.ok.Load(), Units: r.units.Load(), Errors: r.failed.Load(), ErrorTexts: errs,
		P50: Percentile(lat, 50), P95: Percentile(lat, 95), P99: Percentile(lat, 99)}
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	if elapsed > 0 {
		s.Throughput = float64(s.Units) / elapsed.Seconds()
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
