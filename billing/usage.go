package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/orders"
)

// UsageEvent is a report of metered usage.
type UsageEvent struct {
	MerchantID     gid.MerchantID `db:"merchant_id"`
	SubscriptionID uuid.UUID      `db:"subscription_id"`
	ID             uuid.UUID      `db:"id"`
	IdempotencyKey string         `db:"idempotency_key"`
	Quantity       int64          `db:"quantity"`
	OccurredAt     time.Time      `db:"occurred_at"`
	ReceivedAt     time.Time      `db:"received_at"`
}

// UsageReport is one event as reported.
type UsageReport struct {
	SubscriptionID uuid.UUID
	Quantity       int64
	OccurredAt     time.Time
	IdempotencyKey string
}

// UsageResult is the outcome of one report: the event (new, or the one
// already recorded under its key), or the error saying why it was refused.
type UsageResult struct {
	Event     UsageEvent
	Duplicate bool
	Err       error
}

// MaxUsageBatch bounds ReportUsageBatch.
const MaxUsageBatch = 1000

// futureTolerance is how far ahead of the server's clock an event may be
// stamped (clock skew).
const futureTolerance = 5 * time.Minute

// ReportUsage records one usage event. Reports of one merchant that
// arrive together are committed together (see usageGroups).
//
// Errors: fault.ErrNotFound (subscription); codes INVALID_QUANTITY,
// INVALID_IDEMPOTENCY_KEY, NOT_METERED, INVALID_STATE, FUTURE_EVENT,
// LATE_EVENT.
func (s *Service) ReportUsage(ctx context.Context, merchantID gid.MerchantID, r UsageReport) (UsageEvent, bool, error) {
	res, err := s.usage.report(ctx, merchantID, r)
	if err != nil {
		return UsageEvent{}, false, err
	}
	return res.Event, res.Duplicate, res.Err
}

// ReportUsageBatch records up to MaxUsageBatch events in one transaction
// and one insert, each with its own result: a refused event does not
// refuse the others. An idempotency key counts once per merchant: a key
// seen before (in this batch or earlier) returns the recorded event.
//
// Errors: code BATCH_TOO_LARGE; internal errors.
func (s *Service) ReportUsageBatch(ctx context.Context, merchantID gid.MerchantID, reports []UsageReport) ([]UsageResult, error) {
	if len(reports) > MaxUsageBatch {
		return nil, fault.Invalid("events", ErrBatchTooLarge, "at most %d events per batch", MaxUsageBatch)
	}
	out := make([]UsageResult, len(reports))
	now := s.now().UTC()
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		subs, err := s.meteredSubscriptions(ctx, tx, reports)
		if err != nil {
			return err
		}
		type row struct {
			SubscriptionID uuid.UUID `json:"s"`
			ID             uuid.UUID `json:"i"`
			Key            string    `json:"k"`
			Quantity       int64     `json:"q"`
			OccurredAt     time.Time `json:"o"`
		}
		var rows []row
		byKey := map[string]int{}
		for i, r := range reports {
			if err := s.checkReport(r, subs[r.SubscriptionID], now); err != nil {
				out[i].Err = err
				continue
			}
			if j, ok := byKey[r.IdempotencyKey]; ok {
				out[i] = UsageResult{Duplicate: true, Event: out[j].Event}
				continue
			}
			ev := UsageEvent{MerchantID: merchantID, SubscriptionID: r.SubscriptionID, ID: uuid.Must(uuid.NewV7()),
				IdempotencyKey: r.IdempotencyKey, Quantity: r.Quantity, OccurredAt: r.OccurredAt.UTC(), ReceivedAt: now}
			out[i].Event = ev
			byKey[r.IdempotencyKey] = i
			rows = append(rows, row{ev.SubscriptionID, ev.ID, ev.IdempotencyKey, ev.Quantity, ev.OccurredAt})
		}
		if len(rows) == 0 {
			return nil
		}
		b, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		var inserted []uuid.UUID
		if err := tx.SelectContext(ctx, &inserted, `
			INSERT INTO usage_events (merchant_id, subscription_id, id, idempotency_key, quantity, occurred_at, received_at)
			SELECT $1, r.s, r.i, r.k, r.q, r.o, $2 FROM jsonb_to_recordset($3::jsonb) AS r(s uuid, i uuid, k text, q bigint, o timestamptz)
			ON CONFLICT ON CONSTRAINT usage_events_key DO NOTHING
			RETURNING id`, merchantID, now, b); err != nil {
			return err
		}
		if len(inserted) == len(rows) {
			return nil
		}
		// Some keys were recorded before: answer with what was recorded.
		fresh := make(map[uuid.UUID]bool, len(inserted))
		for _, id := range inserted {
			fresh[id] = true
		}
		var keys []string
		for _, r := range rows {
			if !fresh[r.ID] {
				keys = append(keys, r.Key)
			}
		}
		var existing []UsageEvent
		q, args, err := sqlx.In(`SELECT merchant_id, subscription_id, id, idempotency_key, quantity, occurred_at, received_at
			FROM usage_events WHERE idempotency_key IN (?)`, keys)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &existing, tx.Rebind(q), args...); err != nil {
			return err
		}
		byExisting := map[string]UsageEvent{}
		for _, e := range existing {
			byExisting[e.IdempotencyKey] = e
		}
		for i := range out {
			if out[i].Err != nil {
				continue
			}
			if e, ok := byExisting[reports[i].IdempotencyKey]; ok && !fresh[out[i].Event.ID] {
				out[i] = UsageResult{Event: e, Duplicate: true}
			}
		}
		return nil
	})
	return out, err
}

