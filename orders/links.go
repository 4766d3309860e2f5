package orders

import (
	"context"
	"crypto/rand"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/money"
	"kassa/payments"
)

// LinkKind is what a payment link pays for.
type LinkKind string

// The kinds of payment link.
const (
	LinkOrder    LinkKind = "ORDER"    // an order confirmation; single use
	LinkAmount   LinkKind = "AMOUNT"   // a free amount; single use
	LinkReusable LinkKind = "REUSABLE" // a fixed product or amount; each payment makes its own order
)

// LinkStatus is a link's state.
type LinkStatus string

// The states of a payment link.
const (
	LinkActive      LinkStatus = "ACTIVE"
	LinkPaid        LinkStatus = "PAID"
	LinkExpired     LinkStatus = "EXPIRED"
	LinkDeactivated LinkStatus = "DEACTIVATED"
)

// Link is a payment link.
type Link struct {
	MerchantID      gid.MerchantID       `db:"merchant_id"`
	ID              uuid.UUID            `db:"id"`
	Token           string               `db:"token"`
	Kind            LinkKind             `db:"kind"`
	Status          LinkStatus           `db:"status"`
	OrderID         *uuid.UUID           `db:"order_id"`
	ConfirmationID  *uuid.UUID           `db:"confirmation_id"`
	Amount          int64                `db:"amount"`
	Currency        string               `db:"currency"`
	VATRate         int                  `db:"vat_rate"`
	Description     string               `db:"description"`
	CustomerEmail   *string              `db:"customer_email"`
	CaptureMode     payments.CaptureMode `db:"capture_mode"`
	SaveMandate     bool                 `db:"save_mandate"` // the payment stores the card for later charges
	ExpiresAt       *time.Time           `db:"expires_at"`
	Views           int                  `db:"views"`
	Attempts        int                  `db:"attempts"`
	PaidAt          *time.Time           `db:"paid_at"`
	DeactivatedAt   *time.Time           `db:"deactivated_at"`
	CreatedByUser   *uuid.UUID           `db:"created_by_user"`
	CreatedByAPIKey *uuid.UUID           `db:"created_by_api_key"`
	CreatedAt       time.Time            `db:"created_at"`
}

const linkColumns = `merchant_id, id, token, kind, status, order_id, confirmation_id, amount, currency, vat_rate, description,
	customer_email, capture_mode, save_mandate, expires_at, views, attempts, paid_at, deactivated_at, created_by_user, created_by_api_key, created_at`

// EffectiveStatus is the status as of now: an ACTIVE link past its expiry
// is EXPIRED even before a sweep says so.
func (l *Link) EffectiveStatus(now time.Time) LinkStatus {
	if l.Status == LinkActive && l.ExpiresAt != nil && !now.Before(*l.ExpiresAt) {
		return LinkExpired
	}
	return l.Status
}

// URL is where the customer pays.
func (s *Service) URL(l Link) string { return s.cfg.PublicURL + "/pay/" + l.Token }

// LinkStatus is l's status as of the service's clock (see
// Link.EffectiveStatus): the one answer to whether a link has expired,
// for pages and the API alike.
func (s *Service) LinkStatus(l Link) LinkStatus { return l.EffectiveStatus(s.now()) }

// newLinkToken returns a link's token: 130 random bits, URL-safe
// (crypto/rand.Text). Links sent before have 32-character base64url
// tokens; LinkByToken accepts both lengths.
func newLinkToken() string { return rand.Text() }

// DefaultLinkTTL is how long a link for an order confirmation stays valid.
const DefaultLinkTTL = 14 * 24 * time.Hour

// NewLink is what CreateLink takes.
type NewLink struct {
	Amount        int64
	Currency      string // default SEK
	Description   string
	VATRate       *int // default 2500
	CustomerEmail string
	ExpiresAt     *time.Time
	Reusable      bool
	CaptureMode   payments.CaptureMode // default IMMEDIATE
}

