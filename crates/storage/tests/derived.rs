//! Derived catalog columns: skus and item prices follow the catalog while a
//! campaign is a draft, stop when it is frozen, and the SQL price formula
//! agrees with `domain::catalog` to the cent.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

use rust_decimal::Decimal;
use sqlx::PgPool;
use std::str::FromStr;
use storage::derived::{self, Affected};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

struct Catalog {
    distributor: i64,
    campaign: i64,
    product: i64,
    red: i64,
    variant: i64,
    item: i64,
}

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap()
}

/// One distributor, a Wearables type over Color and Size, product TS-100 in
/// Red/XL from a supplier, and one decorated item in a draft campaign.
async fn catalog(pool: &PgPool) -> Catalog {
    let distributor = scalar(pool, "INSERT INTO distributors (name, ow_cost) VALUES ('Acme', 0.25) RETURNING id").await;
    let supplier = scalar(pool, &format!(
        "INSERT INTO vendors (distributor_id, name, email, is_supplier) VALUES ({distributor}, 'Sup', 's@x', TRUE) RETURNING id"
    ))
    .await;
    let decorator = scalar(
        pool,
        &format!(
            "INSERT INTO vendors (distributor_id, name, is_decorator) VALUES ({distributor}, 'Deco', TRUE) RETURNING id"
        ),
    )
    .await;
    let color = scalar(
        pool,
        &format!("INSERT INTO attributes (distributor_id, name) VALUES ({distributor}, 'Color') RETURNING id"),
    )
    .await;
    let size = scalar(
        pool,
        &format!("INSERT INTO attributes (distributor_id, name) VALUES ({distributor}, 'Size') RETURNING id"),
    )
    .await;
    let red = scalar(pool, &format!(
        "INSERT INTO attribute_values (attribute_id, distributor_id, name, position) VALUES ({color}, {distributor}, 'Red', 0) RETURNING id"
    ))
    .await;
    let xl = scalar(pool, &format!(
        "INSERT INTO attribute_values (attribute_id, distributor_id, name, position) VALUES ({size}, {distributor}, 'XL', 0) RETURNING id"
    ))
    .await;
    let ty = scalar(
        pool,
        &format!("INSERT INTO product_types (distributor_id, name) VALUES ({distributor}, 'Wearables') RETURNING id"),
    )
    .await;
    scalar(pool, &format!(
        "INSERT INTO product_type_attributes VALUES ({ty}, {color}, {distributor}, 0), ({ty}, {size}, {distributor}, 1) RETURNING 0::int8"
    ))
    .await;
    let product = scalar(pool, &format!(
        "INSERT INTO products (distributor_id, product_type_id, name, item_number) VALUES ({distributor}, {ty}, 'Tee', 'TS-100') RETURNING id"
    ))
    .await;
    let variant = scalar(
        pool,
        &format!(
            "INSERT INTO product_variants (distributor_id, product_id, supplier_id, vendor_cost, value_ids) \
         VALUES ({distributor}, {product}, {supplier}, 4.10, ARRAY[{red}, {xl}]::int8[]) RETURNING id"
        ),
    )
    .await;
    scalar(pool, &format!(
        "INSERT INTO product_variant_values VALUES ({variant}, {color}, {red}, {distributor}, 0), ({variant}, {size}, {xl}, {distributor}, 1) RETURNING 0::int8"
    ))
    .await;
    let campaign = scalar(
        pool,
        &format!(
            "INSERT INTO campaigns (distributor_id, name, bfl_cost) VALUES ({distributor}, 'Spring', 0.50) RETURNING id"
        ),
    )
    .await;
    let item = scalar(pool, &format!(
        "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, decorations, product_id, supplier_id) \
         VALUES ({campaign}, {distributor}, {variant}, 4.10, 35, \
                 '[{{\"location\": \"front\", \"logo_description\": \"logo\", \"cost\": \"1.20\", \"decorator_id\": {decorator}}}, \
                   {{\"location\": \"sleeve\", \"logo_description\": \"flag\", \"cost\": \"0.80\", \"decorator_id\": {decorator}}}]', \
                 {product}, {supplier}) RETURNING id"
    ))
    .await;
    let mut conn = pool.acquire().await.unwrap();
    derived::refresh(&mut conn, Affected::Variants(&[variant])).await.unwrap();
    Catalog { distributor, campaign, product, red, variant, item }
}

