package gid_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/db/dbtest"
	"kassa/gid"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestTypedIDs(t *testing.T) {
	t.Parallel()
	u := uuid.MustParse("0190f3a2-7c1e-7b2d-9e4f-0123456789ab")

	t.Run("BehaveAsTheirUUID", func(t *testing.T) {
		t.Parallel()
		id := gid.Of[gid.OrderID](u)
		require.Equal(t, u.String(), id.String())
		require.Equal(t, u.String(), fmt.Sprint(id))
		require.Equal(t, "ord_0190f3a27c1e7b2d9e4f0123456789ab", id.Global())

		b, err := json.Marshal(struct{ ID gid.OrderID }{id})
		require.NoError(t, err)
		require.JSONEq(t, `{"ID":"`+u.String()+`"}`, string(b))
		var back struct{ ID gid.OrderID }
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, id, back.ID)
	})

	t.Run("ParseChecksTheKind", func(t *testing.T) {
		t.Parallel()
		m, err := gid.ParseID[gid.MerchantID]("mer_0190f3a27c1e7b2d9e4f0123456789ab")
		require.NoError(t, err)
		require.Equal(t, u, m.UUID)
		_, err = gid.ParseID[gid.MerchantID]("ord_0190f3a27c1e7b2d9e4f0123456789ab")
		require.ErrorIs(t, err, gid.ErrWrongType)
	})

	t.Run("BindAndScanWithSQLX", func(t *testing.T) {
		t.Parallel()
		d := dbtest.New(t)
		ctx := context.Background()
		merchant := gid.Of[gid.MerchantID](uuid.Must(uuid.NewV7()))
		orders := []gid.OrderID{gid.Of[gid.OrderID](uuid.Must(uuid.NewV7())), gid.Of[gid.OrderID](uuid.Must(uuid.NewV7()))}
		payment := gid.Of[gid.PaymentID](uuid.Must(uuid.NewV7()))

		type row struct {
			MerchantID gid.MerchantID `db:"merchant_id"`
			OrderID    gid.OrderID    `db:"order_id"`
			PaymentID  *gid.PaymentID `db:"payment_id"`
		}
		require.NoError(t, d.InSystem(ctx, func(tx *sqlx.Tx) error {
			var got []row
			require.NoError(t, tx.SelectContext(ctx, &got, `
				SELECT $1::uuid AS merchant_id, o AS order_id, CASE WHEN o = $2 THEN $3::uuid END AS payment_id
				FROM unnest($4::uuid[]) AS o ORDER BY o`, merchant, orders[0], payment, pq.Array(orders)))
			require.Equal(t, []row{{merchant, orders[0], &payment}, {merchant, orders[1], nil}}, got)

			var in []gid.OrderID
			require.NoError(t, db.SelectIn(ctx, tx, &in, `SELECT o FROM unnest(?::uuid[]) AS o WHERE o IN (?) ORDER BY o`, pq.Array(orders), orders[1:]))
			require.Equal(t, orders[1:], in)

			var arr []gid.OrderID
			require.NoError(t, tx.QueryRowContext(ctx, `SELECT $1::uuid[]`, pq.Array(orders)).Scan(pq.Array(&arr)))
			require.Equal(t, orders, arr)
			return nil
		}))
		var n int
		require.NoError(t, d.InTenant(ctx, merchant, func(tx *sqlx.Tx) error {
			return tx.GetContext(ctx, &n, `SELECT count(*) FROM orders`)
		}))
	})
}
