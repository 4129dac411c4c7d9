//! Distributor writes and lookups outside list reads.

use crate::error::Result;
use crate::write::{self, Lock, Scope, locked};
use domain::organization::DistributorFields;
use rust_decimal::Decimal;
use sqlx::PgExecutor;

/// The id of the distributor with this name (case-insensitive).
pub async fn id_by_name(db: impl PgExecutor<'_>, name: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM distributors WHERE lower(name) = lower($1)")
        .bind(name)
        .fetch_optional(db)
        .await?)
}

/// A distributor as writes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distributor {
    pub id: i64,
    pub version: i64,
    pub is_deleted: bool,
    pub fields: DistributorFields,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    version: i64,
    is_deleted: bool,
    name: String,
    email: String,
    address: String,
    ow_cost: Decimal,
    campaign_cost: Decimal,
    transaction_cost: Decimal,
    max_sales_count: i64,
}

impl From<Row> for Distributor {
    fn from(r: Row) -> Distributor {
        Distributor {
            id: r.id,
            version: r.version,
            is_deleted: r.is_deleted,
            fields: DistributorFields {
                name: r.name,
                email: r.email,
                address: r.address,
                ow_cost: r.ow_cost,
                campaign_cost: r.campaign_cost,
                transaction_cost: r.transaction_cost,
                max_sales_count: r.max_sales_count,
            },
        }
    }
}

/// Inserts a distributor; a taken name (case-insensitive) is a `Conflict`
/// on `distributors_name_key`.
#[tracing::instrument(skip_all)]
pub async fn insert(db: impl PgExecutor<'_>, f: &DistributorFields) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO distributors (name, email, address, ow_cost, campaign_cost, transaction_cost, max_sales_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(f.name.trim())
    .bind(&f.email)
    .bind(&f.address)
    .bind(f.ow_cost)
    .bind(f.campaign_cost)
    .bind(f.transaction_cost)
    .bind(f.max_sales_count)
    .fetch_one(db)
    .await?)
}

/// Distributor `id`, locked as asked; `None` when absent, or soft-deleted
/// and not `include_deleted` (only super admins see deleted distributors).
#[tracing::instrument(skip_all, fields(distributor.id = id))]
pub async fn load(db: impl PgExecutor<'_>, id: i64, include_deleted: bool, lock: Lock) -> Result<Option<Distributor>> {
    let sql = locked!(
        lock,
        "SELECT id, version::int8 AS version, is_deleted, name, email, address, ow_cost, campaign_cost, \
         transaction_cost, max_sales_count::int8 AS max_sales_count FROM distributors t \
         WHERE id = $1 AND ($2 OR NOT is_deleted)"
    );
    Ok(sqlx::query_as::<_, Row>(sql).bind(id).bind(include_deleted).fetch_optional(db).await?.map(Distributor::from))
}

/// Replaces distributor `id`'s fields if its version is `expected_version`
/// (any when `None`): `NotFound` (a soft-deleted one too, unless
/// `include_deleted`), `Stale`, or `Conflict` on a taken name.
#[tracing::instrument(skip_all, fields(distributor.id = id))]
pub async fn update(
    db: impl PgExecutor<'_>,
    id: i64,
    expected_version: Option<i64>,
    f: &DistributorFields,
    include_deleted: bool,
) -> Result<()> {
    let scope = if include_deleted { Scope::ALL } else { Scope("NOT is_deleted") };
    write::update(db, "distributors", scope, id, expected_version, |a| {
        a.set("name", f.name.trim())
            .set("email", &f.email)
            .set("address", &f.address)
            .set("ow_cost", f.ow_cost)
            .set("campaign_cost", f.campaign_cost)
            .set("transaction_cost", f.transaction_cost)
            .set("max_sales_count", f.max_sales_count);
    })
    .await
}

/// Soft-deletes distributor `id` (sets `is_deleted`), honouring
/// `expected_version` like [`update`]. Deleting a deleted distributor again
/// succeeds and changes nothing.
#[tracing::instrument(skip_all, fields(distributor.id = id))]
pub async fn soft_delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::soft_delete(db, "distributors", id, expected_version).await
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
