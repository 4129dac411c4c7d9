//! Reports over HTTP, on the demo data: every format's type and file name,
//! a CSV streamed from another task (and stopped when the client leaves),
//! the replaced system's `R-Settings` header, time zones and the vendor
//! filter, the distributor's sales, the read replica, and refusals that
//! change nothing. What each report contains is the `reports` crate's test.

use crate::helpers::{Resp, TestApp, enc, id_of};
use crate::matrix_kit::fingerprint;
use futures_util::StreamExt;
use poem::http::Method;
use serde_json::json;
use sqlx::PgPool;
use std::io::Read;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The demo data (dated around today, so its shoppers can log in).
async fn demo(pool: &PgPool) -> TestApp {
    seeders::demo(pool).await.unwrap();
    TestApp::new(pool.clone()).await
}

fn password(username: &str) -> &'static str {
    seeders::logins().into_iter().find(|l| l.usernames.contains(&username)).map(|l| l.password).unwrap()
}

async fn token(app: &TestApp, username: &str) -> String {
    let r = app.login_as(username, password(username)).await;
    r.expect(200);
    r.body["access_token"].as_str().unwrap().to_owned()
}

/// The demo campaign of `distributor` in `status`.
async fn campaign(pool: &PgPool, distributor: &str, status: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT c.id FROM campaigns c JOIN distributors d ON d.id = c.distributor_id \
         WHERE d.name = $1 AND c.status = $2 ORDER BY c.id LIMIT 1",
    )
    .bind(distributor)
    .bind(status)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn url(slug: &str, campaign: i64, query: &str) -> String {
    format!("/api/v1/reports/{slug}/campaigns/{campaign}{query}")
}

