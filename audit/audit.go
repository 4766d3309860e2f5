package audit

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/gid"
	"kassa/payments"
)

// Actions of the trail's own entries. Payment operations appear with their
// payment event type: payment.created, payment.captured, payment.voided,
// payment.refunded, payment.capture_declined, payment.void_declined,
// payment.refund_declined.
const (
	ActionPaymentLimitSet     = "user.payment_limit_set"
	ActionPaymentLimitRemoved = "user.payment_limit_removed"
	// ActionEmailUndeliverable: an email kassa queued (a confirmation, a
	// receipt, an invitation) can never be delivered and was given up on.
	ActionEmailUndeliverable = "email.undeliverable"
	// ActionMerchantUpdated: the merchant's details changed (merchants);
	// the entry's detail names the fields, e.g. "changed legalName, vatNumber".
	ActionMerchantUpdated = "merchant.updated"
)

// Event is one entry of the trail.
type Event struct {
	ID          uuid.UUID      `db:"id"`
	Action      string         `db:"action"`
	ActorUser   *uuid.UUID     `db:"actor_user"`
	ActorAPIKey *uuid.UUID     `db:"actor_api_key"`
	SubjectUser *uuid.UUID     `db:"subject_user"`
	PaymentID   *gid.PaymentID `db:"payment_id"`
	Amount      *int64         `db:"amount"`
	Currency    *string        `db:"currency"`
	Detail      string         `db:"detail"`
	CreatedAt   time.Time      `db:"created_at"`
}

// Log reads and writes the trail.
type Log struct {
	db  *db.DB
	pay *payments.Service
	now func() time.Time
}

// New returns the trail on d, reading payment operations from pay.
func New(d *db.DB, pay *payments.Service) *Log {
	return &Log{db: d, pay: pay, now: time.Now}
}

// RecordTx adds e to the trail inside tx (a tenant transaction of the
// merchant), so it commits with the change it describes.
func (l *Log) RecordTx(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, e Event) error {
	if e.Action == "" {
		return errors.New("audit: an event needs an action")
	}
	if e.ID == uuid.Nil {
		e.ID = uuid.Must(uuid.NewV7())
	}
	if utf8.RuneCountInString(e.Detail) > 500 {
		e.Detail = string([]rune(e.Detail)[:500])
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO audit_events (merchant_id, id, action, actor_user, actor_api_key, subject_user, payment_id, amount, currency, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		merchantID, e.ID, e.Action, e.ActorUser, e.ActorAPIKey, e.SubjectUser, e.PaymentID, e.Amount, e.Currency, e.Detail, l.now().UTC())
	return err
}

// Filter narrows List.
type Filter struct {
	// ActorUser keeps what this person did.
	ActorUser *uuid.UUID
	// PaymentID keeps what was done to this payment.
	PaymentID *gid.PaymentID
}

// List returns the trail newest first: the trail's own entries and the
// payment operations people and API keys caused, merged.
func (l *Log) List(ctx context.Context, merchantID gid.MerchantID, f Filter, page db.Page) ([]Event, bool, error) {
	pevs, _, err := l.pay.ActorEvents(ctx, merchantID, payments.ActorEventFilter{ActorUser: f.ActorUser, PaymentID: f.PaymentID}, page)
	if err != nil {
		return nil, false, err
	}
	where := []string{"id < ?"}
	args := []any{page.AfterOrMax()}
	if f.ActorUser != nil {
		where = append(where, "actor_user = ?")
		args = append(args, *f.ActorUser)
	}
	if f.PaymentID != nil {
		where = append(where, "payment_id = ?")
		args = append(args, *f.PaymentID)
	}
	args = append(args, page.Fetch())
	var own []Event
	err = l.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q := `SELECT id, action, actor_user, actor_api_key, subject_user, payment_id, amount, currency, detail, created_at
			FROM audit_events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ?`
		return tx.SelectContext(ctx, &own, tx.Rebind(q), args...)
	})
	if err != nil {
		return nil, false, err
	}
	// Both lists are newest first and each holds up to Limit+1 rows below
	// the cursor, so the first Limit+1 of the merge are exactly the next
	// rows of the whole trail.
	merged := make([]Event, 0, len(pevs)+len(own))
	i, j := 0, 0
	for i < len(pevs) || j < len(own) {
		if j == len(own) || (i < len(pevs) && after(pevs[i].ID, own[j].ID)) {
			merged = append(merged, fromPayment(pevs[i]))
			i++
			continue
		}
		merged = append(merged, own[j])
		j++
	}
	merged, more := db.Trim(page, merged)
	return merged, more, nil
}

// after reports whether a sorts after b (is newer, for time-ordered ids).
func after(a, b uuid.UUID) bool { return bytes.Compare(a[:], b[:]) > 0 }

func fromPayment(e payments.ActorEvent) Event {
	pid, cur := e.PaymentID, e.Currency
	return Event{ID: e.ID, Action: e.Type, ActorUser: e.ActorUser, ActorAPIKey: e.ActorAPIKey, PaymentID: &pid,
		Amount: e.Amount, Currency: &cur, Detail: e.Detail, CreatedAt: e.CreatedAt}
}
