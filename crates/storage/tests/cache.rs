//! Both cache backends behave alike: the in-process map and the real Redis.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

use std::time::Duration;
use storage::Cache;

fn prefix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("test:cache:{}:{nanos}:", std::process::id())
}

async fn backends() -> Vec<Cache> {
    let url = std::env::var("REDIS_URL").expect("REDIS_URL must point at a Redis server (make test starts one)");
    vec![Cache::local(&prefix()), Cache::redis(&url, &prefix()).await.expect("Redis is reachable")]
}

async fn redis() -> Cache {
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    Cache::redis(&url, &prefix()).await.expect("Redis is reachable")
}

/// A raw connection, to read and move the TTLs Redis keeps.
async fn raw() -> redis::aio::MultiplexedConnection {
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap()
}

#[tokio::test]
async fn counters_count_and_delete() {
    for cache in backends().await {
        let kind = cache.kind();
        assert!(!cache.any_set(&["a", "b"]).await.unwrap(), "{kind}");
        cache.set_flag("b", Duration::from_secs(60)).await.unwrap();
        assert!(cache.any_set(&["a", "b"]).await.unwrap(), "{kind}");
        assert!(!cache.any_set(&["a"]).await.unwrap(), "{kind}");
        assert_eq!(cache.counter("n").await.unwrap(), None, "{kind}");
        let (one, ttl) = cache.incr_window("n", Duration::from_secs(60)).await.unwrap();
        assert_eq!(one, 1, "{kind}");
        assert!((59..=60).contains(&ttl), "{kind} ttl {ttl}");
        let (two, _) = cache.incr_window("n", Duration::from_secs(60)).await.unwrap();
        assert_eq!(two, 2, "{kind}");
        assert_eq!(cache.counter("n").await.unwrap().map(|c| c.0), Some(2), "{kind}");
        cache.delete("n").await.unwrap();
        assert_eq!(cache.counter("n").await.unwrap(), None, "{kind}");
    }
}

/// The in-process backend expires entries on tokio's clock: paused and
/// advanced here, no sleeping.
#[tokio::test(start_paused = true)]
async fn local_entries_expire_on_time_and_windows_do_not_slide() {
    let cache = Cache::local(&prefix());
    cache.set_flag("b", Duration::from_secs(1)).await.unwrap();
    cache.set_text("t", "x", Duration::from_secs(1)).await.unwrap();
    cache.set_blob("p", b"page", Duration::from_secs(1)).await.unwrap();
    tokio::time::advance(Duration::from_millis(999)).await;
    assert!(cache.any_set(&["b"]).await.unwrap());
    assert_eq!(cache.probe(&["b"], "t").await.unwrap(), (true, Some("x".to_owned())));
    assert!(cache.get_blob("p").await.unwrap().is_some());
    tokio::time::advance(Duration::from_millis(2)).await;
    assert!(!cache.any_set(&["b"]).await.unwrap(), "a flag outlived its ttl");
    assert_eq!(cache.probe(&["b"], "t").await.unwrap(), (false, None), "text outlived its ttl");
    assert!(cache.get_blob("p").await.unwrap().is_none(), "a blob outlived its ttl");

    // The window starts with the first increment and does not move with later ones.
    cache.incr_window("w", Duration::from_secs(1)).await.unwrap();
    tokio::time::advance(Duration::from_millis(600)).await;
    assert_eq!(cache.incr_window("w", Duration::from_secs(1)).await.unwrap(), (2, 1));
    tokio::time::advance(Duration::from_millis(401)).await;
    assert_eq!(cache.counter("w").await.unwrap(), None, "the window slid");
    assert_eq!(cache.incr_window("w", Duration::from_secs(1)).await.unwrap().0, 1, "a new window starts at 1");
}

/// Redis expires keys itself; what is ours to get right is the TTL each key
/// is given, read back here rather than waited out.
#[tokio::test]
async fn redis_keys_carry_their_ttl_and_windows_do_not_slide() {
    let cache = redis().await;
    let mut raw = raw().await;
    let key = |k: &str| format!("{}{k}", cache.prefix());
    cache.set_flag("b", Duration::from_secs(1)).await.unwrap();
    let pttl: i64 = redis::cmd("PTTL").arg(key("b")).query_async(&mut raw).await.unwrap();
    assert!((1..=1000).contains(&pttl), "flag pttl {pttl}");
    cache.set_text("t", "x", Duration::from_secs(60)).await.unwrap();
    let pttl: i64 = redis::cmd("PTTL").arg(key("t")).query_async(&mut raw).await.unwrap();
    assert!((59_000..=60_000).contains(&pttl), "text pttl {pttl}");

    // A window that has 5 s left keeps them when counted again (it would be
    // back at 60 s if each increment restarted it).
    cache.incr_window("w", Duration::from_secs(60)).await.unwrap();
    let _: i64 = redis::cmd("PEXPIRE").arg(key("w")).arg(5_000).query_async(&mut raw).await.unwrap();
    let (count, left) = cache.incr_window("w", Duration::from_secs(60)).await.unwrap();
    assert_eq!((count, left), (2, 5));
    let pttl: i64 = redis::cmd("PTTL").arg(key("w")).query_async(&mut raw).await.unwrap();
    assert!((1..=5_000).contains(&pttl), "window pttl {pttl}");
}

#[tokio::test]
async fn prefixes_keep_deployments_apart() {
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let a = Cache::redis(&url, &prefix()).await.unwrap();
    let b = Cache::redis(&url, &format!("{}other:", prefix())).await.unwrap();
    a.set_flag("k", Duration::from_secs(5)).await.unwrap();
    assert!(a.any_set(&["k"]).await.unwrap());
    assert!(!b.any_set(&["k"]).await.unwrap());
}

#[tokio::test]
async fn a_wrong_redis_url_fails_fast() {
    assert!(Cache::redis("redis://127.0.0.1:1", "x:").await.is_err());
}
