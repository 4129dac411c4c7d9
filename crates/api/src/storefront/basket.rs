//! A shopper's basket in one campaign, and checkout.
//!
//! Staff of the campaign's distributor and its admin buyers see the
//! campaign but have no basket (403); everyone else gets 404. Every basket change and
//! checkout locks the shopper's basket row first and decides on what it
//! reads after the lock (`storage::shopping`), so limits and the allowance
//! hold however many requests of one shopper race, and different shoppers
//! never wait on each other.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, Problem, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{FieldsQuery, XFields};
use crate::precondition::IfMatch;
use crate::resource::OrderDoc;
use crate::state::AppState;
use crate::strict::Money;
use crate::tags::ApiTags;
use crate::write::{Created, begin, check_version, commit, read_back};
use chrono::Utc;
use domain::Principal;
use domain::Role;
use domain::campaign::CheckoutFieldKind;
use domain::money::to_wire as wire;
use domain::resource::ORDER;
use domain::shopping::{LimitExceeded, Refusal, Rules, Split, check_limits, split};
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use storage::campaigns::Campaign;
use storage::shopping::{BasketLine, History};
use storage::write::Lock;

#[derive(Default)]
pub struct BasketApi;

/// The model name in a basket's ETag (`"basket-<campaign>-<version>"`).
const BASKET: &str = "Basket";

/// A basket line.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct BasketLineDoc {
    pub campaign_item_id: i64,
    pub sku: String,
    pub product_name: String,
    pub quantity: i64,
    /// The price per unit when the line was last set; null when the campaign
    /// does not show prices.
    pub unit_price: Option<Money>,
    /// quantity × unit_price, to the cent; null when prices are hidden.
    pub line_total: Option<Money>,
    /// The item's price changed since the line was set: checkout will answer
    /// 409 `price_changed` until the line is set again.
    pub price_changed: bool,
}

/// The campaign's limits and allowance as they stand for this shopper.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct BasketRoom {
    /// Units a shopper may order in the campaign over all orders; null: no limit.
    pub items_count_limit: Option<i64>,
    /// Units in the shopper's orders so far (cancelled ones excepted).
    pub items_ordered: i64,
    /// Units still allowed after this basket; null: no limit.
    pub items_left: Option<i64>,
    /// The most money a shopper may order for; null: no limit or prices hidden.
    pub price_limit: Option<Money>,
    /// What the shopper's orders so far add up to; null when prices are hidden.
    pub amount_ordered: Option<Money>,
    /// Money still allowed after this basket; null: no limit or prices hidden.
    pub amount_left: Option<Money>,
    /// The company's allowance per shopper in this campaign.
    pub company_allowance: Option<Money>,
    /// What is left of it before this basket.
    pub allowance_remaining: Option<Money>,
    /// Whether an amount over the allowance may become a payroll deduction.
    pub personal_pay: bool,
}

/// A shopper's basket in one campaign, with its projected split.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct BasketDoc {
    pub campaign_id: i64,
    /// Moves with every change; the ETag is `"basket-<campaign_id>-<version>"`.
    pub version: i64,
    pub lines: Vec<BasketLineDoc>,
    /// Units in the basket.
    pub items_count: i64,
    /// The sum of the line totals; null when prices are hidden.
    pub subtotal: Option<Money>,
    /// What the allowance would pay of this basket; null when prices are hidden.
    pub allowance_applied: Option<Money>,
    /// What would be deducted from the shopper's payroll; null when prices are hidden.
    pub payroll_deduction: Option<Money>,
    /// Whether checkout would pass the limits and the allowance rule now.
    pub checkout_allowed: bool,
    pub room: BasketRoom,
}

/// A line's new quantity.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct SetQuantity {
    /// 1 to 10000 units; 0 removes the line.
    pub quantity: i64,
}

impl poem_openapi::types::Example for SetQuantity {
    fn example() -> Self {
        SetQuantity { quantity: 2 }
    }
}

