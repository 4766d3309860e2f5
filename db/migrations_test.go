package db_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/db/dbtest"
)

// TestMigrationsApplyOnData applies each migration to a database that holds
// data written by the migrations before it, and checks the data survives.
// A new migration adds a step: the rows its predecessors need, and what it
// must keep.
func TestMigrationsApplyOnData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := dbtest.NewEmptyDatabase(t)
	url := dbtest.URLFor(t, name)
	owner, err := sqlx.Open("postgres", url)
	require.NoError(t, err)
	defer owner.Close()

	steps := []struct {
		version int64
		seed    string // data written at this version
		check   string // a query returning true while the data is intact
	}{
		{1, `
			INSERT INTO merchants (id, name) VALUES ('00000000-0000-7000-8000-000000000001', 'Snickeri AB');
			INSERT INTO users (id, email, name, password_hash) VALUES ('00000000-0000-7000-8000-000000000002', 'a@b.se', 'A', 'x');
			INSERT INTO memberships (merchant_id, user_id, role) VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002', 'OWNER');
			INSERT INTO api_keys (merchant_id, id, name, mode, prefix, last4, secret_hash)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000003', 'k', 'test', 'kassa_test_', 'abcd', '\x01');`,
			`SELECT count(*) = 1 FROM memberships m JOIN api_keys k USING (merchant_id)`},
		{2, `
			INSERT INTO payments (merchant_id, id, amount, currency, capture_mode, status, initiator, processor, amount_authorized)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000004', 1000, 'SEK', 'RESERVE', 'AUTHORIZED', 'CUSTOMER', 'simulator', 1000);`,
			`SELECT amount_authorized = 1000 FROM payments`},
		{3, ``, `SELECT count(*) = 1 FROM payments`},
		{4, `
			INSERT INTO orders (merchant_id, id, number, status, currency, capture_mode, net_total, vat_total, gross_total)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000005', 1, 'DRAFT', 'SEK', 'IMMEDIATE', 800, 200, 1000);`,
			`SELECT count(*) = 1 FROM orders`},
	}
	for _, st := range steps {
		require.NoError(t, db.MigrateTo(ctx, url, st.version), "migration %d", st.version)
		if st.seed != "" {
			_, err := owner.Exec(st.seed)
			require.NoError(t, err, "seed at %d", st.version)
		}
		for _, prev := range steps {
			if prev.version > st.version {
				break
			}
			var ok bool
			require.NoError(t, owner.Get(&ok, prev.check), "check of %d after %d", prev.version, st.version)
			require.True(t, ok, "data of migration %d lost by migration %d", prev.version, st.version)
		}
	}
	require.NoError(t, db.Migrate(ctx, url))
	for _, st := range steps {
		var ok bool
		require.NoError(t, owner.Get(&ok, st.check))
		require.True(t, ok, "data of migration %d lost by the latest migrations", st.version)
	}
	var latest int64
	require.NoError(t, owner.Get(&latest, `SELECT max(version_id) FROM goose_db_version`))
	require.Equal(t, steps[len(steps)-1].version, latest, "a new migration needs a step in this test")
}
