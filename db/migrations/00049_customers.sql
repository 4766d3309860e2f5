-- +goose Up

-- Customers as records of their own (package orders, customers.go). Until
-- now a customer existed only as fields copied onto each order and
-- subscription, so one customer's history could not be seen.
--
-- Identity: one customer per merchant and email address, compared without
-- case (email_key is the lowered address; the unique constraint is what a
-- concurrent get-or-create conflicts on). An order without an email is a
-- customer of its own (email_key NULL, so the constraint never joins two
-- of them): name and phone identify no one reliably. When such an order
-- gets its email later, it moves to that email's customer.
--
-- name, phone and locale are the latest an order or subscription gave (the
-- orders keep their own copies: an order records what was agreed).
-- active_at is the newest order or subscription, what the list sorts by.
CREATE TABLE customers (
  merchant_id uuid        NOT NULL REFERENCES merchants (id),
  id          uuid        NOT NULL,
  email       text,
  email_key   text,
  name        text        NOT NULL DEFAULT '',
  phone       text        NOT NULL DEFAULT '',
  locale      text        NOT NULL DEFAULT 'sv' CONSTRAINT customers_locale_check CHECK (locale IN ('sv', 'en')),
  active_at   timestamptz NOT NULL DEFAULT now(),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT customers_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT customers_email_key UNIQUE (merchant_id, email_key),
  CONSTRAINT customers_email_key_check CHECK (email_key IS NOT DISTINCT FROM lower(email))
);
CREATE INDEX customers_active_idx ON customers (merchant_id, active_at DESC, id DESC);
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON customers TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON customers TO kassa_system USING (true) WITH CHECK (true);

-- The backfill below reads and writes as the migrating role, which owns
-- the tables but need not be a superuser (a managed PostgreSQL has none):
-- forced row-level security would show it no rows, so the force is lifted
-- inside this transaction and put back at its end (customers is forced
-- there, once filled).
ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;
ALTER TABLE subscriptions NO FORCE ROW LEVEL SECURITY;

ALTER TABLE orders ADD COLUMN customer_id uuid;
ALTER TABLE subscriptions ADD COLUMN customer_id uuid;

-- Backfill. A customer with an email takes the id and creation time of the
-- first order or subscription with that email, and the name, phone and
-- locale of the latest; an order without an email becomes a customer with
-- the order's own id. Deterministic, so re-running on a copy gives the same
-- ids.
CREATE TEMPORARY TABLE customer_sources ON COMMIT DROP AS
  SELECT merchant_id, id, lower(btrim(customer_email)) AS email_key, btrim(customer_email) AS email,
         customer_name AS name, customer_phone AS phone, customer_locale AS locale, created_at
  FROM orders WHERE nullif(btrim(customer_email), '') IS NOT NULL
  UNION ALL
  SELECT merchant_id, id, lower(btrim(customer_email)), btrim(customer_email),
         customer_name, '', customer_locale, created_at
  FROM subscriptions WHERE nullif(btrim(customer_email), '') IS NOT NULL;

INSERT INTO customers (merchant_id, id, email, email_key, name, phone, locale, active_at, created_at, updated_at)
SELECT f.merchant_id, f.id, l.email, f.email_key, l.name, l.phone,
       CASE WHEN l.locale IN ('sv', 'en') THEN l.locale ELSE 'sv' END, l.created_at, f.created_at, now()
FROM (SELECT DISTINCT ON (merchant_id, email_key) merchant_id, email_key, id, created_at
      FROM customer_sources ORDER BY merchant_id, email_key, created_at, id) f
JOIN (SELECT DISTINCT ON (merchant_id, email_key) merchant_id, email_key, email, name, phone, locale, created_at
      FROM customer_sources ORDER BY merchant_id, email_key, created_at DESC, id DESC) l
  USING (merchant_id, email_key);

INSERT INTO customers (merchant_id, id, name, phone, locale, active_at, created_at, updated_at)
SELECT merchant_id, id, customer_name, customer_phone, customer_locale, created_at, created_at, now()
FROM orders WHERE nullif(btrim(customer_email), '') IS NULL;

UPDATE orders o SET customer_id = c.id
FROM customers c
WHERE c.merchant_id = o.merchant_id AND c.email_key = lower(btrim(o.customer_email));
UPDATE orders SET customer_id = id WHERE customer_id IS NULL;

UPDATE subscriptions s SET customer_id = c.id
FROM customers c
WHERE c.merchant_id = s.merchant_id AND c.email_key = lower(btrim(s.customer_email));

-- Every order has its customer (orders.CreateTx sets it in the order's
-- transaction). A subscription gets the customer of its first order; the
-- column stays nullable for rows written without one.
ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_customer_fkey FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id);
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_customer_fkey FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id);
CREATE INDEX orders_customer_idx ON orders (merchant_id, customer_id, id DESC);
CREATE INDEX subscriptions_customer_idx ON subscriptions (merchant_id, customer_id, id DESC);
ALTER TABLE orders FORCE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;

-- The emails kassa sent for a merchant (package mailer): a row written in
-- the transaction that enqueues the email, its status moved on by the
-- delivery job. It lets the merchant see what a customer was sent. The
-- body is not kept (it is in the delivery job until sent); the subject is.
-- merchant_id has no foreign key: the log must never fail the change that
-- sends the email (the mailer sets the merchant it sends for; row-level
-- security scopes the rows).
CREATE TABLE sent_emails (
  merchant_id   uuid        NOT NULL,
  id            uuid        NOT NULL,
  message_id    text        NOT NULL,
  kind          text        NOT NULL,
  recipient     text        NOT NULL,
  recipient_key text        NOT NULL,
  subject       text        NOT NULL DEFAULT '',
  status        text        NOT NULL DEFAULT 'QUEUED' CONSTRAINT sent_emails_status_check CHECK (status IN ('QUEUED', 'SENT', 'FAILED')),
  failure       text,
  queued_at     timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz,
  failed_at     timestamptz,
  CONSTRAINT sent_emails_pkey PRIMARY KEY (merchant_id, id),
  CONSTRAINT sent_emails_message_key UNIQUE (merchant_id, message_id),
  CONSTRAINT sent_emails_recipient_key_check CHECK (recipient_key = lower(recipient))
);
CREATE INDEX sent_emails_recipient_idx ON sent_emails (merchant_id, recipient_key, id DESC);
ALTER TABLE sent_emails ENABLE ROW LEVEL SECURITY;
ALTER TABLE sent_emails FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON sent_emails TO kassa_app
  USING (merchant_id = kassa_current_merchant()) WITH CHECK (merchant_id = kassa_current_merchant());
CREATE POLICY system ON sent_emails TO kassa_system USING (true) WITH CHECK (true);

-- +goose Down
SELECT 1;
