//! Refresh-token families.
//!
//! A login starts a family; each refresh marks the presented token used and
//! issues the next one in the same family. Presenting a used (rotated) token
//! again means it was copied: the whole family is revoked. Only the SHA-256
//! of a token is stored, so a database leak yields no usable tokens.

use crate::error::Result;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool};

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now used and `next` replaces it.
    Rotated { account_id: i64, family: String },
    /// The token had been used or revoked before: its family is now revoked.
    Reused { account_id: i64, family: String },
    /// Unknown or expired.
    Invalid,
}

/// Stores a new token of `family`.
pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: i64,
    family: &str,
    token: &str,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO refresh_tokens (account_id, family, token_hash, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(account_id)
        .bind(family)
        .bind(digest(token))
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// Rotates `token` to `next` in one transaction (see [`Rotation`]).
#[tracing::instrument(skip_all)]
pub async fn rotate(pool: &PgPool, token: &str, next: &str, expires_at: DateTime<Utc>) -> Result<Rotation> {
    let mut tx = pool.begin().await?;
    let hash = digest(token);
    // The conditional UPDATE is the lock: of two concurrent refreshes with
    // the same token, exactly one sees `used_at IS NULL`.
    let current: Option<(i64, String)> = sqlx::query_as(
        "UPDATE refresh_tokens SET used_at = now() \
         WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now() \
         RETURNING account_id, family",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let outcome = match current {
        Some((account_id, family)) => {
            insert(&mut *tx, account_id, &family, next, expires_at).await?;
            Rotation::Rotated { account_id, family }
        }
        None => {
            let seen: Option<(i64, String, bool)> = sqlx::query_as(
                "SELECT account_id, family, (used_at IS NOT NULL OR revoked_at IS NOT NULL) \
                 FROM refresh_tokens WHERE token_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            match seen {
                Some((account_id, family, true)) => {
                    revoke_family(&mut *tx, &family).await?;
                    Rotation::Reused { account_id, family }
                }
                _ => Rotation::Invalid,
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// The sessions (families) revoked within the last `within`: those whose
/// access tokens may still be alive, which the cache's denylist must hold
/// (see `Cache::redis_restoring`).
pub async fn revoked_within(db: impl PgExecutor<'_>, within: std::time::Duration) -> Result<Vec<String>> {
    let seconds = i64::try_from(within.as_secs()).unwrap_or(i64::MAX);
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT family FROM refresh_tokens \
         WHERE revoked_at > now() - make_interval(secs => $1::float8)",
    )
    .bind(seconds as f64)
    .fetch_all(db)
    .await?)
}

/// Revokes every token of a family.
pub async fn revoke_family(db: impl PgExecutor<'_>, family: &str) -> Result<()> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1 AND revoked_at IS NULL")
        .bind(family)
        .execute(db)
        .await?;
    Ok(())
}

/// Revokes every live family of an account except `keep`; returns the
/// families revoked so their access tokens can be denied too.
#[tracing::instrument(skip_all, fields(account.id = account_id))]
pub async fn revoke_account(db: impl PgExecutor<'_>, account_id: i64, keep: Option<&str>) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "WITH revoked AS (UPDATE refresh_tokens SET revoked_at = now() \
         WHERE account_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR family <> $2) \
         RETURNING family) SELECT DISTINCT family FROM revoked",
    )
    .bind(account_id)
    .bind(keep)
    .fetch_all(db)
    .await?)
}

/// Revokes every live family of every account of distributor `distributor_id`
/// (the distributor is being deleted); returns the families revoked so their
/// access tokens can be denied too.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn revoke_distributor(db: impl PgExecutor<'_>, distributor_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "WITH revoked AS (UPDATE refresh_tokens t SET revoked_at = now() FROM accounts a \
         WHERE a.id = t.account_id AND a.distributor_id = $1 AND t.revoked_at IS NULL \
         RETURNING t.family) SELECT DISTINCT family FROM revoked",
    )
    .bind(distributor_id)
    .fetch_all(db)
    .await?)
}

/// Whether the session (refresh family) `family` was revoked: logout, a
/// password change, refresh reuse and account changes all revoke here
/// first, so this answers for the denylist when the cache cannot.
#[tracing::instrument(skip_all)]
pub async fn family_revoked(db: impl PgExecutor<'_>, family: &str) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family = $1 AND revoked_at IS NOT NULL)")
        .bind(family)
        .fetch_one(db)
        .await?)
}
