//! The catalog's setup resources: vendors (roles, unique names, never
//! deleted or stripped of a role while in use), attributes with ordered
//! values (dense positions, inserts, reorders, deletes that close the gap),
//! product types with ordered attributes and vendors; staff-only access,
//! another distributor's rows as 404, If-Match and Idempotency-Key.

use crate::helpers::{Resp, TestApp, World, enc};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const VENDORS: &str = "/api/v1/catalog/vendors";
const ATTRIBUTES: &str = "/api/v1/catalog/attributes";
const TYPES: &str = "/api/v1/catalog/product-types";

fn one(base: &str, id: i64) -> String {
    format!("{base}/{id}")
}

fn values_of(attribute: i64) -> String {
    format!("{ATTRIBUTES}/{attribute}/values")
}

fn order_of(attribute: i64) -> String {
    format!("{ATTRIBUTES}/{attribute}/values/order")
}

async fn patch(app: &TestApp, url: &str, token: &str, headers: &[(&str, &str)], body: Value) -> Resp {
    app.request(Method::PATCH, url, Some(token), headers, Some(body)).await
}

async fn put(app: &TestApp, url: &str, token: &str, headers: &[(&str, &str)], body: Value) -> Resp {
    app.request(Method::PUT, url, Some(token), headers, Some(body)).await
}

async fn delete(app: &TestApp, url: &str, token: &str, headers: &[(&str, &str)]) -> Resp {
    app.request(Method::DELETE, url, Some(token), headers, None).await
}

fn id(r: &Resp) -> i64 {
    r.body["id"].as_i64().unwrap_or_else(|| panic!("no id in {}", r.text))
}

fn error_fields(r: &Resp) -> Vec<(String, String)> {
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

fn names(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_owned()).collect()
}

async fn row(pool: &PgPool, table: &str, id: i64) -> Value {
    // Table names here are test constants, never client text.
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT to_jsonb(t) FROM {table} t WHERE id = $1")))
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or(Value::Null)
}

