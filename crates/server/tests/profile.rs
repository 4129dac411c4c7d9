//! The profiling switch (`serve --profile`): every response carries a
//! `Server-Timing` header with the request's figures, and the statement count
//! in it is the number of statements the request ran. Without the switch no
//! response has one.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use common::cluster::Serve;
use sqlx::PgPool;

/// `name;dur=<ms>[;desc="<n> <what>"]` entries of a `Server-Timing` value.
fn parse(value: &str) -> Vec<(String, f64, Option<u64>)> {
    value
        .split(", ")
        .map(|entry| {
            let mut parts = entry.split(';');
            let name = parts.next().unwrap().to_owned();
            let mut dur = f64::NAN;
            let mut count = None;
            for part in parts {
                if let Some(d) = part.strip_prefix("dur=") {
                    dur = d.parse().unwrap();
                } else if let Some(desc) = part.strip_prefix("desc=\"") {
                    count = desc.split(' ').next().and_then(|n| n.parse().ok());
                }
            }
            (name, dur, count)
        })
        .collect()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn with_the_switch_every_response_says_where_its_time_went(pool: PgPool) {
    seeders::demo(&pool).await.unwrap();
    let redis = std::env::var("REDIS_URL").expect("REDIS_URL (make test sets it)");
    let prefix = format!("test:profile:{}:{}:", std::process::id(), common::free_port());
    let env = [("DATABASE_URL", common::url_of(&pool)), ("REDIS_URL", redis), ("CACHE_PREFIX", prefix)];
    let profiled = Serve::start(&["--profile"], &env).await;
    let token = profiled.login("manager", "manager-demo").await;
    let account: i64 =
        sqlx::query_scalar("SELECT id FROM accounts WHERE username = 'acme.shopper1'").fetch_one(&pool).await.unwrap();
    let path = format!("/api/v1/organization/accounts/{account}?fields=%7Bid,username,distributor%7Bname%7D%7D");
    // The first read fills the caches (the account's state); the second is
    // the steady state: one statement (the account with its distributor).
    profiled.call("GET", &path, Some(&token), &[], None).await.unwrap();
    let r = profiled.call("GET", &path, Some(&token), &[], None).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    let timing = r.header("server-timing").expect("a Server-Timing header").to_owned();
    let entries = parse(&timing);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["auth", "cache", "sql", "serialize", "total"], "{timing}");
    assert!(entries.iter().all(|e| e.1.is_finite() && e.1 >= 0.0), "{timing}");
    let sql = &entries[2];
    assert_eq!(sql.2, Some(1), "one statement for the account and its distributor: {timing}");
    assert!(sql.1 > 0.0, "{timing}");
    let total = entries[4].1;
    assert!(entries[..4].iter().all(|e| e.1 <= total), "every part within the total: {timing}");

    // A list with a to-many relation: the page, then the relation.
    let r = profiled
        .call("GET", "/api/v1/catalog/products?page_size=5&fields=%7Bid,variants%7Bsku%7D%7D", Some(&token), &[], None)
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    let timing = r.header("server-timing").unwrap().to_owned();
    assert_eq!(parse(&timing)[2].2, Some(2), "{timing}");

    // Errors are profiled too.
    let r = profiled.call("GET", "/api/v1/organization/accounts/999999999", Some(&token), &[], None).await.unwrap();
    assert_eq!(r.status, 404);
    assert!(r.header("server-timing").is_some());

    // Without the switch: no header.
    drop(profiled);
    let plain = Serve::start(&[], &env).await;
    let token = plain.login("manager", "manager-demo").await;
    let r = plain.call("GET", &path, Some(&token), &[], None).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("server-timing"), None);
}
