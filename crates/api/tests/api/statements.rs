//! The number of SQL statements per request does not grow with the page size.

use crate::helpers::{TestApp, World, enc};
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::SubscriberExt;

/// Counts sqlx's per-statement log events.
struct CountStatements(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn statements_for(app: &TestApp, url: &str, token: &str) -> (usize, usize) {
    let counter = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE))
        .with(CountStatements(counter.clone()));
    let r = app.get(url, token).with_subscriber(subscriber).await;
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
