//! Distributor writes and lookups outside list reads.

use crate::error::{Result, StorageError};
use rust_decimal::Decimal;
use sqlx::{PgExecutor, Postgres, QueryBuilder};

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

/// A new distributor with every setting, already validated.
#[derive(Debug, Clone)]
pub struct NewDistributor<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub address: &'a str,
    pub ow_cost: Decimal,
    pub campaign_cost: Decimal,
    pub transaction_cost: Decimal,
    pub max_sales_count: i32,
}

/// Inserts a distributor; a taken name (case-insensitive) is a `Conflict`.
#[tracing::instrument(skip_all)]
pub async fn insert(db: impl PgExecutor<'_>, new: &NewDistributor<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO distributors (name, email, address, ow_cost, campaign_cost, transaction_cost, max_sales_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.name)
    .bind(new.email)
    .bind(new.address)
    .bind(new.ow_cost)
    .bind(new.campaign_cost)
    .bind(new.transaction_cost)
    .bind(new.max_sales_count)
    .fetch_one(db)
    .await?)
}

/// The fields an update may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DistributorUpdate<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub address: Option<&'a str>,
    pub ow_cost: Option<Decimal>,
    pub campaign_cost: Option<Decimal>,
    pub transaction_cost: Option<Decimal>,
    pub max_sales_count: Option<i32>,
}

impl DistributorUpdate<'_> {
    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.address.is_none()
            && self.ow_cost.is_none()
            && self.campaign_cost.is_none()
            && self.transaction_cost.is_none()
            && self.max_sales_count.is_none()
    }
}

/// Pushes the predicate "row `id`, and not soft-deleted unless `include_deleted`".
fn push_target(qb: &mut QueryBuilder<Postgres>, id: i64, include_deleted: bool) {
    qb.push("id = ").push_bind(id).push(" AND (").push_bind(include_deleted).push(" OR NOT is_deleted)");
}

/// Updates distributor `id` if its version is `expected_version` (any
/// version when `None`), checking the version in the UPDATE itself so there
/// is no window between check and write. A soft-deleted distributor counts
/// as missing unless `include_deleted`. `NotFound` when there is no such
/// row, `Stale` when the version differs, `Conflict` when the new name is
/// taken. An empty update writes nothing (and bumps no version).
#[tracing::instrument(skip_all, fields(distributor.id = id))]
pub async fn update(
    db: impl PgExecutor<'_>,
    id: i64,
    changes: &DistributorUpdate<'_>,
    expected_version: Option<i64>,
    include_deleted: bool,
) -> Result<()> {
    let mut qb = QueryBuilder::<Postgres>::new("");
    if changes.is_empty() {
        qb.push("SELECT NULL::int8, version::int8 FROM distributors WHERE ");
        push_target(&mut qb, id, include_deleted);
    } else {
        qb.push("WITH updated AS (UPDATE distributors SET ");
        let mut set = qb.separated(", ");
        if let Some(v) = changes.name {
            set.push("name = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.email {
            set.push("email = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.address {
            set.push("address = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.ow_cost {
            set.push("ow_cost = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.campaign_cost {
            set.push("campaign_cost = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.transaction_cost {
            set.push("transaction_cost = ").push_bind_unseparated(v);
        }
        if let Some(v) = changes.max_sales_count {
            set.push("max_sales_count = ").push_bind_unseparated(v);
        }
        qb.push(" WHERE ");
        push_target(&mut qb, id, include_deleted);
        qb.push(" AND (").push_bind(expected_version).push("::int8 IS NULL OR version = ");
        qb.push_bind(expected_version).push(") RETURNING version::int8) ");
        // The existence check reads the statement's snapshot: the row as it
        // was before the update, which is what "missing or stale" is about.
        qb.push("SELECT (SELECT version FROM updated), (SELECT version::int8 FROM distributors WHERE ");
        push_target(&mut qb, id, include_deleted);
        qb.push(")");
    }
    // The empty-update SELECT yields no row for a missing distributor.
    let (updated, current): (Option<i64>, Option<i64>) =
        qb.build_query_as().fetch_optional(db).await?.unwrap_or((None, None));
    match (updated, current) {
        (Some(_), _) => Ok(()),
        (None, None) => Err(StorageError::NotFound),
        (None, Some(v)) if changes.is_empty() && expected_version.is_none_or(|e| e == v) => Ok(()),
        (None, Some(_)) => Err(StorageError::Stale),
    }
}

/// Soft-deletes distributor `id` (sets `is_deleted`), honouring
/// `expected_version` like [`update`]. Deleting a deleted distributor again
/// succeeds and changes nothing.
#[tracing::instrument(skip_all, fields(distributor.id = id))]
pub async fn soft_delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    // A data-modifying CTE runs to completion whether or not the main query
    // reads it; the main query reports whether the version matched.
    let (matched, exists): (bool, bool) = sqlx::query_as(
        "WITH target AS (SELECT id, is_deleted FROM distributors \
                         WHERE id = $1 AND ($2::int8 IS NULL OR version = $2)), \
              updated AS (UPDATE distributors d SET is_deleted = TRUE FROM target \
                          WHERE d.id = target.id AND NOT target.is_deleted) \
         SELECT EXISTS (SELECT 1 FROM target), EXISTS (SELECT 1 FROM distributors WHERE id = $1)",
    )
    .bind(id)
    .bind(expected_version)
    .fetch_one(db)
    .await?;
    match (matched, exists) {
        (true, _) => Ok(()),
        (false, true) => Err(StorageError::Stale),
        (false, false) => Err(StorageError::NotFound),
    }
}

/// Whether distributor `id` is soft-deleted; `None` when there is no such row.
pub async fn is_deleted(db: impl PgExecutor<'_>, id: i64) -> Result<Option<bool>> {
    Ok(sqlx::query_scalar("SELECT is_deleted FROM distributors WHERE id = $1").bind(id).fetch_optional(db).await?)
}

/// What adding a sales executive to a distributor depends on.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct SalesLimit {
    pub max_sales_count: i32,
    pub is_deleted: bool,
}

/// Locks distributor `id` (`FOR UPDATE`) for the rest of the transaction and
/// returns its sales-executive limit. Every write that may add a sales
/// executive takes this lock before counting them, so two concurrent writes
/// cannot both see room for the last one.
#[tracing::instrument(skip_all, fields(distributor.id = id))]
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> Result<Option<SalesLimit>> {
    Ok(sqlx::query_as::<_, SalesLimit>("SELECT max_sales_count, is_deleted FROM distributors WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(db)
        .await?)
}
