//! Campaigns: list and read through the query language; create, edit,
//! delete, change status and duplicate. The rules live in
//! `domain::campaign` (lifecycle, what may change when, activation) and
//! `validators::campaign` (input); handlers check who may act, then ask them.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, CampaignDoc, ListResponse, ReadResponse};
use crate::state::AppState;
use crate::strict::{Inline, Money, Text};
use crate::tags::ApiTags;
use crate::write::{
    Constraint, Created, Deleted, Written, begin, check_version, commit, on_constraint, owning_distributor, read_back,
    require_live_distributor, staff_row,
};
use chrono::NaiveDate;
use domain::Role;
use domain::campaign::{CampaignFields, CheckoutField, EDITABLE_AFTER_DRAFT, Status};
use domain::resource::CAMPAIGN;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};
use rust_decimal::Decimal;
use storage::write::Lock;

#[derive(Default)]
pub struct CampaignsApi;

/// What the campaigns' constraints mean to a client.
const CONSTRAINTS: &[Constraint] = &[Constraint {
    name: "campaigns_name_key",
    field: "name",
    message: "this distributor already has a campaign named \"{}\"",
}];

/// The issue with a pick/pack partner, if any: it must be a vendor of the
/// campaign's distributor marked pick/pack and active (absent and another
/// distributor's look the same). The vendor stays so until the write commits.
async fn pick_pack_issue(
    tx: &mut storage::Transaction,
    distributor_id: i64,
    partner: Option<i64>,
) -> ApiResult<Vec<validators::FieldIssue>> {
    let Some(vendor) = partner else { return Ok(Vec::new()) };
    if storage::campaigns::is_pick_pack_partner(&mut **tx, distributor_id, vendor).await? {
        return Ok(Vec::new());
    }
    Ok(vec![validators::FieldIssue::new(
        "pick_pack_partner_id",
        "not_found",
        "no such pick/pack partner: it must be an active vendor of the campaign's distributor marked pick_pack",
    )])
}

// ---- request bodies -------------------------------------------------------

/// A custom field the shopper fills in at checkout.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct CheckoutFieldInput {
    /// Shown to the shopper; 1 to 64 characters, unique within the campaign (case-insensitive).
    pub name: Text,
    /// One of `text`, `select` (one of `options`), `number`, `location` (one of the campaign's
    /// locations) or `department` (one of the campaign's departments).
    pub kind: Text,
    /// Whether the shopper must fill it in (default false).
    #[oai(default)]
    pub required: bool,
    /// The choices of a `select` field: non-empty, no repeats. Other kinds take none.
    #[oai(default)]
    pub options: Vec<Text>,
}

/// Request texts as plain strings.
fn texts(items: Vec<Text>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

impl From<CheckoutFieldInput> for CheckoutField {
    fn from(f: CheckoutFieldInput) -> CheckoutField {
        CheckoutField {
            name: f.name.trim().to_owned(),
            kind: f.kind.into(),
            required: f.required,
            options: texts(f.options),
        }
    }
}

fn checkout_fields(list: Vec<CheckoutFieldInput>) -> Vec<CheckoutField> {
    list.into_iter().map(CheckoutField::from).collect()
}

/// A new campaign. It starts as a draft; only `name` is required now, the
/// rest of what activation needs can follow.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct CampaignCreate {
    /// The distributor running the campaign. Super admins must give it; others may omit it (it
    /// is always their own).
    pub distributor_id: Option<i64>,
    /// 1 to 200 characters, unique within the distributor (case-insensitive).
    pub name: Text,
    /// The client company (required to activate).
    pub company_name: Option<Text>,
    /// First day the store is open (required to activate).
    pub start_date: Option<NaiveDate>,
    /// Last day the store is open, not before `start_date` (required to activate).
    pub end_date: Option<NaiveDate>,
    /// Whether shoppers see prices (default true).
    pub storefront_pricing: Option<bool>,
    /// What the client company pays per shopper over all their orders: a decimal string, at most
    /// 2 places, or null when the company pays everything. Default "0": the shoppers pay (with
    /// `personal_pay`), so an allowance nobody set never bills the company without bound.
    #[oai(nullable)]
    pub company_allowance: MaybeUndefined<Money>,
    /// Excess over the allowance becomes a payroll deduction; otherwise such a checkout is refused (default false).
    pub personal_pay: Option<bool>,
    /// Most items per basket (at least 1); omit for no limit.
    pub items_count_limit: Option<i64>,
    /// Most a basket may cost (decimal string, at most 2 places); omit for no limit.
    pub price_limit: Option<Money>,
    /// Whether shoppers get order emails (default false).
    pub email_shopper: Option<bool>,
    /// Custom checkout fields, at most 50.
    pub checkout_fields: Option<Vec<CheckoutFieldInput>>,
    /// Department names shoppers pick from: non-empty, no repeats (case-insensitive).
    pub departments: Option<Vec<Text>>,
    /// The storefront's welcome message (required to activate).
    pub message: Option<Text>,
    /// Per-item cost added to every item's total (decimal string, default "0").
    pub bfl_cost: Option<Money>,
    /// The distributor's purchase-order reference.
    pub distributor_po: Option<Text>,
    /// The pick/pack partner: an active vendor of the distributor marked `pick_pack` (else 422).
    pub pick_pack_partner_id: Option<i64>,
    /// Instructions for the pick/pack partner.
    pub pick_pack_partner_message: Option<Text>,
}

