//! Staff edits of a `processing` order's lines: change a quantity, remove a
//! line, swap a line to another item of the same product in the campaign,
//! add an item of the campaign.
//!
//! An edit is decided like a checkout, under the shopper's basket lock: the
//! shopper's limits are checked counting their other orders (when the edit
//! raises anything), the new subtotal is split against the allowance the
//! other orders leave, and the difference is written to the ledger. Unit
//! prices of untouched lines never change; a new or swapped line takes the
//! item's campaign price. A dry run does all of it in the transaction,
//! reads the order back as it would be, and rolls back: the preview is the
//! edit itself, not a second calculation that could disagree with it.

use super::{MODEL, actor, order_for_money};
use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::params::{FieldsQuery, XFields};
use crate::precondition::IfMatch;
use crate::resource::{Masked, OrderDoc};
use crate::state::AppState;
use crate::storefront::basket::{allowance_problem, limits_problem};
use crate::strict::{Money, Text};
use crate::tags::ApiTags;
use crate::write::{begin, check_version, commit, read_back, read_back_in};
use domain::order::Actor;
use domain::resource::ORDER;
use domain::shopping::{Line, MAX_LINE_QUANTITY, Refusal, Usage};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use storage::StorageError;
use storage::orders::{CampaignItem, Entry, Event, LineWrite, Order, OrderLine};

/// The most changes one edit may carry.
const MAX_CHANGES: usize = 100;

/// One change of an edit.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct LineChange {
    /// The order line to change; omit it to add a line.
    pub id: Option<i64>,
    /// With `id`: swap the line to this item (another item of the same
    /// product in the campaign, e.g. another size), at the item's campaign
    /// price. Without `id`: the campaign item to add.
    pub campaign_item_id: Option<i64>,
    /// Units, 0 to 10,000; 0 removes the line. Required to add a line and
    /// to change a line without swapping it; a swap keeps the line's
    /// quantity unless given.
    pub quantity: Option<i64>,
}

/// An edit of an order's lines.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct ItemEdit {
    /// 1 to 100 changes, applied together.
    pub lines: Vec<LineChange>,
    /// Why, for the history (up to 1,000 characters).
    pub note: Option<Text>,
}

impl poem_openapi::types::Example for ItemEdit {
    fn example() -> Self {
        ItemEdit {
            lines: vec![
                LineChange { id: Some(41), campaign_item_id: Some(907), quantity: None },
                LineChange { id: Some(42), campaign_item_id: None, quantity: Some(0) },
                LineChange { id: None, campaign_item_id: Some(915), quantity: Some(2) },
            ],
            note: Some(Text("swapped to size L as the shopper asked".into())),
        }
    }
}

/// An order's units and money.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Figures {
    /// Units over all lines.
    pub items_count: i64,
    /// The sum of the line totals.
    pub subtotal: Money,
    /// The part paid out of the shopper's allowance.
    pub allowance_applied: Money,
    /// The part deducted from the shopper's payroll.
    pub payroll_deduction: Money,
}

impl Figures {
    fn of(usage: Usage, applied: Decimal, deduction: Decimal) -> Figures {
        let m = |d| Money(domain::money::cents(d));
        Figures {
            items_count: usage.items,
            subtotal: m(usage.amount),
            allowance_applied: m(applied),
            payroll_deduction: m(deduction),
        }
    }
}

/// What an edit did, or would do.
#[derive(Debug, Object)]
pub struct EditOutcome {
    /// True when nothing was written (`?dry_run=true`).
    pub dry_run: bool,
    /// The order's figures before the edit.
    pub before: Figures,
    /// The order's figures after it: how the new subtotal splits between
    /// allowance and payroll deduction.
    pub after: Figures,
    /// The order as it is (or would be) after the edit, shaped by the mask.
    pub order: Masked<OrderDoc>,
}

