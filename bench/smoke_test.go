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
