//! Writes and lookups of accounts that are not list reads (those go through
//! [`crate::read`]): login, creation, updates, deletion, passwords.

use crate::error::{Result, StorageError};
use chrono::{DateTime, Utc};
use domain::Role;
use sqlx::{PgExecutor, PgPool, Postgres, QueryBuilder};

/// What authentication needs of an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    /// Password rules compare a new password with it.
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub distributor_id: Option<i64>,
    pub active: bool,
    /// Whether the account's distributor is soft-deleted: its accounts can
    /// neither log in nor refresh.
    pub distributor_deleted: bool,
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

/// `SELECT` of [`Credentials`] (with the distributor's deletion flag) and
/// the given `WHERE` clause, as one static string.
macro_rules! credentials_where {
    ($where:literal) => {
        concat!(
            "SELECT a.id, a.username, a.email, a.password_hash, a.role, a.distributor_id, a.active, \
             coalesce(d.is_deleted, FALSE) AS distributor_deleted \
             FROM accounts a LEFT JOIN distributors d ON d.id = a.distributor_id WHERE ",
            $where
        )
    };
}

/// The account a login names (case-insensitive): an identifier with `@` is
/// an email address and matches emails only, anything else matches usernames
/// only. Usernames cannot contain `@` (a CHECK constraint), so no account can
/// take another's email as its username and catch that person's logins.
#[tracing::instrument(skip_all)]
pub async fn find_for_login(pool: &PgPool, login: &str) -> Result<Option<Credentials>> {
    let sql = if login.contains('@') {
        credentials_where!("lower(a.email) = lower($1)")
    } else {
        credentials_where!("lower(a.username) = lower($1)")
    };
    Ok(sqlx::query_as::<_, Credentials>(sql).bind(login).fetch_optional(pool).await?)
}

#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn credentials(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Credentials>> {
    Ok(sqlx::query_as::<_, Credentials>(credentials_where!("a.id = $1")).bind(id).fetch_optional(db).await?)
}

/// What every authenticated request checks of the account its token names:
/// that it exists, is active, still has the token's role and distributor,
/// and that the distributor is not deleted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountState {
    pub role: String,
    pub distributor_id: Option<i64>,
    pub active: bool,
    pub distributor_deleted: bool,
}

#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn state(db: impl PgExecutor<'_>, id: i64) -> Result<Option<AccountState>> {
    Ok(sqlx::query_as::<_, AccountState>(
        "SELECT a.role, a.distributor_id, a.active, coalesce(d.is_deleted, FALSE) AS distributor_deleted \
         FROM accounts a LEFT JOIN distributors d ON d.id = a.distributor_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Whether another account than `except` uses `email` (case-insensitive).
#[tracing::instrument(skip_all)]
pub async fn email_taken(db: impl PgExecutor<'_>, email: &str, except: i64) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE lower(email) = lower($1) AND id <> $2)")
        .bind(email)
        .bind(except)
        .fetch_one(db)
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
        return Err(StorageError::NotFound);
    }
    Ok(())
}

/// Inserts an active account; a taken username or email is a `Conflict`.
pub async fn create(db: impl PgExecutor<'_>, new: &NewAccount<'_>) -> Result<i64> {
    insert(db, new, true).await
}

/// Inserts an account, active or not; a taken username or email
/// (case-insensitive) is a `Conflict`.
#[tracing::instrument(skip_all, fields(account.username = new.username))]
pub async fn insert(db: impl PgExecutor<'_>, new: &NewAccount<'_>, active: bool) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO accounts \
         (username, email, first_name, last_name, password_hash, role, distributor_id, reports_enabled, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(new.username)
    .bind(new.email)
    .bind(new.first_name)
    .bind(new.last_name)
    .bind(new.password_hash)
    .bind(new.role.as_str())
    .bind(new.distributor_id)
    .bind(new.reports_enabled)
    .bind(active)
    .fetch_one(db)
    .await?)
}

/// What authorizing a write to an account needs to know of it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subject {
    pub id: i64,
    pub role: String,
    pub distributor_id: Option<i64>,
    pub active: bool,
    pub reports_enabled: bool,
}

impl Subject {
    /// The role; the CHECK constraint keeps it one of the names, and the
    /// fallback (the least role) never widens what a caller may do to it.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Shopper)
    }
}

