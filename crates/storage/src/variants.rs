//! Variant writes (one at a time, or every combination of chosen values in
//! one set-based statement) and the lookups their validation needs.
//!
//! A variant stores its value ids twice: sorted in `product_variants.value_ids`
//! (so the unique index makes a combination exist at most once per product)
//! and one row per value in `product_variant_values`, whose `position` is the
//! attribute's position in the product type (so values list in sku order).
//! The sku is derived: callers run `derived::refresh` with the variants they
//! wrote, in the same transaction.

use crate::error::Result;
use crate::write::{self, Lock, Scope, locked};
use domain::catalog::VariantFields;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};

/// A variant as writes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub id: i64,
    pub distributor_id: i64,
    pub product_id: i64,
    pub version: i64,
    pub fields: VariantFields,
    /// Sorted.
    pub value_ids: Vec<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    distributor_id: i64,
    product_id: i64,
    supplier_id: i64,
    description: String,
    vendor_cost: Decimal,
    value_ids: Vec<i64>,
    version: i64,
}

impl From<Row> for Variant {
    fn from(r: Row) -> Variant {
        Variant {
            id: r.id,
            distributor_id: r.distributor_id,
            product_id: r.product_id,
            version: r.version,
            fields: VariantFields {
                supplier_id: r.supplier_id,
                description: r.description,
                vendor_cost: r.vendor_cost,
            },
            value_ids: r.value_ids,
        }
    }
}

/// Variant `id` whatever its distributor, locked as asked; `None` when absent.
#[tracing::instrument(skip_all, fields(variant.id = id))]
pub async fn load(db: impl PgExecutor<'_>, id: i64, lock: Lock) -> Result<Option<Variant>> {
    let sql = locked!(
        lock,
        "SELECT id, distributor_id, product_id, supplier_id, description, vendor_cost, value_ids, \
                 version::int8 AS version FROM product_variants t WHERE id = $1"
    );
    Ok(sqlx::query_as::<_, Row>(sql).bind(id).fetch_optional(db).await?.map(Variant::from))
}

/// What a vendor is, as a supplier of a new variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupplierState {
    pub is_supplier: bool,
    pub is_active: bool,
}

/// Vendor `id` of `distributor_id`, locked (`FOR SHARE`) so it stays a
/// supplier and active until the variant written for it commits; `None`
/// when absent or another distributor's.
#[tracing::instrument(skip_all, fields(vendor.id = id))]
pub async fn supplier(db: impl PgExecutor<'_>, distributor_id: i64, id: i64) -> Result<Option<SupplierState>> {
    let row: Option<(bool, bool)> =
        sqlx::query_as("SELECT is_supplier, is_active FROM vendors WHERE id = $1 AND distributor_id = $2 FOR SHARE")
            .bind(id)
            .bind(distributor_id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(is_supplier, is_active)| SupplierState { is_supplier, is_active }))
}

/// An attribute of a product type.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TypeAttribute {
    pub id: i64,
    pub name: String,
    pub position: i32,
}

/// The attributes of product type `product_type_id`, in its order. The type
/// row is locked `FOR SHARE`, so its attribute list cannot change (product
/// types refuse that once variants exist) between this check and the
/// variant's insert.
#[tracing::instrument(skip_all, fields(product_type.id = product_type_id))]
pub async fn type_attributes(db: impl PgExecutor<'_>, product_type_id: i64) -> Result<Vec<TypeAttribute>> {
    let rows: Vec<(Option<i64>, Option<String>, Option<i32>)> = sqlx::query_as(
        "SELECT a.id, a.name, pta.position FROM product_types t \
         LEFT JOIN product_type_attributes pta ON pta.product_type_id = t.id \
         LEFT JOIN attributes a ON a.id = pta.attribute_id \
         WHERE t.id = $1 ORDER BY pta.position FOR SHARE OF t",
    )
    .bind(product_type_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, position)| Some(TypeAttribute { id: id?, name: name?, position: position? }))
        .collect())
}

/// An attribute value found by id.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KnownValue {
    pub id: i64,
    pub attribute_id: i64,
    pub attribute_name: String,
    pub name: String,
    pub position: i32,
}

/// The values among `ids` that belong to `distributor_id` (others are
/// simply not returned: to the caller they do not exist).
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id, n = ids.len()))]
pub async fn values(db: impl PgExecutor<'_>, distributor_id: i64, ids: &[i64]) -> Result<Vec<KnownValue>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as::<_, KnownValue>(
        "SELECT v.id, v.attribute_id, a.name AS attribute_name, v.name, v.position FROM attribute_values v \
         JOIN attributes a ON a.id = v.attribute_id WHERE v.id = ANY($1) AND v.distributor_id = $2",
    )
    .bind(ids)
    .bind(distributor_id)
    .fetch_all(db)
    .await?)
}

/// What every variant of one insert shares.
#[derive(Debug, Clone)]
pub struct NewVariants<'a> {
    pub distributor_id: i64,
    pub product_id: i64,
    /// The product's type: it places each value (`position`).
    pub product_type_id: i64,
    pub fields: &'a VariantFields,
}

