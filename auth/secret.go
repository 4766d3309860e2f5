package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// newToken returns a URL-safe token (crypto/rand.Text: 130 random bits)
// and its hash. Tokens are looked up by their hash whatever their form,
// so the 43-character ones made before (256 bits, base64url) still work.
func newToken() (token string, hash []byte) {
	token = rand.Text()
	return token, hashToken(token)
}

// hashToken hashes a high-entropy secret for storage and lookup. A fast
// hash is right here: the secret has at least 128 random bits, so there
// is nothing to brute-force.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC-encoded hash.
func CheckPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("auth: unknown password hash format")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("auth: unknown argon2 version")
	}
	var mem, t uint32
	var p uint8
	// argon2 panics on zero passes or threads.
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || t < 1 || p < 1 {
		return false, errors.New("auth: bad argon2 parameters")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errors.New("auth: bad argon2 salt")
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	// An empty key would panic in argon2, and would match every password
	// if it did not.
	if err != nil || len(want) == 0 {
		return false, errors.New("auth: bad argon2 key")
	}
	//nolint:gosec // G115: want is a decoded argon2 hash of a few dozen bytes
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when a login names no known user, so the
// answer takes as long as for a wrong password.
var dummyHash, _ = HashPassword("kassa-timing-equalizer")

// NewRandomToken returns a new random URL-safe token with its stored hash.
func NewRandomToken() (hash []byte, token string, err error) {
	token, hash = newToken()
	return hash, token, nil
}
