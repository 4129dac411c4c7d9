//! The limit beside the report benchmark: `COPY (the Itemized Shopper's
//! SELECT) TO STDOUT (FORMAT csv)` for one campaign, timed, on the database
//! of `DATABASE_URL`. The statement is the one the report streams, with the
//! same arguments and planner settings the report gives it
//! (`storage::reports::literal_statement`, `Source::plan_settings`).
//!
//! Usage: `copy_limit CAMPAIGN_ID` (prints rows, bytes, seconds, rows/s);
//! with `PRINT_SQL` set, prints the statement instead.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails by panicking")]

use sqlx::Connection;
use std::time::Instant;
use storage::reports::{Args, Source};

#[tokio::main]
async fn main() {
    let campaign_id: i64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).expect("usage: copy_limit CAMPAIGN_ID");
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let campaign = storage::reports::campaign(&pool, None, campaign_id).await.unwrap().expect("no such campaign");
    let d = campaign.distributor_id;
    // The arguments as reports::run makes them for this report.
    let args = Args {
        distributor_id: d,
        campaign_id,
        attributes: storage::reports::attribute_names(&pool, d, campaign_id).await.unwrap(),
        checkout: reports::checkout_columns(&campaign.checkout_fields),
        vendor: None,
        time_zone: "UTC".to_owned(),
        from: None,
        to: None,
    };
    let sql = storage::reports::literal_statement(Source::OrderLines, &args);
    if std::env::var_os("PRINT_SQL").is_some() {
        println!("{sql}");
        return;
    }
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    // The same plan as the report's: its planner settings, in a transaction.
    let mut tx = conn.begin().await.unwrap();
    if let Some(settings) = Source::OrderLines.plan_settings() {
        sqlx::raw_sql(settings).execute(&mut *tx).await.unwrap();
    }
    let started = Instant::now();
    let mut out = tx.copy_out_raw(&format!("COPY ({sql}) TO STDOUT (FORMAT csv)")).await.unwrap();
    let (mut bytes, mut rows, mut first) = (0usize, 0usize, None);
    while let Some(chunk) = futures_util::StreamExt::next(&mut out).await {
        let chunk = chunk.unwrap();
        first.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
        bytes += chunk.len();
        rows += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(out);
    tx.commit().await.unwrap();
    let first = first.unwrap_or_default();
    println!(
        "rows={rows} bytes={bytes} seconds={seconds:.3} rows_per_s={:.0} first_ms={first:.1}",
        rows as f64 / seconds
    );
}
