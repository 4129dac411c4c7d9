//! The storefront catalog and campaigns: what a shopper sees (grouped by
//! product, values in their order, no cost or supplier detail, prices only
//! where shown), who sees it, and the cached pages: invalidated by any
//! catalog change, served gzip-compressed as stored, and still answered
//! with Redis gone.

use crate::helpers::{RedisProxy, TestApp, World, enc};
use crate::statements::statements_for;
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::io::Read;

fn products_url(campaign: i64) -> String {
    format!("/api/v1/storefront/campaigns/{campaign}/products")
}

const CAMPAIGNS: &str = "/api/v1/storefront/campaigns";

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    // Test SQL built from ids and constants, never client text.
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap()
}

/// A "Classic Tee" of type "T-Shirt" over a Size attribute ordered XS, S, M,
/// L, XL, offered in `campaign` in sizes XL, XS and M (added in that order),
/// decorated on the chest; returns the product id.
async fn sized_tee(app: &TestApp, d: i64, campaign: i64) -> i64 {
    let pool = &app.pool;
    let supplier = app.vendor(d, "Tee Supplier", &["supplier"]).await;
    let decorator = app.vendor(d, "Secret Decorator", &["decorator"]).await;
    let size =
        scalar(pool, &format!("INSERT INTO attributes (distributor_id, name) VALUES ({d}, 'Size') RETURNING id")).await;
    let mut values = std::collections::HashMap::new();
    for (position, name) in ["XS", "S", "M", "L", "XL"].iter().enumerate() {
        let id = scalar(
            pool,
            &format!(
                "INSERT INTO attribute_values (attribute_id, distributor_id, name, position) \
                 VALUES ({size}, {d}, '{name}', {position}) RETURNING id"
            ),
        )
        .await;
        values.insert(*name, id);
    }
    let ty =
        scalar(pool, &format!("INSERT INTO product_types (distributor_id, name) VALUES ({d}, 'T-Shirt') RETURNING id"))
            .await;
    scalar(pool, &format!("INSERT INTO product_type_attributes VALUES ({ty}, {size}, {d}, 0) RETURNING 0::int8")).await;
    let product = scalar(
        pool,
        &format!(
            "INSERT INTO products (distributor_id, product_type_id, name, item_number, description) \
             VALUES ({d}, {ty}, 'Classic Tee', 'CT-1', 'Soft cotton') RETURNING id"
        ),
    )
    .await;
    for name in ["XL", "XS", "M"] {
        let value = values[name];
        let variant = scalar(
            pool,
            &format!(
                "INSERT INTO product_variants (distributor_id, product_id, supplier_id, vendor_cost, value_ids, sku) \
                 VALUES ({d}, {product}, {supplier}, 4.00, ARRAY[{value}]::int8[], 'CT-1-{name}') RETURNING id"
            ),
        )
        .await;
        scalar(
            pool,
            &format!(
                "INSERT INTO product_variant_values VALUES ({variant}, {size}, {value}, {d}, 0) RETURNING 0::int8"
            ),
        )
        .await;
        scalar(
            pool,
            &format!(
                "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, sku, \
                   product_id, product_name, product_type_name, item_number, description, attributes, supplier_id, \
                   supplier_name, supplier_email, supplier_address, decorations, total, price, frozen_at) \
                 VALUES ({campaign}, {d}, {variant}, 4.00, 20, 'CT-1-{name}', {product}, 'Classic Tee', 'T-Shirt', \
                   'CT-1', 'Soft cotton', '[{{\"attribute\": \"Size\", \"value\": \"{name}\"}}]', {supplier}, \
                   'Tee Supplier', 'tee@vendor.example', '1 Way', \
                   '[{{\"location\": \"chest\", \"logo_description\": \"Acme logo\", \"cost\": \"1.00\", \
                      \"decorator_id\": {decorator}, \"decorator_name\": \"Secret Decorator\"}}]', \
                   5.00, 6.25, now()) RETURNING id"
            ),
        )
        .await;
    }
    product
}

