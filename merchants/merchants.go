package merchants

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/audit"
	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
)

// Merchant is a tenant.
type Merchant struct {
	ID              gid.MerchantID `db:"id"`
	Name            string         `db:"name"`
	DefaultCurrency string         `db:"default_currency"`
	TimeZone        string         `db:"time_zone"`
	Locale          string         `db:"locale"`
	CreatedAt       time.Time      `db:"created_at"`
	// What receipts and invoices say about the seller; nil until given.
	LegalName          *string `db:"legal_name"`
	OrganisationNumber *string `db:"organisation_number"` // NNNNNN-NNNN
	VATNumber          *string `db:"vat_number"`          // upper case, no spaces
	AddressLine1       *string `db:"address_line1"`
	AddressLine2       *string `db:"address_line2"`
	PostalCode         *string `db:"postal_code"`
	City               *string `db:"city"`
	Country            *string `db:"country"` // ISO 3166-1 alpha-2
}

// Address is a postal address.
type Address struct {
	Line1      string
	Line2      *string
	PostalCode string
	City       string
	Country    string // ISO 3166-1 alpha-2
}

// Address is the merchant's postal address, or nil when none is given.
func (m Merchant) Address() *Address {
	if m.AddressLine1 == nil || m.PostalCode == nil || m.City == nil || m.Country == nil {
		return nil
	}
	return &Address{Line1: *m.AddressLine1, Line2: m.AddressLine2, PostalCode: *m.PostalCode, City: *m.City, Country: *m.Country}
}

const columns = `id, name, default_currency, time_zone, locale, created_at,
	legal_name, organisation_number, vat_number, address_line1, address_line2, postal_code, city, country`

// Service is the merchants domain.
type Service struct {
	db    *db.DB
	auth  *auth.Service
	audit *audit.Log // nil: changes are not on the trail (set by UseAudit)
}

// NewService returns a service on d.
func NewService(d *db.DB, a *auth.Service) *Service { return &Service{db: d, auth: a} }

// UseAudit puts changes of the merchant's details on trail, which is built
// after the merchants (it reads payments). Call it before serving.
func (s *Service) UseAudit(trail *audit.Log) { s.audit = trail }

// NewMerchant is what Create takes.
type NewMerchant struct {
	Name          string
	OwnerEmail    string
	OwnerName     string
	OwnerPassword string
}

// Created is a new merchant with its owner and first API key.
type Created struct {
	Merchant Merchant
	Owner    auth.User
	APIKey   auth.APIKey
	Secret   string // the API key's secret, shown once
}

// Create makes a merchant, its owner and a first API key, all or nothing.
//
// Errors: codes INVALID_NAME, and those of auth.Service.CreateUser.
func (s *Service) Create(ctx context.Context, in NewMerchant) (Created, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 || strings.ContainsAny(in.Name, "\r\n") {
		return Created{}, fault.Invalid("name", fault.ErrInvalidName, "name must be 1 to 200 characters on one line")
	}
	owner := auth.NewUser{Email: in.OwnerEmail, Name: in.OwnerName, Role: auth.RoleOwner, Password: in.OwnerPassword}
	if err := auth.ValidateEmail(strings.TrimSpace(owner.Email)); err != nil {
		return Created{}, err
	}
	if n := utf8.RuneCountInString(owner.Password); n < 10 || len(owner.Password) > 200 {
		return Created{}, fault.Invalid("ownerPassword", auth.ErrWeakPassword, "password must be 10 to 200 characters")
	}
	hash, err := auth.HashPassword(owner.Password)
	if err != nil {
		return Created{}, err
	}
	owner.Email = strings.TrimSpace(owner.Email)
	var c Created
	c.Merchant = Merchant{ID: gid.Of[gid.MerchantID](uuid.Must(uuid.NewV7())), Name: in.Name, DefaultCurrency: "SEK", TimeZone: "Europe/Stockholm", Locale: "sv"}
	err = s.db.InTenant(ctx, c.Merchant.ID, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &c.Merchant, `
			INSERT INTO merchants (id, name, default_currency, time_zone, locale) VALUES ($1, $2, $3, $4, $5)
			RETURNING `+columns, c.Merchant.ID, c.Merchant.Name, c.Merchant.DefaultCurrency, c.Merchant.TimeZone, c.Merchant.Locale); err != nil {
			return err
		}
		var err error
		if c.Owner, err = s.auth.CreateUserTx(ctx, tx, c.Merchant.ID, owner, hash, nil); err != nil {
			return err
		}
		c.APIKey, c.Secret, err = s.auth.CreateAPIKeyTx(ctx, tx, c.Merchant.ID, "Default key", &c.Owner.ID)
		return err
	})
	if err != nil {
		return Created{}, err
	}
	return c, nil
}

// Get returns the merchant.
//
// Errors: fault.ErrNotFound.
func (s *Service) Get(ctx context.Context, id gid.MerchantID) (Merchant, error) {
	var m Merchant
	err := s.db.InTenant(ctx, id, func(tx *sqlx.Tx) error {
		var err error
		m, err = GetTx(ctx, tx, id)
		return err
	})
	return m, err
}

// GetTx is Get in the caller's transaction, for the packages that show the
// merchant's name or work in its time zone inside their own change.
//
// Errors: fault.ErrNotFound.
func GetTx(ctx context.Context, tx *sqlx.Tx, id gid.MerchantID) (Merchant, error) {
	var m Merchant
	err := tx.GetContext(ctx, &m, `SELECT `+columns+` FROM merchants WHERE id = $1`, id)
	if db.IsNoRows(err) {
		return m, fault.NotFound("merchant")
	}
	return m, err
}

// CurrentTx returns the merchant that the tenant transaction tx acts for
// (its kassa.merchant_id).
//
// Errors: fault.ErrNotFound, also when tx acts for no merchant.
func CurrentTx(ctx context.Context, tx *sqlx.Tx) (Merchant, error) {
	var m Merchant
	err := tx.GetContext(ctx, &m, `SELECT `+columns+` FROM merchants WHERE id = kassa_current_merchant()`)
	if db.IsNoRows(err) {
		return m, fault.NotFound("merchant")
	}
	return m, err
}

// ProfileTx is what auth shows of the merchant (auth.Merchants): in the
// invitation email and on the page that accepts it.
//
// Errors: fault.ErrNotFound.
func (s *Service) ProfileTx(ctx context.Context, tx *sqlx.Tx, id gid.MerchantID) (auth.MerchantProfile, error) {
	m, err := GetTx(ctx, tx, id)
	return auth.MerchantProfile{Name: m.Name, Locale: m.Locale, TimeZone: m.TimeZone}, err
}

// LockTx takes the merchant's row lock in tx (auth.Merchants): the changes
// that may remove its last owner serialize on it. NO KEY UPDATE leaves
// foreign-key checks of rows that refer to the merchant unblocked.
func (s *Service) LockTx(ctx context.Context, tx *sqlx.Tx, id gid.MerchantID) error {
	_, err := tx.ExecContext(ctx, `SELECT 1 FROM merchants WHERE id = $1 FOR NO KEY UPDATE`, id)
	return err
}

// FindByName returns the first merchant with name, across tenants (for the
// operator's CLI, e.g. the demo merchant).
//
// Errors: fault.ErrNotFound.
func (s *Service) FindByName(ctx context.Context, name string) (Merchant, error) {
	var m Merchant
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &m, `SELECT `+columns+` FROM merchants WHERE name = $1 ORDER BY id LIMIT 1`, name)
	})
	if db.IsNoRows(err) {
		return m, fault.NotFound("merchant")
	}
	return m, err
}
