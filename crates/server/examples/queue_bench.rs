//! The job queue's throughput and what the outbox write adds to checkout,
//! on a scratch database (`bench/queue.sh` runs it on a release build):
//!
//! 1. no-op jobs through 2 workers: the queue's own cost (claim, complete);
//! 2. order confirmations through 2 workers into the `.eml` file sink: the
//!    whole notification path (read the order, claim the key, render both
//!    bodies, write the file, mark it sent, record the event), each job a
//!    distinct notification key so none is skipped;
//! 3. the outbox write on its own, as checkout does it (two job rows from one
//!    `INSERT … SELECT`), timed server-side with `EXPLAIN ANALYZE` inside a
//!    transaction that rolls back, next to the same for the order row.
//!
//! Usage: `queue_bench [--noop N] [--mail N] [--samples N]`; `DATABASE_URL`
//! names the server (a database `promostore_queue_bench` is made afresh).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails by panicking")]

use sqlx::{PgPool, Row};
use std::time::{Duration, Instant};

fn arg(name: &str, default: i64) -> i64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn drain(pool: &PgPool, count: usize, sink: Option<server::mail::Sink>) -> (Duration, i64) {
    let mailer = sink.map(|s| server::mail::Mailer::new(&s, "promostore <bench@promostore.localhost>").unwrap());
    let context = server::worker::handlers::Context {
        pool: pool.clone(),
        mailer,
        templates: std::sync::Arc::new(server::mail::templates::Templates::new().unwrap()),
    };
    let settings = server::worker::Settings { count, poll: Duration::from_millis(5), ..Default::default() };
    let started = Instant::now();
    let workers = server::worker::Workers::start(pool.clone(), context, settings);
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state <> 'done' AND state <> 'dead'")
            .fetch_one(pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();
    workers.stop().await;
    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state = 'done'").fetch_one(pool).await.unwrap();
    (elapsed, done)
}

/// The server-side execution time of `sql` (EXPLAIN ANALYZE), in ms, in a
/// transaction that rolls back.
async fn execution_ms(pool: &PgPool, sql: &str) -> f64 {
    let mut tx = pool.begin().await.unwrap();
    // The statements are this file's own constants with numbers from the database.
    let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, TIMING OFF) {sql}")))
        .fetch_all(&mut *tx)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    tx.rollback().await.unwrap();
    plan.iter()
        .find_map(|l| l.strip_prefix("Execution Time: ").and_then(|t| t.trim_end_matches(" ms").parse().ok()))
        .unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let noops = arg("--noop", 50_000);
    let mails = arg("--mail", 5_000);
    let samples = arg("--samples", 2_000);
    let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/x".into());
    let (server, _) = base.rsplit_once('/').unwrap();
    let admin = PgPool::connect(&format!("{server}/postgres")).await.unwrap();
    sqlx::query("DROP DATABASE IF EXISTS promostore_queue_bench WITH (FORCE)").execute(&admin).await.unwrap();
    sqlx::query("CREATE DATABASE promostore_queue_bench").execute(&admin).await.unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(&format!("{server}/promostore_queue_bench"))
        .await
        .unwrap();
    storage::db::migrate(&pool).await.unwrap();
    seeders::demo(&pool).await.unwrap();
    sqlx::query("DELETE FROM jobs").execute(&pool).await.unwrap();

    println!("| measurement | jobs | seconds | jobs/s |");
    println!("|---|---:|---:|---:|");
    storage::jobs::enqueue_noops(&pool, noops).await.unwrap();
    sqlx::query("VACUUM ANALYZE jobs").execute(&pool).await.unwrap();
    let (t, done) = drain(&pool, 2, None).await;
    assert_eq!(done, noops);
    println!("| no-op jobs, 2 workers | {done} | {:.2} | {:.0} |", t.as_secs_f64(), done as f64 / t.as_secs_f64());

    sqlx::query("DELETE FROM jobs").execute(&pool).await.unwrap();
    let order: i64 = sqlx::query_scalar("SELECT min(id) FROM orders").fetch_one(&pool).await.unwrap();
    // Distinct versions are distinct notification keys: every job sends.
    sqlx::query(
        "INSERT INTO jobs (distributor_id, kind, payload) \
         SELECT o.distributor_id, 'order_confirmation', jsonb_build_object('order_id', o.id, 'version', v) \
         FROM orders o, generate_series(1000, 999 + $2) v WHERE o.id = $1",
    )
    .bind(order)
    .bind(mails)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE jobs").execute(&pool).await.unwrap();
    let dir = std::env::temp_dir().join(format!("promostore-queue-bench-{}", std::process::id()));
    let (t, done) = drain(&pool, 2, Some(server::mail::Sink::Files(dir.clone()))).await;
    assert_eq!(done, mails);
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files as i64, mails, "one .eml per job");
    std::fs::remove_dir_all(&dir).unwrap();
    println!(
        "| order confirmations into .eml files, 2 workers | {done} | {:.2} | {:.0} |",
        t.as_secs_f64(),
        done as f64 / t.as_secs_f64()
    );

    // The outbox write as checkout does it, against the order row it joins.
    let (d, account, campaign): (i64, i64, i64) =
        sqlx::query_as("SELECT distributor_id, account_id, campaign_id FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(&pool)
            .await
            .unwrap();
    let jobs_sql = format!(
        "INSERT INTO jobs (distributor_id, kind, payload) SELECT {d}, k, jsonb_build_object('order_id', {order}, \
         'version', 1) FROM unnest(ARRAY['order_confirmation', 'new_order_notice']) k"
    );
    let order_sql = format!(
        "INSERT INTO orders (number, distributor_id, account_id, campaign_id, checkout_fields, items_count, subtotal, \
         allowance_applied, payroll_deduction) VALUES ('BENCH-' || clock_timestamp()::text, {d}, {account}, \
         {campaign}, '{{}}', 1, 10, 10, 0)"
    );
    let (mut with_jobs, mut order_only) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        with_jobs.push(execution_ms(&pool, &jobs_sql).await);
        order_only.push(execution_ms(&pool, &order_sql).await);
    }
    println!();
    println!("| statement (server-side, median of {samples}) | ms |");
    println!("|---|---:|");
    println!("| the outbox write: 2 job rows | {:.3} |", median(with_jobs));
    println!("| for scale: the order row alone | {:.3} |", median(order_only));
}
