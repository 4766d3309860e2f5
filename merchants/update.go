package merchants

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"kassa/audit"
	"kassa/auth"
	"kassa/db"
	"kassa/fault"
)

// Update is a change of the merchant's details. A nil field is left as it
// is; an empty text removes an optional detail (legal name, organisation
// number, VAT number). Address replaces the whole address; an Address
// whose Line1, PostalCode, City and Country are all empty removes it.
type Update struct {
	Name               *string
	LegalName          *string
	OrganisationNumber *string
	VATNumber          *string
	Address            *Address
	TimeZone           *string
	Locale             *string // "sv" or "en"
}

// Who may change the merchant's details: OWNER and ADMIN members and the
// merchant's API keys; SALES members may not.
func mayUpdate(actor *auth.Principal) error {
	if actor == nil {
		return fault.ErrUnauthorized
	}
	return actor.Require(auth.RoleOwner, auth.RoleAdmin)
}

// invalid is err (one of this package's codes) about the input field at
// path.
func invalid(err *fault.Error, message string, path ...string) *fault.Error {
	return &fault.Error{Code: err.Code, Field: append([]string{"input"}, path...), Message: message}
}

// UpdateDetails changes the details of the actor's merchant: all of the
// given fields, or none when one is invalid. The change is on the audit
// trail with who made it and which fields changed.
//
// Errors: fault.ErrForbidden (a SALES member); codes INVALID_NAME,
// INVALID_LEGAL_NAME, INVALID_ORGANISATION_NUMBER, INVALID_VAT_NUMBER,
// INVALID_ADDRESS, INVALID_POSTAL_CODE, INVALID_COUNTRY, INVALID_CITY,
// INVALID_TIME_ZONE, INVALID_LOCALE, each with the field at fault.
func (s *Service) UpdateDetails(ctx context.Context, actor *auth.Principal, u Update) (Merchant, error) {
	if err := mayUpdate(actor); err != nil {
		return Merchant{}, err
	}
	var m Merchant
	err := s.db.InTenant(ctx, actor.MerchantID, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &m, `SELECT `+columns+` FROM merchants WHERE id = $1 FOR UPDATE`, actor.MerchantID); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("merchant")
			}
			return err
		}
		changed, err := apply(&m, u)
		if err != nil || len(changed) == 0 {
			return err
		}
		if err := tx.GetContext(ctx, &m, `
			UPDATE merchants SET name = $2, legal_name = $3, organisation_number = $4, vat_number = $5,
			  address_line1 = $6, address_line2 = $7, postal_code = $8, city = $9, country = $10, time_zone = $11, locale = $12
			WHERE id = $1 RETURNING `+columns,
			m.ID, m.Name, m.LegalName, m.OrganisationNumber, m.VATNumber,
			m.AddressLine1, m.AddressLine2, m.PostalCode, m.City, m.Country, m.TimeZone, m.Locale); err != nil {
			return err
		}
		if s.audit == nil {
			return nil
		}
		ev := audit.Event{Action: audit.ActionMerchantUpdated, Detail: "changed " + strings.Join(changed, ", ")}
		if actor.IsAPIKey() {
			id := actor.CredentialID
			ev.ActorAPIKey = &id
		} else {
			id := actor.UserID
			ev.ActorUser = &id
		}
		return s.audit.RecordTx(ctx, tx, m.ID, ev)
	})
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return Merchant{}, fe
		}
		return Merchant{}, fmt.Errorf("merchants: update: %w", err)
	}
	return m, nil
}

