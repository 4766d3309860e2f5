package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// Options are the command line's.
type Options struct {
	Scenarios   []string      // empty: all
	Duration    time.Duration // per scenario, and per baseline measurement
	Concurrency int           // 0: each scenario's default (8; 16 for terminal)
	JSONFile    string
	Target      string // a running kassa server's URL; empty: start one
	DatabaseURL string // with Target: its database (a user that may create databases)
	CPUProfile  string // write a CPU profile of the whole run (the in-process server included)
	NoBaseline  bool   // skip the baseline (while iterating on one scenario; no target can be judged)

	BillingSubscriptions int           // due subscriptions the billing scenario sweeps (100,000)
	BillingTimeout       time.Duration // the most the billing scenario waits for its charges

	DashboardOrders        int // orders of the dashboard scenario's merchant (1,000,000)
	DashboardSubscriptions int // its subscriptions (100,000)

	Stdout, Stderr io.Writer
}

func (o Options) concurrency(def int) int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return def
}

// scenario is one flow the bench measures.
type scenario struct {
	name string
	// needs lists the GraphQL mutations it drives: missing ones make it
	// skip, saying so.
	needs []string
	// placeholder describes the results it would have, for the report
	// when skipped.
	placeholder []Result
	run         func(ctx context.Context, e *env, b Baseline) []Result
}

// Scenarios are all scenarios, in the order they run: billing last, as
// the charges it leaves queued when it stops at --billing-timeout would
// weigh on any scenario after it.
func Scenarios() []string {
	var names []string
	for _, s := range scenarios() {
		names = append(names, s.name)
	}
	return names
}

const usage = `Usage: kassa bench [flags]

Runs kassa's flows against a kassa server and prints throughput and latency
next to a PostgreSQL baseline measured on the same cluster in the same run
(pgbench tpcb-like; a plain multi-row INSERT of the usage table's rows).

By default it starts its own server on a private PostgreSQL cluster in a
temp dir (never ./var), with the per-credential rate limit raised out of the
way. Scenarios: %s.

Flags:
`

// Main is `kassa bench`: it parses args, runs, and prints the report.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, strings.Join(Scenarios(), ", "))
		fs.PrintDefaults()
	}
	opts := Options{Stdout: stdout, Stderr: stderr}
	scen := fs.String("scenario", "", "comma-separated scenarios to run (default: all)")
	fs.DurationVar(&opts.Duration, "duration", 10*time.Second, "how long each scenario and each baseline runs")
	fs.IntVar(&opts.Concurrency, "concurrency", 0, "workers per closed-loop scenario (default 8; terminal 16; dashboard 1)")
	fs.StringVar(&opts.JSONFile, "json", "", "also write the report as JSON to `FILE`")
	fs.StringVar(&opts.Target, "target", "", "benchmark the kassa server at `URL` instead of starting one (needs --database-url)")
	fs.StringVar(&opts.DatabaseURL, "database-url", "", "with --target: the server's database, as a user that may create databases")
	fs.StringVar(&opts.CPUProfile, "cpuprofile", "", "write a CPU profile of the run (bench and in-process server) to `FILE`")
	fs.IntVar(&opts.BillingSubscriptions, "billing-subscriptions", 100_000, "due subscriptions the billing scenario sweeps")
	fs.DurationVar(&opts.BillingTimeout, "billing-timeout", 3*time.Minute, "the most the billing scenario waits for every invoice to be charged")
	fs.IntVar(&opts.DashboardOrders, "dashboard-orders", 1_000_000, "orders of the dashboard scenario's merchant (built in SQL)")
	fs.IntVar(&opts.DashboardSubscriptions, "dashboard-subscriptions", 100_000, "subscriptions of the dashboard scenario's merchant")
	fs.BoolVar(&opts.NoBaseline, "no-baseline", false, "skip the baseline (for iterating on a scenario: targets that name a baseline are then not met)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *scen != "" {
		for _, s := range strings.Split(*scen, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(Scenarios(), s) {
				return fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(Scenarios(), ", "))
			}
			opts.Scenarios = append(opts.Scenarios, s)
		}
	}
	if opts.Duration <= 0 || opts.BillingTimeout <= 0 || opts.BillingSubscriptions <= 0 || opts.DashboardOrders <= 0 || opts.DashboardSubscriptions <= 0 {
		return errors.New("--duration, --billing-timeout, --billing-subscriptions, --dashboard-orders and --dashboard-subscriptions must be positive")
	}
	rep, err := Run(ctx, opts)
	if rep != nil {
		rep.WriteTable(stdout)
		if opts.JSONFile != "" {
			if jerr := rep.WriteJSON(opts.JSONFile); jerr != nil {
				err = errors.Join(err, jerr)
			}
		}
	}
	return err
}

