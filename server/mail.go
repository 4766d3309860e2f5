package server

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/audit"
	"kassa/db"
	"kassa/mailer"
)

// reportUndeliverable puts each email the mailer gives up on into its
// merchant's audit trail, so the merchant sees that a customer or invitee
// never got it (the mutation that queued it had answered success). The
// entry names the template and the recipient's domain, never the address.
func reportUndeliverable(m *mailer.Mailer, d *db.DB, trail *audit.Log) {
	m.OnUndeliverable(func(ctx context.Context, u mailer.Undeliverable) error {
		if u.MerchantID.UUID == uuid.Nil {
			return nil
		}
		return d.InTenant(ctx, u.MerchantID, func(tx *sqlx.Tx) error {
			return trail.RecordTx(ctx, tx, u.MerchantID, audit.Event{
				Action: audit.ActionEmailUndeliverable,
				Detail: fmt.Sprintf("%s email to a recipient at %s not delivered: %s", u.Kind, u.Domain, u.Reason),
			})
		})
	})
}