#[derive(ApiResponse)]
pub enum Edited {
    /// The edit's outcome; `ETag` is the order's new one (absent for a dry run).
    #[oai(status = 200)]
    Ok(Json<EditOutcome>, #[oai(header = "ETag")] Option<String>),
}

/// The lines after the changes, and the ids of the lines removed; or every
/// problem with the changes, each on `lines[i]...`.
fn apply(
    changes: &[LineChange],
    lines: &[OrderLine],
    items: &BTreeMap<i64, CampaignItem>,
) -> Result<(Vec<LineWrite>, Vec<i64>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut after: BTreeMap<i64, LineWrite> = lines.iter().map(|l| l.id).zip(current(lines)).collect();
    let mut added = Vec::new();
    let mut touched = BTreeSet::new();
    for (i, c) in changes.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let mut bad = |field: String, code: &str, message: &str| errors.push(FieldError::new(field, code, message));
        if c.quantity.is_some_and(|q| !(0..=MAX_LINE_QUANTITY).contains(&q)) {
            bad(at("quantity"), "out_of_range", "must be 0 to 10,000 (0 removes the line)");
            continue;
        }
        let item = |id: i64| items.get(&id).filter(|it| it.price.is_some());
        match (c.id, c.campaign_item_id) {
            (Some(id), swap) => {
                let Some(line) = lines.iter().find(|l| l.id == id) else {
                    bad(at("id"), "not_found", "not a line of this order");
                    continue;
                };
                if !touched.insert(id) {
                    bad(at("id"), "duplicate", "each line may be changed once per edit");
                    continue;
                }
                let Some(w) = after.get_mut(&id) else { continue };
                if let Some(swap) = swap.filter(|&s| s != line.campaign_item_id) {
                    let Some(it) = item(swap) else {
                        bad(at("campaign_item_id"), "not_found", "not a priced item of this order's campaign");
                        continue;
                    };
                    if it.product_id != line.product_id {
                        bad(
                            at("campaign_item_id"),
                            "other_product",
                            "a line swaps only to an item of the same product",
                        );
                        continue;
                    }
                    w.campaign_item_id = it.id;
                    w.sku = it.sku.clone();
                    w.product_name = it.product_name.clone();
                    w.unit_price = it.price.unwrap_or_default();
                } else if c.quantity.is_none() {
                    bad(at("quantity"), "required", "give the new quantity (0 removes the line) or an item to swap to");
                    continue;
                }
                if let Some(q) = c.quantity {
                    w.quantity = q;
                }
            }
            (None, Some(new)) => {
                let Some(it) = item(new) else {
                    bad(at("campaign_item_id"), "not_found", "not a priced item of this order's campaign");
                    continue;
                };
                match c.quantity {
                    None | Some(0) => {
                        bad(at("quantity"), "required", "give the units to add, 1 to 10,000");
                        continue;
                    }
                    Some(q) => added.push(LineWrite {
                        id: None,
                        campaign_item_id: it.id,
                        sku: it.sku.clone(),
                        product_name: it.product_name.clone(),
                        quantity: q,
                        unit_price: it.price.unwrap_or_default(),
                    }),
                }
            }
            (None, None) => bad(at("id"), "required", "give the line to change, or a campaign_item_id to add"),
        }
    }
    let removed: Vec<i64> = after.values().filter(|w| w.quantity == 0).filter_map(|w| w.id).collect();
    let result: Vec<LineWrite> = after.into_values().filter(|w| w.quantity > 0).chain(added).collect();
    let mut seen = BTreeSet::new();
    for w in &result {
        if !seen.insert(w.campaign_item_id) {
            errors.push(FieldError::new(
                "lines",
                "duplicate_item",
                format!("item {} would be on two lines; change the quantity of its line instead", w.campaign_item_id),
            ));
        }
    }
    if errors.is_empty() && result.is_empty() {
        errors.push(FieldError::new("lines", "empty", "an order keeps at least one line; cancel it instead"));
    }
    if errors.is_empty() { Ok((result, removed)) } else { Err(errors) }
}