async fn item(pool: &PgPool, id: i64) -> (String, Decimal, Decimal, String, serde_json::Value) {
    sqlx::query_as("SELECT sku, total, price, product_name, decorations FROM campaign_items WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn items_follow_the_catalog_until_frozen(pool: PgPool) {
    let c = catalog(&pool).await;
    let (sku, total, price, name, decorations) = item(&pool, c.item).await;
    assert_eq!(sku, "TS-100-Red-XL-FRONT-SLEEVE");
    // 4.10 + 0.50 + 0.25 + 1.20 + 0.80 = 6.85; 6.85 / 0.65 = 10.538… → 10.54
    assert_eq!((total, price), (d("6.85"), d("10.54")));
    assert_eq!(name, "Tee");
    assert_eq!(decorations[0]["decorator_name"], "Deco");
    let v_sku: String = sqlx::query_scalar("SELECT sku FROM product_variants WHERE id = $1")
        .bind(c.variant)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(v_sku, "TS-100-Red-XL");

    // A rename and a cost change reach the draft item.
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("UPDATE attribute_values SET name = 'Crimson' WHERE id = $1")
        .bind(c.red)
        .execute(&mut *conn)
        .await
        .unwrap();
    derived::refresh(&mut conn, Affected::AttributeValue(c.red)).await.unwrap();
    sqlx::query("UPDATE distributors SET ow_cost = 1.25 WHERE id = $1")
        .bind(c.distributor)
        .execute(&mut *conn)
        .await
        .unwrap();
    assert_eq!(derived::refresh(&mut conn, Affected::Distributor(c.distributor)).await.unwrap(), 1);
    let (sku, total, price, ..) = item(&pool, c.item).await;
    assert_eq!((sku.as_str(), total, price), ("TS-100-Crimson-XL-FRONT-SLEEVE", d("7.85"), d("12.08")));
    // Nothing changed: nothing is written (the version stays).
    let version = scalar(&pool, &format!("SELECT version::int8 FROM campaign_items WHERE id = {}", c.item)).await;
    assert_eq!(derived::refresh(&mut conn, Affected::Campaign(c.campaign)).await.unwrap(), 0);
    assert_eq!(
        scalar(&pool, &format!("SELECT version::int8 FROM campaign_items WHERE id = {}", c.item)).await,
        version
    );

    // Frozen: later edits no longer reach it.
    assert_eq!(derived::freeze_campaign(&mut conn, c.campaign).await.unwrap(), 1);
    sqlx::query("UPDATE products SET name = 'Shirt', item_number = 'TS-200' WHERE id = $1")
        .bind(c.product)
        .execute(&mut *conn)
        .await
        .unwrap();
    derived::refresh(&mut conn, Affected::Product(c.product)).await.unwrap();
    let (sku, _, price, name, _) = item(&pool, c.item).await;
    assert_eq!((sku.as_str(), price, name.as_str()), ("TS-100-Crimson-XL-FRONT-SLEEVE", d("12.08"), "Tee"));
    let v_sku: String = sqlx::query_scalar("SELECT sku FROM product_variants WHERE id = $1")
        .bind(c.variant)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(v_sku, "TS-200-Crimson-XL", "the live variant still follows its product");
}

/// The production refresh (`storage::derived`) prices items as
/// `domain::catalog::price` does, to the cent, on a grid of totals and margins
/// that reaches every half-cent boundary: 160,400 items of one draft campaign
/// refreshed by the one statement the API runs.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_refresh_prices_items_as_the_domain_does(pool: PgPool) {
    let c = catalog(&pool).await;
    // No campaign or distributor costs on the grid's items: the total is the vendor cost.
    let grid = scalar(
        &pool,
        &format!(
            "INSERT INTO campaigns (distributor_id, name, bfl_cost) VALUES ({}, 'Grid', 0) RETURNING id",
            c.distributor
        ),
    )
    .await;
    sqlx::query(
        "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, ow_cost, margin, \
                                     product_id, supplier_id) \
         SELECT $1, i.distributor_id, i.product_variant_id, t, 0, m, i.product_id, i.supplier_id \
         FROM campaign_items i, \
              (SELECT (g * 0.37)::numeric(12,2) AS t FROM generate_series(0, 400) g) ts, \
              (SELECT (h * 0.25)::numeric(5,2) AS m FROM generate_series(0, 399) h) ms \
         WHERE i.id = $2",
    )
    .bind(grid)
    .bind(c.item)
    .execute(&pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let refreshed = derived::refresh(&mut conn, Affected::Campaign(grid)).await.unwrap();
    assert_eq!(refreshed, 401 * 400);
    let rows: Vec<(Decimal, Decimal, Decimal, Decimal)> =
        sqlx::query_as("SELECT vendor_cost, margin, total, price FROM campaign_items WHERE campaign_id = $1")
            .bind(grid)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 401 * 400);
    for (vendor_cost, margin, total, price) in rows {
        assert_eq!(total, vendor_cost, "total of vendor cost {vendor_cost}");
        assert_eq!(Some(price), domain::catalog::price(total, margin), "total {total}, margin {margin}");
    }
}
