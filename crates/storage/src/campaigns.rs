//! Campaign writes and the lookups writes need (list and single reads go
//! through [`crate::read`]), campaign membership, and the shopper login rule.
//!
//! Writes that honour `If-Match` check the version in the statement itself
//! and tell a missing row (`NotFound`) from a changed one (`Stale`) in the
//! same statement, so there is no window between the check and the write.

use crate::error::{Result, StorageError};
use crate::named::Named;
use crate::schema;
use crate::write::{self, Scope};
use chrono::NaiveDate;
use domain::campaign::{CampaignFields, CheckoutField, Status};
use domain::{Principal, Role};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{PgExecutor, Postgres, QueryBuilder};

use crate::write::Lock;

pub use crate::{Connection, Transaction};

/// A campaign as writes see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: i64,
    pub distributor_id: i64,
    pub status: Status,
    pub version: i64,
    pub created_by: Option<i64>,
    pub settings: CampaignFields,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    distributor_id: i64,
    status: Named<Status>,
    version: i64,
    created_by: Option<i64>,
    name: String,
    company_name: String,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    storefront_pricing: bool,
    company_allowance: Option<Decimal>,
    personal_pay: bool,
    items_count_limit: Option<i64>,
    price_limit: Option<Decimal>,
    email_shopper: bool,
    checkout_fields: Json<Vec<CheckoutField>>,
    departments: Vec<String>,
    message: String,
    bfl_cost: Decimal,
    distributor_po: Option<String>,
    pick_pack_partner_id: Option<i64>,
    pick_pack_partner_message: String,
}

impl From<Row> for Campaign {
    fn from(r: Row) -> Campaign {
        Campaign {
            id: r.id,
            distributor_id: r.distributor_id,
            status: r.status.0,
            version: r.version,
            created_by: r.created_by,
            settings: CampaignFields {
                name: r.name,
                company_name: r.company_name,
                start_date: r.start_date,
                end_date: r.end_date,
                storefront_pricing: r.storefront_pricing,
                company_allowance: r.company_allowance,
                personal_pay: r.personal_pay,
                items_count_limit: r.items_count_limit,
                price_limit: r.price_limit,
                email_shopper: r.email_shopper,
                checkout_fields: r.checkout_fields.0,
                departments: r.departments,
                message: r.message,
                bfl_cost: r.bfl_cost,
                distributor_po: r.distributor_po,
                pick_pack_partner_id: r.pick_pack_partner_id,
                pick_pack_partner_message: r.pick_pack_partner_message,
            },
        }
    }
}

macro_rules! columns {
    () => {
        "t.id, t.distributor_id, t.status, t.version::int8 AS version, t.created_by, t.name, \
    t.company_name, t.start_date, t.end_date, t.storefront_pricing, t.company_allowance, t.personal_pay, \
    t.items_count_limit::int8 AS items_count_limit, t.price_limit, t.email_shopper, t.checkout_fields, \
    t.departments, t.message, t.bfl_cost, t.distributor_po, t.pick_pack_partner_id, \
         t.pick_pack_partner_message"
    };
}

/// Campaign `id` if `who` may read it (the same row scope as every read:
/// staff their distributor's, buyers their member campaigns, shoppers their
/// active member campaigns), locked as asked. `None` when absent or hidden.
#[tracing::instrument(skip_all, fields(campaign.id = id))]
pub async fn load(db: impl PgExecutor<'_>, who: &Principal, id: i64, lock: Lock) -> Result<Option<Campaign>> {
    let mut qb = QueryBuilder::<Postgres>::new(concat!("SELECT ", columns!(), " FROM campaigns t WHERE t.id = "));
    qb.push_bind(id).push(" AND ");
    schema::CAMPAIGNS.push_scope(who, "t", &mut qb);
    qb.push(lock.clause());
    Ok(qb.build_query_as::<Row>().fetch_optional(db).await?.map(Campaign::from))
}

