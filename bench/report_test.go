package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"EmptyIsZero", nil, 99, 0},
		{"OneSampleIsEveryPercentile", ms(7), 50, 7 * time.Millisecond},
		{"OneSampleP99", ms(7), 99, 7 * time.Millisecond},
		{"MedianOfFourIsSecond", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"P95OfHundred", ms(hundred...), 95, 95 * time.Millisecond},
		{"P99OfHundred", ms(hundred...), 99, 99 * time.Millisecond},
		{"P100IsMax", ms(hundred...), 100, 100 * time.Millisecond},
		{"P99OfTenIsMax", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"TinyPIsMin", ms(3, 4, 5), 0.001, 3 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Percentile(tc.sorted, tc.p))
		})
	}
}

func TestRecorderSummary(t *testing.T) {
	t.Parallel()
	r := newRecorder()
	for i := 1; i <= 100; i++ {
		r.done(time.Duration(i)*time.Millisecond, 1000, nil)
	}
	r.done(time.Second, 1000, os.ErrDeadlineExceeded)
	r.done(time.Second, 1000, os.ErrDeadlineExceeded)
	s := r.summarize(2 * time.Second)
	require.Equal(t, int64(100), s.Ops)
	require.Equal(t, int64(2), s.Errors)
	require.Equal(t, int64(100_000), s.Units, "failed operations produce no units")
	require.InDelta(t, 50_000, s.Throughput, 1e-9)
	require.Equal(t, 50*time.Millisecond, s.P50)
	require.Equal(t, 99*time.Millisecond, s.P99, "failures are not latency samples")
	require.Equal(t, []string{os.ErrDeadlineExceeded.Error()}, s.ErrorTexts)
}

func TestTargetEvaluate(t *testing.T) {
	t.Parallel()
	base := Baseline{PgbenchTPS: 2000, InsertRowsPerS: 200_000}
	for _, tc := range []struct {
		name       string
		target     Target
		throughput float64
		p99        float64
		base       Baseline
		ratio      float64
		met        bool
	}{
		{"BaselineFactorMet", Target{Factor: 0.15, Baseline: PgbenchTPS}, 400, 0, base, 0.2, true},
		{"BaselineFactorExactlyMet", Target{Factor: 0.15, Baseline: PgbenchTPS}, 300, 0, base, 0.15, true},
		{"BaselineFactorMissed", Target{Factor: 0.15, Baseline: PgbenchTPS}, 30, 0, base, 0.015, false},
		{"OneTimesBaseline", Target{Factor: 1, Baseline: PgbenchTPS}, 2500, 0, base, 1.25, true},
		{"MissingBaselineIsNotMet", Target{Factor: 0.15, Baseline: PgbenchTPS}, 400, 0, Baseline{}, 0, false},
		{"LatencyMet", Target{P99Ms: 20}, 200, 10, base, 2, true},
		{"LatencyMissed", Target{P99Ms: 20}, 200, 40, base, 0.5, false},
		{"LatencyWithoutSamplesIsNotMet", Target{P99Ms: 20}, 0, 0, base, 0, false},
		{"AbsoluteMet", Target{Min: 3000}, 6000, 0, base, 2, true},
		{"AbsoluteMissed", Target{Min: 3000}, 1500, 0, base, 0.5, false},
		// Two conditions: the ratio is against the baseline; both must hold.
		{"BothMet", Target{Min: 50_000, Factor: 0.5, Baseline: InsertRowsPerS}, 120_000, 0, base, 0.6, true},
		{"BaselineMetAbsoluteMissed", Target{Min: 50_000, Factor: 0.5, Baseline: InsertRowsPerS}, 120_000, 0,
			Baseline{InsertRowsPerS: 100_000}, 1.2, true},
		{"AbsoluteMetBaselineMissed", Target{Min: 50_000, Factor: 0.5, Baseline: InsertRowsPerS}, 60_000, 0, base, 0.3, false},
		{"AbsoluteMissedBaselineMet", Target{Min: 50_000, Factor: 0.5, Baseline: InsertRowsPerS}, 40_000, 0,
			Baseline{InsertRowsPerS: 50_000}, 0.8, false},
		{"NoConditionIsNotMet", Target{}, 100, 1, base, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ratio, met := tc.target.Evaluate(tc.throughput, tc.p99, tc.base)
			require.InDelta(t, tc.ratio, ratio, 1e-9)
			require.Equal(t, tc.met, met)
		})
	}
}

