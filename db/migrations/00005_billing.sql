-- +goose Up

-- A customer's agreement to be charged every period (or by hand) on a
-- stored card mandate.
CREATE TABLE subscriptions (
  merchant_id          uuid        NOT NULL REFERENCES merchants (id),
  id                   uuid        NOT NULL,
  status               text        NOT NULL CONSTRAINT subscriptions_status_check CHECK (status IN ('PENDING_MANDATE', 'ACTIVE', 'PAST_DUE', 'PAUSED', 'CANCELLED')),
  customer_name        text        NOT NULL DEFAULT '',
  customer_email       text        NOT NULL,
  customer_locale      text        NOT NULL DEFAULT 'sv',
  plan                 jsonb       NOT NULL,
  pending_plan         jsonb,
  currency             char(3)     NOT NULL,
  time_zone            text        NOT NULL,
  anchor               timestamptz NOT NULL,
  -- The next period to bill (its index in the schedule) and when it is due.
  next_period          int         NOT NULL DEFAULT 0,
  next_billing_at      timestamptz,
  mandate_token        text,
  mandate_processor    text,
  card_brand           text,
  card_last4           text,
  card_exp_month       int,
  card_exp_year        int,
  card_warned_for      text,
  first_order_id       uuid,
  card_order_id        uuid,
  cancel_at_period_end boolean     NOT NULL DEFAULT false,
  cancelled_at         timestamptz,
  paused_at            timestamptz,
  created_by_user      uuid,
  created_by_api_key   uuid,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subscriptions_pkey PRIMARY KEY (merchant_id, id)
);
-- What the runner claims: due, active subscriptions, oldest due first.
CREATE INDEX subscriptions_due_idx ON subscriptions (next_billing_at) WHERE status IN ('ACTIVE', 'PAST_DUE') AND next_billing_at IS NOT NULL;
CREATE INDEX subscriptions_first_order_idx ON subscriptions (merchant_id, first_order_id);
ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON subscriptions TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON subscriptions TO kassa_system USING (true) WITH CHECK (true);

-- One invoice per (subscription, period), enforced here: however many
-- runners sweep at once, and however often a sweep is repeated after a
-- crash, a period is invoiced once.
CREATE TABLE invoices (
  merchant_id     uuid        NOT NULL REFERENCES merchants (id),
  id              uuid        NOT NULL,
  subscription_id uuid        NOT NULL,
  number          bigint      NOT NULL,
  kind            text        NOT NULL CONSTRAINT invoices_kind_check CHECK (kind IN ('PERIOD', 'MANUAL')),
  period_index    int,
  period_start    timestamptz,
  period_end      timestamptz,
  status          text        NOT NULL CONSTRAINT invoices_status_check CHECK (status IN ('OPEN', 'PAID', 'FAILED', 'VOID')),
  currency        char(3)     NOT NULL,
  net             bigint      NOT NULL,
  vat             bigint      NOT NULL,
  gross           bigint      NOT NULL CONSTRAINT invoices_gross_check CHECK (gross >= 0),
  description     text        NOT NULL DEFAULT '',
  token           text        NOT NULL CONSTRAINT invoices_token_key UNIQUE,
  attempts        int         NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  payment_id      uuid,
  order_id        uuid,
  failure_code    text,
  paid_at         timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invoices_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT invoices_number_key UNIQUE (merchant_id, number),
  CONSTRAINT invoices_subscription_fkey FOREIGN KEY (merchant_id, subscription_id) REFERENCES subscriptions (merchant_id, id),
  CONSTRAINT invoices_totals_check CHECK (net + vat = gross),
  CONSTRAINT invoices_period_check CHECK ((kind = 'PERIOD') = (period_start IS NOT NULL))
);
CREATE UNIQUE INDEX invoices_period_key ON invoices (merchant_id, subscription_id, period_start) WHERE kind = 'PERIOD';
CREATE INDEX invoices_subscription_idx ON invoices (merchant_id, subscription_id, id);
CREATE INDEX invoices_payment_idx ON invoices (merchant_id, payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX invoices_order_idx ON invoices (merchant_id, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX invoices_retry_idx ON invoices (next_attempt_at) WHERE status = 'OPEN' AND next_attempt_at IS NOT NULL;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON invoices TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON invoices TO kassa_system USING (true) WITH CHECK (true);

CREATE TABLE invoice_lines (
  merchant_id uuid   NOT NULL REFERENCES merchants (id),
  invoice_id  uuid   NOT NULL,
  position    int    NOT NULL,
  description text   NOT NULL,
  quantity    bigint NOT NULL,
  unit_price  bigint NOT NULL,
  vat_rate    int    NOT NULL,
  net         bigint NOT NULL,
  vat         bigint NOT NULL,
  gross       bigint NOT NULL,
  CONSTRAINT invoice_lines_pkey PRIMARY KEY (merchant_id, invoice_id, position),
  CONSTRAINT invoice_lines_invoice_fkey FOREIGN KEY (merchant_id, invoice_id) REFERENCES invoices (merchant_id, id),
  CONSTRAINT invoice_lines_sum_check CHECK (net + vat = gross)
);
ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON invoice_lines TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON invoice_lines TO kassa_system USING (true) WITH CHECK (true);

-- Metered usage. The idempotency key counts once per merchant: a retried
-- report is recognised and changes nothing.
-- merchant_id has no foreign key here: it is always the authenticated
-- merchant's (and row-level security checks it), the subscription is
-- checked before the insert, and a per-row check would cost a third of the
-- ingestion rate of this, the busiest insert.
CREATE TABLE usage_events (
  merchant_id     uuid        NOT NULL,
  subscription_id uuid        NOT NULL,
  id              uuid        NOT NULL,
  idempotency_key text        NOT NULL CONSTRAINT usage_events_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  quantity        bigint      NOT NULL CONSTRAINT usage_events_quantity_check CHECK (quantity >= 0),
  occurred_at     timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT usage_events_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT usage_events_key UNIQUE (merchant_id, idempotency_key)
);
CREATE INDEX usage_events_period_idx ON usage_events (merchant_id, subscription_id, occurred_at);
ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON usage_events TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON usage_events TO kassa_system USING (true) WITH CHECK (true);

-- A link whose payment stores the card as a mandate (a subscription's
-- first payment, a card update, paying a failed invoice with another card).
ALTER TABLE payment_links ADD COLUMN save_mandate boolean NOT NULL DEFAULT false;

-- +goose Down
SELECT 1;
