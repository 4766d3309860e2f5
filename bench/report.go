package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Baseline names, as targets refer to them and as the JSON spells them.
const (
	PgbenchTPS     = "pgbench_tps"
	InsertRowsPerS = "insert_rows_per_s"
)

// Baseline is what plain PostgreSQL does on the same cluster in the same
// run.
type Baseline struct {
	PgbenchTPS     float64 `json:"pgbench_tps"`
	InsertRowsPerS float64 `json:"insert_rows_per_s"`

	PgbenchClients int     `json:"pgbench_clients"`
	PgbenchScale   int     `json:"pgbench_scale"`
	InsertClients  int     `json:"insert_clients"`
	InsertBatch    int     `json:"insert_batch"`
	DurationS      float64 `json:"duration_s"`
	// The figures above are the means of a run before the scenarios and
	// one after them.
	PgbenchRuns []float64 `json:"pgbench_tps_runs,omitempty"`
	InsertRuns  []float64 `json:"insert_rows_per_s_runs,omitempty"`
	// Error says why a baseline could not be measured (its figure is 0).
	Error string `json:"error,omitempty"`
}

func (b Baseline) value(name string) float64 {
	switch name {
	case PgbenchTPS:
		return b.PgbenchTPS
	case InsertRowsPerS:
		return b.InsertRowsPerS
	}
	return 0
}

// Target is a scenario's goal. Every condition that is set must hold.
type Target struct {
	// Throughput ≥ Factor × the baseline named.
	Factor   float64
	Baseline string
	// Throughput ≥ Min (in the scenario's unit).
	Min float64
	// p99 latency ≤ P99Ms milliseconds.
	P99Ms float64
}

// String says the target the way the report prints it.
func (t Target) String(unit string) string {
	var parts []string
	if t.Min > 0 {
		parts = append(parts, "≥ "+num(t.Min)+" "+unit)
	}
	if t.Baseline != "" {
		parts = append(parts, "≥ "+strconv.FormatFloat(t.Factor, 'f', -1, 64)+" × "+t.Baseline)
	}
	if t.P99Ms > 0 {
		parts = append(parts, "p99 ≤ "+strconv.FormatFloat(t.P99Ms, 'f', -1, 64)+" ms")
	}
	return strings.Join(parts, " and ")
}

// Evaluate returns the ratio the report shows and whether the target is
// met. The ratio is the figure divided by what the target names: the
// baseline (throughput / baseline, to compare with Factor); for a latency
// bound target_ms / p99_ms; for an absolute rate throughput / Min. For the
// last two a ratio ≥ 1 means met. A baseline that could not be measured
// (0) makes the ratio 0 and the target not met.
func (t Target) Evaluate(throughput, p99Ms float64, b Baseline) (ratio float64, met bool) {
	met = true
	ratio = math.NaN()
	if t.Baseline != "" {
		base := b.value(t.Baseline)
		if base > 0 {
			ratio = throughput / base
		} else {
			ratio = 0
		}
		met = met && base > 0 && ratio >= t.Factor
	}
	if t.P99Ms > 0 {
		r := 0.0
		if p99Ms > 0 {
			r = t.P99Ms / p99Ms
		} else if throughput > 0 {
			r = math.Inf(1)
		}
		if math.IsNaN(ratio) {
			ratio = r
		}
		met = met && r >= 1
	}
	if t.Min > 0 {
		r := throughput / t.Min
		if math.IsNaN(ratio) {
			ratio = r
		}
		met = met && r >= 1
	}
	if math.IsNaN(ratio) {
		return 0, false
	}
	return ratio, met
}

// Check is one more condition a scenario's target includes (the read
// scenario's fixed query count).
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Result is one scenario's line in the report.
type Result struct {
	Name       string  `json:"name"`
	Unit       string  `json:"unit"`
	Throughput float64 `json:"throughput"`
	P50Ms      float64 `json:"p50_ms"`
	P95Ms      float64 `json:"p95_ms"`
	P99Ms      float64 `json:"p99_ms"`
	Errors     int64   `json:"errors"`
	TargetText string  `json:"target"`
	Ratio      float64 `json:"ratio"`
	Met        bool    `json:"met"`
	// Skipped says why the scenario could not run; its figures are zero.
	Skipped string `json:"skipped,omitempty"`

	Operations  int64   `json:"operations"`
	Concurrency int     `json:"concurrency,omitempty"`
	DurationS   float64 `json:"duration_s"`
	Checks      []Check `json:"checks,omitempty"`
	// QueriesPerRequest is the read scenario's SQL statements per request
	// by page size.
	QueriesPerRequest map[string]float64 `json:"queries_per_request,omitempty"`
	Notes             []string           `json:"notes,omitempty"`
	ErrorSamples      []string           `json:"error_samples,omitempty"`

	target Target
}

