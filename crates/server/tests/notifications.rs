//! The job queue and its notifications against real parts: a fresh
//! PostgreSQL database per test, a real SMTP server (aiosmtpd) receiving the
//! mail, `promostore worker` processes killed for real.
//!
//! What must hold: every mail arrives exactly once, with the right
//! recipients, subject and amounts; a worker killed mid-job loses it to
//! another once its lease runs out; an SMTP server that refuses gives
//! retries, then a dead job and a `notification_failed` event, and a staff
//! retry after the server is back sends the mail once; 1,000 checkouts give
//! 1,000 confirmations with two worker processes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use common::{Smtp, free_port, jobs_in, quick, scratch, unfinished, wait_for, worker_process, workers};
use poem::test::TestClient;
use serde_json::{Value, json};
use server::mail::templates::dollars;
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The demo data, with every job it queued finished except `keep` (by
/// kind), so a test starts from the jobs it is about.
async fn demo(pool: &PgPool, keep: &[&str]) -> Vec<i64> {
    seeders::demo(pool).await.unwrap();
    sqlx::query("UPDATE jobs SET state = 'done', finished_at = now() WHERE NOT (kind = ANY($1))")
        .bind(keep)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query_scalar("SELECT id FROM jobs WHERE state = 'queued' ORDER BY id").fetch_all(pool).await.unwrap()
}

/// An order as its mails must show it: (number, shopper e-mail, subtotal,
/// allowance applied, payroll deduction).
async fn order_facts(pool: &PgPool, order: i64) -> (String, String, String, String, String) {
    let (number, email, subtotal, allowance, payroll): (String, String, rust_decimal::Decimal, _, _) = sqlx::query_as(
        "SELECT o.number, a.email, o.subtotal, o.allowance_applied, o.payroll_deduction \
             FROM orders o JOIN accounts a ON a.id = o.account_id WHERE o.id = $1",
    )
    .bind(order)
    .fetch_one(pool)
    .await
    .unwrap();
    (number, email, dollars(subtotal), dollars(allowance), dollars(payroll))
}

/// The order's events of `kind`, as their messages.
async fn events(pool: &PgPool, order: i64, kind: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT message FROM order_events WHERE order_id = $1 AND kind = $2 ORDER BY id")
        .bind(order)
        .bind(kind)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn state_of(pool: &PgPool, job: i64) -> String {
    sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1").bind(job).fetch_one(pool).await.unwrap()
}

async fn order_of(pool: &PgPool, job: i64) -> i64 {
    sqlx::query_scalar("SELECT (payload ->> 'order_id')::int8 FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn each_mail_arrives_once_with_its_recipients_and_amounts(pool: PgPool) {
    let queued = demo(&pool, &["order_confirmation", "new_order_notice"]).await;
    assert_eq!(queued.len(), 4, "the demo's two orders each queued a confirmation and a notice");
    let dir = scratch("each-mail");
    let smtp = Smtp::start(free_port(), &dir.join("maildir")).await;
    let running = workers(&pool, &smtp.url(), quick(2));
    wait_for("the queue to drain", Duration::from_secs(30), || async { unfinished(&pool).await == 0 }).await;

    let mails = smtp.received();
    assert_eq!(mails.len(), 4, "{mails:#?}");
    let orders: Vec<i64> = sqlx::query_scalar("SELECT id FROM orders ORDER BY id").fetch_all(&pool).await.unwrap();
    for order in orders {
        let (number, email, subtotal, allowance, payroll) = order_facts(&pool, order).await;
        let confirmation: Vec<_> =
            mails.iter().filter(|m| m.subject.starts_with(&format!("Order {number} confirmed"))).collect();
        assert_eq!(confirmation.len(), 1, "one confirmation of {number}");
        let c = confirmation[0];
        assert_eq!(c.to, std::slice::from_ref(&email));
        assert_eq!(c.message_id, format!("<order-{order}.order_confirmation.v1@acme-promo.example>"));
        assert!(c.body.contains(&format!("): {subtotal}")), "the subtotal {subtotal} in {}", c.body);
        assert!(c.body.contains(&format!("Company allowance applied: {allowance}")));
        assert!(c.body.contains(&format!("Payroll deduction: {payroll}")));
        let buyers: Vec<String> = sqlx::query_scalar(
            "SELECT a.email FROM orders o JOIN campaign_members m ON m.campaign_id = o.campaign_id \
             JOIN accounts a ON a.id = m.account_id WHERE o.id = $1 AND a.role = 'admin_buyer' AND a.active ORDER BY a.id",
        )
        .bind(order)
        .fetch_all(&pool)
        .await
        .unwrap();
        let notice: Vec<_> = mails.iter().filter(|m| m.subject.starts_with(&format!("New order {number} "))).collect();
        assert_eq!(notice.len(), 1, "one notice of {number}");
        assert_eq!(notice[0].to, buyers);
        assert!(notice[0].body.contains(&email), "the notice names the shopper");
        // The history says what was sent, to whom.
        // Two workers send the two mails in either order.
        let mut sent = events(&pool, order, "notification_sent").await;
        sent.sort();
        let mut expected =
            [format!("order confirmation sent to {email}"), format!("new-order notice sent to {}", buyers.join(", "))];
        expected.sort();
        assert_eq!(sent, expected);
    }

    // A job that runs again (its worker sent the mail, then died before
    // marking it done) sends nothing: the notification's key is taken.
    sqlx::query("UPDATE jobs SET state = 'queued', attempts = 0, finished_at = NULL").execute(&pool).await.unwrap();
    wait_for("the replayed jobs", Duration::from_secs(30), || async { unfinished(&pool).await == 0 }).await;
    assert_eq!(smtp.received().len(), 4, "a replayed job sent a second mail");
    let sent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE state = 'sent'").fetch_one(&pool).await.unwrap();
    assert_eq!(sent, 4);
    running.stop().await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_killed_workers_job_is_finished_by_another_and_mailed_once(pool: PgPool) {
    let queued = demo(&pool, &["order_confirmation"]).await;
    let job = queued[0];
    sqlx::query("UPDATE jobs SET state = 'done', finished_at = now() WHERE id <> $1")
        .bind(job)
        .execute(&pool)
        .await
        .unwrap();
    let dir = scratch("killed-worker");

    // An SMTP server that accepts the connection and never answers: the
    // worker process is stuck in the middle of its job, holding the lease
    // it keeps extending. Then it is killed (SIGKILL: no clean-up at all).
    let blackhole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stuck = format!("smtp://127.0.0.1:{}", blackhole.local_addr().unwrap().port());
    let mut doomed =
        worker_process(&pool, &dir, &[("SMTP_URL", stuck), ("WORKERS", "1".into()), ("JOB_LEASE_SECONDS", "1".into())]);
    wait_for("the worker process to claim the job", Duration::from_secs(30), || async {
        jobs_in(&pool, "running").await == 1
    })
    .await;
    // Past a heartbeat: the lease is being extended, not just taken.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(jobs_in(&pool, "running").await, 1, "the stuck worker keeps its lease alive");
    doomed.child.kill().unwrap();
    doomed.child.wait().unwrap();

    let smtp = Smtp::start(free_port(), &dir.join("maildir")).await;
    let running = workers(&pool, &smtp.url(), quick(1));
    wait_for("another worker to finish the job", Duration::from_secs(30), || async {
        state_of(&pool, job).await == "done"
    })
    .await;
    running.stop().await;

    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let (attempts, errors): (i32, Value) =
        sqlx::query_as("SELECT attempts, errors FROM jobs WHERE id = $1").bind(job).fetch_one(&pool).await.unwrap();
    assert_eq!(attempts, 2, "the killed attempt counts");
    assert!(errors[0]["error"].as_str().unwrap().contains("lease expired"), "{errors}");
    let order = order_of(&pool, job).await;
    assert_eq!(events(&pool, order, "notification_sent").await.len(), 1);
    drop(blackhole);
}

/// Logs in through the API and returns the access token.
async fn login<E: poem::Endpoint>(cli: &TestClient<E>, username: &str, password: &str) -> String {
    let r = cli.post("/api/v1/auth/login").body_json(&json!({"username": username, "password": password})).send().await;
    r.assert_status_is_ok();
    let body: Value = serde_json::from_str(&r.0.into_body().into_string().await.unwrap()).unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn app(pool: &PgPool) -> TestClient<impl poem::Endpoint + use<>> {
    let state = api::AppState::new(
        pool.clone(),
        storage::Cache::local(&format!("jobs-test-{}:", std::process::id())),
        api::ApiConfig::default(),
        None,
    );
    TestClient::new(api::app(state))
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_refusing_smtp_server_kills_the_job_and_a_staff_retry_sends_it_once(pool: PgPool) {
    let queued = demo(&pool, &["order_confirmation"]).await;
    let job = queued[0];
    sqlx::query("UPDATE jobs SET state = 'done', finished_at = now() WHERE id <> $1")
        .bind(job)
        .execute(&pool)
        .await
        .unwrap();
    let order = order_of(&pool, job).await;
    let port = free_port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");

    // Nobody listens: three attempts with backoff, then dead.
    let running = workers(&pool, &smtp_url, quick(1));
    wait_for("the job to die", Duration::from_secs(30), || async { state_of(&pool, job).await == "dead" }).await;
    running.stop().await;
    let (attempts, errors, last_error): (i32, Value, String) =
        sqlx::query_as("SELECT attempts, errors, last_error FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(attempts, 3);
    let errors = errors.as_array().unwrap();
    assert_eq!(errors.iter().map(|e| e["attempt"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(last_error.starts_with("SMTP"), "{last_error}");
    let failed = events(&pool, order, "notification_failed").await;
    assert_eq!(failed, [format!("order confirmation could not be sent (job {job}: staff can retry it)")]);
    assert!(events(&pool, order, "notification_sent").await.is_empty());

    // The server is back; the Acme manager retries through the API.
    let dir = scratch("refusing-smtp");
    let smtp = Smtp::start(port, &dir.join("maildir")).await;
    let running = workers(&pool, &smtp_url, quick(1));
    let cli = app(&pool);
    let manager = login(&cli, "manager", "manager-demo").await;
    let r =
        cli.post(format!("/api/v1/jobs/{job}/retry")).header("Authorization", format!("Bearer {manager}")).send().await;
    r.assert_status_is_ok();
    wait_for("the retried job", Duration::from_secs(30), || async { state_of(&pool, job).await == "done" }).await;
    running.stop().await;

    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM order_events WHERE order_id = $1 AND kind LIKE 'notification%' ORDER BY id",
    )
    .bind(order)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(kinds, ["notification_failed", "notification_sent"]);
    let retries: i32 =
        sqlx::query_scalar("SELECT retries FROM jobs WHERE id = $1").bind(job).fetch_one(&pool).await.unwrap();
    assert_eq!(retries, 1);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_thousand_checkouts_give_a_thousand_confirmations_with_two_worker_processes(pool: PgPool) {
    demo(&pool, &[]).await;
    assert_eq!(unfinished(&pool).await, 0);
    let before: i64 = sqlx::query_scalar("SELECT max(id) FROM orders").fetch_one(&pool).await.unwrap();
    // The demo's open Acme campaign, without its per-shopper limits.
    let (campaign, fields): (i64, Value) = sqlx::query_as(
        "UPDATE campaigns c SET items_count_limit = NULL, price_limit = NULL \
         FROM orders o WHERE o.campaign_id = c.id AND c.status = 'active' AND c.name = 'Initech Welcome Kits' \
         RETURNING c.id, o.checkout_fields",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let item: i64 = sqlx::query_scalar("SELECT id FROM campaign_items WHERE campaign_id = $1 ORDER BY price LIMIT 1")
        .bind(campaign)
        .fetch_one(&pool)
        .await
        .unwrap();

    let dir = scratch("thousand");
    let smtp = Smtp::start(free_port(), &dir.join("maildir")).await;
    let env = [("SMTP_URL", smtp.url()), ("WORKERS", "2".to_owned())];
    let _first = worker_process(&pool, &dir, &env);
    let _second = worker_process(&pool, &dir, &env);

    let cli = std::sync::Arc::new(app(&pool));
    let mut shoppers = Vec::new();
    for n in 1..=3 {
        shoppers.push(login(&cli, &format!("acme.shopper{n}"), "shopper-demo").await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (s, token) in shoppers.into_iter().enumerate() {
        let (cli, fields) = (cli.clone(), fields.clone());
        let count = if s == 0 { 334 } else { 333 };
        tasks.spawn(async move {
            for i in 0..count {
                let auth = format!("Bearer {token}");
                cli.put(format!("/api/v1/storefront/campaigns/{campaign}/basket/items/{item}"))
                    .header("Authorization", &auth)
                    .body_json(&json!({"quantity": 1}))
                    .send()
                    .await
                    .assert_status_is_ok();
                let r = cli
                    .post(format!("/api/v1/storefront/campaigns/{campaign}/checkout"))
                    .header("Authorization", &auth)
                    .header("Idempotency-Key", format!("thousand-{s}-{i}"))
                    .body_json(&json!({"checkout_fields": fields}))
                    .send()
                    .await;
                r.assert_status(poem::http::StatusCode::CREATED);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let placed: Vec<String> =
        sqlx::query_scalar("SELECT number FROM orders WHERE id > $1").bind(before).fetch_all(&pool).await.unwrap();
    let placed: BTreeSet<String> = placed.into_iter().collect();
    assert_eq!(placed.len(), 1000);
    wait_for("2,000 mails through two worker processes", Duration::from_secs(180), || async {
        unfinished(&pool).await == 0
    })
    .await;

    let mails = smtp.received();
    let mut confirmations: BTreeMap<String, usize> = BTreeMap::new();
    for m in mails.iter().filter(|m| m.subject.contains(" confirmed: ")) {
        let number = m.subject.trim_start_matches("Order ").split(' ').next().unwrap().to_owned();
        *confirmations.entry(number).or_default() += 1;
    }
    assert_eq!(confirmations.keys().cloned().collect::<BTreeSet<_>>(), placed, "one confirmation per order placed");
    assert!(confirmations.values().all(|n| *n == 1), "a confirmation arrived twice");
    let ids: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), mails.len(), "no Message-ID twice");
    assert_eq!(jobs_in(&pool, "dead").await, 0);
    let by_worker: Vec<(String, i64)> = sqlx::query_as(
        "SELECT substring(worker FROM '-([0-9]+)-[0-9]+$'), count(*) FROM jobs \
         WHERE kind = 'order_confirmation' AND worker IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(by_worker.len(), 2, "both processes took jobs: {by_worker:?}");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_worker_stopping_mid_job_puts_it_back_uncounted(pool: PgPool) {
    let queued = demo(&pool, &["order_confirmation"]).await;
    let job = queued[0];
    sqlx::query("UPDATE jobs SET state = 'done', finished_at = now() WHERE id <> $1")
        .bind(job)
        .execute(&pool)
        .await
        .unwrap();
    // Stuck in the SMTP exchange past the grace period.
    let blackhole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stuck = format!("smtp://127.0.0.1:{}", blackhole.local_addr().unwrap().port());
    let settings = server::worker::Settings { grace: Duration::from_millis(300), ..quick(1) };
    let running = workers(&pool, &stuck, settings);
    wait_for("the claim", Duration::from_secs(30), || async { state_of(&pool, job).await == "running" }).await;
    running.stop().await;
    let (state, attempts, lease): (String, i32, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT state, attempts, lease_until FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts, lease), ("queued", 0, None), "released, the attempt not counted");
    assert!(events(&pool, order_of(&pool, job).await, "notification_sent").await.is_empty());
    drop(blackhole);
}
