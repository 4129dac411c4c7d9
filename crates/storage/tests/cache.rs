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

#[tokio::test]
async fn flags_are_set_until_they_expire() {
    for cache in backends().await {
        assert!(!cache.any_set(&["a", "b"]).await.unwrap(), "{}", cache.kind());
        cache.set_flag("b", Duration::from_secs(1)).await.unwrap();
        assert!(cache.any_set(&["a", "b"]).await.unwrap(), "{}", cache.kind());
        assert!(!cache.any_set(&["a"]).await.unwrap());
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert!(!cache.any_set(&["b"]).await.unwrap(), "{} flag outlived its ttl", cache.kind());
    }
}

#[tokio::test]
async fn counters_count_in_a_fixed_window() {
    for cache in backends().await {
        let kind = cache.kind();
        assert_eq!(cache.counter("n").await.unwrap(), None, "{kind}");
        let (one, ttl) = cache.incr_window("n", Duration::from_secs(60)).await.unwrap();
        assert_eq!(one, 1, "{kind}");
        assert!((59..=60).contains(&ttl), "{kind} ttl {ttl}");
        let (two, _) = cache.incr_window("n", Duration::from_secs(60)).await.unwrap();
        assert_eq!(two, 2, "{kind}");
        assert_eq!(cache.counter("n").await.unwrap().map(|c| c.0), Some(2), "{kind}");
        cache.delete("n").await.unwrap();
        assert_eq!(cache.counter("n").await.unwrap(), None, "{kind}");

        // The window does not slide with each increment.
        cache.incr_window("w", Duration::from_secs(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        cache.incr_window("w", Duration::from_secs(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(cache.counter("w").await.unwrap(), None, "{kind} window slid");
    }
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
