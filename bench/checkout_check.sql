-- After the checkout scenario: how many (shopper, campaign) pairs break a rule. Counted: orders
-- whose lines do not add up, pairs over a campaign limit, ledgers that disagree with the orders'
-- allowance, and ledger balances below zero. The benchmark prints the number; it must be 0.
SELECT (SELECT count(*) FROM (SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id
                              GROUP BY o.id, o.subtotal, o.items_count
                              HAVING sum(i.line_total) <> o.subtotal OR sum(i.quantity) <> o.items_count) x)
     + (SELECT count(*) FROM (SELECT o.account_id, o.campaign_id FROM orders o JOIN campaigns c ON c.id = o.campaign_id
                              WHERE o.status <> 'cancelled'
                              GROUP BY o.account_id, o.campaign_id, c.items_count_limit, c.price_limit
                              HAVING sum(o.items_count) > coalesce(c.items_count_limit, 2147483647)
                                  OR sum(o.subtotal) > coalesce(c.price_limit, 1e12)) y)
     -- A cancelled order's allowance came back through its `cancellation` entry.
     + (SELECT count(*) FROM (SELECT account_id, campaign_id, coalesce(sum(allowance_applied) FILTER (WHERE status <> 'cancelled'), 0) AS a
                              FROM orders GROUP BY 1, 2) o
                        FULL JOIN (SELECT account_id, campaign_id, coalesce(sum(amount), 0) AS a FROM allowance_ledger GROUP BY 1, 2) l
                        USING (account_id, campaign_id) WHERE o.a IS DISTINCT FROM l.a)
     + (SELECT count(*) FROM allowance_ledger WHERE balance < 0);