/// The file name in a `Content-Disposition`.
fn file_name(r: &Resp) -> String {
    let d = r.header("content-disposition").unwrap_or_default();
    d.split("filename=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default().to_owned()
}

/// The names of the files in a ZIP.
fn zip_entries(bytes: &[u8]) -> Vec<String> {
    // The central directory's file headers: signature, then the name at 46.
    let mut names = Vec::new();
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(4).position(|w| w == b"PK\x01\x02") {
        let h = at + i;
        let len = usize::from(u16::from_le_bytes([bytes[h + 28], bytes[h + 29]]));
        names.push(String::from_utf8_lossy(&bytes[h + 46..h + 46 + len]).into_owned());
        at = h + 46 + len;
    }
    names
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_format_has_its_type_and_file_name(pool: PgPool) {
    let app = demo(&pool).await;
    let manager = token(&app, "manager").await;
    let c = campaign(&pool, "Acme Promo", "active").await;

    // JSON by default.
    let r = app.get(&url("vendor-po", c, ""), &manager).await;
    r.expect(200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-disposition"), Some("attachment; filename=\"initech-welcome-kits_vendor-po.json\""));
    assert_eq!(r.header("vary").map(|v| v.contains("accept")), Some(true), "{:?}", r.headers);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.body["report"], json!({"slug": "vendor-po", "name": "Vendor PO"}));
    assert_eq!(r.body["campaign"]["id"], c);
    assert_eq!(r.body["time_zone"], "UTC");
    assert_eq!(r.body["tables"][0]["name"], "Vendor PO");

    // Each format by `format`, and the same by `Accept`.
    for (format, accept, content_type, extension) in [
        ("json", "application/json", "application/json", "json"),
        ("csv", "text/csv", "text/csv; charset=utf-8", "csv"),
        ("xlsx", XLSX, XLSX, "xlsx"),
        ("html", "text/html", "text/html; charset=utf-8", "html"),
    ] {
        let by_query = app.get(&url("vendor-po", c, &format!("?format={format}")), &manager).await;
        let by_accept = app.get_with(&url("vendor-po", c, ""), &manager, &[("Accept", accept)]).await;
        for r in [&by_query, &by_accept] {
            r.expect(200);
            assert_eq!(r.header("content-type"), Some(content_type), "{format}");
            assert_eq!(file_name(r), format!("initech-welcome-kits_vendor-po.{extension}"), "{format}");
            let inline = format == "html";
            let disposition = r.header("content-disposition").unwrap();
            assert!(disposition.starts_with(if inline { "inline;" } else { "attachment;" }), "{disposition}");
        }
        // The two are the same report (the JSON and HTML carry their time of making).
        if matches!(format, "csv") {
            assert_eq!(by_query.bytes, by_accept.bytes);
        }
        match format {
            "csv" => assert!(by_query.text.starts_with("Item #,Vendor,Product Name,"), "{}", by_query.text),
            "xlsx" => assert!(by_query.bytes.starts_with(b"PK\x03\x04")),
            "html" => {
                assert!(by_query.text.starts_with("<!DOCTYPE html>"));
                assert!(by_query.text.contains("<svg"), "the page has its chart");
                let csp = by_query.header("content-security-policy").unwrap_or_default();
                assert!(csp.contains("default-src 'none'"), "{csp}");
            }
            _ => assert_eq!(by_query.body["report"]["slug"], "vendor-po"),
        }
    }
    // `format` wins over `Accept`; a browser's `Accept` gets the page.
    let r = app.get_with(&url("vendor-po", c, "?format=csv"), &manager, &[("Accept", "text/html")]).await;
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let r = app.get_with(&url("vendor-po", c, ""), &manager, &[("Accept", browser)]).await;
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));

    // An `Accept` that admits none of the formats is 406, as elsewhere.
    app.get_with(&url("vendor-po", c, ""), &manager, &[("Accept", "image/png")]).await.expect(406);
    app.get_with(&url("vendor-po", c, ""), &manager, &[("Accept", "application/zip")]).await.expect(200);

    // Several tables: CSV is a ZIP of one CSV per table, unless `table` picks one.
    let r = app.get(&url("decorator-po", c, "?format=csv"), &manager).await;
    r.expect(200);
    assert_eq!(r.header("content-type"), Some("application/zip"));
    assert_eq!(file_name(&r), "initech-welcome-kits_decorator-po.zip");
    assert_eq!(zip_entries(&r.bytes), ["Decorator PO.csv", "Bag-Fold-Label PO.csv", "Decorators PO.csv"]);
    let r = app.get_with(&url("decorator-po", c, "?table=decorators-po"), &manager, &[("Accept", "text/csv")]).await;
    r.expect(200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(file_name(&r), "initech-welcome-kits_decorator-po_decorators-po.csv");
    assert!(r.text.starts_with("Decorator Name,Logo Description,"), "{}", r.text);
    let r = app.get(&url("decorator-po", c, &format!("?table={}", enc("Bag/Fold/Label PO"))), &manager).await;
    r.expect(200);
    assert_eq!(r.body["tables"].as_array().map(Vec::len), Some(1));

    // Every campaign report in every format answers.
    for def in reports::catalog().iter().filter(|d| d.scope == reports::Scope::Campaign) {
        for format in ["json", "csv", "xlsx", "html"] {
            let r = app.get(&url(def.slug, c, &format!("?format={format}")), &manager).await;
            r.expect(200);
            assert!(!r.bytes.is_empty(), "{} {format}", def.slug);
        }
    }
}

/// Enough order lines that the Itemized Shopper CSV is many times the pipe
/// between the rendering task and the body: 4,000 copies of the demo order.
async fn bulk_orders(pool: &PgPool, c: i64) {
    sqlx::query(
        "WITH src AS (SELECT * FROM orders WHERE campaign_id = $1 AND status <> 'cancelled' ORDER BY id LIMIT 1), \
              o AS (INSERT INTO orders (number, distributor_id, account_id, campaign_id, status, checkout_fields, \
                                        location, department, items_count, subtotal, allowance_applied, \
                                        payroll_deduction) \
                    SELECT 'BULK-' || g, src.distributor_id, src.account_id, src.campaign_id, src.status, \
                           src.checkout_fields, src.location, src.department, src.items_count, src.subtotal, \
                           src.allowance_applied, src.payroll_deduction \
                    FROM src, generate_series(1, 4000) g RETURNING id) \
         INSERT INTO order_items (order_id, distributor_id, campaign_item_id, sku, product_name, quantity, \
                                  unit_price, line_total) \
         SELECT o.id, i.distributor_id, i.campaign_item_id, i.sku, i.product_name, i.quantity, i.unit_price, \
                i.line_total FROM o, order_items i WHERE i.order_id = (SELECT id FROM src)",
    )
    .bind(c)
    .execute(pool)
    .await
    .unwrap();
}

