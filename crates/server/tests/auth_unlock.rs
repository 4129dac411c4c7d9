//! `promostore auth unlock` clears the failed-login counters an operator
//! names, in the Redis the servers share, and nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

use sqlx::PgPool;
use std::process::Command;
use std::time::Duration;
use storage::Cache;

/// `DATABASE_URL` pointed at the test's own database.
fn url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL (make test sets it)");
    let db = pool.connect_options().get_database().unwrap_or_default().to_owned();
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    format!("{server}/{db}")
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn unlock_clears_the_named_counters_only(pool: PgPool) {
    let redis = std::env::var("REDIS_URL").expect("REDIS_URL (make test sets it)");
    let prefix = format!("test:unlock:{}:", std::process::id());
    let cache = Cache::redis(&redis, &prefix).await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (username, email, password_hash, role) VALUES ('ops', 'ops@example.com', 'x', 'super_admin') \
         RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let window = Duration::from_secs(300);
    let keys = [format!("login:acct:{id}"), "login:addr:203.0.113.7".to_owned(), "login:addr:198.51.100.1".to_owned()];
    for key in &keys {
        cache.incr_window(key, window).await.unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_promostore"))
        .args(["auth", "unlock", "--username", "OPS@example.com", "--address", "203.0.113.7"])
        .env("DATABASE_URL", url_of(&pool))
        .env("REDIS_URL", &redis)
        .env("CACHE_PREFIX", &prefix)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(cache.counter(&keys[0]).await.unwrap(), None, "the account's counter");
    assert_eq!(cache.counter(&keys[1]).await.unwrap(), None, "the address's counter");
    assert!(cache.counter(&keys[2]).await.unwrap().is_some(), "another address is untouched");
    cache.delete(&keys[2]).await.unwrap();

    // Without Redis there is nothing to clear from outside the server: say so.
    let out = Command::new(env!("CARGO_BIN_EXE_promostore"))
        .args(["auth", "unlock", "--address", "203.0.113.7"])
        .env("DATABASE_URL", url_of(&pool))
        .env_remove("REDIS_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("REDIS_URL is not set"));
}
