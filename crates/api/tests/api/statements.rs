//! The number of SQL statements per request does not grow with the page,
//! nor with the number of distinct related rows. Statements are counted at
//! the database's door ([`crate::wire`]), so a query sent from a spawned task
//! or another connection counts as much as any other.

use crate::helpers::{TestApp, World, enc};
use sqlx::PgPool;
use std::sync::atomic::Ordering;

/// The statements `request` makes, and its output. `app` must be
/// [`TestApp::counted`], and nothing else may use it meanwhile.
pub(crate) async fn statements_of<T>(app: &TestApp, request: impl std::future::Future<Output = T>) -> (usize, T) {
    let counter = app.statements.as_ref().expect("a TestApp::counted application");
    let before = counter.load(Ordering::SeqCst);
    let out = request.await;
    (counter.load(Ordering::SeqCst) - before, out)
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

    // The read of one account with the same mask: 4 (no count).
    let (one, _) = statements_for(&app, &format!("/api/v1/organization/accounts/2?fields={mask}"), &token).await;
    assert_eq!(one, 4);
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
