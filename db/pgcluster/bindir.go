package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned (wrapped) by [FindBinDir] and [Start] when the
// PostgreSQL server programs cannot be found.
var ErrNoBinaries = errors.New("pgcluster: PostgreSQL server binaries (initdb, postgres) not found; " +
	"install them (Debian/Ubuntu: apt-get install postgresql), " +
	"or set KASSA_PG_BIN_DIR to the directory holding them, " +
	"or set KASSA_DATABASE_URL to use an external server")

// BinDirEnv names the environment variable that overrides [FindBinDir].
const BinDirEnv = "KASSA_PG_BIN_DIR"

// debianRoot holds Debian's versioned server installations
// (/usr/lib/postgresql/<major>/bin), which are not on PATH.
const debianRoot = "/usr/lib/postgresql"

// FindBinDir returns the directory holding initdb and postgres. When
// KASSA_PG_BIN_DIR is set it is the only place looked at; otherwise initdb
// and postgres are looked up on PATH (symlinks resolved, because initdb finds
// postgres next to its own resolved location), then in the highest-numbered
// /usr/lib/postgresql/<version>/bin.
func FindBinDir() (string, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		if hasBinaries(dir) {
			return filepath.Abs(dir)
		}
		return "", fmt.Errorf("%w (%s=%s holds no initdb and postgres)", ErrNoBinaries, BinDirEnv, dir)
	}
	for _, name := range []string{"initdb", "postgres"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			p = resolved
		}
		if p, err = filepath.Abs(p); err != nil {
			continue
		}
		if dir := filepath.Dir(p); hasBinaries(dir) {
			return dir, nil
		}
	}
	for _, dir := range debianBinDirs() {
		if hasBinaries(dir) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

// debianBinDirs lists /usr/lib/postgresql/<version>/bin, highest version first.
func debianBinDirs() []string {
	entries, err := os.ReadDir(debianRoot)
	if err != nil {
		return nil
	}
	type versioned struct {
		dir   string
		major int
		minor int
	}
	var found []versioned
	for _, e := range entries {
		majorStr, minorStr, _ := strings.Cut(e.Name(), ".")
		major, err := strconv.Atoi(majorStr)
		if err != nil {
			continue
		}
		minor, _ := strconv.Atoi(minorStr) // pre-10 versions are named like 9.6
		found = append(found, versioned{filepath.Join(debianRoot, e.Name(), "bin"), major, minor})
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].major != found[j].major {
			return found[i].major > found[j].major
		}
		return found[i].minor > found[j].minor
	})
	dirs := make([]string, len(found))
	for i, v := range found {
		dirs[i] = v.dir
	}
	return dirs
}

func hasBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
