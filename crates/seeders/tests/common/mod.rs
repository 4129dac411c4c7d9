//! Checks every seed must pass, demo or generated: the domain's rules hold
//! on every row, so reports and invariants can be tested on the data.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, reason = "test helpers")]

use domain::order::{Actor, Status};
use rust_decimal::Decimal;
use sqlx::PgPool;
use storage::derived::{self, Affected};

/// How many rows break a rule, one query per rule, by name (so a failure says which).
async fn breaking(pool: &PgPool, rule: &str, sql: &str) {
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap();
    assert_eq!(n, 0, "{n} rows break the rule: {rule}");
}

/// Every rule below, on whatever the pool's database holds.
pub async fn invariants(pool: &PgPool) {
    breaking(
        pool,
        "a variant has exactly one value per attribute of its product's type",
        "SELECT count(*) FROM product_variants v JOIN products p ON p.id = v.product_id \
         WHERE ARRAY(SELECT attribute_id FROM product_type_attributes t WHERE t.product_type_id = p.product_type_id \
                     ORDER BY attribute_id) \
               IS DISTINCT FROM \
               ARRAY(SELECT attribute_id FROM product_variant_values w WHERE w.variant_id = v.id ORDER BY attribute_id)",
    )
    .await;
    breaking(
        pool,
        "a variant's value is a value of its attribute, at the attribute's position in the type",
        "SELECT count(*) FROM product_variant_values w \
         JOIN attribute_values av ON av.id = w.attribute_value_id \
         JOIN product_variants v ON v.id = w.variant_id JOIN products p ON p.id = v.product_id \
         JOIN product_type_attributes t ON t.product_type_id = p.product_type_id AND t.attribute_id = w.attribute_id \
         WHERE av.attribute_id <> w.attribute_id OR t.position <> w.position \
            OR w.distributor_id <> v.distributor_id OR av.distributor_id <> v.distributor_id",
    )
    .await;
    breaking(
        pool,
        "value_ids is the variant's values, sorted",
        "SELECT count(*) FROM product_variants v \
         WHERE v.value_ids IS DISTINCT FROM \
               ARRAY(SELECT attribute_value_id FROM product_variant_values w WHERE w.variant_id = v.id ORDER BY 1)",
    )
    .await;
    breaking(
        pool,
        "attribute value positions are dense from 0",
        "SELECT count(*) FROM (SELECT attribute_id, max(position) + 1 AS top, count(*) AS n \
                               FROM attribute_values GROUP BY attribute_id) x WHERE top <> n",
    )
    .await;
    breaking(
        pool,
        "a variant's supplier is an active supplier of the same distributor",
        "SELECT count(*) FROM product_variants v JOIN vendors s ON s.id = v.supplier_id \
         WHERE NOT s.is_supplier OR NOT s.is_active OR s.distributor_id <> v.distributor_id",
    )
    .await;
    breaking(
        pool,
        "a product's type and an item's variant and campaign are of the row's distributor",
        "SELECT (SELECT count(*) FROM products p JOIN product_types t ON t.id = p.product_type_id \
                 WHERE t.distributor_id <> p.distributor_id) \
              + (SELECT count(*) FROM campaign_items i JOIN product_variants v ON v.id = i.product_variant_id \
                 JOIN campaigns c ON c.id = i.campaign_id \
                 WHERE v.distributor_id <> i.distributor_id OR c.distributor_id <> i.distributor_id)",
    )
    .await;
    breaking(
        pool,
        "items of active, closed and complete campaigns are frozen; draft items are not",
        "SELECT count(*) FROM campaign_items i JOIN campaigns c ON c.id = i.campaign_id \
         WHERE (c.status = 'draft') <> (i.frozen_at IS NULL)",
    )
    .await;
    breaking(
        pool,
        "decorations name active decorators of the item's distributor, with a decimal-string cost",
        "SELECT count(*) FROM campaign_items i, jsonb_array_elements(i.decorations) d \
         LEFT JOIN vendors v ON v.id = (d->>'decorator_id')::int8 \
         WHERE v.id IS NULL OR NOT v.is_decorator OR NOT v.is_active OR v.distributor_id <> i.distributor_id \
            OR jsonb_typeof(d->'cost') <> 'string' OR (d->>'cost') !~ '^[0-9]+\\.[0-9]{2}$'",
    )
    .await;
    breaking(
        pool,
        "a campaign's pick/pack partner is an active pick/pack vendor of its distributor",
        "SELECT count(*) FROM campaigns c JOIN vendors v ON v.id = c.pick_pack_partner_id \
         WHERE NOT v.is_pick_pack OR NOT v.is_active OR v.distributor_id <> c.distributor_id",
    )
    .await;
    breaking(
        pool,
        "members are shoppers, admin buyers or sales executives of the campaign's distributor",
        "SELECT count(*) FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
         JOIN accounts a ON a.id = m.account_id \
         WHERE m.distributor_id <> c.distributor_id OR a.distributor_id IS DISTINCT FROM c.distributor_id \
            OR a.role NOT IN ('shopper', 'admin_buyer', 'sales_executive')",
    )
    .await;
    breaking(
        pool,
        "campaigns past draft have what activation needs",
        "SELECT count(*) FROM campaigns WHERE status <> 'draft' AND \
           (company_name = '' OR start_date IS NULL OR end_date IS NULL OR start_date > end_date OR message = '')",
    )
    .await;
    breaking(
        pool,
        "sizes are in the shop's order (domain::catalog::SIZES)",
        "SELECT count(*) FROM attribute_values v JOIN attributes a ON a.id = v.attribute_id \
         WHERE a.name = 'Size' AND v.name <> (ARRAY['XXS','XS','S','M','L','XL','XXL','2XL','3XL','4XL','5XL','6XL'])[v.position + 1]",
    )
    .await;
    breaking(
        pool,
        "a distributor has no more sales executives than its max_sales_count",
        "SELECT count(*) FROM distributors d \
         WHERE (SELECT count(*) FROM accounts a WHERE a.distributor_id = d.id AND a.role = 'sales_executive') \
               > d.max_sales_count",
    )
    .await;

    orders(pool).await;

    // Prices: what the domain computes from each item's total and margin.
    let items: Vec<(i64, Decimal, Decimal, Decimal)> =
        sqlx::query_as("SELECT id, total, margin, price FROM campaign_items ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    for (id, total, margin, price) in &items {
        assert_eq!(domain::catalog::price(*total, *margin), Some(*price), "item {id}");
    }

    // Every derived column is what storage::derived computes: refreshing
    // every variant sku and every item (unfrozen for the check) changes
    // nothing. Rolled back.
    let mut tx = pool.begin().await.unwrap();
    let products: Vec<i64> = sqlx::query_scalar("SELECT id FROM products").fetch_all(&mut *tx).await.unwrap();
    let mut changed = 0;
    for p in products {
        changed += derived::refresh(&mut tx, Affected::Product(p)).await.unwrap();
    }
    let skus: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM product_variants v JOIN products p ON p.id = v.product_id \
         WHERE v.sku <> p.item_number || coalesce((SELECT string_agg('-' || av.name, '' ORDER BY w.position) \
               FROM product_variant_values w JOIN attribute_values av ON av.id = w.attribute_value_id \
               WHERE w.variant_id = v.id), '')",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(skus, 0, "variant skus follow the item number and value names");
    sqlx::query("UPDATE campaign_items SET frozen_at = NULL").execute(&mut *tx).await.unwrap();
    let distributors: Vec<i64> = sqlx::query_scalar("SELECT id FROM distributors").fetch_all(&mut *tx).await.unwrap();
    for d in distributors {
        changed += derived::refresh(&mut tx, Affected::Distributor(d)).await.unwrap();
    }
    assert_eq!(changed, 0, "items whose derived columns differ from storage::derived's");
    tx.rollback().await.unwrap();
}