// CreateLink makes a link for a free amount (with an order to hold it), or
// a reusable link for a fixed product.
//
// Errors: codes INVALID_AMOUNT, AMOUNT_TOO_LARGE, INVALID_CURRENCY,
// INVALID_DESCRIPTION, INVALID_VAT_RATE, INVALID_EMAIL, INVALID_EXPIRY,
// INVALID_CAPTURE_MODE.
func (s *Service) CreateLink(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, salespersonEmail string, n NewLink) (Link, error) {
	if n.Currency == "" {
		n.Currency = "SEK"
	}
	if n.CaptureMode == "" {
		n.CaptureMode = payments.CaptureImmediate
	}
	rate := 2500
	if n.VATRate != nil {
		rate = *n.VATRate
	}
	if err := money.Check("amount", "currency", money.Money{Amount: n.Amount, Currency: n.Currency}); err != nil {
		return Link{}, err
	}
	n.Description = strings.TrimSpace(n.Description)
	if n.Description == "" || utf8.RuneCountInString(n.Description) > 500 || strings.ContainsAny(n.Description, "\r\n") {
		return Link{}, fault.Invalid("description", fault.ErrInvalidDescription, "description must be 1 to 500 characters on one line")
	}
	if !validRate(rate) {
		return Link{}, fault.Invalid("vatRate", fault.ErrInvalidVATRate, "VAT rate must be one of 2500, 1200, 600, 0 (basis points)")
	}
	n.CustomerEmail = strings.TrimSpace(n.CustomerEmail)
	if n.CustomerEmail != "" {
		if err := auth.ValidateEmail(n.CustomerEmail); err != nil {
			return Link{}, fault.Invalid("customerEmail", fault.ErrInvalidEmail, "customerEmail is not a valid address")
		}
	}
	now := s.now().UTC()
	if n.ExpiresAt != nil && !n.ExpiresAt.After(now) {
		return Link{}, fault.Invalid("expiresAt", fault.ErrInvalidExpiry, "expiresAt must be in the future")
	}
	if !n.CaptureMode.Valid() {
		return Link{}, fault.Invalid("captureMode", payments.ErrInvalidCaptureMode, "captureMode must be IMMEDIATE or RESERVE")
	}
	l := Link{
		MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), Token: newLinkToken(), Kind: LinkAmount, Status: LinkActive,
		Amount: n.Amount, Currency: n.Currency, VATRate: rate, Description: n.Description, CustomerEmail: strPtr(n.CustomerEmail),
		CaptureMode: n.CaptureMode, ExpiresAt: n.ExpiresAt, CreatedByUser: actor.UserID, CreatedByAPIKey: actor.APIKeyID, CreatedAt: now,
	}
	if n.Reusable {
		l.Kind = LinkReusable
	}
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if l.Kind == LinkAmount {
			o, err := s.orderForLink(ctx, tx, l, actor, salespersonEmail)
			if err != nil {
				return err
			}
			l.OrderID = &o.ID
		}
		return insertLink(ctx, tx, l)
	})
	if err != nil {
		return Link{}, err
	}
	return l, nil
}

// orderForLink makes the order a payment through l pays for.
func (s *Service) orderForLink(ctx context.Context, tx *sqlx.Tx, l Link, actor payments.Actor, salespersonEmail string) (Order, error) {
	n := NewOrder{
		Customer:    Customer{Email: deref(l.CustomerEmail), Locale: "sv"},
		Lines:       []LineInput{{Description: l.Description, Quantity: 1, UnitPrice: l.Amount, VATRate: l.VATRate}},
		Currency:    l.Currency,
		CaptureMode: l.CaptureMode,
	}
	lines, tot, err := n.normalize()
	if err != nil {
		return Order{}, err
	}
	o, err := s.CreateTx(ctx, tx, actor, l.MerchantID, salespersonEmail, n, lines, tot)
	if err != nil {
		return o, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE orders SET status = 'CONFIRMATION_SENT' WHERE id = $1`, o.ID)
	o.Status = StatusConfirmationSent
	return o, err
}

func insertLink(ctx context.Context, tx *sqlx.Tx, l Link) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO payment_links (merchant_id, id, token, kind, status, order_id, confirmation_id, amount, currency, vat_rate,
		  description, customer_email, capture_mode, expires_at, created_by_user, created_by_api_key, created_at, save_mandate)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		l.MerchantID, l.ID, l.Token, l.Kind, l.Status, l.OrderID, l.ConfirmationID, l.Amount, l.Currency, l.VATRate,
		l.Description, l.CustomerEmail, l.CaptureMode, l.ExpiresAt, l.CreatedByUser, l.CreatedByAPIKey, l.CreatedAt, l.SaveMandate)
	return err
}

// DeactivateLink stops a link from taking payments.
//
// Errors: fault.ErrNotFound; code LINK_ALREADY_PAID.
func (s *Service) DeactivateLink(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Link, error) {
	var l Link
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &l, `SELECT `+linkColumns+` FROM payment_links WHERE id = $1 FOR UPDATE`, id); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("payment link")
			}
			return err
		}
		if l.Status == LinkPaid {
			return fault.Invalid("paymentLinkId", ErrLinkAlreadyPaid, "the link was paid; refund the payment instead")
		}
		if l.Status == LinkDeactivated {
			return nil
		}
		now := s.now().UTC()
		l.Status, l.DeactivatedAt = LinkDeactivated, &now
		_, err := tx.ExecContext(ctx, `UPDATE payment_links SET status = 'DEACTIVATED', deactivated_at = $2 WHERE id = $1`, id, now)
		return err
	})
	return l, err
}

func (s *Service) deactivateOrderLinks(ctx context.Context, tx *sqlx.Tx, orderID uuid.UUID) error {
	return s.DeactivateOrderLinksTx(ctx, tx, orderID, s.now().UTC())
}

// DeactivateOrderLinksTx stops, in tx, the order's active links from taking
// payments, as deactivated at at.
func (s *Service) DeactivateOrderLinksTx(ctx context.Context, tx *sqlx.Tx, orderID uuid.UUID, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE payment_links SET status = 'DEACTIVATED', deactivated_at = $2 WHERE order_id = $1 AND status = 'ACTIVE'`,
		orderID, at)
	return err
}

