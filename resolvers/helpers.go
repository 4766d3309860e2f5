package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"kassa/auth"
	"kassa/graph/model"
	"kassa/merchants"
)

type uuidT = uuid.UUID

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullableUser is the acting user, or nil for an API key.
func nullableUser(p *auth.Principal) *uuid.UUID {
	if p.UserID == uuid.Nil {
		return nil
	}
	id := p.UserID
	return &id
}

type principalT = auth.Principal

// withID is how a mutation on one object starts: who asks (an
// unauthenticated caller gets a top-level error), and the object's id from
// its global ID (a malformed or foreign one is NOT_FOUND on the field);
// then fn does the work.
func withID[T any](ctx context.Context, prefix, field, gid string, fn func(p *principalT, id uuidT) (T, error)) (T, error) {
	return withIDAs(ctx, nil, prefix, field, gid, fn)
}

// withIDAs is withID for a mutation only some callers may make: may
// refuses the others (FORBIDDEN) before the id is read, so they learn
// nothing about which ids exist.
func withIDAs[T any](ctx context.Context, may func(*principalT) error, prefix, field, gid string, fn func(p *principalT, id uuidT) (T, error)) (T, error) {
	var zero T
	p, err := principal(ctx)
	if err != nil {
		return zero, err
	}
	if may != nil {
		if err := may(p); err != nil {
			return zero, err
		}
	}
	id, err := idOf(prefix, field, gid)
	if err != nil {
		return zero, err
	}
	return fn(p, id)
}

// ownerOrAdmin lets owners, admins and API keys through.
func ownerOrAdmin(p *principalT) error { return p.Require(auth.RoleOwner, auth.RoleAdmin) }

// merchantUpdate is the domain's Update for in: a field left out is nil
// (unchanged); an optional detail given as null is empty (removed).
func merchantUpdate(in model.UpdateMerchantInput) merchants.Update {
	u := merchants.Update{Name: in.Name, TimeZone: in.TimeZone}
	if in.Locale != nil {
		l := string(*in.Locale)
		u.Locale = &l
	}
	opt := func(o graphql.Omittable[*string]) *string {
		v, ok := o.ValueOK()
		if !ok {
			return nil
		}
		if v == nil {
			return new(string)
		}
		return v
	}
	u.LegalName, u.OrganisationNumber, u.VATNumber = opt(in.LegalName), opt(in.OrganisationNumber), opt(in.VatNumber)
	if a, ok := in.Address.ValueOK(); ok {
		u.Address = &merchants.Address{}
		if a != nil {
			u.Address = &merchants.Address{Line1: a.Line1, Line2: a.Line2, PostalCode: a.PostalCode, City: a.City, Country: a.Country}
		}
	}
	return u
}
