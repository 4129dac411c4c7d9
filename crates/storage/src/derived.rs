//! Derived catalog columns: a variant's `sku`, and a campaign item's copies of
//! catalog data, its sku, total and price.
//!
//! They are stored so lists can filter and sort on them with indexes, which
//! means every write that changes an input must refresh them. This module is
//! the one place that knows how: each refresh is one set-based UPDATE over the
//! rows an [`Affected`] names, touching only rows whose value really changes
//! (so versions and ETags move only when the representation does). Campaign
//! items are refreshed only while `frozen_at` is null: [`freeze_campaign`]
//! sets it when the campaign becomes active, and from then on catalog edits no
//! longer reach them.
//!
//! The price formula here is `domain::catalog::price` in SQL; PostgreSQL's
//! `round(numeric, 2)` rounds half away from zero like the domain does, and a
//! storage test holds the two to the same answers.

use crate::error::Result;
use sqlx::{PgConnection, Postgres, QueryBuilder};

/// Which rows a write may have changed the inputs of.
#[derive(Debug, Clone, Copy)]
pub enum Affected<'a> {
    /// These variants (created, or their values or product changed).
    Variants(&'a [i64]),
    /// Every variant of a product (its item number, name, type changed).
    Product(i64),
    /// Every variant using an attribute value (it was renamed).
    AttributeValue(i64),
    /// Every item whose variant has a value of this attribute (the attribute
    /// was renamed: items copy `{attribute, value}` pairs; skus hold only
    /// value names, so variants are untouched).
    Attribute(i64),
    /// Every item whose supplier or decorator is this vendor (it changed).
    Vendor(i64),
    /// Every variant of products of this type (the type was renamed).
    ProductType(i64),
    /// Every item of a campaign (its bfl_cost changed).
    Campaign(i64),
    /// Every item of a distributor (its ow_cost changed).
    Distributor(i64),
    /// These campaign items (created or edited).
    Items(&'a [i64]),
}

/// Recomputes variant skus and then the affected draft campaign items.
/// Returns the number of campaign items whose derived columns changed.
#[tracing::instrument(skip(conn))]
pub async fn refresh(conn: &mut PgConnection, affected: Affected<'_>) -> Result<u64> {
    if touches_variants(affected) {
        refresh_variant_skus(conn, affected).await?;
    }
    refresh_campaign_items(conn, affected).await
}

fn touches_variants(affected: Affected<'_>) -> bool {
    matches!(affected, Affected::Variants(_) | Affected::Product(_) | Affected::AttributeValue(_))
}

/// `UPDATE product_variants SET sku = …` for the affected variants.
async fn refresh_variant_skus(conn: &mut PgConnection, affected: Affected<'_>) -> Result<u64> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "UPDATE product_variants v SET sku = n.sku FROM (\
           SELECT x.id, p.item_number || coalesce((\
             SELECT string_agg('-' || av.name, '' ORDER BY pvv.position) \
             FROM product_variant_values pvv JOIN attribute_values av ON av.id = pvv.attribute_value_id \
             WHERE pvv.variant_id = x.id), '') AS sku \
           FROM product_variants x JOIN products p ON p.id = x.product_id WHERE ",
    );
    match affected {
        Affected::Variants(ids) => {
            qb.push("x.id = ANY(").push_bind(ids.to_vec()).push(")");
        }
        Affected::Product(id) => {
            qb.push("x.product_id = ").push_bind(id);
        }
        Affected::AttributeValue(id) => {
            qb.push(
                "EXISTS (SELECT 1 FROM product_variant_values w WHERE w.variant_id = x.id AND w.attribute_value_id = ",
            )
            .push_bind(id)
            .push(")");
        }
        _ => return Ok(0),
    }
    qb.push(") n WHERE v.id = n.id AND v.sku IS DISTINCT FROM n.sku");
    Ok(qb.build().execute(conn).await?.rows_affected())
}

/// The derived columns of a campaign item, from its own inputs and the live
/// catalog. `c` is the item; the caller adds the WHERE.
const ITEM_INPUTS: &str = "\
SELECT c.id,
  v.sku || coalesce((SELECT string_agg('-' || upper(e.d->>'location'), '' ORDER BY e.o)
                     FROM jsonb_array_elements(c.decorations) WITH ORDINALITY AS e(d, o)), '') AS sku,
  p.id AS product_id, p.name AS product_name, pt.name AS product_type_name,
  p.item_number, p.description,
  coalesce((SELECT jsonb_agg(jsonb_build_object('attribute', a.name, 'value', av.name) ORDER BY pvv.position)
            FROM product_variant_values pvv
            JOIN attribute_values av ON av.id = pvv.attribute_value_id
            JOIN attributes a ON a.id = pvv.attribute_id
            WHERE pvv.variant_id = v.id), '[]'::jsonb) AS attributes,
  s.id AS supplier_id, s.name AS supplier_name, s.email AS supplier_email, s.address AS supplier_address,
  coalesce((SELECT jsonb_agg(e.d || jsonb_build_object(
                    'decorator_name', dv.name, 'decorator_email', dv.email, 'decorator_address', dv.address)
                    ORDER BY e.o)
            FROM jsonb_array_elements(c.decorations) WITH ORDINALITY AS e(d, o)
            LEFT JOIN vendors dv ON dv.id = (e.d->>'decorator_id')::int8), '[]'::jsonb) AS decorations,
  cam.bfl_cost,
  coalesce(c.ow_cost, dist.ow_cost) AS applied_ow_cost,
  coalesce((SELECT sum((e.d->>'cost')::numeric) FROM jsonb_array_elements(c.decorations) AS e(d)), 0)
    AS decoration_cost,
  c.vendor_cost, c.margin
