//! Vendor writes and the lookups writes need (reads go through
//! [`crate::read`]).
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
use crate::write::{self, Lock, Scope, locked};
use domain::catalog::VendorFields;
use sqlx::PgExecutor;

/// A vendor as writes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub id: i64,
    pub distributor_id: i64,
    pub version: i64,
    pub fields: VendorFields,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    distributor_id: i64,
    version: i64,
    name: String,
    email: String,
    address: String,
    is_supplier: bool,
    is_decorator: bool,
    is_pick_pack: bool,
    is_active: bool,
}

impl From<Row> for Vendor {
    fn from(r: Row) -> Vendor {
        Vendor {
            id: r.id,
            distributor_id: r.distributor_id,
            version: r.version,
            fields: VendorFields {
                name: r.name,
                email: r.email,
                address: r.address,
                is_supplier: r.is_supplier,
                is_decorator: r.is_decorator,
                is_pick_pack: r.is_pick_pack,
                is_active: r.is_active,
            },
        }
    }
}

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

/// Inserts a vendor of `distributor_id`; a taken name (case-insensitive, per
/// distributor) is a `Conflict` on `vendors_name_key`.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn create(db: impl PgExecutor<'_>, distributor_id: i64, f: &VendorFields) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO vendors (distributor_id, name, email, address, is_supplier, is_decorator, is_pick_pack, \
         is_active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(distributor_id)
    .bind(f.name.trim())
    .bind(&f.email)
    .bind(&f.address)
    .bind(f.is_supplier)
    .bind(f.is_decorator)
    .bind(f.is_pick_pack)
    .bind(f.is_active)
    .fetch_one(db)
    .await?)
}

/// Vendor `id` of any distributor, locked as asked; the caller checks that
/// the distributor is the caller's. `None` when absent.
#[tracing::instrument(skip_all, fields(vendor.id = id))]
pub async fn load(db: impl PgExecutor<'_>, id: i64, lock: Lock) -> Result<Option<Vendor>> {
    let sql = locked!(
        lock,
        "SELECT id, distributor_id, version::int8 AS version, name, email, address, is_supplier, \
                 is_decorator, is_pick_pack, is_active FROM vendors t WHERE id = $1"
    );
    Ok(sqlx::query_as::<_, Row>(sql).bind(id).fetch_optional(db).await?.map(Vendor::from))
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

/// Replaces vendor `id`'s fields if its version is `expected_version` (any
/// when `None`): `NotFound`, `Stale`, or `Conflict` on a taken name.
#[tracing::instrument(skip_all, fields(vendor.id = id))]
pub async fn update(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>, f: &VendorFields) -> Result<()> {
    write::update(db, "vendors", Scope::ALL, id, expected_version, |a| {
        a.set("name", f.name.trim())
            .set("email", &f.email)
            .set("address", &f.address)
            .set("is_supplier", f.is_supplier)
            .set("is_decorator", f.is_decorator)
            .set("is_pick_pack", f.is_pick_pack)
            .set("is_active", f.is_active);
    })
    .await
}

/// Deletes vendor `id` if its version is `expected_version` (any when
/// `None`). Check [`usage`] first: a vendor still referenced by a foreign key
/// is refused as `Invalid`.
#[tracing::instrument(skip_all, fields(vendor.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "vendors", id, expected_version).await
}