// apply validates u and applies it to m, returning the names (as the API
// spells them) of the fields whose value changed, sorted.
func apply(m *Merchant, u Update) ([]string, error) {
	var changed []string
	set := func(field string, dst *string, v string) {
		if *dst != v {
			*dst = v
			changed = append(changed, field)
		}
	}
	setOpt := func(field string, dst **string, v string) {
		var next *string
		if v != "" {
			next = &v
		}
		if (*dst == nil) != (next == nil) || (next != nil && **dst != *next) {
			*dst = next
			changed = append(changed, field)
		}
	}
	if u.Name != nil {
		n := strings.TrimSpace(*u.Name)
		if !oneLine(n, 200) {
			return nil, fault.Invalid("name", fault.ErrInvalidName, "name must be 1 to 200 characters on one line")
		}
		set("name", &m.Name, n)
	}
	if u.LegalName != nil {
		n := strings.TrimSpace(*u.LegalName)
		if n != "" && !oneLine(n, 200) {
			return nil, fault.Invalid("legalName", ErrInvalidLegalName, "the legal name must be at most 200 characters on one line")
		}
		setOpt("legalName", &m.LegalName, n)
	}
	if u.OrganisationNumber != nil {
		v := strings.TrimSpace(*u.OrganisationNumber)
		if v != "" {
			var err error
			if v, err = NormalizeOrganisationNumber(v); err != nil {
				return nil, invalid(ErrInvalidOrganisationNumber,
					"the organisation number must be ten digits (NNNNNN-NNNN) with a valid check digit", "organisationNumber")
			}
		}
		setOpt("organisationNumber", &m.OrganisationNumber, v)
	}
	if u.VATNumber != nil {
		v := strings.TrimSpace(*u.VATNumber)
		if v != "" {
			var err error
			if v, err = NormalizeVATNumber(v); err != nil {
				return nil, invalid(ErrInvalidVATNumber,
					"the VAT number must be an EU VAT number, for Sweden SE, the organisation number's ten digits and 01 (SE556016068001)", "vatNumber")
			}
		}
		setOpt("vatNumber", &m.VATNumber, v)
	}
	if u.Address != nil {
		a, err := normalizeAddress(*u.Address)
		if err != nil {
			return nil, err
		}
		before := len(changed)
		if a == nil {
			a = &Address{}
		}
		setOpt("", &m.AddressLine1, a.Line1)
		line2 := ""
		if a.Line2 != nil {
			line2 = *a.Line2
		}
		setOpt("", &m.AddressLine2, line2)
		setOpt("", &m.PostalCode, a.PostalCode)
		setOpt("", &m.City, a.City)
		setOpt("", &m.Country, a.Country)
		if len(changed) > before {
			changed = append(changed[:before], "address")
		}
	}
	if u.TimeZone != nil {
		tz := strings.TrimSpace(*u.TimeZone)
		if !ValidTimeZone(tz) {
			return nil, invalid(ErrInvalidTimeZone, "the time zone must be an IANA time zone name, e.g. Europe/Stockholm", "timeZone")
		}
		set("timeZone", &m.TimeZone, tz)
	}
	if u.Locale != nil {
		if *u.Locale != "sv" && *u.Locale != "en" {
			return nil, fault.Invalid("locale", fault.ErrInvalidLocale, "the language must be sv or en")
		}
		set("locale", &m.Locale, *u.Locale)
	}
	sort.Strings(changed)
	return changed, nil
}

// normalizeAddress checks a and returns it normalized, or nil when every
// part of it is empty (the address is removed).
func normalizeAddress(a Address) (*Address, error) {
	trim := func(s string) string { return strings.TrimSpace(s) }
	a.Line1, a.PostalCode, a.City, a.Country = trim(a.Line1), trim(a.PostalCode), trim(a.City), trim(a.Country)
	if a.Line2 != nil {
		l2 := trim(*a.Line2)
		a.Line2 = &l2
		if l2 == "" {
			a.Line2 = nil
		}
	}
	if a.Line1 == "" && a.PostalCode == "" && a.City == "" && a.Country == "" && a.Line2 == nil {
		return nil, nil
	}
	if !oneLine(a.Line1, 200) {
		return nil, &fault.Error{Code: ErrInvalidAddress, Field: []string{"input", "address", "line1"}, Message: "the first address line must be 1 to 200 characters on one line"}
	}
	if a.Line2 != nil && !oneLine(*a.Line2, 200) {
		return nil, &fault.Error{Code: ErrInvalidAddress, Field: []string{"input", "address", "line2"}, Message: "the second address line must be at most 200 characters on one line"}
	}
	country, err := NormalizeCountry(a.Country)
	if err != nil {
		return nil, invalid(ErrInvalidCountry, "the country must be an ISO 3166-1 alpha-2 code, e.g. SE", "address", "country")
	}
	a.Country = country
	if a.PostalCode, err = NormalizePostalCode(country, a.PostalCode); err != nil {
		msg := "the postal code must be 1 to 20 letters, digits, spaces or hyphens"
		if country == "SE" {
			msg = "a Swedish postal code is five digits, e.g. 113 51"
		}
		return nil, invalid(ErrInvalidPostalCode, msg, "address", "postalCode")
	}
	if !oneLine(a.City, 100) {
		return nil, &fault.Error{Code: ErrInvalidCity, Field: []string{"input", "address", "city"}, Message: "the city must be 1 to 100 characters on one line"}
	}
	return &a, nil
}