type meteredSub struct {
	ID     uuid.UUID `db:"id"`
	Status Status    `db:"status"`
	Plan   []byte    `db:"plan"`
	Anchor time.Time `db:"anchor"`
	TZ     string    `db:"time_zone"`
	sched  Schedule
	kind   PlanKind
}

// meteredSubscriptions loads the subscriptions a batch reports on: one
// query however many events.
func (s *Service) meteredSubscriptions(ctx context.Context, tx *sqlx.Tx, reports []UsageReport) (map[uuid.UUID]*meteredSub, error) {
	seen := map[uuid.UUID]bool{}
	var ids []uuid.UUID
	for _, r := range reports {
		if !seen[r.SubscriptionID] {
			seen[r.SubscriptionID] = true
			ids = append(ids, r.SubscriptionID)
		}
	}
	out := map[uuid.UUID]*meteredSub{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []meteredSub
	q, args, err := sqlx.In(`SELECT id, status, plan, anchor, time_zone FROM subscriptions WHERE id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return nil, err
	}
	for i := range rows {
		m := &rows[i]
		var p Plan
		if err := json.Unmarshal(m.Plan, &p); err != nil {
			return nil, fmt.Errorf("%w: subscription %s: %v", errCorruptPlan, m.ID, err)
		}
		m.kind = p.Kind
		if p.Kind.Metered() {
			var err error
			if m.sched, err = NewSchedule(m.Anchor, p.Interval, m.TZ); err != nil {
				return nil, fmt.Errorf("%w: subscription %s: %v", errCorruptPlan, m.ID, err)
			}
		}
		out[m.ID] = m
	}
	return out, nil
}

func (s *Service) checkReport(r UsageReport, sub *meteredSub, now time.Time) error {
	if sub == nil {
		return &fault.Error{Code: fault.ErrNotFound.Code, Field: []string{"input", "subscriptionId"}, Message: "subscription not found"}
	}
	if !sub.kind.Metered() {
		return fault.Invalid("subscriptionId", ErrNotMetered, "the subscription's plan is not usage-based")
	}
	if sub.Status != Active && sub.Status != PastDue {
		return fault.Invalid("subscriptionId", fault.ErrInvalidState, "usage can be reported only for an active subscription (this one is %s)", strings.ToLower(string(sub.Status)))
	}
	if r.Quantity < 0 || r.Quantity > 1_000_000_000_000 {
		return fault.Invalid("quantity", fault.ErrInvalidQuantity, "quantity must be between 0 and 10^12")
	}
	if k := strings.TrimSpace(r.IdempotencyKey); k == "" || len(r.IdempotencyKey) > 255 || k != r.IdempotencyKey ||
		!utf8.ValidString(k) || strings.IndexFunc(k, unicode.IsControl) >= 0 {
		return fault.Invalid("idempotencyKey", fault.ErrInvalidIdempotencyKey, "idempotencyKey must be 1 to 255 characters without surrounding spaces or control characters")
	}
	if r.OccurredAt.After(now.Add(futureTolerance)) {
		return fault.Invalid("occurredAt", ErrFutureEvent, "occurredAt is more than 5 minutes in the future")
	}
	if r.OccurredAt.Before(sub.sched.Anchor) {
		return fault.Invalid("occurredAt", ErrLateEvent, "occurredAt is before the subscription started")
	}
	per := sub.sched.PeriodAt(r.OccurredAt)
	if !now.Before(per.End.Add(s.cfg.UsageGrace)) {
		return fault.Invalid("occurredAt", ErrLateEvent, "the period of occurredAt closed (usage is accepted until %s after a period ends)", s.cfg.UsageGrace)
	}
	return nil
}

// usageQuantity aggregates a period's usage.
func usageQuantity(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, subscriptionID uuid.UUID, agg Aggregation, per Period) (int64, error) {
	fn := "sum"
	if agg == Max {
		fn = "max"
	}
	var q int64
	err := tx.GetContext(ctx, &q, `SELECT coalesce(`+fn+`(quantity), 0) FROM usage_events
		WHERE merchant_id = $1 AND subscription_id = $2 AND occurred_at >= $3 AND occurred_at < $4`,
		merchantID, subscriptionID, per.Start, per.End)
	return q, err
}

// UsageSummary is a period's metered usage and what it costs so far.
type UsageSummary struct {
	Period   Period
	Quantity int64
	Events   int64
	Amount   int64
	Currency string
}

// Usage summarizes the period of a usage subscription containing at
// (zero: now).
//
// Errors: fault.ErrNotFound; code NOT_METERED.
func (s *Service) Usage(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID, at time.Time) (UsageSummary, error) {
	if at.IsZero() {
		at = s.now()
	}
	var sum UsageSummary
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var sub Subscription
		if err := tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, id); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("subscription")
			}
			return err
		}
		plan := sub.Plan()
		if !plan.Kind.Metered() {
			return fault.Invalid("subscriptionId", ErrNotMetered, "the subscription's plan is not usage-based")
		}
		sch, _ := sub.Schedule()
		per := sch.PeriodAt(at)
		var err error
		if sum.Quantity, err = usageQuantity(ctx, tx, merchantID, id, plan.Aggregation, per); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &sum.Events, `SELECT count(*) FROM usage_events WHERE merchant_id = $1 AND subscription_id = $2 AND occurred_at >= $3 AND occurred_at < $4`,
			merchantID, id, per.Start, per.End); err != nil {
			return err
		}
		sum.Period, sum.Currency = per, plan.Currency
		sum.Amount, err = UsageAmount(sum.Quantity, plan.UnitPrice, plan.Tiers)
		return err
	})
	return sum, err
}

// UpcomingInvoice previews the next invoice of a scheduled subscription:
// its period and lines as they stand now.
//
// Errors: fault.ErrNotFound; code NOT_SCHEDULED.
func (s *Service) UpcomingInvoice(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Invoice, error) {
	var inv Invoice
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var sub Subscription
		if err := tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, id); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("subscription")
			}
			return err
		}
		sch, ok := sub.Schedule()
		if !ok || sub.Status == Cancelled {
			return fault.Invalid("subscriptionId", ErrNotScheduled, "the subscription has no upcoming invoice")
		}
		plan := sub.Plan()
		if pp := sub.PendingPlan(); pp != nil && sub.NextPeriod >= pp.EffectivePeriod {
			plan = *pp
		}
		per := sch.Period(sub.NextPeriod)
		lines, err := plan.periodLines(ctx, tx, &sub, per)
		if err != nil {
			return err
		}
		priced, tot, err := orders.PriceLines(lines)
		if errors.Is(err, fault.ErrInvalidAmount) {
			priced, tot, err = zeroLines(lines), orders.Totals{}, nil
		}
		if err != nil {
			return err
		}
		start, end := per.Start, per.End
		inv = Invoice{MerchantID: merchantID, SubscriptionID: id, Kind: "PERIOD", PeriodIndex: &per.Index, PeriodStart: &start, PeriodEnd: &end,
			Status: InvoiceOpen, Currency: plan.Currency, Net: tot.Net, VAT: tot.VAT, Gross: tot.Gross, Lines: priced,
			Description: plan.Name(sub.CustomerLocale) + " " + periodLabel(per, sub.TimeZone)}
		due := s.dueAt(plan, per)
		inv.NextAttemptAt = &due
		return nil
	})
	return inv, err
}