// finish fills the figures from s and judges them against the target.
func (r *Result) finish(s summary, elapsedS float64, b Baseline) {
	r.Throughput = s.Throughput
	r.P50Ms, r.P95Ms, r.P99Ms = ms(s.P50), ms(s.P95), ms(s.P99)
	r.Errors, r.Operations, r.DurationS = s.Errors, s.Ops, elapsedS
	if len(s.ErrorTexts) > 3 {
		s.ErrorTexts = s.ErrorTexts[:3]
	}
	r.ErrorSamples = s.ErrorTexts
	r.judge(b)
}

// judge sets the target text, ratio and met from the figures.
func (r *Result) judge(b Baseline) {
	r.TargetText = r.target.String(r.Unit)
	if r.Skipped != "" {
		r.Ratio, r.Met = 0, false
		return
	}
	r.Ratio, r.Met = r.target.Evaluate(r.Throughput, r.P99Ms, b)
	if math.IsInf(r.Ratio, 0) {
		r.Ratio = 0 // JSON has no infinity; met says enough
	}
	for _, c := range r.Checks {
		r.Met = r.Met && c.OK
	}
}

func skipped(name, unit string, t Target, why string) Result {
	r := Result{Name: name, Unit: unit, Skipped: why, target: t}
	r.judge(Baseline{})
	return r
}

// Machine is where the figures come from.
type Machine struct {
	CPUs       int    `json:"cpus"`
	OS         string `json:"os"`
	Go         string `json:"go"`
	PostgreSQL string `json:"postgresql"`
	Server     string `json:"server"` // "in-process (embedded PostgreSQL, …)" or the target URL
	// The 1-minute load average when the run started and ended: the
	// machine may be shared, which the same-run baseline compensates
	// only in part.
	LoadStart float64 `json:"load_start,omitempty"`
	LoadEnd   float64 `json:"load_end,omitempty"`
}

// loadAverage is the 1-minute load average (0 where /proc has none).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}

// Report is the whole run, as printed and as written with --json.
type Report struct {
	Machine   Machine  `json:"machine"`
	Baseline  Baseline `json:"baseline"`
	Scenarios []Result `json:"scenarios"`
	Notes     []string `json:"notes,omitempty"`
}

// WriteJSON writes the report to path, indented.
func (rep *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteTable prints the report for people.
func (rep *Report) WriteTable(w io.Writer) {
	m := rep.Machine
	fmt.Fprintf(w, "\nkassa bench: %d CPUs, %s, %s, PostgreSQL %s\nserver: %s\n", m.CPUs, m.OS, m.Go, m.PostgreSQL, m.Server)
	if m.LoadStart > 0 || m.LoadEnd > 0 {
		fmt.Fprintf(w, "load average: %.1f at the start, %.1f at the end\n", m.LoadStart, m.LoadEnd)
	}
	b := rep.Baseline
	fmt.Fprintf(w, "baseline (same cluster, same run, %s each, before and after the scenarios):\n", dur(b.DurationS))
	fmt.Fprintf(w, "  pgbench tpcb-like, scale %d, %d clients:          %s tps%s\n", b.PgbenchScale, b.PgbenchClients, num(b.PgbenchTPS), runs(b.PgbenchRuns))
	fmt.Fprintf(w, "  multi-row INSERT, %s-row batches, %d clients:   %s rows/s%s\n", num(float64(b.InsertBatch)), b.InsertClients, num(b.InsertRowsPerS), runs(b.InsertRuns))
	if b.Error != "" {
		fmt.Fprintf(w, "  (baseline incomplete: %s)\n", b.Error)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tunit\tthroughput\tp50 ms\tp95 ms\tp99 ms\terrors\tratio\tmet\t target")
	for _, r := range rep.Scenarios {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\tskipped\t %s\n", r.Name, r.Unit, r.TargetText)
			continue
		}
		met := "no"
		if r.Met {
			met = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%.1f\t%.1f\t%d\t%.3g\t%s\t %s\n", r.Name, r.Unit, num(r.Throughput),
			r.P50Ms, r.P95Ms, r.P99Ms, r.Errors, r.Ratio, met, r.TargetText)
	}
	tw.Flush()
	for _, r := range rep.Scenarios {
		var lines []string
		if r.Skipped != "" {
			lines = append(lines, "skipped: "+r.Skipped)
		}
		for _, c := range r.Checks {
			ok := "ok"
			if !c.OK {
				ok = "NOT MET"
			}
			lines = append(lines, fmt.Sprintf("%s: %s (%s)", c.Name, c.Detail, ok))
		}
		lines = append(lines, r.Notes...)
		for _, e := range r.ErrorSamples {
			lines = append(lines, "error: "+e)
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", r.Name)
		for _, l := range lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
	}
}

// num formats a figure for people: three significant digits at most,
// thousands separated by commas.
func num(f float64) string {
	switch {
	case f == 0:
		return "0"
	case f >= 100:
		return commas(int64(math.Round(f)))
	case f >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	default:
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// runs shows the two measurements a mean was made of.
func runs(xs []float64) string {
	if len(xs) < 2 {
		return ""
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = num(x)
	}
	return " (mean of " + strings.Join(parts, " and ") + ")"
}

func dur(s float64) string {
	return strconv.FormatFloat(s, 'f', -1, 64) + " s"
}
