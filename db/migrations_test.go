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
		{5, `
			INSERT INTO subscriptions (merchant_id, id, status, customer_email, plan, currency, time_zone, anchor)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000006', 'ACTIVE', 'c@d.se',
			          '{"kind":"FIXED","amount":9900,"currency":"SEK","interval":"MONTHLY","vatRate":2500}', 'SEK', 'Europe/Stockholm', now());`,
			`SELECT (SELECT count(*) FROM subscriptions) = 1 AND EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'payment_links' AND column_name = 'save_mandate')`},
		// 6 (terminal): sales, limits and the append-only audit trail.
		{6, `
			INSERT INTO terminal_payments (merchant_id, id, payment_id, taken_by_user)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-00000000000a', '00000000-0000-7000-8000-000000000004',
			          '00000000-0000-7000-8000-000000000002');
			INSERT INTO terminal_user_limits (merchant_id, user_id, max_amount, currency)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002', 500000, 'SEK');
			INSERT INTO audit_events (merchant_id, id, action, actor_user, subject_user, amount, currency)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-00000000000b', 'user.payment_limit_set',
			          '00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000002', 500000, 'SEK');`,
			`SELECT (SELECT count(*) FROM terminal_payments t JOIN payments p ON p.id = t.payment_id) = 1
			   AND (SELECT max_amount FROM terminal_user_limits) = 500000 AND (SELECT count(*) FROM audit_events) = 1`},
		// 7 (webshop) keeps the links of 4 and takes links of kind CHECKOUT.
		{7, `
			INSERT INTO payment_links (merchant_id, id, token, kind, status, order_id, amount, currency)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000007', 'tok-webshop-7-aaaaaaaaaaaa', 'CHECKOUT', 'ACTIVE',
			          '00000000-0000-7000-8000-000000000005', 1000, 'SEK');
			INSERT INTO checkouts (merchant_id, id, order_id, payment_link_id, success_url, cancel_url, expires_at)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000008', '00000000-0000-7000-8000-000000000005',
			          '00000000-0000-7000-8000-000000000007', 'https://shop.example/ok', 'https://shop.example/cart', now() + interval '1 hour');
			INSERT INTO webhook_endpoints (merchant_id, id, url, events, status, secret)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000009', 'https://shop.example/hooks', '{ORDER_PAID}', 'ENABLED', 'whsec_AAAA');
			INSERT INTO merchant_branding (merchant_id, accent_color) VALUES ('00000000-0000-7000-8000-000000000001', '#112233');`,
			`SELECT (SELECT count(*) FROM checkouts) = 1 AND (SELECT count(*) FROM webhook_endpoints) = 1 AND (SELECT accent_color FROM merchant_branding) = '#112233'`},
		// 8 (mandate consent): the terms a customer agreed to, with the order and link of 4 and 7.
		{8, `
			INSERT INTO mandate_consents (merchant_id, id, order_id, payment_link_id, payment_id, lang, text, terms, accepted_at, accepted_ip, accepted_user_agent)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-00000000000c', '00000000-0000-7000-8000-000000000005',
			          '00000000-0000-7000-8000-000000000007', '00000000-0000-7000-8000-000000000004', 'sv', 'Jag godkänner …',
			          '{"kind":"FIXED","amount":9900,"currency":"SEK","interval":"MONTHLY"}', now(), '127.0.0.1', 'test');`,
			`SELECT (SELECT count(*) FROM mandate_consents c JOIN orders o ON o.id = c.order_id JOIN payment_links l ON l.id = c.payment_link_id) = 1`},
		// 9 (one live payment attempt per order) keeps the orders of 4 and
		// records an order's live attempt.
		{9, `UPDATE orders SET payment_attempt_id = '00000000-0000-7000-8000-000000000004', payment_attempt_at = now();
			UPDATE payments SET amount_captured = 600, amount_refunded = 100, status = 'PARTIALLY_REFUNDED', updated_at = '2026-01-02T03:04:05Z'
			  WHERE id = '00000000-0000-7000-8000-000000000004';`,
			`SELECT (SELECT count(*) FROM orders WHERE payment_attempt_id = '00000000-0000-7000-8000-000000000004' AND settled_by_payment_id IS NULL) = 1`},
		// 30 (sales reports) dates what payments captured and refunded
		// before it in a ledger of its own, so a payment captured and
		// partly refunded by then is on it once each, and gives the
		// subscription of 5 its monthly revenue in twelfths.
		{30, ``,
			`SELECT (SELECT count(*) FROM payment_ledger) = 2
			   AND (SELECT sum(amount) FROM payment_ledger WHERE kind = 'CAPTURE' AND payment_id = '00000000-0000-7000-8000-000000000004') = 600
			   AND (SELECT sum(amount) FROM payment_ledger WHERE kind = 'REFUND' AND payment_id = '00000000-0000-7000-8000-000000000004') = 100
			   AND (SELECT occurred_at FROM payment_ledger WHERE kind = 'REFUND') = '2026-01-02T03:04:05Z'
			   AND (SELECT mrr_twelfths FROM subscriptions) = 9900 * 12`},
		// 49 (customers) gives the order of 4 (no email) a customer of its
		// own and the subscription of 5 the customer of its email; new
		// rows take customers too.
		{49, `
			INSERT INTO customers (merchant_id, id, email, email_key, name) VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000031', 'E@f.se', 'e@f.se', 'E');
			INSERT INTO sent_emails (merchant_id, id, message_id, kind, recipient, recipient_key, subject)
			  VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000032', 'm1@kassa', 'receipt', 'E@f.se', 'e@f.se', 'Kvitto');`,
			`SELECT (SELECT customer_id = id FROM orders WHERE id = '00000000-0000-7000-8000-000000000005')
			   AND (SELECT c.email_key = 'c@d.se' FROM subscriptions s JOIN customers c ON c.id = s.customer_id)
			   AND (SELECT count(*) FROM customers) = 3 AND (SELECT count(*) FROM sent_emails) = 1`},
		// 69 (merchant details, a person's language) keeps the merchant,
		// person and payment of 1 and 2, their details empty until given.
		{69, `UPDATE merchants SET organisation_number = '556016-0680', vat_number = 'SE556016068001', country = 'SE';
			UPDATE users SET locale = 'en';`,
			`SELECT (SELECT count(*) FROM merchants WHERE legal_name IS NULL AND organisation_number = '556016-0680' AND time_zone = 'Europe/Stockholm') = 1
			   AND (SELECT count(*) FROM users WHERE locale = 'en') = 1 AND (SELECT count(*) FROM payments) = 1`},
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

