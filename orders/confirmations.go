package orders

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/payments"
)

// Confirmation is a frozen, versioned order confirmation: what the
// customer was asked to accept.
type Confirmation struct {
	MerchantID        gid.MerchantID  `db:"merchant_id"`
	ID                uuid.UUID       `db:"id"`
	OrderID           uuid.UUID       `db:"order_id"`
	Version           int             `db:"version"`
	Content           json.RawMessage `db:"content"`
	Message           string          `db:"message"`
	CcSalesperson     bool            `db:"cc_salesperson"`
	SentCount         int             `db:"sent_count"`
	LastSentAt        *time.Time      `db:"last_sent_at"`
	AcceptedAt        *time.Time      `db:"accepted_at"`
	AcceptedIP        *string         `db:"accepted_ip"`
	AcceptedUserAgent *string         `db:"accepted_user_agent"`
	CreatedByUser     *uuid.UUID      `db:"created_by_user"`
	CreatedByAPIKey   *uuid.UUID      `db:"created_by_api_key"`
	CreatedAt         time.Time       `db:"created_at"`
}

const confirmationColumns = `merchant_id, id, order_id, version, content, message, cc_salesperson, sent_count, last_sent_at,
	accepted_at, accepted_ip, accepted_user_agent, created_by_user, created_by_api_key, created_at`

// ConfirmationContent is what a confirmation freezes.
type ConfirmationContent struct {
	OrderNumber int64                `json:"orderNumber"`
	Customer    Customer             `json:"customer"`
	Reference   string               `json:"reference"`
	Currency    string               `json:"currency"`
	CaptureMode payments.CaptureMode `json:"captureMode"`
	Lines       []Line               `json:"lines"`
	Totals      Totals               `json:"totals"`
}

// Frozen returns the confirmation's content.
func (c *Confirmation) Frozen() (ConfirmationContent, error) {
	var cc ConfirmationContent
	err := json.Unmarshal(c.Content, &cc)
	return cc, err
}

// SendConfirmation is what SendConfirmation takes.
type SendConfirmation struct {
	OrderID       uuid.UUID
	Message       string
	ExpiresAt     *time.Time // default: 14 days
	CcSalesperson bool
	// SalespersonEmail is the acting user's email (for the copy).
	SalespersonEmail string
}