/// Campaign `id` if shopper `who` may shop it, locked `FOR SHARE`, with the
/// version of `who`'s basket in it, locked `FOR UPDATE` (and created when
/// missing) as [`crate::shopping::lock_basket`] does: one round trip for
/// what every basket change and checkout starts with, instead of two.
/// `None` when the campaign is absent or hidden from `who`.
///
/// The basket lock is taken by the same statement that locks the campaign,
/// so everything read after it (in the next statement, with a new snapshot)
/// sees every checkout that committed before it.
#[tracing::instrument(skip_all, fields(campaign.id = id))]
pub async fn load_for_shopping(db: &mut Connection, who: &Principal, id: i64) -> Result<Option<(Campaign, i64)>> {
    #[derive(sqlx::FromRow)]
    struct Locked {
        #[sqlx(flatten)]
        row: Row,
        basket_version: Option<i64>,
    }
    let mut qb =
        QueryBuilder::<Postgres>::new(concat!("WITH t AS (SELECT ", columns!(), " FROM campaigns t WHERE t.id = "));
    qb.push_bind(id).push(" AND ");
    schema::CAMPAIGNS.push_scope(who, "t", &mut qb);
    qb.push(Lock::Share.clause())
        .push("), new AS (INSERT INTO baskets (account_id, campaign_id, distributor_id) SELECT ")
        .push_bind(who.account_id)
        .push(
            ", id, distributor_id FROM t ON CONFLICT (account_id, campaign_id) DO NOTHING RETURNING version), \
             old AS (SELECT version FROM baskets WHERE account_id = ",
        )
        .push_bind(who.account_id)
        .push(" AND campaign_id = ")
        .push_bind(id)
        .push(
            " FOR UPDATE) \
             SELECT t.*, coalesce((SELECT version FROM new), (SELECT version FROM old))::int8 AS basket_version FROM t",
        );
    let Some(locked) = qb.build_query_as::<Locked>().fetch_optional(&mut *db).await? else {
        return Ok(None);
    };
    let campaign = Campaign::from(locked.row);
    let version = match locked.basket_version {
        Some(version) => version,
        // Created by another transaction after this statement's snapshot.
        None => crate::shopping::lock_basket(db, who.account_id, campaign.id, campaign.distributor_id).await?,
    };
    Ok(Some((campaign, version)))
}

/// Binds the settings in [`settings_columns!`] order.
macro_rules! bind_settings {
    ($q:expr, $s:expr) => {{
        let s: &CampaignFields = $s;
        $q.bind(s.name.trim())
            .bind(&s.company_name)
            .bind(s.start_date)
            .bind(s.end_date)
            .bind(s.storefront_pricing)
            .bind(s.company_allowance)
            .bind(s.personal_pay)
            .bind(s.items_count_limit)
            .bind(s.price_limit)
            .bind(s.email_shopper)
            .bind(Json(&s.checkout_fields))
            .bind(&s.departments)
            .bind(&s.message)
            .bind(s.bfl_cost)
            .bind(&s.distributor_po)
            .bind(s.pick_pack_partner_id)
            .bind(&s.pick_pack_partner_message)
    }};
}

/// The settings columns but the name, in bind order after it (a literal, so
/// every statement below is a static string).
macro_rules! copied_columns {
    () => {
        "company_name, start_date, end_date, storefront_pricing, company_allowance, personal_pay, \
         items_count_limit, price_limit, email_shopper, checkout_fields, departments, message, bfl_cost, \
         distributor_po, pick_pack_partner_id, pick_pack_partner_message"
    };
}

/// The location columns a duplicate copies.
macro_rules! location_columns {
    () => {
        "nickname, company_name, street_and_number, suite_unit, city, zip_code, region, country, delivery_contact"
    };
}

/// Inserts a draft campaign of `distributor_id` created by `created_by`; a
/// taken name (case-insensitive, per distributor) is a `Conflict` on
/// `campaigns_name_key`.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id))]
pub async fn create(db: impl PgExecutor<'_>, distributor_id: i64, created_by: i64, s: &CampaignFields) -> Result<i64> {
    let q = sqlx::query_scalar::<_, i64>(concat!(
        "INSERT INTO campaigns (name, ",
        copied_columns!(),
        ", distributor_id, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id"
    ));
    Ok(bind_settings!(q, s).bind(distributor_id).bind(created_by).fetch_one(db).await?)
}

/// Replaces campaign `id`'s settings if its version is `expected_version`
/// (any when `None`): `NotFound`, `Stale`, or `Conflict` on a taken name.
#[tracing::instrument(skip_all, fields(campaign.id = id))]
pub async fn update(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>, s: &CampaignFields) -> Result<()> {
    write::update(db, "campaigns", Scope::ALL, id, expected_version, |a| {
        a.set("name", s.name.trim())
            .set("company_name", &s.company_name)
            .set("start_date", s.start_date)
            .set("end_date", s.end_date)
            .set("storefront_pricing", s.storefront_pricing)
            .set("company_allowance", s.company_allowance)
            .set("personal_pay", s.personal_pay)
            .set("items_count_limit", s.items_count_limit)
            .set("price_limit", s.price_limit)
            .set("email_shopper", s.email_shopper)
            .set("checkout_fields", Json(&s.checkout_fields))
            .set("departments", &s.departments)
            .set("message", &s.message)
            .set("bfl_cost", s.bfl_cost)
            .set("distributor_po", &s.distributor_po)
            .set("pick_pack_partner_id", s.pick_pack_partner_id)
            .set("pick_pack_partner_message", &s.pick_pack_partner_message);
    })
    .await
}

/// Sets campaign `id`'s status if its version is `expected_version` (any when
/// `None`). The lifecycle rule is the caller's (`domain::campaign::transition`).
#[tracing::instrument(skip_all, fields(campaign.id = id, status = %status))]
pub async fn set_status(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>, status: Status) -> Result<()> {
    write::update(db, "campaigns", Scope::ALL, id, expected_version, |a| {
        a.set("status", status.as_str());
    })
    .await
}

