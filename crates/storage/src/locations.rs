//! Delivery-location writes and the lookups writes need (reads go through
//! [`crate::read`]). A location belongs to one campaign and carries its
//! distributor, so its row scope follows the campaign's.

use crate::error::Result;
use crate::write::{self, Lock, Scope, locked};
use domain::campaign::LocationFields;
use sqlx::PgExecutor;

/// A location as writes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: i64,
    pub campaign_id: i64,
    pub version: i64,
    pub fields: LocationFields,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    campaign_id: i64,
    version: i64,
    nickname: String,
    company_name: String,
    street_and_number: String,
    suite_unit: String,
    city: String,
    zip_code: String,
    region: String,
    country: String,
    delivery_contact: String,
}

impl From<Row> for Location {
    fn from(r: Row) -> Location {
        Location {
            id: r.id,
            campaign_id: r.campaign_id,
            version: r.version,
            fields: LocationFields {
                nickname: r.nickname,
                company_name: r.company_name,
                street_and_number: r.street_and_number,
                suite_unit: r.suite_unit,
                city: r.city,
                zip_code: r.zip_code,
                region: r.region,
                country: r.country,
                delivery_contact: r.delivery_contact,
            },
        }
    }
}

macro_rules! bind_fields {
    ($q:expr, $f:expr) => {{
        let f: &LocationFields = $f;
        $q.bind(f.nickname.trim())
            .bind(&f.company_name)
            .bind(&f.street_and_number)
            .bind(&f.suite_unit)
            .bind(&f.city)
            .bind(&f.zip_code)
            .bind(&f.region)
            .bind(&f.country)
            .bind(&f.delivery_contact)
    }};
}

/// Inserts a location of campaign `campaign_id` (of `distributor_id`).
#[tracing::instrument(skip_all, fields(campaign.id = campaign_id))]
pub async fn create(
    db: impl PgExecutor<'_>,
    campaign_id: i64,
    distributor_id: i64,
    fields: &LocationFields,
) -> Result<i64> {
    let q = sqlx::query_scalar::<_, i64>(
        "INSERT INTO locations (nickname, company_name, street_and_number, suite_unit, city, zip_code, region, \
         country, delivery_contact, campaign_id, distributor_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    );
    Ok(bind_fields!(q, fields).bind(campaign_id).bind(distributor_id).fetch_one(db).await?)
}

/// Location `id` of campaign `campaign_id`, locked as asked; `None` when there
/// is no such location or it belongs to another campaign. Visibility is the
/// campaign's: check it first.
#[tracing::instrument(skip_all, fields(campaign.id = campaign_id, location.id = id))]
pub async fn find_in(db: impl PgExecutor<'_>, campaign_id: i64, id: i64, lock: Lock) -> Result<Option<Location>> {
    let sql = locked!(
        lock,
        "SELECT id, campaign_id, version::int8 AS version, nickname, company_name, street_and_number, \
                 suite_unit, city, zip_code, region, country, delivery_contact FROM locations t \
                 WHERE id = $1 AND campaign_id = $2"
    );
    Ok(sqlx::query_as::<_, Row>(sql).bind(id).bind(campaign_id).fetch_optional(db).await?.map(Location::from))
}

/// Replaces location `id`'s fields if its version is `expected_version` (any
/// when `None`): `NotFound` or `Stale` otherwise, told apart in one statement.
#[tracing::instrument(skip_all, fields(location.id = id))]
pub async fn update(
    db: impl PgExecutor<'_>,
    id: i64,
    expected_version: Option<i64>,
    fields: &LocationFields,
) -> Result<()> {
    write::update(db, "locations", Scope::ALL, id, expected_version, |a| {
        a.set("nickname", fields.nickname.trim())
            .set("company_name", &fields.company_name)
            .set("street_and_number", &fields.street_and_number)
            .set("suite_unit", &fields.suite_unit)
            .set("city", &fields.city)
            .set("zip_code", &fields.zip_code)
            .set("region", &fields.region)
            .set("country", &fields.country)
            .set("delivery_contact", &fields.delivery_contact);
    })
    .await
}

/// Deletes location `id` if its version is `expected_version` (any when `None`).
#[tracing::instrument(skip_all, fields(location.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "locations", id, expected_version).await
}
