//! Campaign items: the priced, decorated variants a campaign offers.
//!
//! Reads follow the campaign (staff of its distributor, its members; shoppers
//! while it is active), with the staff-only fields guarded by the mask.
//! Writes are for staff of the campaign's distributor. While the campaign is
//! a draft every input may change and the derived columns (copies, sku,
//! total, price) are recomputed by `storage::derived` in the same
//! transaction; once it is active the items are frozen and only `bin_id`
//! may change; closed and complete campaigns' items do not change at all.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, CampaignItemDoc, ListResponse, ReadResponse};
use crate::state::AppState;
use crate::strict::{Money, Text};
use crate::tags::ApiTags;
use crate::write::{Created, Deleted, Written, begin, check_version, commit, read_back, staff_row};
use domain::Role;
use domain::campaign::Status;
use domain::catalog::{CampaignItemFields, Decoration};
use domain::resource::CAMPAIGN_ITEM;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use rust_decimal::Decimal;
use storage::Transaction;
use storage::campaigns::Campaign;
use storage::write::Lock;
use validators::FieldIssue;

#[derive(Default)]
pub struct CampaignItemsApi;

// ---- request bodies -------------------------------------------------------

/// A logo printed on the item by a decorator.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct ItemDecoration {
    /// Where the logo goes (`front`, `left sleeve`): 1 to 50 characters, distinct within the item
    /// (case-insensitive). It is appended to the item's sku in upper case.
    pub location: Text,
    /// What is printed (at most 500 characters; default empty).
    pub logo_description: Option<Text>,
    /// What the decorator charges per item: a decimal string, at least "0", at most 2 places.
    pub cost: Money,
    /// The decorator: an active vendor of the campaign's distributor marked as a decorator.
    pub decorator_id: i64,
}

impl From<ItemDecoration> for Decoration {
    fn from(d: ItemDecoration) -> Decoration {
        Decoration {
            location: d.location.trim().to_owned(),
            logo_description: d.logo_description.map(Into::into).unwrap_or_default(),
            cost: d.cost.0,
            decorator_id: d.decorator_id,
        }
    }
}

fn decorations(list: Vec<ItemDecoration>) -> Vec<Decoration> {
    list.into_iter().map(Decoration::from).collect()
}

/// A variant put into a draft campaign.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct CampaignItemCreate {
    /// The campaign: a draft of your distributor.
    pub campaign_id: i64,
    /// The catalog variant: one of your distributor's, whose product is not deleted.
    pub product_variant_id: i64,
    /// What the supplier charges per item (decimal string, at most 2 places); default: the
    /// variant's `vendor_cost`.
    pub vendor_cost: Option<Money>,
    /// The platform cost per item for this item; null or absent uses the distributor's `ow_cost`.
    pub ow_cost: Option<Money>,
    /// Margin in percent, a decimal string with `0 ≤ margin < 100`: the price is
    /// `total / (1 − margin/100)`, rounded half away from zero to cents.
    pub margin: Money,
    /// Where the pick/pack partner keeps it (1 to 64 characters).
    pub bin_id: Option<Text>,
    /// At most 10 decorations (default none).
    pub decorations: Option<Vec<ItemDecoration>>,
}

impl poem_openapi::types::Example for CampaignItemCreate {
    fn example() -> Self {
        CampaignItemCreate {
            campaign_id: 7,
            product_variant_id: 42,
            vendor_cost: Some(Money(Decimal::new(410, 2))),
            ow_cost: None,
            margin: Money(Decimal::new(35, 0)),
            bin_id: None,
            decorations: Some(vec![
                ItemDecoration {
                    location: "front".into(),
                    logo_description: Some("Initech logo, 3 inches, white".into()),
                    cost: Money(Decimal::new(120, 2)),
                    decorator_id: 3,
                },
                ItemDecoration {
                    location: "sleeve".into(),
                    logo_description: Some("Flag".into()),
                    cost: Money(Decimal::new(80, 2)),
                    decorator_id: 3,
                },
            ]),
        }
    }
}

