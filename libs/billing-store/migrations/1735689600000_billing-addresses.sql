-- The legacy billing schema, as the old system had it: the addresses table with its primary key
-- and the unique address id, and NO index that serves the lookup (user_id + is_default, newest
-- updated_at first). `applySqlProfile(..., 'indexed')` adds the index a DBA would add.

-- Up Migration
CREATE TABLE billing_addresses (
  id          bigserial PRIMARY KEY,
  address_id  text NOT NULL UNIQUE,
  user_id     text NOT NULL,
  name        text,
  email       text,
  line1       text,
  line2       text,
  city        text,
  state       text,
  postal_code text,
  country     text,
  is_default  boolean NOT NULL,
  updated_at  timestamptz NOT NULL,
  created_at  timestamptz DEFAULT now()
);

-- What the synthetic data set currently loaded is (one row at most); see seedBillingAddresses.
CREATE TABLE billing_seed (
  singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  users              integer NOT NULL,
  addresses_per_user integer NOT NULL,
  row_count          bigint NOT NULL,
  seeded_at          timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE billing_seed;
DROP TABLE billing_addresses;
