-- The storefront scenarios' data, added to the seeded benchmark database by bench/run.sh
-- (psql -v distributor=… -v shopper=… -v jobs=…):
--
-- 1. "Bench Storefront", an open store of the distributor with its 24 products that have the most
--    items anywhere, every such item copied in once per variant (frozen, priced), and the
--    benchmark shopper as a member: the catalog scenarios read its first page of 24 products.
-- 2. Checkout jobs: :jobs pairs of (shopper, open campaign where three units of its cheapest
--    items fit the limits and are covered by the allowance or personal pay) whose shopper has no
--    basket in it yet and whose seeded orders there leave room for them, each given a basket of
--    the campaign's three cheapest items;
--    bench/run.sh turns them into checkout requests. Orders and baskets of earlier runs are
--    removed first, so every run starts from the same rows.
\set ON_ERROR_STOP on

INSERT INTO campaigns (distributor_id, name, company_name, status, start_date, end_date, message, personal_pay)
SELECT :distributor, 'Bench Storefront', 'Bench Co', 'active', (now() AT TIME ZONE 'UTC')::date - 1,
       (now() AT TIME ZONE 'UTC')::date + 365, 'Welcome to the benchmark store', TRUE
WHERE NOT EXISTS (SELECT 1 FROM campaigns WHERE distributor_id = :distributor AND name = 'Bench Storefront');

WITH store AS (SELECT id FROM campaigns WHERE distributor_id = :distributor AND name = 'Bench Storefront'),
     top AS (SELECT product_id FROM campaign_items WHERE distributor_id = :distributor
             GROUP BY product_id ORDER BY count(DISTINCT product_variant_id) DESC, product_id LIMIT 24)
INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, ow_cost, margin, decorations,
                            bin_id, sku, product_id, product_name, product_type_name, item_number, description,
                            attributes, supplier_id, supplier_name, supplier_email, supplier_address, bfl_cost,
                            applied_ow_cost, decoration_cost, total, price, frozen_at)
SELECT DISTINCT ON (i.product_variant_id)
       store.id, i.distributor_id, i.product_variant_id, i.vendor_cost, i.ow_cost, i.margin, i.decorations, i.bin_id,
       i.sku, i.product_id, i.product_name, i.product_type_name, i.item_number, i.description, i.attributes,
       i.supplier_id, i.supplier_name, i.supplier_email, i.supplier_address, i.bfl_cost, i.applied_ow_cost,
       i.decoration_cost, i.total, i.price, now()
FROM campaign_items i JOIN top USING (product_id), store
WHERE NOT EXISTS (SELECT 1 FROM campaign_items x WHERE x.campaign_id = store.id)
ORDER BY i.product_variant_id, i.id;

INSERT INTO campaign_members (campaign_id, account_id, distributor_id)
SELECT c.id, :shopper, :distributor FROM campaigns c
WHERE c.distributor_id = :distributor AND c.name = 'Bench Storefront'
ON CONFLICT DO NOTHING;

