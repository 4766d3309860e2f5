-- +goose Up

-- A webshop checkout pays through a single-use link of its own kind.
ALTER TABLE payment_links DROP CONSTRAINT payment_links_kind_check;
ALTER TABLE payment_links ADD CONSTRAINT payment_links_kind_check CHECK (kind IN ('ORDER', 'AMOUNT', 'REUSABLE', 'CHECKOUT'));

-- A webshop checkout: an order, the single-use link that pays it, and where
-- the shopper goes back to. Its status is derived from the link and the
-- order, never stored twice.
CREATE TABLE checkouts (
  merchant_id        uuid        NOT NULL REFERENCES merchants (id),
  id                 uuid        NOT NULL,
  order_id           uuid        NOT NULL,
  payment_link_id    uuid        NOT NULL,
  success_url        text        NOT NULL CONSTRAINT checkouts_success_url_check CHECK (success_url ~ '^https?://' AND length(success_url) <= 2048),
  cancel_url         text        NOT NULL CONSTRAINT checkouts_cancel_url_check CHECK (cancel_url ~ '^https?://' AND length(cancel_url) <= 2048),
  expires_at         timestamptz NOT NULL,
  created_by_user    uuid,
  created_by_api_key uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT checkouts_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT checkouts_order_key UNIQUE (merchant_id, order_id),
  CONSTRAINT checkouts_link_key UNIQUE (merchant_id, payment_link_id),
  CONSTRAINT checkouts_order_fkey FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id),
  CONSTRAINT checkouts_link_fkey FOREIGN KEY (merchant_id, payment_link_id) REFERENCES payment_links (merchant_id, id)
);
ALTER TABLE checkouts ENABLE ROW LEVEL SECURITY;
ALTER TABLE checkouts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON checkouts TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON checkouts TO kassa_system USING (true) WITH CHECK (true);

-- How a merchant presents itself to its customers: the payment page,
-- receipts and emails. The logo is stored here and served by kassa, so the
-- payment page loads nothing from elsewhere.
CREATE TABLE merchant_branding (
  merchant_id   uuid        NOT NULL REFERENCES merchants (id),
  display_name  text        NOT NULL DEFAULT '' CONSTRAINT merchant_branding_display_name_check CHECK (length(display_name) <= 100),
  accent_color  text        NOT NULL DEFAULT '' CONSTRAINT merchant_branding_accent_color_check CHECK (accent_color = '' OR accent_color ~ '^#[0-9a-f]{6}$'),
  support_email text        NOT NULL DEFAULT '',
  support_phone text        NOT NULL DEFAULT '',
  logo          bytea       CONSTRAINT merchant_branding_logo_check CHECK (octet_length(logo) <= 524288),
  logo_type     text        CONSTRAINT merchant_branding_logo_type_check CHECK (logo_type IN ('image/png', 'image/jpeg')),
  logo_sha256   text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT merchant_branding_pkey PRIMARY KEY (merchant_id),
  CONSTRAINT merchant_branding_logo_all_check CHECK ((logo IS NULL) = (logo_type IS NULL) AND (logo IS NULL) = (logo_sha256 IS NULL))
);
-- The logo is served by its hash (content-addressed, cached forever).
CREATE INDEX merchant_branding_logo_idx ON merchant_branding (logo_sha256) WHERE logo_sha256 IS NOT NULL;
ALTER TABLE merchant_branding ENABLE ROW LEVEL SECURITY;
ALTER TABLE merchant_branding FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON merchant_branding TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON merchant_branding TO kassa_system USING (true) WITH CHECK (true);

-- Where a merchant wants to be told of events. The secret signs the
-- deliveries (Standard Webhooks); during a rotation the previous one signs
-- too, until previous_secret_expires_at.
CREATE TABLE webhook_endpoints (
  merchant_id                uuid        NOT NULL REFERENCES merchants (id),
  id                         uuid        NOT NULL,
  url                        text        NOT NULL CONSTRAINT webhook_endpoints_url_check CHECK (url ~ '^https?://' AND length(url) <= 2048),
  events                     text[]      NOT NULL CONSTRAINT webhook_endpoints_events_check CHECK (cardinality(events) > 0),
  status                     text        NOT NULL CONSTRAINT webhook_endpoints_status_check CHECK (status IN ('ENABLED', 'DISABLED')),
  disabled_reason            text,
  secret                     text        NOT NULL,
  previous_secret            text,
  previous_secret_expires_at timestamptz,
  description                text        NOT NULL DEFAULT '',
  created_by_user            uuid,
  created_by_api_key         uuid,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (merchant_id, id)
);
ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_endpoints TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON webhook_endpoints TO kassa_system USING (true) WITH CHECK (true);

-- An event as sent: the body is kept byte for byte, so every attempt and
-- every redelivery sends (and signs) the same message under the same id.
CREATE TABLE webhook_events (
  merchant_id uuid        NOT NULL REFERENCES merchants (id),
  id          uuid        NOT NULL,
  type        text        NOT NULL,
  body        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_events_pkey PRIMARY KEY (merchant_id, id)
);
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_events TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON webhook_events TO kassa_system USING (true) WITH CHECK (true);

-- One event to one endpoint: at most one row, so it is never sent under
-- two ids. failures counts the failed attempts since it was (re)queued and
-- picks the next delay of the retry schedule.
CREATE TABLE webhook_deliveries (
  merchant_id        uuid        NOT NULL REFERENCES merchants (id),
  id                 uuid        NOT NULL,
  endpoint_id        uuid        NOT NULL,
  event_id           uuid        NOT NULL,
  status             text        NOT NULL CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
  attempts           int         NOT NULL DEFAULT 0,
  failures           int         NOT NULL DEFAULT 0,
  last_response_code int,
  last_error         text,
  last_attempt_at    timestamptz,
  next_attempt_at    timestamptz,
  delivered_at       timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT webhook_deliveries_event_key UNIQUE (merchant_id, endpoint_id, event_id),
  CONSTRAINT webhook_deliveries_endpoint_fkey FOREIGN KEY (merchant_id, endpoint_id) REFERENCES webhook_endpoints (merchant_id, id) ON DELETE CASCADE,
  CONSTRAINT webhook_deliveries_event_fkey FOREIGN KEY (merchant_id, event_id) REFERENCES webhook_events (merchant_id, id)
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (merchant_id, endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (merchant_id, event_id);
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_deliveries TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON webhook_deliveries TO kassa_system USING (true) WITH CHECK (true);

-- +goose Down
SELECT 1;
