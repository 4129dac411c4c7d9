//! Secrets the server generates for itself, kept in the database so that
//! every process serving it agrees on them.

use crate::error::Result;
use sqlx::PgPool;

/// The name of the access-token signing key in `server_secrets`.
const SIGNING_KEY: &str = "jwt_signing_key";

/// The signing key every process on this database shares: the stored one,
/// or `fresh` when there is none yet (the first process to start stores its
/// own; a concurrent start loses the race and reads the winner's). Returns
/// the key and whether `fresh` was stored.
#[tracing::instrument(skip_all)]
pub async fn signing_key(pool: &PgPool, fresh: &str) -> Result<(String, bool)> {
    let inserted =
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(SIGNING_KEY)
            .bind(fresh)
            .execute(pool)
            .await?
            .rows_affected()
            == 1;
    let key = sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
        .bind(SIGNING_KEY)
        .fetch_one(pool)
        .await?;
    Ok((key, inserted))
}
