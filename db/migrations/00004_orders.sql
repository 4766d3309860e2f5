-- +goose Up

-- Gapless per-merchant sequences (order and invoice numbers): a row per
-- (merchant, name) incremented inside the transaction that uses the number,
-- so a rolled-back transaction leaves no gap.
CREATE TABLE merchant_counters (
  merchant_id uuid   NOT NULL REFERENCES merchants (id),
  name        text   NOT NULL,
  value       bigint NOT NULL,
  CONSTRAINT merchant_counters_pkey PRIMARY KEY (merchant_id, name)
);
ALTER TABLE merchant_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE merchant_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON merchant_counters TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON merchant_counters TO kassa_system USING (true) WITH CHECK (true);

CREATE TABLE orders (
  merchant_id        uuid        NOT NULL REFERENCES merchants (id),
  id                 uuid        NOT NULL,
  number             bigint      NOT NULL,
  status             text        NOT NULL CONSTRAINT orders_status_check CHECK (status IN (
                       'DRAFT', 'CONFIRMATION_SENT', 'RESERVED', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'CANCELLED', 'EXPIRED')),
  currency           char(3)     NOT NULL CONSTRAINT orders_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  capture_mode       text        NOT NULL CONSTRAINT orders_capture_mode_check CHECK (capture_mode IN ('IMMEDIATE', 'RESERVE')),
  customer_name      text        NOT NULL DEFAULT '',
  customer_email     text,
  customer_phone     text        NOT NULL DEFAULT '',
  customer_locale    text        NOT NULL DEFAULT 'sv' CONSTRAINT orders_customer_locale_check CHECK (customer_locale IN ('sv', 'en')),
  reference          text        NOT NULL DEFAULT '',
  net_total          bigint      NOT NULL,
  vat_total          bigint      NOT NULL,
  gross_total        bigint      NOT NULL CONSTRAINT orders_gross_total_check CHECK (gross_total > 0),
  amount_paid        bigint      NOT NULL DEFAULT 0,
  amount_refunded    bigint      NOT NULL DEFAULT 0,
  version            int         NOT NULL DEFAULT 1,
  search             text        NOT NULL DEFAULT '',
  created_by_user    uuid,
  created_by_api_key uuid,
  salesperson_email  text,
  paid_at            timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT orders_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT orders_number_key UNIQUE (merchant_id, number),
  CONSTRAINT orders_totals_check CHECK (net_total + vat_total = gross_total AND amount_refunded <= amount_paid)
);
CREATE INDEX orders_status_idx ON orders (merchant_id, status, id DESC);
CREATE INDEX orders_email_idx ON orders (merchant_id, lower(customer_email));
CREATE INDEX orders_search_idx ON orders USING gin (to_tsvector('simple', search));
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON orders TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON orders TO kassa_system USING (true) WITH CHECK (true);

CREATE TABLE order_lines (
  merchant_id  uuid   NOT NULL REFERENCES merchants (id),
  order_id     uuid   NOT NULL,
  position     int    NOT NULL,
  description  text   NOT NULL CONSTRAINT order_lines_description_check CHECK (length(description) BETWEEN 1 AND 500),
  quantity     bigint NOT NULL CONSTRAINT order_lines_quantity_check CHECK (quantity > 0),
  unit_price   bigint NOT NULL CONSTRAINT order_lines_unit_price_check CHECK (unit_price >= 0),
  vat_rate     int    NOT NULL CONSTRAINT order_lines_vat_rate_check CHECK (vat_rate BETWEEN 0 AND 10000),
  net          bigint NOT NULL,
  vat          bigint NOT NULL,
  gross        bigint NOT NULL,
  CONSTRAINT order_lines_pkey PRIMARY KEY (merchant_id, order_id, position),
  CONSTRAINT order_lines_order_fkey FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id) ON DELETE CASCADE,
  CONSTRAINT order_lines_sum_check CHECK (net + vat = gross)
);
ALTER TABLE order_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON order_lines TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON order_lines TO kassa_system USING (true) WITH CHECK (true);

-- What the customer is asked to accept: frozen when sent, never changed.
-- A later change of the order makes a new version.
CREATE TABLE order_confirmations (
  merchant_id          uuid        NOT NULL REFERENCES merchants (id),
  id                   uuid        NOT NULL,
  order_id             uuid        NOT NULL,
  version              int         NOT NULL,
  content              jsonb       NOT NULL,
  message              text        NOT NULL DEFAULT '',
  cc_salesperson       boolean     NOT NULL DEFAULT false,
  sent_count           int         NOT NULL DEFAULT 0,
  last_sent_at         timestamptz,
  accepted_at          timestamptz,
  accepted_ip          text,
  accepted_user_agent  text,
  created_by_user      uuid,
  created_by_api_key   uuid,
  created_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT order_confirmations_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT order_confirmations_version_key UNIQUE (merchant_id, order_id, version),
  CONSTRAINT order_confirmations_order_fkey FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
ALTER TABLE order_confirmations ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_confirmations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON order_confirmations TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON order_confirmations TO kassa_system USING (true) WITH CHECK (true);

CREATE TABLE payment_links (
  merchant_id        uuid        NOT NULL REFERENCES merchants (id),
  id                 uuid        NOT NULL,
  token              text        NOT NULL CONSTRAINT payment_links_token_key UNIQUE,
  kind               text        NOT NULL CONSTRAINT payment_links_kind_check CHECK (kind IN ('ORDER', 'AMOUNT', 'REUSABLE')),
  status             text        NOT NULL CONSTRAINT payment_links_status_check CHECK (status IN ('ACTIVE', 'PAID', 'EXPIRED', 'DEACTIVATED')),
  order_id           uuid,
  confirmation_id    uuid,
  amount             bigint      NOT NULL CONSTRAINT payment_links_amount_check CHECK (amount > 0),
  currency           char(3)     NOT NULL,
  vat_rate           int         NOT NULL DEFAULT 0,
  description        text        NOT NULL DEFAULT '',
  customer_email     text,
  capture_mode       text        NOT NULL DEFAULT 'IMMEDIATE',
  expires_at         timestamptz,
  views              int         NOT NULL DEFAULT 0,
  attempts           int         NOT NULL DEFAULT 0,
  paid_at            timestamptz,
  deactivated_at     timestamptz,
  created_by_user    uuid,
  created_by_api_key uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payment_links_pkey PRIMARY KEY (merchant_id, id)
);
CREATE INDEX payment_links_order_idx ON payment_links (merchant_id, order_id);
ALTER TABLE payment_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_links FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON payment_links TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON payment_links TO kassa_system USING (true) WITH CHECK (true);

ALTER TABLE payments ADD COLUMN payment_link_id uuid;

-- +goose Down
SELECT 1;
