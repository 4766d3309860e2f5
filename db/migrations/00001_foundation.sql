-- +goose Up

-- Roles. The application never connects as the owner of the tables: tenant
-- requests run as kassa_app, which row-level security restricts to the
-- merchant named in the transaction's kassa.merchant_id setting; the few
-- cross-tenant paths (credential lookup, processor callbacks, the billing
-- runner) run as kassa_system. Roles are cluster-wide, so create them only
-- when missing.
-- +goose StatementBegin
-- Databases migrating at once on one cluster (tests) may race to create
-- them: the loser finds the role there and carries on.
DO $$
BEGIN
  BEGIN
    CREATE ROLE kassa_app LOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  BEGIN
    CREATE ROLE kassa_system LOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
END
$$;
-- +goose StatementEnd

-- The application logs in as these roles where the server allows it (the
-- embedded cluster does; an external one needs passwords set by its DBA);
-- otherwise the migrating user switches to them on each pooled connection.
-- +goose StatementBegin
DO $$
BEGIN
  EXECUTE format('GRANT kassa_app, kassa_system TO %I', current_user);
EXCEPTION WHEN others THEN
  -- Superusers are members of every role already; a DBA may also have
  -- granted the roles ahead of time.
  NULL;
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO kassa_app, kassa_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kassa_app, kassa_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO kassa_app, kassa_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO kassa_app, kassa_system;

-- The merchant of the current transaction, or NULL when none is set (then
-- tenant policies match no row at all).
CREATE FUNCTION kassa_current_merchant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('kassa.merchant_id', true), '')::uuid $$;

CREATE TABLE merchants (
  id               uuid        PRIMARY KEY,
  name             text        NOT NULL CONSTRAINT merchants_name_check CHECK (length(name) BETWEEN 1 AND 200),
  default_currency char(3)     NOT NULL DEFAULT 'SEK' CONSTRAINT merchants_currency_check CHECK (default_currency ~ '^[A-Z]{3}$'),
  time_zone        text        NOT NULL DEFAULT 'Europe/Stockholm',
  locale           text        NOT NULL DEFAULT 'sv' CONSTRAINT merchants_locale_check CHECK (locale IN ('sv', 'en')),
  created_at       timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE merchants ENABLE ROW LEVEL SECURITY;
ALTER TABLE merchants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON merchants TO kassa_app
  USING (id = kassa_current_merchant()) WITH CHECK (id = kassa_current_merchant());
CREATE POLICY system ON merchants TO kassa_system USING (true) WITH CHECK (true);

-- A person who can log in. People are global (one login for several
-- merchants); what they may do for a merchant is their membership.
CREATE TABLE users (
  id              uuid        PRIMARY KEY,
  email           text        NOT NULL CONSTRAINT users_email_check CHECK (length(email) BETWEEN 3 AND 254),
  name            text        NOT NULL DEFAULT '',
  password_hash   text,
  failed_logins   int         NOT NULL DEFAULT 0,
  locked_until    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_login_at   timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
  merchant_id        uuid        NOT NULL REFERENCES merchants (id),
  user_id            uuid        NOT NULL REFERENCES users (id),
  role               text        NOT NULL CONSTRAINT memberships_role_check CHECK (role IN ('OWNER', 'ADMIN', 'SALES')),
  status             text        NOT NULL DEFAULT 'ACTIVE' CONSTRAINT memberships_status_check CHECK (status IN ('INVITED', 'ACTIVE', 'DEACTIVATED')),
  invite_token_hash  bytea       CONSTRAINT memberships_invite_token_key UNIQUE,
  invite_expires_at  timestamptz,
  invited_by         uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT memberships_pkey PRIMARY KEY (merchant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON memberships TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON memberships TO kassa_system USING (true) WITH CHECK (true);

-- A merchant sees the people who are its members and no one else.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON users TO kassa_app
  USING (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id))
  WITH CHECK (true);
CREATE POLICY system ON users TO kassa_system USING (true) WITH CHECK (true);

CREATE TABLE api_keys (
  merchant_id    uuid        NOT NULL REFERENCES merchants (id),
  id             uuid        NOT NULL,
  name           text        NOT NULL CONSTRAINT api_keys_name_check CHECK (length(name) BETWEEN 1 AND 100),
  mode           text        NOT NULL CONSTRAINT api_keys_mode_check CHECK (mode IN ('test', 'live')),
  prefix         text        NOT NULL,
  last4          text        NOT NULL,
  secret_hash    bytea       NOT NULL CONSTRAINT api_keys_secret_hash_key UNIQUE,
  created_by     uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz,
  revoked_at     timestamptz,
  CONSTRAINT api_keys_pkey PRIMARY KEY (merchant_id, id)
);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON api_keys TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON api_keys TO kassa_system USING (true) WITH CHECK (true);

CREATE TABLE sessions (
  merchant_id    uuid        NOT NULL REFERENCES merchants (id),
  id             uuid        NOT NULL,
  user_id        uuid        NOT NULL REFERENCES users (id),
  token_hash     bytea       NOT NULL CONSTRAINT sessions_token_hash_key UNIQUE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  ip             text        NOT NULL DEFAULT '',
  user_agent     text        NOT NULL DEFAULT '',
  CONSTRAINT sessions_pkey PRIMARY KEY (merchant_id, id)
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON sessions TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON sessions TO kassa_system USING (true) WITH CHECK (true);

-- Stored responses of mutations sent with an Idempotency-Key header.
CREATE TABLE idempotency_keys (
  merchant_id     uuid        NOT NULL REFERENCES merchants (id),
  credential_id   uuid        NOT NULL,
  key             text        NOT NULL CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 255),
  request_hash    bytea       NOT NULL,
  status          text        NOT NULL CONSTRAINT idempotency_keys_status_check CHECK (status IN ('RUNNING', 'DONE')),
  response_code   int,
  response_type   text,
  response_body   bytea,
  created_at      timestamptz NOT NULL DEFAULT now(),
  locked_at       timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (merchant_id, credential_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON idempotency_keys TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON idempotency_keys TO kassa_system USING (true) WITH CHECK (true);

-- +goose Down
-- Migrations are forward-only.
SELECT 1;