// ActiveLinkURLTx returns, read in tx, the URL of the order's newest active
// link.
//
// Errors: sql.ErrNoRows when the order has no active link.
func (s *Service) ActiveLinkURLTx(ctx context.Context, tx *sqlx.Tx, orderID uuid.UUID) (string, error) {
	var token string
	if err := tx.GetContext(ctx, &token, `SELECT token FROM payment_links WHERE order_id = $1 AND status = 'ACTIVE' ORDER BY id DESC LIMIT 1`, orderID); err != nil {
		return "", err
	}
	return s.LinkURL(token), nil
}

// Links lists payment links, newest first.
func (s *Service) Links(ctx context.Context, merchantID gid.MerchantID, statuses []LinkStatus, page db.Page) ([]Link, bool, error) {
	var ls []Link
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if len(statuses) == 0 {
			return tx.SelectContext(ctx, &ls, `SELECT `+linkColumns+` FROM payment_links WHERE id < $1 ORDER BY id DESC LIMIT $2`, page.AfterOrMax(), page.Fetch())
		}
		ss := make([]string, len(statuses))
		for i, st := range statuses {
			ss[i] = string(st)
		}
		return db.SelectIn(ctx, tx, &ls, `SELECT `+linkColumns+` FROM payment_links WHERE id < ? AND status IN (?) ORDER BY id DESC LIMIT ?`, page.AfterOrMax(), ss, page.Fetch())
	})
	ls, more := db.Trim(page, ls)
	return ls, more, err
}

// LinksByID loads links by id.
func (s *Service) LinksByID(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Link, error) {
	var out map[uuid.UUID]Link
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var err error
		out, err = s.LinksByIDTx(ctx, tx, ids)
		return err
	})
	return out, err
}

// LinksByIDTx is LinksByID in the caller's transaction.
func (s *Service) LinksByIDTx(ctx context.Context, tx *sqlx.Tx, ids []uuid.UUID) (map[uuid.UUID]Link, error) {
	var ls []Link
	err := db.SelectIn(ctx, tx, &ls, `SELECT `+linkColumns+` FROM payment_links WHERE id IN (?)`, ids)
	out := make(map[uuid.UUID]Link, len(ls))
	for _, l := range ls {
		out[l.ID] = l
	}
	return out, err
}

// LinkByToken finds a link by its token, across merchants (the customer's
// page knows only the token).
//
// Errors: fault.ErrNotFound.
func (s *Service) LinkByToken(ctx context.Context, token string) (Link, error) {
	var l Link
	if len(token) < 20 || len(token) > 64 {
		return l, fault.NotFound("payment link")
	}
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &l, `SELECT `+linkColumns+` FROM payment_links WHERE token = $1`, token)
	})
	if db.IsNoRows(err) {
		return l, fault.NotFound("payment link")
	}
	return l, err
}

// CountView records that the customer opened the link.
func (s *Service) CountView(ctx context.Context, l Link) error {
	return s.db.InTenant(ctx, l.MerchantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE payment_links SET views = views + 1 WHERE id = $1`, l.ID)
		return err
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
