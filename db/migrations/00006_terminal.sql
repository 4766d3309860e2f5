-- +goose Up

-- The web terminal (package terminal): card payments keyed in by staff.
-- A row per payment taken at the terminal or through createTerminalPayment:
-- who took it, and the customer's receipt (queued once when the payment
-- is approved; its message id set once when the email is enqueued). The payment
-- itself lives in payments (it is written first here, before the processor
-- is asked, so a callback arriving within milliseconds finds the row; a
-- row whose payment never came to exist is skipped when listing).
CREATE TABLE terminal_payments (
  merchant_id       uuid        NOT NULL REFERENCES merchants (id),
  id                uuid        NOT NULL,
  payment_id        uuid        NOT NULL,
  taken_by_user     uuid,
  taken_by_api_key  uuid,
  receipt_queued_at timestamptz,
  receipt_message_id text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT terminal_payments_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT terminal_payments_payment_key UNIQUE (merchant_id, payment_id),
  CONSTRAINT terminal_payments_taker_check CHECK (taken_by_user IS NOT NULL OR taken_by_api_key IS NOT NULL)
);
CREATE INDEX terminal_payments_user_idx ON terminal_payments (merchant_id, taken_by_user, id DESC);
ALTER TABLE terminal_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE terminal_payments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON terminal_payments TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON terminal_payments TO kassa_system USING (true) WITH CHECK (true);

-- The most a member may take per payment at the terminal, set by an owner
-- or admin. It applies while the member's role is SALES.
CREATE TABLE terminal_user_limits (
  merchant_id     uuid        NOT NULL,
  user_id         uuid        NOT NULL,
  max_amount      bigint      NOT NULL CONSTRAINT terminal_user_limits_max_amount_check CHECK (max_amount > 0),
  currency        char(3)     NOT NULL CONSTRAINT terminal_user_limits_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  set_by_user     uuid,
  set_by_api_key  uuid,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT terminal_user_limits_pkey PRIMARY KEY (merchant_id, user_id),
  CONSTRAINT terminal_user_limits_member_fkey FOREIGN KEY (merchant_id, user_id) REFERENCES memberships (merchant_id, user_id)
);
ALTER TABLE terminal_user_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE terminal_user_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON terminal_user_limits TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON terminal_user_limits TO kassa_system USING (true) WITH CHECK (true);

-- The audit trail's own entries (package audit): what people and API keys
-- did that is not a payment operation (those are payment_events with an
-- actor, which the trail reads beside these). Append-only: the
-- application may add entries but never change or remove one.
CREATE TABLE audit_events (
  merchant_id    uuid        NOT NULL REFERENCES merchants (id),
  id             uuid        NOT NULL,
  action         text        NOT NULL CONSTRAINT audit_events_action_check CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  actor_user     uuid,
  actor_api_key  uuid,
  subject_user   uuid,
  payment_id     uuid,
  amount         bigint,
  currency       char(3),
  detail         text        NOT NULL DEFAULT '' CONSTRAINT audit_events_detail_check CHECK (length(detail) <= 500),
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT audit_events_pkey PRIMARY KEY (merchant_id, id)
);
CREATE INDEX audit_events_actor_idx ON audit_events (merchant_id, actor_user, id DESC);
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audit_events TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON audit_events TO kassa_system USING (true) WITH CHECK (true);
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM kassa_app, kassa_system;

-- The trail lists payment events by the person who caused them.
CREATE INDEX payment_events_actor_idx ON payment_events (merchant_id, actor_user, id DESC) WHERE actor_user IS NOT NULL;

-- +goose Down
SELECT 1;
