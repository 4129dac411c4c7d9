//! Distributor writes and lookups outside list reads.

use crate::error::Result;
use sqlx::PgExecutor;

/// The id of the distributor with this name (case-insensitive).
pub async fn id_by_name(db: impl PgExecutor<'_>, name: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM distributors WHERE lower(name) = lower($1)")
        .bind(name)
        .fetch_optional(db)
        .await?)
}

/// Inserts a distributor with default costs; a taken name is a `Conflict`.
#[tracing::instrument(skip_all)]
pub async fn create(db: impl PgExecutor<'_>, name: &str, email: &str, address: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("INSERT INTO distributors (name, email, address) VALUES ($1, $2, $3) RETURNING id")
        .bind(name)
        .bind(email)
        .bind(address)
        .fetch_one(db)
        .await?)
}