/// (name, position) of an attribute's values, in position order.
async fn positions(pool: &PgPool, attribute: i64) -> Vec<(String, i32)> {
    sqlx::query_as("SELECT name, position FROM attribute_values WHERE attribute_id = $1 ORDER BY position")
        .bind(attribute)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn value_id(pool: &PgPool, attribute: i64, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM attribute_values WHERE attribute_id = $1 AND name = $2")
        .bind(attribute)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A product of type `product_type` with one variant of `values` (one per
/// attribute of the type, in its order) bought from `supplier`, inserted
/// directly. Returns (product, variant).
async fn variant(pool: &PgPool, d: i64, product_type: i64, supplier: i64, values: &[i64]) -> (i64, i64) {
    let product: i64 = sqlx::query_scalar(
        "INSERT INTO products (distributor_id, product_type_id, name, item_number) \
         VALUES ($1, $2, 'Tee', 'TEE' || $2) RETURNING id",
    )
    .bind(d)
    .bind(product_type)
    .fetch_one(pool)
    .await
    .unwrap();
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let variant: i64 = sqlx::query_scalar(
        "INSERT INTO product_variants (distributor_id, product_id, supplier_id, value_ids, sku) \
         VALUES ($1, $2, $3, $4, 'placeholder') RETURNING id",
    )
    .bind(d)
    .bind(product)
    .bind(supplier)
    .bind(&sorted)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO product_variant_values (variant_id, attribute_id, attribute_value_id, distributor_id, position) \
         SELECT $1, av.attribute_id, av.id, $2, v.ord - 1 \
         FROM unnest($3::int8[]) WITH ORDINALITY AS v(id, ord) JOIN attribute_values av ON av.id = v.id",
    )
    .bind(variant)
    .bind(d)
    .bind(values)
    .execute(pool)
    .await
    .unwrap();
    storage::derived::refresh(&mut pool.acquire().await.unwrap(), storage::derived::Affected::Variants(&[variant]))
        .await
        .unwrap();
    (product, variant)
}

/// A draft campaign of `d` with one item of `variant`, decorated by
/// `decorator`; its derived copies are computed. Returns (campaign, item).
async fn draft_item(pool: &PgPool, d: i64, variant: i64, decorator: i64) -> (i64, i64) {
    let campaign: i64 =
        sqlx::query_scalar("INSERT INTO campaigns (distributor_id, name) VALUES ($1, 'Draft store') RETURNING id")
            .bind(d)
            .fetch_one(pool)
            .await
            .unwrap();
    let item: i64 = sqlx::query_scalar(
        "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, \
           decorations, product_id, supplier_id) \
         SELECT $1, $2, v.id, 5, 20, jsonb_build_array(jsonb_build_object( \
           'location', 'front', 'logo_description', 'Logo', 'cost', '1.50', 'decorator_id', $4::int8)), \
           v.product_id, v.supplier_id \
         FROM product_variants v WHERE v.id = $3 RETURNING id",
    )
    .bind(campaign)
    .bind(d)
    .bind(variant)
    .bind(decorator)
    .fetch_one(pool)
    .await
    .unwrap();
    storage::derived::refresh(&mut pool.acquire().await.unwrap(), storage::derived::Affected::Items(&[item]))
        .await
        .unwrap();
    (campaign, item)
}

// ---- vendors ------------------------------------------------------------------

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn vendor_crud_with_roles_unique_names_and_if_match(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;

    let r = app
        .post(
            VENDORS,
            Some(&sales),
            json!({"name": " SanMar ", "email": "po@sanmar.example", "address": "1 Supply Rd", "is_supplier": true}),
        )
        .await;
    r.expect(201);
    let sanmar = id(&r);
    assert_eq!(r.header("location"), Some(one(VENDORS, sanmar).as_str()));
    crate::helpers::assert_etag(&r, &format!("\"vendor-{sanmar}-1\""));
    assert_eq!(r.body["name"], "SanMar");
    assert_eq!(r.body["distributor_id"], w.acme);
    assert_eq!(
        (&r.body["is_supplier"], &r.body["is_decorator"], &r.body["is_pick_pack"], &r.body["is_active"]),
        (&json!(true), &json!(false), &json!(false), &json!(true))
    );

    // No role at all: a 422 naming the three flags; nothing is written.
    let before = app.count("vendors").await;
    let r = app.post(VENDORS, Some(&sales), json!({"name": "Nobody", "is_supplier": false})).await;
    r.expect(422);
    assert_eq!(
        error_fields(&r),
        pairs(&[("is_decorator", "no_role"), ("is_pick_pack", "no_role"), ("is_supplier", "no_role")])
    );
    let r = app.post(VENDORS, Some(&sales), json!({"name": "", "email": "nope", "is_decorator": true})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("email", "email"), ("name", "required")]));
    // A taken name, whatever its case, is a 409.
    let r = app.post(VENDORS, Some(&sales), json!({"name": "sanmar", "is_decorator": true})).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("sanmar"), "{}", r.text);
    assert_eq!(app.count("vendors").await, before);

    // Read, with its ETag; list with a filter and a mask.
    let r = app.get(&one(VENDORS, sanmar), &sales).await;
    r.expect(200);
    let etag = r.header("etag").unwrap().to_owned();
    assert_eq!(r.body["email"], "po@sanmar.example");
    app.get_with(&one(VENDORS, sanmar), &sales, &[("If-None-Match", &etag)]).await.expect(304);
    app.vendor(w.acme, "Deco Co", &["decorator"]).await;
    let filter = enc(r#"[{"field":"is_supplier","op":"==","value":true}]"#);
    let r = app.get(&format!("{VENDORS}?filter={filter}&fields=name"), &sales).await;
    r.expect(200);
    assert_eq!(r.body, json!([{"name": "SanMar"}]));

    // Edit with If-Match; a stale one is a 412 and changes nothing.
    let r = patch(&app, &one(VENDORS, sanmar), &sales, &[("If-Match", &etag)], json!({"is_decorator": true})).await;
    r.expect(200);
    assert_eq!(r.body["is_decorator"], true);
    crate::helpers::assert_etag(&r, &format!("\"vendor-{sanmar}-2\""));
    let r = patch(&app, &one(VENDORS, sanmar), &sales, &[("If-Match", &etag)], json!({"name": "Stale"})).await;
    r.expect(412);
    assert_eq!(row(&pool, "vendors", sanmar).await["name"], "SanMar");
    // Clearing every role, or taking another vendor's name, is refused.
    let r = patch(&app, &one(VENDORS, sanmar), &sales, &[], json!({"is_supplier": false, "is_decorator": false})).await;
    r.expect(422);
    assert_eq!(error_fields(&r).len(), 3);
    patch(&app, &one(VENDORS, sanmar), &sales, &[], json!({"name": "DECO CO"})).await.expect(409);
    assert_eq!(row(&pool, "vendors", sanmar).await["version"], 2);

    // Delete an unused vendor; then it is gone.
    delete(&app, &one(VENDORS, sanmar), &sales, &[("If-Match", &etag)]).await.expect(412);
    delete(&app, &one(VENDORS, sanmar), &sales, &[("If-Match", &format!("\"vendor-{sanmar}-2\""))]).await.expect(204);
    app.get(&one(VENDORS, sanmar), &sales).await.expect(404);
    delete(&app, &one(VENDORS, sanmar), &sales, &[]).await.expect(404);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn vendors_are_for_staff_of_their_own_distributor(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    let (globex, _) = app.login("globex_manager").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (root, _) = app.login("root").await;
    let acme_vendor = app.vendor(w.acme, "Acme Supply", &["supplier"]).await;
    let before = row(&pool, "vendors", acme_vendor).await;

    for token in [&buyer, &shopper] {
        app.get(VENDORS, token).await.expect(403);
        app.get(&one(VENDORS, acme_vendor), token).await.expect(403);
        app.post(VENDORS, Some(token), json!({"name": "X", "is_supplier": true})).await.expect(403);
        patch(&app, &one(VENDORS, acme_vendor), token, &[], json!({"name": "X"})).await.expect(403);
        delete(&app, &one(VENDORS, acme_vendor), token, &[]).await.expect(403);
    }
    // Another distributor's vendor does not exist for Globex.
    let hidden = app.get(&one(VENDORS, acme_vendor), &globex).await;
    hidden.expect(404);
    let absent = app.get(&one(VENDORS, 999_999), &globex).await;
    assert_eq!(hidden.body["detail"], absent.body["detail"]);
    patch(&app, &one(VENDORS, acme_vendor), &globex, &[], json!({"name": "Mine"})).await.expect(404);
    delete(&app, &one(VENDORS, acme_vendor), &globex, &[]).await.expect(404);
    let r = app.get(VENDORS, &globex).await;
    r.expect(200);
    assert_eq!(r.body, json!([]));
    assert_eq!(row(&pool, "vendors", acme_vendor).await, before);

    // Staff create for their own distributor only; super admins name one.
    let r =
        app.post(VENDORS, Some(&manager), json!({"name": "X", "is_supplier": true, "distributor_id": w.globex})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("distributor_id", "not_allowed")]));
    let r = app.post(VENDORS, Some(&root), json!({"name": "X", "is_supplier": true})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("distributor_id", "required")]));
    let r = app.post(VENDORS, Some(&root), json!({"name": "X", "is_supplier": true, "distributor_id": 999_999})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("distributor_id", "not_found")]));
    let r =
        app.post(VENDORS, Some(&root), json!({"name": "X", "is_pick_pack": true, "distributor_id": w.globex})).await;
    r.expect(201);
    assert_eq!(r.body["distributor_id"], w.globex);
    let r = app.get(&format!("{VENDORS}?fields=name"), &root).await;
    assert_eq!(r.body, json!([{"name": "Acme Supply"}, {"name": "X"}]));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_vendor_in_use_keeps_its_roles_and_cannot_be_deleted(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let supplier = app.vendor(w.acme, "Supplier", &["supplier"]).await;
    let decorator = app.vendor(w.acme, "Decorator", &["decorator"]).await;
    let packer = app.vendor(w.acme, "Packer", &["pick_pack"]).await;
    let listed = app.vendor(w.acme, "Listed", &["supplier"]).await;
    let size = app.post(ATTRIBUTES, Some(&sales), json!({"name": "Size", "values": ["S", "M"]})).await;
    let size_id = id(&size);
    let s = value_id(&pool, size_id, "S").await;
    let t = app
        .post(TYPES, Some(&sales), json!({"name": "Tees", "attribute_ids": [size_id], "vendor_ids": [listed]}))
        .await;
    t.expect(201);
    let (_, variant) = variant(&pool, w.acme, id(&t), supplier, &[s]).await;
    let (_, item) = draft_item(&pool, w.acme, variant, decorator).await;
    sqlx::query("UPDATE campaigns SET pick_pack_partner_id = $1 WHERE id = $2")
        .bind(packer)
        .bind(w.acme_campaign)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(row(&pool, "campaign_items", item).await["supplier_name"], "Supplier");

    for (vendor, what) in [
        (supplier, "1 variant(s) it supplies"),
        (decorator, "1 campaign item(s) it decorates"),
        (packer, "1 campaign(s) it picks and packs for"),
        (listed, "1 product type(s) listing it"),
    ] {
        let r = delete(&app, &one(VENDORS, vendor), &sales, &[]).await;
        r.expect(409);
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains(what) && detail.contains("deactivate it instead (is_active=false)"), "{detail}");
    }
    // Roles in use cannot be cleared (a second role can be added first, but
    // the one in use stays).
    for (vendor, body) in [
        (supplier, json!({"is_supplier": false, "is_pick_pack": true})),
        (decorator, json!({"is_decorator": false, "is_supplier": true})),
        (packer, json!({"is_pick_pack": false, "is_decorator": true})),
    ] {
        let before = row(&pool, "vendors", vendor).await;
        let r = patch(&app, &one(VENDORS, vendor), &sales, &[], body).await;
        r.expect(409);
        assert!(r.body["detail"].as_str().unwrap().contains("roles you are clearing"), "{}", r.text);
        assert_eq!(row(&pool, "vendors", vendor).await, before);
    }
    // A role nothing uses can be cleared; deactivating is always possible.
    let r = patch(&app, &one(VENDORS, listed), &sales, &[], json!({"is_supplier": false, "is_decorator": true})).await;
    r.expect(200);
    let r = patch(&app, &one(VENDORS, supplier), &sales, &[], json!({"is_active": false})).await;
    r.expect(200);
    assert_eq!(r.body["is_active"], false);

    // Draft campaign items copy the supplier's and decorator's details.
    patch(&app, &one(VENDORS, supplier), &sales, &[], json!({"name": "Supplier Inc", "email": "s@inc.example"}))
        .await
        .expect(200);
    patch(&app, &one(VENDORS, decorator), &sales, &[], json!({"address": "9 Print St"})).await.expect(200);
    let copy = row(&pool, "campaign_items", item).await;
    assert_eq!((&copy["supplier_name"], &copy["supplier_email"]), (&json!("Supplier Inc"), &json!("s@inc.example")));
    assert_eq!(copy["decorations"][0]["decorator_address"], "9 Print St");
    assert_eq!(copy["decorations"][0]["decorator_name"], "Decorator");
}

