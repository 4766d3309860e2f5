package checkout

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/orders"
	"kassa/payments"
	"kassa/webhooks/egress"
)

// Placeholder in a successUrl or cancelUrl is replaced by the checkout's
// public id; a successUrl without it gets ?checkout_id=… appended.
const Placeholder = "{CHECKOUT_ID}"

// DefaultTTL is how long a checkout stays open unless the shop says.
const DefaultTTL = time.Hour

// MaxTTL is the longest a checkout may stay open.
const MaxTTL = 7 * 24 * time.Hour

// MinTTL is the shortest.
const MinTTL = 5 * time.Minute

// Status of a checkout.
type Status string

// The states of a checkout.
const (
	StatusOpen     Status = "OPEN"
	StatusComplete Status = "COMPLETE"
	StatusExpired  Status = "EXPIRED"
)

// Checkout is a webshop checkout.
type Checkout struct {
	MerchantID      gid.MerchantID `db:"merchant_id"`
	ID              uuid.UUID      `db:"id"`
	OrderID         uuid.UUID      `db:"order_id"`
	LinkID          uuid.UUID      `db:"payment_link_id"`
	SuccessURL      string         `db:"success_url"`
	CancelURL       string         `db:"cancel_url"`
	ExpiresAt       time.Time      `db:"expires_at"`
	CreatedByUser   *uuid.UUID     `db:"created_by_user"`
	CreatedByAPIKey *uuid.UUID     `db:"created_by_api_key"`
	CreatedAt       time.Time      `db:"created_at"`

	// From the link (package orders), for the status and the URL.
	LinkToken  string            `db:"-"`
	LinkStatus orders.LinkStatus `db:"-"`
	// CompletedAt is when the payment settled (the link was paid).
	CompletedAt *time.Time `db:"-"`
}

const columns = `c.merchant_id, c.id, c.order_id, c.payment_link_id, c.success_url, c.cancel_url, c.expires_at,
	c.created_by_user, c.created_by_api_key, c.created_at`

const from = ` FROM checkouts c`

// withLinks fills in each checkout's link, read in tx, and keeps the
// checkouts whose link it finds (every one: a foreign key holds it).
func (s *Service) withLinks(ctx context.Context, tx *sqlx.Tx, cs []Checkout) ([]Checkout, error) {
	if len(cs) == 0 {
		return cs, nil
	}
	ids := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		ids[i] = c.LinkID
	}
	links, err := s.cfg.Orders.LinksByIDTx(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		l, ok := links[c.LinkID]
		if !ok || l.MerchantID != c.MerchantID {
			continue
		}
		c.LinkToken, c.LinkStatus, c.CompletedAt = l.Token, l.Status, l.PaidAt
		out = append(out, c)
	}
	return out, nil
}

// oneWithLink is withLinks for a single checkout read by get; ok is false
// when there is none.
func (s *Service) oneWithLink(ctx context.Context, tx *sqlx.Tx, get func(c *Checkout) error) (Checkout, bool, error) {
	var c Checkout
	if err := get(&c); err != nil {
		if db.IsNoRows(err) {
			return c, false, nil
		}
		return c, false, err
	}
	cs, err := s.withLinks(ctx, tx, []Checkout{c})
	if err != nil || len(cs) == 0 {
		return Checkout{}, false, err
	}
	return cs[0], true, nil
}

// Status is the checkout's status at now.
func (c *Checkout) Status(now time.Time) Status {
	switch c.LinkStatus {
	case orders.LinkPaid:
		return StatusComplete
	case orders.LinkExpired, orders.LinkDeactivated:
		return StatusExpired
	}
	if !now.Before(c.ExpiresAt) {
		return StatusExpired
	}
	return StatusOpen
}

// SuccessRedirect is where the shopper goes after paying.
func (c *Checkout) SuccessRedirect() string {
	return withID(c.SuccessURL, gid.Encode(gid.Checkout, c.ID), true)
}

