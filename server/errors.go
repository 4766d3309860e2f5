package server

import (
	"encoding/json"
	"net/http"

	"kassa/fault"
)

// writeError answers an HTTP-level failure in the shape GraphQL clients
// already parse: {"errors":[{"message":…,"extensions":{"code":…}}]}.
func writeError(w http.ResponseWriter, r *http.Request, status int, code fault.Code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{
			"message":    message,
			"extensions": map[string]any{"code": code.String()},
		}},
	})
}