-- Every run starts from the seeded state: the orders of earlier runs (the HTTP scenario's and
-- pgbench's, which obey no rule), with their ledger entries, jobs and notifications, and the baskets of
-- earlier jobs go. The first run after seeding records where the seeded orders end.
CREATE TABLE IF NOT EXISTS bench_seeded (max_order_id bigint NOT NULL);
INSERT INTO bench_seeded SELECT m FROM (SELECT coalesce(max(id), 0) AS m FROM orders) x
WHERE NOT EXISTS (SELECT 1 FROM bench_seeded);
-- The history tables are append-only (migration 0012's triggers refuse any DELETE): this reset of
-- a benchmark database, run by its owner, turns triggers off for its own statements only
-- (session_replication_role also skips foreign-key actions, so every child table is named).
SET session_replication_role = replica;
DELETE FROM order_note_versions v USING order_notes n
    WHERE v.note_id = n.id AND n.order_id > (SELECT max_order_id FROM bench_seeded);
DELETE FROM order_notes WHERE order_id > (SELECT max_order_id FROM bench_seeded);
DELETE FROM order_events WHERE order_id > (SELECT max_order_id FROM bench_seeded);
DELETE FROM order_items WHERE order_id > (SELECT max_order_id FROM bench_seeded);
DELETE FROM allowance_ledger WHERE order_id > (SELECT max_order_id FROM bench_seeded);
DELETE FROM notifications WHERE order_id > (SELECT max_order_id FROM bench_seeded);
DELETE FROM jobs WHERE (payload->>'order_id')::int8 > (SELECT max_order_id FROM bench_seeded);
DELETE FROM orders WHERE id > (SELECT max_order_id FROM bench_seeded);
SET session_replication_role = DEFAULT;
CREATE TABLE IF NOT EXISTS bench_checkout_jobs (account_id bigint, distributor_id bigint, campaign_id bigint);
DELETE FROM baskets b USING bench_checkout_jobs j WHERE b.account_id = j.account_id AND b.campaign_id = j.campaign_id;

-- The checkout jobs.
DROP TABLE IF EXISTS bench_open_campaigns;
CREATE TABLE bench_open_campaigns AS
SELECT c.id, c.distributor_id, cheapest.three FROM campaigns c
CROSS JOIN LATERAL (SELECT sum(p) AS three FROM (SELECT price AS p FROM campaign_items
                                                  WHERE campaign_id = c.id ORDER BY price LIMIT 3) x) cheapest
WHERE c.status = 'active'
  AND c.start_date <= (now() AT TIME ZONE 'UTC')::date AND c.end_date >= (now() AT TIME ZONE 'UTC')::date
  AND (c.personal_pay OR c.company_allowance IS NULL OR c.company_allowance >= cheapest.three)
  AND (c.items_count_limit IS NULL OR c.items_count_limit >= 3)
  AND (c.price_limit IS NULL OR c.price_limit >= cheapest.three)
  AND (SELECT count(*) FROM campaign_items WHERE campaign_id = c.id) >= 3;

-- A pair qualifies when the shopper's seeded history in the campaign (the orders of earlier runs
-- are gone) plus the basket still fits the limits and the allowance: at large scales the seeder
-- gives most members of open campaigns an order, so pairs with no order are too few.
DROP TABLE IF EXISTS bench_checkout_jobs;
CREATE TABLE bench_checkout_jobs AS
SELECT m.account_id, o.distributor_id, o.id AS campaign_id
FROM bench_open_campaigns o
JOIN campaigns c ON c.id = o.id
JOIN campaign_members m ON m.campaign_id = o.id
JOIN accounts a ON a.id = m.account_id AND a.role = 'shopper' AND a.active
CROSS JOIN LATERAL (SELECT coalesce(sum(items_count), 0) AS items, coalesce(sum(subtotal), 0) AS amount
                    FROM orders x WHERE x.account_id = m.account_id AND x.campaign_id = o.id
                      AND x.status <> 'cancelled') h
CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0) AS used FROM allowance_ledger l
                    WHERE l.account_id = m.account_id AND l.campaign_id = o.id) u
WHERE NOT EXISTS (SELECT 1 FROM baskets b WHERE b.account_id = m.account_id AND b.campaign_id = o.id)
  AND (c.items_count_limit IS NULL OR c.items_count_limit >= h.items + 3)
  AND (c.price_limit IS NULL OR c.price_limit >= h.amount + o.three)
  AND (c.personal_pay OR c.company_allowance IS NULL OR c.company_allowance - u.used >= o.three)
ORDER BY md5(m.account_id::text || o.id::text)
LIMIT :jobs;

INSERT INTO baskets (account_id, campaign_id, distributor_id)
SELECT account_id, campaign_id, distributor_id FROM bench_checkout_jobs;

INSERT INTO basket_items (account_id, campaign_id, campaign_item_id, distributor_id, quantity, unit_price)
SELECT j.account_id, j.campaign_id, i.id, j.distributor_id, 1, i.price
FROM bench_checkout_jobs j
CROSS JOIN LATERAL (SELECT id, price FROM campaign_items WHERE campaign_id = j.campaign_id
                    ORDER BY price, id LIMIT 3) i;
