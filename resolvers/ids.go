package resolvers

import (
	"encoding/base64"

	"github.com/google/uuid"

	"kassa/fault"
	"kassa/gid"
)

// idOf parses a global ID that must be of type prefix, for the input field
// field. A malformed ID or one of another type is NOT_FOUND: the caller
// learns nothing about what exists.
func idOf(prefix, field, s string) (uuid.UUID, error) {
	id, err := gid.Parse(prefix, s)
	if err != nil {
		return uuid.Nil, &fault.Error{Code: fault.ErrNotFound.Code, Field: []string{"input", field}, Message: "no such object: " + truncate(s, 80)}
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Cursors are opaque to clients: base64 of the row id, which orders rows.
func cursorOf(id uuid.UUID) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

func parseCursor(c *string) (uuid.UUID, error) {
	if c == nil || *c == "" {
		return uuid.Nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*c)
	if err != nil || len(b) != 16 {
		return uuid.Nil, fault.ErrInvalidCursor
	}
	return uuid.FromBytes(b)
}
