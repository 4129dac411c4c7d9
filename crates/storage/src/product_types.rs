//! Product-type writes and the lookups writes need (reads go through
//! [`crate::read`]).
//!
//! A type's attributes are an ordered list (`product_type_attributes.position`
//! orders a variant's values and so its sku); its vendors are a set. Both are
//! replaced whole. The API checks that every id is of the type's distributor
//! ([`attributes_of`], [`vendors_of`]), locking those rows `FOR SHARE` so they
//! cannot be deleted before the links are written.

use crate::error::Result;
use crate::write::{self, Lock, Scope, locked};
use domain::catalog::ProductTypeFields;
use sqlx::PgExecutor;

/// A product type as writes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductType {
    pub id: i64,
    pub distributor_id: i64,
    pub version: i64,
    pub fields: ProductTypeFields,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    distributor_id: i64,
    version: i64,
    name: String,
    attribute_ids: Vec<i64>,
    vendor_ids: Vec<i64>,
}

impl From<Row> for ProductType {
    fn from(r: Row) -> ProductType {
        ProductType {
            id: r.id,
            distributor_id: r.distributor_id,
            version: r.version,
            fields: ProductTypeFields { name: r.name, attribute_ids: r.attribute_ids, vendor_ids: r.vendor_ids },
        }
    }
}

/// Inserts a product type of `distributor_id` with its attributes (in order)
/// and vendors; a taken name is a `Conflict` on `product_types_name_key`.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn create(conn: &mut crate::Connection, distributor_id: i64, f: &ProductTypeFields) -> Result<i64> {
    let id: i64 = sqlx::query_scalar("INSERT INTO product_types (distributor_id, name) VALUES ($1, $2) RETURNING id")
        .bind(distributor_id)
        .bind(f.name.trim())
        .fetch_one(&mut *conn)
        .await?;
    insert_attributes(&mut *conn, id, distributor_id, &f.attribute_ids).await?;
    insert_vendors(&mut *conn, id, distributor_id, &f.vendor_ids).await?;
    Ok(id)
}

async fn insert_attributes(conn: &mut crate::Connection, id: i64, distributor_id: i64, ids: &[i64]) -> Result<()> {
    sqlx::query(
        "INSERT INTO product_type_attributes (product_type_id, attribute_id, distributor_id, position) \
         SELECT $1, a.id, $2, a.ord - 1 FROM unnest($3::int8[]) WITH ORDINALITY AS a(id, ord)",
    )
    .bind(id)
    .bind(distributor_id)
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}

async fn insert_vendors(conn: &mut crate::Connection, id: i64, distributor_id: i64, ids: &[i64]) -> Result<()> {
    sqlx::query(
        "INSERT INTO product_type_vendors (product_type_id, vendor_id, distributor_id) \
         SELECT $1, v, $2 FROM unnest($3::int8[]) AS v",
    )
    .bind(id)
    .bind(distributor_id)
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Product type `id` of any distributor with its attribute and vendor ids,
/// locked as asked; the caller checks that the distributor is the caller's.
/// `None` when absent.
#[tracing::instrument(skip_all, fields(product_type.id = id))]
pub async fn load(db: impl PgExecutor<'_>, id: i64, lock: Lock) -> Result<Option<ProductType>> {
    let sql = locked!(
        lock,
        "SELECT t.id, t.distributor_id, t.version::int8 AS version, t.name, \
                   array(SELECT attribute_id FROM product_type_attributes \
                         WHERE product_type_id = t.id ORDER BY position) AS attribute_ids, \
                   array(SELECT vendor_id FROM product_type_vendors \
                         WHERE product_type_id = t.id ORDER BY vendor_id) AS vendor_ids \
                 FROM product_types t WHERE t.id = $1"
    );
    Ok(sqlx::query_as::<_, Row>(sql).bind(id).fetch_optional(db).await?.map(ProductType::from))
}

/// Those of `ids` that are attributes of `distributor_id`, locked `FOR
/// SHARE` (they cannot be deleted until the transaction ends).
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn attributes_of(db: impl PgExecutor<'_>, distributor_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM attributes WHERE distributor_id = $1 AND id = ANY($2) ORDER BY id FOR SHARE")
        .bind(distributor_id)
        .bind(ids)
        .fetch_all(db)
        .await?)
}

/// Those of `ids` that are vendors of `distributor_id`, locked `FOR SHARE`.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn vendors_of(db: impl PgExecutor<'_>, distributor_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM vendors WHERE distributor_id = $1 AND id = ANY($2) ORDER BY id FOR SHARE")
        .bind(distributor_id)
        .bind(ids)
        .fetch_all(db)
        .await?)
}

/// Whether any product of type `id` has a variant (then its attributes are
/// fixed: every variant holds one value of each).
#[tracing::instrument(skip_all, fields(product_type.id = id))]
pub async fn has_variants(db: impl PgExecutor<'_>, id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM product_variants v JOIN products p ON p.id = v.product_id \
         WHERE p.product_type_id = $1)",
    )
    .bind(id)
    .fetch_one(db)
    .await?)
}

/// How many products (deleted ones too) are of type `id`.
#[tracing::instrument(skip_all, fields(product_type.id = id))]
pub async fn product_count(db: impl PgExecutor<'_>, id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM products WHERE product_type_id = $1").bind(id).fetch_one(db).await?)
}

/// Writes `next` over product type `id` (of `distributor_id`), whose fields
/// are `current`, if its version is `expected_version` (any when `None`):
/// the row is written (and its version bumped) even when only its links
/// change, so its ETag follows them; a link list is replaced only when it
/// differs (the vendors as a set). `NotFound`, `Stale`, or `Conflict` on `product_types_name_key`.
#[tracing::instrument(skip_all, fields(product_type.id = id))]
pub async fn update(
    conn: &mut crate::Connection,
    id: i64,
    distributor_id: i64,
    expected_version: Option<i64>,
    next: &ProductTypeFields,
    current: &ProductTypeFields,
) -> Result<()> {
    write::update(&mut *conn, "product_types", Scope::ALL, id, expected_version, |a| {
        a.set("name", next.name.trim()).set_sql("modified_at = now()");
    })
    .await?;
    if next.attribute_ids != current.attribute_ids {
        sqlx::query("DELETE FROM product_type_attributes WHERE product_type_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        insert_attributes(&mut *conn, id, distributor_id, &next.attribute_ids).await?;
    }
    let set = |ids: &[i64]| ids.iter().copied().collect::<std::collections::BTreeSet<i64>>();
    if set(&next.vendor_ids) != set(&current.vendor_ids) {
        sqlx::query("DELETE FROM product_type_vendors WHERE product_type_id = $1").bind(id).execute(&mut *conn).await?;
        insert_vendors(&mut *conn, id, distributor_id, &next.vendor_ids).await?;
    }
    Ok(())
}

/// Deletes product type `id` (its links go with it) if its version is
/// `expected_version` (any when `None`). A product of the type makes the
/// database refuse (`Invalid`); check [`product_count`] first.
#[tracing::instrument(skip_all, fields(product_type.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "product_types", id, expected_version).await
}
