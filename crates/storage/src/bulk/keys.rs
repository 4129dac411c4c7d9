//! What a top-up finds already there.
//!
//! The demo seed creates only what is missing, by natural key. These read the
//! keys of one distributor's catalog; names come back lower-cased where the
//! unique index folds case.

use crate::error::Result;
use rust_decimal::Decimal;
use sqlx::PgConnection;

/// `(id, lower(name))` of `distributor_id`'s vendors.
pub async fn vendor_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, lower(name) FROM vendors WHERE distributor_id = $1 ORDER BY id")
        .bind(distributor_id)
        .fetch_all(conn)
        .await?)
}

/// `(id, lower(name))` of `distributor_id`'s attributes.
pub async fn attribute_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, lower(name) FROM attributes WHERE distributor_id = $1 ORDER BY id")
        .bind(distributor_id)
        .fetch_all(conn)
        .await?)
}

/// `(id, lower(name), position)` of an attribute's values, in order.
pub async fn attribute_value_keys(conn: &mut PgConnection, attribute_id: i64) -> Result<Vec<(i64, String, i32)>> {
    Ok(sqlx::query_as(
        "SELECT id, lower(name), position FROM attribute_values WHERE attribute_id = $1 ORDER BY position",
    )
    .bind(attribute_id)
    .fetch_all(conn)
    .await?)
}

/// `(id, lower(name))` of `distributor_id`'s product types.
pub async fn product_type_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, lower(name) FROM product_types WHERE distributor_id = $1 ORDER BY id")
        .bind(distributor_id)
        .fetch_all(conn)
        .await?)
}

/// A product type's attribute ids, in the type's order.
pub async fn type_attribute_ids(conn: &mut PgConnection, product_type_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT attribute_id FROM product_type_attributes WHERE product_type_id = $1 ORDER BY position",
    )
    .bind(product_type_id)
    .fetch_all(conn)
    .await?)
}

/// A product type's vendor ids.
pub async fn type_vendor_ids(conn: &mut PgConnection, product_type_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT vendor_id FROM product_type_vendors WHERE product_type_id = $1 ORDER BY vendor_id")
        .bind(product_type_id)
        .fetch_all(conn)
        .await?)
}

/// `(id, lower(item_number), product_type_id)` of `distributor_id`'s products that are not deleted.
pub async fn product_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<(i64, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, lower(item_number), product_type_id FROM products \
         WHERE distributor_id = $1 AND NOT is_deleted ORDER BY id",
    )
    .bind(distributor_id)
    .fetch_all(conn)
    .await?)
}

/// A variant as an item refers to it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VariantKey {
    pub id: i64,
    pub product_id: i64,
    pub supplier_id: i64,
    pub vendor_cost: Decimal,
    pub value_ids: Vec<i64>,
    pub sku: String,
}

/// Every variant of `distributor_id`'s products.
pub async fn variant_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<VariantKey>> {
    Ok(sqlx::query_as(
        "SELECT id, product_id, supplier_id, vendor_cost, value_ids, sku FROM product_variants \
         WHERE distributor_id = $1 ORDER BY id",
    )
    .bind(distributor_id)
    .fetch_all(conn)
    .await?)
}

/// The variant ids of a campaign's items.
pub async fn item_variant_ids(conn: &mut PgConnection, campaign_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT product_variant_id FROM campaign_items WHERE campaign_id = $1 ORDER BY id")
        .bind(campaign_id)
        .fetch_all(conn)
        .await?)
}
