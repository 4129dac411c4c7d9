-- The storefront catalog: what a shopper sees of a campaign's products, and
-- the catalog version its cached pages are keyed by.

-- One counter per distributor, bumped by every committed change to what a
-- storefront shows (campaigns, their items, products, their images and
-- types, attributes and their values). A cached catalog page is keyed by
-- the version it was built at, so a change invalidates every page at once
-- in every process, with no expiry to wait for and no key to find.
CREATE TABLE catalog_versions (
    distributor_id  BIGINT PRIMARY KEY REFERENCES distributors (id) ON DELETE CASCADE,
    version         BIGINT NOT NULL DEFAULT 1
);
INSERT INTO catalog_versions (distributor_id) SELECT id FROM distributors;

-- Runs at commit (a deferred constraint trigger), so the counter's row lock
-- is the last lock a transaction takes and is held only while it commits:
-- catalog writers never deadlock on it, and checkouts, which write none of
-- these tables, never touch it. The transaction-local setting makes a
-- statement over many rows bump once.
CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.distributor_id ELSE NEW.distributor_id END;
    flag TEXT := 'promostore.catalog_bumped_' || d;
BEGIN
    IF coalesce(current_setting(flag, true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO catalog_versions AS v (distributor_id) VALUES (d)
        ON CONFLICT (distributor_id) DO UPDATE SET version = v.version + 1;
    PERFORM set_config(flag, 'on', true);
    RETURN NULL;
END;
$$;

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['campaigns', 'campaign_items', 'products', 'product_images', 'product_types',
                             'attributes', 'attribute_values', 'product_variant_values']
    LOOP
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_catalog_version()',
                       t || '_catalog_version', t);
    END LOOP;
END;
$$;

-- A product as the storefront shows it in one campaign: one row per
-- (campaign, product) that has items in the campaign. Never a cost, a
-- margin, a supplier or a decorator.
CREATE VIEW storefront_products AS
SELECT p.id,
       ci.campaign_id,
       p.distributor_id,
       p.name,
       p.item_number,
       p.description,
       p.product_type_id,
       pt.name AS product_type,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                          'id', r.id, 'content_type', r.content_type,
                          'url', '/api/v1/minor/resources/' || r.id || '/content') ORDER BY pi.position)
                 FROM product_images pi JOIN resources r ON r.id = pi.resource_id
                 WHERE pi.product_id = p.id), '[]'::jsonb) AS images,
       count(*) AS items_count,
       min(ci.price) AS price_from,
       max(ci.price) AS price_to,
       p.version,
       p.created_at,
       p.modified_at
FROM campaign_items ci
JOIN products p ON p.id = ci.product_id
JOIN product_types pt ON pt.id = p.product_type_id
WHERE NOT p.is_deleted
GROUP BY ci.campaign_id, p.id, pt.id;

-- A campaign item as the storefront shows it: its sku, its attribute values
-- in the type's attribute order, where it is decorated, and its price.
-- `value_order` sorts a product's items by their values' positions (sizes
-- XXS … 6XL as the attribute orders them), then by id.
CREATE VIEW storefront_items AS
SELECT ci.id,
       ci.campaign_id,
       ci.distributor_id,
       ci.product_id,
       ci.sku,
       ci.attributes,
       coalesce((SELECT array_agg(e.a->>'value' ORDER BY e.o)
                 FROM jsonb_array_elements(ci.attributes) WITH ORDINALITY AS e(a, o)), '{}') AS attribute_values,
       coalesce((SELECT jsonb_agg(jsonb_build_object('location', e.d->>'location',
                                                     'logo_description', e.d->>'logo_description') ORDER BY e.o)
                 FROM jsonb_array_elements(ci.decorations) WITH ORDINALITY AS e(d, o)), '[]'::jsonb) AS decorations,
       ci.price,
       coalesce((SELECT string_agg(lpad(av.position::text, 6, '0'), '.' ORDER BY pvv.position)
                 FROM product_variant_values pvv JOIN attribute_values av ON av.id = pvv.attribute_value_id
                 WHERE pvv.variant_id = ci.product_variant_id), '') AS value_order,
       ci.version,
       ci.created_at,
       ci.modified_at
FROM campaign_items ci;