impl poem_openapi::types::Example for CampaignCreate {
    fn example() -> Self {
        CampaignCreate {
            distributor_id: None,
            name: "Initech spring 2027".into(),
            company_name: Some("Initech".into()),
            start_date: NaiveDate::from_ymd_opt(2027, 3, 1),
            end_date: NaiveDate::from_ymd_opt(2027, 3, 31),
            storefront_pricing: Some(true),
            company_allowance: MaybeUndefined::Value(Money(Decimal::new(5000, 2))),
            personal_pay: Some(true),
            items_count_limit: Some(5),
            price_limit: None,
            email_shopper: Some(true),
            checkout_fields: Some(vec![
                CheckoutFieldInput {
                    name: "Size".into(),
                    kind: "select".into(),
                    required: true,
                    options: vec!["S".into(), "M".into(), "L".into()],
                },
                CheckoutFieldInput {
                    name: "Deliver to".into(),
                    kind: "location".into(),
                    required: true,
                    options: vec![],
                },
            ]),
            departments: Some(vec!["Sales".into(), "Engineering".into()]),
            message: Some("Welcome to the Initech spring store!".into()),
            bfl_cost: None,
            distributor_po: None,
            pick_pack_partner_id: None,
            pick_pack_partner_message: None,
        }
    }
}

impl CampaignCreate {
    fn settings(self) -> CampaignFields {
        let d = CampaignFields::named(self.name.trim());
        CampaignFields {
            name: d.name,
            company_name: self.company_name.map_or(d.company_name, Into::into),
            start_date: self.start_date,
            end_date: self.end_date,
            storefront_pricing: self.storefront_pricing.map_or(d.storefront_pricing, Into::into),
            company_allowance: sent(self.company_allowance).map_or(d.company_allowance, |a| a.map(Into::into)),
            personal_pay: self.personal_pay.map_or(d.personal_pay, Into::into),
            items_count_limit: self.items_count_limit,
            price_limit: self.price_limit.map(Into::into),
            email_shopper: self.email_shopper.map_or(d.email_shopper, Into::into),
            checkout_fields: self.checkout_fields.map(checkout_fields).unwrap_or_default(),
            departments: self.departments.map(texts).unwrap_or_default(),
            message: self.message.map(Into::into).unwrap_or_default(),
            bfl_cost: self.bfl_cost.map_or(d.bfl_cost, Into::into),
            distributor_po: self.distributor_po.map(Into::into),
            pick_pack_partner_id: self.pick_pack_partner_id,
            pick_pack_partner_message: self.pick_pack_partner_message.map(Into::into).unwrap_or_default(),
        }
    }
}

