-- Catalog: vendors, attributes and their ordered values, product types,
-- products, variants, campaign items; and Minor's uploaded files.
--
-- Every table carries an indexed distributor_id (DESIGN §5). Derived columns
-- (a variant's sku; a campaign item's copies, total and price) are stored, so
-- lists filter and sort on them with indexes; `storage::derived` is the one
-- place that recomputes them, and stops doing so for a campaign item once its
-- campaign is active (`frozen_at`).

CREATE TABLE vendors (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email           TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    is_supplier     BOOLEAN NOT NULL DEFAULT FALSE,
    is_decorator    BOOLEAN NOT NULL DEFAULT FALSE,
    is_pick_pack    BOOLEAN NOT NULL DEFAULT FALSE,
    is_active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    version         INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT vendors_some_role CHECK (is_supplier OR is_decorator OR is_pick_pack)
);
CREATE UNIQUE INDEX vendors_name_key ON vendors (distributor_id, lower(name));
CREATE INDEX vendors_distributor_name_idx ON vendors (distributor_id, name, id);
CREATE INDEX vendors_name_id_idx ON vendors (name, id);
CREATE TRIGGER vendors_touch BEFORE UPDATE ON vendors FOR EACH ROW EXECUTE FUNCTION touch_row();

-- The campaign's pick/pack partner is a vendor (of the same distributor; the
-- API checks the role flag).
ALTER TABLE campaigns
    ADD CONSTRAINT campaigns_pick_pack_partner_fk FOREIGN KEY (pick_pack_partner_id) REFERENCES vendors (id);

CREATE TABLE attributes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX attributes_name_key ON attributes (distributor_id, lower(name));
CREATE INDEX attributes_distributor_name_idx ON attributes (distributor_id, name, id);
CREATE INDEX attributes_name_id_idx ON attributes (name, id);
CREATE TRIGGER attributes_touch BEFORE UPDATE ON attributes FOR EACH ROW EXECUTE FUNCTION touch_row();

