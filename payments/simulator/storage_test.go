package simulator

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/db/dbtest"
	"kassa/gid"
	"kassa/payments"
)

var allTestCards = []string{
	"4242424242424242", "4000000000003220", "4000000000000002", "4000000000009995", "4000000000000069",
	"4000000000000119", "4000000000000259", "5555555555554444", "378282246310005", "2223003122003222",
}

// TestNoCardNumberIsStored runs every test card through every operation,
// then searches the simulator's tables, its logs and its callbacks for the
// numbers, with and without spaces.
func testNoCardNumberIsStored(t *testing.T, b *bundle) {
	for _, number := range allTestCards {
		for _, opts := range [][]authOpt{{withMandate}, {withCapture}, {withMOTO}} {
			_, resp := b.authorize(t, number, opts...)
			switch resp.Status {
			case payments.AuthRequiresAction:
				submit(t, resp.ActionURL, url.Values{"code": {"1234"}})
			case payments.AuthPending:
				_, _ = b.capture(resp.ProcessorRef, 500)
				_, _ = b.refund(resp.ProcessorRef, 100)
			}
			if resp.MandateToken != "" {
				_, err := b.client.ChargeMandate(context.Background(), payments.MandateChargeRequest{
					IdempotencyKey: uuid.NewString(), PaymentID: uuid.New(), MerchantID: gid.Of[gid.MerchantID](b.account),
					Amount: 100, Currency: "SEK", MandateToken: resp.MandateToken,
				})
				require.NoError(t, err)
			}
		}
		// A number refused as invalid must not be kept either.
		bad := number[:len(number)-1] + string('0'+(number[len(number)-1]-'0'+1)%10)
		_, err := b.client.Authorize(context.Background(), b.authRequest(bad))
		require.ErrorIs(t, err, payments.ErrInvalidCard)
	}
	b.drain(t)

	owner, err := sqlx.Open("postgres", b.dbURL)
	require.NoError(t, err)
	defer owner.Close()
	var dump strings.Builder
	for _, table := range simulatorTables(t, owner) {
		var rows []string
		require.NoError(t, owner.Select(&rows, `SELECT t::text FROM `+pq.QuoteIdentifier(table)+` t`))
		require.NotEmpty(t, rows, table)
		dump.WriteString(strings.Join(rows, "\n"))
	}
	b.recv.mu.Lock()
	for _, body := range b.recv.bodies {
		dump.Write(body)
	}
	b.recv.mu.Unlock()
	logs := b.logs.String()
	require.Contains(t, logs, "4242", "the logs name cards by their last 4")

	for _, number := range allTestCards {
		spaced := ""
		for i := 0; i < len(number); i += 4 {
			spaced += number[i:min(i+4, len(number))] + " "
		}
		for _, form := range []string{number, strings.TrimSpace(spaced), number[:len(number)-1]} {
			require.NotContains(t, dump.String(), form, "card number in the simulator's tables or callbacks")
			require.NotContains(t, logs, form, "card number in the simulator's logs")
		}
	}
}

func testTablesAreOutsideTenancy(t *testing.T, b *bundle) {
	owner, err := sqlx.Open("postgres", b.dbURL)
	require.NoError(t, err)
	defer owner.Close()

	for _, table := range simulatorTables(t, owner) {
		var n int
		require.NoError(t, owner.Get(&n, `SELECT count(*) FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'merchant_id'`, table))
		require.Zero(t, n, "%s must not carry merchant_id", table)
	}

	// The tenant role cannot read the processor's books.
	err = b.db.InTenant(context.Background(), gid.Of[gid.MerchantID](uuid.New()), func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`SELECT 1 FROM simulator_payments`)
		return err
	})
	require.ErrorContains(t, err, "permission denied")
}

// TestMigrationOnDatabaseWithData applies the simulator's migration to a
// database that already holds kassa's data.
func TestMigrationOnDatabaseWithData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The roles the first migration creates are cluster-wide: let the
	// shared template (which creates them) finish first, or both would
	// race to create them.
	_ = dbtest.NewDatabase(t)
	name := "kassa_simmig_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	admin, err := sql.Open("postgres", dbtest.URLFor(t, "postgres"))
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec(`CREATE DATABASE ` + pq.QuoteIdentifier(name))
	require.NoError(t, err)
	t.Cleanup(func() {
		a, err := sql.Open("postgres", dbtest.URLFor(t, "postgres"))
		if err == nil {
			_, _ = a.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`)
			a.Close()
		}
	})

	sqldb, err := sql.Open("postgres", dbtest.URLFor(t, name))
	require.NoError(t, err)
	defer sqldb.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, sqldb, db.MigrationsFS())
	require.NoError(t, err)
	_, err = provider.UpTo(ctx, 2)
	require.NoError(t, err)
	merchant := uuid.New()
	_, err = sqldb.Exec(`INSERT INTO merchants (id, name) VALUES ($1, 'Before')`, merchant)
	require.NoError(t, err)

	_, err = provider.Up(ctx)
	require.NoError(t, err)
	var name2 string
	require.NoError(t, sqldb.QueryRow(`SELECT name FROM merchants WHERE id = $1`, merchant).Scan(&name2))
	require.Equal(t, "Before", name2)

	// The system role can use the new tables.
	d, err := db.Open(ctx, dbtest.URLFor(t, name), db.Options{MaxOpenConns: 2})
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.InSystem(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`INSERT INTO simulator_tokens (token, account, brand, last4, exp_month, exp_year, created_at)
			VALUES ('tok_x', $1, 'visa', '4242', 12, 2030, now())`, merchant.String())
		return err
	}))
}

func testAPIAuthentication(t *testing.T, b *bundle) {
	ctx := context.Background()

	t.Run("WrongSecret", func(t *testing.T) {
		t.Parallel()
		other := NewClient(b.ts.URL+"/simulator", "wrong")
		_, err := other.Authorize(ctx, b.authRequest("4242424242424242"))
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	})

	t.Run("MissingIdempotencyKey", func(t *testing.T) {
		t.Parallel()
		req := b.authRequest("4242424242424242")
		req.IdempotencyKey = ""
		_, err := b.client.Authorize(ctx, req)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "idempotency_key_required", apiErr.Code)
	})

	t.Run("InvalidRequests", func(t *testing.T) {
		t.Parallel()
		for name, opt := range map[string]authOpt{
			"ZeroAmount":       withAmount(0),
			"NegativeAmount":   withAmount(-5),
			"BadCurrency":      func(r *payments.AuthorizeRequest) { r.Currency = "kr" },
			"BadInitiator":     func(r *payments.AuthorizeRequest) { r.Initiator = "ROBOT" },
			"RelativeReturnTo": withReturnURL("/return"),
		} {
			_, err := b.client.Authorize(ctx, b.authRequest("4242424242424242", opt))
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr, name)
			require.Equal(t, http.StatusBadRequest, apiErr.StatusCode, name)
		}
	})

	t.Run("GetPayment", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		req, err := http.NewRequest(http.MethodGet, b.ts.URL+"/simulator/v1/payments/"+auth.ProcessorRef, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+testSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var snap wireSnapshot
		require.NoError(t, jsonDecode(resp, &snap))
		require.Equal(t, auth.ProcessorRef, snap.Ref)
		require.Equal(t, "AUTHORIZED", snap.Status)
		require.Equal(t, int64(1000), snap.Authorized)
	})

	t.Run("Name", func(t *testing.T) {
		require.Equal(t, "simulator", b.client.Name())
	})
}