/// Changes to a campaign: only the fields sent change (`null` clears a
/// nullable one). In draft everything may change; once active, closed or
/// complete only `message`, `email_shopper`, `pick_pack_partner_message` and
/// `distributor_po` (others are a 409).
///
/// `null` on a field that cannot be empty leaves it unchanged, like leaving
/// it out; on a nullable field (dates, limits, references) it clears it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, nullable_all)]
pub struct CampaignPatch {
    /// 1 to 200 characters, unique within the distributor (case-insensitive).
    pub name: Option<Text>,
    pub company_name: Option<Text>,
    pub start_date: MaybeUndefined<NaiveDate>,
    pub end_date: MaybeUndefined<NaiveDate>,
    pub storefront_pricing: Option<bool>,
    /// Decimal string, at most 2 places; null: the company pays everything.
    pub company_allowance: MaybeUndefined<Money>,
    pub personal_pay: Option<bool>,
    /// At least 1; null for no limit.
    pub items_count_limit: MaybeUndefined<i64>,
    /// Decimal string, at most 2 places; null for no limit.
    pub price_limit: MaybeUndefined<Money>,
    pub email_shopper: Option<bool>,
    /// Replaces the whole list (at most 50).
    pub checkout_fields: Option<Vec<CheckoutFieldInput>>,
    /// Replaces the whole list.
    pub departments: Option<Vec<Text>>,
    pub message: Option<Text>,
    /// Decimal string, at most 2 places.
    pub bfl_cost: Option<Money>,
    pub distributor_po: MaybeUndefined<Text>,
    pub pick_pack_partner_id: MaybeUndefined<i64>,
    pub pick_pack_partner_message: Option<Text>,
}

/// `Some(new value)` for a nullable field that was sent, `None` when absent.
fn sent<T>(m: MaybeUndefined<T>) -> Option<Option<T>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// `value`, typed like `_field` (lets `.into()` infer its target in `set!`).
fn same_type<T>(_field: &T, value: T) -> T {
    value
}

impl CampaignPatch {
    /// The settings after the patch, and the names of the fields whose value
    /// actually changes (sending a field's current value changes nothing).
    fn apply(self, current: &CampaignFields) -> (CampaignFields, Vec<&'static str>) {
        let mut next = current.clone();
        let mut changed = Vec::new();
        macro_rules! set {
            ($field:ident, $value:expr) => {
                if let Some(v) = $value {
                    let v = same_type(&next.$field, v.into());
                    if next.$field != v {
                        next.$field = v;
                        changed.push(stringify!($field));
                    }
                }
            };
        }
        set!(name, self.name.map(|n| n.trim().to_owned()));
        set!(company_name, self.company_name);
        set!(start_date, sent(self.start_date));
        set!(end_date, sent(self.end_date));
        set!(storefront_pricing, self.storefront_pricing);
        set!(company_allowance, sent(self.company_allowance).map(|v| v.map(Into::into)));
        set!(personal_pay, self.personal_pay);
        set!(items_count_limit, sent(self.items_count_limit));
        set!(price_limit, sent(self.price_limit).map(|v| v.map(Into::into)));
        set!(email_shopper, self.email_shopper);
        set!(checkout_fields, self.checkout_fields.map(checkout_fields));
        set!(departments, self.departments.map(texts));
        set!(message, self.message);
        set!(bfl_cost, self.bfl_cost);
        set!(distributor_po, sent(self.distributor_po).map(|v| v.map(Into::into)));
        set!(pick_pack_partner_id, sent(self.pick_pack_partner_id));
        set!(pick_pack_partner_message, self.pick_pack_partner_message);
        (next, changed)
    }
}

/// A campaign status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Active,
    Closed,
    Complete,
}

impl From<CampaignStatus> for Status {
    fn from(s: CampaignStatus) -> Status {
        match s {
            CampaignStatus::Draft => Status::Draft,
            CampaignStatus::Active => Status::Active,
            CampaignStatus::Closed => Status::Closed,
            CampaignStatus::Complete => Status::Complete,
        }
    }
}

/// A status change.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct StatusChange {
    /// The next status: draft → active → closed → complete, one step at a time.
    pub to: Inline<CampaignStatus>,
}

/// The copy's name.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DuplicateRequest {
    /// 1 to 200 characters, unique within the distributor (case-insensitive).
    pub name: Text,
}

// ---- operations -------------------------------------------------------------

#[OpenApi(prefix_path = "/api/v1/organization", tag = "ApiTags::Organization")]
impl CampaignsApi {
    /// List campaigns
    ///
    /// Any logged-in account. Staff (sales executives and managers) see their
    /// distributor's campaigns, super admins every campaign; admin buyers see
    /// the campaigns they are members of, shoppers only the active ones they
    /// are members of. The staff-only fields (`bfl_cost`, `distributor_po`,
    /// `pick_pack_partner_id`, `pick_pack_partner_message`, `created_by`) and
    /// the `accounts` relation are 403 for others when named in a mask,
    /// filter or sort. Relations (`locations`, `accounts`, `distributor`) are
    /// loaded in one batched statement each, e.g.
    /// `X-Fields: {id,name,status,locations{city},accounts{username}}`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns", method = "get", operation_id = "list_campaigns")]
    async fn list_campaigns(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<CampaignDoc>> {
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, auth.principal(), &args, request).await
    }

