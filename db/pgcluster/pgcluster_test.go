package pgcluster

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"github.com/stretchr/testify/require"
)

// testDir is a fresh directory the postgres user can reach when we are
// root (t.TempDir makes its directories 0700).
func testDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	return dir
}

func start(t *testing.T, opts Options) *Cluster {
	t.Helper()
	opts.Fast = true
	c, err := Start(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func selectOne(t *testing.T, url string) {
	t.Helper()
	var n int
	require.NoError(t, open(t, url).QueryRow("SELECT 1").Scan(&n))
	require.Equal(t, 1, n)
}

func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), "pg")
	c := start(t, Options{DataDir: dir})
	require.True(t, c.Owned())
	require.Equal(t, dir, c.DataDir())
	require.Equal(t, "postgres://postgres@/postgres?host="+dir+"/run&port=5432&sslmode=disable", c.URL())

	db := open(t, c.URL())
	var dataDir string
	require.NoError(t, db.QueryRow("SELECT current_setting('data_directory')").Scan(&dataDir))
	require.Equal(t, filepath.Join(dir, "data"), dataDir)
	_, err := db.Exec("CREATE TABLE survives (n int); INSERT INTO survives VALUES (42)")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	// Its own process group: a terminal's ^C does not reach it.
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(c.pid) + "/stat")
	require.NoError(t, err)
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	require.Equal(t, strconv.Itoa(c.pid), fields[2], "pgrp")

	require.NoError(t, c.Stop(context.Background()))
	require.NoError(t, c.Stop(context.Background()), "Stop is idempotent")
	require.NoFileExists(t, filepath.Join(dir, "data", "postmaster.pid"))
	require.Error(t, syscall.Kill(c.pid, 0), "postmaster is gone")

	c2 := start(t, Options{DataDir: dir})
	require.True(t, c2.Owned())
	var n int
	require.NoError(t, open(t, c2.URL()).QueryRow("SELECT n FROM survives").Scan(&n))
	require.Equal(t, 42, n, "same cluster, not a fresh initdb")
	require.NoError(t, c2.Stop(context.Background()))
}

func TestSecondStartAttaches(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	owner := start(t, Options{DataDir: dir})

	attached := start(t, Options{DataDir: dir, Port: 6543})
	require.False(t, attached.Owned())
	require.Equal(t, owner.URL(), attached.URL(), "port and socket come from the running server")
	selectOne(t, attached.URLFor("template1"))

	require.NoError(t, attached.Stop(context.Background()))
	selectOne(t, owner.URL())
	require.NoError(t, owner.Stop(context.Background()))
}

func TestConcurrentStartsStartOneServer(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	var (
		wg       sync.WaitGroup
		clusters [3]*Cluster
		errs     [3]error
	)
	for i := range clusters {
		wg.Go(func() { clusters[i], errs[i] = Start(context.Background(), Options{DataDir: dir, Fast: true}) })
	}
	wg.Wait()
	owned := 0
	for i, c := range clusters {
		require.NoError(t, errs[i])
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
		selectOne(t, c.URL())
		if c.Owned() {
			owned++
		}
	}
	require.Equal(t, 1, owned)
}

func TestRunsAsPostgresUserWhenRoot(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("not root")
	}
	c := start(t, Options{DataDir: testDir(t)})
	pgUser, err := user.Lookup("postgres")
	require.NoError(t, err)

	status, err := os.ReadFile("/proc/" + strconv.Itoa(c.pid) + "/status")
	require.NoError(t, err)
	for line := range strings.Lines(string(status)) {
		if uids, ok := strings.CutPrefix(line, "Uid:"); ok {
			for _, uid := range strings.Fields(uids) {
				require.Equal(t, pgUser.Uid, uid, "real, effective, saved and fs uid")
			}
		}
	}
	for _, p := range []string{c.DataDir(), c.dataDir, c.socketDir} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, pgUser.Uid, strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)), p)
	}
	fi, err := os.Stat(c.dataDir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
}

func TestUnreachableDataDirFallsBackToTempDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root runs the server as another user")
	}
	// t.TempDir is 0700 root: like a data dir under /root.
	requested := filepath.Join(t.TempDir(), "var", "pg")
	c := start(t, Options{DataDir: requested})
	t.Cleanup(func() { os.RemoveAll(c.DataDir()) })
	require.True(t, c.Owned())
	require.Equal(t, os.TempDir(), filepath.Dir(c.DataDir()))
	require.True(t, strings.HasPrefix(filepath.Base(c.DataDir()), "kassa-pg-"))
	selectOne(t, c.URL())

	again := start(t, Options{DataDir: requested})
	require.False(t, again.Owned(), "a second process finds the same fallback")
	require.Equal(t, c.DataDir(), again.DataDir())
}

func TestLongPathPutsSocketInTempDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testDir(t), strings.Repeat("d", 100))
	c := start(t, Options{DataDir: dir})
	t.Cleanup(func() { os.RemoveAll(c.socketDir) })
	require.Equal(t, dir, c.DataDir())
	require.Equal(t, os.TempDir(), filepath.Dir(c.socketDir))
	require.LessOrEqual(t, len(socketPath(c.socketDir, 5432)), maxSocketPath)
	selectOne(t, c.URL())

	require.NoError(t, c.Stop(context.Background()))
	c2 := start(t, Options{DataDir: dir})
	require.Equal(t, c.socketDir, c2.socketDir, "the same socket dir every time")
	selectOne(t, c2.URL())
}

func TestStalePidFileIsIgnored(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	crashed := start(t, Options{DataDir: dir})
	require.NoError(t, syscall.Kill(-crashed.pid, syscall.SIGKILL))
	<-crashed.exited
	require.FileExists(t, filepath.Join(dir, "data", "postmaster.pid"))

	c := start(t, Options{DataDir: dir})
	require.True(t, c.Owned(), "a dead server's pid file is not a running server")
	selectOne(t, c.URL())
}

func TestMissingBinaries(t *testing.T) {
	t.Setenv(BinDirEnv, t.TempDir())
	t.Setenv("PATH", "")

	_, err := Start(context.Background(), Options{DataDir: t.TempDir()})
	require.ErrorIs(t, err, ErrNoBinaries)
	require.ErrorContains(t, err, "apt-get install postgresql")

	// Without the override, Debian's versioned directory is still found.
	t.Setenv(BinDirEnv, "")
	if dirs := debianBinDirs(); len(dirs) > 0 && hasBinaries(dirs[0]) {
		dir, err := FindBinDir()
		require.NoError(t, err)
		require.Equal(t, dirs[0], dir)
	}
}

func TestFastShutdownEndsOpenTransactions(t *testing.T) {
	t.Parallel()
	c := start(t, Options{DataDir: testDir(t)})
	// A session stuck in a transaction does not hold up a fast shutdown.
	db := open(t, c.URL())
	tx, err := db.Begin()
	require.NoError(t, err)
	_, err = tx.Exec("SELECT pg_sleep(0)")
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	started := time.Now()
	require.NoError(t, c.Stop(ctx))
	require.Less(t, time.Since(started), 5*time.Second)
}

// TestRestartWhileTheCrashedServersProcessesLinger: the postmaster died
// but its children still hold the shared memory, and postgres refuses to
// start beside them. Open waits for them to go.
func TestRestartWhileTheCrashedServersProcessesLinger(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	crashed := start(t, Options{DataDir: dir})
	selectOne(t, crashed.URL())
	children := childrenOf(t, crashed.pid)
	require.NotEmpty(t, children)
	for _, p := range children {
		require.NoError(t, syscall.Kill(p, syscall.SIGSTOP)) // they linger until killed below
	}
	require.NoError(t, syscall.Kill(crashed.pid, syscall.SIGKILL))
	<-crashed.exited
	go func() {
		time.Sleep(1500 * time.Millisecond)
		for _, p := range children {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}()

	c := start(t, Options{DataDir: dir})
	require.True(t, c.Owned())
	selectOne(t, c.URL())
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces: read after ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}
