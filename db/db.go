package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	neturl "net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"kassa/gid"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Roles the pools switch to on every new connection.
const (
	RoleApp    = "kassa_app"
	RoleSystem = "kassa_system"
)

// DB holds the pools kassa uses. They connect with the same URL and
// differ in the role each connection assumes and in what they are for.
type DB struct {
	// App is subject to row-level security: use it through InTenant.
	App *sqlx.DB
	// System sees every merchant's rows: use it through InSystem, only on
	// the paths that must cross tenants.
	System *sqlx.DB
	// locks holds connections that keep a session advisory lock while
	// their holder works on App and System (see SessionLock). A pool of
	// its own, so holders can never take every connection the work under
	// the lock needs.
	locks *sqlx.DB

	url string
}

// ListenerURL is the URL for a dedicated LISTEN connection (it needs one
// that outlives transactions). It only receives notifications, which
// carry ids and never rows.
func (d *DB) ListenerURL() string { return d.url }

// Options tune the pools.
type Options struct {
	MaxOpenConns int // per pool; default 20
	// Wrap, when set, wraps each pool's connector (kassa bench counts the
	// SQL statements of a request with it).
	Wrap func(driver.Connector) driver.Connector
}

// Open connects to url and returns both pools. It does not migrate.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if opts.MaxOpenConns == 0 {
		opts.MaxOpenConns = 20
	}
	app, err := openAs(ctx, url, RoleApp, opts)
	if err != nil {
		return nil, err
	}
	sys, err := openAs(ctx, url, RoleSystem, opts)
	if err != nil {
		app.Close()
		return nil, err
	}
	locks, err := openAs(ctx, url, RoleApp, opts)
	if err != nil {
		app.Close()
		sys.Close()
		return nil, err
	}
	d := &DB{App: app, System: sys, locks: locks, url: url}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.Ping(pingCtx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// openAs opens a pool whose connections act as role. It logs in as the
// role itself when the server lets it (the embedded cluster always does),
// so nothing in a session can return to a more privileged user. Otherwise
// (an external database where only the URL's user has a password) each
// connection switches with SET ROLE right after connecting.
func openAs(ctx context.Context, url, role string, opts Options) (*sqlx.DB, error) {
	var connector driver.Connector
	if direct, ok := withUser(url, role); ok {
		c, err := pq.NewConnector(direct)
		if err != nil {
			return nil, fmt.Errorf("db: parse database URL: %w", err)
		}
		probe := sql.OpenDB(c)
		err = probe.PingContext(ctx)
		probe.Close()
		if err == nil {
			connector = c
		}
	}
	if connector == nil {
		base, err := pq.NewConnector(url)
		if err != nil {
			return nil, fmt.Errorf("db: parse database URL: %w", err)
		}
		connector = roleConnector{base: base, role: role}
	}
	if opts.Wrap != nil {
		connector = opts.Wrap(connector)
	}
	sqldb := sql.OpenDB(connector)
	sqldb.SetMaxOpenConns(opts.MaxOpenConns)
	sqldb.SetMaxIdleConns(opts.MaxOpenConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return sqlx.NewDb(sqldb, "postgres"), nil
}

// withUser returns url with its user replaced by user and no password
// (URL form only).
func withUser(raw, user string) (string, bool) {
	u, err := neturl.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", false
	}
	u.User = neturl.User(user)
	return u.String(), true
}

// roleConnector assumes a role as soon as a connection is made, before the
// pool hands it to anyone, so no query of the application runs as the
// owner.
type roleConnector struct {
	base driver.Connector
	role string
}

func (c roleConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("db: driver connection cannot execute statements")
	}
	if _, err := ex.ExecContext(ctx, "SET ROLE "+pq.QuoteIdentifier(c.role), nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("db: assume role %s (run migrations first): %w", c.role, err)
	}
	return conn, nil
}

func (c roleConnector) Driver() driver.Driver { return c.base.Driver() }

// Ping checks that both pools reach the database.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.App.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	if err := d.System.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

// Close closes the pools.
func (d *DB) Close() error {
	return errors.Join(d.App.Close(), d.System.Close(), d.locks.Close())
}

