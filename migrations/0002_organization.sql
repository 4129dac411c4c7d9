-- Organization: campaigns, their members and delivery locations, and the
-- durable Idempotency-Key store. Every tenant-owned table carries an indexed
-- distributor_id, so row scoping is one predicate (DESIGN §5).

CREATE TABLE campaigns (
    id                         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id             BIGINT NOT NULL REFERENCES distributors (id),
    name                       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    company_name               TEXT NOT NULL DEFAULT '',
    status                     TEXT NOT NULL DEFAULT 'draft'
                                 CHECK (status IN ('draft', 'active', 'closed', 'complete')),
    start_date                 DATE,
    end_date                   DATE,
    storefront_pricing         BOOLEAN NOT NULL DEFAULT TRUE,
    company_allowance          NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (company_allowance >= 0),
    personal_pay               BOOLEAN NOT NULL DEFAULT FALSE,
    items_count_limit          INTEGER CHECK (items_count_limit > 0),
    price_limit                NUMERIC(12, 2) CHECK (price_limit >= 0),
    email_shopper              BOOLEAN NOT NULL DEFAULT FALSE,
    checkout_fields            JSONB NOT NULL DEFAULT '[]',
    departments                TEXT[] NOT NULL DEFAULT '{}',
    message                    TEXT NOT NULL DEFAULT '',
    bfl_cost                   NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (bfl_cost >= 0),
    distributor_po             TEXT,
    pick_pack_partner_id       BIGINT,
    pick_pack_partner_message  TEXT NOT NULL DEFAULT '',
    created_by                 BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    version                    INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT campaigns_dates CHECK (start_date IS NULL OR end_date IS NULL OR start_date <= end_date)
);
CREATE UNIQUE INDEX campaigns_name_key ON campaigns (distributor_id, lower(name));
CREATE INDEX campaigns_distributor_id_idx ON campaigns (distributor_id, status);
CREATE TRIGGER campaigns_touch BEFORE UPDATE ON campaigns FOR EACH ROW EXECUTE FUNCTION touch_row();

CREATE TABLE campaign_members (
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, account_id)
);
CREATE INDEX campaign_members_account_idx ON campaign_members (account_id, campaign_id);
CREATE INDEX campaign_members_distributor_idx ON campaign_members (distributor_id);

CREATE TABLE locations (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id        BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    distributor_id     BIGINT NOT NULL REFERENCES distributors (id),
    nickname           TEXT NOT NULL CHECK (length(nickname) BETWEEN 1 AND 200),
    company_name       TEXT NOT NULL DEFAULT '',
    street_and_number  TEXT NOT NULL DEFAULT '',
    suite_unit         TEXT NOT NULL DEFAULT '',
    city               TEXT NOT NULL DEFAULT '',
    zip_code           TEXT NOT NULL DEFAULT '',
    region             TEXT NOT NULL DEFAULT '',
    country            TEXT NOT NULL DEFAULT 'US' CHECK (country ~ '^[A-Z]{2}$'),
    delivery_contact   TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX locations_campaign_idx ON locations (campaign_id, nickname);
CREATE INDEX locations_distributor_idx ON locations (distributor_id);
CREATE TRIGGER locations_touch BEFORE UPDATE ON locations FOR EACH ROW EXECUTE FUNCTION touch_row();

-- Idempotency keys: the first request with a key stores its response; the
-- same key and body replays it, another body is refused, and a request still
-- in flight (status NULL) is a conflict. Rows older than a day are expired.
CREATE TABLE idempotency_keys (
    account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    request_hash  BYTEA NOT NULL,
    status        SMALLINT,
    headers       JSONB NOT NULL DEFAULT '{}',
    body          BYTEA,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
