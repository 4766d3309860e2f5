package mailer

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/gid"
)

// The email log (table sent_emails): a row per email sent for a merchant,
// written in the transaction that enqueues it (so it exists if and only if
// the email will be sent), moved to SENT or FAILED by the delivery job. It
// keeps the recipient, template and subject, never the body.

// SentStatus is where an email in the log stands.
type SentStatus string

const (
	// SentQueued means enqueued, not yet accepted by the mail server (or being
	// retried while it is down).
	SentQueued SentStatus = "QUEUED"
	// SentSent means accepted by the mail server (or written to a file).
	SentSent SentStatus = "SENT"
	// SentFailed means given up on; it can never be delivered as it is.
	SentFailed SentStatus = "FAILED"
)

// SentEmail is one email in the log.
type SentEmail struct {
	MerchantID gid.MerchantID `db:"merchant_id"`
	ID         uuid.UUID      `db:"id"`
	MessageID  string         `db:"message_id"`
	Kind       string         `db:"kind"`
	Recipient  string         `db:"recipient"`
	Subject    string         `db:"subject"`
	Status     SentStatus     `db:"status"`
	// Failure says why a FAILED email was given up on, in words fit for
	// the merchant.
	Failure  *string    `db:"failure"`
	QueuedAt time.Time  `db:"queued_at"`
	SentAt   *time.Time `db:"sent_at"`
	FailedAt *time.Time `db:"failed_at"`
}

const sentColumns = `merchant_id, id, message_id, kind, recipient, subject, status, failure, queued_at, sent_at, failed_at`

// logQueuedTx writes msg to its merchant's log in tx. An email sent for no
// merchant is not logged; nor is one enqueued in a transaction of another
// merchant (row-level security would refuse the row, and the log must
// never fail the change that sends the email).
func logQueuedTx(ctx context.Context, tx *sqlx.Tx, msg Message) error {
	if msg.MerchantID.UUID == uuid.Nil {
		return nil
	}
	subject := oneLine(msg.Subject)
	if utf8.RuneCountInString(subject) > 300 {
		subject = string([]rune(subject)[:300])
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO sent_emails (merchant_id, id, message_id, kind, recipient, recipient_key, subject)
		SELECT $1, $2, $3, $4, $5, lower($5), $6
		WHERE kassa_current_merchant() IS NULL OR kassa_current_merchant() = $1
		ON CONFLICT ON CONSTRAINT sent_emails_message_key DO NOTHING`,
		msg.MerchantID, uuid.Must(uuid.NewV7()), msg.MessageID, msg.Kind, msg.To, subject)
	return err
}

// logOutcome records what became of msg (SENT or FAILED with why).
func (m *Mailer) logOutcome(ctx context.Context, msg Message, status SentStatus, failure string) error {
	if m.cfg.DB == nil || msg.MerchantID.UUID == uuid.Nil {
		return nil
	}
	return m.cfg.DB.InTenant(ctx, msg.MerchantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE sent_emails SET status = $2,
			  sent_at = CASE WHEN $2 = 'SENT' THEN now() END,
			  failed_at = CASE WHEN $2 = 'FAILED' THEN now() END,
			  failure = nullif($3, '')
			WHERE merchant_id = $4 AND message_id = $1`, msg.MessageID, string(status), failure, msg.MerchantID)
		return err
	})
}

// SentToTx lists the emails logged for an address (compared without case)
// in the caller's transaction of the merchant, newest first.
func SentToTx(ctx context.Context, tx *sqlx.Tx, address string, page db.Page) ([]SentEmail, bool, error) {
	var out []SentEmail
	err := tx.SelectContext(ctx, &out, `SELECT `+sentColumns+` FROM sent_emails
		WHERE recipient_key = lower($1) AND id < $2 ORDER BY id DESC LIMIT $3`, address, page.AfterOrMax(), page.Fetch())
	out, more := db.Trim(page, out)
	return out, more, err
}
