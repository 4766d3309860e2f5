package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/bench"
	"kassa/db/pgcluster"
)

// TestBenchReadSmoke runs `kassa bench --scenario read --duration 2s` end
// to end: its own PostgreSQL cluster and server, the pgbench and INSERT
// baselines, the read scenario, the table and the JSON report.
func TestBenchReadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster and runs pgbench")
	}
	if _, err := pgcluster.FindBinDir(); errors.Is(err, pgcluster.ErrNoBinaries) {
		t.Skip("PostgreSQL is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	err := bench.Main(ctx, []string{"--scenario", "read", "--duration", "2s", "--json", jsonPath}, &stdout, &stderr)
	require.NoError(t, err, "stderr:\n%s", stderr.String())

	require.Contains(t, stdout.String(), "pgbench tpcb-like")
	require.Regexp(t, `(?m)^\s+read\s+requests/s\s`, stdout.String())
	require.Contains(t, stderr.String(), "read ", "a progress bar on stderr")

	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var rep struct {
		Baseline struct {
			PgbenchTPS     float64 `json:"pgbench_tps"`
			InsertRowsPerS float64 `json:"insert_rows_per_s"`
		} `json:"baseline"`
		Scenarios []struct {
			Name              string             `json:"name"`
			Skipped           string             `json:"skipped"`
			Throughput        float64            `json:"throughput"`
			P99Ms             float64            `json:"p99_ms"`
			Target            string             `json:"target"`
			Operations        int64              `json:"operations"`
			QueriesPerRequest map[string]float64 `json:"queries_per_request"`
		} `json:"scenarios"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Positive(t, rep.Baseline.PgbenchTPS)
	require.Positive(t, rep.Baseline.InsertRowsPerS)
	require.Len(t, rep.Scenarios, 1)
	read := rep.Scenarios[0]
	require.Equal(t, "read", read.Name)
	require.Empty(t, read.Skipped)
	require.Positive(t, read.Operations)
	require.Positive(t, read.Throughput)
	require.Positive(t, read.P99Ms)
	require.Equal(t, "p99 ≤ 20 ms", read.Target)
	require.Contains(t, read.QueriesPerRequest, "5")
	require.Contains(t, read.QueriesPerRequest, "50")
	require.Positive(t, read.QueriesPerRequest["50"])
}

// TestBenchDashboardSmoke runs the dashboard scenario on a small data set
// (the full 1,000,000 orders take minutes to build): the data is built,
// the overview and the orders page answer, and both results are reported.
func TestBenchDashboardSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if _, err := pgcluster.FindBinDir(); errors.Is(err, pgcluster.ErrNoBinaries) {
		t.Skip("PostgreSQL is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	err := bench.Main(ctx, []string{"--scenario", "dashboard", "--duration", "1s", "--no-baseline",
		"--dashboard-orders", "3000", "--dashboard-subscriptions", "300", "--json", jsonPath}, &stdout, &stderr)
	require.NoError(t, err, "stderr:\n%s", stderr.String())
	require.Regexp(t, `(?m)^\s+dashboard-overview\s+requests/s\s`, stdout.String())
	require.Regexp(t, `(?m)^\s+dashboard-orders\s+requests/s\s`, stdout.String())

	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var rep struct {
		Scenarios []struct {
			Name         string   `json:"name"`
			Skipped      string   `json:"skipped"`
			Operations   int64    `json:"operations"`
			Errors       int64    `json:"errors"`
			P50Ms        float64  `json:"p50_ms"`
			P99Ms        float64  `json:"p99_ms"`
			Target       string   `json:"target"`
			ErrorSamples []string `json:"error_samples"`
		} `json:"scenarios"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Len(t, rep.Scenarios, 2)
	for i, name := range []string{"dashboard-overview", "dashboard-orders"} {
		s := rep.Scenarios[i]
		require.Equal(t, name, s.Name)
		require.Empty(t, s.Skipped)
		require.Zero(t, s.Errors, "%v", s.ErrorSamples)
		require.Positive(t, s.Operations)
		require.Positive(t, s.P50Ms)
		require.GreaterOrEqual(t, s.P99Ms, s.P50Ms)
		require.Equal(t, "p99 ≤ 200 ms", s.Target)
	}
}