/// An order's id, status and shopper, and per event of its history (in
/// order) the kind, `from`, `to`, the actor's role and id.
type History = (i64, String, i64, Vec<String>, Vec<String>, Vec<String>, Vec<String>, Vec<i64>);

/// The rules every order obeys: as checkout would have placed it, with its
/// ledger, a history the status machine allows, and a number no later
/// checkout can take.
pub async fn orders(pool: &PgPool) {
    breaking(
        pool,
        "orders are a shopper member's, in a campaign past draft of the order's distributor",
        "SELECT count(*) FROM orders o JOIN campaigns c ON c.id = o.campaign_id JOIN accounts a ON a.id = o.account_id \
         WHERE c.distributor_id <> o.distributor_id OR a.role <> 'shopper' OR c.status = 'draft' \
            OR NOT EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = o.campaign_id AND m.account_id = o.account_id)",
    )
    .await;
    breaking(
        pool,
        "per shopper and campaign, the non-cancelled orders stay within items_count_limit and price_limit",
        "SELECT count(*) FROM (SELECT account_id, campaign_id, sum(items_count) AS units, sum(subtotal) AS money \
                               FROM orders WHERE status <> 'cancelled' GROUP BY 1, 2) s \
         JOIN campaigns c ON c.id = s.campaign_id \
         WHERE s.units > c.items_count_limit OR s.money > c.price_limit",
    )
    .await;
    breaking(
        pool,
        "an order's lines add up to its units and subtotal, and its split to the subtotal",
        "SELECT count(*) FROM orders o \
         LEFT JOIN LATERAL (SELECT count(*) AS n, sum(quantity) AS units, sum(line_total) AS total \
                            FROM order_items WHERE order_id = o.id) l ON true \
         WHERE l.n = 0 OR l.units <> o.items_count OR l.total <> o.subtotal \
            OR o.allowance_applied + o.payroll_deduction <> o.subtotal",
    )
    .await;
    breaking(
        pool,
        "a line is of an item of the order's campaign, at its price, with its sku and name",
        "SELECT count(*) FROM order_items l JOIN orders o ON o.id = l.order_id \
         JOIN campaign_items i ON i.id = l.campaign_item_id \
         WHERE i.campaign_id <> o.campaign_id OR i.price IS DISTINCT FROM l.unit_price OR i.sku <> l.sku \
            OR i.product_name <> l.product_name OR l.distributor_id <> o.distributor_id",
    )
    .await;
    breaking(
        pool,
        "a campaign without personal pay never has a payroll deduction",
        "SELECT count(*) FROM orders o JOIN campaigns c ON c.id = o.campaign_id \
         WHERE NOT c.personal_pay AND o.payroll_deduction > 0",
    )
    .await;
    breaking(
        pool,
        "one checkout entry per order (its allowance applied), one cancellation per cancelled order (giving it back)",
        "SELECT count(*) FROM orders o \
         WHERE (SELECT count(*) FROM allowance_ledger l \
                WHERE l.order_id = o.id AND l.kind = 'checkout' AND l.amount = o.allowance_applied \
                  AND l.account_id = o.account_id AND l.campaign_id = o.campaign_id) <> 1 \
            OR (SELECT count(*) FROM allowance_ledger l \
                WHERE l.order_id = o.id AND l.kind = 'cancellation' AND l.amount = -o.allowance_applied) \
               <> (o.status = 'cancelled')::int \
            OR (SELECT count(*) FROM allowance_ledger l WHERE l.order_id = o.id) <> 1 + (o.status = 'cancelled')::int",
    )
    .await;
    breaking(
        pool,
        "per shopper and campaign, the ledger adds up to the allowance applied to the non-cancelled orders",
        "SELECT count(*) FROM (SELECT account_id, campaign_id, sum(amount) AS used FROM allowance_ledger GROUP BY 1, 2) l \
         FULL JOIN (SELECT account_id, campaign_id, sum(allowance_applied) FILTER (WHERE status <> 'cancelled') AS used \
                    FROM orders GROUP BY 1, 2) o USING (account_id, campaign_id) \
         WHERE coalesce(l.used, 0) <> coalesce(o.used, 0)",
    )
    .await;
    breaking(
        pool,
        "each ledger balance is the allowance less the running sum of the shopper's entries (NULL without one)",
        "SELECT count(*) FROM (SELECT l.campaign_id, l.balance, \
                                      sum(l.amount) OVER (PARTITION BY l.account_id, l.campaign_id ORDER BY l.id) AS used \
                               FROM allowance_ledger l) l \
         JOIN campaigns c ON c.id = l.campaign_id \
         WHERE l.balance IS DISTINCT FROM \
               CASE WHEN c.company_allowance IS NOT NULL THEN greatest(c.company_allowance - l.used, 0) END",
    )
    .await;
    breaking(
        pool,
        "every order has its created event, by the shopper, with the order as placed",
        "SELECT count(*) FROM orders o WHERE NOT EXISTS ( \
           SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.kind = 'created' AND e.actor_id = o.account_id \
              AND e.id = (SELECT min(id) FROM order_events f WHERE f.order_id = o.id) \
              AND e.created_at = o.created_at AND e.data->>'number' = o.number \
              AND (e.data->>'items_count')::int = o.items_count AND e.data->>'subtotal' = o.subtotal::text \
              AND e.data->>'allowance_applied' = o.allowance_applied::text \
              AND e.data->>'payroll_deduction' = o.payroll_deduction::text)",
    )
    .await;
    breaking(
        pool,
        "an order's history moves forward in time",
        "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (PARTITION BY order_id ORDER BY id) AS back \
                               FROM order_events) e WHERE back",
    )
    .await;
    breaking(
        pool,
        "notes are by staff or the campaign's admin buyers, with their event, and an edited one keeps its old text",
        "SELECT count(*) FROM order_notes n JOIN orders o ON o.id = n.order_id JOIN accounts a ON a.id = n.author_id \
         WHERE a.distributor_id IS DISTINCT FROM o.distributor_id OR a.role = 'shopper' \
            OR (a.role = 'admin_buyer' AND NOT EXISTS (SELECT 1 FROM campaign_members m \
                                                       WHERE m.campaign_id = o.campaign_id AND m.account_id = a.id)) \
            OR n.version <> 1 + (SELECT count(*) FROM order_note_versions v WHERE v.note_id = n.id) \
            OR NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = n.order_id AND e.kind = 'note_added' \
                           AND e.actor_id = n.author_id AND (e.data->>'note_id')::int8 = n.id)",
    )
    .await;
    breaking(pool, "order numbers are unique", "SELECT count(*) - count(DISTINCT number) FROM orders").await;

    // Every status was reached through the machine's steps, each by someone
    // it allows (`domain::order`).
    let histories: Vec<History> = sqlx::query_as(
        "SELECT o.id, o.status, o.account_id, array_agg(e.kind ORDER BY e.id), \
                    array_agg(coalesce(e.data->>'from', '') ORDER BY e.id), \
                    array_agg(coalesce(e.data->>'to', '') ORDER BY e.id), \
                    array_agg(coalesce(a.role, '') ORDER BY e.id), array_agg(coalesce(e.actor_id, 0) ORDER BY e.id) \
             FROM orders o JOIN order_events e ON e.order_id = o.id LEFT JOIN accounts a ON a.id = e.actor_id \
             GROUP BY o.id ORDER BY o.id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (id, status, shopper, kinds, froms, tos, roles, actors) in histories {
        assert_eq!(kinds[0], "created", "order {id}");
        let mut at = Status::Processing;
        for (i, _) in kinds.iter().enumerate().filter(|(_, k)| *k == "status_changed") {
            let (from, to): (Status, Status) = (froms[i].parse().unwrap(), tos[i].parse().unwrap());
            assert_eq!(from, at, "order {id}");
            let actor = match roles[i].as_str() {
                "shopper" => {
                    assert_eq!(actors[i], shopper, "order {id}");
                    Actor::Owner
                }
                "admin_buyer" => Actor::AdminBuyer,
                _ => Actor::Staff,
            };
            assert_eq!(domain::order::transition(from, to, actor), Ok(()), "order {id}");
            at = to;
        }
        assert_eq!(at.as_str(), status, "order {id}");
    }

    // Every number is `domain::shopping::order_number` of its distributor's
    // name and a sequence value, and the sequence ends past all of them: the
    // next checkout's number is free.
    let numbers: Vec<(String, String)> =
        sqlx::query_as("SELECT o.number, d.name FROM orders o JOIN distributors d ON d.id = o.distributor_id")
            .fetch_all(pool)
            .await
            .unwrap();
    let next: i64 = sqlx::query_scalar("SELECT nextval('order_number_seq')").fetch_one(pool).await.unwrap();
    let next = u64::try_from(next).unwrap();
    for (number, distributor) in &numbers {
        let seq = sequence_of(number);
        assert_eq!(&domain::shopping::order_number(distributor, seq), number);
        assert!(seq < next, "{number} (sequence value {seq}) is not below order_number_seq's next value {next}");
    }
}

/// The sequence value an order number was made from: its characters after
/// the dash, but the check character, in Crockford's base 32.
fn sequence_of(number: &str) -> u64 {
    const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let body = number.split_once('-').unwrap().1;
    body[..body.len() - 1].chars().fold(0, |n, c| n * 32 + ALPHABET.find(c).unwrap() as u64)
}
