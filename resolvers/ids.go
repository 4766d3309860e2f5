package resolvers

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"

	"kassa/fault"
)

// Global IDs are "<prefix>_<32 hex digits>": the prefix names the type, so
// node(id:) knows where to look and a human reading a log knows what it is.
const (
	prefixMerchant = "mer"
	prefixUser     = "usr"
	prefixAPIKey   = "key"
	prefixOrder    = "ord"
)

func globalID(prefix string, id uuid.UUID) string {
	return prefix + "_" + hex.EncodeToString(id[:])
}

// parseGlobalID splits a global ID into its prefix and id.
func parseGlobalID(gid string) (string, uuid.UUID, bool) {
	prefix, rest, ok := strings.Cut(gid, "_")
	if !ok || len(rest) != 32 {
		return "", uuid.Nil, false
	}
	b, err := hex.DecodeString(rest)
	if err != nil {
		return "", uuid.Nil, false
	}
	id, err := uuid.FromBytes(b)
	if err != nil || id == uuid.Nil {
		return "", uuid.Nil, false
	}
	return prefix, id, true
}

// idOf parses a global ID that must be of type prefix, for the input field
// field. A malformed ID or one of another type is NOT_FOUND: the caller
// learns nothing about what exists.
func idOf(prefix, field, gid string) (uuid.UUID, error) {
	p, id, ok := parseGlobalID(gid)
	if !ok || p != prefix {
		return uuid.Nil, &fault.Error{Code: fault.ErrNotFound.Code, Field: []string{"input", field}, Message: "no such object: " + truncate(gid, 80)}
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
