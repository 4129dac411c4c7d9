-- pgbench: the statements of one checkout (POST storefront/campaigns/{id}/checkout), as the
-- server runs them: the idempotency record, the campaign read under FOR SHARE with the membership
-- scope and the basket lock in one statement, the basket's lines with the shopper's history, the
-- campaign's locations and the order number in another (\aset keeps the number from its last
-- row), the one statement that writes the order with its lines, ledger entry, event and two
-- notification jobs and empties the basket, the key marked committed in the same transaction, the
-- order read back and the key's response stored.
-- One statement is not the server's: the lookup of the job. Each client walks its own residue class of
-- bench_checkout_jobs_n (the 3-line baskets prepared again after the HTTP scenario), one job
-- per transaction, so every transaction checks out a full basket and no two share one.
\set k :k + 1
\set j 1 + :client_id + :nclients * (:k - 1)
SELECT account_id AS a, campaign_id AS c, distributor_id AS d FROM bench_checkout_jobs_n WHERE n = :j \gset
\set r random(1, 1000000000)
INSERT INTO idempotency_keys (account_id, key, request_hash, headers)
  VALUES (:a, 'pgbench-' || :j || '-' || :r, '\x00', '{"claim": "pgbench"}') ON CONFLICT DO NOTHING;
BEGIN;
WITH t AS (SELECT t.id, t.distributor_id, t.status, t.version::int8 AS version, t.created_by, t.name, t.company_name,
                  t.start_date, t.end_date, t.storefront_pricing, t.company_allowance, t.personal_pay,
                  t.items_count_limit::int8 AS items_count_limit, t.price_limit, t.email_shopper, t.checkout_fields,
                  t.departments, t.message, t.bfl_cost, t.distributor_po, t.pick_pack_partner_id,
                  t.pick_pack_partner_message
             FROM campaigns t WHERE t.id = :c
              AND EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = t.id AND m.account_id = :a)
              AND EXISTS (SELECT 1 FROM campaigns s WHERE s.id = t.id AND s.status = 'active') FOR SHARE OF t),
     new AS (INSERT INTO baskets (account_id, campaign_id, distributor_id) SELECT :a, id, distributor_id FROM t
             ON CONFLICT (account_id, campaign_id) DO NOTHING RETURNING version),
     old AS (SELECT version FROM baskets WHERE account_id = :a AND campaign_id = :c FOR UPDATE)
SELECT t.*, coalesce((SELECT version FROM new), (SELECT version FROM old))::int8 AS basket_version FROM t;
WITH c (ordered_items, ordered_amount, allowance_used, location_ids, seq, distributor_name) AS MATERIALIZED (
       SELECT coalesce((SELECT sum(items_count) FROM orders WHERE account_id = :a AND campaign_id = :c AND status <> 'cancelled'), 0)::int8,
              coalesce((SELECT sum(subtotal) FROM orders WHERE account_id = :a AND campaign_id = :c AND status <> 'cancelled'), 0),
              coalesce((SELECT sum(amount) FROM allowance_ledger WHERE account_id = :a AND campaign_id = :c), 0),
              ARRAY(SELECT id FROM locations WHERE campaign_id = :c ORDER BY id),
              nextval('order_number_seq'), (SELECT name FROM distributors WHERE id = :d))
SELECT c.*, l.campaign_item_id, l.quantity, l.unit_price, l.current_price, l.sku, l.product_name
  FROM c LEFT JOIN (SELECT b.campaign_item_id, b.quantity::int8 AS quantity, b.unit_price, i.price AS current_price, i.sku,
                           i.product_name, b.created_at
                      FROM basket_items b JOIN campaign_items i ON i.id = b.campaign_item_id
                     WHERE b.account_id = :a AND b.campaign_id = :c) l ON true
 ORDER BY l.created_at, l.campaign_item_id \aset
WITH b AS (SELECT b.campaign_item_id, b.quantity, b.unit_price, i.sku, i.product_name
             FROM basket_items b JOIN campaign_items i ON i.id = b.campaign_item_id
            WHERE b.account_id = :a AND b.campaign_id = :c),
     o AS (INSERT INTO orders (number, distributor_id, account_id, campaign_id, checkout_fields, location, department,
                               items_count, subtotal, allowance_applied, payroll_deduction, created_at, modified_at)
           SELECT 'PGB-' || :seq, :d, :a, :c, '{}', NULL, NULL, sum(quantity), sum(quantity * unit_price), 0,
                  sum(quantity * unit_price), now(), now() FROM b RETURNING id),
     lines AS (INSERT INTO order_items (order_id, distributor_id, campaign_item_id, quantity, unit_price, line_total, sku, product_name)
               SELECT o.id, :d, b.campaign_item_id, b.quantity, b.unit_price, b.quantity * b.unit_price, b.sku, b.product_name
               FROM o, b),
     ledger AS (INSERT INTO allowance_ledger (account_id, campaign_id, distributor_id, order_id, kind, amount, balance)
                SELECT :a, :c, :d, o.id, 'checkout', 0, NULL FROM o),
     event AS (INSERT INTO order_events (order_id, distributor_id, kind, message, actor_id, data, created_at)
               SELECT o.id, :d, 'created', 'order created at checkout', :a, '{}', now() FROM o),
     notices AS (INSERT INTO jobs (distributor_id, kind, payload)
                 SELECT :d, k, jsonb_build_object('order_id', o.id, 'version', 1)
                 FROM o, unnest(ARRAY['order_confirmation', 'new_order_notice']) k),
     emptied AS (DELETE FROM basket_items WHERE account_id = :a AND campaign_id = :c),
     touched AS (UPDATE baskets SET modified_at = now() WHERE account_id = :a AND campaign_id = :c)
SELECT id AS o FROM o \gset
UPDATE idempotency_keys SET headers = headers || '{"committed": true}'
 WHERE account_id = :a AND key = 'pgbench-' || :j || '-' || :r AND status IS NULL AND headers->>'claim' = 'pgbench';
END;
SELECT id, number, status, subtotal, allowance_applied, payroll_deduction, created_at FROM orders WHERE id = :o;
UPDATE idempotency_keys SET status = 201, headers = '{}', body = '\x00' WHERE account_id = :a AND key = 'pgbench-' || :j || '-' || :r;