/// What the shopper fills in at checkout.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct CheckoutRequest {
    /// The campaign's custom checkout fields, by name: required ones present,
    /// `select` values among the options, `number` numeric, `location` a
    /// location id, `department` one of the campaign's departments.
    #[oai(default)]
    pub checkout_fields: BTreeMap<String, Value>,
    /// The delivery location (one of the campaign's); copied onto the order.
    pub location_id: Option<i64>,
    /// The shopper's department (one of the campaign's).
    pub department: Option<String>,
}

impl poem_openapi::types::Example for CheckoutRequest {
    fn example() -> Self {
        CheckoutRequest {
            checkout_fields: BTreeMap::from([("employee_id".to_owned(), Value::from("E-1042"))]),
            location_id: Some(1),
            department: Some("Sales".into()),
        }
    }
}

/// A basket and its ETag.
#[derive(ApiResponse)]
pub enum BasketResponse {
    /// The basket.
    #[oai(status = 200)]
    Ok(Json<Box<BasketDoc>>, #[oai(header = "ETag")] String),
    /// `If-None-Match` matched: the copy the client holds is current.
    #[oai(status = 304)]
    NotModified(#[oai(header = "ETag")] String),
}

fn basket_etag(campaign_id: i64, version: i64) -> String {
    crate::resource::etag(BASKET, campaign_id, version)
}

/// The campaign `id` for a shopper who may shop in it now: 404 when hidden,
/// 403 for callers who see it but have no basket, 409 when it is not open
/// today.
async fn shop(db: &mut storage::Connection, who: &Principal, id: i64, lock: Lock) -> ApiResult<Campaign> {
    let campaign = storage::campaigns::load(&mut *db, who, id, lock).await?.ok_or_else(ApiError::not_found)?;
    may_shop(who, &campaign)?;
    Ok(campaign)
}

/// As [`shop`] with the campaign locked `FOR SHARE`, and the caller's basket
/// in it locked for the rest of the transaction (created when missing), in
/// the same round trip; returns the basket's version too. Every basket
/// change and every checkout begins here.
async fn shop_with_basket(db: &mut storage::Connection, who: &Principal, id: i64) -> ApiResult<(Campaign, i64)> {
    if who.role != Role::Shopper {
        // No basket is made for them: the same 404 or 403 as `shop`'s.
        shop(db, who, id, Lock::None).await?;
        return Err(not_a_shopper());
    }
    let (campaign, version) =
        storage::campaigns::load_for_shopping(db, who, id).await?.ok_or_else(ApiError::not_found)?;
    may_shop(who, &campaign)?;
    Ok((campaign, version))
}

/// 403 for callers who see the campaign but have no basket, 409 when it is
/// not open today.
fn may_shop(who: &Principal, campaign: &Campaign) -> ApiResult<()> {
    if who.role != Role::Shopper {
        return Err(not_a_shopper());
    }
    let s = &campaign.settings;
    super::require_open(campaign.status, s.start_date, s.end_date)
}

fn not_a_shopper() -> ApiError {
    ApiError::forbidden("only shoppers have a basket; staff and admin buyers may preview the campaign")
}

/// The campaign's money rules for a shopper: its limits, and the allowance
/// the company pays up to per shopper.
fn rules_of(c: &Campaign) -> Rules {
    let s = &c.settings;
    Rules {
        limits: domain::shopping::Limits { items_count: s.items_count_limit, price: s.price_limit },
        allowance: s.company_allowance,
        personal_pay: s.personal_pay,
    }
}

/// The 422 for broken limits, with the numbers, its errors on `field`
/// (also used by staff edits of an order, `crate::orders::edits`).
pub(crate) fn limits_problem(broken: &[LimitExceeded], field: &str) -> ApiError {
    let errors = broken
        .iter()
        .map(|b| match *b {
            LimitExceeded::ItemsCount { limit, ordered, would_be } => FieldError::new(
                field,
                b.code(),
                format!(
                    "at most {limit} units in this campaign; your orders have {ordered}, this would make {would_be}"
                ),
            ),
            LimitExceeded::Price { limit, ordered, would_be } => FieldError::new(
                field,
                b.code(),
                format!(
                    "at most {} in this campaign; your orders come to {}, this would make {}",
                    wire(limit),
                    wire(ordered),
                    wire(would_be)
                ),
            ),
        })
        .collect();
    let amounts: Vec<Value> = broken
        .iter()
        .map(|b| match *b {
            LimitExceeded::ItemsCount { limit, ordered, would_be } => {
                json!({"code": b.code(), "limit": limit, "ordered": ordered, "would_be": would_be})
            }
            LimitExceeded::Price { limit, ordered, would_be } => json!({"code": b.code(), "limit": wire(limit),
                "ordered": wire(ordered), "would_be": wire(would_be)}),
        })
        .collect();
    ApiError::Unprocessable(Json(
        Problem::new(422, "the campaign's limits do not allow this").with_errors(errors).with_amounts(json!(amounts)),
    ))
}

/// An amount in its wire form (two decimal places), or null when the
/// campaign hides prices.
fn money(d: Decimal, shown: bool) -> Option<Money> {
    shown.then(|| Money(domain::money::cents(d)))
}

/// The basket as the shopper sees it.
fn basket_doc(c: &Campaign, version: i64, lines: &[BasketLine], history: &History) -> BasketDoc {
    let shown = c.settings.storefront_pricing;
    let basket = storage::shopping::usage(lines);
    let Rules { limits, allowance, personal_pay } = rules_of(c);
    let fits = check_limits(limits, history.ordered, basket).is_ok();
    let projected = split(basket.amount, allowance, history.allowance_used, personal_pay);
    let Split { allowance_applied, payroll_deduction, .. } = match projected {
        Ok(s) => s,
        Err(e) => Split {
            allowance_applied: e.allowance_remaining,
            payroll_deduction: e.shortfall,
            allowance_remaining: Some(Decimal::ZERO),
        },
    };
    let total = history.ordered.plus(basket);
    BasketDoc {
        campaign_id: c.id,
        version,
        lines: lines
            .iter()
            .map(|l| BasketLineDoc {
                campaign_item_id: l.campaign_item_id,
                sku: l.sku.clone(),
                product_name: l.product_name.clone(),
                quantity: l.quantity,
                unit_price: money(l.unit_price, shown),
                line_total: money(l.line().total(), shown),
                price_changed: l.current_price != Some(l.unit_price),
            })
            .collect(),
        items_count: basket.items,
        subtotal: money(basket.amount, shown),
        allowance_applied: money(allowance_applied, shown),
        payroll_deduction: money(payroll_deduction, shown),
        checkout_allowed: basket.items > 0 && fits && projected.is_ok(),
        room: BasketRoom {
            items_count_limit: limits.items_count,
            items_ordered: history.ordered.items,
            items_left: limits.items_count.map(|n| (n - total.items).max(0)),
            price_limit: limits.price.and_then(|p| money(p, shown)),
            amount_ordered: money(history.ordered.amount, shown),
            amount_left: limits.price.and_then(|p| money((p - total.amount).max(Decimal::ZERO), shown)),
            company_allowance: allowance.and_then(|a| money(a, shown)),
            allowance_remaining: allowance.and_then(|a| money((a - history.allowance_used).max(Decimal::ZERO), shown)),
            personal_pay,
        },
    }
}

/// Reads the basket and everything its projection needs.
async fn read_basket(db: &mut storage::Connection, who: &Principal, c: &Campaign) -> ApiResult<(i64, BasketDoc)> {
    let version = storage::shopping::basket_version(&mut *db, who.account_id, c.id).await?;
    let lines = storage::shopping::basket_lines(&mut *db, who.account_id, c.id).await?;
    let history = storage::shopping::history(&mut *db, who.account_id, c.id).await?;
    Ok((version, basket_doc(c, version, &lines, &history)))
}

/// `If-Match` on the basket: its ETag, or `*`.
fn basket_precondition(if_match: &IfMatch, campaign_id: i64, version: i64) -> ApiResult<()> {
    check_version(&if_match.expected(BASKET, campaign_id)?, version).map(drop)
}

/// The 422 for an order the allowance cannot cover without a payroll
/// deduction the campaign does not allow, its error on `field`.
pub(crate) fn allowance_problem(e: &domain::shopping::AllowanceExceeded, field: &str) -> ApiError {
    ApiError::Unprocessable(Json(
        Problem::new(
            422,
            "this order is more than your remaining allowance, and this campaign does not allow payroll deductions",
        )
        .with_errors(vec![FieldError::new(
            field,
            domain::shopping::AllowanceExceeded::CODE,
            format!(
                "the order comes to {}; {} of your allowance is left, {} short",
                wire(e.subtotal),
                wire(e.allowance_remaining),
                wire(e.shortfall)
            ),
        )])
        .with_amounts(json!({"subtotal": wire(e.subtotal),
            "allowance_remaining": wire(e.allowance_remaining), "shortfall": wire(e.shortfall)})),
    ))
}

/// The 409 for lines whose price changed since they were set.
fn price_changed(lines: &[&BasketLine]) -> ApiError {
    let amounts: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({"campaign_item_id": l.campaign_item_id, "old_price": wire(l.unit_price),
                   "new_price": l.current_price.map(wire)})
        })
        .collect();
    let errors = lines
        .iter()
        .map(|l| {
            FieldError::new(
                format!("lines.{}", l.campaign_item_id),
                "price_changed",
                "the price changed since you added it; set the line again to accept the new price",
            )
        })
        .collect();
    ApiError::Conflict(Json(
        Problem::new(409, "prices changed since they were added to the basket; nothing was charged")
            .with_errors(errors)
            .with_amounts(json!(amounts)),
    ))
}

