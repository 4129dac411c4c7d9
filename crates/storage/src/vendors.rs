//! The lookups vendor writes need beyond [`crate::record`] (which stores a
//! vendor's write model; reads go through [`crate::read`]).
//!
//! A vendor is referenced in four places: as the supplier of variants, in
//! product types' vendor lists, as the pick/pack partner of campaigns, and as
//! the decorator inside campaign items' decoration JSON (no foreign key
//! there). [`usage`] looks at all four, so a delete or the clearing of a role
//! flag is refused while anything still depends on it. Callers lock the
//! vendor `FOR UPDATE` first: inserts that reference it through a foreign key
//! wait on that lock, so nothing new can start using it between the check and
//! the write.

use crate::error::Result;
use sqlx::PgExecutor;

/// How many rows use a vendor, in each of the ways one can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct Usage {
    /// Variants bought from it.
    pub variants: i64,
    /// Campaign items with a decoration it prints.
    pub decorations: i64,
    /// Campaigns it picks and packs for.
    pub campaigns: i64,
    /// Product types that list it.
    pub product_types: i64,
}

impl Usage {
    pub fn any(self) -> bool {
        self.variants + self.decorations + self.campaigns + self.product_types > 0
    }
}

/// What uses vendor `id`, counted in one statement.
#[tracing::instrument(skip_all, fields(vendor.id = id))]
pub async fn usage(db: impl PgExecutor<'_>, id: i64) -> Result<Usage> {
    Ok(sqlx::query_as::<_, Usage>(
        "SELECT \
           (SELECT count(*) FROM product_variants WHERE supplier_id = $1) AS variants, \
           (SELECT count(*) FROM campaign_items \
             WHERE distributor_id = (SELECT distributor_id FROM vendors WHERE id = $1) \
               AND decorations @> jsonb_build_array(jsonb_build_object('decorator_id', $1::int8))) AS decorations, \
           (SELECT count(*) FROM campaigns WHERE pick_pack_partner_id = $1) AS campaigns, \
           (SELECT count(*) FROM product_type_vendors WHERE vendor_id = $1) AS product_types",
    )
    .bind(id)
    .fetch_one(db)
    .await?)
}
