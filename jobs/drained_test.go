package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"kassa/db/dbtest"
	"kassa/jobs"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type holdArgs struct{}

func (holdArgs) Kind() string { return "jobs_test.hold" }

type holdWorker struct {
	river.WorkerDefaults[holdArgs]
	release chan struct{}
}

func (w *holdWorker) Work(ctx context.Context, _ *river.Job[holdArgs]) error {
	select {
	case <-w.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestDrained(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	q, err := jobs.New(d.System.DB, jobs.Config{PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	w := &holdWorker{release: make(chan struct{})}
	river.AddWorker(q.Workers, w)
	ctx := context.Background()
	require.NoError(t, q.Start(ctx))
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Stop(stop)
	})

	drained := func(kinds ...string) bool {
		ok, err := q.Drained(ctx, kinds...)
		require.NoError(t, err)
		return ok
	}
	require.True(t, drained(), "an empty queue is drained")
	require.NoError(t, q.Insert(ctx, holdArgs{}, nil))
	require.False(t, drained("jobs_test.hold"), "a job waiting to be worked")
	require.False(t, drained(), "a job waiting to be worked, of any kind")
	require.True(t, drained("another.kind"), "only the kinds asked about count")
	close(w.release)
	require.Eventually(t, func() bool { return drained("jobs_test.hold") }, 10*time.Second, 20*time.Millisecond)
}
