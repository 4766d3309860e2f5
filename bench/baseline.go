package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"kassa/db"
)

// The baseline's fixed parameters: pgbench's own tpcb-like script at scale
// 10 with 8 clients on 2 threads, and 1,000-row INSERTs.
const (
	pgbenchScale   = 10
	pgbenchClients = 8
	pgbenchThreads = 2
	insertBatch    = 1000
	baselineDB     = "kassa_bench_baseline"
)

// measureBaseline runs pgbench and the plain INSERT on the cluster kassa
// uses, in a database of their own, each for d; init creates pgbench's
// tables first.
func measureBaseline(ctx context.Context, e *env, d time.Duration, insertClients int, init bool) Baseline {
	b := Baseline{PgbenchClients: pgbenchClients, PgbenchScale: pgbenchScale, InsertClients: insertClients,
		InsertBatch: insertBatch, DurationS: d.Seconds()}
	var errs []string
	url, err := withDatabase(e.adminURL, baselineDB)
	if err == nil && init {
		err = db.EnsureDatabase(ctx, e.adminURL, baselineDB)
	}
	if err != nil {
		b.Error = err.Error()
		return b
	}
	if tps, err := runPgbench(ctx, e.prog, url, d, init); err != nil {
		errs = append(errs, "pgbench: "+err.Error())
	} else {
		b.PgbenchTPS = tps
	}
	if rate, err := insertRate(ctx, e.prog, url, d, insertClients); err != nil {
		errs = append(errs, "INSERT: "+err.Error())
	} else {
		b.InsertRowsPerS = rate
	}
	b.Error = strings.Join(errs, "; ")
	return b
}

// combine makes one baseline of the runs before and after the scenarios:
// on a shared machine either alone may catch a busy or a quiet moment.
func combine(first, last Baseline) Baseline {
	b := first
	b.PgbenchRuns = []float64{first.PgbenchTPS, last.PgbenchTPS}
	b.InsertRuns = []float64{first.InsertRowsPerS, last.InsertRowsPerS}
	b.PgbenchTPS = mean(first.PgbenchTPS, last.PgbenchTPS)
	b.InsertRowsPerS = mean(first.InsertRowsPerS, last.InsertRowsPerS)
	b.Error = strings.Trim(first.Error+"; "+last.Error, "; ")
	return b
}

// mean of the figures that were measured (0 is a failed measurement).
func mean(xs ...float64) float64 {
	var sum float64
	var n int
	for _, x := range xs {
		if x > 0 {
			sum += x
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// findPgbench looks on PATH, then in Debian's versioned PostgreSQL bin
// directories, newest first.
func findPgbench() (string, error) {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	if len(dirs) > 0 {
		return dirs[0], nil
	}
	return "", errors.New("pgbench not found on PATH or in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql-contrib or postgresql)")
}

func versionOf(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// connArgs turns a postgres:// URL into pgbench's connection options (the
// embedded cluster's URL puts its socket directory in host=); the password,
// if any, goes in the environment.
func connArgs(url string) (args []string, env []string, err error) {
	u, err := neturl.Parse(url)
	if err != nil {
		return nil, nil, err
	}
	q := u.Query()
	host, port := u.Hostname(), u.Port()
	if h := q.Get("host"); h != "" {
		host = h
	}
	if p := q.Get("port"); p != "" {
		port = p
	}
	if host != "" {
		args = append(args, "-h", host)
	}
	if port != "" {
		args = append(args, "-p", port)
	}
	if u.User != nil {
		args = append(args, "-U", u.User.Username())
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
		}
	}
	if s := q.Get("sslmode"); s != "" {
		env = append(env, "PGSSLMODE="+s)
	}
	return args, env, nil
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench initializes pgbench's tables at scale 10 and runs the
// built-in tpcb-like script for d; it returns the transactions per second.
func runPgbench(ctx context.Context, prog *progress, url string, d time.Duration, init bool) (float64, error) {
	bin, err := findPgbench()
	if err != nil {
		return 0, err
	}
	conn, cenv, err := connArgs(url)
	if err != nil {
		return 0, err
	}
	dbname := strings.TrimPrefix(mustParse(url).Path, "/")
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, bin, append(append(args, conn...), dbname)...)
		cmd.Env = append(os.Environ(), cenv...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(string(out), 10))
		}
		return string(out), nil
	}
	if init {
		end := prog.phase("pgbench -i -s "+strconv.Itoa(pgbenchScale), 0, nil)
		_, err = run("-i", "-q", "-s", strconv.Itoa(pgbenchScale))
		end()
		if err != nil {
			return 0, err
		}
	}
	secs := max(int(math.Ceil(d.Seconds())), 1)
	end := prog.phase("pgbench tpcb-like", time.Duration(secs)*time.Second, nil)
	out, err := run("-c", strconv.Itoa(pgbenchClients), "-j", strconv.Itoa(pgbenchThreads), "-T", strconv.Itoa(secs), "-b", "tpcb-like")
	end()
	if err != nil {
		return 0, err
	}
	m := tpsLine.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in pgbench's output:\n%s", tail(out, 10))
	}
	return strconv.ParseFloat(m[1], 64)
}

// insertRate inserts batches of the usage table's row shape into a scratch
// table with the same uniqueness rule (merchant, idempotency key) from
// clients connections for d, and returns rows per second.
func insertRate(ctx context.Context, prog *progress, url string, d time.Duration, clients int) (float64, error) {
	sqldb, err := sql.Open("postgres", url)
	if err != nil {
		return 0, err
	}
	defer sqldb.Close()
	sqldb.SetMaxOpenConns(clients)
	if _, err := sqldb.ExecContext(ctx, `
		DROP TABLE IF EXISTS bench_usage_rows;
		CREATE TABLE bench_usage_rows (
			merchant_id     uuid NOT NULL,
			subscription_id uuid NOT NULL,
			id              uuid NOT NULL,
			idempotency_key text NOT NULL,
			quantity        bigint NOT NULL,
			occurred_at     timestamptz NOT NULL,
			received_at     timestamptz NOT NULL
		);
		CREATE UNIQUE INDEX bench_usage_rows_key ON bench_usage_rows (merchant_id, idempotency_key);`); err != nil {
		return 0, err
	}
	defer func() {
		// A table left behind only costs disk in the bench's own database.
		_, _ = sqldb.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bench_usage_rows`)
	}()

	var b strings.Builder
	b.WriteString(`INSERT INTO bench_usage_rows (merchant_id, subscription_id, id, idempotency_key, quantity, occurred_at, received_at) VALUES `)
	for i := range insertBatch {
		if i > 0 {
			b.WriteByte(',')
		}
		n := i * 7
		fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
	}
	stmt := b.String()

	var rows atomic.Int64
	var firstErr error
	var errOnce sync.Once
	status := func() string { return fmt.Sprintf("%d rows", rows.Load()) }
	end := prog.phase("INSERT baseline", d, status)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			merchant, sub := uuid.New(), uuid.New()
			args := make([]any, 0, insertBatch*7)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				args = args[:0]
				now := time.Now().UTC()
				for range insertBatch {
					id := uuid.Must(uuid.NewV7())
					args = append(args, merchant, sub, id, id.String(), int64(1), now, now)
				}
				if _, err := sqldb.ExecContext(ctx, stmt, args...); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				rows.Add(insertBatch)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	end()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(rows.Load()) / elapsed.Seconds(), nil
}

func mustParse(u string) *neturl.URL {
	p, _ := neturl.Parse(u)
	if p == nil {
		return &neturl.URL{}
	}
	return p
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
