//! Writes and lookups of accounts that are not list reads (those go through
//! [`crate::read`]): login, creation, passwords.

use crate::error::Result;
use chrono::{DateTime, Utc};
use domain::Role;
use sqlx::{PgExecutor, PgPool};

/// What authentication needs of an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub distributor_id: Option<i64>,
    pub active: bool,
}

impl Credentials {
    /// The role; a value outside the CHECK constraint cannot be stored, so
    /// the fallback (the least role) never widens access.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Shopper)
    }
}

/// A new account, already validated.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub distributor_id: Option<i64>,
    pub reports_enabled: bool,
}

/// The account a login names, by username or email (both case-insensitive).
#[tracing::instrument(skip_all)]
pub async fn find_for_login(pool: &PgPool, login: &str) -> Result<Option<Credentials>> {
    Ok(sqlx::query_as::<_, Credentials>(
        "SELECT id, username, password_hash, role, distributor_id, active FROM accounts \
         WHERE lower(username) = lower($1) OR lower(email) = lower($1) \
         ORDER BY (lower(username) = lower($1)) DESC LIMIT 1",
    )
    .bind(login)
    .fetch_optional(pool)
    .await?)
}

#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn credentials(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Credentials>> {
    Ok(sqlx::query_as::<_, Credentials>(
        "SELECT id, username, password_hash, role, distributor_id, active FROM accounts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn record_login(db: impl PgExecutor<'_>, id: i64, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE accounts SET last_login_at = $2 WHERE id = $1").bind(id).bind(at).execute(db).await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn set_password(db: impl PgExecutor<'_>, id: i64, password_hash: &str) -> Result<()> {
    let done = sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(password_hash)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(crate::StorageError::NotFound);
    }
    Ok(())
}

/// Inserts an account; a taken username or email is a `Conflict`.
#[tracing::instrument(skip_all, fields(account.username = new.username))]
pub async fn create(db: impl PgExecutor<'_>, new: &NewAccount<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO accounts (username, email, first_name, last_name, password_hash, role, distributor_id, reports_enabled) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.username)
    .bind(new.email)
    .bind(new.first_name)
    .bind(new.last_name)
    .bind(new.password_hash)
    .bind(new.role.as_str())
    .bind(new.distributor_id)
    .bind(new.reports_enabled)
    .fetch_one(db)
    .await?)
}

/// The id of the account with this username (case-insensitive).
pub async fn id_by_username(db: impl PgExecutor<'_>, username: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM accounts WHERE lower(username) = lower($1)")
        .bind(username)
        .fetch_optional(db)
        .await?)
}

/// Deletes an account and, by cascade, its refresh tokens.
#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64) -> Result<()> {
    let done = sqlx::query("DELETE FROM accounts WHERE id = $1").bind(id).execute(db).await?;
    if done.rows_affected() == 0 {
        return Err(crate::StorageError::NotFound);
    }
    Ok(())
}

/// How many accounts exist (an empty database gets demo data).
pub async fn count(db: impl PgExecutor<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM accounts").fetch_one(db).await?)
}
