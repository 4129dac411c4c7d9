//! Campaign items: pricing by the DESIGN §2 formula (checked by hand here),
//! repricing while the campaign is a draft, freezing on activation, who may
//! read and write them, every refusal, and duplicating a campaign with its
//! items.

use crate::helpers::{Resp, TestApp, World, enc};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use storage::derived::{self, Affected};

const ITEMS: &str = "/api/v1/catalog/campaign-items";
const CAMPAIGNS: &str = "/api/v1/organization/campaigns";

fn url(id: i64) -> String {
    format!("{ITEMS}/{id}")
}

async fn scalar(pool: &PgPool, sql: String) -> i64 {
    // Test SQL built from ids and constants, never client text.
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await.unwrap()
}

/// One distributor's catalog, built with direct SQL (the catalog endpoints
/// are not this test's subject).
struct Catalog {
    supplier: i64,
    decorator: i64,
    product: i64,
    /// TS-100-Red-XL, vendor cost 4.10.
    red_xl: i64,
    /// TS-100-Blue-XL, vendor cost 3.00.
    blue_xl: i64,
}

/// A Wearables type over Color (Red, Blue) and Size (XL); product TS-100
/// "Tee" with variants Red/XL (4.10) and Blue/XL (3.00) from a supplier; a
/// decorator; the variants' skus computed by `derived`.
async fn catalog(app: &TestApp, d: i64) -> Catalog {
    let pool = &app.pool;
    let supplier = app.vendor(d, "Supplier Co", &["supplier"]).await;
    let decorator = app.vendor(d, "Deco Print", &["decorator"]).await;
    let color =
        scalar(pool, format!("INSERT INTO attributes (distributor_id, name) VALUES ({d}, 'Color') RETURNING id")).await;
    let size =
        scalar(pool, format!("INSERT INTO attributes (distributor_id, name) VALUES ({d}, 'Size') RETURNING id")).await;
    let value = |attribute: i64, name: &'static str, position: i32| {
        scalar(
            pool,
            format!(
                "INSERT INTO attribute_values (attribute_id, distributor_id, name, position) \
                 VALUES ({attribute}, {d}, '{name}', {position}) RETURNING id"
            ),
        )
    };
    let red = value(color, "Red", 0).await;
    let blue = value(color, "Blue", 1).await;
    let xl = value(size, "XL", 0).await;
    let ty = scalar(
        pool,
        format!("INSERT INTO product_types (distributor_id, name) VALUES ({d}, 'Wearables') RETURNING id"),
    )
    .await;
    scalar(
        pool,
        format!(
            "INSERT INTO product_type_attributes VALUES ({ty}, {color}, {d}, 0), ({ty}, {size}, {d}, 1) RETURNING 0::int8"
        ),
    )
    .await;
    let product = scalar(
        pool,
        format!(
            "INSERT INTO products (distributor_id, product_type_id, name, item_number, description) \
             VALUES ({d}, {ty}, 'Tee', 'TS-100', 'Soft cotton') RETURNING id"
        ),
    )
    .await;
    let variant = |colour: i64, cost: &'static str| {
        let mut ids = [colour, xl];
        ids.sort_unstable();
        async move {
            let v = scalar(
                pool,
                format!(
                    "INSERT INTO product_variants (distributor_id, product_id, supplier_id, vendor_cost, value_ids) \
                     VALUES ({d}, {product}, {supplier}, {cost}, ARRAY[{}, {}]::int8[]) RETURNING id",
                    ids[0], ids[1]
                ),
            )
            .await;
            scalar(
                pool,
                format!(
                    "INSERT INTO product_variant_values VALUES ({v}, {color}, {colour}, {d}, 0), \
                     ({v}, {size}, {xl}, {d}, 1) RETURNING 0::int8"
                ),
            )
            .await;
            v
        }
    };
    let red_xl = variant(red, "4.10").await;
    let blue_xl = variant(blue, "3.00").await;
    let mut conn = pool.acquire().await.unwrap();
    derived::refresh(&mut conn, Affected::Variants(&[red_xl, blue_xl])).await.unwrap();
    Catalog { supplier, decorator, product, red_xl, blue_xl }
}

