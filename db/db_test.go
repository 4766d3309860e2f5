package db_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/db/dbtest"
	"kassa/gid"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestEveryTenantTableHasRowLevelSecurity fails when a migration adds a
// table with merchant_id that is not isolated by PostgreSQL itself.
func TestEveryTenantTableHasRowLevelSecurity(t *testing.T) {
	t.Parallel()
	_, url := dbtest.NewWithURL(t)
	owner, err := sqlx.Open("postgres", url)
	require.NoError(t, err)
	defer owner.Close()

	var tables []string
	require.NoError(t, owner.Select(&tables, `
		SELECT c.table_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = 'public' AND c.column_name = 'merchant_id' AND t.table_type = 'BASE TABLE'
		ORDER BY 1`))
	require.NotEmpty(t, tables)
	tables = append(tables, "merchants", "users")

	for _, table := range tables {
		var rls, force bool
		require.NoError(t, owner.QueryRow(`SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass`, "public."+table).Scan(&rls, &force))
		require.True(t, rls, "%s: row level security not enabled", table)
		require.True(t, force, "%s: row level security not forced", table)

		var qual sql.NullString
		err := owner.QueryRow(`SELECT qual FROM pg_policies WHERE schemaname = 'public' AND tablename = $1 AND policyname = 'tenant' AND 'kassa_app' = ANY(roles)`, table).Scan(&qual)
		require.NoError(t, err, "%s: no tenant policy for kassa_app", table)
		if table != "users" {
			require.Contains(t, qual.String, "kassa_current_merchant()", "%s: tenant policy does not match the current merchant", table)
		}
	}
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	a, b := gid.Of[gid.MerchantID](uuid.Must(uuid.NewV7())), gid.Of[gid.MerchantID](uuid.Must(uuid.NewV7()))
	for _, m := range []gid.MerchantID{a, b} {
		require.NoError(t, d.InTenant(ctx, m, func(tx *sqlx.Tx) error {
			_, err := tx.Exec(`INSERT INTO merchants (id, name) VALUES ($1, 'M')`, m)
			return err
		}))
	}

	t.Run("SeesOnlyItsOwnRowsWithoutAnyWhereClause", func(t *testing.T) {
		var ids []gid.MerchantID
		require.NoError(t, d.InTenant(ctx, a, func(tx *sqlx.Tx) error {
			return tx.Select(&ids, `SELECT id FROM merchants`)
		}))
		require.Equal(t, []gid.MerchantID{a}, ids)
	})

	t.Run("CannotWriteAnotherMerchantsRows", func(t *testing.T) {
		err := d.InTenant(ctx, a, func(tx *sqlx.Tx) error {
			_, err := tx.Exec(`INSERT INTO api_keys (merchant_id, id, name, mode, prefix, last4, secret_hash) VALUES ($1, $2, 'x', 'test', 'p', '1234', '\x00')`, b, uuid.New())
			return err
		})
		require.ErrorContains(t, err, "row-level security")

		var n int64
		require.NoError(t, d.InTenant(ctx, a, func(tx *sqlx.Tx) error {
			res, err := tx.Exec(`UPDATE merchants SET name = 'stolen' WHERE id = $1`, b)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		}))
		require.Zero(t, n)
	})

	t.Run("NoMerchantSetSeesNothing", func(t *testing.T) {
		var n int
		require.NoError(t, d.App.Get(&n, `SELECT count(*) FROM merchants`))
		require.Zero(t, n)
	})

	t.Run("AppLogsInAsItsRoleAndCannotEscape", func(t *testing.T) {
		// Logged in as kassa_app itself (not SET ROLE from a superuser), so
		// RESET ROLE leads nowhere more privileged.
		conn, err := d.App.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.ExecContext(ctx, `RESET ROLE`)
		require.NoError(t, err)
		var role string
		var super bool
		require.NoError(t, conn.QueryRowContext(ctx, `SELECT session_user, usesuper FROM pg_user WHERE usename = session_user`).Scan(&role, &super))
		require.Equal(t, db.RoleApp, role)
		require.False(t, super)
		var n int
		require.NoError(t, conn.QueryRowContext(ctx, `SELECT count(*) FROM merchants`).Scan(&n))
		require.Zero(t, n)
	})

	t.Run("SystemSeesEveryone", func(t *testing.T) {
		var n int
		require.NoError(t, d.InSystem(ctx, func(tx *sqlx.Tx) error { return tx.Get(&n, `SELECT count(*) FROM merchants`) }))
		require.Equal(t, 2, n)
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	_, url := dbtest.NewWithURL(t)
	require.NoError(t, db.Migrate(context.Background(), url))
	require.NoError(t, db.Migrate(context.Background(), url))
}