func TestTargetString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "≥ 0.15 × pgbench_tps", Target{Factor: 0.15, Baseline: PgbenchTPS}.String("flows/s"))
	require.Equal(t, "≥ 50,000 events/s and ≥ 0.5 × insert_rows_per_s",
		Target{Min: 50000, Factor: 0.5, Baseline: InsertRowsPerS}.String("events/s"))
	require.Equal(t, "p99 ≤ 20 ms", Target{P99Ms: 20}.String("requests/s"))
}

func TestResultJudge(t *testing.T) {
	t.Parallel()
	t.Run("FailedCheckMeansNotMet", func(t *testing.T) {
		r := Result{Name: "read", Unit: "requests/s", Throughput: 200, P99Ms: 5, target: Target{P99Ms: 20},
			Checks: []Check{{Name: "fixed SQL per request", OK: false}}}
		r.judge(Baseline{})
		require.InDelta(t, 4, r.Ratio, 1e-9)
		require.False(t, r.Met)
	})
	t.Run("SkippedIsNeitherRatedNorMet", func(t *testing.T) {
		r := skipped("usage-batch", "events/s", usageBatchTarget, "no reportUsageBatch")
		require.Zero(t, r.Ratio)
		require.False(t, r.Met)
		require.Equal(t, "≥ 50,000 events/s and ≥ 0.5 × insert_rows_per_s", r.TargetText)
	})
	t.Run("ZeroLatencyHasFiniteRatio", func(t *testing.T) {
		r := Result{Throughput: 10, P99Ms: 0, target: Target{P99Ms: 50}}
		r.judge(Baseline{})
		require.False(t, math.IsInf(r.Ratio, 0))
		require.True(t, r.Met)
	})
}

// The JSON report's shape is a contract (issue 8): these keys, these
// types.
func TestReportJSONShape(t *testing.T) {
	t.Parallel()
	rep := &Report{
		Machine:  Machine{CPUs: 2},
		Baseline: Baseline{PgbenchTPS: 2345.6, InsertRowsPerS: 123456},
	}
	ran := Result{Name: "read", Unit: "requests/s", Throughput: 199.5, P50Ms: 4, P95Ms: 8, P99Ms: 12, target: Target{P99Ms: 20}}
	ran.judge(rep.Baseline)
	rep.Scenarios = append(rep.Scenarios, ran, skipped("terminal", "payments/s", Target{P99Ms: 50}, "not possible yet"))
	path := filepath.Join(t.TempDir(), "bench.json")
	require.NoError(t, rep.WriteJSON(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)

	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	baseline := doc["baseline"].(map[string]any)
	require.InDelta(t, 2345.6, baseline["pgbench_tps"], 1e-9)
	require.InDelta(t, 123456, baseline["insert_rows_per_s"], 1e-9)
	scen := doc["scenarios"].([]any)
	require.Len(t, scen, 2)
	first := scen[0].(map[string]any)
	for key, kind := range map[string]string{"name": "string", "unit": "string", "throughput": "number", "p50_ms": "number",
		"p95_ms": "number", "p99_ms": "number", "errors": "number", "target": "string", "ratio": "number", "met": "bool"} {
		require.Contains(t, first, key)
		switch kind {
		case "string":
			require.IsType(t, "", first[key], key)
		case "number":
			require.IsType(t, float64(0), first[key], key)
		case "bool":
			require.IsType(t, true, first[key], key)
		}
	}
	require.NotContains(t, first, "skipped", "a scenario that ran has no skipped key")
	require.Equal(t, true, first["met"])
	require.InDelta(t, 20.0/12, first["ratio"], 1e-9)
	second := scen[1].(map[string]any)
	require.Equal(t, "not possible yet", second["skipped"])
	require.Equal(t, false, second["met"])
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	rep := &Report{Baseline: Baseline{PgbenchTPS: 2000, InsertRowsPerS: 100000, PgbenchClients: 8, InsertBatch: 1000}}
	r := Result{Name: "checkout", Unit: "flows/s", Throughput: 30, target: Target{Factor: 0.15, Baseline: PgbenchTPS}}
	r.judge(rep.Baseline)
	rep.Scenarios = []Result{r, skipped("terminal", "payments/s", Target{P99Ms: 50}, "no createTerminalPayment")}
	var buf bytes.Buffer
	rep.WriteTable(&buf)
	out := buf.String()
	require.Contains(t, out, "2,000 tps")
	require.Contains(t, out, "100,000 rows/s")
	require.Regexp(t, `checkout\s+flows/s\s+30\.0 .* 0\.015\s+no`, out)
	require.Contains(t, out, "skipped: no createTerminalPayment")
}

func TestNum(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0", 0.123: "0.12", 9.999: "10.00", 15.25: "15.2", 999.4: "999", 1234.5: "1,235", 1234567: "1,234,567"} {
		require.Equal(t, want, num(in), "num(%v)", in)
	}
}

