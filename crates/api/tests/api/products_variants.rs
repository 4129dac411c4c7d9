//! Products and variants: product CRUD with soft delete and item numbers,
//! variant creation with derived skus and value validation, bulk cartesian
//! creation, sku refreshes, in-use deletes, who may do what, and the
//! statements a nested products page costs.

use crate::helpers::{Resp, TestApp, World, enc};
use crate::statements::statements_for;
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const PRODUCTS: &str = "/api/v1/catalog/products";
const VARIANTS: &str = "/api/v1/catalog/variants";

fn product_url(id: i64) -> String {
    format!("{PRODUCTS}/{id}")
}

fn variants_of(product: i64) -> String {
    format!("{PRODUCTS}/{product}/variants")
}

fn bulk_of(product: i64) -> String {
    format!("{PRODUCTS}/{product}/variants/bulk")
}

/// A distributor's catalog set up with SQL: the attributes, values and
/// product types are another engineer's endpoints.
struct Catalog {
    /// Size (created first, so its values have the smaller ids): XS, S, M, L, XL.
    size: i64,
    sizes: Vec<i64>,
    /// Color: Red, Blue, Green.
    color: i64,
    colors: Vec<i64>,
    /// Material (in no type): Cotton.
    cotton: i64,
    /// Wearables: Color (position 0), Size (position 1).
    wear: i64,
    /// Mugs: no attributes.
    mugs: i64,
    supplier: i64,
}

async fn attribute(pool: &PgPool, d: i64, name: &str, values: &[impl AsRef<str>]) -> (i64, Vec<i64>) {
    let id: i64 = sqlx::query_scalar("INSERT INTO attributes (distributor_id, name) VALUES ($1, $2) RETURNING id")
        .bind(d)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (i, v) in values.iter().enumerate() {
        ids.push(
            sqlx::query_scalar(
                "INSERT INTO attribute_values (attribute_id, distributor_id, name, position) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(id)
            .bind(d)
            .bind(v.as_ref())
            .bind(i as i32)
            .fetch_one(pool)
            .await
            .unwrap(),
        );
    }
    (id, ids)
}

async fn product_type(pool: &PgPool, d: i64, name: &str, attributes: &[i64]) -> i64 {
    let id: i64 = sqlx::query_scalar("INSERT INTO product_types (distributor_id, name) VALUES ($1, $2) RETURNING id")
        .bind(d)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap();
    for (i, a) in attributes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO product_type_attributes (product_type_id, attribute_id, distributor_id, position) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(a)
        .bind(d)
        .bind(i as i32)
        .execute(pool)
        .await
        .unwrap();
    }
    id
}

/// An uploaded file's row (the bytes are the files API's business).
async fn file(pool: &PgPool, d: i64, name: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO resources (distributor_id, sha256, content_type, size, original_name) \
         VALUES ($1, encode(sha256(convert_to($2 || $1::text, 'UTF8')), 'hex'), 'image/png', 10, $2) RETURNING id",
    )
    .bind(d)
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn catalog(app: &TestApp, d: i64) -> Catalog {
    let pool = &app.pool;
    let (size, sizes) = attribute(pool, d, "Size", &["XS", "S", "M", "L", "XL"]).await;
    let (color, colors) = attribute(pool, d, "Color", &["Red", "Blue", "Green"]).await;
    let (_, cotton) = attribute(pool, d, "Material", &["Cotton"]).await;
    let wear = product_type(pool, d, "Wearables", &[color, size]).await;
    let mugs = product_type(pool, d, "Mugs", &[]).await;
    let supplier = app.vendor(d, &format!("Supply Co {d}"), &["supplier"]).await;
    Catalog { size, sizes, color, colors, cotton: cotton[0], wear, mugs, supplier }
}

async fn create_product(app: &TestApp, token: &str, body: Value) -> i64 {
    let r = app.post(PRODUCTS, Some(token), body).await;
    r.expect(201);
    r.body["id"].as_i64().unwrap()
}

async fn product_row(pool: &PgPool, id: i64) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(p) FROM products p WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or(Value::Null)
}

async fn skus(pool: &PgPool, product: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT sku FROM product_variants WHERE product_id = $1 ORDER BY id")
        .bind(product)
        .fetch_all(pool)
        .await
        .unwrap()
}

