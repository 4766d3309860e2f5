package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// secretFile holds the installation's simulator secret in the data
// directory when KASSA_SIMULATOR_SECRET is not set.
const secretFile = "simulator-secret"

// installationSecret returns the secret kept in dataDir, creating a random one
// (mode 0600) on first use. A secret that ships with the code would let
// anyone who has read it sign a callback that marks a payment paid; one
// made per installation and kept across restarts keeps callbacks, tokens
// and challenge links of earlier runs valid.
func installationSecret(dataDir string) (string, error) {
	if dataDir == "" {
		return "", errors.New("the simulator needs KASSA_SIMULATOR_SECRET or a data directory (KASSA_DATA_DIR) to keep one in")
	}
	path := filepath.Join(dataDir, secretFile)
	sec, err := readSecret(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return sec, err
	}
	//nolint:gosec // G301: the data directory, as kassa serve makes it; the secret file itself is 0600
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	sec = hex.EncodeToString(b)
	// Written whole to a temporary file (CreateTemp makes it 0600) and then
	// linked into place: a process starting at the same moment either
	// finds no file or a complete one, and the first link wins.
	tmp, err := os.CreateTemp(dataDir, ".simulator-secret-*")
	if err != nil {
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(sec + "\n"); err != nil {
		tmp.Close()
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readSecret(path)
		}
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	return sec, nil
}

func readSecret(path string) (string, error) {
	//nolint:gosec // G304: path is the secret file in the operator's data directory
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		// Someone widened it; the secret is only the installation's.
		if err := f.Chmod(0o600); err != nil {
			return "", fmt.Errorf("simulator secret: %s is readable by others and cannot be restricted: %w", path, err)
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return "", fmt.Errorf("simulator secret: %w", err)
	}
	sec := strings.TrimSpace(string(b))
	if len(sec) < 32 {
		return "", fmt.Errorf("simulator secret: %s holds no secret of at least 32 characters: delete it to have a new one made, or set KASSA_SIMULATOR_SECRET", path)
	}
	return sec, nil
}
