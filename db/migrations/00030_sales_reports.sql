-- +goose Up

-- Money that moved on a payment, one row per change (package payments):
-- a capture or refund of amount, at the moment kassa recorded it. The
-- payments row holds only the running totals, so without these rows no one
-- could say how much was captured on a given day. Written in the same
-- transaction as the change of amount_captured / amount_refunded, so the
-- rows of a payment always sum to its totals. Append-only.
CREATE TABLE payment_ledger (
  merchant_id  uuid        NOT NULL,
  id           uuid        NOT NULL,
  payment_id   uuid        NOT NULL,
  kind         text        NOT NULL CONSTRAINT payment_ledger_kind_check CHECK (kind IN ('CAPTURE', 'REFUND')),
  amount       bigint      NOT NULL CONSTRAINT payment_ledger_amount_check CHECK (amount > 0),
  currency     char(3)     NOT NULL CONSTRAINT payment_ledger_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  occurred_at  timestamptz NOT NULL,
  CONSTRAINT payment_ledger_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT payment_ledger_payment_fkey FOREIGN KEY (merchant_id, payment_id) REFERENCES payments (merchant_id, id)
);
-- The sales report reads a merchant's movements over a time range; the
-- amounts ride along so the range is read from the index alone.
CREATE INDEX payment_ledger_report_idx ON payment_ledger (merchant_id, occurred_at) INCLUDE (currency, kind, amount);
CREATE INDEX payment_ledger_payment_idx ON payment_ledger (merchant_id, payment_id);
ALTER TABLE payment_ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_ledger FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON payment_ledger TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON payment_ledger TO kassa_system USING (true) WITH CHECK (true);
REVOKE UPDATE, DELETE, TRUNCATE ON payment_ledger FROM kassa_app, kassa_system;

-- Payments made before this table existed: one row per payment for what
-- it captured and one for what it refunded, dated by the first event that
-- left it captured (refunded), else by its last change. Several partial
-- captures of one payment collapse into the first one's date.
INSERT INTO payment_ledger (merchant_id, id, payment_id, kind, amount, currency, occurred_at)
SELECT p.merchant_id, gen_random_uuid(), p.id, 'CAPTURE', p.amount_captured, p.currency,
  coalesce((SELECT min(e.created_at) FROM payment_events e WHERE e.merchant_id = p.merchant_id AND e.payment_id = p.id
              AND e.status IN ('PARTIALLY_CAPTURED', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED')), p.updated_at)
FROM payments p WHERE p.amount_captured > 0;
INSERT INTO payment_ledger (merchant_id, id, payment_id, kind, amount, currency, occurred_at)
SELECT p.merchant_id, gen_random_uuid(), p.id, 'REFUND', p.amount_refunded, p.currency,
  coalesce((SELECT min(e.created_at) FROM payment_events e WHERE e.merchant_id = p.merchant_id AND e.payment_id = p.id
              AND e.status IN ('PARTIALLY_REFUNDED', 'REFUNDED')), p.updated_at)
FROM payments p WHERE p.amount_refunded > 0;

-- The overview's figures, each read by range or state of one merchant:
-- failed payments by when they were made, orders by when they were paid.
CREATE INDEX payments_failed_idx ON payments (merchant_id, created_at) WHERE status = 'FAILED';
CREATE INDEX orders_paid_idx ON orders (merchant_id, paid_at) INCLUDE (currency, amount_paid, amount_refunded) WHERE paid_at IS NOT NULL;

-- A subscription's monthly recurring revenue in twelfths of the minor unit
-- (a FIXED plan's amount × 12 / its months: exact for every interval), kept
-- by PostgreSQL from the plan, so the overview sums it from an index
-- instead of reading every plan's JSON. NULL for USAGE and MANUAL plans.
ALTER TABLE subscriptions ADD COLUMN mrr_twelfths bigint GENERATED ALWAYS AS (
  CASE WHEN plan->>'kind' = 'FIXED' THEN (plan->>'amount')::bigint * CASE plan->>'interval'
    WHEN 'MONTHLY' THEN 12 WHEN 'QUARTERLY' THEN 4 WHEN 'SEMIANNUAL' THEN 2 WHEN 'YEARLY' THEN 1 END END) STORED;
CREATE INDEX subscriptions_figures_idx ON subscriptions (merchant_id, status) INCLUDE (currency, mrr_twelfths);

-- +goose Down
SELECT 1;