-- An attribute's values are an ordered list: positions are 0..n-1, dense.
-- The uniqueness of a position is checked at commit, so a reorder can move
-- every value in one statement.
CREATE TABLE attribute_values (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attribute_id    BIGINT NOT NULL REFERENCES attributes (id) ON DELETE CASCADE,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    position        INTEGER NOT NULL CHECK (position >= 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    version         INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT attribute_values_position_key UNIQUE (attribute_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX attribute_values_name_key ON attribute_values (attribute_id, lower(name));
CREATE INDEX attribute_values_distributor_idx ON attribute_values (distributor_id);
CREATE TRIGGER attribute_values_touch BEFORE UPDATE ON attribute_values
    FOR EACH ROW EXECUTE FUNCTION touch_row();

CREATE TABLE product_types (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX product_types_name_key ON product_types (distributor_id, lower(name));
CREATE INDEX product_types_distributor_name_idx ON product_types (distributor_id, name, id);
CREATE INDEX product_types_name_id_idx ON product_types (name, id);
CREATE TRIGGER product_types_touch BEFORE UPDATE ON product_types FOR EACH ROW EXECUTE FUNCTION touch_row();

-- A product type's attributes, in order (their position orders a variant's
-- values and so its sku).
CREATE TABLE product_type_attributes (
    product_type_id  BIGINT NOT NULL REFERENCES product_types (id) ON DELETE CASCADE,
    attribute_id     BIGINT NOT NULL REFERENCES attributes (id),
    distributor_id   BIGINT NOT NULL REFERENCES distributors (id),
    position         INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (product_type_id, attribute_id),
    UNIQUE (product_type_id, position)
);
CREATE INDEX product_type_attributes_attribute_idx ON product_type_attributes (attribute_id);

CREATE TABLE product_type_vendors (
    product_type_id  BIGINT NOT NULL REFERENCES product_types (id) ON DELETE CASCADE,
    vendor_id        BIGINT NOT NULL REFERENCES vendors (id),
    distributor_id   BIGINT NOT NULL REFERENCES distributors (id),
    PRIMARY KEY (product_type_id, vendor_id)
);
CREATE INDEX product_type_vendors_vendor_idx ON product_type_vendors (vendor_id);

CREATE TABLE products (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id   BIGINT NOT NULL REFERENCES distributors (id),
    product_type_id  BIGINT NOT NULL REFERENCES product_types (id),
    name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    item_number      TEXT NOT NULL CHECK (length(item_number) BETWEEN 1 AND 64),
    description      TEXT NOT NULL DEFAULT '',
    is_deleted       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    version          INTEGER NOT NULL DEFAULT 1
);
-- Unique among the products that are not deleted: a deleted product's item
-- number may be used again.
CREATE UNIQUE INDEX products_item_number_key ON products (distributor_id, lower(item_number)) WHERE NOT is_deleted;
CREATE INDEX products_distributor_name_idx ON products (distributor_id, name, id);
CREATE INDEX products_name_id_idx ON products (name, id);
CREATE INDEX products_type_idx ON products (product_type_id);
CREATE TRIGGER products_touch BEFORE UPDATE ON products FOR EACH ROW EXECUTE FUNCTION touch_row();

CREATE TABLE resources (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    sha256          TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL CHECK (size >= 0),
    original_name   TEXT NOT NULL DEFAULT '',
    linked_kind     TEXT,
    linked_id       BIGINT,
    created_by      BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX resources_sha256_key ON resources (distributor_id, sha256);
CREATE INDEX resources_distributor_created_idx ON resources (distributor_id, created_at, id);
CREATE INDEX resources_created_id_idx ON resources (created_at, id);
CREATE TRIGGER resources_touch BEFORE UPDATE ON resources FOR EACH ROW EXECUTE FUNCTION touch_row();

-- A product's images, in order. A resource in use cannot be deleted.
CREATE TABLE product_images (
    product_id      BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    resource_id     BIGINT NOT NULL REFERENCES resources (id),
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    position        INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (product_id, resource_id),
    UNIQUE (product_id, position)
);
CREATE INDEX product_images_resource_idx ON product_images (resource_id);

-- A variant: one value of each attribute of its product's type. `value_ids`
-- is that set, sorted, so a combination exists at most once per product;
-- `sku` is derived (item number, then the value names in the type's
-- attribute order, joined by '-').
CREATE TABLE product_variants (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distributor_id  BIGINT NOT NULL REFERENCES distributors (id),
    product_id      BIGINT NOT NULL REFERENCES products (id),
    supplier_id     BIGINT NOT NULL REFERENCES vendors (id),
    description     TEXT NOT NULL DEFAULT '',
    vendor_cost     NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (vendor_cost >= 0),
    value_ids       BIGINT[] NOT NULL,
    sku             TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX product_variants_values_key ON product_variants (product_id, value_ids);
CREATE INDEX product_variants_distributor_sku_idx ON product_variants (distributor_id, sku, id);
CREATE INDEX product_variants_sku_id_idx ON product_variants (sku, id);
CREATE INDEX product_variants_product_idx ON product_variants (product_id, sku, id);
CREATE INDEX product_variants_supplier_idx ON product_variants (supplier_id);
CREATE TRIGGER product_variants_touch BEFORE UPDATE ON product_variants
    FOR EACH ROW EXECUTE FUNCTION touch_row();

-- A variant's values, one per attribute; `position` is the attribute's
-- position in the product type, so values list in sku order.
CREATE TABLE product_variant_values (
    variant_id          BIGINT NOT NULL REFERENCES product_variants (id) ON DELETE CASCADE,
    attribute_id        BIGINT NOT NULL REFERENCES attributes (id),
    attribute_value_id  BIGINT NOT NULL REFERENCES attribute_values (id),
    distributor_id      BIGINT NOT NULL REFERENCES distributors (id),
    position            INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (variant_id, attribute_id)
);
CREATE INDEX product_variant_values_value_idx ON product_variant_values (attribute_value_id);

-- A campaign item: a variant put into a campaign with its costs, margin and
-- decorations. The columns after `bin_id` are derived by
-- `storage::derived::refresh_campaign_items` while the campaign is a draft,
-- and frozen (`frozen_at`) when it becomes active.
CREATE TABLE campaign_items (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id         BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    distributor_id      BIGINT NOT NULL REFERENCES distributors (id),
    product_variant_id  BIGINT NOT NULL REFERENCES product_variants (id),
    vendor_cost         NUMERIC(12, 2) NOT NULL CHECK (vendor_cost >= 0),
    ow_cost             NUMERIC(12, 2) CHECK (ow_cost >= 0),
    margin              NUMERIC(5, 2) NOT NULL CHECK (margin >= 0 AND margin < 100),
    -- [{location, logo_description, cost, decorator_id, decorator_name,
    --   decorator_email, decorator_address}]
    decorations         JSONB NOT NULL DEFAULT '[]',
    bin_id              TEXT,
    sku                 TEXT NOT NULL DEFAULT '',
    product_id          BIGINT NOT NULL,
    product_name        TEXT NOT NULL DEFAULT '',
    product_type_name   TEXT NOT NULL DEFAULT '',
    item_number         TEXT NOT NULL DEFAULT '',
    description         TEXT NOT NULL DEFAULT '',
    attributes          JSONB NOT NULL DEFAULT '[]',
    supplier_id         BIGINT NOT NULL,
    supplier_name       TEXT NOT NULL DEFAULT '',
    supplier_email      TEXT NOT NULL DEFAULT '',
    supplier_address    TEXT NOT NULL DEFAULT '',
    bfl_cost            NUMERIC(12, 2) NOT NULL DEFAULT 0,
    applied_ow_cost     NUMERIC(12, 2) NOT NULL DEFAULT 0,
    decoration_cost     NUMERIC(12, 2) NOT NULL DEFAULT 0,
    total               NUMERIC(12, 2) NOT NULL DEFAULT 0,
    price               NUMERIC(12, 2) NOT NULL DEFAULT 0,
    frozen_at           TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    version             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX campaign_items_campaign_sku_idx ON campaign_items (campaign_id, sku, id);
CREATE INDEX campaign_items_distributor_sku_idx ON campaign_items (distributor_id, sku, id);
CREATE INDEX campaign_items_sku_id_idx ON campaign_items (sku, id);
CREATE INDEX campaign_items_variant_idx ON campaign_items (product_variant_id);
CREATE TRIGGER campaign_items_touch BEFORE UPDATE ON campaign_items FOR EACH ROW EXECUTE FUNCTION touch_row();
