//! The shared cache: Redis when configured, an in-process map otherwise.
//!
//! It holds short-lived, expiring state that several `serve` processes must
//! agree on: the access-token denylist and the login rate-limit counters. With
//! Redis every process sees the same state; without it the same features work
//! for a single process. The backends are a closed set, so this is an enum
//! rather than a trait object: one mechanism, no dynamic dispatch.
//!
//! With Redis, every process also keeps a local mirror of the denylist
//! ([`MIRRORED`] flags) and of the texts it reads through [`Cache::probe`]
//! (accounts' states), so an authenticated request usually costs no round
//! trip at all; see [`mirror`](self::mirror) for how it stays current and
//! the bound on how late a revocation can reach another process.

mod mirror;

use crate::error::{Result, StorageError};
use crate::profile::{self, Phase};
use mirror::Mirror;
use moka::Expiry;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The namespace of the flags every process mirrors (the access-token
/// denylist): [`Cache::set_flag`] under it reaches every process's mirror.
pub const MIRRORED: &str = "deny:";

/// The cache handle. Cheap to clone.
#[derive(Clone)]
pub struct Cache {
    backend: Backend,
    /// Namespaces every key, so several deployments (or parallel tests) can
    /// share one Redis.
    prefix: String,
}

#[derive(Clone)]
enum Backend {
    Redis(ConnectionManager, Arc<Mirror>),
    Local(moka::future::Cache<String, Entry>),
}

#[derive(Clone, Debug)]
struct Entry {
    count: i64,
    /// The value of a text entry ([`Cache::set_text`]); `None` for counters and flags.
    text: Option<std::sync::Arc<str>>,
    /// The value of a binary entry ([`Cache::set_blob`]).
    blob: Option<bytes::Bytes>,
    expires_at: Instant,
}

/// Each entry lives until its own `expires_at`.
struct PerEntry;

impl Expiry<String, Entry> for PerEntry {
    fn expire_after_create(&self, _: &String, value: &Entry, now: Instant) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(now))
    }

    fn expire_after_update(&self, _: &String, value: &Entry, now: Instant, _: Option<Duration>) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(now))
    }
}

fn unavailable(err: redis::RedisError) -> StorageError {
    StorageError::Unavailable(format!("redis: {err}"))
}

/// One Redis round trip: timed for the profile, its error as `Unavailable`;
/// while the mirror's task finds Redis down, `Unavailable` at once, so a
/// request does not wait through the connection's retries (the callers
/// then go to the database, or build the page uncached).
async fn round_trip<T>(mirror: &Mirror, work: impl Future<Output = redis::RedisResult<T>>) -> Result<T> {
    if mirror.is_down() {
        return Err(StorageError::Unavailable("redis: down (reconnecting)".into()));
    }
    profile::timed(Phase::Cache, work).await.map_err(unavailable)
}

/// What a process reads from the database when it (re)connects to Redis:
/// the mirrored flags (keys without the prefix, with their lifetimes) that
/// must be set whatever Redis lost while this process could not reach it
/// or while it was restarted empty (see [`Cache::redis_restoring`]).
pub type Restore =
    Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<Vec<(String, Duration)>>> + Send>> + Send + Sync>;

impl Cache {
    /// Connects to Redis; fails when it cannot be reached, so a wrong
    /// `REDIS_URL` is noticed at start-up, not on the first login.
    pub async fn redis(url: &str, prefix: &str) -> Result<Cache> {
        Cache::connect(url, prefix, None).await
    }

    /// [`Cache::redis`] for a deployment whose flags the database can
    /// restore: on every (re)connection this process sets what `restore`
    /// gives before its mirror is current, and marks Redis as restored. A
    /// Redis without that mark (restarted empty) is not trusted to say a
    /// flag is absent: [`Cache::probe`] answers `Unavailable` until some
    /// process has restored it, so the caller asks the database instead.
    pub async fn redis_restoring(url: &str, prefix: &str, restore: Restore) -> Result<Cache> {
        Cache::connect(url, prefix, Some(restore)).await
    }