#[OpenApi(prefix_path = "/api/v1/storefront", tag = "ApiTags::Storefront")]
impl BasketApi {
    /// Read my basket
    ///
    /// The caller's basket in campaign `id`: its lines, units, subtotal, the
    /// projected split (what the allowance would pay, what would be
    /// deducted from payroll), and the room left under the campaign's limits
    /// counting the shopper's earlier orders. Amounts are null when the
    /// campaign does not show prices. Shoppers only (403 for staff and admin
    /// buyers who see the campaign, 404 for everyone else); 409 when the store
    /// is not open today. `ETag` from the basket's version; `If-None-Match`
    /// answers 304.
    #[oai(path = "/campaigns/:id/basket", method = "get", operation_id = "get_basket")]
    async fn get_basket(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<BasketResponse> {
        let who = auth.principal();
        let mut conn = state.pool.acquire().await.map_err(storage::StorageError::from)?;
        let campaign = shop(&mut conn, who, id.0, Lock::None).await?;
        let (version, doc) = read_basket(&mut conn, who, &campaign).await?;
        let tag = basket_etag(campaign.id, version);
        if crate::precondition::none_match(if_none_match.0.as_deref(), &tag) {
            return Ok(BasketResponse::NotModified(tag));
        }
        Ok(BasketResponse::Ok(Json(Box::new(doc)), tag))
    }

    /// Set a basket line
    ///
    /// Sets the quantity of item `item_id` in the caller's basket (0 removes
    /// the line) at the item's current price. The item must be in this
    /// campaign (404 otherwise). Raising a quantity is refused with 422
    /// (`items_count_limit_exceeded`, `price_limit_exceeded`, with the limit,
    /// what the shopper's orders already hold and what this would make, in
    /// `amounts`) when the shopper's orders plus the basket would pass a
    /// limit; lowering one is always allowed. `If-Match` with the basket's
    /// ETag is honoured (412 when stale).
    #[oai(path = "/campaigns/:id/basket/items/:item_id", method = "put", operation_id = "set_basket_item")]
    async fn set_basket_item(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        /// The campaign item's id.
        item_id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        body: Json<SetQuantity>,
    ) -> ApiResult<BasketResponse> {
        let who = auth.principal();
        let quantity = body.0.quantity;
        let mut tx = begin(&state).await?;
        let (campaign, version) = shop_with_basket(&mut tx, who, id.0).await?;
        // The item is part of the target: one not in this campaign is a 404
        // before any precondition is weighed (RFC 9110 §13.2.2).
        let price =
            storage::shopping::item_price(&mut *tx, campaign.id, item_id.0).await?.ok_or_else(ApiError::not_found)?;
        basket_precondition(&if_match, campaign.id, version)?;
        // The content is weighed after the preconditions (RFC 9110 §13.2.2).
        if !domain::shopping::quantity_is_valid(quantity) {
            return Err(ApiError::unprocessable(vec![FieldError::new(
                "quantity",
                "range",
                format!("must be 0 (remove the line) to {}", domain::shopping::MAX_LINE_QUANTITY),
            )]));
        }
        let Some(price) = price else {
            return Err(ApiError::conflict("this item has no price yet and cannot be bought"));
        };
        let old = storage::shopping::set_line(
            &mut *tx,
            who.account_id,
            campaign.id,
            campaign.distributor_id,
            item_id.0,
            quantity,
            price,
        )
        .await?;
        let lines = storage::shopping::basket_lines(&mut *tx, who.account_id, campaign.id).await?;
        let history = storage::shopping::history(&mut *tx, who.account_id, campaign.id).await?;
        // A cut is always allowed, even past a limit lowered since.
        if quantity > old
            && let Err(broken) =
                check_limits(rules_of(&campaign).limits, history.ordered, storage::shopping::usage(&lines))
        {
            return Err(limits_problem(&broken, "quantity"));
        }
        let version = storage::shopping::touch_basket(&mut *tx, who.account_id, campaign.id).await?;
        commit(tx).await?;
        Ok(BasketResponse::Ok(
            Json(Box::new(basket_doc(&campaign, version, &lines, &history))),
            basket_etag(campaign.id, version),
        ))
    }

    /// Empty my basket
    ///
    /// Removes every line; answers the empty basket. `If-Match` honoured.
    #[oai(path = "/campaigns/:id/basket", method = "delete", operation_id = "empty_basket")]
    async fn empty_basket(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<BasketResponse> {
        let who = auth.principal();
        let mut tx = begin(&state).await?;
        let (campaign, version) = shop_with_basket(&mut tx, who, id.0).await?;
        basket_precondition(&if_match, campaign.id, version)?;
        storage::shopping::clear_basket(&mut *tx, who.account_id, campaign.id).await?;
        let version = storage::shopping::touch_basket(&mut *tx, who.account_id, campaign.id).await?;
        let history = storage::shopping::history(&mut *tx, who.account_id, campaign.id).await?;
        commit(tx).await?;
        let doc = basket_doc(&campaign, version, &[], &history);
        Ok(BasketResponse::Ok(Json(Box::new(doc)), basket_etag(campaign.id, version)))
    }

    /// Check out
    ///
    /// Turns the caller's basket into an order (201, with the order's
    /// default fields, `Location` and `ETag`). In one transaction under the
    /// shopper's basket lock it re-reads the basket and checks: the store is
    /// open today (409 `campaign_not_open`), the basket is not empty (422),
    /// no price changed since a line was set (409 `price_changed`, old and
    /// new prices in `amounts`), the limits hold counting earlier orders (422
    /// as for basket changes), and the allowance rule: the company pays up
    /// to the shopper's remaining allowance and the rest becomes a payroll
    /// deduction, which a campaign without `personal_pay` refuses (422
    /// `allowance_exceeded`). The checkout fields must match the campaign's
    /// definitions (422 naming each field). It then writes the order with
    /// prices frozen, an allowance ledger entry, an `order created` event
    /// and a confirmation to send, and empties the basket. Send an
    /// `Idempotency-Key`: a retry replays the same order, never a second one.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/checkout", method = "post", operation_id = "checkout")]
    async fn checkout(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<CheckoutRequest>,
    ) -> ApiResult<Created<OrderDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &ORDER, who.role)?;
        let b = body.0;
        let mut tx = begin(&state).await?;
        let (campaign, _) = shop_with_basket(&mut tx, who, id.0).await?;
        let (lines, context) =
            storage::shopping::checkout_basket(&mut *tx, who.account_id, campaign.id, campaign.distributor_id).await?;
        if lines.is_empty() {
            return Err(ApiError::unprocessable(vec![FieldError::new(
                "basket",
                "empty",
                "the basket is empty; add items before checking out",
            )]));
        }
        let changed: Vec<&BasketLine> = lines.iter().filter(|l| l.current_price != Some(l.unit_price)).collect();
        if !changed.is_empty() {
            return Err(price_changed(&changed));
        }
        let (history, location_ids) = (context.history, &context.location_ids);
        let usage = storage::shopping::usage(&lines);
        let split = domain::shopping::checkout(rules_of(&campaign), history.ordered, history.allowance_used, usage)
            .map_err(|refusal| match refusal {
                Refusal::Limits(broken) => limits_problem(&broken, "quantity"),
                Refusal::Allowance(e) => allowance_problem(&e, "basket"),
            })?;
        let values: serde_json::Map<String, Value> = b.checkout_fields.into_iter().collect();
        let mut issues = validators::checkout::checkout_values(
            &campaign.settings.checkout_fields,
            &values,
            validators::checkout::Choices { location_ids, departments: &campaign.settings.departments },
        )
        .err()
        .unwrap_or_default();
        if b.location_id.is_some_and(|l| !location_ids.contains(&l)) {
            issues.push(validators::FieldIssue::new(
                "location_id",
                "not_an_option",
                "must be the id of one of the campaign's delivery locations",
            ));
        }
        if b.department.as_ref().is_some_and(|d| !campaign.settings.departments.contains(d)) {
            issues.push(validators::FieldIssue::new(
                "department",
                "not_an_option",
                "must be one of the campaign's departments",
            ));
        }
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        // A location or department picked in a checkout field of that kind
        // counts as the order's own when the body does not name one.
        let picked = |kind: CheckoutFieldKind| {
            campaign
                .settings
                .checkout_fields
                .iter()
                .find(|f| CheckoutFieldKind::parse(&f.kind) == Some(kind))
                .and_then(|f| values.get(&f.name))
        };
        let location_id = b.location_id.or_else(|| picked(CheckoutFieldKind::Location).and_then(Value::as_i64));
        let department = b
            .department
            .clone()
            .or_else(|| picked(CheckoutFieldKind::Department).and_then(Value::as_str).map(str::to_owned));
        let location = match location_id {
            Some(l) => storage::shopping::location_copy(&mut *tx, campaign.id, l).await?,
            None => None,
        };
        let placed = storage::shopping::place_order(
            &mut tx,
            &storage::shopping::NewOrder {
                number: &context.order_number,
                distributor_id: campaign.distributor_id,
                account_id: who.account_id,
                campaign_id: campaign.id,
                checkout_fields: &Value::Object(values),
                location: location.as_ref(),
                department: department.as_deref(),
                lines: &lines,
                usage,
                allowance_applied: split.allowance_applied,
                payroll_deduction: split.payroll_deduction,
                allowance_remaining: split.allowance_remaining,
                at: Utc::now(),
            },
        )
        .await?;
        commit(tx).await?;
        tracing::info!(order.id = placed.id, order.number = %placed.number, "order placed");
        let (body, tag) = read_back::<OrderDoc>(&state, who, &selection, placed.id).await?;
        Ok(Created::Created(body, format!("/api/v1/orders/{}", placed.id), tag))
    }
}
