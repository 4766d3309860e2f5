-- +goose Up

-- What receipts and invoices must say about the seller: its legal name,
-- Swedish organisation number (NNNNNN-NNNN, check digit verified in Go),
-- VAT number (uppercase, no spaces) and postal address. All optional: a
-- merchant fills them in from the dashboard's settings.
ALTER TABLE merchants
  ADD COLUMN legal_name          text CONSTRAINT merchants_legal_name_check CHECK (length(legal_name) BETWEEN 1 AND 200),
  ADD COLUMN organisation_number text CONSTRAINT merchants_organisation_number_check CHECK (organisation_number ~ '^[0-9]{6}-[0-9]{4}$'),
  ADD COLUMN vat_number          text CONSTRAINT merchants_vat_number_check CHECK (vat_number ~ '^[A-Z]{2}[0-9A-Z+*]{2,13}$'),
  ADD COLUMN address_line1       text CONSTRAINT merchants_address_line1_check CHECK (length(address_line1) BETWEEN 1 AND 200),
  ADD COLUMN address_line2       text CONSTRAINT merchants_address_line2_check CHECK (length(address_line2) BETWEEN 1 AND 200),
  ADD COLUMN postal_code         text CONSTRAINT merchants_postal_code_check CHECK (length(postal_code) BETWEEN 1 AND 20),
  ADD COLUMN city                text CONSTRAINT merchants_city_check CHECK (length(city) BETWEEN 1 AND 100),
  ADD COLUMN country             char(2) CONSTRAINT merchants_country_check CHECK (country ~ '^[A-Z]{2}$'),
  ADD CONSTRAINT merchants_time_zone_check CHECK (length(time_zone) BETWEEN 1 AND 100);

-- The language a person chose for the dashboard; NULL until they choose
-- (the browser's Accept-Language, then the merchant's language, apply).
ALTER TABLE users
  ADD COLUMN locale text CONSTRAINT users_locale_check CHECK (locale IN ('sv', 'en'));

-- The dashboard's payments list filters by the staff member who took a
-- payment and by date, newest first.
CREATE INDEX payments_created_by_user_idx ON payments (merchant_id, created_by_user, id DESC) WHERE created_by_user IS NOT NULL;
CREATE INDEX payments_merchant_created_at_idx ON payments (merchant_id, created_at);

-- +goose Down
DROP INDEX payments_merchant_created_at_idx;
DROP INDEX payments_created_by_user_idx;
ALTER TABLE users DROP COLUMN locale;
ALTER TABLE merchants
  DROP CONSTRAINT merchants_time_zone_check,
  DROP COLUMN legal_name, DROP COLUMN organisation_number, DROP COLUMN vat_number,
  DROP COLUMN address_line1, DROP COLUMN address_line2, DROP COLUMN postal_code, DROP COLUMN city, DROP COLUMN country;
