package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// Options say where the cluster lives and how it runs.
type Options struct {
	// DataDir holds the cluster: data/ (PGDATA), run/ (the socket
	// directory), postgres.log and the lock file. Relative paths are made
	// absolute. Required.
	DataDir string
	// Logger receives what pgcluster does (start, attach, fallbacks); the
	// server's own log goes to DataDir/postgres.log. May be nil.
	Logger *slog.Logger
	// Port names the socket (.s.PGSQL.<port>); there is no TCP listener.
	// Default 5432.
	Port int
	// Fast trades crash safety for speed (fsync, synchronous_commit and
	// full_page_writes off; initdb without sync): for throw-away test
	// clusters only.
	Fast bool
}

// Cluster is a running PostgreSQL server reachable on a unix socket,
// either started by this process or found already running.
type Cluster struct {
	dir       string // effective DataDir (may be a fallback under the temp dir)
	dataDir   string // PGDATA
	socketDir string
	logPath   string
	port      int
	logger    *slog.Logger

	owned bool
	pid   int // postmaster pid

	// For an owned server: exited is closed once the postmaster has been
	// reaped, after waitErr is set.
	exited   chan struct{}
	waitErr  error
	stopping atomic.Bool
	logFrom  int64 // where the current start attempt's log lines begin
	stopOnce sync.Once
	stopErr  error
}

const (
	defaultPort  = 5432
	readyTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
	quitTimeout  = 10 * time.Second
	pollInterval = 10 * time.Millisecond

	// sun_path holds 108 bytes including the terminating NUL.
	maxSocketPath = 107

	superuser = "postgres"
	lockName  = "kassa-pg.lock"
	logName   = "postgres.log"
)

