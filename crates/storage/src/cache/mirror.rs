//! A process-local mirror of the denylist and of the texts read through
//! [`Cache::probe`](super::Cache::probe), kept current through Redis pub/sub,
//! so that checking a token usually needs no round trip.
//!
//! How it stays current:
//! - Every write that must reach the other processes ([`Cache::set_flag`]
//!   under [`MIRRORED`](super::MIRRORED), [`Cache::set_text`],
//!   [`Cache::delete`]) publishes a message on the deployment's channel in
//!   the same pipeline as the write, and applies it to its own mirror first.
//! - A task per process subscribes to that channel, then loads every
//!   mirrored flag already in Redis (`SCAN`), and only then calls the mirror
//!   current. It pings Redis over the subscription every
//!   [`HEARTBEAT`]; a ping unanswered within [`HEARTBEAT`], or the
//!   subscription closing, makes the mirror not current at once, and the task
//!   subscribes and loads again.
//! - While the mirror is not current, [`Cache::probe`](super::Cache::probe)
//!   asks Redis on every request, as it did before the mirror (and the token
//!   check asks the database when Redis is down).
//! - With a [`Restore`] (the server's), each (re)connection first sets the
//!   flags the database says must be set (sessions revoked within an access
//!   token's lifetime), then marks Redis restored: revocations made while
//!   this process could not reach Redis, or lost when Redis restarted empty,
//!   are back before the mirror is current. A Redis without the mark is not
//!   trusted to say a flag is absent.
//! - While the task cannot reach Redis, the mirror is *down*: every cache
//!   call fails at once instead of waiting through the connection's retries.
//!
//! The bound: a revocation made through one process is refused by another as
//! soon as the published message has reached it (Redis writes it to every
//! subscriber before it answers the publisher; the subscriber applies it when
//! its task next runs: well under a millisecond on an idle process). A
//! process that has lost its subscription without noticing (a silent
//! network) keeps accepting for at most two [`HEARTBEAT`]s; then it asks
//! Redis again. Mirrored texts live at most [`TEXT_TTL`] locally, which
//! bounds how long a change made behind the API's back (SQL) can go unseen
//! beyond the Redis entry's own lifetime.

use super::Restore;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How often the subscription is pinged, and how long a ping may take.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long a mirrored text is kept before it is read from Redis again.
pub const TEXT_TTL: Duration = Duration::from_secs(10);

/// Why the task stopped following.
enum Lost {
    Redis(redis::RedisError),
    /// The restore function failed (the database).
    Restore(String),
}

impl From<redis::RedisError> for Lost {
    fn from(e: redis::RedisError) -> Lost {
        Lost::Redis(e)
    }
}

/// The local copy (see the module's doc).
pub struct Mirror {
    prefix: String,
    channel: String,
    /// The key that says Redis holds every flag the database would restore.
    restored: String,
    restore: Option<Restore>,
    current: AtomicBool,
    /// The task's last attempt to reach Redis failed.
    down: AtomicBool,
    /// Bumped by every forget, so a text read from Redis while a forget
    /// raced it is not kept (it may be the value the forget replaced).
    generation: AtomicU64,
    entries: RwLock<HashMap<String, Mirrored>>,
}

enum Mirrored {
    Flag { until: Instant },
    Text { text: Arc<str>, until: Instant },
}

/// `text` as a literal inside a Redis `MATCH` pattern.
fn glob_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The message that flags `key` for `ttl` in every mirror.
pub fn flag_message(key: &str, ttl: Duration) -> String {
    format!("f {} {key}", ttl.as_millis())
}

/// The message that drops `key` from every mirror.
pub fn forget_message(key: &str) -> String {
    format!("d {key}")
}