// SendConfirmation freezes the order as a new confirmation version, makes
// a single-use payment link for it, and queues the email to the customer,
// all in one transaction. Earlier links of the order stop working.
//
// Errors: fault.ErrNotFound; codes ORDER_NOT_EDITABLE, NO_CUSTOMER_EMAIL,
// INVALID_MESSAGE, INVALID_EXPIRY.
func (s *Service) SendConfirmation(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, in SendConfirmation) (Confirmation, Link, error) {
	in.Message = strings.TrimSpace(in.Message)
	if utf8.RuneCountInString(in.Message) > 2000 || strings.ContainsRune(in.Message, 0) {
		return Confirmation{}, Link{}, fault.Invalid("message", ErrInvalidMessage, "message must be at most 2000 characters")
	}
	now := s.now().UTC()
	expires := now.Add(DefaultLinkTTL)
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(now) || in.ExpiresAt.After(now.Add(366*24*time.Hour)) {
			return Confirmation{}, Link{}, fault.Invalid("expiresAt", fault.ErrInvalidExpiry, "expiresAt must be in the future and within a year")
		}
		expires = in.ExpiresAt.UTC()
	}
	var c Confirmation
	var l Link
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		o, err := s.lock(ctx, tx, in.OrderID)
		if err != nil {
			return err
		}
		if !o.Status.Payable() {
			return fault.Invalid("orderId", ErrOrderNotEditable, "a %s order cannot be sent for payment", strings.ToLower(string(o.Status)))
		}
		if o.CustomerEmail == nil {
			return fault.Invalid("orderId", ErrNoCustomerEmail, "the order has no customer email to send the confirmation to")
		}
		content, err := json.Marshal(ConfirmationContent{OrderNumber: o.Number, Customer: o.Customer(), Reference: o.Reference,
			Currency: o.Currency, CaptureMode: o.CaptureMode, Lines: o.Lines, Totals: o.Totals()})
		if err != nil {
			return err
		}
		var version int
		if err := tx.GetContext(ctx, &version, `SELECT coalesce(max(version), 0) + 1 FROM order_confirmations WHERE order_id = $1`, o.ID); err != nil {
			return err
		}
		c = Confirmation{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, Version: version, Content: content,
			Message: in.Message, CcSalesperson: in.CcSalesperson, CreatedByUser: actor.UserID, CreatedByAPIKey: actor.APIKeyID, CreatedAt: now}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO order_confirmations (merchant_id, id, order_id, version, content, message, cc_salesperson, created_by_user, created_by_api_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			c.MerchantID, c.ID, c.OrderID, c.Version, c.Content, c.Message, c.CcSalesperson, c.CreatedByUser, c.CreatedByAPIKey, now); err != nil {
			return err
		}
		if err := s.deactivateOrderLinks(ctx, tx, o.ID); err != nil {
			return err
		}
		l = Link{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), Token: newLinkToken(), Kind: LinkOrder, Status: LinkActive,
			OrderID: &o.ID, ConfirmationID: &c.ID, Amount: o.GrossTotal, Currency: o.Currency, Description: "Order " + itoa(o.Number),
			CustomerEmail: o.CustomerEmail, CaptureMode: o.CaptureMode, ExpiresAt: &expires,
			CreatedByUser: actor.UserID, CreatedByAPIKey: actor.APIKeyID, CreatedAt: now}
		if err := insertLink(ctx, tx, l); err != nil {
			return err
		}
		if o.Status != StatusConfirmationSent {
			o.Status = StatusConfirmationSent
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'CONFIRMATION_SENT', updated_at = $2 WHERE id = $1`, o.ID, now); err != nil {
				return err
			}
		}
		if in.CcSalesperson && in.SalespersonEmail != "" && o.SalespersonEmail == nil {
			o.SalespersonEmail = &in.SalespersonEmail
		}
		if err := s.mailConfirmation(ctx, tx, o, &c, l, in.SalespersonEmail); err != nil {
			return err
		}
		return s.notify(ctx, tx, o)
	})
	return c, l, err
}

// ResendConfirmation sends the same confirmation (same version, same link)
// again.
//
// Errors: fault.ErrNotFound; codes LINK_NOT_ACTIVE, ORDER_NOT_EDITABLE.
func (s *Service) ResendConfirmation(ctx context.Context, merchantID gid.MerchantID, confirmationID uuid.UUID, salespersonEmail string) (Confirmation, Link, error) {
	var c Confirmation
	var l Link
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &c, `SELECT `+confirmationColumns+` FROM order_confirmations WHERE id = $1 FOR UPDATE`, confirmationID); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("order confirmation")
			}
			return err
		}
		o, err := s.lock(ctx, tx, c.OrderID)
		if err != nil {
			return err
		}
		if !o.Status.Payable() {
			return fault.Invalid("confirmationId", ErrOrderNotEditable, "the order is %s", strings.ToLower(string(o.Status)))
		}
		if err := tx.GetContext(ctx, &l, `SELECT `+linkColumns+` FROM payment_links WHERE confirmation_id = $1 ORDER BY id DESC LIMIT 1`, c.ID); err != nil {
			return err
		}
		if l.EffectiveStatus(s.now()) != LinkActive {
			return fault.Invalid("confirmationId", ErrLinkNotActive, "this confirmation's link is %s: send a new confirmation", strings.ToLower(string(l.EffectiveStatus(s.now()))))
		}
		return s.mailConfirmation(ctx, tx, o, &c, l, salespersonEmail)
	})
	return c, l, err
}

// mailConfirmation queues the confirmation email as frozen in c.
func (s *Service) mailConfirmation(ctx context.Context, tx *sqlx.Tx, o Order, c *Confirmation, l Link, salespersonEmail string) error {
	frozen, err := c.Frozen()
	if err != nil {
		return err
	}
	m, err := s.merchantInfo(ctx, tx)
	if err != nil {
		return err
	}
	shown := o
	shown.Number, shown.CustomerName, shown.Reference, shown.Currency, shown.Lines = frozen.OrderNumber, frozen.Customer.Name, frozen.Reference, frozen.Currency, frozen.Lines
	shown.NetTotal, shown.VATTotal, shown.GrossTotal = frozen.Totals.Net, frozen.Totals.VAT, frozen.Totals.Gross
	locale := frozen.Customer.Locale
	d := s.emailData(m, shown, locale)
	d.Title, d.Message, d.PayURL = "Order "+itoa(o.Number), c.Message, s.URL(l)
	if l.ExpiresAt != nil {
		d.ExpiresAt = formatTime(*l.ExpiresAt, m.TimeZone, locale)
	}
	var cc []string
	if c.CcSalesperson && salespersonEmail != "" {
		cc = []string{salespersonEmail}
	}
	if _, err := s.enqueue(ctx, tx, "order_confirmation", frozen.Customer.Email, frozen.Customer.Name, cc, d); err != nil {
		return err
	}
	now := s.now().UTC()
	c.SentCount++
	c.LastSentAt = &now
	_, err = tx.ExecContext(ctx, `UPDATE order_confirmations SET sent_count = sent_count + 1, last_sent_at = $2 WHERE id = $1`, c.ID, now)
	return err
}

// ConfirmationsByOrders loads the confirmations of orders, oldest first.
func (s *Service) ConfirmationsByOrders(ctx context.Context, merchantID gid.MerchantID, orderIDs []uuid.UUID) (map[uuid.UUID][]Confirmation, error) {
	var cs []Confirmation
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &cs, `SELECT `+confirmationColumns+` FROM order_confirmations WHERE order_id IN (?) ORDER BY version`, orderIDs)
	})
	out := map[uuid.UUID][]Confirmation{}
	for _, c := range cs {
		out[c.OrderID] = append(out[c.OrderID], c)
	}
	return out, err
}

// ConfirmationsByID loads confirmations by id.
func (s *Service) ConfirmationsByID(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Confirmation, error) {
	var cs []Confirmation
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &cs, `SELECT `+confirmationColumns+` FROM order_confirmations WHERE id IN (?)`, ids)
	})
	out := map[uuid.UUID]Confirmation{}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, err
}

// LinksByOrders loads the links of orders, newest first.
func (s *Service) LinksByOrders(ctx context.Context, merchantID gid.MerchantID, orderIDs []uuid.UUID) (map[uuid.UUID][]Link, error) {
	var ls []Link
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &ls, `SELECT `+linkColumns+` FROM payment_links WHERE order_id IN (?) ORDER BY id DESC`, orderIDs)
	})
	out := map[uuid.UUID][]Link{}
	for _, l := range ls {
		out[*l.OrderID] = append(out[*l.OrderID], l)
	}
	return out, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