/// `{1,2,3}`: an int8 array literal, sorted (the stored form).
fn array_literal(ids: &[i64]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let parts: Vec<String> = sorted.iter().map(i64::to_string).collect();
    format!("{{{}}}", parts.join(","))
}

/// The insert of variants and their value rows from `$1` (one array literal
/// per combination) in one statement; `$2`.. are [`NewVariants`]. `$conflict`
/// is the ON CONFLICT clause, if any.
macro_rules! insert_sql {
    ($conflict:literal) => {
        concat!(
            "WITH input AS (SELECT c::int8[] AS value_ids, ord FROM unnest($1::text[]) WITH ORDINALITY AS u(c, ord)), \
             created AS (INSERT INTO product_variants \
                           (distributor_id, product_id, supplier_id, description, vendor_cost, value_ids) \
                         SELECT $2, $3, $4, $5, $6, i.value_ids FROM input i ORDER BY i.ord",
            $conflict,
            " RETURNING id, value_ids), \
             placed AS (INSERT INTO product_variant_values \
                          (variant_id, attribute_id, attribute_value_id, distributor_id, position) \
                        SELECT c.id, v.attribute_id, v.id, $2, pta.position \
                        FROM created c CROSS JOIN LATERAL unnest(c.value_ids) AS x(value_id) \
                        JOIN attribute_values v ON v.id = x.value_id \
                        JOIN product_type_attributes pta \
                          ON pta.product_type_id = $7 AND pta.attribute_id = v.attribute_id) \
             SELECT id FROM created ORDER BY id"
        )
    };
}

/// Inserts one variant per combination (value ids, already checked against
/// the product's type) in one statement, and returns the new ids in the
/// order of `combinations`. With `skip_existing`, a combination the product
/// already has is left out (and so is missing from the result); without it,
/// it is a `Conflict` on `product_variants_values_key` and nothing is written.
#[tracing::instrument(skip_all, fields(product.id = new.product_id, n = combinations.len()))]
pub async fn insert(
    db: impl PgExecutor<'_>,
    new: &NewVariants<'_>,
    combinations: &[Vec<i64>],
    skip_existing: bool,
) -> Result<Vec<i64>> {
    let literals: Vec<String> = combinations.iter().map(|c| array_literal(c)).collect();
    let sql =
        if skip_existing { insert_sql!(" ON CONFLICT (product_id, value_ids) DO NOTHING") } else { insert_sql!("") };
    Ok(sqlx::query_scalar::<_, i64>(sql)
        .bind(&literals)
        .bind(new.distributor_id)
        .bind(new.product_id)
        .bind(new.fields.supplier_id)
        .bind(&new.fields.description)
        .bind(new.fields.vendor_cost)
        .bind(new.product_type_id)
        .fetch_all(db)
        .await?)
}

/// Writes variant `id`'s fields if its version is `expected_version` (any
/// when `None`): `NotFound`, `Stale`, or `Conflict` on
/// `product_variants_values_key` when the new values are another variant's.
/// New values replace the value rows, placed by `product_type_id`.
#[tracing::instrument(skip_all, fields(variant.id = id))]
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    expected_version: Option<i64>,
    product_type_id: i64,
    c: &VariantFields,
    value_ids: Option<&[i64]>,
) -> Result<()> {
    let sorted = value_ids.map(|ids| {
        let mut s = ids.to_vec();
        s.sort_unstable();
        s
    });
    write::update(&mut *conn, "product_variants", Scope::ALL, id, expected_version, |a| {
        a.set("supplier_id", c.supplier_id).set("description", &c.description).set("vendor_cost", c.vendor_cost);
        if let Some(ids) = &sorted {
            a.set("value_ids", ids);
        }
    })
    .await?;
    if let Some(ids) = &sorted {
        sqlx::query("DELETE FROM product_variant_values WHERE variant_id = $1").bind(id).execute(&mut *conn).await?;
        sqlx::query(
            "INSERT INTO product_variant_values (variant_id, attribute_id, attribute_value_id, distributor_id, position) \
             SELECT $1, v.attribute_id, v.id, v.distributor_id, pta.position \
             FROM unnest($2::int8[]) AS x(value_id) JOIN attribute_values v ON v.id = x.value_id \
             JOIN product_type_attributes pta ON pta.product_type_id = $3 AND pta.attribute_id = v.attribute_id",
        )
        .bind(id)
        .bind(ids)
        .bind(product_type_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Whether any campaign item was made from variant `id`.
#[tracing::instrument(skip_all, fields(variant.id = id))]
pub async fn in_use(db: impl PgExecutor<'_>, id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM campaign_items WHERE product_variant_id = $1)")
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// Deletes variant `id` (and by cascade its value rows) if its version is
/// `expected_version` (any when `None`). A campaign item made from it is an
/// `Invalid` on `campaign_items_product_variant_id_fkey`.
#[tracing::instrument(skip_all, fields(variant.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "product_variants", id, expected_version).await
}