// Run measures the baseline and the chosen scenarios.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.BillingSubscriptions == 0 {
		opts.BillingSubscriptions = 100_000
	}
	if opts.BillingTimeout == 0 {
		opts.BillingTimeout = 3 * time.Minute
	}
	if opts.DashboardOrders == 0 {
		opts.DashboardOrders = 1_000_000
	}
	if opts.DashboardSubscriptions == 0 {
		opts.DashboardSubscriptions = 100_000
	}
	if opts.CPUProfile != "" {
		f, err := os.Create(opts.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	prog := newProgress(opts.Stderr)
	var chosen []scenario
	for _, s := range scenarios() {
		if len(opts.Scenarios) == 0 || slices.Contains(opts.Scenarios, s.name) {
			chosen = append(chosen, s)
		}
	}

	e, err := setupEnv(ctx, opts, prog)
	if err != nil {
		return nil, err
	}
	defer e.close()

	rep := &Report{Machine: Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(),
		PostgreSQL: e.pgVersion, LoadStart: loadAverage()}}
	defer func() { rep.Machine.LoadEnd = loadAverage() }()
	if e.inProc {
		rep.Machine.Server = "in-process on a private PostgreSQL cluster (durable settings, as kassa serve runs it)"
		rep.Notes = append(rep.Notes, fmt.Sprintf("the in-process server's per-credential rate limit is raised to %d/s (default %d/s): the bench drives one API key per scenario far beyond an integrator's allowance", benchRateLimit, 50))
	} else {
		rep.Machine.Server = e.base + " (its rate limit applies: set KASSA_RATE_LIMIT and KASSA_RATE_BURST high on it, or expect RATE_LIMITED errors)"
	}

	// Which scenarios can run: the server tells by its schema.
	probe, _, err := e.merchant(ctx, "probe")
	if err != nil {
		return nil, err
	}
	mutations, err := probe.mutationFields(ctx)
	if err != nil {
		return nil, fmt.Errorf("introspect the schema (KASSA_ENV=production turns it off): %w", err)
	}

	if opts.NoBaseline {
		rep.Baseline = Baseline{Error: "not measured (--no-baseline)"}
	} else {
		rep.Baseline = measureBaseline(ctx, e, opts.Duration, opts.concurrency(8), true)
	}
	for _, s := range chosen {
		if ctx.Err() != nil {
			break
		}
		var missing []string
		for _, m := range s.needs {
			if !mutations[m] {
				missing = append(missing, m)
			}
		}
		if len(missing) > 0 {
			why := "not possible yet: the server has no " + strings.Join(missing, ", ") + " mutation"
			for _, r := range s.placeholder {
				r.Skipped = why
				r.judge(rep.Baseline)
				rep.Scenarios = append(rep.Scenarios, r)
			}
			prog.say("%-18s skipped: %s", s.name, why)
			continue
		}
		rep.Scenarios = append(rep.Scenarios, s.run(ctx, e, rep.Baseline)...)
	}
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	if !opts.NoBaseline {
		rep.Baseline = combine(rep.Baseline, measureBaseline(ctx, e, opts.Duration, opts.concurrency(8), false))
		for i := range rep.Scenarios {
			rep.Scenarios[i].judge(rep.Baseline)
		}
	}
	return rep, nil
}

func scenarios() []scenario {
	return []scenario{
		{name: "checkout", needs: []string{"createOrder", "sendOrderConfirmation"}, run: runCheckout,
			placeholder: []Result{{Name: "checkout", Unit: "flows/s", target: Target{Factor: 0.15, Baseline: PgbenchTPS}}}},
		{name: "usage", needs: []string{"createSubscription", "reportUsage", "reportUsageBatch"}, run: runUsage,
			placeholder: []Result{
				{Name: "usage-single", Unit: "events/s", target: usageSingleTarget},
				{Name: "usage-batch", Unit: "events/s", target: usageBatchTarget},
			}},
		{name: "read", needs: []string{"createOrder", "sendOrderConfirmation"}, run: runRead,
			placeholder: []Result{{Name: "read", Unit: "requests/s", target: Target{P99Ms: 20}}}},
		{name: "terminal", needs: []string{"createTerminalPayment"}, run: runTerminal,
			placeholder: []Result{{Name: "terminal", Unit: "payments/s", target: Target{P99Ms: 50}}}},
		{name: "dashboard", run: runDashboard,
			placeholder: []Result{
				{Name: "dashboard-overview", Unit: "requests/s", target: dashboardTarget},
				{Name: "dashboard-orders", Unit: "requests/s", target: dashboardTarget},
			}},
		{name: "billing", needs: billingNeeds, run: runBilling,
			placeholder: []Result{{Name: "billing", Unit: "subscriptions/s", target: billingTarget}}},
	}
}
