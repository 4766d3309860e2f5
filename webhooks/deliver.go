package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"kassa/db"
	"kassa/webhooks/egress"
)

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// Timeout leaves the attempt its own timeout and time to record it.
func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.s.cfg.Timeout + 30*time.Second
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	return w.s.attempt(ctx, job.Args)
}

// outcome is what an attempt found out.
type outcome struct {
	code       *int
	err        string
	retryAfter *time.Duration
}

// attempt makes one attempt at a delivery and records it. A failure that
// may pass is retried by snoozing the job for the schedule's next delay
// (snoozing does not count against River's attempts: the schedule, counted
// in the delivery's own row, decides when to give up).
func (s *Service) attempt(ctx context.Context, a DeliverArgs) error {
	var t struct {
		Status                  DeliveryStatus `db:"status"`
		Failures                int            `db:"failures"`
		EventID                 uuid.UUID      `db:"event_id"`
		Body                    string         `db:"body"`
		URL                     string         `db:"url"`
		EndpointStatus          EndpointStatus `db:"endpoint_status"`
		Secret                  string         `db:"secret"`
		PreviousSecret          *string        `db:"previous_secret"`
		PreviousSecretExpiresAt *time.Time     `db:"previous_secret_expires_at"`
	}
	err := s.db.InTenant(ctx, a.MerchantID, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &t, `
			SELECT d.status, d.failures, d.event_id, e.body, w.url, w.status AS endpoint_status, w.secret, w.previous_secret, w.previous_secret_expires_at
			FROM webhook_deliveries d
			JOIN webhook_events e ON e.merchant_id = d.merchant_id AND e.id = d.event_id
			JOIN webhook_endpoints w ON w.merchant_id = d.merchant_id AND w.id = d.endpoint_id
			WHERE d.id = $1`, a.DeliveryID)
	})
	if db.IsNoRows(err) {
		return nil // the endpoint was deleted with its deliveries
	}
	if err != nil {
		return err
	}
	if t.Status != DeliveryPending {
		return nil // done already (a repeated job)
	}
	now := s.now().UTC()
	if t.EndpointStatus != EndpointEnabled {
		return s.record(ctx, a, DeliveryFailed, false, outcome{err: "the endpoint is disabled"}, nil)
	}
	ep := Endpoint{Secret: t.Secret, PreviousSecret: t.PreviousSecret, PreviousSecretExpiresAt: t.PreviousSecretExpiresAt}
	msgID := MessageID(t.EventID)
	res := s.post(ctx, t.URL, msgID, ep.signingSecrets(now), []byte(t.Body))
	switch {
	case res.code != nil && *res.code >= 200 && *res.code < 300:
		return s.record(ctx, a, DeliverySucceeded, true, res, nil)
	case res.code != nil && *res.code == http.StatusGone:
		// The receiver says the endpoint is gone for good: stop sending
		// to it at all until the merchant enables it again.
		if err := s.disable(ctx, a, "the endpoint answered 410 Gone"); err != nil {
			return err
		}
		return s.record(ctx, a, DeliveryFailed, true, res, nil)
	}
	failures := t.Failures + 1
	if failures > len(s.cfg.Schedule) {
		return s.record(ctx, a, DeliveryFailed, true, res, nil)
	}
	wait := s.cfg.Schedule[failures-1]
	if res.retryAfter != nil {
		wait = *res.retryAfter
	}
	next := now.Add(wait)
	if err := s.record(ctx, a, DeliveryPending, true, res, &next); err != nil {
		return err
	}
	return river.JobSnooze(wait)
}

// post sends one attempt.
func (s *Service) post(ctx context.Context, url, msgID string, secrets []string, body []byte) outcome {
	ts := s.now().Unix()
	sig, err := SignatureHeader(secrets, msgID, ts, body)
	if err != nil {
		return outcome{err: "the endpoint's secret is unusable"}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: "the endpoint URL is not valid"}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "kassa-webhooks/1")
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", sig)
	resp, err := s.client.HTTP.Do(req)
	if err != nil {
		return outcome{err: describe(err, s.cfg.Timeout)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	o := outcome{code: &resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		o.err = fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), s.now()); ok {
			d = min(max(d, time.Second), s.cfg.MaxRetryAfter)
			o.retryAfter = &d
		}
	}
	return o
}

// describe says why an attempt got no answer, without internals.
func describe(err error, timeout time.Duration) string {
	var ne net.Error
	switch {
	case errors.Is(err, egress.ErrBlocked):
		return "refused: the endpoint resolves to a private, loopback or link-local address"
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "the host does not resolve"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return "the connection was refused or could not be made"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return truncate(msg, 200)
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(365*24*3600))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// record stores an attempt's outcome (attempted: whether a request was
// made, as opposed to giving up on a disabled endpoint).
func (s *Service) record(ctx context.Context, a DeliverArgs, status DeliveryStatus, attempted bool, o outcome, next *time.Time) error {
	now := s.now().UTC()
	var lastErr *string
	if o.err != "" {
		lastErr = &o.err
	}
	inc := 0
	if attempted {
		inc = 1
	}
	failed := 0
	if status != DeliverySucceeded && attempted {
		failed = 1
	}
	var delivered *time.Time
	if status == DeliverySucceeded {
		delivered = &now
	}
	return s.db.InTenant(ctx, a.MerchantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE webhook_deliveries SET status = $2, attempts = attempts + $3, failures = failures + $4,
			  last_response_code = CASE WHEN $3 = 1 THEN $5 ELSE last_response_code END,
			  last_error = $6, last_attempt_at = CASE WHEN $3 = 1 THEN $7 ELSE last_attempt_at END,
			  next_attempt_at = $8, delivered_at = coalesce($9, delivered_at)
			WHERE id = $1 AND status = 'PENDING'`,
			a.DeliveryID, status, inc, failed, o.code, lastErr, now, next, delivered)
		return err
	})
}

func (s *Service) disable(ctx context.Context, a DeliverArgs, reason string) error {
	return s.db.InTenant(ctx, a.MerchantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE webhook_endpoints SET status = 'DISABLED', disabled_reason = $2, updated_at = now()
			WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = $1)`, a.DeliveryID, reason)
		return err
	})
}