// CancelRedirect is where the shopper goes on giving up.
func (c *Checkout) CancelRedirect() string {
	return withID(c.CancelURL, gid.Encode(gid.Checkout, c.ID), false)
}

func withID(raw, id string, appendIfMissing bool) string {
	if strings.Contains(raw, Placeholder) {
		return strings.ReplaceAll(raw, Placeholder, id)
	}
	if !appendIfMissing {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set("checkout_id", id)
	u.RawQuery = q.Encode()
	return u.String()
}

// Config configures the service.
type Config struct {
	DB        *db.DB
	Orders    *orders.Service
	PublicURL string
	Now       func() time.Time
}

// Service is the checkout domain.
type Service struct {
	cfg Config
	db  *db.DB
	now func() time.Time
}

// NewService returns the service.
func NewService(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, db: cfg.DB, now: cfg.Now}
}

// URL is where the shop sends the shopper: the hosted payment page.
func (s *Service) URL(c Checkout) string { return s.cfg.PublicURL + "/pay/" + c.LinkToken }

// New is what Create takes.
type New struct {
	Lines       []orders.LineInput
	Currency    string
	Customer    orders.Customer
	CaptureMode payments.CaptureMode
	Reference   string
	SuccessURL  string
	CancelURL   string
	// ExpiresAt is when the checkout closes; nil: in an hour.
	ExpiresAt *time.Time
}

// checkReturnURL accepts an absolute http(s) URL the browser goes to (no
// request of kassa's goes there, so any host is allowed; a javascript: or
// data: URL is not).
func checkReturnURL(field, raw string) (string, error) {
	probe := strings.ReplaceAll(raw, Placeholder, "CHECKOUT_ID")
	if _, err := egress.ParseURL(field, probe, true); err != nil {
		return "", err
	}
	return strings.TrimSpace(raw), nil
}

