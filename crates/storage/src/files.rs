//! Uploaded files: metadata rows (the bytes live on disk, see
//! `api::minor::files`). One row per distributor and content hash, so the
//! same bytes uploaded twice are stored once; reads of the metadata go
//! through [`crate::read`] like every other resource.

use crate::error::Result;
use crate::write::{self, Lock, locked};
use sqlx::PgExecutor;

/// A file as the content endpoint and writes see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredFile {
    pub id: i64,
    pub distributor_id: i64,
    pub sha256: String,
    pub content_type: String,
    pub size: i64,
    pub original_name: String,
    pub version: i64,
}

/// What an upload records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile<'a> {
    pub distributor_id: i64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub original_name: &'a str,
    pub linked_kind: Option<&'a str>,
    pub linked_id: Option<i64>,
    pub created_by: i64,
}

/// Records a file unless distributor `f.distributor_id` already has one with
/// the same hash: `Some(new id)`, or `None` when it exists (a concurrent
/// upload of the same bytes waits for the other's commit, then finds it).
#[tracing::instrument(skip_all, fields(distributor.id = f.distributor_id))]
pub async fn create(db: impl PgExecutor<'_>, f: &NewFile<'_>) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar::<_, i64>(
        "INSERT INTO resources (distributor_id, sha256, content_type, size, original_name, linked_kind, linked_id, \
         created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (distributor_id, sha256) DO NOTHING RETURNING id",
    )
    .bind(f.distributor_id)
    .bind(f.sha256)
    .bind(f.content_type)
    .bind(f.size)
    .bind(f.original_name)
    .bind(f.linked_kind)
    .bind(f.linked_id)
    .bind(f.created_by)
    .fetch_optional(db)
    .await?)
}

/// The id of distributor `distributor_id`'s file with this hash, if any.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn find_by_hash(db: impl PgExecutor<'_>, distributor_id: i64, sha256: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT id FROM resources WHERE distributor_id = $1 AND sha256 = $2")
        .bind(distributor_id)
        .bind(sha256)
        .fetch_optional(db)
        .await?)
}

/// File `id`, locked as asked, whoever owns it: the caller checks access
/// against `distributor_id` (the metadata is for the owner's staff, the
/// content also for members of campaigns it shows in, see
/// [`shown_to_member`], so no single row scope fits).
#[tracing::instrument(skip_all, fields(file.id = id))]
pub async fn find(db: impl PgExecutor<'_>, id: i64, lock: Lock) -> Result<Option<StoredFile>> {
    let sql = locked!(
        lock,
        "SELECT id, distributor_id, sha256, content_type, size, original_name, version::int8 AS version \
                 FROM resources t WHERE id = $1"
    );
    Ok(sqlx::query_as::<_, StoredFile>(sql).bind(id).fetch_optional(db).await?)
}

/// Whether account `account_id`, not staff, may read file `id`'s content:
/// the file shows something of a campaign the account is a member of (one
/// that is active, when `active_only`, as for shoppers): an image of a
/// product offered in it, or a file uploaded for that campaign or product.
/// Everything else of the distributor (cost sheets, imports, documents) is
/// staff only.
#[tracing::instrument(skip_all, fields(file.id = id, account.id = account_id))]
pub async fn shown_to_member(db: impl PgExecutor<'_>, id: i64, account_id: i64, active_only: bool) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, bool>(
        "WITH mine AS (SELECT c.id FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
                       WHERE m.account_id = $2 AND (NOT $3 OR c.status = 'active')), \
              products AS (SELECT pi.product_id FROM product_images pi WHERE pi.resource_id = $1 \
                           UNION ALL \
                           SELECT r.linked_id FROM resources r WHERE r.id = $1 AND r.linked_kind = 'product') \
         SELECT EXISTS (SELECT 1 FROM campaign_items ci \
                        WHERE ci.campaign_id IN (SELECT id FROM mine) \
                          AND ci.product_id IN (SELECT product_id FROM products)) \
             OR EXISTS (SELECT 1 FROM resources r WHERE r.id = $1 AND r.linked_kind = 'campaign' \
                          AND r.linked_id IN (SELECT id FROM mine))",
    )
    .bind(id)
    .bind(account_id)
    .bind(active_only)
    .fetch_one(db)
    .await?)
}

/// Whether a product still shows file `id` (such a file cannot be deleted).
#[tracing::instrument(skip_all, fields(file.id = id))]
pub async fn in_use(db: impl PgExecutor<'_>, id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM product_images WHERE resource_id = $1)")
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Whether `id` names a live row of `kind` (`product`, `campaign`, `vendor`)
/// of distributor `distributor_id`; other kinds name nothing, so `false`.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id, kind = kind))]
pub async fn linked_exists(db: impl PgExecutor<'_>, kind: &str, distributor_id: i64, id: i64) -> Result<bool> {
    let sql = match kind {
        "product" => "SELECT EXISTS (SELECT 1 FROM products WHERE id = $1 AND distributor_id = $2 AND NOT is_deleted)",
        "campaign" => "SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = $1 AND distributor_id = $2)",
        "vendor" => "SELECT EXISTS (SELECT 1 FROM vendors WHERE id = $1 AND distributor_id = $2)",
        // `logo` and `document` name no row.
        _ => return Ok(false),
    };
    Ok(sqlx::query_scalar::<_, bool>(sql).bind(id).bind(distributor_id).fetch_one(db).await?)
}

/// Deletes file `id` if its version is `expected_version` (any when `None`).
/// A file a product still uses is refused by the foreign key (`Invalid`);
/// check [`in_use`] under a `FOR UPDATE` lock first to answer it clearly.
#[tracing::instrument(skip_all, fields(file.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "resources", id, expected_version).await
}