func TestConnArgs(t *testing.T) {
	t.Parallel()
	t.Run("EmbeddedSocket", func(t *testing.T) {
		args, env, err := connArgs("postgres://postgres@/kassa?host=/tmp/kb/pg/run&port=5432&sslmode=disable")
		require.NoError(t, err)
		require.Equal(t, []string{"-h", "/tmp/kb/pg/run", "-p", "5432", "-U", "postgres"}, args)
		require.Equal(t, []string{"PGSSLMODE=disable"}, env)
	})
	t.Run("TCPWithPassword", func(t *testing.T) {
		args, env, err := connArgs("postgres://kassa:s3cret@db.example:6432/kassa")
		require.NoError(t, err)
		require.Equal(t, []string{"-h", "db.example", "-p", "6432", "-U", "kassa"}, args)
		require.Equal(t, []string{"PGPASSWORD=s3cret"}, env)
	})
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	u, err := withDatabase("postgres://postgres@/kassa?host=/tmp/s&port=5432", "kassa_bench_baseline")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(u, "postgres://postgres@/kassa_bench_baseline?"), u)
	_, err = withDatabase("host=/tmp dbname=kassa", "x")
	require.Error(t, err)
}

func TestBreakdown(t *testing.T) {
	t.Parallel()
	before := serverTimes{"http POST /pay/{token}": {1, 10}}
	after := serverTimes{"http POST /pay/{token}": {3, 30}, "graphql CreateOrder": {0.6, 20}, "http GET /metrics": {1, 2}}
	require.Equal(t, "http POST /pay/{token} 1.00×100.0 ms; graphql CreateOrder 1.00×30.0 ms", breakdown(before, after, 20))
	require.Empty(t, breakdown(nil, after, 20))
}

func TestLabel(t *testing.T) {
	t.Parallel()
	line := `kassa_http_request_duration_seconds_sum{method="POST",route="POST /pay/{token}",status="303"} 1.5`
	require.Equal(t, "POST /pay/{token}", label(line, "route"))
	require.Equal(t, "?", label(line, "operation"))
}

func TestSQLPerUnit(t *testing.T) {
	t.Parallel()
	ops := map[string]*opTally{
		"CreateOrder": {Requests: 10, Statements: 60, Txs: 20},
		"OrderStatus": {Requests: 25, Statements: 100, Txs: 50},
	}
	require.Equal(t, "50 statements in 12 transactions in all; OrderStatus 2.5× (4.0 statements, 2.0 tx); "+
		"CreateOrder 1× (6.0 statements, 2.0 tx); server's own work (processor, callbacks, jobs) 34 statements in 5 tx",
		sqlPerUnit(ops, 10, 500, 120))
	require.Empty(t, sqlPerUnit(ops, 0, 500, 120))
}

func TestSQLTally(t *testing.T) {
	t.Parallel()
	tally := newTally()
	for _, n := range []int64{6, 6, 8} {
		c := &sqlCount{}
		c.statements.Store(n)
		c.txs.Store(3)
		tally.add("OrdersPage", c)
	}
	ops := tally.take()
	require.Equal(t, &opTally{Requests: 3, Statements: 20, Txs: 9, PerRequest: []int64{6, 6, 8}}, ops["OrdersPage"])
	require.Empty(t, tally.take(), "take starts a new tally")
}
