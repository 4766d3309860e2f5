package auth_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/auth"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		for _, pw := range []string{testPassword, "räksmörgås är gott", strings.Repeat("x", 200)} {
			hash, err := auth.HashPassword(pw)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$"), hash)
			require.NotContains(t, hash, pw)
			ok, err := auth.CheckPassword(hash, pw)
			require.NoError(t, err)
			require.True(t, ok, "password %q does not match its own hash", pw)
		}
	})

	t.Run("WrongPasswordDoesNotMatch", func(t *testing.T) {
		t.Parallel()
		hash, err := auth.HashPassword(testPassword)
		require.NoError(t, err)
		for _, wrong := range []string{"", "correct horse batter", testPassword + " ", " " + testPassword, strings.ToUpper(testPassword), "another password"} {
			ok, err := auth.CheckPassword(hash, wrong)
			require.NoError(t, err)
			require.False(t, ok, "%q matched the hash of %q", wrong, testPassword)
		}
	})

	t.Run("SamePasswordHashesDifferBySalt", func(t *testing.T) {
		t.Parallel()
		h1, err := auth.HashPassword(testPassword)
		require.NoError(t, err)
		h2, err := auth.HashPassword(testPassword)
		require.NoError(t, err)
		require.NotEqual(t, h1, h2)
		salt := func(h string) string { return strings.Split(h, "$")[4] }
		require.NotEqual(t, salt(h1), salt(h2))
		for _, h := range []string{h1, h2} {
			ok, err := auth.CheckPassword(h, testPassword)
			require.NoError(t, err)
			require.True(t, ok)
		}
	})

	t.Run("TamperedHashDoesNotMatch", func(t *testing.T) {
		t.Parallel()
		hash, err := auth.HashPassword(testPassword)
		require.NoError(t, err)
		parts := strings.Split(hash, "$")
		key := []byte(parts[5])
		if key[0] == 'A' {
			key[0] = 'B'
		} else {
			key[0] = 'A'
		}
		parts[5] = string(key)
		ok, err := auth.CheckPassword(strings.Join(parts, "$"), testPassword)
		require.NoError(t, err)
		require.False(t, ok)
	})

	t.Run("MalformedHashIsAnError", func(t *testing.T) {
		t.Parallel()
		hash, err := auth.HashPassword(testPassword)
		require.NoError(t, err)
		parts := strings.Split(hash, "$") // "", argon2id, v=19, m=…,t=…,p=…, salt, key
		with := func(i int, v string) string {
			p := append([]string(nil), parts...)
			p[i] = v
			return strings.Join(p, "$")
		}
		for name, encoded := range map[string]string{
			"Empty":            "",
			"PlainText":        testPassword,
			"Bcrypt":           "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
			"Argon2i":          with(1, "argon2i"),
			"TooFewParts":      strings.Join(parts[:5], "$"),
			"TooManyParts":     hash + "$x",
			"OtherVersion":     with(2, "v=16"),
			"NoVersion":        with(2, "19"),
			"BadParameters":    with(3, "m=lots,t=2,p=1"),
			"MissingParameter": with(3, "m=19456"),
			"ZeroPasses":       with(3, "m=19456,t=0,p=1"),
			"ZeroThreads":      with(3, "m=19456,t=2,p=0"),
			"ThreadsOverflow":  with(3, "m=19456,t=2,p=256"),
			"BadSaltBase64":    with(4, "!!!!"),
			"BadKeyBase64":     with(5, "!!!!"),
			"EmptyKey":         with(5, ""),
		} {
			t.Run(name, func(t *testing.T) {
				var ok bool
				var err error
				require.NotPanics(t, func() { ok, err = auth.CheckPassword(encoded, testPassword) })
				require.Error(t, err, "hash %q", encoded)
				require.False(t, ok)
			})
		}
	})
}
