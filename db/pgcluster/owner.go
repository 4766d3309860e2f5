package pgcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// serverUser is the account initdb and postgres run as when we are root:
// PostgreSQL refuses to run as root.
const serverUser = "postgres"

// account is the identity the server programs run as. A nil *account means
// "as ourselves".
type account struct {
	name string
	home string
	uid  uint32
	gid  uint32
	gids []uint32 // supplementary groups, including gid
}

// credential makes a child run as a; like setpriv, it switches identity
// in the child right before exec, so the child is the server itself and not
// a wrapper (runuser stays as a parent that answers a signal with SIGTERM
// and, two seconds later, SIGKILL — not a way to stop PostgreSQL).
func (a *account) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	return &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: a.gids}
}

// serverAccount returns nil when we are not root, and the postgres system
// account (created if missing) when we are.
func serverAccount(ctx context.Context) (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) {
		out, addErr := exec.CommandContext(ctx, "useradd", "--system",
			"--home", "/var/lib/postgresql", "--shell", "/bin/bash", serverUser).CombinedOutput()
		// Another process may have created it meanwhile: look again either way.
		u, err = user.Lookup(serverUser)
		if err != nil {
			return nil, fmt.Errorf("pgcluster: running as root, PostgreSQL needs the %q system user, "+
				"which does not exist and could not be created (useradd: %v %s); "+
				"create it with: useradd --system --home /var/lib/postgresql --shell /bin/bash postgres",
				serverUser, addErr, strings.TrimSpace(string(out)))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pgcluster: look up user %q: %w", serverUser, err)
	}
	a := &account{name: u.Username, home: u.HomeDir}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: user %q: bad uid %q", serverUser, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: user %q: bad gid %q", serverUser, u.Gid)
	}
	if uid == 0 {
		return nil, fmt.Errorf("pgcluster: user %q has uid 0; PostgreSQL refuses to run as root", serverUser)
	}
	a.uid, a.gid = uint32(uid), uint32(gid)
	a.gids = []uint32{a.gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil && !slices.Contains(a.gids, uint32(g)) {
				a.gids = append(a.gids, uint32(g))
			}
		}
	}
	return a, nil
}

// canTraverse reports whether a may search (x permission) dir.
func (a *account) canTraverse(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == a.uid:
		return perm&0o100 != 0
	case slices.Contains(a.gids, st.Gid):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// blockingAncestor returns the first directory above dir (symlinks
// resolved) that a cannot traverse, or "" if there is none. dir itself need
// not exist; its missing ancestors are created later as world-searchable,
// and dir itself is given to a.
func (a *account) blockingAncestor(dir string) (string, error) {
	existing := dir
	for {
		if _, err := os.Stat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return "", nil
		}
		existing = parent
	}
	resolved, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", err
	}
	check := resolved
	if existing == dir {
		check = filepath.Dir(resolved)
	}
	for p := check; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		if !a.canTraverse(fi) {
			return p, nil
		}
		if filepath.Dir(p) == p {
			return "", nil
		}
	}
}

// tempName is a name under os.TempDir that is the same for every process
// asking about the same path, so they find the same cluster.
func tempName(path, suffix string) string {
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(os.TempDir(), "kassa-pg-"+hex.EncodeToString(sum[:6])+suffix)
}

// mkdirSearchable creates dir and its missing parents, each mode 0755
// whatever the umask, so that the server account can reach dir.
func mkdirSearchable(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("pgcluster: %s is not a directory", dir)
		}
		return nil
	}
	if err := mkdirSearchable(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	return os.Chmod(dir, 0o755)
}

// checkTempOwner refuses a directory under the shared temp dir that someone
// else made: it would hold our data or our socket.
func checkTempOwner(dir string, a *account) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok {
		return fmt.Errorf("pgcluster: %s exists and is not a directory", dir)
	}
	if st.Uid != uint32(os.Geteuid()) && (a == nil || st.Uid != a.uid) {
		return fmt.Errorf("pgcluster: %s is owned by uid %d, not by us; remove it", dir, st.Uid)
	}
	return nil
}

// chownTree gives root and everything under it to a, touching only what
// is not already a's.
func chownTree(root string, a *account) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == a.uid && st.Gid == a.gid {
			return nil
		}
		if err := os.Lchown(path, int(a.uid), int(a.gid)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pgcluster: %w", err)
		}
		return nil
	})
}