/// Changes to a campaign item: only the fields sent change. While the
/// campaign is a draft every field may change; once it is active only
/// `bin_id` may (others are a 409: the item is frozen).
///
/// `null` on a field that cannot be empty leaves it unchanged, like leaving
/// it out; on `ow_cost` it returns to the distributor's, on `bin_id` it
/// clears it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, nullable_all)]
pub struct CampaignItemPatch {
    /// Another variant of your distributor (its product not deleted). Unless `vendor_cost` is sent
    /// too, the item takes the new variant's vendor cost.
    pub product_variant_id: Option<i64>,
    /// Decimal string, at most 2 places.
    pub vendor_cost: Option<Money>,
    /// Decimal string; null uses the distributor's `ow_cost`.
    pub ow_cost: MaybeUndefined<Money>,
    /// Percent, `0 ≤ margin < 100`.
    pub margin: Option<Money>,
    /// 1 to 64 characters; null clears it. The one field that may change after activation.
    pub bin_id: MaybeUndefined<Text>,
    /// Replaces the whole list (at most 10).
    pub decorations: Option<Vec<ItemDecoration>>,
}

/// `Some(new value)` for a nullable field that was sent, `None` when absent.
fn sent<T>(m: MaybeUndefined<T>) -> Option<Option<T>> {
    match m {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl CampaignItemPatch {
    /// The inputs after the patch, and the names of the fields whose value
    /// actually changes (sending a field's current value changes nothing).
    fn apply(self, current: &CampaignItemFields) -> (CampaignItemFields, Vec<&'static str>) {
        let mut next = current.clone();
        let mut changed = Vec::new();
        macro_rules! set {
            ($field:ident, $value:expr) => {
                if let Some(v) = $value {
                    if next.$field != v {
                        next.$field = v;
                        changed.push(stringify!($field));
                    }
                }
            };
        }
        set!(product_variant_id, self.product_variant_id);
        set!(vendor_cost, self.vendor_cost.map(Decimal::from));
        set!(ow_cost, sent(self.ow_cost).map(|v| v.map(Decimal::from)));
        set!(margin, self.margin.map(Decimal::from));
        set!(bin_id, sent(self.bin_id).map(|v| v.map(|b| b.trim().to_owned())));
        set!(decorations, self.decorations.map(decorations));
        (next, changed)
    }
}

// ---- rules that need the database -----------------------------------------

/// One issue per decoration whose decorator is not an active decorator of
/// `distributor_id` (absent and another distributor's look the same).
async fn decorator_issues(
    tx: &mut Transaction,
    distributor_id: i64,
    list: &[Decoration],
) -> ApiResult<Vec<FieldIssue>> {
    let mut ids: Vec<i64> = list.iter().map(|d| d.decorator_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let found = storage::campaign_items::active_decorators(&mut **tx, distributor_id, &ids).await?;
    Ok(list
        .iter()
        .enumerate()
        .filter(|(_, d)| !found.contains(&d.decorator_id))
        .map(|(i, _)| {
            FieldIssue::new(
                format!("decorations[{i}].decorator_id"),
                "not_found",
                "no such decorator: it must be an active vendor of the campaign's distributor marked as a decorator",
            )
        })
        .collect())
}

fn no_such_variant() -> FieldIssue {
    FieldIssue::new(
        "product_variant_id",
        "not_found",
        "no such variant: it must be a variant of the campaign's distributor whose product is not deleted",
    )
}

/// The price check, once everything else holds: the total and price must fit.
async fn price_issues(
    tx: &mut Transaction,
    campaign: &Campaign,
    inputs: &CampaignItemFields,
) -> ApiResult<Vec<FieldIssue>> {
    let ow_cost = match inputs.ow_cost {
        Some(own) => own,
        None => storage::campaign_items::distributor_ow_cost(&mut **tx, campaign.distributor_id).await?,
    };
    Ok(validators::campaign_item::priced(inputs, campaign.settings.bfl_cost, ow_cost))
}

/// 422 when there are issues, sorted by field.
fn refuse(mut issues: Vec<FieldIssue>) -> ApiResult<()> {
    if issues.is_empty() {
        return Ok(());
    }
    issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    issues.dedup();
    Err(from_issues(issues))
}

/// The campaign of item `id` as `who` may write it, locked (`FOR SHARE`, so
/// its status cannot change under the write), then the item locked for
/// update: campaign first, as activation locks them (no deadlock). 404 when
/// either is not visible, 403 for members who are not staff.
async fn load_for_write(
    tx: &mut Transaction,
    who: &domain::Principal,
    id: i64,
) -> ApiResult<(Campaign, storage::campaign_items::Item)> {
    let campaign_id = storage::campaign_items::campaign_of(&mut **tx, id).await?.ok_or_else(ApiError::not_found)?;
    let campaign = staff_row(who, storage::campaigns::load(&mut **tx, who, campaign_id, Lock::Share).await?)?;
    let item = storage::campaign_items::find_in(&mut **tx, campaign_id, id, Lock::Update)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((campaign, item))
}

fn item_path(id: i64) -> String {
    format!("/api/v1/catalog/campaign-items/{id}")
}

// ---- operations -------------------------------------------------------------

#[OpenApi(prefix_path = "/api/v1/catalog", tag = "ApiTags::Catalog")]
impl CampaignItemsApi {
    /// List campaign items
    ///
    /// Any logged-in account sees the items of the campaigns it can read:
    /// staff (sales executives and managers) their distributor's, super
    /// admins all, admin buyers those of the campaigns they are members of,
    /// shoppers those of the active campaigns they are members of. Filter by
    /// campaign with `[{"field":"campaign_id","op":"==","value":7}]`. The
    /// whole query language applies; the staff-only fields (costs, margin,
    /// total, supplier details, decorations, bin, variant) are 403 for
    /// others when named in a mask, filter or sort.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaign-items", method = "get", operation_id = "list_campaign_items")]
    async fn list_campaign_items(
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
    ) -> ApiResult<ListResponse<CampaignItemDoc>> {
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, auth.principal(), &args, request).await
    }

    /// Read a campaign item
    ///
    /// Anyone who can list it (see `list_campaign_items`); 404 otherwise.
    #[oai(path = "/campaign-items/:id", method = "get", operation_id = "get_campaign_item")]
    async fn get_campaign_item(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The item's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<CampaignItemDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &CAMPAIGN_ITEM, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Put a variant into a campaign
    ///
    /// Sales executives, managers and super admins (others get 403), into a
    /// draft campaign of their distributor (409 when it is not a draft; a
    /// campaign they cannot see is a 422 on `campaign_id`). The variant must
    /// be one of the distributor's with a product that is not deleted, and
    /// each decorator an active vendor of the distributor marked as a
    /// decorator: otherwise a 422 names the field (`product_variant_id`,
    /// `decorations[1].decorator_id`). `total`, `price` and `sku` are
    /// computed: total = vendor_cost + the campaign's bfl_cost + ow_cost (or
    /// the distributor's) + the decorations' costs; price = total / (1 −
    /// margin/100) rounded half away from zero to cents; sku = the variant's
    /// sku, then each decoration's location in upper case, joined by `-`.
    #[oai(path = "/campaign-items", method = "post", operation_id = "create_campaign_item")]
    async fn create_campaign_item(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<CampaignItemCreate>,
    ) -> ApiResult<Created<CampaignItemDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &CAMPAIGN_ITEM, who.role)?;
        let body = body.0;
        let mut tx = begin(&state).await?;
        let Some(campaign) = storage::campaigns::load(&mut *tx, who, body.campaign_id, Lock::Share).await? else {
            return Err(ApiError::unprocessable(vec![FieldError::new("campaign_id", "not_found", "no such campaign")]));
        };
        who.require_in(Role::SalesExecutive, Some(campaign.distributor_id))?;
        if campaign.status != Status::Draft {
            return Err(ApiError::conflict(format!(
                "items can be added only while the campaign is a draft; this one is {}",
                campaign.status
            )));
        }
        let variant_cost =
            storage::campaign_items::variant_cost(&mut *tx, campaign.distributor_id, body.product_variant_id).await?;
        let inputs = CampaignItemFields {
            product_variant_id: body.product_variant_id,
            vendor_cost: body.vendor_cost.map(Decimal::from).or(variant_cost).unwrap_or_default(),
            ow_cost: body.ow_cost.map(Decimal::from),
            margin: body.margin.0,
            bin_id: body.bin_id.map(|b| b.trim().to_owned()),
            decorations: body.decorations.map(decorations).unwrap_or_default(),
        };
        let mut issues = validators::campaign_item::item(&inputs);
        if variant_cost.is_none() {
            issues.push(no_such_variant());
        }
        issues.extend(decorator_issues(&mut tx, campaign.distributor_id, &inputs.decorations).await?);
        if issues.is_empty() {
            issues = price_issues(&mut tx, &campaign, &inputs).await?;
        }
        refuse(issues)?;
        let id = storage::campaign_items::create(&mut tx, campaign.id, campaign.distributor_id, &inputs).await?;
        commit(tx).await?;
        let (body, tag) = read_back::<CampaignItemDoc>(&state, who, &selection, id).await?;
        Ok(Created::Created(body, item_path(id), tag))
    }

    /// Edit a campaign item
    ///
    /// Staff of the campaign's distributor and super admins (members who are
    /// not staff get 403, anyone else 404). Honours `If-Match` (412 when
    /// stale). While the campaign is a draft every field may change and the
    /// derived fields are recomputed; once it is active the item is frozen
    /// and only `bin_id` may change (changing others is a 409 naming them);
    /// a closed or complete campaign's items do not change (409). Invalid
    /// values are a 422 naming each field, as on create.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaign-items/:id", method = "patch", operation_id = "update_campaign_item")]
    async fn update_campaign_item(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The item's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<CampaignItemPatch>,
    ) -> ApiResult<Written<CampaignItemDoc>> {
        let who = auth.principal();
        let id = id.0;
        let selection = crate::params::selection(&x_fields, &fields, &CAMPAIGN_ITEM, who.role)?;
        let expected = if_match.expected(CAMPAIGN_ITEM.model, id)?;
        let body = body.0;
        let (vendor_cost_sent, decorations_sent) = (body.vendor_cost.is_some(), body.decorations.is_some());
        let mut tx = begin(&state).await?;
        let (campaign, current) = load_for_write(&mut tx, who, id).await?;
        let expected = check_version(&expected, current.version)?;
        let (mut next, changed) = body.apply(&current.inputs);
        match campaign.status {
            Status::Draft => {}
            Status::Active => {
                let frozen: Vec<&str> = changed.iter().copied().filter(|f| *f != "bin_id").collect();
                if !frozen.is_empty() {
                    return Err(ApiError::conflict(format!(
                        "the campaign is active, so its items are frozen: only bin_id may change; refused: {}",
                        frozen.join(", ")
                    )));
                }
            }
            status => {
                return Err(ApiError::conflict(format!("the items of a {status} campaign can no longer change")));
            }
        }
        let mut issues = Vec::new();
        if changed.contains(&"product_variant_id") {
            let cost =
                storage::campaign_items::variant_cost(&mut *tx, campaign.distributor_id, next.product_variant_id)
                    .await?;
            match cost {
                None => issues.push(no_such_variant()),
                Some(cost) if !vendor_cost_sent => next.vendor_cost = cost,
                Some(_) => {}
            }
        }
        if campaign.status == Status::Draft {
            issues.extend(validators::campaign_item::item(&next));
            if decorations_sent {
                issues.extend(decorator_issues(&mut tx, campaign.distributor_id, &next.decorations).await?);
            }
            if issues.is_empty() && next != current.inputs {
                issues = price_issues(&mut tx, &campaign, &next).await?;
            }
        } else {
            issues.extend(validators::campaign_item::bin_id(next.bin_id.as_deref()));
        }
        refuse(issues)?;
        if next != current.inputs {
            if campaign.status == Status::Draft {
                storage::campaign_items::update(&mut tx, id, expected, &next).await?;
            } else {
                storage::campaign_items::set_bin(&mut *tx, id, expected, next.bin_id.as_deref()).await?;
            }
        }
        commit(tx).await?;
        let (body, tag) = read_back::<CampaignItemDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Remove an item from a campaign
    ///
    /// Staff of the campaign's distributor and super admins (members who are
    /// not staff get 403, anyone else 404), while the campaign is a draft
    /// (409 otherwise: shoppers may have ordered it). Honours `If-Match`
    /// (412 when stale).
    #[oai(path = "/campaign-items/:id", method = "delete", operation_id = "delete_campaign_item")]
    async fn delete_campaign_item(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The item's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        let expected = if_match.expected(CAMPAIGN_ITEM.model, id)?;
        let mut tx = begin(&state).await?;
        let (campaign, current) = load_for_write(&mut tx, who, id).await?;
        let expected = check_version(&expected, current.version)?;
        if campaign.status != Status::Draft {
            return Err(ApiError::conflict(format!(
                "items can be removed only while the campaign is a draft; this one is {}",
                campaign.status
            )));
        }
        storage::campaign_items::delete(&mut *tx, id, expected).await?;
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }
}