    async fn connect(url: &str, prefix: &str, restore: Option<Restore>) -> Result<Cache> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        // Bounded retries and timeouts: a request waiting on a dead Redis
        // fails in about a second instead of hanging, and so does start-up.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500))
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let manager = ConnectionManager::new_with_config(client.clone(), config).await.map_err(unavailable)?;
        let mirror = Mirror::follow(client, prefix, restore);
        let cache = Cache { backend: Backend::Redis(manager, mirror), prefix: prefix.to_owned() };
        cache.ping().await?;
        Ok(cache)
    }

    /// The in-process fallback (single instance only).
    pub fn local(prefix: &str) -> Cache {
        let map = moka::future::Cache::builder().max_capacity(1_000_000).expire_after(PerEntry).build();
        Cache { backend: Backend::Local(map), prefix: prefix.to_owned() }
    }

    /// The prefix of every key of this deployment (tools and tests inspect
    /// a shared Redis by it).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `"redis"` or `"in-process"`, for logs and `/ready`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Redis(..) => "redis",
            Backend::Local(_) => "in-process",
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    /// Whether the full key `key` is a mirrored flag's.
    fn mirrored(&self, key: &str) -> bool {
        key.strip_prefix(self.prefix.as_str()).is_some_and(|k| k.starts_with(MIRRORED))
    }

    pub async fn ping(&self) -> Result<()> {
        match &self.backend {
            Backend::Redis(conn, _) => {
                let mut conn = conn.clone();
                // Not through the breaker: `/ready` must see Redis come back.
                let _: String = redis::cmd("PING").query_async(&mut conn).await.map_err(unavailable)?;
                Ok(())
            }
            Backend::Local(_) => Ok(()),
        }
    }

    /// Whether this process's mirror is current (Redis only; see
    /// [`mirror`](self::mirror)), for `/ready` and the metrics.
    pub fn mirror_current(&self) -> Option<bool> {
        match &self.backend {
            Backend::Redis(_, mirror) => Some(mirror.is_current()),
            Backend::Local(_) => None,
        }
    }

    /// Sets `key` for `ttl` (a denylist entry). Under [`MIRRORED`] it is
    /// published to every process's mirror in the same round trip, and this
    /// process's own mirror has it before this returns.
    pub async fn set_flag(&self, key: &str, ttl: Duration) -> Result<()> {
        let key = self.key(key);
        let ttl = ttl.max(Duration::from_secs(1));
        match &self.backend {
            Backend::Redis(conn, mirror) => {
                let mut conn = conn.clone();
                let mut pipe = redis::pipe();
                pipe.set_ex(&key, 1, ttl.as_secs()).ignore();
                if self.mirrored(&key) {
                    mirror.flag(&key, ttl);
                    pipe.publish(mirror.channel(), mirror::flag_message(&key, ttl)).ignore();
                }
                let () = round_trip(mirror, pipe.query_async(&mut conn)).await?;
            }
            Backend::Local(map) => {
                map.insert(key, Entry { count: 1, text: None, blob: None, expires_at: now() + ttl }).await;
            }
        }
        Ok(())
    }

    /// Whether any of `deny` is set, and the text under `key`: one round
    /// trip for everything an authenticated request asks of the cache (its
    /// token's denylist entries and its account's cached state).
    pub async fn probe(&self, deny: &[&str], key: &str) -> Result<(bool, Option<String>)> {
        let deny: Vec<String> = deny.iter().map(|k| self.key(k)).collect();
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(conn, mirror) if mirror.is_current() && deny.iter().all(|k| self.mirrored(k)) => {
                if deny.iter().any(|k| mirror.flagged(k)) {
                    return Ok((true, None));
                }
                if let Some(text) = mirror.text(&key) {
                    return Ok((false, Some(text)));
                }
                let generation = mirror.generation();
                let mut conn = conn.clone();
                let text: Option<String> = round_trip(mirror, conn.get(&key)).await?;
                if let Some(text) = &text {
                    mirror.keep_text(key, text, generation);
                }
                Ok((false, text))
            }
            Backend::Redis(conn, mirror) => {
                let mut conn = conn.clone();
                let (n, text, restored): (i64, Option<String>, bool) = round_trip(
                    mirror,
                    redis::pipe().exists(deny).get(key).exists(mirror.restored_key()).query_async(&mut conn),
                )
                .await?;
                if !restored && mirror.restores() {
                    return Err(StorageError::Unavailable("redis: its flags are not restored yet".into()));
                }
                Ok((n > 0, text))
            }
            Backend::Local(map) => {
                let mut any = false;
                for k in &deny {
                    any |= map.get(k).await.is_some_and(|e| alive(&e));
                }
                let text = map.get(&key).await.filter(alive).and_then(|e| e.text.map(|t| t.to_string()));
                Ok((any, text))
            }
        }
    }

    /// Stores `value` under `key` for `ttl`; every process's mirror drops
    /// its copy (in the same round trip).
    pub async fn set_text(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        let key = self.key(key);
        let ttl = ttl.max(Duration::from_secs(1));
        match &self.backend {
            Backend::Redis(conn, mirror) => {
                let mut conn = conn.clone();
                mirror.forget(&key);
                let () = round_trip(
                    mirror,
                    redis::pipe()
                        .set_ex(&key, value, ttl.as_secs())
                        .ignore()
                        .publish(mirror.channel(), mirror::forget_message(&key))
                        .ignore()
                        .query_async(&mut conn),
                )
                .await?;
            }
            Backend::Local(map) => {
                map.insert(key, Entry { count: 0, text: Some(value.into()), blob: None, expires_at: now() + ttl })
                    .await;
            }
        }
        Ok(())
    }

    /// The bytes under `key`, if set (a cached catalog page).
    pub async fn get_blob(&self, key: &str) -> Result<Option<bytes::Bytes>> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(conn, mirror) => {
                let mut conn = conn.clone();
                let value: Option<Vec<u8>> = round_trip(mirror, conn.get(key)).await?;
                Ok(value.map(bytes::Bytes::from))
            }
            Backend::Local(map) => Ok(map.get(&key).await.filter(alive).and_then(|e| e.blob)),
        }
    }

    /// Stores the bytes `value` under `key` for `ttl`.
    pub async fn set_blob(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        let key = self.key(key);
        let ttl = ttl.max(Duration::from_secs(1));
        match &self.backend {
            Backend::Redis(conn, mirror) => {
                let mut conn = conn.clone();
                let _: () = round_trip(mirror, conn.set_ex(key, value, ttl.as_secs())).await?;
            }
            Backend::Local(map) => {
                let blob = Some(bytes::Bytes::copy_from_slice(value));
                map.insert(key, Entry { count: 0, text: None, blob, expires_at: now() + ttl }).await;
            }
        }
        Ok(())
    }

    /// Adds one to the counter `key`, which expires `window` after its first
    /// increment (a fixed window). Returns the new count and the seconds left.
    pub async fn incr_window(&self, key: &str, window: Duration) -> Result<(i64, u64)> {
        let key = self.key(key);
        let window = window.max(Duration::from_secs(1));
        match &self.backend {
            Backend::Redis(conn, mirror) => {
                let mut conn = conn.clone();
                let (count, _, ttl): (i64, i64, i64) = round_trip(
                    mirror,
                    redis::pipe()
                        .atomic()
                        .incr(&key, 1)
                        .cmd("EXPIRE")
                        .arg(&key)
                        .arg(window.as_secs())
                        .arg("NX")
                        .ttl(&key)
                        .query_async(&mut conn),
                )
                .await?;
                Ok((count, u64::try_from(ttl).unwrap_or(window.as_secs())))
            }
            Backend::Local(map) => {
                let now = now();
                let entry = map
                    .entry(key)
                    .and_upsert_with(|old| {
                        let next = match old.map(|e| e.into_value()) {
                            Some(e) if e.expires_at > now => Entry { count: e.count + 1, ..e },
                            _ => Entry { count: 1, text: None, blob: None, expires_at: now + window },
                        };
                        std::future::ready(next)
                    })
                    .await
                    .into_value();
                Ok((entry.count, seconds_left(entry.expires_at, now)))
            }
        }
    }

    /// The counter `key` and its seconds left, if it is set.
    pub async fn counter(&self, key: &str) -> Result<Option<(i64, u64)>> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(conn, mirror) => {
                let mut conn = conn.clone();
                let (count, ttl): (Option<i64>, i64) =
                    round_trip(mirror, redis::pipe().get(&key).ttl(&key).query_async(&mut conn)).await?;
                Ok(count.map(|c| (c, u64::try_from(ttl).unwrap_or(1))))
            }
            Backend::Local(map) => {
                let now = now();
                Ok(map
                    .get(&key)
                    .await
                    .filter(|e| e.expires_at > now)
                    .map(|e| (e.count, seconds_left(e.expires_at, now))))
            }
        }
    }

    /// Deletes `key`; every process's mirror drops its copy (in the same
    /// round trip).
    pub async fn delete(&self, key: &str) -> Result<()> {
        let key = self.key(key);
        match &self.backend {
            Backend::Redis(conn, mirror) => {
                let mut conn = conn.clone();
                mirror.forget(&key);
                let () = round_trip(
                    mirror,
                    redis::pipe()
                        .del(&key)
                        .ignore()
                        .publish(mirror.channel(), mirror::forget_message(&key))
                        .ignore()
                        .query_async(&mut conn),
                )
                .await?;
            }
            Backend::Local(map) => map.invalidate(&key).await,
        }
        Ok(())
    }
}

/// Whole seconds left, rounded up so `Retry-After` is never 0 while blocked.
/// The local backend's clock: tokio's, so a test can pause and advance it
/// instead of sleeping. Entries are checked against it on every read (moka
/// evicts them later, on its own clock).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Whether a local entry is still alive.
fn alive(e: &Entry) -> bool {
    e.expires_at > now()
}

fn seconds_left(expires_at: Instant, now: Instant) -> u64 {
    let left = expires_at.saturating_duration_since(now);
    left.as_secs() + u64::from(left.subsec_nanos() > 0)
}
