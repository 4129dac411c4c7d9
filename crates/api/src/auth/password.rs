//! Password checks for request handlers: `domain::password` on a blocking
//! thread, so a slow hash never stalls the async runtime.

use std::sync::LazyLock;

/// A valid hash of a password nobody knows: verifying unknown usernames
/// against it costs as much as a real check, so timing does not reveal which
/// usernames exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| domain::password::hash("not-a-real-password").unwrap_or_default());

/// Hashes a password (argon2id, random salt).
pub async fn hash(password: String) -> Result<String, String> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(|| domain::password::hash(&password)))
        .await
        .map_err(|e| e.to_string())?
}

/// Checks a password against a stored hash; `None` checks against the dummy.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        span.in_scope(|| match hash {
            Some(h) => domain::password::verify(&password, &h),
            None => {
                let _ = domain::password::verify(&password, &DUMMY_HASH);
                false
            }
        })
    })
    .await
    .unwrap_or(false)
}
