-- +goose Up

-- The built-in card processor simulator's own books (package
-- payments/simulator). They are the processor's side of the story, kept
-- apart from kassa's tables so tests can compare the two. The simulator
-- works across merchants like a real processor does: its tables name the
-- merchant `account` (text) and carry no merchant_id, so they are outside
-- tenant row-level security; only kassa_system uses them.
--
-- No full card number or CVC is ever stored: a token stands for the card,
-- with brand, last 4 and expiry, and the behaviour its test number asked for.

CREATE TABLE simulator_tokens (
  token                 text        PRIMARY KEY,
  account               text        NOT NULL CONSTRAINT simulator_tokens_account_check CHECK (length(account) BETWEEN 1 AND 100),
  brand                 text        NOT NULL,
  last4                 text        NOT NULL CONSTRAINT simulator_tokens_last4_check CHECK (last4 ~ '^[0-9]{4}$'),
  exp_month             int         NOT NULL CONSTRAINT simulator_tokens_exp_month_check CHECK (exp_month BETWEEN 1 AND 12),
  exp_year              int         NOT NULL CONSTRAINT simulator_tokens_exp_year_check CHECK (exp_year BETWEEN 2000 AND 2100),
  -- What the test card number asked for.
  decline_code          text        NOT NULL DEFAULT '',
  challenge             boolean     NOT NULL DEFAULT false,
  duplicate_callbacks   boolean     NOT NULL DEFAULT false,
  -- Set once an authorization with SaveMandate succeeded.
  mandate               boolean     NOT NULL DEFAULT false,
  -- Set by tests (Server.SetMandateBehaviour): later charges decline so.
  mandate_decline_code  text        NOT NULL DEFAULT '',
  created_at            timestamptz NOT NULL
);

CREATE TABLE simulator_payments (
  ref                  text        PRIMARY KEY,
  seq                  bigint      GENERATED ALWAYS AS IDENTITY CONSTRAINT simulator_payments_seq_key UNIQUE,
  account              text        NOT NULL CONSTRAINT simulator_payments_account_check CHECK (length(account) BETWEEN 1 AND 100),
  payment_id           uuid        NOT NULL,
  idempotency_key      text        NOT NULL CONSTRAINT simulator_payments_idempotency_key_key UNIQUE
                                   CONSTRAINT simulator_payments_idempotency_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  amount               bigint      NOT NULL CONSTRAINT simulator_payments_amount_check CHECK (amount > 0),
  currency             char(3)     NOT NULL CONSTRAINT simulator_payments_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  capture              boolean     NOT NULL,
  initiator            text        NOT NULL CONSTRAINT simulator_payments_initiator_check CHECK (initiator IN ('CUSTOMER', 'MERCHANT_MOTO', 'MERCHANT_RECURRING')),
  status               text        NOT NULL CONSTRAINT simulator_payments_status_check CHECK (status IN ('REQUIRES_ACTION', 'AUTHORIZED', 'CAPTURED', 'VOIDED', 'EXPIRED', 'FAILED')),
  authorized_amount    bigint      NOT NULL DEFAULT 0 CONSTRAINT simulator_payments_authorized_check CHECK (authorized_amount BETWEEN 0 AND amount),
  captured_amount      bigint      NOT NULL DEFAULT 0 CONSTRAINT simulator_payments_captured_check CHECK (captured_amount BETWEEN 0 AND authorized_amount),
  refunded_amount      bigint      NOT NULL DEFAULT 0 CONSTRAINT simulator_payments_refunded_check CHECK (refunded_amount BETWEEN 0 AND captured_amount),
  -- A final capture releases what was not captured.
  capture_closed       boolean     NOT NULL DEFAULT false,
  token                text        REFERENCES simulator_tokens (token),
  brand                text        NOT NULL DEFAULT '',
  last4                text        NOT NULL DEFAULT '' CONSTRAINT simulator_payments_last4_check CHECK (last4 ~ '^([0-9]{4})?$'),
  exp_month            int         NOT NULL DEFAULT 0,
  exp_year             int         NOT NULL DEFAULT 0,
  -- NULL while a challenge is outstanding.
  three_ds             text        CONSTRAINT simulator_payments_three_ds_check CHECK (three_ds IN ('NOT_REQUIRED', 'PASSED', 'FAILED', 'CANCELLED')),
  failure_code         text        NOT NULL DEFAULT '',
  failure_message      text        NOT NULL DEFAULT '',
  save_mandate         boolean     NOT NULL DEFAULT false,
  mandate_token        text        REFERENCES simulator_tokens (token),
  duplicate_callbacks  boolean     NOT NULL DEFAULT false,
  authorized_at        timestamptz,
  capture_before       timestamptz,
  return_url           text        NOT NULL DEFAULT '',
  description          text        NOT NULL DEFAULT '',
  -- The first answer to the authorization, returned again to a retry.
  auth_response        jsonb       NOT NULL,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  CONSTRAINT simulator_payments_capture_before_check CHECK ((authorized_amount = 0) = (capture_before IS NULL))
);
CREATE INDEX simulator_payments_account_idx ON simulator_payments (account, seq);
CREATE INDEX simulator_payments_hold_idx ON simulator_payments (capture_before) WHERE status = 'AUTHORIZED';

-- Captures, voids and refunds, each once per idempotency key; declined ones
-- too, so a retry gets the same answer.
CREATE TABLE simulator_operations (
  id                text        PRIMARY KEY,
  seq               bigint      GENERATED ALWAYS AS IDENTITY CONSTRAINT simulator_operations_seq_key UNIQUE,
  idempotency_key   text        NOT NULL CONSTRAINT simulator_operations_idempotency_key_key UNIQUE
                                CONSTRAINT simulator_operations_idempotency_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  ref               text        NOT NULL REFERENCES simulator_payments (ref),
  kind              text        NOT NULL CONSTRAINT simulator_operations_kind_check CHECK (kind IN ('capture', 'void', 'refund')),
  requested_amount  bigint      NOT NULL CONSTRAINT simulator_operations_requested_amount_check CHECK (requested_amount >= 0),
  amount            bigint      NOT NULL CONSTRAINT simulator_operations_amount_check CHECK (amount >= 0),
  result            text        NOT NULL CONSTRAINT simulator_operations_result_check CHECK (result IN ('SUCCEEDED', 'DECLINED')),
  decline_code      text        NOT NULL DEFAULT '',
  response_status   int         NOT NULL,
  response          jsonb       NOT NULL,
  created_at        timestamptz NOT NULL
);
CREATE INDEX simulator_operations_ref_idx ON simulator_operations (ref, seq);

-- The callback outbox: rows commit with the change they report and are
-- delivered by Server.Run until the receiver answers 2xx. A card that asks
-- for duplicate callbacks gets a second copy of an event (same event_id).
CREATE TABLE simulator_callbacks (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id         text        NOT NULL,
  copy             smallint    NOT NULL DEFAULT 1,
  ref              text        NOT NULL REFERENCES simulator_payments (ref),
  type             text        NOT NULL,
  body             text        NOT NULL,
  attempts         int         NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  delivered_at     timestamptz,
  last_error       text        NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT simulator_callbacks_event_key UNIQUE (event_id, copy)
);
CREATE INDEX simulator_callbacks_due_idx ON simulator_callbacks (next_attempt_at, id) WHERE delivered_at IS NULL;

-- The default privileges of the first migration let both roles use new
-- tables; the tenant role has no business with the processor's books.
REVOKE ALL ON simulator_tokens, simulator_payments, simulator_operations, simulator_callbacks FROM kassa_app;

-- +goose Down
-- Migrations are forward-only.
SELECT 1;
