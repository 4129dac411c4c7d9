//! Attribute and attribute-value writes, and the lookups writes need (reads
//! go through [`crate::read`]).
//!
//! An attribute's values are an ordered list whose positions stay dense
//! (0..n-1): an insert shifts the values after it, a delete closes the gap, a
//! reorder rewrites every position in one statement. The unique
//! `(attribute_id, position)` constraint is checked at commit, so the
//! intermediate states of those statements never trip it. Callers lock the
//! attribute row `FOR UPDATE` before any value write, which serialises value
//! writes per attribute (two appends cannot both pick position n), and
//! [`touch`] it, so the attribute's version — its ETag — changes whenever its
//! value list does.

use crate::error::Result;
use crate::write::{self, Lock, Scope, locked, outcome};
use sqlx::PgExecutor;

/// An attribute as writes see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attribute {
    pub id: i64,
    pub distributor_id: i64,
    pub version: i64,
    pub name: String,
}

/// One value of an attribute.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Value {
    pub id: i64,
    pub attribute_id: i64,
    pub version: i64,
    pub name: String,
    pub position: i64,
}

/// Inserts an attribute of `distributor_id` with `values` in that order; a
/// taken name is a `Conflict` on `attributes_name_key` (or, for a value
/// listed twice, `attribute_values_name_key`).
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn create(conn: &mut crate::Connection, distributor_id: i64, name: &str, values: &[String]) -> Result<i64> {
    let id: i64 = sqlx::query_scalar("INSERT INTO attributes (distributor_id, name) VALUES ($1, $2) RETURNING id")
        .bind(distributor_id)
        .bind(name.trim())
        .fetch_one(&mut *conn)
        .await?;
    let names: Vec<&str> = values.iter().map(|v| v.trim()).collect();
    sqlx::query(
        "INSERT INTO attribute_values (attribute_id, distributor_id, name, position) \
         SELECT $1, $2, v.name, v.ord - 1 FROM unnest($3::text[]) WITH ORDINALITY AS v(name, ord)",
    )
    .bind(id)
    .bind(distributor_id)
    .bind(&names)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Attribute `id` of any distributor, locked as asked; the caller checks
/// that the distributor is the caller's. `None` when absent.
#[tracing::instrument(skip_all, fields(attribute.id = id))]
pub async fn load(db: impl PgExecutor<'_>, id: i64, lock: Lock) -> Result<Option<Attribute>> {
    let sql =
        locked!(lock, "SELECT id, distributor_id, version::int8 AS version, name FROM attributes t WHERE id = $1");
    Ok(sqlx::query_as::<_, Attribute>(sql).bind(id).fetch_optional(db).await?)
}

/// Renames attribute `id` if its version is `expected_version` (any when
/// `None`): `NotFound`, `Stale`, or `Conflict` on `attributes_name_key`.
#[tracing::instrument(skip_all, fields(attribute.id = id))]
pub async fn rename(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>, name: &str) -> Result<()> {
    write::update(db, "attributes", Scope::ALL, id, expected_version, |a| {
        a.set("name", name.trim());
    })
    .await
}

/// Bumps attribute `id`'s version (and `modified_at`) if it is
/// `expected_version` (any when `None`): its value list changed.
#[tracing::instrument(skip_all, fields(attribute.id = id))]
pub async fn touch(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::update(db, "attributes", Scope::ALL, id, expected_version, |a| {
        a.set_sql("modified_at = now()");
    })
    .await
}

/// How many product types use attribute `id`.
#[tracing::instrument(skip_all, fields(attribute.id = id))]
pub async fn product_type_count(db: impl PgExecutor<'_>, id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM product_type_attributes WHERE attribute_id = $1")
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// The values of attribute `id` that variants use (while there are any, the
/// attribute cannot be deleted).
#[tracing::instrument(skip_all, fields(attribute.id = id))]
pub async fn used_value_ids(db: impl PgExecutor<'_>, id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT attribute_value_id FROM product_variant_values WHERE attribute_id = $1 ORDER BY 1",
    )
    .bind(id)
    .fetch_all(db)
    .await?)
}

/// Deletes attribute `id` (its values go with it) if its version is
/// `expected_version` (any when `None`). A product type or variant still
/// using it makes the database refuse (`Invalid`); check first.
#[tracing::instrument(skip_all, fields(attribute.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "attributes", id, expected_version).await
}

// ---- values -------------------------------------------------------------------

/// Attribute `attribute_id`'s values in their order.
#[tracing::instrument(skip_all, fields(attribute.id = attribute_id))]
pub async fn values(db: impl PgExecutor<'_>, attribute_id: i64) -> Result<Vec<Value>> {
    Ok(sqlx::query_as::<_, Value>(
        "SELECT id, attribute_id, version::int8 AS version, name, position::int8 AS position \
         FROM attribute_values WHERE attribute_id = $1 ORDER BY position, id",
    )
    .bind(attribute_id)
    .fetch_all(db)
    .await?)
}

