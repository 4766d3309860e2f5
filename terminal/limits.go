package terminal

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/audit"
	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/money"
)

// Limit is the most a member may take per payment at the terminal. It
// applies while the member's role is SALES.
type Limit struct {
	UserID    uuid.UUID `db:"user_id"`
	MaxAmount int64     `db:"max_amount"`
	Currency  string    `db:"currency"`
	UpdatedAt time.Time `db:"updated_at"`
}

// Money is the limit as an amount.
func (l Limit) Money() money.Money { return money.Money{Amount: l.MaxAmount, Currency: l.Currency} }

// LimitsByUsers returns the limits of members, by user id (members
// without one are absent).
func (s *Service) LimitsByUsers(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Limit, error) {
	var ls []Limit
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &ls, `SELECT user_id, max_amount, currency, updated_at FROM terminal_user_limits WHERE user_id IN (?)`, ids)
	})
	out := make(map[uuid.UUID]Limit, len(ls))
	for _, l := range ls {
		out[l.UserID] = l
	}
	return out, err
}

// LimitFor returns the limit that applies to p's payments, if any: only a
// SALES member's own limit does.
func (s *Service) LimitFor(ctx context.Context, p *auth.Principal) (Limit, bool, error) {
	if p == nil || p.IsAPIKey() || p.Role != auth.RoleSales {
		return Limit{}, false, nil
	}
	ls, err := s.LimitsByUsers(ctx, p.MerchantID, []uuid.UUID{p.UserID})
	if err != nil {
		return Limit{}, false, err
	}
	l, ok := ls[p.UserID]
	return l, ok, nil
}

// checkLimit refuses a payment above p's limit, saying so plainly.
func (s *Service) checkLimit(ctx context.Context, p *auth.Principal, amount int64, currency string) error {
	l, ok, err := s.LimitFor(ctx, p)
	if err != nil || !ok {
		return err
	}
	locale := "sv"
	if m, err := s.merchants.Get(ctx, p.MerchantID); err == nil {
		locale = m.Locale
	}
	if l.Currency != currency {
		return fault.Invalid("currency", ErrLimitCurrencyMismatch,
			"your limit per payment is set in %s: a payment in %s must be taken by an owner or admin", l.Currency, currency)
	}
	if amount > l.MaxAmount {
		return fault.Invalid("amount", ErrAmountAboveLimit,
			"%s is above your limit of %s per payment: ask an owner or admin to take this payment or to raise your limit",
			money.Format(money.Money{Amount: amount, Currency: currency}, locale), money.Format(l.Money(), locale))
	}
	return nil
}

// SetLimit sets (maxAmount non-nil) or removes (nil) a SALES member's
// limit per payment. currency defaults to the merchant's. The change is
// on the audit trail. Only OWNER, ADMIN and API keys may set limits.
//
// Errors: fault.ErrForbidden; codes NOT_FOUND (userId), LIMIT_NOT_APPLICABLE
// (the member is not SALES), INVALID_AMOUNT, AMOUNT_TOO_LARGE,
// INVALID_CURRENCY.
func (s *Service) SetLimit(ctx context.Context, p *auth.Principal, userID uuid.UUID, maxAmount *int64, currency string) (auth.User, error) {
	if !p.HasRole(auth.RoleOwner, auth.RoleAdmin) {
		return auth.User{}, fault.ErrForbidden
	}
	us, err := s.auth.UsersByID(ctx, p.MerchantID, []uuid.UUID{userID})
	if err != nil {
		return auth.User{}, err
	}
	u, ok := us[userID]
	if !ok {
		return auth.User{}, &fault.Error{Code: fault.ErrNotFound.Code, Field: []string{"input", "userId"}, Message: "no such user"}
	}
	ev := audit.Event{Action: audit.ActionPaymentLimitRemoved, SubjectUser: &u.ID}
	a := actorOf(p)
	ev.ActorUser, ev.ActorAPIKey = a.UserID, a.APIKeyID
	if maxAmount != nil {
		if u.Role != auth.RoleSales {
			return auth.User{}, fault.Invalid("userId", ErrLimitNotApplicable,
				"limits per payment apply to SALES members; %s is %s", u.Email, strings.ToLower(string(u.Role)))
		}
		currency = strings.ToUpper(strings.TrimSpace(currency))
		if currency == "" {
			m, err := s.merchants.Get(ctx, p.MerchantID)
			if err != nil {
				return auth.User{}, err
			}
			currency = m.DefaultCurrency
		}
		if err := money.Check("maxAmount", "currency", money.Money{Amount: *maxAmount, Currency: currency}); err != nil {
			return auth.User{}, err
		}
		ev.Action, ev.Amount, ev.Currency = audit.ActionPaymentLimitSet, maxAmount, &currency
	}
	err = s.db.InTenant(ctx, p.MerchantID, func(tx *sqlx.Tx) error {
		var err error
		if maxAmount == nil {
			var res sql.Result
			if res, err = tx.ExecContext(ctx, `DELETE FROM terminal_user_limits WHERE user_id = $1`, userID); err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errNoChange
			}
		} else {
			_, err = tx.ExecContext(ctx, `
				INSERT INTO terminal_user_limits (merchant_id, user_id, max_amount, currency, set_by_user, set_by_api_key, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT ON CONSTRAINT terminal_user_limits_pkey DO UPDATE
				SET max_amount = EXCLUDED.max_amount, currency = EXCLUDED.currency, set_by_user = EXCLUDED.set_by_user,
				    set_by_api_key = EXCLUDED.set_by_api_key, updated_at = EXCLUDED.updated_at`,
				p.MerchantID, userID, *maxAmount, currency, a.UserID, a.APIKeyID, s.now().UTC())
			if err != nil {
				return err
			}
		}
		return s.audit.RecordTx(ctx, tx, p.MerchantID, ev)
	})
	if err != nil && !errors.Is(err, errNoChange) {
		if db.ConstraintName(err) == "terminal_user_limits_member_fkey" {
			return auth.User{}, &fault.Error{Code: fault.ErrNotFound.Code, Field: []string{"input", "userId"}, Message: "no such user"}
		}
		return auth.User{}, err
	}
	return u, nil
}

// errNoChange rolls back a change that changes nothing (removing a limit
// that is not there), so the trail does not record it.
var errNoChange = errors.New("terminal: nothing to change")