/// Locks account `id` (`FOR UPDATE`) for the rest of the transaction, so the
/// role and distributor a write was authorized against cannot change before
/// it commits.
#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Subject>> {
    Ok(sqlx::query_as::<_, Subject>(
        "SELECT id, role, distributor_id, active, reports_enabled FROM accounts WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The fields an update may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate<'a> {
    pub email: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub reports_enabled: Option<bool>,
}

impl AccountUpdate<'_> {
    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && self.role.is_none()
            && self.active.is_none()
            && self.reports_enabled.is_none()
    }
}

/// Updates account `id` if its version is `expected_version` (any version
/// when `None`), checking the version in the UPDATE itself. `NotFound` when
/// there is no such account, `Stale` when the version differs, `Conflict`
/// when the new email is taken. An empty update writes nothing (and bumps no
/// version).
#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn update(
    db: impl PgExecutor<'_>,
    id: i64,
    changes: &AccountUpdate<'_>,
    expected_version: Option<i64>,
) -> Result<()> {
    let mut qb = QueryBuilder::<Postgres>::new("");
    if changes.is_empty() {
        qb.push("SELECT NULL::int8, version::int8 FROM accounts WHERE id = ").push_bind(id);
    } else {
        qb.push("WITH updated AS (UPDATE accounts SET ");
        let mut set = qb.separated(", ");
        if let Some(v) = changes.email {
            set.push("email = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.first_name {
            set.push("first_name = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.last_name {
            set.push("last_name = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.role {
            set.push("role = ").push_bind_unseparated(v.as_str());
        }
        if let Some(v) = changes.active {
            set.push("active = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.reports_enabled {
            set.push("reports_enabled = ").push_bind_unseparated(v);
        }
        qb.push(" WHERE id = ").push_bind(id);
        qb.push(" AND (").push_bind(expected_version).push("::int8 IS NULL OR version = ");
        qb.push_bind(expected_version).push(") RETURNING version::int8) ");
        // The existence check reads the statement's snapshot: the row as it
        // was before the update, which is what "missing or stale" is about.
        qb.push("SELECT (SELECT version FROM updated), (SELECT version::int8 FROM accounts WHERE id = ");
        qb.push_bind(id).push(")");
    }
    // The empty-update SELECT yields no row for a missing account.
    let (updated, current): (Option<i64>, Option<i64>) =
        qb.build_query_as().fetch_optional(db).await?.unwrap_or((None, None));
    match (updated, current) {
        (Some(_), _) => Ok(()),
        (None, None) => Err(StorageError::NotFound),
        (None, Some(v)) if changes.is_empty() && expected_version.is_none_or(|e| e == v) => Ok(()),
        (None, Some(_)) => Err(StorageError::Stale),
    }
}

/// How many sales executives distributor `distributor_id` has. Call it
/// after [`crate::distributors::lock`] in the same transaction so the count
/// stays true until the write commits.
pub async fn count_sales_executives(db: impl PgExecutor<'_>, distributor_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM accounts WHERE distributor_id = $1 AND role = 'sales_executive'")
        .bind(distributor_id)
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
pub async fn delete(db: impl PgExecutor<'_>, id: i64) -> Result<()> {
    delete_versioned(db, id, None).await
}

/// Deletes account `id` if its version is `expected_version` (any version
/// when `None`); its refresh tokens, memberships and idempotency keys go by
/// cascade. `NotFound` when there is no such account, `Stale` when the
/// version differs.
#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn delete_versioned(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    // A data-modifying CTE runs to completion whether or not the main query
    // reads it; the existence check sees the row as it was before.
    let (deleted, existed): (bool, bool) = sqlx::query_as(
        "WITH deleted AS (DELETE FROM accounts WHERE id = $1 AND ($2::int8 IS NULL OR version = $2) RETURNING id) \
         SELECT EXISTS (SELECT 1 FROM deleted), EXISTS (SELECT 1 FROM accounts WHERE id = $1)",
    )
    .bind(id)
    .bind(expected_version)
    .fetch_one(db)
    .await?;
    match (deleted, existed) {
        (true, _) => Ok(()),
        (false, true) => Err(StorageError::Stale),
        (false, false) => Err(StorageError::NotFound),
    }
}

/// How many accounts exist (an empty database gets demo data).
pub async fn count(db: impl PgExecutor<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM accounts").fetch_one(db).await?)
}
