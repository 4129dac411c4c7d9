-- Foundation: distributors, accounts and refresh-token families.
--
-- Conventions for every table (DESIGN §2): BIGINT identity ids, created_at /
-- modified_at as timestamptz (UTC), and a `version` bumped by the database on
-- every update, so ETags and optimistic concurrency never depend on the caller
-- remembering to bump it.

CREATE FUNCTION touch_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.modified_at := now();
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;

CREATE TABLE distributors (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email             TEXT NOT NULL DEFAULT '',
    address           TEXT NOT NULL DEFAULT '',
    ow_cost           NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (ow_cost >= 0),
    campaign_cost     NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (campaign_cost >= 0),
    transaction_cost  NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (transaction_cost >= 0),
    max_sales_count   INTEGER NOT NULL DEFAULT 5 CHECK (max_sales_count >= 0),
    is_deleted        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX distributors_name_key ON distributors (lower(name));
CREATE TRIGGER distributors_touch BEFORE UPDATE ON distributors
    FOR EACH ROW EXECUTE FUNCTION touch_row();

CREATE TABLE accounts (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username         TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 150),
    email            TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    first_name       TEXT NOT NULL DEFAULT '',
    last_name        TEXT NOT NULL DEFAULT '',
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN
                       ('shopper', 'admin_buyer', 'sales_executive', 'distributor_manager', 'super_admin')),
    distributor_id   BIGINT REFERENCES distributors (id),
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    reports_enabled  BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at    TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    version          INTEGER NOT NULL DEFAULT 1,
    -- Only super admins stand outside every distributor.
    CONSTRAINT accounts_distributor_role CHECK ((role = 'super_admin') = (distributor_id IS NULL))
);
CREATE UNIQUE INDEX accounts_username_key ON accounts (lower(username));
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));
CREATE INDEX accounts_distributor_id_idx ON accounts (distributor_id, username);
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION touch_row();

-- Refresh tokens are opaque random strings; only their SHA-256 is stored. All
-- tokens issued from one login form a family: presenting a token that was
-- already rotated revokes the whole family (it was stolen or replayed).
CREATE TABLE refresh_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    family       TEXT NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);
CREATE INDEX refresh_tokens_account_idx ON refresh_tokens (account_id) WHERE revoked_at IS NULL;
