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
        assert!(!flagged(&cache, &["a", "b"]).await, "{kind}");
        cache.set_flag("b", Duration::from_secs(60)).await.unwrap();
        assert!(flagged(&cache, &["a", "b"]).await, "{kind}");
        assert!(!flagged(&cache, &["a"]).await, "{kind}");
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
    assert!(flagged(&cache, &["b"]).await);
    assert_eq!(cache.probe(&["b"], "t").await.unwrap(), (true, Some("x".to_owned())));
    assert!(cache.get_blob("p").await.unwrap().is_some());
    tokio::time::advance(Duration::from_millis(2)).await;
    assert!(!flagged(&cache, &["b"]).await, "a flag outlived its ttl");
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
    assert!(flagged(&a, &["k"]).await);
    assert!(!flagged(&b, &["k"]).await);
}

#[tokio::test]
async fn a_wrong_redis_url_fails_fast() {
    assert!(Cache::redis("redis://127.0.0.1:1", "x:").await.is_err());
}

/// Polls `check` until it holds, for at most `within`: the mirrors are
/// another task's work, so there is nothing to await but the outcome.
async fn eventually<F: std::future::Future<Output = bool>>(within: Duration, mut check: impl FnMut() -> F) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

/// Two processes' caches on one Redis: once a mirror is current it holds
/// the flags set before it started and those set through the other since,
/// answers from memory (no round trip), reads a text from Redis once, and
/// drops it when the other deletes it.
#[tokio::test]
async fn mirrors_follow_each_other_and_answer_without_a_round_trip() {
    use storage::profile;
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let prefix = prefix();
    let a = Cache::redis(&url, &prefix).await.unwrap();
    a.set_flag("deny:fam:early", Duration::from_secs(60)).await.unwrap();
    let b = Cache::redis(&url, &prefix).await.unwrap();
    assert!(eventually(Duration::from_secs(5), || async { b.mirror_current() == Some(true) }).await);

    let (early, t) = profile::scope(b.probe(&["deny:fam:early"], "acct:1")).await;
    assert_eq!(early.unwrap(), (true, None));
    assert_eq!(t.cache_calls, 0, "a flag loaded at start is answered from memory");

    a.set_flag("deny:jti:late", Duration::from_secs(60)).await.unwrap();
    assert!(
        eventually(Duration::from_secs(1), || async { b.probe(&["deny:jti:late"], "acct:1").await.unwrap().0 }).await,
        "a flag set through A reaches B's mirror"
    );

    a.set_text("acct:1", "shopper|1|", Duration::from_secs(60)).await.unwrap();
    let (first, t) = profile::scope(b.probe(&["deny:jti:other"], "acct:1")).await;
    assert_eq!(first.unwrap(), (false, Some("shopper|1|".to_owned())));
    assert_eq!(t.cache_calls, 1, "the text is read from Redis once");
    // A's write also told every mirror to drop the key, which may reach B
    // after B's read: from then on B answers from its mirror.
    assert!(
        eventually(Duration::from_secs(1), || async {
            let (again, t) = profile::scope(b.probe(&["deny:jti:other"], "acct:1")).await;
            again.unwrap() == (false, Some("shopper|1|".to_owned())) && t.cache_calls == 0
        })
        .await,
        "then from the mirror"
    );

    a.delete("acct:1").await.unwrap();
    assert!(
        eventually(Duration::from_secs(1), || async {
            b.probe(&["deny:jti:other"], "acct:1").await.unwrap() == (false, None)
        })
        .await,
        "a delete through A drops B's copy"
    );

    // Keys outside the mirrored namespace are always asked of Redis.
    let (other, t) = profile::scope(b.probe(&["limits:x"], "acct:1")).await;
    assert_eq!(other.unwrap(), (false, None));
    assert_eq!(t.cache_calls, 1);
}

/// A restoring cache sets what the database says must be flagged before its
/// mirror is current, and marks Redis restored.
#[tokio::test]
async fn a_restoring_cache_sets_the_flags_the_database_gives_before_it_is_current() {
    use redis::AsyncCommands;
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let prefix = prefix();
    let restore: storage::cache::Restore = std::sync::Arc::new(|| {
        Box::pin(async { Ok(vec![("deny:fam:revoked-while-away".to_owned(), Duration::from_secs(60))]) })
    });
    let cache = Cache::redis_restoring(&url, &prefix, restore).await.unwrap();
    assert!(eventually(Duration::from_secs(5), || async { cache.mirror_current() == Some(true) }).await);
    let mut raw = raw().await;
    let ttl: i64 = raw.ttl(format!("{prefix}deny:fam:revoked-while-away")).await.unwrap();
    assert!((55..=60).contains(&ttl), "restored with its lifetime: {ttl}");
    let restored: bool = raw.exists(format!("{prefix}mirror:restored")).await.unwrap();
    assert!(restored);
    assert_eq!(cache.probe(&["deny:fam:revoked-while-away"], "acct:9").await.unwrap(), (true, None));
}

/// Whether any of `keys` is flagged, as the token check asks (`probe`).
async fn flagged(cache: &Cache, keys: &[&str]) -> bool {
    cache.probe(keys, "test:no-such-key").await.unwrap().0
}
