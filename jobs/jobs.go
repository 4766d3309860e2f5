// Package jobs is kassa's durable background work: a River client on the
// application's own database. A side effect of a change (an email, a
// webhook) is a job inserted in the same transaction as the change, so it
// happens if and only if the change commits: the transactional outbox.
// Jobs are retried with backoff until they succeed, across restarts.
//
// Domain packages register their workers on Workers before Start and
// insert with InsertTx inside their own transactions.
package jobs

import (
	"context"
	"database/sql"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"
)

// Queue inserts and works jobs.
type Queue struct {
	client  *river.Client[*sql.Tx]
	Workers *river.Workers
}

// Config tunes the queue.
type Config struct {
	Log *slog.Logger
	// MaxWorkers per process; default 20.
	MaxWorkers int
	// PollInterval is how often idle workers look for new jobs (the
	// database/sql driver has no LISTEN); default 200 ms.
	PollInterval time.Duration
	// MaxRetryDelay caps the backoff between attempts; default 10 minutes.
	MaxRetryDelay time.Duration
	// PeriodicJobs run on a schedule in the process that leads.
	PeriodicJobs []*river.PeriodicJob
}

// New returns a queue on pool (kassa's system pool: workers act across
// merchants). Workers register on q.Workers before Start.
func New(pool *sql.DB, cfg Config) (*Queue, error) {
	if cfg.MaxWorkers == 0 {
		cfg.MaxWorkers = 20
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.MaxRetryDelay == 0 {
		cfg.MaxRetryDelay = 10 * time.Minute
	}
	workers := river.NewWorkers()
	client, err := river.NewClient(riverdatabasesql.New(pool), &river.Config{
		Logger:            cfg.Log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		Workers:           workers,
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     cfg.PollInterval / 4,
		RetryPolicy:       &backoff{max: cfg.MaxRetryDelay},
		PeriodicJobs:      cfg.PeriodicJobs,
		JobTimeout:        2 * time.Minute,
		MaxAttempts:       30,
	})
	if err != nil {
		return nil, err
	}
	return &Queue{client: client, Workers: workers}, nil
}

// InsertTx enqueues a job inside tx: it is worked only if tx commits.
func (q *Queue) InsertTx(ctx context.Context, tx *sqlx.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := q.client.InsertTx(ctx, tx.Tx, args, opts)
	return err
}

// Insert enqueues a job on its own.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := q.client.Insert(ctx, args, opts)
	return err
}

// Start works jobs until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop finishes the jobs being worked and stops.
func (q *Queue) Stop(ctx context.Context) error { return q.client.Stop(ctx) }

// Client is the underlying River client (for tests that wait on events).
func (q *Queue) Client() *river.Client[*sql.Tx] { return q.client }

// Drained reports whether no job of the kinds (all kinds when none are
// named) is still to be worked: none available, pending, scheduled,
// running or waiting to be retried. Once drained, what the jobs do has
// been done, so a test waits for this rather than sleeping.
func (q *Queue) Drained(ctx context.Context, kinds ...string) (bool, error) {
	p := river.NewJobListParams().States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateScheduled,
		rivertype.JobStateRunning, rivertype.JobStateRetryable).First(1)
	if len(kinds) > 0 {
		p = p.Kinds(kinds...)
	}
	res, err := q.client.JobList(ctx, p)
	if err != nil {
		return false, err
	}
	return len(res.Jobs) == 0, nil
}

// backoff retries quickly at first, then ever more slowly up to max:
// 1 s, 2 s, 4 s, … so a short SMTP outage costs seconds, a long one
// minutes, and nothing is given up before MaxAttempts. Each wait is
// jittered by up to 10 % either way (never beyond max), so jobs that
// failed together (an SMTP server down for all of them) do not all come
// back in the same instant.
type backoff struct{ max time.Duration }

func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.delay(job.Attempt))
}

// delay is the wait after the attempt'th failed attempt (1-based): within
// [0.9 d, min(1.1 d, max)] where d = min(2^(attempt-1) s, max).
func (b *backoff) delay(attempt int) time.Duration {
	d := min(time.Duration(math.Pow(2, float64(min(max(attempt-1, 0), 20))))*time.Second, b.max)
	lo, hi := d-d/10, min(d+d/10, b.max)
	return lo + rand.N(hi-lo+1) //nolint:gosec // G404: jitter needs no secret randomness
}

// InsertManyTx enqueues several jobs inside tx in one statement.
func (q *Queue) InsertManyTx(ctx context.Context, tx *sqlx.Tx, args []river.JobArgs) error {
	if len(args) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	_, err := q.client.InsertManyFastTx(ctx, tx.Tx, params)
	return err
}
