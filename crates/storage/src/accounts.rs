//! Writes and lookups of accounts that are not list reads (those go through
//! [`crate::read`]): login, creation, updates, deletion, passwords.

use crate::error::{Result, StorageError};
use crate::named::Named;
use crate::write::{self, Scope};
use chrono::{DateTime, Utc};
use domain::Role;
use domain::organization::AccountFields;
use sqlx::{PgExecutor, PgPool};

/// What authentication needs of an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    /// Password rules compare a new password with it.
    pub email: String,
    pub password_hash: String,
    pub role: Named<Role>,
    pub distributor_id: Option<i64>,
    pub active: bool,
    /// Whether the account's distributor is soft-deleted: its accounts can
    /// neither log in nor refresh.
    pub distributor_deleted: bool,
}

impl Credentials {
    pub fn role(&self) -> Role {
        self.role.0
    }
}

/// A new account, already validated: what only a create sets (the
/// username, the password's hash, the distributor) and the write model.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub distributor_id: Option<i64>,
    pub fields: &'a AccountFields,
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

/// Whether account `id` may download reports (`None`: no such account).
/// Read per report request, not carried in the token, so switching it off
/// takes effect at once.
#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn reports_enabled(db: impl PgExecutor<'_>, id: i64) -> Result<Option<bool>> {
    Ok(sqlx::query_scalar("SELECT reports_enabled FROM accounts WHERE id = $1").bind(id).fetch_optional(db).await?)
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

/// Inserts an account; a taken username or email (case-insensitive) is a
/// `Conflict` on `accounts_username_key` or `accounts_email_key`.
#[tracing::instrument(skip_all, fields(account.username = new.username))]
pub async fn insert(db: impl PgExecutor<'_>, new: &NewAccount<'_>) -> Result<i64> {
    let f = new.fields;
    Ok(sqlx::query_scalar(
        "INSERT INTO accounts \
         (username, email, first_name, last_name, password_hash, role, distributor_id, reports_enabled, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(new.username)
    .bind(&f.email)
    .bind(&f.first_name)
    .bind(&f.last_name)
    .bind(new.password_hash)
    .bind(f.role.as_str())
    .bind(new.distributor_id)
    .bind(f.reports_enabled)
    .bind(f.active)
    .fetch_one(db)
    .await?)
}

/// An account as writes see it: what authorizing the write needs, and the
/// write model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: i64,
    pub distributor_id: Option<i64>,
    pub version: i64,
    pub fields: AccountFields,
}

impl Subject {
    pub fn role(&self) -> Role {
        self.fields.role
    }
}

#[derive(sqlx::FromRow)]
struct SubjectRow {
    id: i64,
    distributor_id: Option<i64>,
    version: i64,
    email: String,
    first_name: String,
    last_name: String,
    role: Named<Role>,
    active: bool,
    reports_enabled: bool,
}

impl From<SubjectRow> for Subject {
    fn from(r: SubjectRow) -> Subject {
        Subject {
            id: r.id,
            distributor_id: r.distributor_id,
            version: r.version,
            fields: AccountFields {
                email: r.email,
                first_name: r.first_name,
                last_name: r.last_name,
                role: r.role.0,
                active: r.active,
                reports_enabled: r.reports_enabled,
            },
        }
    }
}

/// Locks account `id` (`FOR UPDATE`) for the rest of the transaction, so the
/// role and distributor a write was authorized against cannot change before
/// it commits.
#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Subject>> {
    Ok(sqlx::query_as::<_, SubjectRow>(
        "SELECT id, distributor_id, version::int8 AS version, email, first_name, last_name, role, active, \
         reports_enabled FROM accounts WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(db)
    .await?
    .map(Subject::from))
}

/// Replaces account `id`'s fields if its version is `expected_version` (any
/// when `None`): `NotFound`, `Stale`, or `Conflict` when the new email is
/// taken.
#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn update(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>, f: &AccountFields) -> Result<()> {
    write::update(db, "accounts", Scope::ALL, id, expected_version, |a| {
        a.set("email", &f.email)
            .set("first_name", &f.first_name)
            .set("last_name", &f.last_name)
            .set("role", f.role.as_str())
            .set("active", f.active)
            .set("reports_enabled", f.reports_enabled);
    })
    .await
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

/// Deletes account `id` if its version is `expected_version` (any version
/// when `None`); its refresh tokens, memberships and idempotency keys go by
/// cascade. `NotFound` when there is no such account, `Stale` when the
/// version differs.
#[tracing::instrument(skip_all, fields(account.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "accounts", id, expected_version).await
}

/// How many accounts exist (an empty database gets demo data).
pub async fn count(db: impl PgExecutor<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM accounts").fetch_one(db).await?)
}
