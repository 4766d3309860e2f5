-- +goose Up

-- A card payment: one authorization at a processor and what became of it.
-- The amounts only grow, and CHECK constraints keep captured <= authorized
-- and refunded <= captured whatever the code does.
CREATE TABLE payments (
  merchant_id        uuid        NOT NULL REFERENCES merchants (id),
  id                 uuid        NOT NULL,
  order_id           uuid,
  amount             bigint      NOT NULL CONSTRAINT payments_amount_check CHECK (amount > 0),
  currency           char(3)     NOT NULL CONSTRAINT payments_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  capture_mode       text        NOT NULL CONSTRAINT payments_capture_mode_check CHECK (capture_mode IN ('IMMEDIATE', 'RESERVE')),
  status             text        NOT NULL CONSTRAINT payments_status_check CHECK (status IN (
                       'PENDING', 'REQUIRES_ACTION', 'AUTHORIZED', 'PARTIALLY_CAPTURED', 'CAPTURED',
                       'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED', 'EXPIRED', 'FAILED')),
  initiator          text        NOT NULL CONSTRAINT payments_initiator_check CHECK (initiator IN ('CUSTOMER', 'MERCHANT_MOTO', 'MERCHANT_RECURRING')),
  processor          text        NOT NULL,
  processor_ref      text,
  amount_authorized  bigint      NOT NULL DEFAULT 0,
  amount_captured    bigint      NOT NULL DEFAULT 0,
  amount_refunded    bigint      NOT NULL DEFAULT 0,
  voided             boolean     NOT NULL DEFAULT false,
  expired            boolean     NOT NULL DEFAULT false,
  failed             boolean     NOT NULL DEFAULT false,
  failure_code       text,
  failure_message    text,
  three_ds           text        NOT NULL DEFAULT 'UNKNOWN' CONSTRAINT payments_three_ds_check CHECK (three_ds IN ('UNKNOWN', 'NOT_REQUIRED', 'PENDING', 'PASSED', 'FAILED', 'CANCELLED')),
  next_action_url    text,
  card_brand         text,
  card_last4         text        CONSTRAINT payments_card_last4_check CHECK (card_last4 ~ '^[0-9]{4}$'),
  card_exp_month     int         CONSTRAINT payments_card_exp_month_check CHECK (card_exp_month BETWEEN 1 AND 12),
  card_exp_year      int,
  mandate_token      text,
  capture_before     timestamptz,
  description        text        NOT NULL DEFAULT '',
  customer_email     text,
  created_by_user    uuid,
  created_by_api_key uuid,
  expiry_warned_at   timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payments_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT payments_amounts_check CHECK (
    amount_authorized >= 0 AND amount_captured >= 0 AND amount_refunded >= 0
    AND amount_authorized <= amount
    AND amount_captured <= amount_authorized
    AND amount_refunded <= amount_captured)
);
CREATE UNIQUE INDEX payments_processor_ref_key ON payments (processor, processor_ref) WHERE processor_ref IS NOT NULL;
CREATE INDEX payments_merchant_created_idx ON payments (merchant_id, id DESC);
CREATE INDEX payments_order_idx ON payments (merchant_id, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX payments_open_reservations_idx ON payments (merchant_id, capture_before) WHERE status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED');
CREATE INDEX payments_expiring_idx ON payments (capture_before) WHERE status = 'AUTHORIZED';

-- No transition backwards: amounts never shrink, a flag once set stays,
-- and a finished payment (FAILED, VOIDED, REFUNDED) never changes status
-- again. (EXPIRED may still turn CAPTURED: the processor can report a
-- capture made just before the hold lapsed.)
-- +goose StatementBegin
CREATE FUNCTION payments_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.amount_authorized < OLD.amount_authorized OR NEW.amount_captured < OLD.amount_captured
     OR NEW.amount_refunded < OLD.amount_refunded THEN
    RAISE EXCEPTION 'payment %: amounts may only grow', OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_forward_only';
  END IF;
  IF (OLD.voided AND NOT NEW.voided) OR (OLD.expired AND NOT NEW.expired) OR (OLD.failed AND NOT NEW.failed) THEN
    RAISE EXCEPTION 'payment %: flags may not be cleared', OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_forward_only';
  END IF;
  IF OLD.status IN ('FAILED', 'VOIDED', 'REFUNDED') AND NEW.status <> OLD.status THEN
    RAISE EXCEPTION 'payment %: % is final', OLD.id, OLD.status USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_forward_only';
  END IF;
  IF NEW.amount <> OLD.amount OR NEW.currency <> OLD.currency OR NEW.merchant_id <> OLD.merchant_id THEN
    RAISE EXCEPTION 'payment %: amount and currency are fixed', OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_forward_only';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER payments_forward_only BEFORE UPDATE ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_forward_only();

ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON payments TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON payments TO kassa_system USING (true) WITH CHECK (true);

-- Captures, voids and refunds kassa asked for. The row id is the
-- processor idempotency key, so a retry never acts twice; PENDING rows
-- hold their amount so concurrent requests cannot oversubscribe.
CREATE TABLE payment_operations (
  merchant_id      uuid        NOT NULL REFERENCES merchants (id),
  id               uuid        NOT NULL,
  payment_id       uuid        NOT NULL,
  kind             text        NOT NULL CONSTRAINT payment_operations_kind_check CHECK (kind IN ('CAPTURE', 'VOID', 'REFUND')),
  amount           bigint      NOT NULL CONSTRAINT payment_operations_amount_check CHECK (amount >= 0),
  status           text        NOT NULL CONSTRAINT payment_operations_status_check CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
  processor_op_ref text,
  failure_code     text,
  reason           text        NOT NULL DEFAULT '',
  created_by_user  uuid,
  created_by_api_key uuid,
  attempts         int         NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payment_operations_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT payment_operations_payment_fkey FOREIGN KEY (merchant_id, payment_id) REFERENCES payments (merchant_id, id)
);
CREATE INDEX payment_operations_payment_idx ON payment_operations (merchant_id, payment_id);
CREATE INDEX payment_operations_pending_idx ON payment_operations (updated_at) WHERE status = 'PENDING';
ALTER TABLE payment_operations ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_operations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON payment_operations TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON payment_operations TO kassa_system USING (true) WITH CHECK (true);

-- The history of a payment: what kassa did and every processor event,
-- recorded in the same transaction as the change it caused. A processor
-- event id is unique, so a duplicate callback finds its row and changes
-- nothing.
CREATE TABLE payment_events (
  merchant_id        uuid        NOT NULL REFERENCES merchants (id),
  id                 uuid        NOT NULL,
  payment_id         uuid        NOT NULL,
  type               text        NOT NULL,
  processor          text,
  processor_event_id text,
  amount             bigint,
  status             text        NOT NULL,
  detail             text        NOT NULL DEFAULT '',
  actor_user         uuid,
  actor_api_key      uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payment_events_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT payment_events_payment_fkey FOREIGN KEY (merchant_id, payment_id) REFERENCES payments (merchant_id, id)
);
CREATE UNIQUE INDEX payment_events_processor_event_key ON payment_events (merchant_id, processor, processor_event_id) WHERE processor_event_id IS NOT NULL;
CREATE INDEX payment_events_payment_idx ON payment_events (merchant_id, payment_id, id);
ALTER TABLE payment_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON payment_events TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON payment_events TO kassa_system USING (true) WITH CHECK (true);

-- +goose Down
SELECT 1;