// Create makes a checkout: the order and its link, in one transaction.
//
// Errors: codes INVALID_URL (successUrl, cancelUrl), INVALID_EXPIRY, and
// those of orders.Service.Create (lines, currency, customer, reference,
// capture mode).
func (s *Service) Create(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, n New) (Checkout, error) {
	success, err := checkReturnURL("successUrl", n.SuccessURL)
	if err != nil {
		return Checkout{}, err
	}
	cancel, err := checkReturnURL("cancelUrl", n.CancelURL)
	if err != nil {
		return Checkout{}, err
	}
	now := s.now().UTC()
	exp := now.Add(DefaultTTL)
	if n.ExpiresAt != nil {
		exp = n.ExpiresAt.UTC()
		if exp.Before(now.Add(MinTTL)) || exp.After(now.Add(MaxTTL)) {
			return Checkout{}, fault.Invalid("expiresAt", fault.ErrInvalidExpiry, "expiresAt must be between 5 minutes and 7 days from now")
		}
	}
	c := Checkout{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), SuccessURL: success, CancelURL: cancel, ExpiresAt: exp,
		CreatedByUser: actor.UserID, CreatedByAPIKey: actor.APIKeyID, CreatedAt: now}
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		o, l, err := s.cfg.Orders.NewCheckoutOrderTx(ctx, tx, actor, merchantID, orders.NewOrder{
			Customer: n.Customer, Lines: n.Lines, Currency: n.Currency, Reference: n.Reference, CaptureMode: n.CaptureMode,
		}, exp)
		if err != nil {
			return err
		}
		c.OrderID, c.LinkID, c.LinkToken, c.LinkStatus = o.ID, l.ID, l.Token, l.Status
		_, err = tx.ExecContext(ctx, `
			INSERT INTO checkouts (merchant_id, id, order_id, payment_link_id, success_url, cancel_url, expires_at, created_by_user, created_by_api_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			c.MerchantID, c.ID, c.OrderID, c.LinkID, c.SuccessURL, c.CancelURL, c.ExpiresAt, c.CreatedByUser, c.CreatedByAPIKey, c.CreatedAt)
		return err
	})
	if err != nil {
		return Checkout{}, err
	}
	return c, nil
}

// Get returns a checkout.
//
// Errors: fault.ErrNotFound.
func (s *Service) Get(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Checkout, error) {
	m, err := s.ByIDs(ctx, merchantID, []uuid.UUID{id})
	if err != nil {
		return Checkout{}, err
	}
	c, ok := m[id]
	if !ok {
		return c, fault.NotFound("checkout")
	}
	return c, nil
}

// ByIDs loads checkouts by id.
func (s *Service) ByIDs(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Checkout, error) {
	return s.by(ctx, merchantID, "c.id", ids, func(c Checkout) uuid.UUID { return c.ID })
}

// ByOrders loads the checkouts of orders, keyed by order id.
func (s *Service) ByOrders(ctx context.Context, merchantID gid.MerchantID, orderIDs []uuid.UUID) (map[uuid.UUID]Checkout, error) {
	return s.by(ctx, merchantID, "c.order_id", orderIDs, func(c Checkout) uuid.UUID { return c.OrderID })
}

func (s *Service) by(ctx context.Context, merchantID gid.MerchantID, col string, ids []uuid.UUID, key func(Checkout) uuid.UUID) (map[uuid.UUID]Checkout, error) {
	var cs []Checkout
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q, args, err := sqlx.In(`SELECT `+columns+from+` WHERE `+col+` IN (?)`, ids)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &cs, tx.Rebind(q), args...); err != nil {
			return err
		}
		cs, err = s.withLinks(ctx, tx, cs)
		return err
	})
	out := make(map[uuid.UUID]Checkout, len(cs))
	for _, c := range cs {
		out[key(c)] = c
	}
	return out, err
}

// ByOrderTx finds the checkout of an order in the caller's transaction;
// ok is false when the order is not a checkout's.
func (s *Service) ByOrderTx(ctx context.Context, tx *sqlx.Tx, orderID uuid.UUID) (Checkout, bool, error) {
	return s.oneWithLink(ctx, tx, func(c *Checkout) error {
		return tx.GetContext(ctx, c, `SELECT `+columns+from+` WHERE c.order_id = $1`, orderID)
	})
}

// ByLink finds the checkout a payment link belongs to (for the payment
// page); ok is false when the link is not a checkout's.
func (s *Service) ByLink(ctx context.Context, l orders.Link) (Checkout, bool, error) {
	if l.Kind != orders.LinkCheckout {
		return Checkout{}, false, nil
	}
	var c Checkout
	var ok bool
	err := s.db.InTenant(ctx, l.MerchantID, func(tx *sqlx.Tx) error {
		var err error
		c, ok, err = s.oneWithLink(ctx, tx, func(c *Checkout) error {
			return tx.GetContext(ctx, c, `SELECT `+columns+from+` WHERE c.payment_link_id = $1`, l.ID)
		})
		return err
	})
	return c, ok, err
}

// Expire closes an open checkout at once (the shop's cart changed, say):
// its order is cancelled and its link stops taking payments.
//
// Errors: fault.ErrNotFound; code CHECKOUT_COMPLETE.
func (s *Service) Expire(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, id uuid.UUID) (Checkout, error) {
	c, err := s.Get(ctx, merchantID, id)
	if err != nil {
		return c, err
	}
	complete := fault.Invalid("checkoutId", ErrCheckoutComplete, "the checkout was paid; refund the payment instead")
	if c.Status(s.now()) == StatusComplete {
		return c, complete
	}
	if c.LinkStatus == orders.LinkDeactivated || c.LinkStatus == orders.LinkExpired {
		return c, nil // closed already
	}
	if _, err := s.cfg.Orders.Cancel(ctx, actor, merchantID, c.OrderID); err != nil {
		if errors.Is(err, orders.ErrOrderNotCancellable) {
			return c, complete
		}
		return c, err
	}
	return s.Get(ctx, merchantID, id)
}
