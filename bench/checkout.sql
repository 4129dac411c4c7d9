-- pgbench: the statements of one checkout (POST storefront/campaigns/{id}/checkout), as the
-- server runs them, for a random prepared (shopper, campaign) pair of bench_checkout_jobs: the
-- idempotency record, the campaign read under FOR SHARE with the membership scope, the basket
-- lock, the basket, the shopper's history and the campaign's locations, the order with its
-- lines, ledger entry, event and outbox row, the basket emptied, the key's response stored and the
-- order read back. One statement is not the server's: the basket is refilled first (three lines,
-- as the HTTP scenario's prepared baskets hold), so every transaction checks out three lines.
\set j random(1, :njobs)
SELECT account_id AS a, campaign_id AS c, distributor_id AS d FROM bench_checkout_jobs_n WHERE n = :j \gset
INSERT INTO basket_items (account_id, campaign_id, campaign_item_id, distributor_id, quantity, unit_price)
  SELECT :a, :c, i.id, :d, 1, i.price
  FROM (SELECT id, price FROM campaign_items WHERE campaign_id = :c ORDER BY price, id LIMIT 3) i
  ON CONFLICT DO NOTHING;
INSERT INTO idempotency_keys (account_id, key, request_hash) VALUES (:a, 'pgbench-' || :j || '-' || random(), '\x00')
  ON CONFLICT DO NOTHING;
BEGIN;
SELECT t.id, t.distributor_id, t.status, t.start_date, t.end_date, t.company_allowance, t.personal_pay,
       t.items_count_limit, t.price_limit, t.checkout_fields, t.departments
  FROM campaigns t WHERE t.id = :c
   AND EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = t.id AND m.account_id = :a)
   AND EXISTS (SELECT 1 FROM campaigns s WHERE s.id = t.id AND s.status = 'active') FOR SHARE;
INSERT INTO baskets (account_id, campaign_id, distributor_id) VALUES (:a, :c, :d) ON CONFLICT (account_id, campaign_id) DO NOTHING;
SELECT version::int8 FROM baskets WHERE account_id = :a AND campaign_id = :c FOR UPDATE;
SELECT b.campaign_item_id, b.quantity::int8, b.unit_price, i.price, i.sku, i.product_name
  FROM basket_items b JOIN campaign_items i ON i.id = b.campaign_item_id
  WHERE b.account_id = :a AND b.campaign_id = :c ORDER BY b.created_at, b.campaign_item_id;
SELECT coalesce((SELECT sum(items_count) FROM orders WHERE account_id = :a AND campaign_id = :c AND status <> 'cancelled'), 0)::int8,
       coalesce((SELECT sum(subtotal) FROM orders WHERE account_id = :a AND campaign_id = :c AND status <> 'cancelled'), 0),
       coalesce((SELECT sum(amount) FROM allowance_ledger WHERE account_id = :a AND campaign_id = :c), 0);
SELECT id FROM locations WHERE campaign_id = :c ORDER BY id;
SELECT nextval('order_number_seq') AS seq, (SELECT name FROM distributors WHERE id = :d) AS dname \gset
INSERT INTO orders (number, distributor_id, account_id, campaign_id, checkout_fields, location, department,
                    items_count, subtotal, allowance_applied, payroll_deduction, created_at, modified_at)
  SELECT 'PGB-' || :seq, :d, :a, :c, '{}', NULL, NULL, sum(b.quantity), sum(b.quantity * b.unit_price), 0,
         sum(b.quantity * b.unit_price), now(), now()
  FROM basket_items b WHERE b.account_id = :a AND b.campaign_id = :c RETURNING id AS o \gset
INSERT INTO order_items (order_id, distributor_id, campaign_item_id, quantity, unit_price, line_total, sku, product_name)
  SELECT :o, :d, b.campaign_item_id, b.quantity, b.unit_price, b.quantity * b.unit_price, i.sku, i.product_name
  FROM basket_items b JOIN campaign_items i ON i.id = b.campaign_item_id WHERE b.account_id = :a AND b.campaign_id = :c;
INSERT INTO allowance_ledger (account_id, campaign_id, distributor_id, order_id, kind, amount, balance)
  VALUES (:a, :c, :d, :o, 'checkout', 0, NULL);
INSERT INTO order_events (order_id, distributor_id, kind, message, actor_id, data, created_at)
  VALUES (:o, :d, 'created', 'order created at checkout', :a, '{}', now());
INSERT INTO outbox (distributor_id, kind, payload) VALUES (:d, 'order_confirmation', jsonb_build_object('order_id', :o::int8));
DELETE FROM basket_items WHERE account_id = :a AND campaign_id = :c;
UPDATE baskets SET modified_at = now() WHERE account_id = :a AND campaign_id = :c RETURNING version::int8;
END;
UPDATE idempotency_keys SET status = 201, headers = '{}', body = '\x00' WHERE account_id = :a AND key = 'pgbench-x';
SELECT id, number, status, subtotal, allowance_applied, payroll_deduction, created_at FROM orders WHERE id = :o;