/// A draft campaign of the caller's distributor, complete enough to activate,
/// with a bfl_cost of 0.50 and the given members.
async fn draft(app: &TestApp, token: &str, name: &str, members: &[&str]) -> i64 {
    let r = app
        .post(
            CAMPAIGNS,
            Some(token),
            json!({"name": name, "company_name": "Initech", "start_date": "2027-03-01", "end_date": "2027-03-31",
                   "message": "Welcome", "bfl_cost": "0.50"}),
        )
        .await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    for m in members {
        let account: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1")
            .bind(m)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        app.post(&format!("{CAMPAIGNS}/{id}/members"), Some(token), json!({"account_id": account})).await.expect(201);
    }
    id
}

async fn set_ow_cost(app: &TestApp, d: i64, ow_cost: &str) {
    sqlx::query("UPDATE distributors SET ow_cost = $2::numeric WHERE id = $1")
        .bind(d)
        .bind(ow_cost)
        .execute(&app.pool)
        .await
        .unwrap();
}

async fn patch(app: &TestApp, path: &str, token: &str, headers: &[(&str, &str)], body: Value) -> Resp {
    app.request(Method::PATCH, path, Some(token), headers, Some(body)).await
}

async fn delete(app: &TestApp, path: &str, token: &str, headers: &[(&str, &str)]) -> Resp {
    app.request(Method::DELETE, path, Some(token), headers, None).await
}

async fn status(app: &TestApp, campaign: i64, token: &str, to: &str) -> Resp {
    app.post(&format!("{CAMPAIGNS}/{campaign}/status"), Some(token), json!({"to": to})).await
}

/// The item row as the database holds it, for "nothing changed" checks.
async fn row(pool: &PgPool, id: i64) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(c) FROM campaign_items c WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or(Value::Null)
}