    /// Read a campaign
    ///
    /// Anyone who can list it (see `list_campaigns`); 404 otherwise.
    #[oai(path = "/campaigns/:id", method = "get", operation_id = "get_campaign")]
    async fn get_campaign(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<CampaignDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &CAMPAIGN, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Create a campaign
    ///
    /// Sales executives, managers and super admins. The campaign belongs to
    /// the caller's distributor (super admins name it in `distributor_id`),
    /// starts as a draft, and records the caller as `created_by`. A taken
    /// name is a 409; invalid fields are a 422 listing each of them (a
    /// `pick_pack_partner_id` that is not an active pick/pack vendor of the
    /// distributor is one).
    #[oai(path = "/campaigns", method = "post", operation_id = "create_campaign")]
    async fn create_campaign(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<CampaignCreate>,
    ) -> ApiResult<Created<CampaignDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &CAMPAIGN, who.role)?;
        let body = body.0;
        let mut errors = Vec::new();
        let distributor_id = owning_distributor(who, body.distributor_id, "campaigns").map_err(|e| errors.push(e)).ok();
        let settings = body.settings();
        let issues = validators::campaign::settings(&settings);
        errors.extend(issues.into_iter().map(FieldError::from));
        let Some(distributor_id) = distributor_id.filter(|_| errors.is_empty()) else {
            return Err(ApiError::unprocessable(errors));
        };