// SessionLock takes the advisory lock (class, key), waiting for it, and
// holds it on a connection of its own until release is called (safe to
// call more than once). It serializes work across processes that must
// not hold a transaction open, such as a call to the processor.
func (d *DB) SessionLock(ctx context.Context, class, key int32) (release func(), err error) {
	conn, err := d.locks.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, $2)`, class, key); err != nil {
		_ = conn.Close()
		return nil, err
	}
	done := false
	return func() {
		if done {
			return
		}
		done = true
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1, $2)`, class, key); err != nil {
			// Never hand a connection that may still hold the lock back
			// to the pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}, nil
}

// InTenant runs fn in a transaction that can see and change only
// merchantID's rows. The transaction commits when fn returns nil.
func (d *DB) InTenant(ctx context.Context, merchantID gid.MerchantID, fn func(tx *sqlx.Tx) error) error {
	if merchantID.UUID == uuid.Nil {
		return errors.New("db: InTenant without a merchant")
	}
	return inTx(ctx, d.App, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('kassa.merchant_id', $1, true)`, merchantID.String()); err != nil {
			return err
		}
		return fn(tx)
	})
}

// InSystem runs fn in a transaction that sees every merchant's rows.
func (d *DB) InSystem(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return inTx(ctx, d.System, fn)
}

func inTx(ctx context.Context, pool *sqlx.DB, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := pool.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// Migrate applies every pending migration. url must name a role that may
// create tables and roles (the owner).
func Migrate(ctx context.Context, url string) error { return MigrateTo(ctx, url, 0) }

// MigrateTo applies kassa's migrations up to version (0: all, and River's
// too). Tests use it to apply a migration on a database holding data.
func MigrateTo(ctx context.Context, url string, version int64) error {
	sqldb, err := sql.Open("postgres", url)
	if err != nil {
		return fmt.Errorf("db: open for migrations: %w", err)
	}
	defer sqldb.Close()
	// Several processes may start at once on one database: serialize them.
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("db: connect for migrations: %w", err)
	}
	defer conn.Close()
	const lockID = 0x6b61737361 // "kassa"
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return fmt.Errorf("db: migration lock: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID); err != nil {
			// The session may still hold the lock: it must not go back to
			// the pool, or the next migration run waits on it forever.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()

	provider, err := goose.NewProvider(goose.DialectPostgres, sqldb, mustSub(migrations, "migrations"))
	if err != nil {
		return fmt.Errorf("db: migrations: %w", err)
	}
	if version > 0 {
		if _, err := provider.UpTo(ctx, version); err != nil {
			return fmt.Errorf("db: migrate to %d: %w", version, err)
		}
		return nil
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	// River's job tables, in the same schema: the default privileges the
	// first migration set let the application roles use them, so a job
	// commits in the same transaction as the change that causes it.
	migrator, err := rivermigrate.New(riverdatabasesql.New(sqldb), &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return fmt.Errorf("db: river migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("db: river migrate: %w", err)
	}
	return nil
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// ConstraintName returns the name of the constraint a PostgreSQL error
// violated, or "" when err is no constraint violation.
func ConstraintName(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "23":
			return pqErr.Constraint
		}
	}
	return ""
}

// IsLockConflict reports whether err is a lock wait that gave up: a
// lock_timeout (55P03) or a deadlock PostgreSQL broke (40P01). The
// transaction rolled back; trying again later is safe.
func IsLockConflict(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "55P03" || pqErr.Code == "40P01")
}

// IsNoRows reports whether err means a query found no row.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// EnsureDatabase creates database name through adminURL (a role allowed to
// create databases) unless it exists.
func EnsureDatabase(ctx context.Context, adminURL, name string) error {
	sqldb, err := sql.Open("postgres", adminURL)
	if err != nil {
		return err
	}
	defer sqldb.Close()
	var exists bool
	if err := sqldb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("db: look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = sqldb.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // created meanwhile by another process
		return nil
	}
	if err != nil {
		return fmt.Errorf("db: create database %s: %w", name, err)
	}
	return nil
}

// SelectIn runs a query with IN (?) placeholders (expanded for slices by
// sqlx.In) in tx and scans the rows into dest.
func SelectIn(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	q, a, err := sqlx.In(query, args...)
	if err != nil {
		return err
	}
	return tx.SelectContext(ctx, dest, tx.Rebind(q), a...)
}
