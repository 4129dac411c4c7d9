//! Password checks for request handlers: `domain::password` on a blocking
//! thread, so a slow hash never stalls the async runtime.

use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// At most one hash per core at a time. Each argon2id hash takes 19 MiB and a
/// core's worth of CPU for ~50 ms: running more at once only adds latency, and
/// under a login flood the allocator keeps every block (a load test grew the
/// process to 2 GiB). Waiting here bounds both, whoever is knocking.
static HASHING: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)));

/// Runs `work` on a blocking thread once a hashing slot is free.
async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let _slot = HASHING.acquire().await.map_err(|e| e.to_string())?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await.map_err(|e| e.to_string())
}

/// A valid hash of a password nobody knows: verifying unknown usernames
/// against it costs as much as a real check, so timing does not reveal which
/// usernames exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| domain::password::hash("not-a-real-password").unwrap_or_default());

/// Hashes a password (argon2id, random salt).
pub async fn hash(password: String) -> Result<String, String> {
    bounded(move || domain::password::hash(&password)).await?
}

/// Checks a password against a stored hash; `None` checks against the dummy.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    bounded(move || match hash {
        Some(h) => domain::password::verify(&password, &h),
        None => {
            let _ = domain::password::verify(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}
