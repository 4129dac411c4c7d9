-- Storefront: baskets, orders with their lines and events, the allowance
-- ledger and the notification outbox. Every table carries distributor_id
-- (DESIGN §5). Money is NUMERIC(12, 2) and every sum is checked where the
-- database can check it, so a bug cannot write money that does not add up.

-- One row per (shopper, campaign): the basket's version (its ETag) and the
-- row every basket change and checkout of that shopper locks, so they run
-- one at a time per shopper and never across shoppers.
CREATE TABLE baskets (
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    version         INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (account_id, campaign_id)
);
CREATE INDEX baskets_distributor_idx ON baskets (distributor_id);
CREATE INDEX baskets_campaign_idx ON baskets (campaign_id);
CREATE TRIGGER baskets_touch BEFORE UPDATE ON baskets FOR EACH ROW EXECUTE FUNCTION touch_row();

-- A basket's lines; `unit_price` is the price the shopper saw when the line
-- was last set, so a checkout can refuse a price that changed since.
CREATE TABLE basket_items (
    account_id        BIGINT NOT NULL,
    campaign_id       BIGINT NOT NULL,
    campaign_item_id  BIGINT NOT NULL REFERENCES campaign_items (id) ON DELETE CASCADE,
    distributor_id    BIGINT NOT NULL REFERENCES distributors (id),
    quantity          INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price        NUMERIC(12, 2) NOT NULL CHECK (unit_price >= 0),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, campaign_id, campaign_item_id),
    FOREIGN KEY (account_id, campaign_id) REFERENCES baskets (account_id, campaign_id) ON DELETE CASCADE
);
CREATE INDEX basket_items_distributor_idx ON basket_items (distributor_id);
CREATE INDEX basket_items_item_idx ON basket_items (campaign_item_id);

-- Order numbers come from a sequence: assigning one never waits on another
-- checkout (gaps after a rollback are fine; numbers are names, not counts).
CREATE SEQUENCE order_number_seq;

CREATE TABLE orders (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    distributor_id     BIGINT NOT NULL REFERENCES distributors (id),
    account_id         BIGINT NOT NULL REFERENCES accounts (id),
    campaign_id        BIGINT NOT NULL REFERENCES campaigns (id),
    status             TEXT NOT NULL DEFAULT 'processing'
                         CHECK (status IN ('processing', 'approved', 'ordered', 'shipped', 'delivered', 'cancelled')),
    checkout_fields    JSONB NOT NULL DEFAULT '{}',
    -- A copy of the delivery location chosen at checkout: a later edit of
    -- the location does not change the order.
    location           JSONB,
    department         TEXT,
    items_count        INTEGER NOT NULL CHECK (items_count > 0),
    subtotal           NUMERIC(12, 2) NOT NULL CHECK (subtotal >= 0),
    allowance_applied  NUMERIC(12, 2) NOT NULL CHECK (allowance_applied >= 0),
    payroll_deduction  NUMERIC(12, 2) NOT NULL CHECK (payroll_deduction >= 0),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    version            INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT orders_split_adds_up CHECK (allowance_applied + payroll_deduction = subtotal)
);
CREATE INDEX orders_distributor_created_idx ON orders (distributor_id, created_at, id);
CREATE INDEX orders_account_campaign_idx ON orders (account_id, campaign_id);
CREATE INDEX orders_campaign_idx ON orders (campaign_id, created_at, id);
CREATE INDEX orders_created_id_idx ON orders (created_at, id);
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_row();

-- An order's lines, with the unit price frozen at checkout and copies of
-- what the shopper bought.
CREATE TABLE order_items (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    distributor_id    BIGINT NOT NULL REFERENCES distributors (id),
    campaign_item_id  BIGINT NOT NULL REFERENCES campaign_items (id),
    sku               TEXT NOT NULL,
    product_name      TEXT NOT NULL,
    quantity          INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price        NUMERIC(12, 2) NOT NULL CHECK (unit_price >= 0),
    line_total        NUMERIC(12, 2) NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    version           INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT order_items_total CHECK (line_total = round(unit_price * quantity, 2)),
    UNIQUE (order_id, campaign_item_id)
);
CREATE INDEX order_items_distributor_idx ON order_items (distributor_id);
CREATE INDEX order_items_item_idx ON order_items (campaign_item_id);
CREATE TRIGGER order_items_touch BEFORE UPDATE ON order_items FOR EACH ROW EXECUTE FUNCTION touch_row();

-- An order's history, append-only: every change of status, item or note.
CREATE TABLE order_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    kind            TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 50),
    message         TEXT NOT NULL DEFAULT '',
    actor_id        BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    data            JSONB NOT NULL DEFAULT '{}',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);
CREATE INDEX order_events_distributor_idx ON order_events (distributor_id);

-- The allowance ledger, append-only, per (shopper, campaign): one entry per
-- checkout (later also per cancellation and edit). `amount` is what the
-- entry takes from the allowance (negative gives back); `balance` what is
-- left after it, NULL when the campaign has no allowance to run out of. The
-- CHECK makes overspending impossible whatever the code does.
CREATE TABLE allowance_ledger (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    campaign_id     BIGINT NOT NULL REFERENCES campaigns (id),
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    order_id        BIGINT NOT NULL REFERENCES orders (id),
    kind            TEXT NOT NULL CHECK (kind IN ('checkout', 'cancellation', 'edit')),
    amount          NUMERIC(12, 2) NOT NULL,
    balance         NUMERIC(12, 2) CHECK (balance >= 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX allowance_ledger_shopper_idx ON allowance_ledger (account_id, campaign_id, id);
CREATE INDEX allowance_ledger_distributor_idx ON allowance_ledger (distributor_id);
CREATE INDEX allowance_ledger_order_idx ON allowance_ledger (order_id);

-- Notifications to send, written in the transaction that causes them (an
-- order confirmation at checkout); the job queue delivers them.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    kind            TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 50),
    payload         JSONB NOT NULL DEFAULT '{}',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbox_distributor_idx ON outbox (distributor_id);
