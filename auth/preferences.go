package auth

import (
	"context"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/fault"
)

// ErrNotAPerson refuses a person's own settings to an API key, which is
// no one in particular.
var ErrNotAPerson = fault.New(fault.Define("NOT_A_PERSON",
	"Only a logged-in person has preferences: an API key has none."), "only a logged-in person has preferences; an API key has none")

// Preferences are a person's own settings. A nil field is left as it is.
type Preferences struct {
	// Locale is the dashboard language, "sv" or "en"; "" forgets the
	// choice (the browser's and then the merchant's language apply).
	Locale *string
}

// UpdateMyPreferences changes the acting person's own settings and returns
// them as a member of the actor's merchant. They belong to the person, so
// they follow them to every merchant they work for.
//
// Errors: fault.ErrUnauthorized; ErrNotAPerson; code INVALID_LOCALE.
func (s *Service) UpdateMyPreferences(ctx context.Context, actor *Principal, p Preferences) (User, error) {
	if actor == nil {
		return User{}, fault.ErrUnauthorized
	}
	if actor.IsAPIKey() || actor.UserID == uuid.Nil {
		return User{}, ErrNotAPerson
	}
	var locale *string
	if p.Locale != nil {
		switch *p.Locale {
		case "sv", "en":
			locale = p.Locale
		case "":
		default:
			return User{}, fault.Invalid("locale", fault.ErrInvalidLocale, "the language must be sv or en")
		}
	}
	var u User
	err := s.db.InTenant(ctx, actor.MerchantID, func(tx *sqlx.Tx) error {
		if p.Locale != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET locale = $2 WHERE id = $1`, actor.UserID, locale); err != nil {
				return err
			}
		}
		return tx.GetContext(ctx, &u, `SELECT `+userColumns+userFrom+` WHERE m.user_id = $1`, actor.UserID)
	})
	return u, err
}