FROM campaign_items c
JOIN campaigns cam ON cam.id = c.campaign_id
JOIN distributors dist ON dist.id = cam.distributor_id
JOIN product_variants v ON v.id = c.product_variant_id
JOIN products p ON p.id = v.product_id
JOIN product_types pt ON pt.id = p.product_type_id
JOIN vendors s ON s.id = v.supplier_id
WHERE c.frozen_at IS NULL AND ";

/// `UPDATE campaign_items SET <derived> …` for the affected, unfrozen items.
async fn refresh_campaign_items(conn: &mut PgConnection, affected: Affected<'_>) -> Result<u64> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "UPDATE campaign_items ci SET sku = n.sku, product_id = n.product_id, product_name = n.product_name, \
           product_type_name = n.product_type_name, item_number = n.item_number, description = n.description, \
           attributes = n.attributes, supplier_id = n.supplier_id, supplier_name = n.supplier_name, \
           supplier_email = n.supplier_email, supplier_address = n.supplier_address, decorations = n.decorations, \
           bfl_cost = n.bfl_cost, applied_ow_cost = n.applied_ow_cost, decoration_cost = n.decoration_cost, \
           total = n.total, price = n.price \
         FROM (SELECT i.*, round(i.raw_total, 2) AS total, \
                 round(round(i.raw_total, 2) / ((100 - i.margin) / 100), 2) AS price \
               FROM (SELECT d.*, d.vendor_cost + d.bfl_cost + d.applied_ow_cost + d.decoration_cost AS raw_total \
                     FROM (",
    );
    qb.push(ITEM_INPUTS);
    match affected {
        Affected::Variants(ids) => {
            qb.push("c.product_variant_id = ANY(").push_bind(ids.to_vec()).push(")");
        }
        Affected::Product(id) => {
            qb.push("v.product_id = ").push_bind(id);
        }
        Affected::AttributeValue(id) => {
            qb.push(
                "EXISTS (SELECT 1 FROM product_variant_values w WHERE w.variant_id = v.id AND w.attribute_value_id = ",
            )
            .push_bind(id)
            .push(")");
        }
        Affected::Attribute(id) => {
            qb.push("EXISTS (SELECT 1 FROM product_variant_values w WHERE w.variant_id = v.id AND w.attribute_id = ")
                .push_bind(id)
                .push(")");
        }
        Affected::Vendor(id) => {
            qb.push("(v.supplier_id = ")
                .push_bind(id)
                .push(" OR c.decorations @> jsonb_build_array(jsonb_build_object('decorator_id', ")
                .push_bind(id)
                .push(")))");
        }
        Affected::ProductType(id) => {
            qb.push("p.product_type_id = ").push_bind(id);
        }
        Affected::Campaign(id) => {
            qb.push("c.campaign_id = ").push_bind(id);
        }
        Affected::Distributor(id) => {
            qb.push("c.distributor_id = ").push_bind(id);
        }
        Affected::Items(ids) => {
            qb.push("c.id = ANY(").push_bind(ids.to_vec()).push(")");
        }
    }
    qb.push(
        ") d) i) n WHERE ci.id = n.id AND \
         (ci.sku, ci.product_id, ci.product_name, ci.product_type_name, ci.item_number, ci.description, \
          ci.attributes, ci.supplier_id, ci.supplier_name, ci.supplier_email, ci.supplier_address, ci.decorations, \
          ci.bfl_cost, ci.applied_ow_cost, ci.decoration_cost, ci.total, ci.price) IS DISTINCT FROM \
         (n.sku, n.product_id, n.product_name, n.product_type_name, n.item_number, n.description, \
          n.attributes, n.supplier_id, n.supplier_name, n.supplier_email, n.supplier_address, n.decorations, \
          n.bfl_cost, n.applied_ow_cost, n.decoration_cost, n.total, n.price)",
    );
    Ok(qb.build().execute(conn).await?.rows_affected())
}

/// Freezes a campaign's items as it becomes active: one last refresh, then
/// `frozen_at`, after which catalog edits no longer reach them. Call it in
/// the transaction that changes the status. Returns the number frozen.
#[tracing::instrument(skip(conn))]
pub async fn freeze_campaign(conn: &mut PgConnection, campaign_id: i64) -> Result<u64> {
    refresh_campaign_items(&mut *conn, Affected::Campaign(campaign_id)).await?;
    let frozen =
        sqlx::query("UPDATE campaign_items SET frozen_at = now() WHERE campaign_id = $1 AND frozen_at IS NULL")
            .bind(campaign_id)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(frozen)
}