// TestCustomersBackfill applies the customers migration on orders and
// subscriptions written before it: one customer per email whatever its
// case, with the latest name; one per order without an email.
func TestCustomersBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := dbtest.NewEmptyDatabase(t)
	url := dbtest.URLFor(t, name)
	owner, err := sqlx.Open("postgres", url)
	require.NoError(t, err)
	defer owner.Close()
	require.NoError(t, db.MigrateTo(ctx, url, 48))
	_, err = owner.Exec(`
		INSERT INTO merchants (id, name) VALUES ('00000000-0000-7000-8000-000000000001', 'A'), ('00000000-0000-7000-8000-000000000002', 'B');
		INSERT INTO orders (merchant_id, id, number, status, currency, capture_mode, net_total, vat_total, gross_total, customer_name, customer_email, customer_phone, created_at) VALUES
		  ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000011', 1, 'PAID', 'SEK', 'IMMEDIATE', 800, 200, 1000, 'Anna', 'Anna@Example.se', '070', now() - interval '2 days'),
		  ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000012', 2, 'DRAFT', 'SEK', 'IMMEDIATE', 800, 200, 1000, 'Anna Berg', 'anna@example.SE', '', now() - interval '1 day'),
		  ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000013', 3, 'DRAFT', 'SEK', 'IMMEDIATE', 800, 200, 1000, 'Walk-in', NULL, '', now()),
		  ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000014', 4, 'DRAFT', 'SEK', 'IMMEDIATE', 800, 200, 1000, 'Walk-in', NULL, '', now()),
		  ('00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000015', 1, 'DRAFT', 'SEK', 'IMMEDIATE', 800, 200, 1000, 'Anna', 'anna@example.se', '', now());
		INSERT INTO subscriptions (merchant_id, id, status, customer_name, customer_email, plan, currency, time_zone, anchor, created_at) VALUES
		  ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000021', 'ACTIVE', 'Anna', 'ANNA@example.se', '{}', 'SEK', 'Europe/Stockholm', now(), now() - interval '3 days'),
		  ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000022', 'ACTIVE', 'Bo', 'bo@example.se', '{}', 'SEK', 'Europe/Stockholm', now(), now());`)
	require.NoError(t, err)
	require.NoError(t, db.MigrateTo(ctx, url, 49))

	var n int
	require.NoError(t, owner.Get(&n, `SELECT count(*) FROM customers WHERE merchant_id = '00000000-0000-7000-8000-000000000001'`))
	require.Equal(t, 4, n, "anna (three spellings), bo, and one per order without an email")
	var anna struct {
		ID    string `db:"id"`
		Name  string `db:"name"`
		Email string `db:"email"`
	}
	require.NoError(t, owner.Get(&anna, `SELECT id, name, email FROM customers WHERE merchant_id = '00000000-0000-7000-8000-000000000001' AND email_key = 'anna@example.se'`))
	require.Equal(t, "00000000-0000-7000-8000-000000000021", anna.ID, "the first row with the email gives the id")
	require.Equal(t, "Anna Berg", anna.Name, "the latest order gives the name")
	require.Equal(t, "anna@example.SE", anna.Email)
	require.NoError(t, owner.Get(&n, `SELECT count(*) FROM orders WHERE customer_id = $1`, anna.ID))
	require.Equal(t, 2, n)
	require.NoError(t, owner.Get(&n, `SELECT count(*) FROM subscriptions WHERE customer_id = $1`, anna.ID))
	require.Equal(t, 1, n)
	require.NoError(t, owner.Get(&n, `SELECT count(DISTINCT customer_id) FROM orders WHERE customer_name = 'Walk-in'`))
	require.Equal(t, 2, n, "orders without an email do not share a customer")
	require.NoError(t, owner.Get(&n, `SELECT count(*) FROM customers WHERE merchant_id = '00000000-0000-7000-8000-000000000002'`))
	require.Equal(t, 1, n, "another merchant's same email is its own customer")
	require.NoError(t, owner.Get(&n, `SELECT count(*) FROM orders WHERE customer_id IS NULL`))
	require.Zero(t, n)
}
