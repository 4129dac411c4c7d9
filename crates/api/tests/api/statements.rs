//! The number of SQL statements per request does not grow with the page size.

use crate::helpers::{TestApp, World, enc};
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing_subscriber::layer::SubscriberExt;

tokio::task_local! {
    /// The counter of the request being measured.
    static COUNTER: Arc<AtomicUsize>;
}

/// Counts sqlx's per-statement log events into the current task's counter.
struct CountStatements;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let _ = COUNTER.try_with(|c| c.fetch_add(1, Ordering::SeqCst));
        }
    }
}

/// One global subscriber for the whole test binary: per-future subscribers
/// race with tracing's per-callsite interest cache when tests run in parallel.
fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE))
            .with(CountStatements);
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// The SQL statements `request` makes (it must run in this task), and its output.
pub(crate) async fn statements_of<T>(request: impl std::future::Future<Output = T>) -> (usize, T) {
    install();
    let counter = Arc::new(AtomicUsize::new(0));
    let out = COUNTER.scope(counter.clone(), request).await;
    (counter.load(Ordering::SeqCst), out)
}

pub(crate) async fn statements_for(app: &TestApp, url: &str, token: &str) -> (usize, usize) {
    install();
    let counter = Arc::new(AtomicUsize::new(0));
    let r = COUNTER.scope(counter.clone(), app.get(url, token)).await;
    r.expect(200);
    (counter.load(Ordering::SeqCst), r.body.as_array().map_or(1, Vec::len))
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn statements_per_request_do_not_grow_with_the_page(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    // 120 more accounts spread over the two distributors.
    sqlx::query(
        "INSERT INTO accounts (username, email, password_hash, role, distributor_id) \
         SELECT 'bulk' || g, 'bulk' || g || '@example.com', 'x', 'shopper', (SELECT min(id) FROM distributors) + g % 2 \
         FROM generate_series(1, 120) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (token, _) = app.login("root").await;
    let mask = enc("{id,username,email,distributor{id,name,accounts{username,distributor{name}}}}");
    let filter = enc(
        r#"[{"field":"role","op":"in","value":["shopper","admin_buyer"]},{"model":"Distributor","field":"name","op":"ilike","value":"%"}]"#,
    );
    // The first request after installing the subscriber registers sqlx's
    // callsites with it; measure after that.
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
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    // 120 campaigns of Acme, each with 2 locations and Acme's buyer and shopper as members.
    sqlx::query(
        "WITH d AS (SELECT id FROM distributors WHERE name = 'Acme'), \
         c AS (INSERT INTO campaigns (distributor_id, name) SELECT d.id, 'Bulk ' || g FROM d, generate_series(1, 120) g RETURNING id, distributor_id), \
         l AS (INSERT INTO locations (campaign_id, distributor_id, nickname) SELECT c.id, c.distributor_id, 'Site ' || k FROM c, generate_series(1, 2) k) \
         INSERT INTO campaign_members (campaign_id, account_id, distributor_id) \
         SELECT c.id, a.id, c.distributor_id FROM c JOIN accounts a ON a.distributor_id = c.distributor_id AND a.role IN ('shopper', 'admin_buyer')",
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
