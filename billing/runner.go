package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"

	"kassa/db"
	"kassa/gid"
)

// SweepResult counts what a sweep did.
type SweepResult struct {
	Subscriptions int // subscriptions billed
	Invoices      int // invoices created
	Retries       int // failed charges retried
	CardWarnings  int
}

// Sweep bills every subscription due at now: each due period gets its
// invoice (oldest first, once each) and a charge job. It also retries
// failed charges whose time has come and warns of cards about to expire.
// Several sweeps may run at once, in one process or many.
//
// Runners claim batches with SKIP LOCKED, so they never wait for each
// other. A row can also be held for a moment by someone else: a payment
// callback, a merchant's mutation. So when nothing is left to claim, a
// last pass waits for the rows still due, one at a time (holding no other
// claim while it waits, so it cannot deadlock) and at most lockWait each;
// the database re-checks a row once its lock is released, so one another
// runner billed meanwhile is no longer due and is passed over. Nothing
// due is left for the next sweep merely because it was busy for a moment;
// a row held longer than lockWait is.
func (s *Service) Sweep(ctx context.Context, now time.Time) (SweepResult, error) {
	var r SweepResult
	for _, c := range []claim{skipLocked, waitLocked} {
		for {
			subs, invs, err := s.sweepBatch(ctx, now, c)
			if c == waitLocked && db.IsLockConflict(err) {
				s.log.WarnContext(ctx, "billing sweep: a due subscription stayed locked; the next sweep bills it", "error", err)
				break
			}
			if err != nil {
				return r, err
			}
			r.Subscriptions += subs
			r.Invoices += invs
			if subs == 0 {
				break
			}
		}
	}
	for _, c := range []claim{skipLocked, waitLocked} {
		for {
			n, err := s.retryDue(ctx, now, c)
			if c == waitLocked && db.IsLockConflict(err) {
				s.log.WarnContext(ctx, "billing sweep: a due retry stayed locked; the next sweep retries it", "error", err)
				break
			}
			r.Retries += n
			if err != nil {
				return r, err
			}
			if n == 0 || n < c.limit(retryBatch) {
				break
			}
		}
	}
	var err error
	r.CardWarnings, err = s.warnExpiringCards(ctx, now)
	return r, err
}

// claim is how a sweep takes rows: skipping those held by others, a batch
// at a time, or waiting for them, one at a time.
type claim int

const (
	skipLocked claim = iota
	waitLocked
)

const (
	lockWait   = "10s" // the longest the waiting pass waits for one row
	retryBatch = 1000
)

func (c claim) clause() string {
	if c == waitLocked {
		return "FOR UPDATE"
	}
	return "FOR UPDATE SKIP LOCKED"
}

func (c claim) limit(batch int) int {
	if c == waitLocked {
		return 1
	}
	return batch
}

// claimTx runs fn in a system transaction that claims rows as c says.
func (s *Service) claimTx(ctx context.Context, c claim, fn func(tx *sqlx.Tx) error) error {
	return s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		if c == waitLocked {
			if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '`+lockWait+`'`); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// sweepBatch claims a batch of due subscriptions and bills them in one
// transaction, with a fixed number of statements for the writes: the
// invoices, their lines, the schedules and the charge jobs each go in one
// statement for the whole batch.
func (s *Service) sweepBatch(ctx context.Context, now time.Time, c claim) (int, int, error) {
	subs, invoices := 0, 0
	err := s.claimTx(ctx, c, func(tx *sqlx.Tx) error {
		var due []Subscription
		if err := tx.SelectContext(ctx, &due, `
			SELECT `+subscriptionColumns+` FROM subscriptions
			WHERE status IN ('ACTIVE', 'PAST_DUE') AND next_billing_at <= $1
			ORDER BY next_billing_at LIMIT $2 `+c.clause(), now, c.limit(s.cfg.BatchSize)); err != nil {
			return err
		}
		var created []Invoice
		updates := make([]scheduleUpdate, 0, len(due))
		for i := range due {
			invs, u, err := s.billDue(ctx, tx, &due[i], now)
			if errors.Is(err, errCorruptPlan) {
				// Loud, every sweep, but not at the cost of the others in
				// the batch: this one stays due until its plan is mended.
				s.log.ErrorContext(ctx, "subscription not billed: its plan is corrupt", "merchant_id", due[i].MerchantID,
					"subscription_id", due[i].ID, "error", err)
				continue
			}
			if err != nil {
				return fmt.Errorf("bill %s: %w", due[i].ID, err)
			}
			created = append(created, invs...)
			updates = append(updates, u)
		}
		if err := storeInvoices(ctx, tx, created); err != nil {
			return err
		}
		if err := updateSchedules(ctx, tx, updates, now); err != nil {
			return err
		}
		var charges []river.JobArgs
		for _, inv := range created {
			if inv.Status == InvoiceOpen {
				charges = append(charges, ChargeArgs{MerchantID: inv.MerchantID, InvoiceID: inv.ID, Attempt: 1})
			}
		}
		subs, invoices = len(due), len(created)
		return s.cfg.Jobs.InsertManyTx(ctx, tx, charges)
	})
	return subs, invoices, err
}

// scheduleUpdate is where a subscription's schedule moves after billing.
type scheduleUpdate struct {
	MerchantID  gid.MerchantID  `json:"m"`
	ID          uuid.UUID       `json:"id"`
	NextPeriod  int             `json:"np"`
	NextBilling *time.Time      `json:"nb"`
	Plan        json.RawMessage `json:"plan"`
	PendingPlan json.RawMessage `json:"pp"`
	Status      Status          `json:"st"`
}

func updateSchedules(ctx context.Context, tx *sqlx.Tx, us []scheduleUpdate, now time.Time) error {
	if len(us) == 0 {
		return nil
	}
	b, err := json.Marshal(us)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		UPDATE subscriptions s SET next_period = u.np, next_billing_at = u.nb, plan = u.plan, pending_plan = u.pp, status = u.st, updated_at = $2
		FROM jsonb_to_recordset($1::jsonb) AS u(m uuid, id uuid, np int, nb timestamptz, plan jsonb, pp jsonb, st text)
		WHERE s.merchant_id = u.m AND s.id = u.id`, b, now)
	return err
}

