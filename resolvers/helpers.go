package resolvers

import (
	"github.com/google/uuid"

	"kassa/auth"
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