/// Deletes campaign `id` (and by cascade its members and locations) if its
/// version is `expected_version` (any when `None`).
#[tracing::instrument(skip_all, fields(campaign.id = id))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64, expected_version: Option<i64>) -> Result<()> {
    write::delete(db, "campaigns", id, expected_version).await
}

/// Copies campaign `id` as a new draft named `name`, created by `created_by`:
/// every setting and every location, no members. One statement. `NotFound`
/// when the source is gone; a taken name is a `Conflict` on `campaigns_name_key`.
#[tracing::instrument(skip_all, fields(campaign.id = id))]
pub async fn duplicate(db: impl PgExecutor<'_>, id: i64, name: &str, created_by: i64) -> Result<i64> {
    sqlx::query_scalar::<_, i64>(concat!(
        "WITH copy AS (INSERT INTO campaigns (distributor_id, created_by, name, ",
        copied_columns!(),
        ") SELECT distributor_id, $3, $2, ",
        copied_columns!(),
        " FROM campaigns WHERE id = $1 RETURNING id), \
         copied_locations AS (INSERT INTO locations (campaign_id, distributor_id, ",
        location_columns!(),
        ") SELECT copy.id, l.distributor_id, ",
        location_columns!(),
        " FROM locations l CROSS JOIN copy WHERE l.campaign_id = $1 ORDER BY l.id) \
         SELECT id FROM copy"
    ))
    .bind(id)
    .bind(name.trim())
    .bind(created_by)
    .fetch_optional(db)
    .await?
    .ok_or(StorageError::NotFound)
}

/// Makes account `account_id` a member of campaign `campaign_id` (of
/// `distributor_id`); already a member is a `Conflict` on `campaign_members_pkey`.
#[tracing::instrument(skip_all, fields(campaign.id = campaign_id, account.id = account_id))]
pub async fn add_member(db: impl PgExecutor<'_>, campaign_id: i64, account_id: i64, distributor_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO campaign_members (campaign_id, account_id, distributor_id) VALUES ($1, $2, $3)")
        .bind(campaign_id)
        .bind(account_id)
        .bind(distributor_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Removes a membership; `NotFound` when the account was not a member.
#[tracing::instrument(skip_all, fields(campaign.id = campaign_id, account.id = account_id))]
pub async fn remove_member(db: impl PgExecutor<'_>, campaign_id: i64, account_id: i64) -> Result<()> {
    let done = sqlx::query("DELETE FROM campaign_members WHERE campaign_id = $1 AND account_id = $2")
        .bind(campaign_id)
        .bind(account_id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}

/// Whether account `account_id` is a member of an active campaign open on
/// `today` (start ≤ today ≤ end): the shopper login rule, the SQL form of
/// `domain::campaign::is_open_on`.
#[tracing::instrument(skip_all, fields(account.id = account_id))]
pub async fn shopper_has_open_campaign(db: impl PgExecutor<'_>, account_id: i64, today: NaiveDate) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
         WHERE m.account_id = $1 AND c.status = 'active' AND c.start_date <= $2 AND c.end_date >= $2)",
    )
    .bind(account_id)
    .bind(today)
    .fetch_one(db)
    .await?)
}

/// The role and distributor of account `account_id`, locked (`FOR SHARE`) so
/// neither can change before a membership written against them commits.
/// `None` when there is no such account.
#[tracing::instrument(skip_all, fields(account.id = account_id))]
pub async fn member_candidate(db: impl PgExecutor<'_>, account_id: i64) -> Result<Option<(Role, Option<i64>)>> {
    let row: Option<(Named<Role>, Option<i64>)> =
        sqlx::query_as("SELECT role, distributor_id FROM accounts WHERE id = $1 FOR SHARE")
            .bind(account_id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(role, d)| (role.0, d)))
}

/// Whether distributor `id` exists and is not soft-deleted, locked (`FOR
/// SHARE`) so it stays so until the campaign written for it commits.
#[tracing::instrument(skip_all, fields(distributor.id = id))]
pub async fn distributor_is_live(db: impl PgExecutor<'_>, id: i64) -> Result<bool> {
    let deleted: Option<bool> = sqlx::query_scalar("SELECT is_deleted FROM distributors WHERE id = $1 FOR SHARE")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(deleted == Some(false))
}

/// Whether vendor `vendor_id` is an active pick/pack vendor of
/// `distributor_id`, locked (`FOR SHARE`) so it stays so until the campaign
/// written against it commits. Absent and another distributor's are `false`.
#[tracing::instrument(skip_all, fields(distributor.id = distributor_id, vendor.id = vendor_id))]
pub async fn is_pick_pack_partner(db: impl PgExecutor<'_>, distributor_id: i64, vendor_id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM vendors WHERE id = $1 AND distributor_id = $2 AND is_pick_pack AND is_active FOR SHARE",
    )
    .bind(vendor_id)
    .bind(distributor_id)
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}
