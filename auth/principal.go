package auth

import (
	"context"

	"github.com/google/uuid"

	"kassa/fault"
	"kassa/gid"
)

// Role is what a user may do for a merchant.
type Role string

// The roles, from most to least rights.
const (
	RoleOwner Role = "OWNER"
	RoleAdmin Role = "ADMIN"
	RoleSales Role = "SALES"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleSales }

// CredentialKind says how a request authenticated.
type CredentialKind string

// The ways a request can authenticate.
const (
	CredentialAPIKey  CredentialKind = "API_KEY"
	CredentialSession CredentialKind = "SESSION"
)

// Principal is who a request acts as.
type Principal struct {
	MerchantID   gid.MerchantID
	Kind         CredentialKind
	CredentialID uuid.UUID // API key id, or the user id for sessions
	UserID       uuid.UUID // uuid.Nil for API keys
	Role         Role      // empty for API keys, which have full access
	SessionID    uuid.UUID // uuid.Nil for API keys
	UserEmail    string
	// Locale is the dashboard language the person chose ("sv", "en"), or
	// "" when they have not chosen (and for API keys).
	Locale string
}

// IsAPIKey reports whether the principal is an API key.
func (p *Principal) IsAPIKey() bool { return p.Kind == CredentialAPIKey }

// HasRole reports whether the principal may act with one of roles. API keys
// act for the merchant as a whole and pass every role check.
func (p *Principal) HasRole(roles ...Role) bool {
	if p.IsAPIKey() {
		return true
	}
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

// Require returns fault.ErrForbidden unless the principal has one of roles.
func (p *Principal) Require(roles ...Role) error {
	if !p.HasRole(roles...) {
		return fault.ErrForbidden
	}
	return nil
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal, or nil when unauthenticated.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