// billDue prices every due period of one claimed subscription (oldest
// first) and says where its schedule moves; the caller stores both.
func (s *Service) billDue(ctx context.Context, tx *sqlx.Tx, sub *Subscription, now time.Time) ([]Invoice, scheduleUpdate, error) {
	u := scheduleUpdate{MerchantID: sub.MerchantID, ID: sub.ID, NextPeriod: sub.NextPeriod, Plan: sub.PlanJSON, Status: sub.Status}
	if len(sub.PendingPlanJSON) > 0 {
		u.PendingPlan = sub.PendingPlanJSON
	}
	plan, err := sub.decodePlan()
	if err != nil {
		return nil, u, err
	}
	if !plan.Kind.Scheduled() {
		return nil, u, nil
	}
	sch, err := NewSchedule(sub.Anchor, plan.Interval, sub.TimeZone)
	if err != nil {
		return nil, u, fmt.Errorf("%w: subscription %s: %v", errCorruptPlan, sub.ID, err)
	}
	pending := sub.PendingPlan()
	var created []Invoice
	for guard := 0; guard < 10000; guard++ {
		if pending != nil && u.NextPeriod >= pending.EffectivePeriod {
			plan, pending = *pending, nil
			plan.EffectivePeriod = 0
			u.Plan, u.PendingPlan = plan.value(), nil
		}
		per := sch.Period(u.NextPeriod)
		if sub.CancelAtPeriodEnd && sub.CancelledAt != nil && !per.Start.Before(*sub.CancelledAt) {
			u.Status, u.NextBilling = Cancelled, nil
			return created, u, nil
		}
		due := s.dueAt(plan, per)
		if due.After(now) {
			u.NextBilling = &due
			return created, u, nil
		}
		lines, err := plan.periodLines(ctx, tx, sub, per)
		if err != nil {
			return nil, u, err
		}
		inv, err := priceInvoice(sub, "PERIOD", &per, plan.Name(sub.CustomerLocale)+" "+periodLabel(per, sub.TimeZone), lines, now)
		if err != nil {
			return nil, u, err
		}
		created = append(created, inv)
		u.NextPeriod++
	}
	return nil, u, fmt.Errorf("billing: %s has more than 10000 periods due", sub.ID)
}

// retryDue enqueues the next attempt of a batch of failed charges whose
// retry time has come.
func (s *Service) retryDue(ctx context.Context, now time.Time, c claim) (int, error) {
	n := 0
	err := s.claimTx(ctx, c, func(tx *sqlx.Tx) error {
		var due []struct {
			MerchantID gid.MerchantID `db:"merchant_id"`
			ID         uuid.UUID      `db:"id"`
			Attempts   int            `db:"attempts"`
		}
		if err := tx.SelectContext(ctx, &due, `
			SELECT merchant_id, id, attempts FROM invoices
			WHERE status = 'OPEN' AND next_attempt_at <= $1
			ORDER BY next_attempt_at LIMIT $2 `+c.clause(), now, c.limit(retryBatch)); err != nil {
			return err
		}
		var jobs []river.JobArgs
		for _, d := range due {
			if _, err := tx.ExecContext(ctx, `UPDATE invoices SET next_attempt_at = NULL, updated_at = $3 WHERE merchant_id = $1 AND id = $2`,
				d.MerchantID, d.ID, now); err != nil {
				return err
			}
			jobs = append(jobs, ChargeArgs{MerchantID: d.MerchantID, InvoiceID: d.ID, Attempt: d.Attempts + 1})
		}
		n = len(due)
		return s.cfg.Jobs.InsertManyTx(ctx, tx, jobs)
	})
	return n, err
}

// Run sweeps on schedule (cron syntax, e.g. "* * * * *") until ctx ends.
func (s *Service) Run(ctx context.Context, schedule string) error {
	c := cron.New()
	if _, err := c.AddFunc(schedule, func() {
		r, err := s.Sweep(ctx, s.now())
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "billing sweep", "error", err)
			return
		}
		if r.Subscriptions > 0 || r.Retries > 0 {
			s.log.InfoContext(ctx, "billing sweep", "subscriptions", r.Subscriptions, "invoices", r.Invoices, "retries", r.Retries, "card_warnings", r.CardWarnings)
		}
	}); err != nil {
		return fmt.Errorf("KASSA_BILLING_SCHEDULE %q: %w", schedule, err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// ValidSchedule checks a cron expression.
func ValidSchedule(schedule string) error {
	_, err := cron.ParseStandard(schedule)
	return err
}
