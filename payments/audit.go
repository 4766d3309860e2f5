package payments

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/gid"
)

// ActorEvent is an event of a payment that a person or an API key caused
// (took the payment, captured, voided or refunded it): the payments' part
// of the audit trail. It is recorded in the same transaction as the
// operation, so the trail cannot miss one.
type ActorEvent struct {
	EventRecord
	PaymentID gid.PaymentID `db:"payment_id"`
	Currency  string        `db:"currency"`
}

// ActorEventFilter narrows ActorEvents.
type ActorEventFilter struct {
	ActorUser *uuid.UUID
	PaymentID *gid.PaymentID
}

// ActorEvents lists the events people and API keys caused, newest first.
func (s *Service) ActorEvents(ctx context.Context, merchantID gid.MerchantID, f ActorEventFilter, page db.Page) ([]ActorEvent, bool, error) {
	where := []string{"e.id < ?", "(e.actor_user IS NOT NULL OR e.actor_api_key IS NOT NULL)"}
	args := []any{page.AfterOrMax()}
	if f.ActorUser != nil {
		where = append(where, "e.actor_user = ?")
		args = append(args, *f.ActorUser)
	}
	if f.PaymentID != nil {
		where = append(where, "e.payment_id = ?")
		args = append(args, *f.PaymentID)
	}
	args = append(args, page.Fetch())
	var evs []ActorEvent
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q := `SELECT e.payment_id, e.id, e.type, e.amount, e.status, e.detail, e.processor_event_id, e.actor_user, e.actor_api_key,
			  e.created_at, p.currency
			FROM payment_events e JOIN payments p ON p.merchant_id = e.merchant_id AND p.id = e.payment_id
			WHERE ` + strings.Join(where, " AND ") + ` ORDER BY e.id DESC LIMIT ?`
		return tx.SelectContext(ctx, &evs, tx.Rebind(q), args...)
	})
	evs, more := db.Trim(page, evs)
	return evs, more, err
}
