//! Checks every seed must pass, demo or generated: the domain's rules hold
//! on every row, so reports and invariants can be tested on the data.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, reason = "test helpers")]

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
