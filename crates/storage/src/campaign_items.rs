//! Campaign-item writes and the lookups they need (reads go through
//! [`crate::read`]).
//!
//! A campaign item stores its *inputs* (variant, vendor cost, platform cost
//! override, margin, decorations, bin) and *derived* columns (copies of
//! catalog data, sku, total, price). Writes here store inputs only and then
//! call [`derived::refresh`] in the same transaction, so the derived columns
//! are computed in exactly one place and an item is never seen half-updated.
//!
//! Writes that honour `If-Match` check the version in the statement itself
//! and tell a missing row (`NotFound`) from a changed one (`Stale`) in the
//! same statement, like every other aggregate.

use crate::derived::{self, Affected};
use crate::error::{Result, StorageError};
use crate::write::{self, Lock, Scope, locked};
use domain::catalog::{CampaignItemFields, Decoration};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};

/// A campaign item as writes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub campaign_id: i64,
    pub distributor_id: i64,
    pub version: i64,
    /// Whether its campaign became active (its copies no longer follow the catalog).
    pub frozen: bool,
    pub inputs: CampaignItemFields,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    campaign_id: i64,
    distributor_id: i64,
    version: i64,
    frozen: bool,
    product_variant_id: i64,
    vendor_cost: Decimal,
    ow_cost: Option<Decimal>,
    margin: Decimal,
    bin_id: Option<String>,
    decorations: Json<Vec<Decoration>>,
}

impl From<Row> for Item {
    fn from(r: Row) -> Item {
        Item {
            id: r.id,
            campaign_id: r.campaign_id,
            distributor_id: r.distributor_id,
            version: r.version,
            frozen: r.frozen,
            inputs: CampaignItemFields {
                product_variant_id: r.product_variant_id,
                vendor_cost: r.vendor_cost,
                ow_cost: r.ow_cost,
                margin: r.margin,
                bin_id: r.bin_id,
                decorations: r.decorations.0,
            },
        }
    }
}

/// The decorations as stored: input keys only, each cost with two places.
fn stored(decorations: &[Decoration]) -> Json<Vec<Decoration>> {
    Json(
        decorations
            .iter()
            .map(|d| {
                let mut cost = d.cost;
                cost.rescale(2);
                Decoration { cost, ..d.clone() }
            })
            .collect(),
    )
}

/// The campaign of item `id` (it never changes), without a lock, so a write
/// can lock the campaign before the item, in the same order as activation
/// (campaign, then its items). `None` when there is no such item.
#[tracing::instrument(skip_all, fields(campaign_item.id = id))]
pub async fn campaign_of(db: impl PgExecutor<'_>, id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT campaign_id FROM campaign_items WHERE id = $1").bind(id).fetch_optional(db).await?)
}

/// Item `id` of campaign `campaign_id`, locked as asked; `None` when absent
/// or of another campaign. Visibility is the campaign's: check it first.
#[tracing::instrument(skip_all, fields(campaign.id = campaign_id, campaign_item.id = id))]
pub async fn find_in(db: impl PgExecutor<'_>, campaign_id: i64, id: i64, lock: Lock) -> Result<Option<Item>> {
    let sql = locked!(
        lock,
        "SELECT id, campaign_id, distributor_id, version::int8 AS version, frozen_at IS NOT NULL AS frozen, \
                 product_variant_id, vendor_cost, ow_cost, margin, bin_id, decorations \
                 FROM campaign_items t WHERE id = $1 AND campaign_id = $2"
    );
    Ok(sqlx::query_as::<_, Row>(sql).bind(id).bind(campaign_id).fetch_optional(db).await?.map(Item::from))
}

/// The vendor cost of variant `variant_id` when it is a variant of
/// `distributor_id` whose product is not deleted; `None` otherwise (absent,
/// another distributor's, or its product deleted: all look the same). The
/// variant and its product are locked (`FOR SHARE`) so neither can change or
/// go before the item written against them commits.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id, variant.id = variant_id))]
pub async fn variant_cost(db: impl PgExecutor<'_>, distributor_id: i64, variant_id: i64) -> Result<Option<Decimal>> {
    Ok(sqlx::query_scalar(
        "SELECT v.vendor_cost FROM product_variants v JOIN products p ON p.id = v.product_id \
         WHERE v.id = $1 AND v.distributor_id = $2 AND NOT p.is_deleted FOR SHARE OF v, p",
    )
    .bind(variant_id)
    .bind(distributor_id)
    .fetch_optional(db)
    .await?)
}

/// Which of `ids` are active decorators of `distributor_id`, locked (`FOR
/// SHARE`) so they stay so until the item written against them commits.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn active_decorators(db: impl PgExecutor<'_>, distributor_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(
        "SELECT id FROM vendors WHERE distributor_id = $1 AND id = ANY($2) AND is_decorator AND is_active \
         ORDER BY id FOR SHARE",
    )
    .bind(distributor_id)
    .bind(ids)
    .fetch_all(db)
    .await?)
}