fn error_codes(r: &Resp) -> Vec<(String, String)> {
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

fn names(r: &Resp, key: &str) -> Vec<String> {
    r.body.as_array().unwrap().iter().map(|p| p[key].as_str().unwrap().to_owned()).collect()
}

async fn patch(app: &TestApp, url: &str, token: &str, headers: &[(&str, &str)], body: Value) -> Resp {
    app.request(Method::PATCH, url, Some(token), headers, Some(body)).await
}

async fn delete(app: &TestApp, url: &str, token: &str, headers: &[(&str, &str)]) -> Resp {
    app.request(Method::DELETE, url, Some(token), headers, None).await
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn product_crud_with_item_numbers_and_soft_delete(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let front = file(&pool, w.acme, "front.png").await;
    let back = file(&pool, w.acme, "back.png").await;

    let r = app
        .post(
            PRODUCTS,
            Some(&sales),
            json!({"name": "  Classic tee ", "item_number": "TS-100", "product_type_id": c.wear,
                   "description": "Heavy cotton", "image_ids": [back, front]}),
        )
        .await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(product_url(id).as_str()));
    crate::helpers::assert_etag(&r, &format!("\"product-{id}-1\""));
    assert_eq!(
        (&r.body["name"], &r.body["item_number"], &r.body["distributor_id"], &r.body["is_deleted"]),
        (&json!("Classic tee"), &json!("TS-100"), &json!(w.acme), &json!(false))
    );
    // Images keep the order they were given in.
    let r = app.get(&format!("{}?fields={}", product_url(id), enc("{images{id}}")), &sales).await;
    assert_eq!(r.body, json!({"images": [{"id": back}, {"id": front}]}));

    // Item numbers are unique per distributor, case-insensitively.
    let before = app.count("products").await;
    let r = app
        .post(PRODUCTS, Some(&sales), json!({"name": "Copy", "item_number": "ts-100", "product_type_id": c.wear}))
        .await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("item number"), "{}", r.text);
    assert_eq!(app.count("products").await, before);
    // Globex may use the same item number.
    let globex = catalog(&app, w.globex).await;
    let (globex_sales, _) = app.login("globex_sales").await;
    create_product(
        &app,
        &globex_sales,
        json!({"name": "Their tee", "item_number": "TS-100", "product_type_id": globex.wear}),
    )
    .await;

    // Edit with If-Match; a stale ETag is 412 and changes nothing.
    let read = app.get(&product_url(id), &sales).await;
    read.expect(200);
    let etag = read.header("etag").unwrap().to_owned();
    app.get_with(&product_url(id), &sales, &[("If-None-Match", &etag)]).await.expect(304);
    let r = patch(&app, &product_url(id), &sales, &[("If-Match", &etag)], json!({"name": "Tee", "image_ids": [front]}))
        .await;
    r.expect(200);
    assert_eq!((r.body["name"].as_str(), r.body["item_number"].as_str()), (Some("Tee"), Some("TS-100")));
    crate::helpers::assert_etag(&r, &format!("\"product-{id}-2\""));
    let images: Vec<i64> =
        sqlx::query_scalar("SELECT resource_id FROM product_images WHERE product_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(images, [front]);
    let row = product_row(&pool, id).await;
    patch(&app, &product_url(id), &sales, &[("If-Match", &etag)], json!({"name": "Stale"})).await.expect(412);
    delete(&app, &product_url(id), &sales, &[("If-Match", &etag)]).await.expect(412);
    let r = patch(
        &app,
        &product_url(id),
        &sales,
        &[],
        json!({"name": "", "item_number": " TS", "image_ids": [front, front]}),
    )
    .await;
    r.expect(422);
    assert_eq!(
        error_codes(&r),
        pairs(&[("image_ids", "duplicate"), ("item_number", "blank_edges"), ("name", "required")])
    );
    assert_eq!(product_row(&pool, id).await, row);

    // A second product, then the soft delete.
    let mug =
        create_product(&app, &sales, json!({"name": "Mug", "item_number": "MUG-1", "product_type_id": c.mugs})).await;
    assert_eq!(names(&app.get(PRODUCTS, &sales).await, "name"), ["Mug", "Tee"]);
    let etag = app.get(&product_url(id), &sales).await.header("etag").unwrap().to_owned();
    delete(&app, &product_url(id), &sales, &[("If-Match", &etag)]).await.expect(204);
    // Deleting again changes nothing.
    delete(&app, &product_url(id), &sales, &[]).await.expect(204);
    let r = app.get(&format!("{PRODUCTS}?count=exact"), &sales).await;
    assert_eq!(names(&r, "name"), ["Mug"]);
    assert_eq!(r.header("x-total-count"), Some("1"));
    // A filter that mentions is_deleted decides for itself.
    let deleted = enc(r#"[{"field":"is_deleted","op":"==","value":true}]"#);
    let r = app.get(&format!("{PRODUCTS}?filter={deleted}&fields=id,is_deleted"), &sales).await;
    assert_eq!(r.body, json!([{"id": id, "is_deleted": true}]));
    let any = enc(
        r#"[{"or":[{"field":"is_deleted","op":"==","value":true},{"field":"is_deleted","op":"==","value":false}]}]"#,
    );
    assert_eq!(names(&app.get(&format!("{PRODUCTS}?filter={any}"), &sales).await, "name"), ["Mug", "Tee"]);
    let by_name = enc(r#"[{"field":"name","op":"ilike","value":"%e%"}]"#);
    let r = app.get(&format!("{PRODUCTS}?filter={by_name}"), &sales).await;
    assert_eq!(r.body, json!([]), "a filter without is_deleted still hides deleted products");
    // Read by id still works and says so; a deleted product cannot change.
    let r = app.get(&product_url(id), &sales).await;
    r.expect(200);
    assert_eq!(r.body["is_deleted"], true);
    patch(&app, &product_url(id), &sales, &[], json!({"name": "Back"})).await.expect(409);
    // Its item number is free again.
    let again =
        create_product(&app, &sales, json!({"name": "Tee 2", "item_number": "TS-100", "product_type_id": c.wear}))
            .await;
    assert_ne!(again, id);
    // Changing the type of a product without variants is fine.
    patch(&app, &product_url(mug), &sales, &[], json!({"product_type_id": c.wear})).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn product_references_and_access(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let globex = catalog(&app, w.globex).await;
    let foreign_file = file(&pool, w.globex, "theirs.png").await;
    let (sales, _) = app.login("acme_sales").await;
    let (manager, _) = app.login("acme_manager").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (globex_manager, _) = app.login("globex_manager").await;
    let (root, _) = app.login("root").await;

    // Another distributor's product type or file is as unknown as a missing one.
    let r = app
        .post(
            PRODUCTS,
            Some(&sales),
            json!({"name": "Tee", "item_number": "TS-1", "product_type_id": globex.wear, "image_ids": [foreign_file, 999_999]}),
        )
        .await;
    r.expect(422);
    assert_eq!(error_codes(&r), pairs(&[("image_ids", "not_found"), ("product_type_id", "not_found")]));
    assert!(r.body["errors"][0]["message"].as_str().unwrap().contains(&format!("{foreign_file}, 999999")));
    let r = app
        .post(PRODUCTS, Some(&sales), json!({"name": "Tee", "item_number": "TS-1", "product_type_id": 999_999}))
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["message"], "no such product type");
    // Strings only where strings are documented.
    app.post(PRODUCTS, Some(&sales), json!({"name": "Tee", "item_number": 100, "product_type_id": c.wear}))
        .await
        .expect(400);
    // Staff name no other distributor; super admins must name one.
    let r = app
        .post(
            PRODUCTS,
            Some(&sales),
            json!({"distributor_id": w.globex, "name": "T", "item_number": "T", "product_type_id": c.wear}),
        )
        .await;
    r.expect(422);
    assert_eq!(error_codes(&r), pairs(&[("distributor_id", "not_allowed")]));
    let r = app.post(PRODUCTS, Some(&root), json!({"name": "T", "item_number": "T", "product_type_id": c.wear})).await;
    r.expect(422);
    assert_eq!(error_codes(&r), pairs(&[("distributor_id", "required")]));
    let r = app
        .post(
            PRODUCTS,
            Some(&root),
            json!({"distributor_id": w.globex, "name": "T", "item_number": "T", "product_type_id": c.wear}),
        )
        .await;
    r.expect(422);
    assert_eq!(error_codes(&r), pairs(&[("product_type_id", "not_found")]));
    assert_eq!(app.count("products").await, 0);
    let r = app
        .post(
            PRODUCTS,
            Some(&root),
            json!({"distributor_id": w.acme, "name": "T", "item_number": "T", "product_type_id": c.wear}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["distributor_id"], w.acme);

    let id =
        create_product(&app, &manager, json!({"name": "Tee", "item_number": "TS-1", "product_type_id": c.wear})).await;
    let row = product_row(&pool, id).await;
    // Admin buyers and shoppers: 403 everywhere; Globex staff: 404 on Acme's product.
    for token in [&buyer, &shopper] {
        app.get(PRODUCTS, token).await.expect(403);
        app.get(&product_url(id), token).await.expect(403);
        app.post(PRODUCTS, Some(token), json!({"name": "X", "item_number": "X", "product_type_id": c.wear}))
            .await
            .expect(403);
        patch(&app, &product_url(id), token, &[], json!({"name": "X"})).await.expect(403);
        delete(&app, &product_url(id), token, &[]).await.expect(403);
        app.get(&variants_of(id), token).await.expect(403);
    }
    app.get(&product_url(id), &globex_manager).await.expect(404);
    patch(&app, &product_url(id), &globex_manager, &[], json!({"name": "X"})).await.expect(404);
    delete(&app, &product_url(id), &globex_manager, &[]).await.expect(404);
    app.get(&variants_of(id), &globex_manager).await.expect(404);
    app.get(&product_url(999_999), &sales).await.expect(404);
    assert_eq!(names(&app.get(PRODUCTS, &globex_manager).await, "name"), Vec::<String>::new());
    // Patching to another distributor's type is a 422.
    let r = patch(&app, &product_url(id), &sales, &[], json!({"product_type_id": globex.wear})).await;
    r.expect(422);
    assert_eq!(error_codes(&r), pairs(&[("product_type_id", "not_found")]));
    assert_eq!(product_row(&pool, id).await, row);
    // Root sees both distributors' products.
    assert_eq!(names(&app.get(PRODUCTS, &root).await, "item_number"), ["T", "TS-1"]);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn variants_get_skus_in_the_types_attribute_order(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let globex = catalog(&app, w.globex).await;
    let (sales, _) = app.login("acme_sales").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (globex_sales, _) = app.login("globex_sales").await;
    let product =
        create_product(&app, &sales, json!({"name": "Tee", "item_number": "TS-100", "product_type_id": c.wear})).await;
    let (red, blue) = (c.colors[0], c.colors[1]);
    let (m, xl) = (c.sizes[2], c.sizes[4]);
    assert!(xl < red, "Size's values were created first: id order differs from the type's order");

    let r = app
        .post(
            &variants_of(product),
            Some(&sales),
            json!({"supplier_id": c.supplier, "value_ids": [xl, red], "vendor_cost": "4.10"}),
        )
        .await;
    r.expect(201);
    let variant = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["sku"], "TS-100-Red-XL");
    assert_eq!(r.body["vendor_cost"], "4.10");
    assert_eq!(r.header("location"), Some(format!("{VARIANTS}/{variant}").as_str()));
    // Filling in the derived sku is part of the creation: the variant is at version 1.
    assert_eq!(r.body["version"], 1);
    crate::helpers::assert_etag(&r, &format!("\"productvariant-{variant}-1\""));
    let stored: (Vec<i64>, Vec<(i64, i32)>) = (
        sqlx::query_scalar("SELECT value_ids FROM product_variants WHERE id = $1")
            .bind(variant)
            .fetch_one(&pool)
            .await
            .unwrap(),
        sqlx::query_as(
            "SELECT attribute_value_id, position FROM product_variant_values WHERE variant_id = $1 ORDER BY position",
        )
        .bind(variant)
        .fetch_all(&pool)
        .await
        .unwrap(),
    );
    assert_eq!(stored, (vec![xl, red], vec![(red, 0), (xl, 1)]));
    let r = app
        .get(&format!("{VARIANTS}/{variant}?fields={}", enc("{sku,attribute_values{name},supplier{id}}")), &sales)
        .await;
    assert_eq!(
        r.body,
        json!({"sku": "TS-100-Red-XL", "attribute_values": [{"name": "Red"}, {"name": "XL"}], "supplier": {"id": c.supplier}})
    );

    // The same combination again, in another order: 409.
    let r =
        app.post(&variants_of(product), Some(&sales), json!({"supplier_id": c.supplier, "value_ids": [red, xl]})).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("combination exists"));

    // Every bad choice of values, named.
    let before = app.count("product_variants").await;
    let cases: [(Value, &[(&str, &str)]); 6] = [
        (json!([red]), &[("value_ids", "missing")]),
        (json!([red, blue, m]), &[("value_ids", "duplicate_attribute")]),
        (json!([red, m, c.cotton]), &[("value_ids", "not_in_type")]),
        (json!([red, m, globex.colors[0]]), &[("value_ids", "not_found")]),
        (json!([red, m, m]), &[("value_ids", "duplicate")]),
        (json!([]), &[("value_ids", "missing")]),
    ];
    for (values, expected) in cases {
        let r = app
            .post(&variants_of(product), Some(&sales), json!({"supplier_id": c.supplier, "value_ids": values}))
            .await;
        r.expect(422);
        assert_eq!(error_codes(&r), pairs(expected), "{values}");
    }
    let r = app.post(&variants_of(product), Some(&sales), json!({"supplier_id": c.supplier, "value_ids": [red]})).await;
    assert_eq!(r.body["errors"][0]["message"], "no value of Size");

    // The supplier: an active supplier vendor of the distributor.
    let decorator = app.vendor(w.acme, "Print Co", &["decorator"]).await;
    let inactive = app.vendor(w.acme, "Old Supply", &["supplier"]).await;
    sqlx::query("UPDATE vendors SET is_active = FALSE WHERE id = $1").bind(inactive).execute(&pool).await.unwrap();
    for (supplier, code) in
        [(decorator, "not_supplier"), (inactive, "inactive"), (globex.supplier, "not_found"), (999_999, "not_found")]
    {
        let r = app
            .post(&variants_of(product), Some(&sales), json!({"supplier_id": supplier, "value_ids": [blue, m]}))
            .await;
        r.expect(422);
        assert_eq!(error_codes(&r), pairs(&[("supplier_id", code)]));
    }
    let r = app
        .post(
            &variants_of(product),
            Some(&sales),
            json!({"supplier_id": decorator, "value_ids": [blue], "vendor_cost": "-1"}),
        )
        .await;
    r.expect(422);
    assert_eq!(
        error_codes(&r),
        pairs(&[("supplier_id", "not_supplier"), ("value_ids", "missing"), ("vendor_cost", "negative")])
    );
    assert_eq!(app.count("product_variants").await, before);

    // Access: staff of the distributor only.
    let body = json!({"supplier_id": c.supplier, "value_ids": [blue, m]});
    app.post(&variants_of(product), Some(&shopper), body.clone()).await.expect(403);
    app.post(&variants_of(product), Some(&globex_sales), body.clone()).await.expect(404);
    app.get(&format!("{VARIANTS}/{variant}"), &shopper).await.expect(403);
    app.get(&format!("{VARIANTS}/{variant}"), &globex_sales).await.expect(404);
    patch(&app, &format!("{VARIANTS}/{variant}"), &globex_sales, &[], json!({"vendor_cost": "1.00"})).await.expect(404);
    delete(&app, &format!("{VARIANTS}/{variant}"), &shopper, &[]).await.expect(403);

    // A second variant, and the list within the product.
    let r = app.post(&variants_of(product), Some(&sales), body.clone()).await;
    r.expect(201);
    let second = r.body["id"].as_i64().unwrap();
    let second_etag = r.header("etag").unwrap().to_owned();
    assert_eq!(r.body["vendor_cost"], "0.00");
    let other =
        create_product(&app, &sales, json!({"name": "Other", "item_number": "OT", "product_type_id": c.wear})).await;
    app.post(&variants_of(other), Some(&sales), json!({"supplier_id": c.supplier, "value_ids": [red, m]}))
        .await
        .expect(201);
    let r = app.get(&format!("{}?count=exact&fields=sku", variants_of(product)), &sales).await;
    assert_eq!(r.body, json!([{"sku": "TS-100-Blue-M"}, {"sku": "TS-100-Red-XL"}]));
    assert_eq!(r.header("x-total-count"), Some("2"));
    let filter = enc(r#"[{"field":"sku","op":"like","value":"%Red%"}]"#);
    let r = app.get(&format!("{}?filter={filter}&fields=sku", variants_of(product)), &sales).await;
    assert_eq!(r.body, json!([{"sku": "TS-100-Red-XL"}]));

    // Edits: values (the sku follows), cost; If-Match; another variant's combination is 409.
    let url = format!("{VARIANTS}/{second}");
    let r = patch(
        &app,
        &url,
        &sales,
        &[("If-Match", &second_etag)],
        json!({"value_ids": [m, c.colors[2]], "vendor_cost": "2.50"}),
    )
    .await;
    r.expect(200);
    assert_eq!((r.body["sku"].as_str(), r.body["vendor_cost"].as_str()), (Some("TS-100-Green-M"), Some("2.50")));
    patch(&app, &url, &sales, &[("If-Match", &second_etag)], json!({"vendor_cost": "3.00"})).await.expect(412);
    patch(&app, &url, &sales, &[], json!({"value_ids": [red, xl]})).await.expect(409);
    let r = patch(&app, &url, &sales, &[], json!({"value_ids": [red], "supplier_id": inactive})).await;
    r.expect(422);
    assert_eq!(error_codes(&r), pairs(&[("supplier_id", "inactive"), ("value_ids", "missing")]));
    assert_eq!(skus(&pool, product).await, ["TS-100-Red-XL", "TS-100-Green-M"]);

    // A deleted product takes no new variants.
    delete(&app, &product_url(product), &sales, &[]).await.expect(204);
    app.post(&variants_of(product), Some(&sales), json!({"supplier_id": c.supplier, "value_ids": [blue, xl]}))
        .await
        .expect(409);
    let bulk = json!({"values": [{"attribute_id": c.color, "value_ids": [blue]}, {"attribute_id": c.size, "value_ids": [xl]}], "supplier_id": c.supplier});
    app.post(&bulk_of(product), Some(&sales), bulk).await.expect(409);
    assert_eq!(skus(&pool, product).await, ["TS-100-Red-XL", "TS-100-Green-M"]);
    // A product of a type without attributes has one variant: its item number.
    let mug =
        create_product(&app, &sales, json!({"name": "Mug", "item_number": "MUG", "product_type_id": c.mugs})).await;
    let r = app.post(&variants_of(mug), Some(&sales), json!({"supplier_id": c.supplier, "value_ids": []})).await;
    r.expect(201);
    assert_eq!(r.body["sku"], "MUG");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn bulk_creates_every_combination_once(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let product =
        create_product(&app, &sales, json!({"name": "Tee", "item_number": "TS-100", "product_type_id": c.wear})).await;
    let (red, blue, green) = (c.colors[0], c.colors[1], c.colors[2]);
    let (s, m, l) = (c.sizes[1], c.sizes[2], c.sizes[3]);
    // Values in any order: combinations follow the type's attribute order
    // (Color, then Size) and each attribute's value order.
    let body = |colors: Value| {
        json!({"values": [{"attribute_id": c.size, "value_ids": [l, s, m]}, {"attribute_id": c.color, "value_ids": colors}],
               "supplier_id": c.supplier, "vendor_cost": "4.10", "description": "Bulk"})
    };
    let r = app
        .request(
            Method::POST,
            &bulk_of(product),
            Some(&sales),
            &[("X-Fields", "{sku,vendor_cost,description}"), ("Idempotency-Key", "bulk-tees-1")],
            Some(body(json!([blue, red]))),
        )
        .await;
    r.expect(201);
    assert_eq!((r.body["created"].as_i64(), r.body["skipped"].as_i64()), (Some(6), Some(0)));
    // A retry with the same Idempotency-Key replays the first answer.
    let replay = app
        .request(
            Method::POST,
            &bulk_of(product),
            Some(&sales),
            &[("X-Fields", "{sku,vendor_cost,description}"), ("Idempotency-Key", "bulk-tees-1")],
            Some(body(json!([blue, red]))),
        )
        .await;
    replay.expect(201);
    assert_eq!((replay.header("idempotent-replayed"), &replay.body), (Some("true"), &r.body));
    let expected = ["Red-S", "Red-M", "Red-L", "Blue-S", "Blue-M", "Blue-L"].map(|s| format!("TS-100-{s}"));
    let listed: Vec<&str> = r.body["variants"].as_array().unwrap().iter().map(|v| v["sku"].as_str().unwrap()).collect();
    assert_eq!(listed, expected);
    assert_eq!(r.body["variants"][0], json!({"sku": "TS-100-Red-S", "vendor_cost": "4.10", "description": "Bulk"}));
    assert_eq!(skus(&pool, product).await, expected);
    let value_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM product_variant_values pvv JOIN product_variants v ON v.id = pvv.variant_id \
         WHERE v.product_id = $1",
    )
    .bind(product)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(value_rows, 12);

    // The same request again: nothing new.
    let r = app.post(&bulk_of(product), Some(&sales), body(json!([blue, red]))).await;
    r.expect(200);
    assert_eq!(r.body, json!({"created": 0, "skipped": 6, "variants": []}));
    // One more color: only its combinations are new.
    let r = app.post(&bulk_of(product), Some(&sales), body(json!([red, blue, green]))).await;
    r.expect(201);
    assert_eq!((r.body["created"].as_i64(), r.body["skipped"].as_i64()), (Some(3), Some(6)));
    assert_eq!(r.body["variants"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["variants"][0]["sku"], "TS-100-Green-S");
    assert_eq!(app.count("product_variants").await, 9);

    // Bad requests change nothing.
    let cases: [(Value, &[(&str, &str)]); 5] = [
        (json!([{"attribute_id": c.color, "value_ids": [red]}]), &[("values", "missing")]),
        (
            json!([{"attribute_id": c.color, "value_ids": []}, {"attribute_id": c.size, "value_ids": [s, red]}]),
            &[("values[0].value_ids", "required"), ("values[1].value_ids", "not_found")],
        ),
        (
            json!([{"attribute_id": c.color, "value_ids": [red]}, {"attribute_id": c.size, "value_ids": [s]}, {"attribute_id": 999_999, "value_ids": [c.cotton]}]),
            &[("values[2].attribute_id", "not_in_type")],
        ),
        (
            json!([{"attribute_id": c.color, "value_ids": [red]}, {"attribute_id": c.size, "value_ids": [s]}, {"attribute_id": c.color, "value_ids": [blue]}]),
            &[("values[2].attribute_id", "duplicate")],
        ),
        (json!([]), &[("values", "missing")]),
    ];
    for (values, expected) in cases {
        let r = app.post(&bulk_of(product), Some(&sales), json!({"values": values, "supplier_id": c.supplier})).await;
        r.expect(422);
        assert_eq!(error_codes(&r), pairs(expected), "{values}");
    }

    // More than 1000 combinations: 422. 32 × 32 = 1024.
    let (a, a_values) = attribute(&pool, w.acme, "A", &(0..32).map(|i| format!("a{i}")).collect::<Vec<_>>()).await;
    let (b, b_values) = attribute(&pool, w.acme, "B", &(0..32).map(|i| format!("b{i}")).collect::<Vec<_>>()).await;
    let big = product_type(&pool, w.acme, "Big", &[a, b]).await;
    let wide = create_product(&app, &sales, json!({"name": "Wide", "item_number": "W", "product_type_id": big})).await;
    let r = app
        .post(
            &bulk_of(wide),
            Some(&sales),
            json!({"values": [{"attribute_id": a, "value_ids": a_values}, {"attribute_id": b, "value_ids": b_values}], "supplier_id": c.supplier}),
        )
        .await;
    r.expect(422);
    assert_eq!(error_codes(&r), pairs(&[("values", "too_many")]));
    assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("1024"));
    assert_eq!(app.count("product_variants").await, 9);
    // Large requests are one transaction, and answer with every variant made.
    let r = app
        .post(
            &bulk_of(wide),
            Some(&sales),
            json!({"values": [{"attribute_id": a, "value_ids": a_values[..25]}, {"attribute_id": b, "value_ids": b_values[..20]}],
                   "supplier_id": c.supplier}),
        )
        .await;
    r.expect(201);
    assert_eq!((r.body["created"].as_i64(), r.body["variants"].as_array().unwrap().len()), (Some(500), 500));
    assert_eq!(r.body["variants"][499]["sku"], "W-a24-b19");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn renaming_the_item_number_renames_every_sku(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let product =
        create_product(&app, &sales, json!({"name": "Tee", "item_number": "TS-100", "product_type_id": c.wear})).await;
    let r = app
        .post(
            &bulk_of(product),
            Some(&sales),
            json!({"values": [{"attribute_id": c.color, "value_ids": [c.colors[0], c.colors[1]]},
                              {"attribute_id": c.size, "value_ids": [c.sizes[0], c.sizes[4]]}],
                   "supplier_id": c.supplier}),
        )
        .await;
    r.expect(201);
    let first: i64 = sqlx::query_scalar("SELECT min(id) FROM product_variants WHERE product_id = $1")
        .bind(product)
        .fetch_one(&pool)
        .await
        .unwrap();
    // A draft campaign item made from the first variant copies product data.
    let draft: i64 =
        sqlx::query_scalar("INSERT INTO campaigns (distributor_id, name) VALUES ($1, 'Draft') RETURNING id")
            .bind(w.acme)
            .fetch_one(&pool)
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, product_id, supplier_id) \
         VALUES ($1, $2, $3, 4, 30, $4, $5)",
    )
    .bind(draft)
    .bind(w.acme)
    .bind(first)
    .bind(product)
    .bind(c.supplier)
    .execute(&pool)
    .await
    .unwrap();

    let r =
        patch(&app, &product_url(product), &sales, &[], json!({"item_number": "TS-200", "name": "Better tee"})).await;
    r.expect(200);
    assert_eq!(skus(&pool, product).await, ["TS-200-Red-XS", "TS-200-Red-XL", "TS-200-Blue-XS", "TS-200-Blue-XL"]);
    let item: (String, String, String) =
        sqlx::query_as("SELECT sku, item_number, product_name FROM campaign_items WHERE campaign_id = $1")
            .bind(draft)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(item, ("TS-200-Red-XS".into(), "TS-200".into(), "Better tee".into()));
    // The list reads the new skus too.
    let r = app.get(&format!("{}?fields=sku&sort=-sku&page_size=1", variants_of(product)), &sales).await;
    assert_eq!(r.body, json!([{"sku": "TS-200-Red-XS"}]));

    // A product with variants keeps its type.
    let r = patch(&app, &product_url(product), &sales, &[], json!({"product_type_id": c.mugs})).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("variants"));
    assert_eq!(product_row(&pool, product).await["product_type_id"], c.wear);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn variants_in_campaign_items_cannot_be_deleted(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let product =
        create_product(&app, &sales, json!({"name": "Tee", "item_number": "TS", "product_type_id": c.wear})).await;
    let (mut ids, mut etags) = (Vec::new(), Vec::new());
    for size in [c.sizes[0], c.sizes[1]] {
        let r = app
            .post(
                &variants_of(product),
                Some(&sales),
                json!({"supplier_id": c.supplier, "value_ids": [c.colors[0], size]}),
            )
            .await;
        r.expect(201);
        ids.push(r.body["id"].as_i64().unwrap());
        etags.push(r.header("etag").unwrap().to_owned());
    }
    sqlx::query(
        "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, product_id, supplier_id) \
         VALUES ($1, $2, $3, 4, 30, $4, $5)",
    )
    .bind(w.acme_campaign)
    .bind(w.acme)
    .bind(ids[0])
    .bind(product)
    .bind(c.supplier)
    .execute(&pool)
    .await
    .unwrap();

    let r = delete(&app, &format!("{VARIANTS}/{}", ids[0]), &sales, &[]).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("campaign items"));
    app.get(&format!("{VARIANTS}/{}", ids[0]), &sales).await.expect(200);
    delete(&app, &format!("{VARIANTS}/{}", ids[1]), &sales, &[("If-Match", "\"productvariant-0-1\"")])
        .await
        .expect(412);
    delete(&app, &format!("{VARIANTS}/{}", ids[1]), &sales, &[("If-Match", &etags[1])]).await.expect(204);
    app.get(&format!("{VARIANTS}/{}", ids[1]), &sales).await.expect(404);
    delete(&app, &format!("{VARIANTS}/{}", ids[1]), &sales, &[]).await.expect(404);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM product_variant_values WHERE variant_id = $1")
        .bind(ids[1])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((rows, app.count("product_variants").await), (0, 1));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn nested_product_pages_cost_the_same_statements_at_any_size(pool: PgPool) {
    let app = TestApp::counted(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let image = file(&pool, w.acme, "tee.png").await;
    // One product through the API, with two variants, for the shape.
    let tee = create_product(
        &app,
        &sales,
        json!({"name": "A tee", "item_number": "TS", "product_type_id": c.wear, "image_ids": [image]}),
    )
    .await;
    app.post(
        &bulk_of(tee),
        Some(&sales),
        json!({"values": [{"attribute_id": c.color, "value_ids": [c.colors[0]]}, {"attribute_id": c.size, "value_ids": [c.sizes[1], c.sizes[4]]}],
               "supplier_id": c.supplier}),
    )
    .await
    .expect(201);
    // 60 more products with two variants and an image each, in SQL.
    sqlx::query(
        "WITH p AS (INSERT INTO products (distributor_id, product_type_id, name, item_number) \
                    SELECT $1, $2, 'Bulk ' || lpad(g::text, 3, '0'), 'B' || g FROM generate_series(1, 60) g RETURNING id), \
              i AS (INSERT INTO product_images (product_id, resource_id, distributor_id, position) SELECT p.id, $3, $1, 0 FROM p), \
              v AS (INSERT INTO product_variants (distributor_id, product_id, supplier_id, value_ids, sku) \
                    SELECT $1, p.id, $4, ARRAY[s, $5], 'x' FROM p CROSS JOIN unnest($6::int8[]) AS s RETURNING id, value_ids) \
         INSERT INTO product_variant_values (variant_id, attribute_id, attribute_value_id, distributor_id, position) \
         SELECT v.id, av.attribute_id, av.id, $1, CASE WHEN av.attribute_id = $7 THEN 0 ELSE 1 END \
         FROM v CROSS JOIN unnest(v.value_ids) AS x(id) JOIN attribute_values av ON av.id = x.id",
    )
    .bind(w.acme)
    .bind(c.wear)
    .bind(image)
    .bind(c.supplier)
    .bind(c.colors[1])
    .bind(vec![c.sizes[0], c.sizes[2]])
    .bind(c.color)
    .execute(&pool)
    .await
    .unwrap();

    let mask = "{id,name,variants{sku,attribute_values{name}},images{id,content_type},product_type{name}}";
    let r = app.get(&format!("{PRODUCTS}?page_size=1&fields={}", enc(mask)), &sales).await;
    r.expect(200);
    assert_eq!(
        r.body,
        json!([{"id": tee, "name": "A tee",
                "variants": [{"sku": "TS-Red-S", "attribute_values": [{"name": "Red"}, {"name": "S"}]},
                             {"sku": "TS-Red-XL", "attribute_values": [{"name": "Red"}, {"name": "XL"}]}],
                "images": [{"id": image, "content_type": "image/png"}],
                "product_type": {"name": "Wearables"}}])
    );

    // 30 product types for the bulk products, so a bigger page reaches more of them.
    sqlx::query(
        "WITH t AS (INSERT INTO product_types (distributor_id, name) SELECT $1, 'Type ' || k FROM generate_series(1, 30) k \
                    RETURNING id), \
              n AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM t), \
              p AS (SELECT id, row_number() OVER (ORDER BY id) AS g FROM products WHERE name LIKE 'Bulk %') \
         UPDATE products SET product_type_id = n.id FROM p JOIN n ON n.k = p.g % 30 WHERE products.id = p.id",
    )
    .bind(w.acme)
    .execute(&pool)
    .await
    .unwrap();
    // Warm: the connections are open and the caller's account state cached.
    statements_for(&app, &format!("{PRODUCTS}?page_size=1"), &sales).await;
    let mut counts = Vec::new();
    for size in [1, 10, 50] {
        let url = format!("{PRODUCTS}?page_size={size}&fields={}", enc(mask));
        let (statements, rows) = statements_for(&app, &url, &sales).await;
        assert_eq!(rows, size);
        counts.push(statements);
    }
    // Main query + variants + their values + images + product type.
    assert_eq!(counts, [5, 5, 5], "statements for page sizes 1, 10, 50");
}

/// Writes that take lists cost the same statements for one element as for
/// many: variants made in bulk, a product's images, an attribute's value order.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn list_taking_writes_cost_the_same_statements_at_any_length(pool: PgPool) {
    use crate::statements::statements_of;
    let app = TestApp::counted(pool.clone()).await;
    let w = World::build(&app).await;
    let c = catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let mut images = Vec::new();
    for n in 0..6 {
        images.push(file(&pool, w.acme, &format!("img{n}.png")).await);
    }
    let mut counts = Vec::new();
    for (n, (colors, sizes, image_count)) in [(1, 1, 1), (3, 5, 6)].into_iter().enumerate() {
        let product = create_product(
            &app,
            &sales,
            json!({"name": format!("Tee {n}"), "item_number": format!("T{n}"), "product_type_id": c.wear}),
        )
        .await;
        let body = json!({"values": [{"attribute_id": c.color, "value_ids": &c.colors[..colors]},
                                     {"attribute_id": c.size, "value_ids": &c.sizes[..sizes]}],
                          "supplier_id": c.supplier});
        let (bulk, r) = statements_of(&app, app.post(&bulk_of(product), Some(&sales), body)).await;
        r.expect(201);
        let made: i64 = sqlx::query_scalar("SELECT count(*) FROM product_variants WHERE product_id = $1")
            .bind(product)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(made, i64::try_from(colors * sizes).unwrap());
        let tag = app.get(&product_url(product), &sales).await.header("etag").unwrap().to_owned();
        let (patch, r) = statements_of(
            &app,
            app.request(
                Method::PATCH,
                &product_url(product),
                Some(&sales),
                &[("If-Match", &tag)],
                Some(json!({"image_ids": &images[..image_count]})),
            ),
        )
        .await;
        r.expect(200);
        let order: Vec<i64> = c.sizes.iter().rev().copied().collect();
        let (reorder, r) = statements_of(
            &app,
            app.request(
                Method::PUT,
                &format!("/api/v1/catalog/attributes/{}/values/order", c.size),
                Some(&sales),
                &[],
                Some(json!({"ids": if n == 0 { order[..].to_vec() } else { c.sizes.clone() }})),
            ),
        )
        .await;
        r.expect(200);
        counts.push((bulk, patch, reorder));
    }
    assert_eq!(counts[0], counts[1], "(bulk variants, product images, value order) for 1 and for many");
    assert!(counts[0].0 > 1 && counts[0].1 > 1 && counts[0].2 > 1, "{counts:?}");
}