fn usage_of(lines: &[LineWrite]) -> Usage {
    domain::shopping::usage_of(lines.iter().map(|l| Line { quantity: l.quantity, unit_price: l.unit_price }))
}

/// Lines and figures for the history.
fn snapshot(lines: &[LineWrite], figures: &Figures) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "id": l.id, "campaign_item_id": l.campaign_item_id, "sku": l.sku, "quantity": l.quantity,
                "unit_price": domain::money::to_wire(l.unit_price),
                "line_total": domain::money::to_wire(Line { quantity: l.quantity, unit_price: l.unit_price }.total()),
            })
        })
        .collect();
    json!({ "lines": lines, "totals": poem_openapi::types::ToJSON::to_json(figures) })
}

fn current(lines: &[OrderLine]) -> Vec<LineWrite> {
    lines
        .iter()
        .map(|l| LineWrite {
            id: Some(l.id),
            campaign_item_id: l.campaign_item_id,
            sku: l.sku.clone(),
            product_name: l.product_name.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
        })
        .collect()
}

/// Writes the edit of `o` from `before` to `after` (lines, totals, ledger
/// adjustment, event) in `tx`; returns the figures after it.
async fn write(
    tx: &mut storage::Connection,
    who: &domain::Principal,
    o: &Order,
    expected: Option<i64>,
    (before, after, removed): (&[LineWrite], &[LineWrite], &[i64]),
    note: Option<&str>,
) -> ApiResult<Figures> {
    let usage = usage_of(after);
    let rules = storage::orders::rules(&mut *tx, o.campaign_id).await?;
    let others = storage::orders::others(&mut *tx, o).await?;
    let split =
        domain::order::resplit(rules, others.ordered, others.allowance_used, o.usage, usage).map_err(|refusal| {
            match refusal {
                Refusal::Limits(broken) => limits_problem(&broken, "lines"),
                Refusal::Allowance(e) => allowance_problem(&e, "lines"),
            }
        })?;
    storage::orders::write_lines(&mut *tx, o.id, o.distributor_id, removed, after).await.map_err(|e| match e {
        StorageError::Conflict { .. } => ApiError::unprocessable(vec![FieldError::new(
            "lines",
            "duplicate_item",
            "two lines would hold the same item; change the quantity of its line instead",
        )]),
        other => other.into(),
    })?;
    storage::orders::set_totals(&mut *tx, o.id, expected, usage, split.allowance_applied, split.payroll_deduction)
        .await?;
    let adjustment = split.allowance_applied - o.allowance_applied;
    if !adjustment.is_zero() {
        let balance = domain::order::balance(rules.allowance, others.allowance_used + split.allowance_applied);
        storage::orders::ledger(&mut *tx, o, Entry { kind: "edit", amount: adjustment, balance }).await?;
    }
    let old = Figures::of(o.usage, o.allowance_applied, o.payroll_deduction);
    let new = Figures::of(usage, split.allowance_applied, split.payroll_deduction);
    let data = json!({
        "before": snapshot(before, &old),
        "after": snapshot(after, &new),
        "adjustment": domain::money::to_wire(adjustment),
        "note": note,
    });
    let message = format!(
        "items edited: subtotal {} → {}, allowance {} → {}, deduction {} → {}{}",
        old.subtotal.0,
        new.subtotal.0,
        old.allowance_applied.0,
        new.allowance_applied.0,
        old.payroll_deduction.0,
        new.payroll_deduction.0,
        note.map(|n| format!(": {n}")).unwrap_or_default()
    );
    let event = Event {
        order_id: o.id,
        distributor_id: o.distributor_id,
        kind: "items_edited",
        message: &message,
        actor_id: Some(who.account_id),
        data: &data,
    };
    storage::orders::record(&mut *tx, &event).await?;
    Ok(new)
}