        let mut tx = begin(&state).await?;
        require_live_distributor(&mut tx, distributor_id).await?;
        let issues = pick_pack_issue(&mut tx, distributor_id, settings.pick_pack_partner_id).await?;
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        let id = storage::campaigns::create(&mut *tx, distributor_id, who.account_id, &settings)
            .await
            .map_err(on_constraint(CONSTRAINTS, &settings.name))?;
        commit(tx).await?;
        let (body, tag) = read_back::<CampaignDoc>(&state, who, &selection, id).await?;
        Ok(Created::Created(body, format!("/api/v1/organization/campaigns/{id}"), tag))
    }

    /// Edit a campaign
    ///
    /// Staff of the campaign's distributor (sales executives and above) and
    /// super admins; others who can read it get 403, anyone else 404. Honours
    /// `If-Match` (412 when stale). In draft every field may change; once
    /// active, closed or complete only `message`, `email_shopper`,
    /// `pick_pack_partner_message` and `distributor_po` may (changing others
    /// is a 409 naming them). An active campaign keeps what activation
    /// required (a non-empty message). A new `pick_pack_partner_id` must be
    /// an active pick/pack vendor of the distributor (422). Changing
    /// `bfl_cost` reprices the campaign's items in the same transaction.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id", method = "patch", operation_id = "update_campaign")]
    async fn update_campaign(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<CampaignPatch>,
    ) -> ApiResult<Written<CampaignDoc>> {
        let who = auth.principal();
        let id = id.0;
        let selection = crate::params::selection(&x_fields, &fields, &CAMPAIGN, who.role)?;
        let expected = if_match.expected("Campaign", id)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::campaigns::load(&mut *tx, who, id, Lock::Update).await?)?;
        let (next, changed) = body.0.apply(&current.settings);
        let locked: Vec<&str> = changed.iter().copied().filter(|f| !current.status.may_edit(f)).collect();
        if !locked.is_empty() {
            return Err(ApiError::conflict(format!(
                "a campaign that is {} can change only {}; refused: {}",
                current.status,
                EDITABLE_AFTER_DRAFT.join(", "),
                locked.join(", ")
            )));
        }
        let mut issues = validators::campaign::settings(&next);
        if current.status != Status::Draft {
            issues.extend(validators::campaign::activation(&next));
            issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
            issues.dedup();
        }
        if changed.contains(&"pick_pack_partner_id") {
            issues.extend(pick_pack_issue(&mut tx, current.distributor_id, next.pick_pack_partner_id).await?);
            issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
        }
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        // The body's own rules first, as for accounts and distributors: a
        // malformed body is a 422 whatever the ETag; then a stale one is 412.
        let expected = check_version(&expected, current.version)?;
        if !changed.is_empty() {
            storage::campaigns::update(&mut *tx, id, expected, &next)
                .await
                .map_err(on_constraint(CONSTRAINTS, &next.name))?;
        }
        if changed.contains(&"bfl_cost") {
            // Every draft item's total and price include the campaign's bfl_cost.
            storage::derived::refresh(&mut tx, storage::derived::Affected::Campaign(id)).await?;
        }
        commit(tx).await?;
        let (body, tag) = read_back::<CampaignDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete a campaign
    ///
    /// Staff of the campaign's distributor and super admins (others who can
    /// read it get 403). Only a draft may be deleted (409 otherwise); its
    /// members, locations and items go with it. Honours `If-Match`.
    #[oai(path = "/campaigns/:id", method = "delete", operation_id = "delete_campaign")]
    async fn delete_campaign(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        let expected = if_match.expected("Campaign", id)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::campaigns::load(&mut *tx, who, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        if !current.status.may_delete() {
            return Err(ApiError::conflict(format!(
                "only draft campaigns can be deleted; this one is {}",
                current.status
            )));
        }
        storage::campaigns::delete(&mut *tx, id, expected).await?;
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }

    /// Change a campaign's status
    ///
    /// Staff of the campaign's distributor and super admins (others who can
    /// read it get 403). The lifecycle is draft → active → closed → complete,
    /// one step at a time; any other change is a 409 naming the allowed next
    /// status. Activation needs a name, a company name, start and end dates
    /// (start ≤ end), a non-empty message and valid checkout field
    /// definitions: a 422 lists everything missing or invalid. Activation
    /// freezes the campaign's items: their prices and copies of catalog
    /// data stop following the catalog. Honours `If-Match`. Returns the
    /// campaign.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/status", method = "post", operation_id = "change_campaign_status")]
    async fn change_campaign_status(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<StatusChange>,
    ) -> ApiResult<Written<CampaignDoc>> {
        let who = auth.principal();
        let id = id.0;
        let selection = crate::params::selection(&x_fields, &fields, &CAMPAIGN, who.role)?;
        let expected = if_match.expected("Campaign", id)?;
        let to = Status::from(body.0.to.0);
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::campaigns::load(&mut *tx, who, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        domain::campaign::transition(current.status, to).map_err(|e| ApiError::conflict(e.to_string()))?;
        if to == Status::Active {
            let issues = validators::campaign::activation(&current.settings);
            if !issues.is_empty() {
                return Err(from_issues(issues));
            }
        }
        storage::campaigns::set_status(&mut *tx, id, expected, to).await?;
        // Activation freezes the items' prices and copies in the same
        // transaction: shoppers never see a price that later moves.
        let frozen = if to == Status::Active { storage::derived::freeze_campaign(&mut tx, id).await? } else { 0 };
        commit(tx).await?;
        tracing::info!(campaign.id = id, from = %current.status, to = %to, items.frozen = frozen, "campaign status changed");
        let (body, tag) = read_back::<CampaignDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Duplicate a campaign
    ///
    /// Staff of the campaign's distributor and super admins (others who can
    /// read it get 403). Creates a draft named `name` with every setting,
    /// every location and every item of the original (not its members),
    /// created by the caller. The items are copied unfrozen and without
    /// bins, priced from today's catalog and costs; items whose product has
    /// been deleted are left out. A taken name is a 409.
    #[oai(path = "/campaigns/:id/duplicate", method = "post", operation_id = "duplicate_campaign")]
    #[allow(clippy::too_many_arguments)]
    async fn duplicate_campaign(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign to copy.
        id: Path<i64>,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<DuplicateRequest>,
    ) -> ApiResult<Created<CampaignDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &CAMPAIGN, who.role)?;
        let name = body.0.name.trim().to_owned();
        let mut tx = begin(&state).await?;
        staff_row(who, storage::campaigns::load(&mut *tx, who, id.0, Lock::Share).await?)?;
        let issues = validators::campaign::name(&name);
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        let copy = storage::campaigns::duplicate(&mut *tx, id.0, &name, who.account_id)
            .await
            .map_err(on_constraint(CONSTRAINTS, &name))?;
        storage::campaign_items::copy_campaign(&mut tx, id.0, copy).await?;
        commit(tx).await?;
        let (body, tag) = read_back::<CampaignDoc>(&state, who, &selection, copy).await?;
        Ok(Created::Created(body, format!("/api/v1/organization/campaigns/{copy}"), tag))
    }
}