// ---- attributes -----------------------------------------------------------------

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn attribute_values_stay_in_order_with_dense_positions(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;

    let r = app.post(ATTRIBUTES, Some(&sales), json!({"name": "Size", "values": ["S", "M", "L"]})).await;
    r.expect(201);
    let size = id(&r);
    assert_eq!(r.header("location"), Some(one(ATTRIBUTES, size).as_str()));
    let r = app.get(&format!("{}?fields={}", one(ATTRIBUTES, size), enc("{name,values{name,position}}")), &sales).await;
    assert_eq!(
        r.body,
        json!({"name": "Size", "values": [
            {"name": "S", "position": 0}, {"name": "M", "position": 1}, {"name": "L", "position": 2}]})
    );

    // Appended at the end, or inserted at a position (later ones move down).
    let r = app.post(&values_of(size), Some(&sales), json!({"name": "XL"})).await;
    r.expect(201);
    assert_eq!(r.body["position"], 3);
    let xl = id(&r);
    assert_eq!(r.header("location"), Some(format!("{}/{xl}", values_of(size)).as_str()));
    let r = app.post(&values_of(size), Some(&sales), json!({"name": "XS", "position": 0})).await;
    r.expect(201);
    let r = app.post(&values_of(size), Some(&sales), json!({"name": "XXL", "position": 5})).await;
    r.expect(201);
    let ladder =
        |names: &[&str]| names.iter().enumerate().map(|(i, n)| ((*n).to_owned(), i as i32)).collect::<Vec<_>>();
    assert_eq!(positions(&pool, size).await, ladder(&["XS", "S", "M", "L", "XL", "XXL"]));
    // Out of range, blank, or a name the attribute has: refused, nothing moves.
    let r = app.post(&values_of(size), Some(&sales), json!({"name": "3XL", "position": 7})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("position", "range")]));
    app.post(&values_of(size), Some(&sales), json!({"name": " "})).await.expect(422);
    app.post(&values_of(size), Some(&sales), json!({"name": "m"})).await.expect(409);
    assert_eq!(positions(&pool, size).await, ladder(&["XS", "S", "M", "L", "XL", "XXL"]));

    // The list endpoint pages through the values in order.
    let r = app.get(&format!("{}?fields=name&page_size=2", values_of(size)), &sales).await;
    r.expect(200);
    assert_eq!(r.body, json!([{"name": "XS"}, {"name": "S"}]));
    assert!(r.header("link").is_some());

    // Reorder: every id once, with If-Match on the attribute.
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for n in ["XXL", "XL", "L", "M", "S", "XS"] {
            ids.push(value_id(&pool, size, n).await);
        }
        ids
    };
    let etag = app.get(&one(ATTRIBUTES, size), &sales).await.header("etag").unwrap().to_owned();
    let r = put(&app, &order_of(size), &sales, &[("If-Match", &etag)], json!({"ids": ids})).await;
    r.expect(200);
    assert_eq!(names(&r.body), ["XXL", "XL", "L", "M", "S", "XS"]);
    assert_eq!(r.body[0]["position"], 0);
    assert_eq!(r.body[5]["position"], 5);
    let new_etag = r.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag, "a reorder bumps the attribute's version");
    assert_eq!(app.get(&one(ATTRIBUTES, size), &sales).await.header("etag"), Some(new_etag.as_str()));
    assert_eq!(positions(&pool, size).await, ladder(&["XXL", "XL", "L", "M", "S", "XS"]));
    // The old ETag is stale now.
    put(&app, &order_of(size), &sales, &[("If-Match", &etag)], json!({"ids": ids})).await.expect(412);

    // Bad orders: a 422 naming the ids, and nothing changes.
    let foreign_attr = app.post(ATTRIBUTES, Some(&sales), json!({"name": "Color", "values": ["Red"]})).await;
    let red = value_id(&pool, id(&foreign_attr), "Red").await;
    let version = row(&pool, "attributes", size).await["version"].clone();
    let omitted = &ids[1..];
    let r = put(&app, &order_of(size), &sales, &[], json!({"ids": omitted})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("ids", "missing")]));
    assert!(r.body["errors"][0]["message"].as_str().unwrap().ends_with(&format!("missing: {}", ids[0])));
    let mut repeated = ids.clone();
    repeated.push(ids[2]);
    let r = put(&app, &order_of(size), &sales, &[], json!({"ids": repeated})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("ids", "repeated")]));
    assert!(r.body["errors"][0]["message"].as_str().unwrap().ends_with(&format!("repeated: {}", ids[2])));
    let mut swapped = ids.clone();
    swapped[0] = red;
    let r = put(&app, &order_of(size), &sales, &[], json!({"ids": swapped})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("ids", "missing"), ("ids", "unknown")]));
    assert!(r.body["errors"][1]["message"].as_str().unwrap().ends_with(&format!(": {red}")));
    assert_eq!(positions(&pool, size).await, ladder(&["XXL", "XL", "L", "M", "S", "XS"]));
    assert_eq!(row(&pool, "attributes", size).await["version"], version);
    assert_eq!(positions(&pool, id(&foreign_attr)).await, ladder(&["Red"]));

    // Deleting a value closes the gap.
    let m = value_id(&pool, size, "M").await;
    let read = app.get(&format!("{}/{m}", values_of(size)), &sales).await;
    let value_etag = read.header("etag").unwrap().to_owned();
    // M moved twice (the insert at 0, then the reorder): each move is a version.
    crate::helpers::assert_etag(&read, &format!("\"attributevalue-{m}-3\""));
    delete(&app, &format!("{}/{m}", values_of(size)), &sales, &[("If-Match", "\"attributevalue-1-1\"")])
        .await
        .expect(412);
    delete(&app, &format!("{}/{m}", values_of(size)), &sales, &[("If-Match", &value_etag)]).await.expect(204);
    assert_eq!(positions(&pool, size).await, ladder(&["XXL", "XL", "L", "S", "XS"]));
    // A value of another attribute is not under this one.
    delete(&app, &format!("{}/{red}", values_of(size)), &sales, &[]).await.expect(404);
    patch(&app, &format!("{}/{red}", values_of(size)), &sales, &[], json!({"name": "Blue"})).await.expect(404);
    assert_eq!(positions(&pool, id(&foreign_attr)).await, ladder(&["Red"]));
    let _ = w;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn values_in_use_are_kept_and_renames_reach_skus(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let supplier = app.vendor(w.acme, "Supplier", &["supplier", "decorator"]).await;
    let color = id(&app.post(ATTRIBUTES, Some(&sales), json!({"name": "Color", "values": ["Red", "Blue"]})).await);
    let size = id(&app.post(ATTRIBUTES, Some(&sales), json!({"name": "Size", "values": ["S", "M"]})).await);
    let t = id(&app.post(TYPES, Some(&sales), json!({"name": "Tees", "attribute_ids": [color, size]})).await);
    let red = value_id(&pool, color, "Red").await;
    let m = value_id(&pool, size, "M").await;
    let (_, variant) = variant(&pool, w.acme, t, supplier, &[red, m]).await;
    let (_, item) = draft_item(&pool, w.acme, variant, supplier).await;
    assert_eq!(row(&pool, "product_variants", variant).await["sku"], format!("TEE{t}-Red-M"));

    // A used value cannot go; its attribute and type cannot either.
    let r = delete(&app, &format!("{}/{red}", values_of(color)), &sales, &[]).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("1 variant(s)"));
    delete(&app, &one(ATTRIBUTES, color), &sales, &[]).await.expect(409);
    assert_eq!(positions(&pool, color).await.len(), 2);

    // Renames: a taken name is a 409; otherwise skus and draft copies follow.
    patch(&app, &format!("{}/{red}", values_of(color)), &sales, &[], json!({"name": "BLUE"})).await.expect(409);
    let attribute_version = row(&pool, "attributes", color).await["version"].as_i64().unwrap();
    let r = patch(&app, &format!("{}/{red}", values_of(color)), &sales, &[], json!({"name": "Crimson"})).await;
    r.expect(200);
    assert_eq!(r.body["name"], "Crimson");
    assert_eq!(row(&pool, "product_variants", variant).await["sku"], format!("TEE{t}-Crimson-M"));
    assert_eq!(row(&pool, "attributes", color).await["version"], attribute_version + 1);
    let copy = row(&pool, "campaign_items", item).await;
    assert_eq!(copy["sku"], format!("TEE{t}-Crimson-M-FRONT"));
    assert_eq!(
        copy["attributes"],
        json!([{"attribute": "Color", "value": "Crimson"}, {"attribute": "Size", "value": "M"}])
    );
    let r = patch(&app, &one(ATTRIBUTES, size), &sales, &[], json!({"name": "Garment size"})).await;
    r.expect(200);
    assert_eq!(row(&pool, "campaign_items", item).await["attributes"][1]["attribute"], "Garment size");
    // Reordering values changes no sku.
    let blue = value_id(&pool, color, "Blue").await;
    put(&app, &order_of(color), &sales, &[], json!({"ids": [blue, red]})).await.expect(200);
    assert_eq!(row(&pool, "product_variants", variant).await["sku"], format!("TEE{t}-Crimson-M"));
    // An unused value can go.
    delete(&app, &format!("{}/{blue}", values_of(color)), &sales, &[]).await.expect(204);
    assert_eq!(positions(&pool, color).await, [("Crimson".to_owned(), 0)]);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn attributes_crud_access_and_scope(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let (globex, _) = app.login("globex_sales").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (root, _) = app.login("root").await;

    // Invalid initial values are each named; a taken name is a 409.
    let r = app.post(ATTRIBUTES, Some(&sales), json!({"name": "Size", "values": ["S", "", "s"]})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("values[1]", "required"), ("values[2]", "duplicate")]));
    let size = id(&app.post(ATTRIBUTES, Some(&sales), json!({"name": "Size", "values": ["S"]})).await);
    app.post(ATTRIBUTES, Some(&sales), json!({"name": "SIZE"})).await.expect(409);
    let r = app.post(ATTRIBUTES, Some(&root), json!({"name": "Size", "distributor_id": w.globex})).await;
    r.expect(201);
    assert_eq!(r.body["values"], Value::Null, "values are out of the default fields");
    assert_eq!(app.count("attributes").await, 2);

    // Rename with If-Match.
    let r = patch(
        &app,
        &one(ATTRIBUTES, size),
        &sales,
        &[("If-Match", &format!("\"attribute-{size}-1\""))],
        json!({"name": "Sizes"}),
    )
    .await;
    r.expect(200);
    crate::helpers::assert_etag(&r, &format!("\"attribute-{size}-2\""));
    patch(
        &app,
        &one(ATTRIBUTES, size),
        &sales,
        &[("If-Match", &format!("\"attribute-{size}-1\""))],
        json!({"name": "X"}),
    )
    .await
    .expect(412);
    patch(&app, &one(ATTRIBUTES, size), &sales, &[], json!({"name": ""})).await.expect(422);
    assert_eq!(row(&pool, "attributes", size).await["name"], "Sizes");

    // Staff only; another distributor's attribute and its values are 404.
    let s = value_id(&pool, size, "S").await;
    for token in [&buyer, &shopper] {
        app.get(ATTRIBUTES, token).await.expect(403);
        app.get(&one(ATTRIBUTES, size), token).await.expect(403);
        app.get(&values_of(size), token).await.expect(403);
        app.post(ATTRIBUTES, Some(token), json!({"name": "X"})).await.expect(403);
        app.post(&values_of(size), Some(token), json!({"name": "M"})).await.expect(403);
        put(&app, &order_of(size), token, &[], json!({"ids": [s]})).await.expect(403);
        delete(&app, &one(ATTRIBUTES, size), token, &[]).await.expect(403);
    }
    app.get(&one(ATTRIBUTES, size), &globex).await.expect(404);
    app.get(&values_of(size), &globex).await.expect(404);
    app.get(&format!("{}/{s}", values_of(size)), &globex).await.expect(404);
    app.post(&values_of(size), Some(&globex), json!({"name": "M"})).await.expect(404);
    patch(&app, &format!("{}/{s}", values_of(size)), &globex, &[], json!({"name": "Small"})).await.expect(404);
    delete(&app, &format!("{}/{s}", values_of(size)), &globex, &[]).await.expect(404);
    put(&app, &order_of(size), &globex, &[], json!({"ids": [s]})).await.expect(404);
    patch(&app, &one(ATTRIBUTES, size), &globex, &[], json!({"name": "Mine"})).await.expect(404);
    delete(&app, &one(ATTRIBUTES, size), &globex, &[]).await.expect(404);
    assert_eq!(positions(&pool, size).await, [("S".to_owned(), 0)]);
    assert_eq!(row(&pool, "attributes", size).await["version"], 2);

    // Used by a product type: 409; unused: deleted with its values.
    let t = id(&app.post(TYPES, Some(&sales), json!({"name": "Tees", "attribute_ids": [size]})).await);
    let r = delete(&app, &one(ATTRIBUTES, size), &sales, &[]).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("1 product type(s)"));
    delete(&app, &one(TYPES, t), &sales, &[]).await.expect(204);
    delete(&app, &one(ATTRIBUTES, size), &sales, &[]).await.expect(204);
    assert_eq!(row(&pool, "attribute_values", s).await, Value::Null);
}

