-- +goose Up

-- A customer's agreement, on the payment page, that the merchant stores
-- their card and charges it later without them (a mandate: a
-- subscription's first payment, a new card for it). Card-network rules for
-- stored credentials and merchant-initiated charges require the terms the
-- customer was shown and their consent to be kept as evidence, so the row
-- holds the exact text shown (in the language shown), the terms it was
-- made from, and when, from where and with which browser it was accepted.
-- One row per payment attempt that carried the consent; append-only.
CREATE TABLE mandate_consents (
  merchant_id         uuid        NOT NULL REFERENCES merchants (id),
  id                  uuid        NOT NULL,
  order_id            uuid        NOT NULL,
  payment_link_id     uuid        NOT NULL,
  payment_id          uuid        NOT NULL,
  lang                text        NOT NULL CONSTRAINT mandate_consents_lang_check CHECK (lang IN ('sv', 'en')),
  text                text        NOT NULL CONSTRAINT mandate_consents_text_check CHECK (length(text) BETWEEN 1 AND 4000),
  terms               jsonb       NOT NULL,
  accepted_at         timestamptz NOT NULL,
  accepted_ip         text        NOT NULL DEFAULT '',
  accepted_user_agent text        NOT NULL DEFAULT '',
  CONSTRAINT mandate_consents_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT mandate_consents_payment_key UNIQUE (merchant_id, payment_id),
  CONSTRAINT mandate_consents_order_fkey FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id),
  CONSTRAINT mandate_consents_link_fkey FOREIGN KEY (merchant_id, payment_link_id) REFERENCES payment_links (merchant_id, id)
);
CREATE INDEX mandate_consents_order_idx ON mandate_consents (merchant_id, order_id);
ALTER TABLE mandate_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE mandate_consents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON mandate_consents TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON mandate_consents TO kassa_system USING (true) WITH CHECK (true);

-- +goose Down
SELECT 1;
