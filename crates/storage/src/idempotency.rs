//! The durable Idempotency-Key store (see migration 0002).

use crate::error::Result;
use serde_json::Value;
use sqlx::PgPool;

/// What the store says about a key when a request arrives.
#[derive(Debug, PartialEq, Eq)]
pub enum Begin {
    /// First use: the caller proceeds and then calls [`finish`] or [`abandon`].
    New,
    /// The same key with another request body.
    Mismatch,
    /// The first request with this key has not finished.
    InFlight,
    /// Finished before: replay this response.
    Done { status: u16, headers: Value, body: Vec<u8> },
}

/// A stored key.
#[derive(sqlx::FromRow)]
struct Stored {
    request_hash: Vec<u8>,
    /// `None` while the first request is in flight.
    status: Option<i16>,
    headers: Value,
    body: Option<Vec<u8>>,
}

/// Claims `key` for `account_id`, or reports how it was used. Keys older than
/// a day count as unused.
pub async fn begin(pool: &PgPool, account_id: i64, key: &str, request_hash: &[u8]) -> Result<Begin> {
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, key, request_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, key) DO UPDATE \
            SET request_hash = EXCLUDED.request_hash, status = NULL, headers = '{}', body = NULL, created_at = now() \
            WHERE idempotency_keys.created_at < now() - interval '1 day'",
    )
    .bind(account_id)
    .bind(key)
    .bind(request_hash)
    .execute(pool)
    .await?;
    if claimed.rows_affected() == 1 {
        return Ok(Begin::New);
    }
    let row: Option<Stored> = sqlx::query_as(
        "SELECT request_hash, status, headers, body FROM idempotency_keys WHERE account_id = $1 AND key = $2",
    )
    .bind(account_id)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        // Abandoned in between: a retry may claim it now.
        None => Box::pin(begin(pool, account_id, key, request_hash)).await?,
        Some(s) if s.request_hash != request_hash => Begin::Mismatch,
        Some(Stored { status: None, .. }) => Begin::InFlight,
        Some(Stored { status: Some(status), headers, body, .. }) => {
            Begin::Done { status: u16::try_from(status).unwrap_or(500), headers, body: body.unwrap_or_default() }
        }
    })
}

/// Stores the response of the request that claimed `key`.
pub async fn finish(
    pool: &PgPool,
    account_id: i64,
    key: &str,
    status: u16,
    headers: &Value,
    body: &[u8],
) -> Result<()> {
    sqlx::query("UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 WHERE account_id = $1 AND key = $2")
        .bind(account_id)
        .bind(key)
        .bind(i16::try_from(status).unwrap_or(500))
        .bind(headers)
        .bind(body)
        .execute(pool)
        .await?;
    Ok(())
}

/// Releases `key` after a failure worth retrying (a 5xx).
pub async fn abandon(pool: &PgPool, account_id: i64, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND status IS NULL")
        .bind(account_id)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}