impl Mirror {
    /// A mirror of the deployment `prefix`, and the task that keeps it
    /// current for as long as the process runs.
    pub fn follow(client: redis::Client, prefix: &str, restore: Option<Restore>) -> Arc<Mirror> {
        let mirror = Arc::new(Mirror {
            prefix: prefix.to_owned(),
            channel: format!("{prefix}mirror"),
            restored: format!("{prefix}mirror:restored"),
            restore,
            current: AtomicBool::new(false),
            down: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            entries: RwLock::new(HashMap::new()),
        });
        let pattern = format!("{}{}*", glob_literal(prefix), super::MIRRORED);
        let following = mirror.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                let result = following.run(&client, &pattern).await;
                let was_current = following.current.swap(false, Ordering::SeqCst);
                match result {
                    // `run` follows until something fails.
                    Ok(()) => {}
                    // Redis answers but the database could not say what to
                    // restore: not current, but not down either.
                    Err(Lost::Restore(e)) => {
                        tracing::warn!(error = %e, "cache mirror: cannot restore the denylist; asking Redis until it can");
                    }
                    Err(Lost::Redis(e)) => {
                        following.down.store(true, Ordering::SeqCst);
                        tracing::warn!(error = %e, "cache mirror: Redis lost; the cache fails fast until it is back");
                    }
                }
                if was_current {
                    backoff = Duration::from_millis(100);
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        });
        mirror
    }

    /// Subscribes, loads, then follows the channel until the subscription
    /// fails.
    async fn run(&self, client: &redis::Client, pattern: &str) -> Result<(), Lost> {
        let (mut sink, mut stream) = client.get_async_pubsub().await?.split();
        sink.subscribe(&self.channel).await?;
        self.down.store(false, Ordering::SeqCst);
        self.restore(client).await?;
        self.load(client, pattern).await?;
        self.current.store(true, Ordering::SeqCst);
        tracing::info!(channel = %self.channel, "cache mirror current");
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else {
                        return Err(Lost::Redis(redis::RedisError::from((redis::ErrorKind::Io, "subscription closed"))));
                    };
                    if let Ok(text) = message.get_payload::<String>() {
                        self.apply(&text);
                    }
                }
                _ = heartbeat.tick() => {
                    // A subscribed connection answers PING with `["pong", ""]`.
                    match tokio::time::timeout(HEARTBEAT, sink.ping::<redis::Value>()).await {
                        Ok(Ok(_)) => self.purge(),
                        Ok(Err(e)) => return Err(Lost::Redis(e)),
                        Err(_) => {
                            return Err(Lost::Redis(redis::RedisError::from((
                                redis::ErrorKind::Io,
                                "subscription ping timed out",
                            ))));
                        }
                    }
                }
            }
        }
    }

    /// Sets the flags the database gives (and publishes them, for the
    /// processes that did not lose Redis), then the restored mark.
    async fn restore(&self, client: &redis::Client) -> Result<(), Lost> {
        let Some(restore) = &self.restore else { return Ok(()) };
        let flags = restore().await.map_err(|e| Lost::Restore(e.to_string()))?;
        let mut pipe = redis::pipe();
        for (key, ttl) in &flags {
            let key = format!("{}{key}", self.prefix);
            let ttl = (*ttl).max(Duration::from_secs(1));
            pipe.set_ex(&key, 1, ttl.as_secs()).ignore();
            pipe.publish(&self.channel, flag_message(&key, ttl)).ignore();
        }
        pipe.set(&self.restored, 1).ignore();
        let mut conn = client.get_multiplexed_async_connection().await?;
        let () = pipe.query_async(&mut conn).await?;
        if !flags.is_empty() {
            tracing::info!(flags = flags.len(), "cache mirror: restored the denylist from the database");
        }
        Ok(())
    }

    /// Replaces the mirror with every mirrored flag Redis holds now (texts
    /// are dropped: forgets may have been missed while not subscribed).
    async fn load(&self, client: &redis::Client, pattern: &str) -> redis::RedisResult<()> {
        let mut conn = client.get_multiplexed_async_connection().await?;
        let mut flags = HashMap::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await?;
            if !keys.is_empty() {
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.pttl(key);
                }
                let ttls: Vec<i64> = pipe.query_async(&mut conn).await?;
                let now = Instant::now();
                for (key, ttl) in keys.into_iter().zip(ttls) {
                    // -1: no expiry (never written so by set_flag); -2: gone.
                    let left = match ttl {
                        -2 => continue,
                        -1 => Duration::from_secs(24 * 3600),
                        ms => Duration::from_millis(u64::try_from(ms).unwrap_or(0)),
                    };
                    flags.insert(key, Mirrored::Flag { until: now + left });
                }
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.write() = flags;
        Ok(())
    }

    /// Applies one published message.
    fn apply(&self, message: &str) {
        if let Some(rest) = message.strip_prefix("f ") {
            if let Some((ms, key)) = rest.split_once(' ')
                && let Ok(ms) = ms.parse::<u64>()
            {
                self.flag(key, Duration::from_millis(ms));
            }
        } else if let Some(key) = message.strip_prefix("d ") {
            self.forget(key);
        }
    }

    pub fn channel(&self) -> &str {
        &self.channel
    }

    pub fn is_current(&self) -> bool {
        self.current.load(Ordering::SeqCst)
    }

    /// Whether the task last found Redis unreachable.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    /// Whether this deployment restores its flags from the database.
    pub fn restores(&self) -> bool {
        self.restore.is_some()
    }

    /// The key whose presence says Redis was restored (see the module's doc).
    pub fn restored_key(&self) -> &str {
        &self.restored
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Flags `key` (a full key) for `ttl`.
    pub fn flag(&self, key: &str, ttl: Duration) {
        self.write().insert(key.to_owned(), Mirrored::Flag { until: Instant::now() + ttl });
    }

    /// Drops `key` (a full key).
    pub fn forget(&self, key: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.write().remove(key);
    }

    /// Whether `key` (a full key) is flagged.
    pub fn flagged(&self, key: &str) -> bool {
        let now = Instant::now();
        matches!(self.read().get(key), Some(Mirrored::Flag { until }) if *until > now)
    }

    /// The mirrored text of `key`, while fresh.
    pub fn text(&self, key: &str) -> Option<String> {
        let now = Instant::now();
        match self.read().get(key) {
            Some(Mirrored::Text { text, until }) if *until > now => Some(text.to_string()),
            _ => None,
        }
    }

    /// Keeps `text`, read from Redis when the generation was `generation`,
    /// unless a forget came in since.
    pub fn keep_text(&self, key: String, text: &str, generation: u64) {
        let mut entries = self.write();
        if self.generation() == generation {
            entries.insert(key, Mirrored::Text { text: text.into(), until: Instant::now() + TEXT_TTL });
        }
    }

    /// Drops expired entries.
    fn purge(&self) {
        let now = Instant::now();
        self.write().retain(|_, e| match e {
            Mirrored::Flag { until } | Mirrored::Text { until, .. } => *until > now,
        });
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Mirrored>> {
        // A panic while holding the lock cannot leave the map half-changed
        // (every change is one insert, remove or replace), so a poisoned
        // lock's data is still good.
        self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Mirrored>> {
        self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