// ---- product types ----------------------------------------------------------------

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn product_types_keep_their_attributes_in_order(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let (globex, _) = app.login("globex_sales").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let size = id(&app.post(ATTRIBUTES, Some(&sales), json!({"name": "Size", "values": ["S", "M", "L"]})).await);
    let color = id(&app.post(ATTRIBUTES, Some(&sales), json!({"name": "Color", "values": ["Red", "Blue"]})).await);
    let supplier = app.vendor(w.acme, "Zeta Supply", &["supplier"]).await;
    let printer = app.vendor(w.acme, "Alpha Print", &["decorator"]).await;
    let globex_attr = id(&app.post(ATTRIBUTES, Some(&globex), json!({"name": "Material", "values": ["Cotton"]})).await);
    let globex_vendor = app.vendor(w.globex, "Globex Supply", &["supplier"]).await;

    // Color first, then size: the order given, not the ids' order.
    let key = [("Idempotency-Key", "create-tees-1")];
    let body = json!({"name": "Tees", "attribute_ids": [color, size], "vendor_ids": [supplier, printer]});
    let mask = enc("{id,name,attributes{name,values{name}},vendors{name}}");
    let r = app.request(Method::POST, &format!("{TYPES}?fields={mask}"), Some(&sales), &key, Some(body.clone())).await;
    r.expect(201);
    let tees = id(&r);
    let expected = json!({
        "id": tees,
        "name": "Tees",
        "attributes": [
            {"name": "Color", "values": [{"name": "Red"}, {"name": "Blue"}]},
            {"name": "Size", "values": [{"name": "S"}, {"name": "M"}, {"name": "L"}]}
        ],
        "vendors": [{"name": "Alpha Print"}, {"name": "Zeta Supply"}]
    });
    assert_eq!(r.body, expected);
    // The same key and body replay the first answer; nothing new is made.
    let again =
        app.request(Method::POST, &format!("{TYPES}?fields={mask}"), Some(&sales), &key, Some(body.clone())).await;
    again.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, expected);
    assert_eq!(app.count("product_types").await, 1);
    let r = app.get(&format!("{}?fields={mask}", one(TYPES, tees)), &sales).await;
    r.expect(200);
    assert_eq!(r.body, expected);

    // Ids of another distributor read like absent ones: 422 at their index.
    let before = app.count("product_types").await;
    let r = app
        .post(
            TYPES,
            Some(&sales),
            json!({"name": "Hats", "attribute_ids": [size, globex_attr, 999_999], "vendor_ids": [globex_vendor]}),
        )
        .await;
    r.expect(422);
    assert_eq!(
        error_fields(&r),
        pairs(&[("attribute_ids[1]", "not_found"), ("attribute_ids[2]", "not_found"), ("vendor_ids[0]", "not_found")])
    );
    assert_eq!(r.body["errors"][0]["message"], format!("no such attribute: {globex_attr}"));
    let r = app.post(TYPES, Some(&sales), json!({"name": "Hats", "attribute_ids": [size, size]})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("attribute_ids[1]", "duplicate")]));
    app.post(TYPES, Some(&sales), json!({"name": "TEES"})).await.expect(409);
    app.post(TYPES, Some(&buyer), json!({"name": "Hats"})).await.expect(403);
    assert_eq!(app.count("product_types").await, before);

    // Reorder the attributes (no variants yet) with If-Match.
    let etag = format!("\"producttype-{tees}-1\"");
    let r = patch(
        &app,
        &format!("{}?fields={mask}", one(TYPES, tees)),
        &sales,
        &[("If-Match", &etag)],
        json!({"attribute_ids": [size, color], "vendor_ids": [supplier]}),
    )
    .await;
    r.expect(200);
    assert_eq!(names(&r.body["attributes"]), ["Size", "Color"]);
    assert_eq!(names(&r.body["vendors"]), ["Zeta Supply"]);
    crate::helpers::assert_etag(&r, &format!("\"producttype-{tees}-2\""));
    let r = patch(&app, &one(TYPES, tees), &sales, &[("If-Match", &etag)], json!({"name": "Shirts"})).await;
    r.expect(412);
    let r = patch(&app, &one(TYPES, tees), &sales, &[], json!({"attribute_ids": [size, globex_attr]})).await;
    r.expect(422);
    assert_eq!(error_fields(&r), pairs(&[("attribute_ids[1]", "not_found")]));
    // Another distributor's type is 404; admin buyers 403.
    app.get(&one(TYPES, tees), &globex).await.expect(404);
    patch(&app, &one(TYPES, tees), &globex, &[], json!({"name": "Mine"})).await.expect(404);
    delete(&app, &one(TYPES, tees), &globex, &[]).await.expect(404);
    app.get(&one(TYPES, tees), &buyer).await.expect(403);
    app.get(TYPES, &buyer).await.expect(403);
    let r = app.get(&format!("{}?fields={mask}", one(TYPES, tees)), &sales).await;
    assert_eq!(names(&r.body["attributes"]), ["Size", "Color"]);
    crate::helpers::assert_etag(&r, &format!("\"producttype-{tees}-2\""));

    // Once a product has variants the attributes are fixed; the name and
    // vendors are not, and a rename reaches the draft copies.
    let m = value_id(&pool, size, "M").await;
    let red = value_id(&pool, color, "Red").await;
    let (product, variant) = variant(&pool, w.acme, tees, supplier, &[m, red]).await;
    let (_, item) = draft_item(&pool, w.acme, variant, printer).await;
    assert_eq!(row(&pool, "product_variants", variant).await["sku"], format!("TEE{tees}-M-Red"));
    let r = patch(&app, &one(TYPES, tees), &sales, &[], json!({"attribute_ids": [color, size]})).await;
    r.expect(409);
    patch(&app, &one(TYPES, tees), &sales, &[], json!({"attribute_ids": [size]})).await.expect(409);
    let links: Vec<i64> = sqlx::query_scalar(
        "SELECT attribute_id FROM product_type_attributes WHERE product_type_id = $1 ORDER BY position",
    )
    .bind(tees)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(links, [size, color], "refused changes leave the attributes as they were");
    assert_eq!(row(&pool, "product_types", tees).await["version"], 2);
    let r = patch(
        &app,
        &one(TYPES, tees),
        &sales,
        &[],
        json!({"attribute_ids": [size, color], "name": "Shirts", "vendor_ids": [supplier, printer]}),
    )
    .await;
    r.expect(200);
    assert_eq!(r.body["name"], "Shirts");
    assert_eq!(row(&pool, "campaign_items", item).await["product_type_name"], "Shirts");

    // In use by a product, even a deleted one: 409. Unused: deleted.
    sqlx::query("UPDATE products SET is_deleted = TRUE WHERE id = $1").bind(product).execute(&pool).await.unwrap();
    let r = delete(&app, &one(TYPES, tees), &sales, &[]).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("deleted ones included"));
    let hats = id(&app.post(TYPES, Some(&sales), json!({"name": "Hats", "vendor_ids": [supplier]})).await);
    delete(&app, &one(TYPES, hats), &sales, &[("If-Match", &format!("\"producttype-{hats}-9\""))]).await.expect(412);
    delete(&app, &one(TYPES, hats), &sales, &[("If-Match", &format!("\"producttype-{hats}-1\""))]).await.expect(204);
    app.get(&one(TYPES, hats), &sales).await.expect(404);
}