/// Connections of `pool` checked out right now.
fn in_use(pool: &PgPool) -> u32 {
    pool.size().saturating_sub(u32::try_from(pool.num_idle()).unwrap_or(u32::MAX))
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_big_csv_is_streamed_and_stops_when_the_client_leaves(pool: PgPool) {
    let app = demo(&pool).await;
    let manager = token(&app, "manager").await;
    let c = campaign(&pool, "Acme Promo", "active").await;
    bulk_orders(&pool, c).await;
    let path = url("itemized-shopper", c, "?format=csv");

    // The whole body is the report, byte for byte as the crate renders it.
    let (status, headers, body) = app.get_raw(&path, &manager, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-length"), None, "a streamed body has no length");
    let who = reports::ReportAccess::new(
        domain::Principal {
            account_id: id_of(&pool, "manager").await,
            role: domain::Role::DistributorManager,
            distributor_id: sqlx::query_scalar("SELECT id FROM distributors WHERE name = 'Acme Promo'")
                .fetch_one(&pool)
                .await
                .unwrap(),
        },
        true,
    );
    let expected = reports::run(&pool, &who, "itemized-shopper", c, reports::Params::default())
        .await
        .unwrap()
        .render_to_vec(reports::Format::Csv)
        .await
        .unwrap();
    assert!(expected.len() > 400_000, "only {} bytes: the test proves nothing", expected.len());
    assert_eq!(body.len(), expected.len());
    assert!(body == expected, "the streamed CSV differs from the rendered one");
    let lines = String::from_utf8_lossy(&body).lines().count();
    assert!(lines > 8_000, "{lines} lines");

    // Compressed on the fly for a client that accepts it, never buffered first.
    let (status, headers, gzipped) = app.get_raw(&path, &manager, &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(gzipped.as_slice()).read_to_end(&mut plain).unwrap();
    assert!(plain == expected, "the gzipped CSV differs");

    // The answer comes with the first chunk, while the rest is still being
    // read from the database: the rendering holds its connection until the
    // body is read (the pipe holds 64 KiB), and lets it go when the client
    // leaves halfway.
    let mut idle = 0;
    while in_use(&pool) > 0 && idle < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        idle += 1;
    }
    let resp = app.request_streamed(&path, &manager).await;
    assert_eq!(resp.status(), 200);
    let mut chunks = resp.into_body().into_bytes_stream();
    let first = chunks.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(in_use(&pool), 1, "the report's statement is still being read");
    drop(chunks);
    let mut waited = 0;
    while in_use(&pool) > 0 {
        assert!(waited < 250, "the rendering kept its connection after the client left");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn time_zones_the_vendor_filter_and_the_legacy_header(pool: PgPool) {
    let app = demo(&pool).await;
    let manager = token(&app, "manager").await;
    let c = campaign(&pool, "Acme Promo", "active").await;
    let settings = |vendor: Option<&str>, zone: &str| {
        json!({"params": [], "filters": {"Vendor PO:vendor_name": vendor}, "sort": null, "userTimeZone": zone})
            .to_string()
    };

    // The zone: `tz`, else the header's `userTimeZone`, else UTC.
    let placed: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT min(created_at) FROM orders WHERE campaign_id = $1 AND status <> 'cancelled'")
            .bind(c)
            .fetch_one(&pool)
            .await
            .unwrap();
    let placed_column = |r: &Resp| -> String {
        let columns = r.body["tables"][0]["columns"].as_array().unwrap();
        let at = columns.iter().position(|col| col["name"] == "Date Order Placed").unwrap();
        r.body["tables"][0]["rows"][0][at].as_str().unwrap().to_owned()
    };
    let summary = url("shopper-summary", c, "");
    let utc = app.get(&summary, &manager).await;
    utc.expect(200);
    assert_eq!(utc.body["time_zone"], "UTC");
    let chicago = app.get(&url("shopper-summary", c, "?tz=America/Chicago"), &manager).await;
    chicago.expect(200);
    assert_eq!(chicago.body["time_zone"], "America/Chicago");
    let header = settings(None, "Europe/Berlin");
    let berlin = app.get_with(&summary, &manager, &[("R-Settings", &header)]).await;
    berlin.expect(200);
    assert_eq!(berlin.body["time_zone"], "Europe/Berlin");
    let both =
        app.get_with(&url("shopper-summary", c, "?tz=America/Chicago"), &manager, &[("R-Settings", &header)]).await;
    assert_eq!(both.body["time_zone"], "America/Chicago", "`tz` wins over the header");
    for (r, zone) in [(&utc, "UTC"), (&chicago, "America/Chicago"), (&berlin, "Europe/Berlin")] {
        let shown = chrono::DateTime::parse_from_rfc3339(&placed_column(r)).unwrap();
        assert_eq!(shown.timestamp(), placed.timestamp(), "{zone}: the same moment (to the second)");
        let offset = zone.parse::<reports::Tz>().unwrap();
        assert_eq!(shown.offset().local_minus_utc(), {
            use chrono::Offset;
            placed.with_timezone(&offset).offset().fix().local_minus_utc()
        });
    }
    // The CSV prints the moment in the zone, as the old reports did.
    let csv = app.get(&url("shopper-summary", c, "?format=csv&tz=America/Chicago"), &manager).await;
    let local = placed
        .with_timezone(&"America/Chicago".parse::<reports::Tz>().unwrap())
        .format("%m/%d/%Y, %H:%M:%S")
        .to_string();
    assert!(csv.text.contains(&local), "{local} not in {}", csv.text);

    // The vendor: `vendor`, else the header's filter; the Vendor column goes.
    let vendors = |r: &Resp| -> Vec<String> {
        let columns = r.body["tables"][0]["columns"].as_array().unwrap();
        assert!(columns.iter().all(|col| col["name"] != "Vendor"), "{columns:?}");
        r.body["tables"][0]["rows"].as_array().unwrap().iter().map(|row| row[0].as_str().unwrap().to_owned()).collect()
    };
    let all = app.get(&url("vendor-po", c, ""), &manager).await;
    let every: Vec<&str> =
        all.body["tables"][0]["rows"].as_array().unwrap().iter().map(|r| r[0].as_str().unwrap()).collect();
    let by_query = app.get(&url("vendor-po", c, &format!("?vendor={}", enc("summit drinkware"))), &manager).await;
    by_query.expect(200);
    let mugs = vendors(&by_query);
    assert!(!mugs.is_empty() && mugs.iter().all(|m| every.contains(&m.as_str())), "{mugs:?} of {every:?}");
    let r = app.get(&url("vendor-po", c, &format!("?vendor={}", enc("Pacific Apparel Supply"))), &manager).await;
    let apparel = vendors(&r);
    assert!(apparel.iter().all(|a| !mugs.contains(a)), "{apparel:?} and {mugs:?}");
    let header = settings(Some("Summit Drinkware"), "UTC");
    let by_header = app.get_with(&url("vendor-po", c, ""), &manager, &[("R-Settings", &header)]).await;
    by_header.expect(200);
    assert_eq!(vendors(&by_header), mugs);
    assert_eq!(by_header.body["tables"], by_query.body["tables"]);
    let other = settings(Some("Pacific Apparel Supply"), "UTC");
    let r = app
        .get_with(
            &url("vendor-po", c, &format!("?vendor={}", enc("Summit Drinkware"))),
            &manager,
            &[("R-Settings", &other)],
        )
        .await;
    assert_eq!(vendors(&r), mugs, "`vendor` wins over the header");
    // The header's filter is ignored by a report without a Vendor PO table
    // (old clients send it with every report), and applies within `all`.
    app.get_with(&url("shopper-summary", c, ""), &manager, &[("R-Settings", &header)]).await.expect(200);
    let r = app.get_with(&url("all", c, "?table=vendor-po"), &manager, &[("R-Settings", &header)]).await;
    r.expect(200);
    assert_eq!(vendors(&r), mugs);
    // The CSV file of one vendor.
    let csv = app.get(&url("vendor-po", c, &format!("?format=csv&vendor={}", enc("Summit Drinkware"))), &manager).await;
    assert!(csv.text.starts_with("Item #,Product Name,"), "{}", csv.text);
    assert!(!csv.text.contains("Pacific"), "{}", csv.text);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn bad_parameters_are_400s_naming_them(pool: PgPool) {
    let app = demo(&pool).await;
    let manager = token(&app, "manager").await;
    let c = campaign(&pool, "Acme Promo", "active").await;
    let before = fingerprint(&pool, &app.state.cache).await;
    for (path, headers, field) in [
        (url("vendor-po", c, "?format=pdf"), vec![], "format"),
        (url("vendor-po", c, "?tz=Mars/Olympus"), vec![], "tz"),
        (url("vendor-po", c, "?tz="), vec![], "tz"),
        (url("decorator-po", c, "?table=nope"), vec![], "table"),
        (url("bin", c, "?vendor=Summit"), vec![], "vendor"),
        (url("vendor-po", c, &format!("?vendor={}", "V".repeat(201))), vec![], "vendor"),
        (url("vendor-po", c, ""), vec![("R-Settings", "not json")], "R-Settings"),
        (url("vendor-po", c, ""), vec![("R-Settings", r#"{"userTimeZone": "Nowhere/Land"}"#)], "R-Settings"),
        (url("vendor-po", c, ""), vec![("R-Settings", r#"{"filters": {"Bin:bin_id": "4"}}"#)], "R-Settings"),
        ("/api/v1/reports/distributor-sales?from=2026-05-01".to_owned(), vec![], "to"),
        ("/api/v1/reports/distributor-sales?from=May&to=2026-05-31".to_owned(), vec![], "from"),
        ("/api/v1/reports/distributor-sales?from=2026-06-01&to=2026-05-31".to_owned(), vec![], "from"),
        (
            "/api/v1/reports/distributor-sales?from=2026-05-01&to=2026-05-31&distributor_id=x".to_owned(),
            vec![],
            "distributor_id",
        ),
    ] {
        let r = app.get_with(&path, &manager, &headers).await;
        r.expect(400);
        let named = r.body["errors"][0]["field"] == field || r.body["detail"].as_str().unwrap().contains(field);
        assert!(named, "{path} {headers:?}: {}", r.text);
    }
    // A path id that is not one.
    let r = app.get("/api/v1/reports/vendor-po/campaigns/x", &manager).await;
    r.expect(400);
    assert_eq!(r.body["errors"][0]["field"], "campaign_id");
    assert_eq!(fingerprint(&pool, &app.state.cache).await, before, "a refusal changed something");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn who_may_run_what(pool: PgPool) {
    let app = demo(&pool).await;
    let acme = campaign(&pool, "Acme Promo", "active").await;
    let acme_draft = campaign(&pool, "Acme Promo", "draft").await;
    let globex = campaign(&pool, "Globex Merch", "active").await;
    let manager = token(&app, "manager").await;
    let buyer = token(&app, "acme.buyer").await;
    let shopper = token(&app, "acme.shopper1").await;
    let globex_manager = token(&app, "globex.manager").await;
    let admin = token(&app, "admin").await;
    let before = fingerprint(&pool, &app.state.cache).await;

    // The catalog: everything for staff, four reports for admin buyers.
    let slugs = |r: &Resp| -> Vec<String> {
        r.body.as_array().unwrap().iter().map(|i| i["slug"].as_str().unwrap().to_owned()).collect()
    };
    let all: Vec<String> = reports::catalog().iter().map(|d| d.slug.to_owned()).collect();
    for t in [&manager, &admin, &globex_manager] {
        let r = app.get("/api/v1/reports", t).await;
        r.expect(200);
        assert_eq!(slugs(&r), all);
    }
    let r = app.get("/api/v1/reports", &manager).await;
    let vendor_po = r.body.as_array().unwrap().iter().find(|i| i["slug"] == "vendor-po").unwrap();
    assert_eq!(vendor_po["path"], "/api/v1/reports/vendor-po/campaigns/{campaign_id}");
    assert_eq!(vendor_po["tables"], json!(["Vendor PO"]));
    assert_eq!(vendor_po["formats"], json!(["json", "csv", "xlsx", "html"]));
    let params: Vec<&str> =
        vendor_po["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(params, ["tz", "vendor"]);
    let sales = r.body.as_array().unwrap().iter().find(|i| i["slug"] == "distributor-sales").unwrap();
    assert_eq!(sales["path"], "/api/v1/reports/distributor-sales");
    assert_eq!(sales["tables"], json!(["Sales per Campaign", "Sales per Day"]));
    let r = app.get("/api/v1/reports", &buyer).await;
    r.expect(200);
    assert_eq!(slugs(&r), ["itemized-shopper", "location-po", "payroll-deduction", "shopper-summary"]);
    let r = app.get("/api/v1/reports", &shopper).await;
    r.expect(403);

    // Admin buyers: those four, of campaigns they are members of.
    for def in reports::catalog().iter().filter(|d| d.scope == reports::Scope::Campaign) {
        let r = app.get(&url(def.slug, acme, ""), &buyer).await;
        r.expect(if def.admin_buyer { 200 } else { 403 });
        app.get(&url(def.slug, acme_draft, ""), &buyer).await.expect(404);
        app.get(&url(def.slug, acme, ""), &shopper).await.expect(403);
        // Another distributor's campaign is 404, as a campaign that does not exist.
        let hidden = app.get(&url(def.slug, globex, ""), &manager).await;
        hidden.expect(404);
        let absent = app.get(&url(def.slug, 987_654_321, ""), &manager).await;
        assert_eq!(hidden.body["detail"], absent.body["detail"]);
        app.get(&url(def.slug, acme, ""), &globex_manager).await.expect(404);
        // A super admin runs every distributor's.
        app.get(&url(def.slug, globex, ""), &admin).await.expect(200);
    }
    app.get(&url("no-such-report", acme, ""), &manager).await.expect(404);
    app.get(&url("distributor-sales", acme, ""), &manager).await.expect(404);
    let r = app.request(Method::GET, &url("vendor-po", acme, ""), None, &[], None).await;
    r.expect(401);
    assert_eq!(fingerprint(&pool, &app.state.cache).await, before, "a report changed something");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn an_account_without_reports_gets_403_at_once(pool: PgPool) {
    let app = demo(&pool).await;
    let c = campaign(&pool, "Acme Promo", "active").await;
    let globex = campaign(&pool, "Globex Merch", "active").await;
    let manager = token(&app, "manager").await;
    let sales_name: String = sqlx::query_scalar(
        "SELECT a.username FROM accounts a JOIN distributors d ON d.id = a.distributor_id \
         WHERE d.name = 'Acme Promo' AND a.role = 'sales_executive' AND a.reports_enabled ORDER BY a.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let sales = token(&app, &sales_name).await;
    let sales_id = id_of(&pool, &sales_name).await;
    app.get(&url("vendor-po", c, ""), &sales).await.expect(200);

    // The manager switches the sales executive's reports off: their
    // session goes on, their reports stop.
    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/organization/accounts/{sales_id}"),
            Some(&manager),
            &[],
            Some(json!({"reports_enabled": false})),
        )
        .await;
    r.expect(200);
    let sales = token(&app, &sales_name).await;
    let before = fingerprint(&pool, &app.state.cache).await;
    for path in [
        "/api/v1/reports".to_owned(),
        url("vendor-po", c, ""),
        url("vendor-po", c, "?format=csv"),
        "/api/v1/reports/distributor-sales?from=2026-01-01&to=2026-12-31".to_owned(),
    ] {
        let r = app.get(&path, &sales).await;
        r.expect(403);
        assert!(r.body["detail"].as_str().unwrap().contains("not enabled"), "{path}: {}", r.text);
    }
    // Another distributor's campaign is still not found: a refusal never
    // tells what exists elsewhere.
    app.get(&url("vendor-po", globex, ""), &sales).await.expect(404);
    assert_eq!(fingerprint(&pool, &app.state.cache).await, before, "a refusal changed something");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_distributor_sales_add_up(pool: PgPool) {
    let app = demo(&pool).await;
    let manager = token(&app, "manager").await;
    let buyer = token(&app, "acme.buyer").await;
    let admin = token(&app, "admin").await;
    let (acme, globex): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT id FROM distributors WHERE name = 'Acme Promo'), (SELECT id FROM distributors WHERE name = 'Globex Merch')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today - chrono::TimeDelta::days(60), today + chrono::TimeDelta::days(1));
    let range = format!("from={from}&to={to}");
    let path = format!("/api/v1/reports/distributor-sales?{range}");

    let r = app.get(&path, &manager).await;
    r.expect(200);
    assert_eq!(r.body["distributor"]["id"], acme);
    assert!(r.body.get("campaign").is_none(), "the distributor report has no campaign key");
    assert_eq!(file_name(&r), "acme-promo_distributor-sales.json");
    let expected: rust_decimal::Decimal = sqlx::query_scalar(
        "SELECT coalesce(sum(subtotal), 0) FROM orders WHERE distributor_id = $1 AND status <> 'cancelled' \
         AND (created_at AT TIME ZONE 'UTC')::date BETWEEN $2 AND $3",
    )
    .bind(acme)
    .bind(from)
    .bind(to)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(expected > rust_decimal::Decimal::ZERO, "the demo has sales");
    for table in r.body["tables"].as_array().unwrap() {
        let meta = table["meta"].as_array().unwrap();
        let total = meta.iter().find(|m| m["label"] == "Total sales").unwrap();
        assert_eq!(total["value"], expected.round_dp(2).to_string(), "{}", table["name"]);
    }
    // Naming their own distributor is the same; another's is 404.
    app.get(&format!("{path}&distributor_id={acme}"), &manager).await.expect(200);
    app.get(&format!("{path}&distributor_id={globex}"), &manager).await.expect(404);
    // A super admin names it.
    let r = app.get(&path, &admin).await;
    r.expect(400);
    assert_eq!(r.body["errors"][0]["field"], "distributor_id");
    app.get(&format!("{path}&distributor_id={globex}"), &admin).await.expect(200);
    // Admin buyers may not.
    app.get(&path, &buyer).await.expect(403);
    // CSV: two tables, a ZIP; one table, a CSV; and the page has its chart.
    let r = app.get(&format!("{path}&format=csv"), &manager).await;
    assert_eq!(r.header("content-type"), Some("application/zip"));
    let r = app.get(&format!("{path}&format=csv&table=sales-per-day"), &manager).await;
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(file_name(&r), "acme-promo_distributor-sales_sales-per-day.csv");
    let r = app.get_with(&path, &manager, &[("Accept", "text/html")]).await;
    assert!(r.text.contains("<svg"));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn reports_read_the_replica_when_one_is_configured(pool: PgPool) {
    seeders::demo(&pool).await.unwrap();
    let c = campaign(&pool, "Acme Promo", "active").await;
    // The "replica": the same database through a statement-counting proxy,
    // read-only, so a report that wrote would fail.
    let options = pool.connect_options().as_ref().clone();
    let upstream = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = crate::wire::CountingProxy::start(upstream).await;
    let replica = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(
            options
                .host("127.0.0.1")
                .port(proxy.addr.port())
                .ssl_mode(sqlx::postgres::PgSslMode::Disable)
                .options([("default_transaction_read_only", "on")]),
        )
        .await
        .unwrap();
    let state = api::AppState::with_read_pool(
        pool.clone(),
        Some(replica),
        crate::helpers::redis_cache().await,
        api::ApiConfig::default(),
        None,
    );
    assert!(std::ptr::eq(state.reports_pool(), state.read_pool.as_ref().unwrap()));
    let app = TestApp::from_state(pool.clone(), state);
    let manager = token(&app, "manager").await;
    let read = |n: &std::sync::atomic::AtomicUsize| n.load(std::sync::atomic::Ordering::SeqCst);
    let before = read(&proxy.statements);
    for format in ["json", "csv", "xlsx", "html"] {
        app.get(&url("all", c, &format!("?format={format}")), &manager).await.expect(200);
    }
    let today = chrono::Utc::now().date_naive();
    app.get(&format!("/api/v1/reports/distributor-sales?from={today}&to={today}"), &manager).await.expect(200);
    let after = read(&proxy.statements);
    assert!(after - before >= 4 * 12, "the reports read the replica: {} statements", after - before);
    // The catalog of reports (the caller's access, no rows) reads the
    // primary; lists read the replica too.
    let before = read(&proxy.statements);
    app.get("/api/v1/reports", &manager).await.expect(200);
    assert_eq!(read(&proxy.statements), before);
    app.get("/api/v1/organization/campaigns", &manager).await.expect(200);
    assert!(read(&proxy.statements) > before, "a list reads the replica");
}
