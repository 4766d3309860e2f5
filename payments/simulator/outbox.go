package simulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// SignatureHeader carries a callback's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
const SignatureHeader = "Simulator-Signature"

// Delivery tuning.
const (
	pollInterval = 150 * time.Millisecond
	claimBatch   = 50
	// claimLease is how long a claimed callback is left alone by other
	// processes; a process that dies mid-delivery delays it this long.
	claimLease = 5 * time.Minute
)

// enqueue writes the change's events to the outbox in the same transaction
// as the change. A card that asks for duplicate callbacks gets each
// event twice, the batch's later events first, then the whole batch again
// with the same event ids.
func (s *Server) enqueue(ctx context.Context, tx *sqlx.Tx, ch *change) error {
	if len(ch.events) == 0 {
		return nil
	}
	type row struct {
		id   string
		copy int
		ev   pendingEvent
	}
	rows := make([]row, 0, 2*len(ch.events))
	for _, ev := range ch.events {
		rows = append(rows, row{id: newID("evt_"), copy: 1, ev: ev})
	}
	if ch.p.DuplicateCallbacks {
		slices.Reverse(rows)
		n := len(rows)
		for i := range n {
			dup := rows[i]
			dup.copy = 2
			rows = append(rows, dup)
		}
	}
	for _, r := range rows {
		body := mustJSON(wireEvent{ID: r.id, Type: r.ev.Type, Created: r.ev.Created.Unix(), Data: r.ev.Snapshot})
		if _, err := tx.ExecContext(ctx, `INSERT INTO simulator_callbacks (event_id, copy, ref, type, body)
			VALUES ($1, $2, $3, $4, $5)`, r.id, r.copy, ch.p.Ref, r.ev.Type, string(body)); err != nil {
			return fmt.Errorf("simulator: enqueue callback: %w", err)
		}
	}
	return nil
}

// notify wakes this process's Run loop after a commit that enqueued
// callbacks, so they go out within milliseconds rather than at the next
// poll.
func (s *Server) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers due callbacks and expires lapsed holds until ctx ends.
// Several processes may run it on one database: each claims callbacks
// with FOR UPDATE SKIP LOCKED, so every callback goes to one of them at a
// time.
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.expireLoop(ctx) })
	s.deliverLoop(ctx)
	wg.Wait()
}

func (s *Server) expireLoop(ctx context.Context) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if _, err := s.expireHolds(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "simulator: expire holds", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) deliverLoop(ctx context.Context) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		n, err := s.deliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "simulator: deliver callbacks", "error", err)
		}
		if n == claimBatch {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

type claimed struct {
	ID       int64  `db:"id"`
	EventID  string `db:"event_id"`
	Ref      string `db:"ref"`
	Type     string `db:"type"`
	Body     string `db:"body"`
	Attempts int    `db:"attempts"`
}

// deliverDue claims a batch of due callbacks and delivers them: one
// payment's callbacks one after another in the order they were written,
// different payments' at once.
func (s *Server) deliverDue(ctx context.Context) (int, error) {
	var batch []claimed
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &batch, `UPDATE simulator_callbacks c
			SET next_attempt_at = clock_timestamp() + $2 * interval '1 microsecond'
			FROM (SELECT id FROM simulator_callbacks
			      WHERE delivered_at IS NULL AND next_attempt_at <= clock_timestamp()
			      ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) due
			WHERE c.id = due.id
			RETURNING c.id, c.event_id, c.ref, c.type, c.body, c.attempts`, claimBatch, claimLease.Microseconds())
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	slices.SortFunc(batch, func(a, b claimed) int { return int(a.ID - b.ID) })
	byRef := map[string][]claimed{}
	var order []string
	for _, c := range batch {
		if _, ok := byRef[c.Ref]; !ok {
			order = append(order, c.Ref)
		}
		byRef[c.Ref] = append(byRef[c.Ref], c)
	}
	var wg sync.WaitGroup
	for _, ref := range order {
		wg.Go(func() {
			group := byRef[ref]
			for i, c := range group {
				if wait, ok := s.deliver(ctx, c); !ok {
					// Keep the payment's later callbacks behind the one
					// that failed, so a retry does not reorder them.
					s.postpone(ctx, group[i+1:], wait)
					return
				}
			}
		})
	}
	wg.Wait()
	return len(batch), nil
}

func (s *Server) postpone(ctx context.Context, rest []claimed, wait time.Duration) {
	if len(rest) == 0 {
		return
	}
	ids := make([]int64, len(rest))
	for i, c := range rest {
		ids[i] = c.ID
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := s.db.System.ExecContext(rctx, `UPDATE simulator_callbacks
		SET next_attempt_at = clock_timestamp() + $2 * interval '1 microsecond' WHERE id = ANY($1)`,
		pq.Int64Array(ids), wait.Microseconds()); err != nil {
		s.log.ErrorContext(ctx, "simulator: postpone callbacks", "error", err)
	}
}

// deliver makes one attempt and records its outcome; after a failure it
// returns the wait before the next attempt.
func (s *Server) deliver(ctx context.Context, c claimed) (time.Duration, bool) {
	err := s.post(ctx, []byte(c.Body))
	// The outcome is recorded even as ctx ends, or the claim would hold
	// the callback back for the whole lease.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	log := s.log.With("event_id", c.EventID, "type", c.Type, "ref", c.Ref, "attempt", c.Attempts+1)
	var dbErr error
	var wait time.Duration
	switch {
	case err == nil:
		_, dbErr = s.db.System.ExecContext(rctx, `UPDATE simulator_callbacks
			SET delivered_at = clock_timestamp(), attempts = attempts + 1, last_error = '' WHERE id = $1`, c.ID)
		log.DebugContext(ctx, "simulator: callback delivered")
	case ctx.Err() != nil:
		// Shutting down: not the receiver's failure; hand it back.
		_, dbErr = s.db.System.ExecContext(rctx, `UPDATE simulator_callbacks SET next_attempt_at = clock_timestamp() WHERE id = $1`, c.ID)
	default:
		wait = s.backoff(c.Attempts + 1)
		_, dbErr = s.db.System.ExecContext(rctx, `UPDATE simulator_callbacks
			SET attempts = attempts + 1, last_error = $2, next_attempt_at = clock_timestamp() + $3 * interval '1 microsecond'
			WHERE id = $1`, c.ID, truncate(err.Error(), 500), wait.Microseconds())
		log.WarnContext(ctx, "simulator: callback not accepted; will retry", "error", err, "retry_in", wait)
	}
	if dbErr != nil {
		log.ErrorContext(ctx, "simulator: record callback attempt", "error", dbErr)
	}
	return wait, err == nil
}

func (s *Server) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.callbackURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kassa-simulator/1")
	// Real time, never the business clock: the receiver checks it against
	// its own wall clock.
	req.Header.Set(SignatureHeader, signatureHeader(s.secret, time.Now(), body))
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errors.New("receiver answered " + resp.Status)
	}
	return nil
}

// signatureHeader signs body at t for the Simulator-Signature header.
func signatureHeader(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(sign(secret, ts, body))
}

func sign(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// PendingCallbacks is how many queued callbacks are not yet delivered; tests
// wait for it to reach zero.
func (s *Server) PendingCallbacks(ctx context.Context) (int, error) {
	var n int
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &n, `SELECT count(*) FROM simulator_callbacks WHERE delivered_at IS NULL`)
	})
	return n, err
}