/// Value `id` of attribute `attribute_id`, locked as asked; `None` when
/// absent or a value of another attribute.
#[tracing::instrument(skip_all, fields(attribute.id = attribute_id, value.id = id))]
pub async fn find_value(db: impl PgExecutor<'_>, attribute_id: i64, id: i64, lock: Lock) -> Result<Option<Value>> {
    let sql = locked!(
        lock,
        "SELECT id, attribute_id, version::int8 AS version, name, position::int8 AS position \
         FROM attribute_values t WHERE id = $1 AND attribute_id = $2"
    );
    Ok(sqlx::query_as::<_, Value>(sql).bind(id).bind(attribute_id).fetch_optional(db).await?)
}

/// Inserts value `name` into attribute `attribute_id` at `position` (the
/// values from there on move one down), or at the end when `None`. The
/// caller holds the attribute's lock and has checked `0 ≤ position ≤ n`. A
/// taken name is a `Conflict` on `attribute_values_name_key`.
#[tracing::instrument(skip_all, fields(attribute.id = attribute_id))]
pub async fn add_value(
    conn: &mut crate::Connection,
    attribute_id: i64,
    distributor_id: i64,
    name: &str,
    position: Option<i64>,
) -> Result<i64> {
    if let Some(p) = position {
        sqlx::query("UPDATE attribute_values SET position = position + 1 WHERE attribute_id = $1 AND position >= $2")
            .bind(attribute_id)
            .bind(p)
            .execute(&mut *conn)
            .await?;
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO attribute_values (attribute_id, distributor_id, name, position) \
         VALUES ($1, $2, $3, coalesce($4::int8, (SELECT count(*) FROM attribute_values WHERE attribute_id = $1))) \
         RETURNING id",
    )
    .bind(attribute_id)
    .bind(distributor_id)
    .bind(name.trim())
    .bind(position)
    .fetch_one(&mut *conn)
    .await?)
}

/// Renames value `id` if its version is `expected_version` (any when
/// `None`): `NotFound`, `Stale`, or `Conflict` on `attribute_values_name_key`.
#[tracing::instrument(skip_all, fields(value.id = id))]
pub async fn rename_value(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>, name: &str) -> Result<()> {
    write::update(db, "attribute_values", Scope::ALL, id, expected_version, |a| {
        a.set("name", name.trim());
    })
    .await
}

/// How many variants use value `id`.
#[tracing::instrument(skip_all, fields(value.id = id))]
pub async fn value_variant_count(db: impl PgExecutor<'_>, id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM product_variant_values WHERE attribute_value_id = $1")
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Deletes value `id` if its version is `expected_version` (any when
/// `None`) and closes the gap it leaves in its attribute's positions.
#[tracing::instrument(skip_all, fields(value.id = id))]
pub async fn delete_value(conn: &mut crate::Connection, id: i64, expected_version: Option<i64>) -> Result<()> {
    let (attribute_id, position, existed): (Option<i64>, Option<i64>, bool) = sqlx::query_as(
        "WITH written AS (DELETE FROM attribute_values WHERE id = $1 AND ($2::int8 IS NULL OR version = $2) \
         RETURNING attribute_id, position) \
         SELECT (SELECT attribute_id FROM written), (SELECT position::int8 FROM written), \
                EXISTS (SELECT 1 FROM attribute_values WHERE id = $1)",
    )
    .bind(id)
    .bind(expected_version)
    .fetch_one(&mut *conn)
    .await?;
    outcome((attribute_id.is_some(), existed))?;
    if let (Some(attribute_id), Some(position)) = (attribute_id, position) {
        sqlx::query("UPDATE attribute_values SET position = position - 1 WHERE attribute_id = $1 AND position > $2")
            .bind(attribute_id)
            .bind(position)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Puts attribute `attribute_id`'s values in the order of `ids` (which the
/// caller has checked are exactly its value ids, each once) in one UPDATE;
/// only the values whose position changes are written (and get a new
/// version). Returns how many moved.
#[tracing::instrument(skip_all, fields(attribute.id = attribute_id))]
pub async fn reorder(db: impl PgExecutor<'_>, attribute_id: i64, ids: &[i64]) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE attribute_values v SET position = o.ord - 1 \
         FROM unnest($2::int8[]) WITH ORDINALITY AS o(id, ord) \
         WHERE v.id = o.id AND v.attribute_id = $1 AND v.position <> o.ord - 1",
    )
    .bind(attribute_id)
    .bind(ids)
    .execute(db)
    .await?
    .rows_affected())
}
