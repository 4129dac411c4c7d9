//! Product writes and the lookups they need (reads go through
//! [`crate::read`]). Deleting a product is soft: `is_deleted` hides it from
//! lists, and its item number becomes free again (the unique index covers
//! only products that are not deleted), while its variants and the campaign
//! items made from them keep pointing at it.
//!
//! Writes that change an input of a derived column (item number, name,
//! description, type) must be followed by `derived::refresh` in the same
//! transaction; the API does that.

use crate::error::Result;
use crate::write::{self, Lock, Scope, locked};
use domain::catalog::ProductFields;
use sqlx::{PgConnection, PgExecutor};

/// A product as writes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub distributor_id: i64,
    pub version: i64,
    pub is_deleted: bool,
    pub fields: ProductFields,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    distributor_id: i64,
    version: i64,
    is_deleted: bool,
    name: String,
    item_number: String,
    description: String,
    product_type_id: i64,
    image_ids: Vec<i64>,
}

impl From<Row> for Product {
    fn from(r: Row) -> Product {
        Product {
            id: r.id,
            distributor_id: r.distributor_id,
            version: r.version,
            is_deleted: r.is_deleted,
            fields: ProductFields {
                name: r.name,
                item_number: r.item_number,
                description: r.description,
                product_type_id: r.product_type_id,
                image_ids: r.image_ids,
            },
        }
    }
}

/// Product `id` whatever its distributor, locked as asked; `None` when there
/// is no such product. The caller checks the distributor against the
/// caller's (another distributor's product is a 404).
#[tracing::instrument(skip_all, fields(product.id = id))]
pub async fn load(db: impl PgExecutor<'_>, id: i64, lock: Lock) -> Result<Option<Product>> {
    let sql = locked!(
        lock,
        "SELECT t.id, t.distributor_id, t.version::int8 AS version, t.is_deleted, t.name, t.item_number, \
                 t.description, t.product_type_id, \
                 ARRAY(SELECT i.resource_id FROM product_images i WHERE i.product_id = t.id ORDER BY i.position) \
                   AS image_ids \
                 FROM products t WHERE t.id = $1"
    );
    Ok(sqlx::query_as::<_, Row>(sql).bind(id).fetch_optional(db).await?.map(Product::from))
}

/// Whether product type `id` belongs to `distributor_id`, locked (`FOR
/// SHARE`) so it cannot be deleted before the product written for it commits.
#[tracing::instrument(skip_all, fields(product_type.id = id))]
pub async fn product_type_exists(db: impl PgExecutor<'_>, distributor_id: i64, id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT id FROM product_types WHERE id = $1 AND distributor_id = $2 FOR SHARE")
        .bind(id)
        .bind(distributor_id)
        .fetch_optional(db)
        .await?
        .is_some())
}

/// The ids among `ids` that are not uploaded files of `distributor_id`
/// (absent, or another distributor's), in the order given. The files found
/// are locked (`FOR KEY SHARE`) so they cannot be deleted before the product
/// that shows them commits.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id, n = ids.len()))]
pub async fn unknown_files(db: impl PgExecutor<'_>, distributor_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar::<_, i64>(
        "WITH found AS (SELECT id FROM resources WHERE id = ANY($1) AND distributor_id = $2 FOR KEY SHARE) \
         SELECT u.id FROM unnest($1::int8[]) WITH ORDINALITY AS u(id, ord) \
         WHERE u.id NOT IN (SELECT id FROM found) ORDER BY u.ord",
    )
    .bind(ids)
    .bind(distributor_id)
    .fetch_all(db)
    .await?)
}

/// Inserts a product of `distributor_id` with its images, in one statement.
/// A taken item number is a `Conflict` on `products_item_number_key`.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn create(db: impl PgExecutor<'_>, distributor_id: i64, f: &ProductFields) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "WITH p AS (INSERT INTO products (distributor_id, product_type_id, name, item_number, description) \
                    VALUES ($1, $2, $3, $4, $5) RETURNING id), \
              images AS (INSERT INTO product_images (product_id, resource_id, distributor_id, position) \
                         SELECT p.id, u.id, $1, (u.ord - 1)::int4 \
                         FROM p CROSS JOIN unnest($6::int8[]) WITH ORDINALITY AS u(id, ord)) \
         SELECT id FROM p",
    )
    .bind(distributor_id)
    .bind(f.product_type_id)
    .bind(&f.name)
    .bind(&f.item_number)
    .bind(&f.description)
    .bind(&f.image_ids)
    .fetch_one(db)
    .await?)
}

/// Replaces product `id`'s fields if its version is `expected_version` (any
/// when `None`): `NotFound`, `Stale`, or `Conflict` on a taken item number.
/// The images are replaced only when `images_changed`; the row's version
/// moves either way, since the images are part of what a reader sees.
#[tracing::instrument(skip_all, fields(product.id = id))]
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    expected_version: Option<i64>,
    f: &ProductFields,
    images_changed: bool,
) -> Result<()> {
    write::update(&mut *conn, "products", Scope::ALL, id, expected_version, |a| {
        a.set("product_type_id", f.product_type_id)
            .set("name", &f.name)
            .set("item_number", &f.item_number)
            .set("description", &f.description);
    })
    .await?;
    if images_changed {
        // Two statements: a unique (product, position) must not see the old
        // rows, which a single statement's snapshot still would.
        sqlx::query("DELETE FROM product_images WHERE product_id = $1").bind(id).execute(&mut *conn).await?;
        sqlx::query(
            "INSERT INTO product_images (product_id, resource_id, distributor_id, position) \
             SELECT p.id, u.id, p.distributor_id, (u.ord - 1)::int4 \
             FROM products p CROSS JOIN unnest($2::int8[]) WITH ORDINALITY AS u(id, ord) WHERE p.id = $1",
        )
        .bind(id)
        .bind(&f.image_ids)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Whether product `id` has any variant.
#[tracing::instrument(skip_all, fields(product.id = id))]
pub async fn has_variants(db: impl PgExecutor<'_>, id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM product_variants WHERE product_id = $1)")
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Soft-deletes product `id` if its version is `expected_version` (any when
/// `None`). Deleting a deleted product changes nothing (its version stays).
#[tracing::instrument(skip_all, fields(product.id = id))]
pub async fn soft_delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::soft_delete(db, "products", id, expected_version).await
}