// Start brings up the cluster in opts.DataDir: it attaches to a server
// already running there, or else initializes the data directory if needed
// and starts a server owned by this process. Start returns once the server
// accepts connections. Errors wrap [ErrNoBinaries] when PostgreSQL is not
// installed; a server that fails to come up is reported with the tail of
// its log.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	port := opts.Port
	if port == 0 {
		port = defaultPort
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("pgcluster: port %d out of range", port)
	}
	if opts.DataDir == "" {
		return nil, errors.New("pgcluster: Options.DataDir is required")
	}
	binDir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	requested, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	acct, err := serverAccount(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := placeDataDir(requested, acct, logger)
	if err != nil {
		return nil, err
	}

	unlock, err := lockFile(ctx, filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	defer unlock()

	c := &Cluster{
		dir:     dir,
		dataDir: filepath.Join(dir, "data"),
		logPath: filepath.Join(dir, logName),
		port:    port,
		logger:  logger,
	}
	attached, err := c.attach(ctx, acct)
	if err != nil {
		return nil, err
	}
	if attached {
		return c, nil
	}

	if acct != nil {
		if err := chownTree(dir, acct); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := c.initdb(ctx, binDir, acct, opts.Fast); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.prepareSocketDir(acct); err != nil {
		return nil, err
	}
	// After a crash the dead server's processes can hold its shared
	// memory for a moment after the postmaster is gone, and postgres
	// refuses to start beside them: wait for them, a few seconds at most.
	for wait := time.Now().Add(sharedMemoryWait); ; {
		err := c.start(ctx, binDir, acct, opts.Fast)
		if err == nil {
			return c, nil
		}
		if !strings.Contains(err.Error(), "pre-existing shared memory block") || time.Now().After(wait) || ctx.Err() != nil {
			return nil, err
		}
		c.logger.Info("the previous server's processes still hold its shared memory; retrying", "data_dir", c.dataDir)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// sharedMemoryWait bounds how long Open waits for a crashed server's
// processes to let go of its shared memory.
const sharedMemoryWait = 10 * time.Second

// URL is the lib/pq URL of database "postgres" for the superuser, over the
// unix socket.
func (c *Cluster) URL() string { return c.URLFor("postgres") }

// URLFor is the lib/pq URL of database dbname for the superuser, over the
// unix socket.
func (c *Cluster) URLFor(dbname string) string {
	// Go's URL parser rejects a socket path as the host, so it goes in the
	// query, which libpq and lib/pq both accept. Slashes are legal there;
	// leaving them unescaped keeps the URL readable.
	q := "host=" + strings.ReplaceAll(url.QueryEscape(c.socketDir), "%2F", "/") +
		"&port=" + strconv.Itoa(c.port) + "&sslmode=disable"
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Path: "/" + dbname, RawQuery: q}
	return u.String()
}

// Owned reports whether this process started the server (and Stop will stop
// it), as opposed to attaching to one already running.
func (c *Cluster) Owned() bool { return c.owned }

// DataDir is the directory actually holding the cluster: Options.DataDir
// made absolute, or its fallback under the temp dir.
func (c *Cluster) DataDir() string { return c.dir }

// Stop shuts an owned server down (fast shutdown: sessions are ended,
// in-flight transactions rolled back) and waits for it to exit; if it has
// not exited when ctx is done or after 30 seconds, it is told to quit
// immediately. Stop does nothing for an attached server, and only
// the first call does anything.
func (c *Cluster) Stop(ctx context.Context) error {
	if c == nil || !c.owned {
		return nil
	}
	c.stopOnce.Do(func() { c.stopErr = c.stop(ctx) })
	return c.stopErr
}

func (c *Cluster) stop(ctx context.Context) error {
	c.stopping.Store(true)
	select {
	case <-c.exited:
		return nil
	default:
	}
	if err := syscall.Kill(c.pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pgcluster: signal postgres (pid %d): %w", c.pid, err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	var cause error
	select {
	case <-c.exited:
		if c.waitErr != nil {
			return fmt.Errorf("pgcluster: postgres (pid %d) exited: %w", c.pid, c.waitErr)
		}
		c.logger.Info("postgres stopped", "data_dir", c.dataDir, "pid", c.pid)
		return nil
	case <-ctx.Done():
		cause = ctx.Err()
	case <-timer.C:
		cause = fmt.Errorf("still running after %s", stopTimeout)
	}
	// Immediate shutdown: no checkpoint, crash recovery on next start.
	_ = syscall.Kill(c.pid, syscall.SIGQUIT)
	select {
	case <-c.exited:
	case <-time.After(quitTimeout):
		// The postmaster's process group holds it and all its backends.
		_ = syscall.Kill(-c.pid, syscall.SIGKILL)
		<-c.exited
	}
	return fmt.Errorf("pgcluster: fast shutdown of postgres (pid %d) did not finish (%w); forced it down", c.pid, cause)
}

// placeDataDir returns the directory to hold the cluster, created and
// reachable by the server account: requested itself, or, when that account
// cannot reach it, a directory under the temp dir named after it.
func placeDataDir(requested string, acct *account, logger *slog.Logger) (string, error) {
	dir := requested
	if acct != nil {
		blocker, err := acct.blockingAncestor(requested)
		if err != nil {
			return "", fmt.Errorf("pgcluster: %w", err)
		}
		if blocker != "" {
			dir = tempName(requested, "")
			logger.Warn("postgres user cannot reach the requested data dir; using one under the temp dir",
				"requested", requested, "blocked_at", blocker, "data_dir", dir)
			if err := checkTempOwner(dir, acct); err != nil {
				return "", err
			}
			if b, err := acct.blockingAncestor(dir); err != nil || b != "" {
				return "", fmt.Errorf("pgcluster: user %s can reach neither %s (blocked at %s) nor %s (blocked at %s, %v)",
					acct.name, requested, blocker, dir, b, err)
			}
		}
	}
	if err := mkdirSearchable(dir); err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		dir = resolved
	}
	if acct != nil {
		if err := os.Chown(dir, int(acct.uid), int(acct.gid)); err != nil {
			return "", fmt.Errorf("pgcluster: %w", err)
		}
	}
	return dir, nil
}

// lockFile takes an exclusive flock on path, waiting for it as long as ctx
// allows; two processes starting the same cluster take turns, and the second
// finds the first one's server running.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			// Closing the file releases the lock.
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("pgcluster: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("pgcluster: waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// pidFile is what the postmaster writes to postmaster.pid.
type pidFile struct {
	pid       int
	port      int
	socketDir string
	status    string // "starting", "ready", "stopping"...
}

func readPidFile(dataDir string) (pidFile, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return pidFile{}, err
	}
	// Lines: pid, data dir, start time, port, first socket dir, listen
	// address, shared memory key, status. Written in stages while starting.
	lines := strings.Split(string(b), "\n")
	var pf pidFile
	if pf.pid, err = strconv.Atoi(strings.TrimSpace(lines[0])); err != nil || pf.pid <= 0 {
		return pidFile{}, fmt.Errorf("pgcluster: postmaster.pid: bad pid %q", lines[0])
	}
	if len(lines) > 4 {
		pf.port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
		pf.socketDir = strings.TrimSpace(lines[4])
	}
	if len(lines) > 7 {
		pf.status = strings.TrimSpace(lines[7])
	}
	return pf, nil
}

// running reports whether pid is a live process of the server's account.
// Like postgres itself, a pid reused by another user's process does not
// count.
func running(pid int, acct *account) bool {
	fi, err := os.Stat("/proc/" + strconv.Itoa(pid))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false
		}
		err := syscall.Kill(pid, 0)
		return err == nil || errors.Is(err, syscall.EPERM)
	}
	uid := uint32(os.Geteuid())
	if acct != nil {
		uid = acct.uid
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Uid == uid
}

// attach looks for a server already running on the data dir and, if there
// is one, waits for it to accept connections (it may be recovering).
func (c *Cluster) attach(ctx context.Context, acct *account) (bool, error) {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for {
		pf, err := readPidFile(c.dataDir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return false, nil
		case errors.Is(err, fs.ErrPermission):
			return false, fmt.Errorf("pgcluster: %w", err)
		case err != nil:
			lastErr = err // half written: the server is starting
		case !running(pf.pid, acct):
			// Stale: postgres replaces it itself when the pid is dead.
			return false, nil
		case pf.socketDir == "" || pf.port == 0:
			lastErr = errors.New("postmaster.pid names no socket yet")
		default:
			c.socketDir, c.port = pf.socketDir, pf.port
			if lastErr = ping(ctx, c.URL()); lastErr == nil {
				c.pid = pf.pid
				c.logger.Info("attached to running postgres", "data_dir", c.dataDir, "pid", c.pid, "socket_dir", c.socketDir)
				return true, nil
			}
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("pgcluster: a server (pid %d) runs on %s but does not accept connections: %v%s",
				pf.pid, c.dataDir, lastErr, c.logTail())
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("pgcluster: %w", ctx.Err())
		case <-time.After(5 * pollInterval):
		}
	}
}

// initdb creates the data directory. It runs initdb on a side directory and
// renames it into place, so data/ either holds a whole cluster or does not
// exist, whatever interrupts initdb.
func (c *Cluster) initdb(ctx context.Context, binDir string, acct *account, fast bool) error {
	if entries, err := os.ReadDir(c.dataDir); err == nil {
		if len(entries) > 0 {
			return fmt.Errorf("pgcluster: %s is not empty but holds no PG_VERSION: not a PostgreSQL data directory; move it away", c.dataDir)
		}
		if err := os.Remove(c.dataDir); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	tmp := c.dataDir + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if acct != nil {
		if err := os.Chown(tmp, int(acct.uid), int(acct.gid)); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	args := []string{"-D", tmp, "-U", superuser, "--auth=trust", "-E", "UTF8", localeFlag(), "--no-instructions"}
	if fast {
		args = append(args, "--no-sync")
	}
	started := time.Now()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.Dir = c.dir
	cmd.Env = childEnv(acct)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: acct.credential()}
	out, err := cmd.CombinedOutput()
	c.appendLog(out)
	if err != nil {
		return fmt.Errorf("pgcluster: initdb %s: %w\n%s", c.dataDir, err, tail(out))
	}
	if err := os.Rename(tmp, c.dataDir); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	c.logger.Info("initialized postgres data dir", "data_dir", c.dataDir, "took", time.Since(started))
	return nil
}

// localeFlag prefers C.UTF-8: code point order like C, but character
// classes (upper, lower, ILIKE) that know non-ASCII letters.
func localeFlag() string {
	for _, name := range []string{"C.utf8", "C.UTF-8"} {
		if fi, err := os.Stat(filepath.Join("/usr/lib/locale", name)); err == nil && fi.IsDir() {
			return "--locale=C.UTF-8"
		}
	}
	return "--no-locale"
}

// prepareSocketDir picks and creates the socket directory: run/ beside
// the data, or, when the socket path would not fit in sun_path, a
// directory under the temp dir named after the data dir.
func (c *Cluster) prepareSocketDir(acct *account) error {
	c.socketDir = filepath.Join(c.dir, "run")
	if len(socketPath(c.socketDir, c.port)) > maxSocketPath {
		c.socketDir = tempName(c.dir, "-run")
		if len(socketPath(c.socketDir, c.port)) > maxSocketPath {
			return fmt.Errorf("pgcluster: socket path %s is longer than %d bytes; set TMPDIR to a shorter directory",
				socketPath(c.socketDir, c.port), maxSocketPath)
		}
		c.logger.Debug("socket path too long under the data dir; using the temp dir", "socket_dir", c.socketDir)
		if err := checkTempOwner(c.socketDir, acct); err != nil {
			return err
		}
	}
	if err := mkdirSearchable(c.socketDir); err != nil {
		return err
	}
	if acct != nil {
		if err := os.Chown(c.socketDir, int(acct.uid), int(acct.gid)); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	return nil
}

func socketPath(dir string, port int) string {
	return filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(port))
}

// start runs the postmaster in its own process group, so that a terminal's
// ^C reaches us and not it: we decide when and how it stops.
func (c *Cluster) start(ctx context.Context, binDir string, acct *account, fast bool) error {
	if acct != nil {
		if err := os.Chmod(c.dataDir, 0o700); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	logf, err := c.openLog(acct)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own descriptor
	if fi, err := logf.Stat(); err == nil {
		c.logFrom = fi.Size() // logTail shows this attempt's lines only
	}

	args := []string{
		"-D", c.dataDir,
		"-k", c.socketDir,
		"-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=",
		"-c", "max_connections=200",
	}
	if fast {
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
		)
	}
	started := time.Now()
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = c.dir
	cmd.Env = childEnv(acct)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: acct.credential()}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgcluster: start postgres: %w", err)
	}
	c.owned = true
	c.pid = cmd.Process.Pid
	c.exited = make(chan struct{})
	// Per attempt: a failed start may be followed by another, whose pid
	// and channel replace these while this goroutine still runs.
	pid, exited, ready := c.pid, c.exited, new(atomic.Bool)
	go func() {
		err := cmd.Wait()
		c.waitErr = err
		close(exited)
		if ready.Load() && !c.stopping.Load() {
			c.logger.Error("postgres exited unexpectedly", "data_dir", c.dataDir, "pid", pid, "err", err, "log", c.logPath)
		}
	}()

	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	err = errors.New("no postmaster.pid yet")
	for {
		// The postmaster marks itself ready in its pid file; connecting
		// before that only fills the log with "starting up" refusals.
		// The connection stays the proof.
		pf, perr := readPidFile(c.dataDir)
		if (perr == nil && pf.pid == c.pid && pf.status == "ready") || time.Since(started) > time.Second {
			err = ping(ctx, c.URL())
		}
		if err == nil {
			ready.Store(true)
			c.logger.Info("postgres started", "data_dir", c.dataDir, "socket_dir", c.socketDir,
				"pid", c.pid, "took", time.Since(started))
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("pgcluster: postgres exited while starting (%v)%s", c.waitErr, c.logTail())
		case <-ctx.Done():
			_ = c.Stop(context.Background())
			return fmt.Errorf("pgcluster: waiting for postgres to start: %w", ctx.Err())
		case <-deadline.C:
			_ = c.Stop(context.Background())
			return fmt.Errorf("pgcluster: postgres did not accept connections within %s (%v)%s", readyTimeout, err, c.logTail())
		case <-time.After(pollInterval):
		}
	}
}

// ping opens and closes one connection.
func ping(ctx context.Context, dsn string) error {
	connector, err := pq.NewConnector(dsn)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := connector.Connect(ctx)
	if err != nil {
		return err
	}
	return conn.Close()
}

// childEnv is our environment without PG* variables, which would point
// initdb and postgres elsewhere, and with the server account's identity.
func childEnv(acct *account) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue
		}
		if acct != nil && (strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "USER=") || strings.HasPrefix(kv, "LOGNAME=")) {
			continue
		}
		env = append(env, kv)
	}
	if acct != nil {
		env = append(env, "HOME="+acct.home, "USER="+acct.name, "LOGNAME="+acct.name)
	}
	return env
}

func (c *Cluster) openLog(acct *account) (*os.File, error) {
	f, err := os.OpenFile(c.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if acct != nil {
		if err := f.Chown(int(acct.uid), int(acct.gid)); err != nil {
			f.Close()
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
	}
	return f, nil
}

func (c *Cluster) appendLog(b []byte) {
	if len(b) == 0 {
		return
	}
	if f, err := os.OpenFile(c.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640); err == nil {
		_, _ = f.Write(b)
		f.Close()
	}
}

// logTail is the end of the server log, for errors.
func (c *Cluster) logTail() string {
	f, err := os.Open(c.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	const tailBytes = 4096
	if fi, err := f.Stat(); err == nil {
		_, _ = f.Seek(max(fi.Size()-tailBytes, min(c.logFrom, fi.Size())), io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	if t := tail(b); t != "" {
		return "\n" + c.logPath + ":\n" + t
	}
	return ""
}

// tail is the last 20 lines of b.
func tail(b []byte) string {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
