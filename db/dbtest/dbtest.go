// Package dbtest gives each test its own PostgreSQL database, cloned from a
// migrated template, so tests run in parallel and never share state.
//
// The cluster comes from KASSA_TEST_DATABASE_URL (a superuser URL; `make
// test` runs the suite under `kassa testenv`, which starts one ephemeral
// cluster for the whole run). Without it, a package's TestMain calling
// [Main] starts a private ephemeral cluster for that test binary.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"kassa/db"
	"kassa/db/pgcluster"
)

// EnvURL names the variable holding the test cluster's superuser URL.
const EnvURL = "KASSA_TEST_DATABASE_URL"

// Main runs a package's tests, first starting an ephemeral cluster when
// EnvURL is not set, and stopping it afterwards. Call it from TestMain.
//
// Fuzzing alone (-run='^$' -fuzz=…, as `make fuzz` does) and the fuzz
// workers the fuzzer starts need no database, so they start no cluster.
func Main(m *testing.M) {
	if os.Getenv(EnvURL) != "" || onlyFuzzing() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "kassa-dbtest-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	var c *pgcluster.Cluster
	if err == nil {
		c, err = pgcluster.Start(context.Background(), pgcluster.Options{DataDir: dir + "/pg", Fast: true})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest: start PostgreSQL:", err)
		os.Exit(1)
	}
	os.Setenv(EnvURL, c.URL())
	code := m.Run()
	_ = c.Stop(context.Background())
	os.RemoveAll(dir)
	if c.DataDir() != dir+"/pg" {
		os.RemoveAll(c.DataDir())
	}
	os.Exit(code)
}

// onlyFuzzing reports whether this test binary only fuzzes: a fuzz
// worker, or -fuzz with -run='^$' so that no test runs.
func onlyFuzzing() bool {
	flag.Parse()
	value := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	return value("test.fuzzworker") == "true" || (value("test.fuzz") != "" && value("test.run") == "^$")
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// adminURL is the cluster's superuser URL.
func adminURL(t testing.TB) string {
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Fatalf("dbtest: %s is not set: run the tests with `make test`, or call dbtest.Main from TestMain", EnvURL)
	}
	return u
}

// URLFor returns the superuser URL for database name on the test cluster.
func URLFor(t testing.TB, name string) string {
	u, err := url.Parse(adminURL(t))
	if err != nil {
		t.Fatalf("dbtest: parse %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// migrationsHash names the template after the migrations it holds, so a
// changed migration gets a fresh template.
func migrationsHash() string {
	h := sha256.New()
	var names []string
	_ = fs.WalkDir(db.MigrationsFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(db.MigrationsFS(), n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ensureTemplate creates the migrated template database once per cluster;
// test binaries running at once serialize on an advisory lock.
func ensureTemplate(t testing.TB) string {
	templateOnce.Do(func() {
		ctx := context.Background()
		name := "kassa_tmpl_" + migrationsHash()
		admin, err := sql.Open("postgres", adminURL(t))
		if err != nil {
			templateErr = err
			return
		}
		defer admin.Close()
		conn, err := admin.Conn(ctx)
		if err != nil {
			templateErr = err
			return
		}
		defer conn.Close()
		if _, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock(424242)`); err != nil {
			templateErr = err
			return
		}
		defer func() {
			if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(424242)`); err != nil {
				_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // may still hold the lock: not back to the pool
			}
		}()
		var exists bool
		if err = conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
			templateErr = err
			return
		}
		if !exists {
			build := name + "_build"
			_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+pq.QuoteIdentifier(build)+` WITH (FORCE)`)
			if _, err = conn.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(build)); err != nil {
				templateErr = err
				return
			}
			if err = db.Migrate(ctx, URLFor(t, build)); err != nil {
				templateErr = err
				return
			}
			if _, err = conn.ExecContext(ctx, `ALTER DATABASE `+pq.QuoteIdentifier(build)+` RENAME TO `+pq.QuoteIdentifier(name)); err != nil {
				templateErr = err
				return
			}
		}
		templateName = name
	})
	if templateErr != nil {
		t.Fatalf("dbtest: template database: %v", templateErr)
	}
	return templateName
}

// NewDatabase creates an empty, migrated database for this test and
// returns its name; it is dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	tmpl := ensureTemplate(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "kassa_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("postgres", adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Concurrent clones of one template can collide briefly on its lock.
	for attempt := 0; ; attempt++ {
		_, err = admin.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)+` TEMPLATE `+pq.QuoteIdentifier(tmpl))
		if err == nil || attempt == 20 {
			break
		}
		time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", adminURL(t))
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`)
	})
	return name
}

// NewEmptyDatabase creates a database without any migration applied (for
// migration tests); it is dropped when the test ends.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "kassa_empty_" + hex.EncodeToString(b)
	admin, err := sql.Open("postgres", adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + pq.QuoteIdentifier(name)); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", adminURL(t))
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`)
	})
	return name
}

// New returns the application's pools on a fresh database for this test,
// closed when the test ends.
func New(t testing.TB) *db.DB {
	t.Helper()
	d, _ := NewWithURL(t)
	return d
}

// NewWithURL is New, also returning the database's superuser URL (for
// tests that inspect the schema or act as the operator).
func NewWithURL(t testing.TB) (*db.DB, string) {
	t.Helper()
	name := NewDatabase(t)
	u := URLFor(t, name)
	// KASSA_TEST_DB_CONNS=1 runs every test on one connection per pool:
	// code that takes a second connection while holding one (a deadlock
	// under load) then hangs at once instead of one day in production.
	conns := 10
	if v, err := strconv.Atoi(os.Getenv("KASSA_TEST_DB_CONNS")); err == nil && v > 0 {
		conns = v
	}
	d, err := db.Open(context.Background(), u, db.Options{MaxOpenConns: conns})
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d, u
}
