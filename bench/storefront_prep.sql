-- The storefront scenarios' data, added to the seeded benchmark database by bench/run.sh
-- (psql -v distributor=… -v shopper=… -v jobs=…):
--
-- 1. "Bench Storefront", an open store of the distributor with its 24 products that have the most
--    items anywhere, every such item copied in once per variant (frozen, priced), and the
--    benchmark shopper as a member: the catalog scenarios read its first page of 24 products.
-- 2. Checkout jobs: :jobs pairs of (shopper, open campaign where three units of its cheapest
--    items fit the limits and are covered by the allowance or personal pay) whose shopper has no
--    order and no basket in it yet (seeded shoppers first, then the benchmark's own), each given a
--    basket of the campaign's three cheapest items;
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
SELECT row_number() OVER (ORDER BY c.id) AS rn, c.id, c.distributor_id FROM campaigns c
CROSS JOIN LATERAL (SELECT sum(p) AS three FROM (SELECT price AS p FROM campaign_items
                                                  WHERE campaign_id = c.id ORDER BY price LIMIT 3) x) cheapest
WHERE c.status = 'active'
  AND c.start_date <= (now() AT TIME ZONE 'UTC')::date AND c.end_date >= (now() AT TIME ZONE 'UTC')::date
  AND (c.personal_pay OR c.company_allowance IS NULL OR c.company_allowance >= cheapest.three)
  AND (c.items_count_limit IS NULL OR c.items_count_limit >= 3)
  AND (c.price_limit IS NULL OR c.price_limit >= cheapest.three)
  AND (SELECT count(*) FROM campaign_items WHERE campaign_id = c.id) >= 3;

DROP TABLE IF EXISTS bench_checkout_jobs;
CREATE TABLE bench_checkout_jobs AS
SELECT m.account_id, o.distributor_id, o.id AS campaign_id
FROM bench_open_campaigns o
JOIN campaign_members m ON m.campaign_id = o.id
JOIN accounts a ON a.id = m.account_id AND a.role = 'shopper' AND a.active
WHERE NOT EXISTS (SELECT 1 FROM orders x WHERE x.account_id = m.account_id AND x.campaign_id = o.id)
  AND NOT EXISTS (SELECT 1 FROM baskets b WHERE b.account_id = m.account_id AND b.campaign_id = o.id)
ORDER BY md5(m.account_id::text || o.id::text)
LIMIT :jobs;

-- Where the seeded shoppers have ordered nearly everywhere (the seeder gives most members of
-- large scales' open campaigns an order), the jobs are topped up with shoppers of the benchmark's
-- own, `bench.checkout.<k>`, members of the open campaigns in turn. They are created once and kept:
-- the reset above removes their orders and baskets, so each run starts them afresh.
DROP TABLE IF EXISTS bench_topup;
CREATE TABLE bench_topup AS
SELECT k, o.id AS campaign_id, o.distributor_id
FROM generate_series(1, :jobs - (SELECT count(*) FROM bench_checkout_jobs)) k
JOIN bench_open_campaigns o ON o.rn = 1 + (k - 1) % (SELECT count(*) FROM bench_open_campaigns);

INSERT INTO accounts (username, email, first_name, last_name, password_hash, role, distributor_id)
SELECT 'bench.checkout.' || t.k, 'bench.checkout.' || t.k || '@bench.example', 'Bench', 'Shopper ' || t.k,
       (SELECT password_hash FROM accounts WHERE role = 'shopper' ORDER BY id LIMIT 1), 'shopper', t.distributor_id
FROM bench_topup t
ON CONFLICT DO NOTHING;

INSERT INTO campaign_members (campaign_id, account_id, distributor_id)
SELECT t.campaign_id, a.id, t.distributor_id
FROM bench_topup t JOIN accounts a ON lower(a.username) = 'bench.checkout.' || t.k AND a.distributor_id = t.distributor_id
ON CONFLICT DO NOTHING;

INSERT INTO bench_checkout_jobs (account_id, distributor_id, campaign_id)
SELECT a.id, t.distributor_id, t.campaign_id
FROM bench_topup t JOIN accounts a ON lower(a.username) = 'bench.checkout.' || t.k AND a.distributor_id = t.distributor_id
WHERE NOT EXISTS (SELECT 1 FROM orders x WHERE x.account_id = a.id AND x.campaign_id = t.campaign_id)
  AND NOT EXISTS (SELECT 1 FROM baskets b WHERE b.account_id = a.id AND b.campaign_id = t.campaign_id);

INSERT INTO baskets (account_id, campaign_id, distributor_id)
SELECT account_id, campaign_id, distributor_id FROM bench_checkout_jobs;

INSERT INTO basket_items (account_id, campaign_id, campaign_item_id, distributor_id, quantity, unit_price)
SELECT j.account_id, j.campaign_id, i.id, j.distributor_id, 1, i.price
FROM bench_checkout_jobs j
CROSS JOIN LATERAL (SELECT id, price FROM campaign_items WHERE campaign_id = j.campaign_id
                    ORDER BY price, id LIMIT 3) i;
