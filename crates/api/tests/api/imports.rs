//! CSV import of products and variants: a good file creates them with their
//! skus, the same file again changes nothing, a changed cost updates one
//! variant; dry runs list every error by row and column and write nothing;
//! a real run with errors is a 422 that writes nothing; the body is streamed
//! and bounded; only staff may import, and only into their distributor.

use crate::helpers::{Resp, TestApp, World};
use api::ApiConfig;
use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem::test::TestClient;
use poem::{Body, EndpointExt};
use serde_json::Value;
use sqlx::PgPool;
use tokio::io::AsyncReadExt;

const IMPORTS: &str = "/api/v1/catalog/imports";

/// A client of the same application, for bodies `TestApp` does not send
/// (raw CSV with a token, streams).
fn client(app: &TestApp) -> TestClient<BoxEndpoint<'static, poem::Response>> {
    TestClient::new(api::app(app.state.clone()).map_to_response().boxed())
}

async fn send(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Resp {
    let client = client(app);
    let mut req = client
        .request(Method::POST, format!("{IMPORTS}{query}"))
        .header("Authorization", format!("Bearer {token}"))
        .content_type(content_type)
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await;
    let status = resp.0.status();
    let headers = resp.0.headers().clone();
    Resp::new(status, headers, resp.0.into_body().into_vec().await.unwrap())
}

async fn import(app: &TestApp, token: &str, query: &str, csv: &str) -> Resp {
    send(app, token, query, "text/csv; charset=utf-8", &[], csv.to_owned()).await
}

/// Inserts an attribute with its values in order.
async fn attribute(pool: &PgPool, d: i64, name: &str, values: &[&str]) -> i64 {
    let id: i64 = sqlx::query_scalar("INSERT INTO attributes (distributor_id, name) VALUES ($1, $2) RETURNING id")
        .bind(d)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap();
    for (i, v) in values.iter().enumerate() {
        sqlx::query(
            "INSERT INTO attribute_values (attribute_id, distributor_id, name, position) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(d)
        .bind(v)
        .bind(i as i32)
        .execute(pool)
        .await
        .unwrap();
    }
    id
}

/// Inserts a product type with its attributes in order.
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

/// A distributor's catalog: Size is created before Color (so its value ids
/// are smaller) but the T-Shirt type orders Color first, so a sku in type
/// order is not the id order. SanMar supplies; PrintCo only decorates.
async fn catalog(app: &TestApp, d: i64) {
    let size = attribute(&app.pool, d, "Size", &["S", "M", "L", "XL"]).await;
    let color = attribute(&app.pool, d, "Color", &["Red", "Blue"]).await;
    product_type(&app.pool, d, "T-Shirt", &[color, size]).await;
    product_type(&app.pool, d, "Cap", &[color]).await;
    app.vendor(d, "SanMar", &["supplier"]).await;
    app.vendor(d, "PrintCo", &["decorator"]).await;
}

const HEADER: &str = "item_number,name,product_type,description,supplier,vendor_cost,Size,Color\n";
const TEE: &str = "TS-100,Classic Tee,T-Shirt,\"Soft, ring-spun cotton\nPre-shrunk\",SanMar";

/// Two products, five variants; a BOM, a quoted description with a comma
/// and a newline, names in other cases than stored.
fn good_file(xl_cost: &str) -> String {
    format!(
        "\u{feff}Item_Number,NAME,product_type,description,supplier,vendor_cost,Size,Color\r\n\
         {TEE},4.10,S,Red\r\n\
         {TEE},4.10,M,Red\r\n\
         {TEE},{xl_cost},XL,blue\r\n\
         CAP-7,Trucker Cap,Cap,Mesh back,sanmar,3.00,,Red\r\n\
         CAP-7,Trucker Cap,cap,Mesh back,SanMar,3,,Blue\r\n"
    )
}

async fn skus(pool: &PgPool, d: i64) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT v.sku, v.vendor_cost::text, s.name FROM product_variants v JOIN vendors s ON s.id = v.supplier_id \
         WHERE v.distributor_id = $1 ORDER BY v.sku",
    )
    .bind(d)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Every catalog row's version of distributor `d`.
async fn versions(pool: &PgPool, d: i64) -> Vec<(String, i32)> {
    sqlx::query_as(
        "SELECT 'product ' || item_number, version FROM products WHERE distributor_id = $1 \
         UNION ALL SELECT 'variant ' || sku, version FROM product_variants WHERE distributor_id = $1 ORDER BY 1",
    )
    .bind(d)
    .fetch_all(pool)
    .await
    .unwrap()
}

fn counts(r: &Resp) -> [u64; 7] {
    let b = &r.body;
    [
        "rows",
        "created_products",
        "updated_products",
        "unchanged_products",
        "created_variants",
        "updated_variants",
        "unchanged_variants",
    ]
    .map(|k| b[k].as_u64().unwrap_or_else(|| panic!("{k} missing: {b}")))
}

fn errors(list: &Value) -> Vec<(u64, Option<String>, String)> {
    list.as_array()
        .unwrap_or_else(|| panic!("no error list: {list}"))
        .iter()
        .map(|e| {
            (e["row"].as_u64().unwrap(), e["column"].as_str().map(str::to_owned), e["code"].as_str().unwrap().into())
        })
        .collect()
}

fn at(row: u64, column: Option<&str>, code: &str) -> (u64, Option<String>, String) {
    (row, column.map(str::to_owned), code.to_owned())
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_good_file_creates_then_changes_nothing_then_updates_one_cost(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;

    let r = import(&app, &sales, "", &good_file("4.35")).await;
    r.expect(200);
    assert_eq!(counts(&r), [5, 2, 0, 0, 5, 0, 0], "{}", r.text);
    assert_eq!(r.body["dry_run"], false);
    assert_eq!(r.body["error_count"], 0);
    assert_eq!(r.body["errors"], serde_json::json!([]));
    assert_eq!(
        skus(&pool, w.acme).await,
        [
            ("CAP-7-Blue".into(), "3.00".into(), "SanMar".into()),
            ("CAP-7-Red".into(), "3.00".into(), "SanMar".into()),
            ("TS-100-Blue-XL".into(), "4.35".into(), "SanMar".into()),
            ("TS-100-Red-M".into(), "4.10".into(), "SanMar".into()),
            ("TS-100-Red-S".into(), "4.10".into(), "SanMar".into()),
        ]
    );
    let products: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT p.item_number, p.name, pt.name, p.description FROM products p \
         JOIN product_types pt ON pt.id = p.product_type_id WHERE p.distributor_id = $1 ORDER BY 1",
    )
    .bind(w.acme)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        products,
        [
            ("CAP-7".into(), "Trucker Cap".into(), "Cap".into(), "Mesh back".into()),
            ("TS-100".into(), "Classic Tee".into(), "T-Shirt".into(), "Soft, ring-spun cotton\nPre-shrunk".into()),
        ]
    );
    // Each variant has one value row per attribute, at the type's position.
    let values: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT v.sku, av.name, pvv.position FROM product_variant_values pvv \
         JOIN product_variants v ON v.id = pvv.variant_id JOIN attribute_values av ON av.id = pvv.attribute_value_id \
         WHERE v.sku = 'TS-100-Blue-XL' ORDER BY pvv.position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(values, [("TS-100-Blue-XL".into(), "Blue".into(), 0), ("TS-100-Blue-XL".into(), "XL".into(), 1)]);

    // The same file again: all unchanged, and no version moves.
    let before = versions(&pool, w.acme).await;
    assert_eq!(before.len(), 7);
    let r = import(&app, &sales, "", &good_file("4.35")).await;
    r.expect(200);
    assert_eq!(counts(&r), [5, 0, 0, 2, 0, 0, 5], "{}", r.text);
    assert_eq!(versions(&pool, w.acme).await, before);

    // One changed cost: one variant updated, its version alone moves.
    let r = import(&app, &sales, "", &good_file("4.50")).await;
    r.expect(200);
    assert_eq!(counts(&r), [5, 0, 0, 2, 0, 1, 4], "{}", r.text);
    let after = versions(&pool, w.acme).await;
    let moved: Vec<_> =
        before.iter().zip(&after).filter(|(b, a)| b != a).map(|(b, a)| (a.0.clone(), a.1 - b.1)).collect();
    assert_eq!(moved, [("variant TS-100-Blue-XL".into(), 1)]);
    assert_eq!(skus(&pool, w.acme).await[2], ("TS-100-Blue-XL".into(), "4.50".into(), "SanMar".into()));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_dry_run_lists_every_mistake_and_writes_nothing(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    catalog(&app, w.acme).await;
    let (manager, _) = app.login("acme_manager").await;

    // A good file, dry: the counts of a real run, nothing written.
    let r = import(&app, &manager, "?dry_run=true", &good_file("4.35")).await;
    r.expect(200);
    assert_eq!(r.body["dry_run"], true);
    assert_eq!(counts(&r), [5, 2, 0, 0, 5, 0, 0], "{}", r.text);
    assert_eq!(app.count("products").await, 0);

    // Data row 3 (file row 4) has an unknown size; data row 5 a bad cost.
    let file = format!(
        "{HEADER}{TEE},4.10,S,Red\n{TEE},4.10,M,Red\n{TEE},4.10,XXXL,Red\n\
         CAP-7,Trucker Cap,Cap,Mesh back,SanMar,3.00,,Red\nCAP-7,Trucker Cap,Cap,Mesh back,SanMar,3.001,,Blue\n"
    );
    let r = import(&app, &manager, "?dry_run=true", &file).await;
    r.expect(200);
    assert_eq!(errors(&r.body["errors"]), [at(4, Some("Size"), "not_found"), at(6, Some("vendor_cost"), "precision")]);
    assert_eq!(r.body["errors"][0]["message"], "no value \"XXXL\" for Size; add it first");
    assert_eq!(r.body["error_count"], 2);
    assert_eq!(counts(&r), [5, 0, 0, 0, 0, 0, 0], "a file with errors would write nothing");
    assert_eq!(app.count("products").await, 0);
    assert_eq!(app.count("product_variants").await, 0);

    // The same file for real: 422 with the same list, nothing written.
    let r = import(&app, &manager, "", &file).await;
    r.expect(422);
    assert_eq!(
        errors(&r.body["row_errors"]),
        [at(4, Some("Size"), "not_found"), at(6, Some("vendor_cost"), "precision")]
    );
    assert!(r.body["detail"].as_str().unwrap().contains("2 errors"), "{}", r.text);
    assert_eq!(app.count("products").await, 0);
    assert_eq!(app.count("product_variants").await, 0);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn columns_types_suppliers_and_consistency_are_row_errors(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;

    // No Size column: every T-Shirt row names it; the Cap row is fine.
    let file = "item_number,name,product_type,supplier,vendor_cost,Color\n\
                TS-1,Tee,T-Shirt,SanMar,1,Red\nTS-1,Tee,T-Shirt,SanMar,1,Blue\nCAP-1,Cap,Cap,SanMar,1,Red\n";
    let r = import(&app, &sales, "", file).await;
    r.expect(422);
    assert_eq!(
        errors(&r.body["row_errors"]),
        [at(2, Some("Size"), "missing_column"), at(3, Some("Size"), "missing_column")]
    );

    // An unknown column; a required one missing.
    let r = import(&app, &sales, "", "item_number,name,product_type,supplier,vendor_cost,Weight\nA,B,Cap,SanMar,1,\n")
        .await;
    r.expect(422);
    assert_eq!(errors(&r.body["row_errors"])[0], at(1, Some("Weight"), "unknown_column"));
    let r = import(&app, &sales, "?dry_run=true", "item_number,name,product_type,vendor_cost\nA,B,Cap,1\n").await;
    r.expect(200);
    assert_eq!(errors(&r.body["errors"]), [at(1, None, "missing_column")]);
    assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("supplier"));

    // A wrong type name; a vendor that only decorates; rows of one item
    // number that disagree; a value of an attribute the type lacks; the same
    // variant twice.
    let file = format!(
        "{HEADER}TS-1,Tee,T-Shrt,,SanMar,1,S,Red\n\
         CAP-1,Cap,Cap,,PrintCo,1,,Red\n\
         CAP-1,Other Cap,Cap,,SanMar,1,,Blue\n\
         CAP-2,Cap,Cap,,SanMar,1,M,Red\n\
         CAP-3,Cap,Cap,,SanMar,1,,Red\n\
         CAP-3,Cap,Cap,,SanMar,2,,red\n"
    );
    let r = import(&app, &sales, "?dry_run=true", &file).await;
    r.expect(200);
    assert_eq!(
        errors(&r.body["errors"]),
        [
            at(2, Some("product_type"), "not_found"),
            at(3, Some("supplier"), "not_supplier"),
            at(4, Some("name"), "inconsistent"),
            at(5, Some("Size"), "not_in_type"),
            at(7, None, "duplicate"),
        ]
    );
    assert_eq!(r.body["errors"][1]["message"], "vendor \"PrintCo\" is not a supplier");
    assert_eq!(app.count("products").await, 0);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_product_with_variants_keeps_its_type(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    import(&app, &sales, "", &good_file("4.35")).await.expect(200);
    let before = versions(&pool, w.acme).await;

    let file = format!("{HEADER}TS-100,Classic Tee,Cap,x,SanMar,1,,Red\n");
    let r = import(&app, &sales, "", &file).await;
    r.expect(422);
    assert_eq!(errors(&r.body["row_errors"]), [at(2, Some("product_type"), "type_change")]);
    assert_eq!(versions(&pool, w.acme).await, before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn bodies_are_bounded_while_streaming(pool: PgPool) {
    let config = ApiConfig { max_upload_bytes: 4096, max_import_rows: 3, ..ApiConfig::default() };
    let app = TestApp::with_config(pool.clone(), config).await;
    let w = World::build(&app).await;
    catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;

    // A chunked body that never ends: the handler stops at the limit.
    let endless = std::io::Cursor::new(HEADER.as_bytes().to_vec()).chain(tokio::io::repeat(b'x'));
    let r = send(&app, &sales, "", "text/csv", &[], Body::from_async_read(endless)).await;
    r.expect(413);
    assert!(r.body["detail"].as_str().unwrap().contains("4096"), "{}", r.text);

    // A declared length above the limit is refused before the handler.
    let r = send(&app, &sales, "", "text/csv", &[("Content-Length", "5000")], vec![b'x'; 5000]).await;
    r.expect(413);

    // More data rows than allowed.
    let r = import(&app, &sales, "", &good_file("4.35")).await;
    r.expect(413);
    assert!(r.body["detail"].as_str().unwrap().contains("more than 3 data rows"), "{}", r.text);

    // Not UTF-8: 400 naming the row.
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"CAP-1,Cap\xff,Cap,,SanMar,1,,Red\n");
    let r = send(&app, &sales, "", "text/csv", &[], bytes).await;
    r.expect(400);
    assert!(r.body["detail"].as_str().unwrap().starts_with("row 2, column name"), "{}", r.text);
    assert_eq!(errors(&r.body["row_errors"]), [at(2, Some("name"), "not_utf8")]);

    // Another content type.
    send(&app, &sales, "", "application/json", &[], "{}").await.expect(415);
    assert_eq!(app.count("products").await, 0);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_form_upload_works_like_a_plain_body(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    let body = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"catalog.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{}\r\n--XyZ--\r\n",
        good_file("4.35")
    );
    let r = send(&app, &sales, "", "multipart/form-data; boundary=XyZ", &[], body).await;
    r.expect(200);
    assert_eq!(counts(&r), [5, 2, 0, 0, 5, 0, 0], "{}", r.text);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn only_staff_import_and_only_into_their_distributor(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    catalog(&app, w.acme).await;
    catalog(&app, w.globex).await;
    let (globex, _) = app.login("globex_sales").await;
    import(&app, &globex, "", &good_file("9.99")).await.expect(200);
    let globex_before = (versions(&pool, w.globex).await, skus(&pool, w.globex).await);

    for name in ["acme_shopper", "acme_buyer"] {
        let (token, _) = app.login(name).await;
        import(&app, &token, "", &good_file("4.35")).await.expect(403);
    }
    let (sales, _) = app.login("acme_sales").await;
    import(&app, &sales, &format!("?distributor_id={}", w.globex), &good_file("4.35")).await.expect(404);
    let (root, _) = app.login("root").await;
    import(&app, &root, "", &good_file("4.35")).await.expect(422);
    import(&app, &root, "?distributor_id=999999", &good_file("4.35")).await.expect(404);
    assert_eq!(app.count("products").await, 2, "only Globex's");

    // Acme's import of the same item numbers creates Acme's own products.
    let r = import(&app, &sales, &format!("?distributor_id={}", w.acme), &good_file("4.35")).await;
    r.expect(200);
    assert_eq!(counts(&r), [5, 2, 0, 0, 5, 0, 0], "{}", r.text);
    let r = import(&app, &root, &format!("?distributor_id={}", w.acme), &good_file("5.00")).await;
    r.expect(200);
    assert_eq!(counts(&r), [5, 0, 0, 2, 0, 1, 4], "{}", r.text);
    assert_eq!((versions(&pool, w.globex).await, skus(&pool, w.globex).await), globex_before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn draft_campaign_items_follow_imported_changes(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    catalog(&app, w.acme).await;
    let (sales, _) = app.login("acme_sales").await;
    import(&app, &sales, "", &good_file("4.35")).await.expect(200);
    let (variant, product, supplier): (i64, i64, i64) = sqlx::query_as(
        "SELECT id, product_id, supplier_id FROM product_variants WHERE sku = 'TS-100-Red-S' AND distributor_id = $1",
    )
    .bind(w.acme)
    .fetch_one(&pool)
    .await
    .unwrap();
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
    .bind(variant)
    .bind(product)
    .bind(supplier)
    .execute(&pool)
    .await
    .unwrap();

    // The product's name and description change in the file: the product is
    // updated and the draft item's copies follow.
    let file = good_file("4.35").replace("Classic Tee", "Classic Tee II").replace("Pre-shrunk", "Pre-washed");
    let r = import(&app, &sales, "", &file).await;
    r.expect(200);
    assert_eq!(counts(&r), [5, 0, 1, 1, 0, 0, 5], "{}", r.text);
    let copies: (String, String, String) =
        sqlx::query_as("SELECT sku, product_name, description FROM campaign_items WHERE campaign_id = $1")
            .bind(draft)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(copies, ("TS-100-Red-S".into(), "Classic Tee II".into(), "Soft, ring-spun cotton\nPre-washed".into()));
}