/// The platform cost per item of distributor `distributor_id` (what an item
/// without its own `ow_cost` pays).
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn distributor_ow_cost(db: impl PgExecutor<'_>, distributor_id: i64) -> Result<Decimal> {
    sqlx::query_scalar("SELECT ow_cost FROM distributors WHERE id = $1")
        .bind(distributor_id)
        .fetch_optional(db)
        .await?
        .ok_or(StorageError::NotFound)
}

/// Inserts an item of campaign `campaign_id` (of `distributor_id`) and
/// computes its derived columns. The variant's product and supplier are
/// taken from the variant in the same statement (they are NOT NULL, and the
/// refresh keeps them current while the campaign is a draft). `NotFound`
/// when the variant is gone; check it with [`variant_cost`] first.
#[tracing::instrument(skip_all, fields(campaign.id = campaign_id))]
pub async fn create(
    conn: &mut PgConnection,
    campaign_id: i64,
    distributor_id: i64,
    inputs: &CampaignItemFields,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, ow_cost, margin, \
           bin_id, decorations, product_id, supplier_id) \
         SELECT $1, $2, v.id, $4, $5, $6, $7, $8, v.product_id, v.supplier_id \
         FROM product_variants v WHERE v.id = $3 AND v.distributor_id = $2 RETURNING id",
    )
    .bind(campaign_id)
    .bind(distributor_id)
    .bind(inputs.product_variant_id)
    .bind(inputs.vendor_cost)
    .bind(inputs.ow_cost)
    .bind(inputs.margin)
    .bind(&inputs.bin_id)
    .bind(stored(&inputs.decorations))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StorageError::NotFound)?;
    derived::refresh(&mut *conn, Affected::Items(&[id])).await?;
    Ok(id)
}

/// Replaces item `id`'s inputs if its version is `expected_version` (any
/// when `None`) and recomputes its derived columns: `NotFound` or `Stale`
/// otherwise, told apart in one statement. For draft campaigns only (the
/// caller checks); a frozen item's derived columns would not follow.
#[tracing::instrument(skip_all, fields(campaign_item.id = id))]
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    expected_version: Option<i64>,
    inputs: &CampaignItemFields,
) -> Result<()> {
    write::update(&mut *conn, "campaign_items", Scope::ALL, id, expected_version, |a| {
        a.set("product_variant_id", inputs.product_variant_id)
            .set("vendor_cost", inputs.vendor_cost)
            .set("ow_cost", inputs.ow_cost)
            .set("margin", inputs.margin)
            .set("bin_id", &inputs.bin_id)
            .set("decorations", stored(&inputs.decorations));
    })
    .await?;
    derived::refresh(&mut *conn, Affected::Items(&[id])).await?;
    Ok(())
}

/// Sets item `id`'s bin (the one input that may change after activation; no
/// derived column depends on it) if its version is `expected_version`.
#[tracing::instrument(skip_all, fields(campaign_item.id = id))]
pub async fn set_bin(
    db: impl PgExecutor<'_>,
    id: i64,
    expected_version: Option<i64>,
    bin_id: Option<&str>,
) -> Result<()> {
    write::update(db, "campaign_items", Scope::ALL, id, expected_version, |a| {
        a.set("bin_id", bin_id);
    })
    .await
}

/// Deletes item `id` if its version is `expected_version` (any when `None`).
#[tracing::instrument(skip_all, fields(campaign_item.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "campaign_items", id, expected_version).await
}

/// Copies the items of campaign `from` into the draft `to` (a duplicate):
/// their inputs, unfrozen and without bins (bins are the pick/pack partner's
/// for one campaign), then computes their derived columns from today's
/// catalog. Items whose product has been deleted since are left out, as they
/// could not be created today. Returns the number copied.
#[tracing::instrument(skip_all, fields(campaign.id = from, copy.id = to))]
pub async fn copy_campaign(conn: &mut PgConnection, from: i64, to: i64) -> Result<u64> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, ow_cost, margin, \
           decorations, product_id, supplier_id) \
         SELECT $2, c.distributor_id, c.product_variant_id, c.vendor_cost, c.ow_cost, c.margin, \
           coalesce((SELECT jsonb_agg(e.d - 'decorator_name' - 'decorator_email' - 'decorator_address' ORDER BY e.o) \
                     FROM jsonb_array_elements(c.decorations) WITH ORDINALITY AS e(d, o)), '[]'::jsonb), \
           v.product_id, v.supplier_id \
         FROM campaign_items c \
         JOIN product_variants v ON v.id = c.product_variant_id \
         JOIN products p ON p.id = v.product_id \
         WHERE c.campaign_id = $1 AND NOT p.is_deleted ORDER BY c.id RETURNING id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    if !ids.is_empty() {
        derived::refresh(&mut *conn, Affected::Items(&ids)).await?;
    }
    Ok(ids.len() as u64)
}