fn fields_of(r: &Resp) -> Vec<String> {
    r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

fn decorations(c: &Catalog) -> Value {
    json!([
        {"location": "front", "logo_description": "Initech logo", "cost": "1.2", "decorator_id": c.decorator},
        {"location": "Sleeve", "logo_description": "Flag", "cost": "0.80", "decorator_id": c.decorator}
    ])
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_walkthrough_prices_reprices_freezes_and_scopes(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    set_ow_cost(&app, w.acme, "0.25").await;
    let c = catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let (root, _) = app.login("root").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (globex, _) = app.login("globex_manager").await;
    let campaign = draft(&app, &sales, "Initech spring", &["acme_shopper", "acme_buyer"]).await;

    // Red/XL with two decorations; vendor_cost and ow_cost default to the
    // variant's and the distributor's.
    let r = app
        .post(
            ITEMS,
            Some(&sales),
            json!({"campaign_id": campaign, "product_variant_id": c.red_xl, "margin": "35",
                   "decorations": decorations(&c)}),
        )
        .await;
    r.expect(201);
    let first = r.body["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(url(first).as_str()));
    // Pricing the new item is part of its creation: it is at version 1.
    crate::helpers::assert_etag(&r, &format!("\"campaignitem-{first}-1\""));
    let b = &r.body;
    assert_eq!(b["sku"], "TS-100-Red-XL-FRONT-SLEEVE");
    assert_eq!((b["campaign_id"].as_i64(), b["distributor_id"].as_i64()), (Some(campaign), Some(w.acme)));
    assert_eq!(
        (b["vendor_cost"].as_str(), b["ow_cost"].is_null(), b["applied_ow_cost"].as_str(), b["bfl_cost"].as_str()),
        (Some("4.10"), true, Some("0.25"), Some("0.50"))
    );
    // 4.10 + 0.50 bfl + 0.25 ow + 1.20 + 0.80 = 6.85; 6.85 / (1 - 0.35) = 10.538… → 10.54
    assert_eq!((b["decoration_cost"].as_str(), b["total"].as_str()), (Some("2.00"), Some("6.85")));
    assert_eq!((b["margin"].as_str(), b["price"].as_str()), (Some("35.00"), Some("10.54")));
    assert_eq!((b["product_id"].as_i64(), b["supplier_id"].as_i64()), (Some(c.product), Some(c.supplier)));
    assert_eq!((b["product_name"].as_str(), b["product_type_name"].as_str()), (Some("Tee"), Some("Wearables")));
    assert_eq!((b["item_number"].as_str(), b["description"].as_str()), (Some("TS-100"), Some("Soft cotton")));
    assert_eq!(b["attributes"], json!([{"attribute": "Color", "value": "Red"}, {"attribute": "Size", "value": "XL"}]));
    assert_eq!(b["supplier_name"], "Supplier Co");
    assert!(b["frozen_at"].is_null());
    let d0 = &b["decorations"][0];
    assert_eq!(
        (d0["location"].as_str(), d0["cost"].as_str(), d0["decorator_id"].as_i64(), d0["decorator_name"].as_str()),
        (Some("front"), Some("1.20"), Some(c.decorator), Some("Deco Print")),
        "the cost is stored as a two-place decimal string"
    );
    assert_eq!(b["decorations"][1]["logo_description"], "Flag");

    // Blue/XL with its own vendor cost and a zero ow_cost: the half-cent case.
    let r = app
        .post(
            ITEMS,
            Some(&sales),
            json!({"campaign_id": campaign, "product_variant_id": c.blue_xl, "margin": "20",
                   "vendor_cost": "0.40", "ow_cost": "0.00", "bin_id": "A-1"}),
        )
        .await;
    r.expect(201);
    let second = r.body["id"].as_i64().unwrap();
    // 0.40 + 0.50 bfl + 0.00 own ow (not the distributor's 0.25) = 0.90;
    // 0.90 / 0.8 = 1.125 → 1.13 (half away from zero; banker's would give 1.12)
    assert_eq!(
        (r.body["sku"].as_str(), r.body["ow_cost"].as_str(), r.body["applied_ow_cost"].as_str()),
        (Some("TS-100-Blue-XL"), Some("0.00"), Some("0.00"))
    );
    assert_eq!((r.body["total"].as_str(), r.body["price"].as_str()), (Some("0.90"), Some("1.13")));
    assert_eq!(r.body["bin_id"], "A-1");

    // The campaign's bfl_cost reprices its draft items.
    app.request(Method::PATCH, &format!("{CAMPAIGNS}/{campaign}"), Some(&sales), &[], Some(json!({"bfl_cost": "1"})))
        .await
        .expect(200);
    let one = app.get(&url(first), &sales).await;
    // 4.10 + 1.00 + 0.25 + 2.00 = 7.35; 7.35 / 0.65 = 11.307… → 11.31
    assert_eq!((one.body["total"].as_str(), one.body["price"].as_str()), (Some("7.35"), Some("11.31")));
    let two = app.get(&url(second), &sales).await;
    // 0.40 + 1.00 + 0.00 = 1.40; 1.40 / 0.8 = 1.75
    assert_eq!((two.body["total"].as_str(), two.body["price"].as_str()), (Some("1.40"), Some("1.75")));

    // The distributor's ow_cost reprices the items that use it (not the override).
    let r =
        patch(&app, &format!("/api/v1/organization/distributors/{}", w.acme), &root, &[], json!({"ow_cost": "0.35"}))
            .await;
    r.expect(200);
    let one = app.get(&url(first), &sales).await;
    // 4.10 + 1.00 + 0.35 + 2.00 = 7.45; 7.45 / 0.65 = 11.461… → 11.46
    assert_eq!((one.body["applied_ow_cost"].as_str(), one.body["price"].as_str()), (Some("0.35"), Some("11.46")));
    assert_eq!(app.get(&url(second), &sales).await.body["price"], "1.75");

    // A draft item's inputs change with If-Match; a stale one is 412.
    let etag = one.header("etag").unwrap().to_owned();
    let r = patch(&app, &url(first), &sales, &[("If-Match", &etag)], json!({"margin": "40"})).await;
    r.expect(200);
    // 7.45 / 0.60 = 12.416… → 12.42
    assert_eq!(r.body["price"], "12.42");
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    let before = row(&pool, first).await;
    patch(&app, &url(first), &sales, &[("If-Match", &etag)], json!({"margin": "10"})).await.expect(412);
    delete(&app, &url(first), &sales, &[("If-Match", &etag)]).await.expect(412);
    assert_eq!(row(&pool, first).await, before);
    // Dropping a decoration changes the sku and the total.
    let r = patch(
        &app,
        &url(second),
        &sales,
        &[],
        json!({"decorations": [{"location": "back", "cost": "0.20", "decorator_id": c.decorator}], "ow_cost": null}),
    )
    .await;
    r.expect(200);
    // 0.40 + 1.00 + 0.35 (the distributor's again) + 0.20 = 1.95; 1.95 / 0.8 = 2.4375 → 2.44
    assert_eq!(
        (r.body["sku"].as_str(), r.body["total"].as_str(), r.body["price"].as_str()),
        (Some("TS-100-Blue-XL-BACK"), Some("1.95"), Some("2.44"))
    );
    // A third item, removed while the campaign is a draft.
    let r = app
        .post(ITEMS, Some(&sales), json!({"campaign_id": campaign, "product_variant_id": c.red_xl, "margin": "0"}))
        .await;
    r.expect(201);
    let third = r.body["id"].as_i64().unwrap();
    delete(&app, &url(third), &sales, &[]).await.expect(204);
    app.get(&url(third), &sales).await.expect(404);

    // A draft's items: its admin buyer reads them, its shopper does not yet.
    let list =
        format!("{ITEMS}?filter={}", enc(&format!(r#"[{{"field":"campaign_id","op":"==","value":{campaign}}}]"#)));
    assert_eq!(app.get(&list, &buyer).await.body.as_array().unwrap().len(), 2);
    assert_eq!(app.get(&list, &shopper).await.body, json!([]));
    app.get(&url(first), &shopper).await.expect(404);

    // Activation (through the API) freezes the items.
    status(&app, campaign, &sales, "active").await.expect(200);
    let frozen = app.get(&url(first), &sales).await;
    assert!(frozen.body["frozen_at"].as_str().is_some(), "{}", frozen.text);
    let before = row(&pool, first).await;
    // Renaming the product, the supplier and changing the ow_cost no longer reach it.
    sqlx::query("UPDATE products SET name = 'Shirt', item_number = 'TS-200' WHERE id = $1")
        .bind(c.product)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE vendors SET name = 'Renamed Supplier' WHERE id = $1")
        .bind(c.supplier)
        .execute(&pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    derived::refresh(&mut conn, Affected::Product(c.product)).await.unwrap();
    derived::refresh(&mut conn, Affected::Vendor(c.supplier)).await.unwrap();
    drop(conn);
    patch(&app, &format!("/api/v1/organization/distributors/{}", w.acme), &root, &[], json!({"ow_cost": "5.00"}))
        .await
        .expect(200);
    assert_eq!(row(&pool, first).await, before, "a frozen item does not follow the catalog");
    let b = app.get(&url(first), &sales).await.body;
    assert_eq!(
        (b["product_name"].as_str(), b["supplier_name"].as_str(), b["sku"].as_str(), b["price"].as_str()),
        (Some("Tee"), Some("Supplier Co"), Some("TS-100-Red-XL-FRONT-SLEEVE"), Some("12.42"))
    );

    // Frozen: only the bin changes; no removals, no new items.
    let r = patch(&app, &url(first), &sales, &[], json!({"margin": "50", "bin_id": "B-12"})).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("frozen"), "{}", r.text);
    assert!(r.body["detail"].as_str().unwrap().ends_with("refused: margin"), "{}", r.text);
    assert_eq!(row(&pool, first).await, before);
    let r = patch(&app, &url(first), &sales, &[], json!({"bin_id": " B-12 ", "margin": "40"})).await;
    r.expect(200);
    assert_eq!((r.body["bin_id"].as_str(), r.body["price"].as_str()), (Some("B-12"), Some("12.42")));
    delete(&app, &url(first), &sales, &[]).await.expect(409);
    let r = app
        .post(ITEMS, Some(&sales), json!({"campaign_id": campaign, "product_variant_id": c.red_xl, "margin": "0"}))
        .await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("draft"), "{}", r.text);

    // The shopper member of the active campaign reads its items and prices,
    // never the staff-only fields.
    let r = app.get(&list, &shopper).await;
    r.expect(200);
    let items = r.body.as_array().unwrap();
    assert_eq!(items.len(), 2);
    let mine = items.iter().find(|i| i["id"] == first).unwrap();
    assert_eq!((mine["price"].as_str(), mine["sku"].as_str()), (Some("12.42"), Some("TS-100-Red-XL-FRONT-SLEEVE")));
    for staff_only in ["vendor_cost", "margin", "total", "supplier_name", "decorations", "bin_id"] {
        assert!(mine.get(staff_only).is_none(), "{staff_only} leaks to a shopper: {}", r.text);
    }
    let read = app.get(&url(first), &shopper).await;
    read.expect(200);
    assert_eq!(read.body["price"], "12.42");
    let r = app.get_with(&url(first), &shopper, &[("X-Fields", "{id,price,vendor_cost}")]).await;
    r.expect(403);
    assert!(r.body["detail"].as_str().unwrap().contains("vendor_cost"), "{}", r.text);
    app.get(&format!("{list}&fields=id,supplier_name"), &shopper).await.expect(403);
    let sort = app.get(&format!("{ITEMS}?sort=-price&fields=id,price"), &shopper).await;
    sort.expect(200);
    assert_eq!(sort.body, json!([{"id": first, "price": "12.42"}, {"id": second, "price": "2.44"}]));
    patch(&app, &url(first), &shopper, &[], json!({"bin_id": "X"})).await.expect(403);

    // Another distributor sees nothing of it.
    app.get(&url(first), &globex).await.expect(404);
    let r = app.get(&format!("{list}&count=exact"), &globex).await;
    r.expect(200);
    assert_eq!((r.body.clone(), r.header("x-total-count")), (json!([]), Some("0")));
    patch(&app, &url(first), &globex, &[], json!({"bin_id": "X"})).await.expect(404);
    delete(&app, &url(first), &globex, &[]).await.expect(404);
    assert_eq!(app.get(&url(first), &sales).await.body["bin_id"], "B-12");

    // Closed: nothing changes any more.
    status(&app, campaign, &sales, "closed").await.expect(200);
    patch(&app, &url(first), &sales, &[], json!({"bin_id": "C-1"})).await.expect(409);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn refused_creates_name_the_field_and_write_nothing(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let g = catalog(&app, w.globex).await;
    let (sales, _) = app.login("acme_sales").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (globex_sales, _) = app.login("globex_sales").await;
    let campaign = draft(&app, &sales, "Spring", &["acme_buyer"]).await;
    let inactive = app.vendor(w.acme, "Retired Deco", &["decorator"]).await;
    sqlx::query("UPDATE vendors SET is_active = FALSE WHERE id = $1").bind(inactive).execute(&pool).await.unwrap();
    let body = |extra: Value| {
        let mut b = json!({"campaign_id": campaign, "product_variant_id": c.red_xl, "margin": "35"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let with_decorator = |decorator: i64| {
        body(json!({"decorations": [
            {"location": "front", "cost": "1.00", "decorator_id": c.decorator},
            {"location": "back", "cost": "1.00", "decorator_id": decorator}
        ]}))
    };

    // A decorator that is not one, is retired, is another distributor's or does not exist.
    for decorator in [c.supplier, inactive, g.decorator, 999_999] {
        let r = app.post(ITEMS, Some(&sales), with_decorator(decorator)).await;
        r.expect(422);
        assert_eq!(fields_of(&r), ["decorations[1].decorator_id"], "{}", r.text);
        assert!(r.body["errors"][0]["message"].as_str().unwrap().starts_with("no such decorator"));
    }
    // The margin must stay below 100, amounts are money.
    let r = app.post(ITEMS, Some(&sales), body(json!({"margin": "100"}))).await;
    r.expect(422);
    assert_eq!(fields_of(&r), ["margin"]);
    let r = app
        .post(
            ITEMS,
            Some(&sales),
            body(json!({"margin": "-1", "vendor_cost": "1.001", "ow_cost": "-2", "bin_id": "b".repeat(65),
                        "decorations": [{"location": "", "cost": "1", "decorator_id": c.decorator},
                                        {"location": "FRONT", "cost": "1", "decorator_id": c.decorator},
                                        {"location": "front", "cost": "1", "decorator_id": 999_999}]})),
        )
        .await;
    r.expect(422);
    assert_eq!(
        fields_of(&r),
        [
            "bin_id",
            "decorations[0].location",
            "decorations[2].decorator_id",
            "decorations[2].location",
            "margin",
            "ow_cost",
            "vendor_cost",
        ]
    );
    let many: Vec<Value> =
        (0..11).map(|i| json!({"location": format!("spot {i}"), "cost": "0", "decorator_id": c.decorator})).collect();
    let r = app.post(ITEMS, Some(&sales), body(json!({"decorations": many}))).await;
    r.expect(422);
    assert_eq!(fields_of(&r), ["decorations"]);
    // A price too large to store is refused, not a 500.
    let r = app.post(ITEMS, Some(&sales), body(json!({"vendor_cost": "9999999", "margin": "99.99"}))).await;
    r.expect(422);
    assert_eq!(fields_of(&r), ["price"]);
    // Money is a decimal string: a JSON number is malformed.
    app.post(ITEMS, Some(&sales), body(json!({"margin": 35}))).await.expect(400);

    // The variant must be the distributor's and its product not deleted.
    for variant in [g.red_xl, 999_999] {
        let r = app.post(ITEMS, Some(&sales), body(json!({"product_variant_id": variant}))).await;
        r.expect(422);
        assert_eq!(fields_of(&r), ["product_variant_id"]);
        assert!(r.body["errors"][0]["message"].as_str().unwrap().starts_with("no such variant"));
    }
    sqlx::query("UPDATE products SET is_deleted = TRUE WHERE id = $1").bind(c.product).execute(&pool).await.unwrap();
    let r = app.post(ITEMS, Some(&sales), body(json!({}))).await;
    r.expect(422);
    assert_eq!(fields_of(&r), ["product_variant_id"]);
    sqlx::query("UPDATE products SET is_deleted = FALSE WHERE id = $1").bind(c.product).execute(&pool).await.unwrap();

    // The campaign must be a draft the caller can write.
    let r = app.post(ITEMS, Some(&sales), body(json!({"campaign_id": w.acme_campaign}))).await;
    r.expect(409);
    for other in [w.globex_campaign, 999_999] {
        let r = app.post(ITEMS, Some(&sales), body(json!({"campaign_id": other}))).await;
        r.expect(422);
        assert_eq!(fields_of(&r), ["campaign_id"]);
    }
    app.post(ITEMS, Some(&globex_sales), body(json!({"product_variant_id": g.red_xl}))).await.expect(422);
    app.post(ITEMS, Some(&buyer), body(json!({}))).await.expect(403);
    app.post(ITEMS, Some(&shopper), body(json!({}))).await.expect(403);
    assert_eq!(app.count("campaign_items").await, 0, "refused creates wrote nothing");

    // The same body, fixed, is accepted; an Idempotency-Key replays it.
    let key = [("Idempotency-Key", "item-1")];
    let first = app.request(Method::POST, ITEMS, Some(&sales), &key, Some(with_decorator(c.decorator))).await;
    first.expect(201);
    let again = app.request(Method::POST, ITEMS, Some(&sales), &key, Some(with_decorator(c.decorator))).await;
    again.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(app.count("campaign_items").await, 1);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn draft_edits_are_validated_like_creates(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let g = catalog(&app, w.globex).await;
    let (sales, _) = app.login("acme_sales").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let campaign = draft(&app, &sales, "Spring", &["acme_buyer"]).await;
    let r = app
        .post(
            ITEMS,
            Some(&sales),
            json!({"campaign_id": campaign, "product_variant_id": c.red_xl, "margin": "35",
                   "decorations": decorations(&c)}),
        )
        .await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    let before = row(&pool, id).await;

    for (body, field) in [
        (json!({"margin": "100"}), "margin"),
        (json!({"product_variant_id": g.red_xl}), "product_variant_id"),
        (
            json!({"decorations": [{"location": "x", "cost": "1", "decorator_id": g.decorator}]}),
            "decorations[0].decorator_id",
        ),
        (json!({"bin_id": ""}), "bin_id"),
    ] {
        let r = patch(&app, &url(id), &sales, &[], body).await;
        r.expect(422);
        assert_eq!(fields_of(&r), [field], "{}", r.text);
    }
    // Members who are not staff: 403; nonexistent: 404.
    patch(&app, &url(id), &buyer, &[], json!({"margin": "1"})).await.expect(403);
    delete(&app, &url(id), &buyer, &[]).await.expect(403);
    patch(&app, &url(999_999), &sales, &[], json!({"margin": "1"})).await.expect(404);
    assert_eq!(row(&pool, id).await, before, "refused edits changed nothing");

    // Another variant takes its vendor cost unless one is sent.
    let r = patch(&app, &url(id), &sales, &[], json!({"product_variant_id": c.blue_xl})).await;
    r.expect(200);
    // 3.00 + 0.50 + 0.00 (Acme's ow_cost) + 2.00 = 5.50; 5.50 / 0.65 = 8.461… → 8.46
    assert_eq!(
        (r.body["sku"].as_str(), r.body["vendor_cost"].as_str(), r.body["price"].as_str()),
        (Some("TS-100-Blue-XL-FRONT-SLEEVE"), Some("3.00"), Some("8.46"))
    );
    let r = patch(&app, &url(id), &sales, &[], json!({"product_variant_id": c.red_xl, "vendor_cost": "1.00"})).await;
    r.expect(200);
    assert_eq!(
        (r.body["vendor_cost"].as_str(), r.body["sku"].as_str()),
        (Some("1.00"), Some("TS-100-Red-XL-FRONT-SLEEVE"))
    );
    // Sending the current values changes nothing (the version stays).
    let etag = r.header("etag").unwrap().to_owned();
    let r = patch(&app, &url(id), &sales, &[("If-Match", &etag)], json!({"margin": "35.0", "vendor_cost": "1"})).await;
    r.expect(200);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn duplicating_a_campaign_copies_its_items_unfrozen(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let campaign = draft(&app, &sales, "Spring", &[]).await;
    let r = app
        .post(
            ITEMS,
            Some(&sales),
            json!({"campaign_id": campaign, "product_variant_id": c.red_xl, "margin": "35", "ow_cost": "0.25",
                   "decorations": decorations(&c)}),
        )
        .await;
    r.expect(201);
    let source_item = r.body["id"].as_i64().unwrap();
    status(&app, campaign, &sales, "active").await.expect(200);
    patch(&app, &url(source_item), &sales, &[], json!({"bin_id": "A-7"})).await.expect(200);
    // The catalog moves on after activation.
    sqlx::query("UPDATE products SET name = 'Tee v2' WHERE id = $1").bind(c.product).execute(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    derived::refresh(&mut conn, Affected::Product(c.product)).await.unwrap();
    drop(conn);

    let r = app.post(&format!("{CAMPAIGNS}/{campaign}/duplicate"), Some(&sales), json!({"name": "Autumn"})).await;
    r.expect(201);
    let copy = r.body["id"].as_i64().unwrap();
    let filter = enc(&format!(r#"[{{"field":"campaign_id","op":"==","value":{copy}}}]"#));
    let r =
        app.get(&format!("{ITEMS}?filter={filter}&fields={}", enc("*,decorations,margin,total,bin_id")), &sales).await;
    r.expect(200);
    let items = r.body.as_array().unwrap();
    assert_eq!(items.len(), 1);
    let copied = &items[0];
    assert_ne!(copied["id"], source_item);
    assert!(copied["frozen_at"].is_null(), "the copy is a draft's item: unfrozen");
    assert!(copied["bin_id"].is_null(), "bins belong to one campaign");
    assert_eq!(copied["product_name"], "Tee v2", "the copy follows today's catalog");
    // 4.10 + 0.50 + 0.25 + 2.00 = 6.85; 6.85 / 0.65 = 10.54
    assert_eq!(
        (copied["margin"].as_str(), copied["total"].as_str(), copied["price"].as_str()),
        (Some("35.00"), Some("6.85"), Some("10.54"))
    );
    assert_eq!(copied["decorations"][1]["decorator_name"], "Deco Print");
    assert_eq!(copied["decorations"][1]["cost"], "0.80");
    // The original stays frozen with its old copy.
    let original = app.get(&url(source_item), &sales).await.body;
    assert_eq!((original["product_name"].as_str(), original["bin_id"].as_str()), (Some("Tee"), Some("A-7")));
    // The copy's items are editable (its campaign is a draft).
    patch(&app, &format!("{ITEMS}/{}", copied["id"]), &sales, &[], json!({"margin": "10"})).await.expect(200);
}
