-- +goose Up

-- One live payment attempt per order. payment_attempt_id is the customer's
-- attempt that may pay the order now: starting a checkout sets it under the
-- order's row lock, so two browser tabs (or two posts at once) cannot both
-- start paying; a newer attempt supersedes one stuck at 3-D Secure.
-- settled_by_payment_id is the payment that reserved or paid the order: any
-- other authorization that still arrives for it is reversed.
ALTER TABLE orders
  ADD COLUMN payment_attempt_id    uuid,
  ADD COLUMN payment_attempt_at    timestamptz,
  ADD COLUMN settled_by_payment_id uuid;

-- Orders already reserved or paid: the first payment of their amount that
-- holds money settled them.
UPDATE orders o SET settled_by_payment_id = p.id
FROM (
  SELECT DISTINCT ON (merchant_id, order_id) merchant_id, order_id, id, amount, currency
  FROM payments WHERE order_id IS NOT NULL AND amount_authorized > 0
  ORDER BY merchant_id, order_id, created_at, id
) p
WHERE p.merchant_id = o.merchant_id AND p.order_id = o.id AND p.amount = o.gross_total AND p.currency = o.currency
  AND o.status IN ('RESERVED', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'EXPIRED');

-- +goose Down
ALTER TABLE orders DROP COLUMN payment_attempt_id, DROP COLUMN payment_attempt_at, DROP COLUMN settled_by_payment_id;
