package payments

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/gid"
)

// ExpiryNotifier is told, inside the transaction that records the warning,
// of a reservation about to expire (to email the merchant).
type ExpiryNotifier func(ctx context.Context, tx *sqlx.Tx, p Payment) error

// OnExpiring sets who is told of reservations about to expire.
func (s *Service) OnExpiring(n ExpiryNotifier) { s.expiring = append(s.expiring, n) }

// Run sweeps every interval until ctx ends: it retries operations whose
// outcome is unknown, warns about reservations expiring within the warning
// window, and expires lapsed ones. Several processes may run it at once:
// each step locks the rows it changes.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep runs one round of Run.
func (s *Service) Sweep(ctx context.Context) {
	if _, err := s.RetryPending(ctx, time.Minute); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "retry pending operations", "error", err)
	}
	if _, err := s.WarnExpiring(ctx); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "warn expiring reservations", "error", err)
	}
	if _, err := s.ExpireLapsed(ctx); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "expire reservations", "error", err)
	}
}

type due struct {
	MerchantID gid.MerchantID `db:"merchant_id"`
	ID         gid.PaymentID  `db:"id"`
}

func (s *Service) dueReservations(ctx context.Context, query string, at time.Time) ([]due, error) {
	var ds []due
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &ds, query, at) })
	return ds, err
}

// WarnExpiring tells the notifiers of each open reservation whose
// captureBefore is within the warning window, once per reservation.
func (s *Service) WarnExpiring(ctx context.Context) (int, error) {
	ds, err := s.dueReservations(ctx, `SELECT merchant_id, id FROM payments
		WHERE status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED') AND expiry_warned_at IS NULL AND capture_before < $1
		ORDER BY capture_before LIMIT 500`, s.now().UTC().Add(s.warnBefore))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		var out Payment
		err := s.change(ctx, d.MerchantID, d.ID, func(tx *sqlx.Tx, p *Payment) (string, string, error) {
			if p.ExpiryWarnedAt != nil || (p.Status != StatusAuthorized && p.Status != StatusPartiallyCaptured) {
				return "", "", nil
			}
			now := s.now().UTC()
			p.ExpiryWarnedAt = &now
			for _, notify := range s.expiring {
				if err := notify(ctx, tx, *p); err != nil {
					return "", "", err
				}
			}
			s.log.InfoContext(ctx, "reservation expires soon", "payment_id", p.ID, "merchant_id", p.MerchantID, "capture_before", p.CaptureBefore)
			n++
			return "reservation.expiring", "", nil
		}, &out)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ExpireLapsed marks reservations past their captureBefore expired.
func (s *Service) ExpireLapsed(ctx context.Context) (int, error) {
	now := s.now().UTC()
	ds, err := s.dueReservations(ctx, `SELECT merchant_id, id FROM payments
		WHERE status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED') AND NOT expired AND capture_before <= $1
		ORDER BY capture_before LIMIT 500`, now)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		var out Payment
		err := s.change(ctx, d.MerchantID, d.ID, func(tx *sqlx.Tx, p *Payment) (string, string, error) {
			if p.Expired || p.CaptureBefore == nil || p.CaptureBefore.After(now) {
				return "", "", nil
			}
			var pending int
			if err := tx.GetContext(ctx, &pending, `SELECT count(*) FROM payment_operations WHERE payment_id = $1 AND status = 'PENDING' AND kind = 'CAPTURE'`, p.ID); err != nil {
				return "", "", err
			}
			if pending > 0 {
				return "", "", nil // a capture's outcome is still unknown
			}
			p.Expired = true
			n++
			return "payment.expired", "reservation lapsed", nil
		}, &out)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
