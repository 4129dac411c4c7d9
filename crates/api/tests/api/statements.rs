//! The number of SQL statements per request does not grow with the page,
//! nor with the number of distinct related rows. Statements are counted at
//! the database's door ([`crate::wire`]), so a query sent from a spawned task
//! or another connection counts as much as any other.

use crate::helpers::{TestApp, World, enc};
use sqlx::PgPool;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// The statements `request` makes, and its output. `app` must be
/// [`TestApp::counted`], and nothing else may use it meanwhile.
pub(crate) async fn statements_of<T>(app: &TestApp, request: impl std::future::Future<Output = T>) -> (usize, T) {
    let counter = app.statements.as_ref().expect("a TestApp::counted application");
    let before = counter.load(Ordering::SeqCst);
    let out = request.await;
    (counter.load(Ordering::SeqCst) - before, out)
}

/// Compares `lines` with the pinned file `tests/api/golden/<name>`: the SQL
/// statements every allowed write of a matrix costs, so a write that starts
/// costing more (an N+1, a forgotten batch) fails until the file is
/// regenerated on purpose with `UPDATE_GOLDEN=1`.
pub(crate) fn assert_golden(name: &str, lines: &[String]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/golden").join(name);
    let mut lines = lines.to_vec();
    lines.sort();
    let text = format!("{}\n", lines.join("\n"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    let (pinned, now): (BTreeSet<&str>, BTreeSet<&str>) = (pinned.lines().collect(), text.lines().collect());
    let gone: Vec<&&str> = pinned.difference(&now).collect();
    let new: Vec<&&str> = now.difference(&pinned).collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "statements per write differ from {}:\npinned: {gone:#?}\nnow: {new:#?}\n(UPDATE_GOLDEN=1 rewrites it)",
        path.display()
    );
}

/// The statements of a GET that must answer 200, and the number of items it listed.
pub(crate) async fn statements_for(app: &TestApp, url: &str, token: &str) -> (usize, usize) {
    let (n, r) = statements_of(app, app.get(url, token)).await;
    r.expect(200);
    (n, r.body.as_array().map_or(1, Vec::len))
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn statements_per_request_do_not_grow_with_the_page(pool: PgPool) {
    let app = TestApp::counted(pool.clone()).await;
    World::build(&app).await;
    // 120 more accounts over 60 more distributors, so a bigger page also
    // reaches more distinct related rows (an N+1 over them would show).
    sqlx::query(
        "WITH d AS (INSERT INTO distributors (name) SELECT 'Bulk ' || k FROM generate_series(1, 60) k RETURNING id), \
              n AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM d) \
         INSERT INTO accounts (username, email, password_hash, role, distributor_id) \
         SELECT 'bulk' || g, 'bulk' || g || '@example.com', 'x', 'shopper', n.id \
         FROM generate_series(1, 120) g JOIN n ON n.k = g % 60",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (token, _) = app.login("root").await;
    let mask = enc("{id,username,email,distributor{id,name,accounts{username,distributor{name}}}}");
    let filter = enc(
        r#"[{"field":"role","op":"in","value":["shopper","admin_buyer"]},{"model":"Distributor","field":"name","op":"ilike","value":"%"}]"#,
    );
    // Warm: the connections are open and the caller's account state cached.
    statements_for(&app, "/api/v1/organization/accounts?page_size=1", &token).await;
    let mut counts = Vec::new();
    for size in [1, 10, 100] {
        let url = format!("/api/v1/organization/accounts?page_size={size}&fields={mask}&filter={filter}&count=exact");
        let (statements, rows) = statements_for(&app, &url, &token).await;
        assert_eq!(rows, size, "page size {size}");
        counts.push(statements);
    }
    // Main query + count + distributor + its accounts + their distributor.
    assert_eq!(counts, [5, 5, 5], "statements for page sizes 1, 10, 100");

    // The read of one account with the same mask: 3 (no count, and its
    // distributor is read in the account's own statement).
    let (one, _) = statements_for(&app, &format!("/api/v1/organization/accounts/2?fields={mask}"), &token).await;
    assert_eq!(one, 3);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn campaign_relations_load_in_batches(pool: PgPool) {
    let app = TestApp::counted(pool.clone()).await;
    World::build(&app).await;
    // 120 campaigns of Acme, each with 2 locations of its own, Acme's buyer
    // and shopper, and a shopper of its own as members: a bigger page reaches
    // more distinct members and locations.
    sqlx::query(
        "WITH d AS (SELECT id FROM distributors WHERE name = 'Acme'), \
         c AS (INSERT INTO campaigns (distributor_id, name) SELECT d.id, 'Bulk ' || g FROM d, generate_series(1, 120) g RETURNING id, distributor_id), \
         l AS (INSERT INTO locations (campaign_id, distributor_id, nickname) SELECT c.id, c.distributor_id, 'Site ' || k FROM c, generate_series(1, 2) k), \
         own AS (INSERT INTO accounts (username, email, password_hash, role, distributor_id) \
                 SELECT 'member' || c.id, 'member' || c.id || '@example.com', 'x', 'shopper', c.distributor_id FROM c \
                 RETURNING id, distributor_id, username) \
         INSERT INTO campaign_members (campaign_id, account_id, distributor_id) \
         SELECT c.id, a.id, c.distributor_id FROM c JOIN accounts a ON a.distributor_id = c.distributor_id AND a.role IN ('shopper', 'admin_buyer') \
                                                    AND a.username IN ('acme_buyer', 'acme_shopper') \
         UNION ALL SELECT c.id, own.id, c.distributor_id FROM c JOIN own ON own.username = 'member' || c.id",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (token, _) = app.login("acme_sales").await;
    let mask = enc("{id,name,status,locations{city},accounts{username,distributor{name}}}");
    statements_for(&app, "/api/v1/organization/campaigns?page_size=1", &token).await;
    let mut counts = Vec::new();
    for size in [1, 10, 100] {
        let url = format!("/api/v1/organization/campaigns?page_size={size}&fields={mask}");
        let (statements, rows) = statements_for(&app, &url, &token).await;
        assert_eq!(rows, size);
        counts.push(statements);
    }
    // Main query + locations + members + the members' distributor.
    assert_eq!(counts, [4, 4, 4], "statements for page sizes 1, 10, 100");
}

/// The id a nested list's `{id}` names: the parent with the most children,
/// so the bigger page is a full one.
fn parent_of(path: &str) -> Option<&'static str> {
    Some(match path {
        "/api/v1/organization/campaigns/{id}/members" => {
            "SELECT campaign_id FROM campaign_members GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        }
        "/api/v1/organization/campaigns/{id}/locations" => {
            "SELECT campaign_id FROM locations GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        }
        "/api/v1/catalog/attributes/{id}/values" => {
            "SELECT attribute_id FROM attribute_values GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        }
        "/api/v1/catalog/products/{id}/variants" => {
            "SELECT product_id FROM product_variants GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        }
        "/api/v1/storefront/campaigns/{id}/products" => {
            "SELECT campaign_id FROM campaign_items i JOIN campaigns c ON c.id = i.campaign_id \
             WHERE c.status = 'active' AND c.start_date <= current_date AND c.end_date >= current_date \
             GROUP BY 1 ORDER BY count(DISTINCT product_id) DESC, 1 LIMIT 1"
        }
        "/api/v1/orders/{id}/events" => {
            "SELECT order_id FROM order_events GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        }
        "/api/v1/orders/{id}/notes" => "SELECT order_id FROM order_notes GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        _ => return None,
    })
}

/// Every list of the spec, on seeded data (`seed --scale small`), with
/// every field and every relation expanded, costs the same statements for
/// one row as for a page of 25, whose rows reach many distinct related rows.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_list_costs_the_same_statements_at_any_page_size(pool: PgPool) {
    let options = seeders::Options { rng_seed: 7, ..seeders::Options::new(seeders::Scale::SMALL) };
    seeders::seed(&pool, &options, &mut seeders::Progress::silent()).await.unwrap();
    // Some stores open today, whatever day the test runs.
    sqlx::query(
        "UPDATE campaigns SET start_date = current_date - 1, end_date = current_date + 30 WHERE status = 'active'",
    )
    .execute(&pool)
    .await
    .unwrap();
    // The seeders upload no files: 40 file records over the distributors, by many uploaders.
    sqlx::query(
        "INSERT INTO resources (distributor_id, sha256, content_type, size, original_name, created_by) \
         SELECT a.distributor_id, encode(sha256(a.id::text::bytea), 'hex'), 'image/png', 10, 'f.png', a.id \
         FROM accounts a WHERE a.distributor_id IS NOT NULL ORDER BY a.id LIMIT 40",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Nor do they work orders yet: one order gets a history by several
    // staff, and notes by several authors with edited texts.
    sqlx::query(
        "WITH o AS (SELECT id, distributor_id FROM orders ORDER BY id LIMIT 1), \
              staff AS (SELECT a.id, row_number() OVER (ORDER BY a.id) AS k FROM accounts a, o \
                        WHERE a.distributor_id = o.distributor_id AND a.role <> 'shopper' LIMIT 6), \
              e AS (INSERT INTO order_events (order_id, distributor_id, kind, message, actor_id) \
                    SELECT o.id, o.distributor_id, 'status_changed', 'step ' || staff.k, staff.id FROM o, staff) \
         INSERT INTO order_notes (order_id, distributor_id, author_id, edited_by, body) \
         SELECT o.id, o.distributor_id, staff.id, staff.id, 'note ' || staff.k FROM o, staff",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE order_notes SET body = body || ' (edited)', edited_by = author_id")
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::counted(pool.clone()).await;
    let login = app.login_as("admin", "admin").await;
    login.expect(200);
    let token = login.body["access_token"].as_str().unwrap().to_owned();
    let spec: serde_json::Value = serde_json::from_str(&api::document::document()).unwrap();
    let mut measured = Vec::new();
    let mut problems = Vec::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let Some(schema) = get["responses"]["200"]["content"].as_object().and_then(|c| c.values().next()) else {
            continue;
        };
        let schema = &schema["schema"];
        if schema["type"] != "array" {
            continue;
        }
        let model = schema["items"]["$ref"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default();
        let Some(resource) = domain::resource::by_model(model) else { continue };
        let path = match parent_of(template) {
            Some(sql) => {
                let id: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                template.replace("{id}", &id.to_string())
            }
            None if template.contains('{') => panic!("no parent for {template}: add it to parent_of"),
            None => template.clone(),
        };
        let relations: Vec<String> = resource.relations.iter().map(|r| format!("{}{{*}}", r.name)).collect();
        let mask = enc(&format!("{{*{}}}", relations.iter().map(|r| format!(",{r}")).collect::<String>()));
        let url = |size: usize| format!("{path}?page_size={size}&fields={mask}");
        // Warm with another page size: a cached list (the storefront's) must
        // build both measured pages.
        statements_for(&app, &url(2), &token).await;
        let (one, _) = statements_for(&app, &url(1), &token).await;
        let (page, rows) = statements_for(&app, &url(25), &token).await;
        if rows < 2 {
            problems.push(format!("{template}: only {rows} rows on seeded data; the comparison proves nothing"));
        }
        if one != page {
            problems.push(format!("{template}: {one} statements for 1 row, {page} for {rows}"));
        }
        measured.push(format!("{template} {page}"));
    }
    assert!(measured.len() >= 15, "lists measured: {measured:?}");
    assert!(problems.is_empty(), "{problems:#?}");
}