#[derive(Default)]
pub struct EditsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl EditsApi {
    /// Edit an order's items
    ///
    /// Staff of the order's distributor (admin buyers and the shopper get
    /// 403), while the order is `processing` (409 otherwise). Each change
    /// names a line by `id` and gives its new `quantity` (0 removes it) or a
    /// `campaign_item_id` to swap to (another item of the same product in
    /// the campaign, e.g. another size); a change without `id` adds a
    /// campaign item. Every problem is a 422 naming `lines[i]`. The edit is
    /// checked like a checkout: the shopper's limits counting their other
    /// orders when it raises units or money (422 `items_count_limit_exceeded`,
    /// `price_limit_exceeded`), and the new subtotal split against the
    /// allowance the other orders leave (422 `allowance_exceeded` when the
    /// campaign does not allow payroll deductions). Untouched lines keep
    /// their unit prices; new and swapped lines take the item's campaign
    /// price. The allowance difference is a ledger entry, and the edit an
    /// `items_edited` event with the lines and totals before and after.
    /// With `dry_run=true` nothing is written: the answer shows the order as
    /// it would be and its figures before and after. Honours `If-Match`
    /// (the order's ETag).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/orders/:id/edits", method = "post", operation_id = "edit_order_items")]
    async fn edit_order_items(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The order's id.
        id: Path<i64>,
        /// `true`: answer with what the edit would do, and write nothing.
        dry_run: Query<Option<bool>>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<ItemEdit>,
    ) -> ApiResult<Edited> {
        let who = auth.principal();
        let id = id.0;
        let dry_run = dry_run.0.unwrap_or(false);
        let selection = crate::params::selection(&x_fields, &fields, &ORDER, who.role)?;
        let expected = if_match.expected(MODEL, id)?;
        let edit = body.0;
        let note = edit.note.as_ref().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let mut shape = Vec::new();
        if edit.lines.is_empty() || edit.lines.len() > MAX_CHANGES {
            shape.push(FieldError::new("lines", "length", "give 1 to 100 changes"));
        }
        if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
            shape.push(FieldError::new("note", "too_long", "at most 1,000 characters"));
        }
        let mut tx = begin(&state).await?;
        let o = order_for_money(&mut tx, who, id).await?;
        if actor(who) != Actor::Staff {
            return Err(ApiError::forbidden("only staff of the order's distributor edit its items"));
        }
        if !shape.is_empty() {
            return Err(ApiError::unprocessable(shape));
        }
        let expected = check_version(&expected, o.version)?;
        if !o.status.is_editable() {
            return Err(ApiError::conflict(format!(
                "only a processing order's items can be edited; this one is {}",
                o.status
            )));
        }
        let lines = storage::orders::lines(&mut *tx, id).await?;
        let wanted: Vec<i64> = edit.lines.iter().filter_map(|c| c.campaign_item_id).collect();
        let items: BTreeMap<i64, CampaignItem> = storage::orders::campaign_items(&mut *tx, o.campaign_id, &wanted)
            .await?
            .into_iter()
            .map(|it| (it.id, it))
            .collect();
        let (after, removed) = apply(&edit.lines, &lines, &items).map_err(ApiError::unprocessable)?;
        let before = current(&lines);
        let old = Figures::of(o.usage, o.allowance_applied, o.payroll_deduction);
        let new = if after == before {
            old.clone()
        } else {
            write(&mut tx, who, &o, expected, (&before, &after, &removed), note.as_deref()).await?
        };
        if dry_run {
            let (body, _) = read_back_in::<OrderDoc>(&mut tx, who, &selection, id).await?;
            tx.rollback().await.map_err(StorageError::from)?;
            return Ok(Edited::Ok(Json(EditOutcome { dry_run, before: old, after: new, order: body }), None));
        }
        commit(tx).await?;
        tracing::info!(order.id = id, lines = after.len(), "order items edited");
        let (body, tag) = read_back::<OrderDoc>(&state, who, &selection, id).await?;
        Ok(Edited::Ok(Json(EditOutcome { dry_run, before: old, after: new, order: body }), Some(tag)))
    }
}