/// Puts `quantity` of `item` in the basket and checks out.
async fn buy(app: &TestApp, shopper: &str, c: i64, item: i64, quantity: i64) {
    let line = format!("/api/v1/storefront/campaigns/{c}/basket/items/{item}");
    app.request(Method::PUT, &line, Some(shopper), &[], Some(json!({ "quantity": quantity }))).await.expect(200);
    let checkout = format!("/api/v1/storefront/campaigns/{c}/checkout");
    app.request(Method::POST, &checkout, Some(shopper), &[("Idempotency-Key", "k1")], Some(json!({})))
        .await
        .expect(201);
}

/// Every key anywhere in `v`.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn shoppers_see_products_with_their_items_in_value_order_and_nothing_private(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = sized_tee(&app, w.acme, c).await;
    let image = scalar(
        &app.pool,
        &format!(
            "INSERT INTO resources (distributor_id, sha256, content_type, size) \
             VALUES ({}, repeat('a', 64), 'image/png', 10) RETURNING id",
            w.acme
        ),
    )
    .await;
    app.offer_product(w.acme, c, Some(image)).await;
    let (shopper, _) = app.login("acme_shopper").await;

    let r = app.get(&products_url(c), &shopper).await;
    r.expect(200);
    let products = r.body.as_array().unwrap();
    assert_eq!(products.len(), 2);
    let classic = products.iter().find(|p| p["id"] == tee).unwrap();
    assert_eq!(classic["name"], "Classic Tee");
    assert_eq!(classic["product_type"], "T-Shirt");
    assert_eq!(classic["description"], "Soft cotton");
    assert_eq!(classic["items_count"], 3);
    assert_eq!(classic["price_from"], "6.25");
    let sizes: Vec<&Value> = classic["items"].as_array().unwrap().iter().map(|i| &i["attribute_values"]).collect();
    assert_eq!(sizes, [&json!(["XS"]), &json!(["M"]), &json!(["XL"])], "sizes in the attribute's order");
    let item = &classic["items"][0];
    assert_eq!(item["price"], "6.25");
    assert_eq!(item["sku"], "CT-1-XS");
    assert_eq!(item["decorations"], json!([{"location": "chest", "logo_description": "Acme logo"}]));
    let other = products.iter().find(|p| p["id"] != tee).unwrap();
    assert_eq!(other["images"][0]["url"], format!("/api/v1/minor/resources/{image}/content"));

    let mut all = Vec::new();
    keys(&r.body, &mut all);
    for word in ["cost", "margin", "supplier", "decorator", "vendor", "total"] {
        assert!(!all.iter().any(|k| k.contains(word)), "{word} leaked: {all:?}");
    }
    assert!(!r.text.contains("Secret Decorator") && !r.text.contains("Tee Supplier"));

    // The query language applies: products with an XL item; by type.
    let xl = enc(r#"[{"model":"StorefrontItem","field":"attribute_values","op":"any","value":"XL"}]"#);
    let r = app.get(&format!("{}?filter={xl}", products_url(c)), &shopper).await;
    r.expect(200);
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["id"], tee);
    let typed = enc(r#"[{"field":"product_type","op":"==","value":"T-Shirt"}]"#);
    let r = app.get(&format!("{}?filter={typed}&fields={}", products_url(c), enc("{id,name}")), &shopper).await;
    r.expect(200);
    assert_eq!(r.body, json!([{"id": tee, "name": "Classic Tee"}]));
    let r = app.get(&format!("{}?fields={}", products_url(c), enc("{id,items{vendor_cost}}")), &shopper).await;
    r.expect(400);

    // A store that hides prices hides them from shoppers, not from staff.
    sqlx::query("UPDATE campaigns SET storefront_pricing = FALSE WHERE id = $1")
        .bind(c)
        .execute(&app.pool)
        .await
        .unwrap();
    let r = app.get(&products_url(c), &shopper).await;
    r.expect(200);
    let classic = r.body.as_array().unwrap().iter().find(|p| p["id"] == tee).unwrap().clone();
    assert_eq!(classic["price_from"], Value::Null);
    assert!(classic["items"].as_array().unwrap().iter().all(|i| i["price"].is_null()));
    let (sales, _) = app.login("acme_sales").await;
    let r = app.get(&products_url(c), &sales).await;
    r.expect(200);
    let classic = r.body.as_array().unwrap().iter().find(|p| p["id"] == tee).unwrap().clone();
    assert_eq!(classic["items"][0]["price"], "6.25");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_store_is_for_its_members_and_its_distributors_staff(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    sized_tee(&app, w.acme, c).await;
    for who in ["acme_shopper", "acme_buyer", "acme_sales", "acme_manager", "root"] {
        let (token, _) = app.login(who).await;
        let r = app.get(&products_url(c), &token).await;
        assert_eq!(r.status.as_u16(), 200, "{who}: {}", r.text);
        assert_eq!(r.body.as_array().unwrap().len(), 1, "{who}");
    }
    for who in ["globex_shopper", "globex_buyer", "globex_sales", "globex_manager"] {
        let (token, _) = app.login(who).await;
        let r = app.get(&products_url(c), &token).await;
        assert_eq!(r.status.as_u16(), 404, "{who}: {}", r.text);
        let r = app.get(&products_url(999_999), &token).await;
        assert_eq!(r.status.as_u16(), 404, "{who}");
    }
    // A store not open today: 409 for its shoppers, a preview for staff.
    let (shopper, _) = app.login("acme_shopper").await;
    sqlx::query("UPDATE campaigns SET start_date = (now() AT TIME ZONE 'UTC')::date + 1 WHERE id = $1")
        .bind(c)
        .execute(&app.pool)
        .await
        .unwrap();
    let r = app.get(&products_url(c), &shopper).await;
    r.expect(409);
    assert_eq!(r.body["errors"][0]["code"], "campaign_not_open");
    let (sales, _) = app.login("acme_sales").await;
    app.get(&products_url(c), &sales).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn cached_pages_last_until_the_catalog_changes(pool: PgPool) {
    let app = TestApp::counted(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = sized_tee(&app, w.acme, c).await;
    // Whatever the allowance leaves is deducted from payroll.
    sqlx::query("UPDATE campaigns SET personal_pay = TRUE WHERE id = $1").bind(c).execute(&app.pool).await.unwrap();
    let (shopper, _) = app.login("acme_shopper").await;
    let url = products_url(c);

    let first = app.get(&url, &shopper).await;
    first.expect(200);
    let tag = first.header("etag").unwrap().to_owned();
    assert!(tag.starts_with("W/\""), "{tag}");
    assert!(first.header("vary").unwrap_or_default().contains("accept-encoding"));
    let r = app.get_with(&url, &shopper, &[("If-None-Match", &tag)]).await;
    assert_eq!(r.status.as_u16(), 304);

    // A hit costs the one statement that checks access and reads the catalog
    // version; a miss builds the page (products, then their items).
    let (hit, _) = statements_for(&app, &url, &shopper).await;
    assert_eq!(hit, 1, "a cached page costs one statement");
    let (miss, _) = statements_for(&app, &format!("{url}?page_size=7"), &shopper).await;
    assert_eq!(miss, 3, "an uncached page: access, products, items");

    // Stored compressed, sent as stored to a client that takes gzip.
    let (status, headers, gz) = app.get_raw(&url, &shopper, &[("Accept-Encoding", "br, gzip")]).await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(headers.get("content-encoding").unwrap(), "gzip");
    let mut inflated = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut inflated).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&inflated).unwrap(), first.body);

    // Any catalog change (here a product renamed through the staff API)
    // moves the ETag and shows at once.
    let (sales, _) = app.login("acme_sales").await;
    let product = app.get(&format!("/api/v1/catalog/products/{tee}"), &sales).await;
    let ptag = product.header("etag").unwrap().to_owned();
    app.request(
        Method::PATCH,
        &format!("/api/v1/catalog/products/{tee}"),
        Some(&sales),
        &[("If-Match", &ptag)],
        Some(json!({"name": "Classic Tee v2"})),
    )
    .await
    .expect(200);
    let r = app.get_with(&url, &shopper, &[("If-None-Match", &tag)]).await;
    r.expect(200);
    assert_ne!(r.header("etag").unwrap(), tag);
    assert_eq!(r.body[0]["name"], "Classic Tee v2");

    // An item's price changed behind the API's back (SQL) is seen too: the
    // version lives in the database, bumped by triggers.
    let tag = r.header("etag").unwrap().to_owned();
    sqlx::query("UPDATE campaign_items SET price = 7.10 WHERE product_id = $1")
        .bind(tee)
        .execute(&app.pool)
        .await
        .unwrap();
    let r = app.get_with(&url, &shopper, &[("If-None-Match", &tag)]).await;
    r.expect(200);
    assert_eq!(r.body[0]["items"][0]["price"], "7.10");
    // Checkouts write no catalog table, so they leave the pages cached.
    let version: i64 = sqlx::query_scalar("SELECT version FROM catalog_versions WHERE distributor_id = $1")
        .bind(w.acme)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let item = r.body[0]["items"][0]["id"].as_i64().unwrap();
    buy(&app, &shopper, c, item, 1).await;
    let after: i64 = sqlx::query_scalar("SELECT version FROM catalog_versions WHERE distributor_id = $1")
        .bind(w.acme)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(after, version);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_catalog_answers_with_redis_gone(pool: PgPool) {
    let proxy = RedisProxy::start().await;
    let cache = storage::Cache::redis(&proxy.url, &format!("test:proxy:{}:", std::process::id())).await.unwrap();
    let app = TestApp::with_cache(pool, cache).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = sized_tee(&app, w.acme, c).await;
    let (shopper, _) = app.login("acme_shopper").await;
    app.get(&products_url(c), &shopper).await.expect(200);

    proxy.cut();
    sqlx::query("UPDATE products SET name = 'Renamed Tee' WHERE id = $1").bind(tee).execute(&app.pool).await.unwrap();
    let r = app.get(&products_url(c), &shopper).await;
    r.expect(200);
    assert_eq!(r.body[0]["name"], "Renamed Tee");
    // Sessions are still checked, in the database: a revoked one is refused.
    sqlx::query("UPDATE refresh_tokens SET revoked_at = now()").execute(&app.pool).await.unwrap();
    let r = app.get(&products_url(c), &shopper).await;
    r.expect(401);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn shoppers_list_their_open_campaigns_with_their_own_figures(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let item = app.offer_product(w.acme, c, None).await;
    sqlx::query("UPDATE campaigns SET company_allowance = 10.00, personal_pay = TRUE WHERE id = $1")
        .bind(c)
        .execute(&app.pool)
        .await
        .unwrap();
    // A draft campaign the shopper is also a member of is not listed.
    let me: i64 = scalar(&app.pool, "SELECT id FROM accounts WHERE username = 'acme_shopper'").await;
    let draft = app.open_campaign(w.acme, "Later", &[me]).await;
    sqlx::query("UPDATE campaigns SET status = 'draft' WHERE id = $1").bind(draft).execute(&app.pool).await.unwrap();
    let (shopper, _) = app.login("acme_shopper").await;

    let r = app.get(CAMPAIGNS, &shopper).await;
    r.expect(200);
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["id"], c);
    assert_eq!(r.body[0]["items_ordered"], 0);
    assert_eq!(r.body[0]["allowance_remaining"], "10.00");

    buy(&app, &shopper, c, item, 2).await;
    let r = app
        .get(
            &format!(
                "{CAMPAIGNS}?fields={}",
                enc("{id,items_ordered,amount_ordered,allowance_used,allowance_remaining,locations}")
            ),
            &shopper,
        )
        .await;
    r.expect(200);
    // 2 × 6.31 = 12.62: 10.00 from the allowance, none left.
    assert_eq!(
        r.body,
        json!([{"id": c, "items_ordered": 2, "amount_ordered": "12.62", "allowance_used": "10.00",
                "allowance_remaining": "0.00", "locations": []}])
    );

    // Staff see their distributor's open stores, without shopper figures;
    // nobody sees another distributor's.
    let (sales, _) = app.login("acme_sales").await;
    let r = app.get(CAMPAIGNS, &sales).await;
    r.expect(200);
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["allowance_remaining"], Value::Null);
    let (globex, _) = app.login("globex_shopper").await;
    let r = app.get(CAMPAIGNS, &globex).await;
    r.expect(200);
    assert_eq!(
        r.body.as_array().unwrap().iter().map(|c| c["id"].clone()).collect::<Vec<_>>(),
        [json!(w.globex_campaign)]
    );
}
