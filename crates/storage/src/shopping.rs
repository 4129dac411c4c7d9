//! The storefront's writes: baskets, and checkout into an order with its
//! lines, allowance ledger entry, event and notification.
//!
//! Every change to one shopper's basket in one campaign, and every checkout
//! of it, first locks that shopper's `baskets` row ([`lock_basket`]), so
//! they run one at a time per shopper and re-read everything they decide on
//! after the lock. Different shoppers never wait on each other: there is no
//! campaign-wide lock and no shared counter row (order numbers come from a
//! sequence).

use crate::error::Result;
use chrono::{DateTime, Utc};
use domain::shopping::{Line, Usage};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgExecutor;

/// Locks the basket of `account_id` in `campaign_id` (creating it when
/// missing) for the rest of the transaction; returns its version.
///
/// One round trip in the usual case: a new row is ours until commit, an
/// existing one is locked by the same statement. Only when another
/// transaction created the row after this statement's snapshot does neither
/// part see it; a second statement (with a new snapshot) then locks it.
#[tracing::instrument(skip_all, fields(account.id = account_id, campaign.id = campaign_id))]
pub async fn lock_basket(
    tx: &mut crate::Connection,
    account_id: i64,
    campaign_id: i64,
    distributor_id: i64,
) -> Result<i64> {
    let version: Option<i64> = sqlx::query_scalar(
        "WITH new AS (INSERT INTO baskets (account_id, campaign_id, distributor_id) VALUES ($1, $2, $3) \
                      ON CONFLICT (account_id, campaign_id) DO NOTHING RETURNING version), \
              old AS (SELECT version FROM baskets WHERE account_id = $1 AND campaign_id = $2 FOR UPDATE) \
         SELECT coalesce((SELECT version FROM new), (SELECT version FROM old))::int8",
    )
    .bind(account_id)
    .bind(campaign_id)
    .bind(distributor_id)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(version) = version {
        return Ok(version);
    }
    Ok(sqlx::query_scalar("SELECT version::int8 FROM baskets WHERE account_id = $1 AND campaign_id = $2 FOR UPDATE")
        .bind(account_id)
        .bind(campaign_id)
        .fetch_one(&mut *tx)
        .await?)
}

/// The basket's version, 0 when the shopper has none yet.
pub async fn basket_version(db: impl PgExecutor<'_>, account_id: i64, campaign_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT coalesce((SELECT version::int8 FROM baskets WHERE account_id = $1 AND campaign_id = $2), 0)",
    )
    .bind(account_id)
    .bind(campaign_id)
    .fetch_one(db)
    .await?)
}

/// Marks the basket changed (its version moves); returns the new version.
pub async fn touch_basket(db: impl PgExecutor<'_>, account_id: i64, campaign_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE baskets SET modified_at = now() WHERE account_id = $1 AND campaign_id = $2 RETURNING version::int8",
    )
    .bind(account_id)
    .bind(campaign_id)
    .fetch_one(db)
    .await?)
}

/// A basket line with what the shopper sees of its item now.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BasketLine {
    pub campaign_item_id: i64,
    pub quantity: i64,
    /// The price when the line was last set.
    pub unit_price: Decimal,
    /// The item's price now (`None` if it has none).
    pub current_price: Option<Decimal>,
    pub sku: String,
    pub product_name: String,
}

impl BasketLine {
    /// The line for the money rules, at the price the shopper saw.
    pub fn line(&self) -> Line {
        Line { quantity: self.quantity, unit_price: self.unit_price }
    }
}

/// What `lines` add up to (see `domain::shopping::usage_of`).
pub fn usage(lines: &[BasketLine]) -> Usage {
    domain::shopping::usage_of(lines.iter().map(BasketLine::line))
}

/// The lines of the basket of `$1` (account) in `$2` (campaign) with their
/// items, the columns of a [`BasketLine`], sortable by [`LINES_ORDER`].
const LINES: &str = "\
    SELECT b.campaign_item_id, b.quantity::int8 AS quantity, b.unit_price, i.price AS current_price, i.sku, \
           i.product_name, b.created_at \
    FROM basket_items b JOIN campaign_items i ON i.id = b.campaign_item_id \
    WHERE b.account_id = $1 AND b.campaign_id = $2";

/// The order lines are shown and checked out in: the order they were first
/// added (over [`LINES`] aliased `l`).
const LINES_ORDER: &str = "l.created_at, l.campaign_item_id";

/// The basket's lines, in the order they were first added.
#[tracing::instrument(skip_all, fields(account.id = account_id, campaign.id = campaign_id))]
pub async fn basket_lines(db: impl PgExecutor<'_>, account_id: i64, campaign_id: i64) -> Result<Vec<BasketLine>> {
    Ok(sqlx::query_as::<_, BasketLine>(sqlx::AssertSqlSafe(format!(
        "SELECT l.* FROM ({LINES}) l ORDER BY {LINES_ORDER}"
    )))
    .bind(account_id)
    .bind(campaign_id)
    .fetch_all(db)
    .await?)
}

/// The price of item `item_id` if it is an item of campaign `campaign_id`;
/// `Some(None)` for an item without a price.
pub async fn item_price(db: impl PgExecutor<'_>, campaign_id: i64, item_id: i64) -> Result<Option<Option<Decimal>>> {
    Ok(sqlx::query_scalar::<_, Option<Decimal>>("SELECT price FROM campaign_items WHERE id = $1 AND campaign_id = $2")
        .bind(item_id)
        .bind(campaign_id)
        .fetch_optional(db)
        .await?)
}

/// Sets the quantity of a basket line at `unit_price` (0 removes it);
/// returns the quantity it had (0 when there was no line), so the caller
/// can tell a raise from a cut without reading the basket twice.
#[tracing::instrument(skip_all, fields(account.id = account_id, campaign.id = campaign_id, item.id = item_id))]
pub async fn set_line(
    db: impl PgExecutor<'_>,
    account_id: i64,
    campaign_id: i64,
    distributor_id: i64,
    item_id: i64,
    quantity: i64,
    unit_price: Decimal,
) -> Result<i64> {
    // Every CTE sees the table as it was before the statement: `old` is the
    // line before the change, whichever branch runs.
    let previous: Option<i64> = sqlx::query_scalar(
        "WITH old AS (SELECT quantity FROM basket_items \
                      WHERE account_id = $1 AND campaign_id = $2 AND campaign_item_id = $3), \
              gone AS (DELETE FROM basket_items \
                       WHERE $5 = 0 AND account_id = $1 AND campaign_id = $2 AND campaign_item_id = $3), \
              set AS (INSERT INTO basket_items (account_id, campaign_id, campaign_item_id, distributor_id, quantity, \
                                                unit_price) \
                      SELECT $1, $2, $3, $4, $5, $6 WHERE $5 > 0 \
                      ON CONFLICT (account_id, campaign_id, campaign_item_id) \
                      DO UPDATE SET quantity = EXCLUDED.quantity, unit_price = EXCLUDED.unit_price, modified_at = now()) \
         SELECT quantity::int8 FROM old",
    )
    .bind(account_id)
    .bind(campaign_id)
    .bind(item_id)
    .bind(distributor_id)
    .bind(i32::try_from(quantity).unwrap_or(i32::MAX))
    .bind(unit_price)
    .fetch_optional(db)
    .await?;
    Ok(previous.unwrap_or(0))
}

/// Empties the basket.
pub async fn clear_basket(db: impl PgExecutor<'_>, account_id: i64, campaign_id: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM basket_items WHERE account_id = $1 AND campaign_id = $2")
        .bind(account_id)
        .bind(campaign_id)
        .execute(db)
        .await?
        .rows_affected())
}

/// What the shopper's non-cancelled orders in the campaign add up to, and
/// what they took of the allowance (the ledger's sum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    pub ordered: Usage,
    pub allowance_used: Decimal,
}

/// The columns of a [`History`], for `$1` the account and `$2` the campaign.
const HISTORY_COLUMNS: &str = "\
    coalesce((SELECT sum(items_count) FROM orders \
              WHERE account_id = $1 AND campaign_id = $2 AND status <> 'cancelled'), 0)::int8, \
    coalesce((SELECT sum(subtotal) FROM orders \
              WHERE account_id = $1 AND campaign_id = $2 AND status <> 'cancelled'), 0), \
    coalesce((SELECT sum(amount) FROM allowance_ledger WHERE account_id = $1 AND campaign_id = $2), 0)";

#[tracing::instrument(skip_all, fields(account.id = account_id, campaign.id = campaign_id))]
pub async fn history(db: impl PgExecutor<'_>, account_id: i64, campaign_id: i64) -> Result<History> {
    let (items, amount, used): (i64, Decimal, Decimal) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {HISTORY_COLUMNS}")))
            .bind(account_id)
            .bind(campaign_id)
            .fetch_one(db)
            .await?;
    Ok(History { ordered: Usage { items, amount }, allowance_used: used })
}

/// What a checkout decides on besides the basket, read in one round trip
/// under the basket lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutContext {
    pub history: History,
    /// The ids of the campaign's delivery locations.
    pub location_ids: Vec<i64>,
    /// The number the order gets if it is placed. Taken from a sequence now,
    /// so a refused checkout leaves a gap; numbers are unique, not dense.
    pub order_number: String,
}

/// The basket's lines (as [`basket_lines`]) and the [`CheckoutContext`],
/// read in one round trip under the basket lock: the context once (a
/// materialized part, so the order number is drawn once), joined to each
/// line, or to none when the basket is empty.
#[tracing::instrument(skip_all, fields(account.id = account_id, campaign.id = campaign_id))]
pub async fn checkout_basket(
    db: impl PgExecutor<'_>,
    account_id: i64,
    campaign_id: i64,
    distributor_id: i64,
) -> Result<(Vec<BasketLine>, CheckoutContext)> {
    /// The context, repeated on each line's row.
    #[derive(sqlx::FromRow)]
    struct Row {
        ordered_items: i64,
        ordered_amount: Decimal,
        allowance_used: Decimal,
        location_ids: Vec<i64>,
        seq: i64,
        distributor_name: String,
        campaign_item_id: Option<i64>,
        quantity: Option<i64>,
        unit_price: Option<Decimal>,
        current_price: Option<Decimal>,
        sku: Option<String>,
        product_name: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH c (ordered_items, ordered_amount, allowance_used, location_ids, seq, distributor_name) AS MATERIALIZED ( \
           SELECT {HISTORY_COLUMNS}, \
                  ARRAY(SELECT id FROM locations WHERE campaign_id = $2 ORDER BY id), \
                  nextval('order_number_seq'), \
                  (SELECT name FROM distributors WHERE id = $3)) \
         SELECT c.*, l.campaign_item_id, l.quantity, l.unit_price, l.current_price, l.sku, l.product_name \
         FROM c LEFT JOIN ({LINES}) l ON true ORDER BY {LINES_ORDER}"
    )))
    .bind(account_id)
    .bind(campaign_id)
    .bind(distributor_id)
    .fetch_all(db)
    .await?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut context = None;
    for r in rows {
        if let (Some(campaign_item_id), Some(quantity), Some(unit_price), Some(sku), Some(product_name)) =
            (r.campaign_item_id, r.quantity, r.unit_price, r.sku, r.product_name)
        {
            let current_price = r.current_price;
            lines.push(BasketLine { campaign_item_id, quantity, unit_price, current_price, sku, product_name });
        }
        if context.is_some() {
            continue;
        }
        context = Some(CheckoutContext {
            history: History {
                ordered: Usage { items: r.ordered_items, amount: r.ordered_amount },
                allowance_used: r.allowance_used,
            },
            location_ids: r.location_ids,
            order_number: domain::shopping::order_number(&r.distributor_name, u64::try_from(r.seq).unwrap_or_default()),
        });
    }
    // `c` is one row, so the join yields one or more.
    let context = context.ok_or(sqlx::Error::RowNotFound)?;
    Ok((lines, context))
}

/// A delivery location of the campaign, as copied onto an order.
pub async fn location_copy(db: impl PgExecutor<'_>, campaign_id: i64, location_id: i64) -> Result<Option<Value>> {
    Ok(sqlx::query_scalar(
        "SELECT jsonb_build_object('id', id, 'nickname', nickname, 'company_name', company_name, \
                'street_and_number', street_and_number, 'suite_unit', suite_unit, 'city', city, \
                'zip_code', zip_code, 'region', region, 'country', country, 'delivery_contact', delivery_contact) \
         FROM locations WHERE id = $1 AND campaign_id = $2",
    )
    .bind(location_id)
    .bind(campaign_id)
    .fetch_optional(db)
    .await?)
}

/// Everything a checkout writes, decided by the caller under the basket lock.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    /// From [`CheckoutContext::order_number`].
    pub number: &'a str,
    pub distributor_id: i64,
    pub account_id: i64,
    pub campaign_id: i64,
    pub checkout_fields: &'a Value,
    pub location: Option<&'a Value>,
    pub department: Option<&'a str>,
    pub lines: &'a [BasketLine],
    pub usage: Usage,
    pub allowance_applied: Decimal,
    pub payroll_deduction: Decimal,
    /// The allowance left after this order; `None` when unlimited.
    pub allowance_remaining: Option<Decimal>,
    pub at: DateTime<Utc>,
}

/// A placed order's id and number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub id: i64,
    pub number: String,
}

/// The jobs a new order queues: its confirmation to the shopper and the
/// notice to the campaign's admin buyers (each decides when it runs whether
/// there is anyone to send it to). The order is at version 1.
const PLACED_JOBS: &[&str] = &["order_confirmation", "new_order_notice"];

/// Writes the order, its lines, its ledger entry, its `order created` event
/// and its notification jobs, and empties the basket, in one
/// statement (one round trip: checkout is the hottest write). The caller
/// holds the basket lock and has checked every rule.
#[tracing::instrument(skip_all, fields(account.id = o.account_id, campaign.id = o.campaign_id))]
pub async fn place_order(tx: &mut crate::Connection, o: &NewOrder<'_>) -> Result<Placed> {
    let items: Vec<i64> = o.lines.iter().map(|l| l.campaign_item_id).collect();
    let quantities: Vec<i32> = o.lines.iter().map(|l| i32::try_from(l.quantity).unwrap_or(i32::MAX)).collect();
    let prices: Vec<Decimal> = o.lines.iter().map(|l| l.unit_price).collect();
    let totals: Vec<Decimal> = o.lines.iter().map(|l| l.line().total()).collect();
    let skus: Vec<&str> = o.lines.iter().map(|l| l.sku.as_str()).collect();
    let names: Vec<&str> = o.lines.iter().map(|l| l.product_name.as_str()).collect();
    // The order as placed, kept in its `created` event: later edits change
    // the lines and totals, never this.
    let placed: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            serde_json::json!({
                "campaign_item_id": l.campaign_item_id, "sku": l.sku, "product_name": l.product_name,
                "quantity": l.quantity, "unit_price": domain::money::to_wire(l.unit_price),
                "line_total": domain::money::to_wire(l.line().total()),
            })
        })
        .collect();
    let summary = serde_json::json!({
        "lines": placed,
        "number": o.number,
        "items_count": o.usage.items,
        "subtotal": domain::money::to_wire(o.usage.amount),
        "allowance_applied": domain::money::to_wire(o.allowance_applied),
        "payroll_deduction": domain::money::to_wire(o.payroll_deduction),
    });
    // The parts see one snapshot, so none reads what another writes: the
    // lines, ledger entry, event and jobs take the order's id from
    // `o`, and foreign keys are checked when the statement ends.
    let id: i64 = sqlx::query_scalar(
        "WITH o AS ( \
           INSERT INTO orders (number, distributor_id, account_id, campaign_id, checkout_fields, location, department, \
                               items_count, subtotal, allowance_applied, payroll_deduction, created_at, modified_at) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id), \
         lines AS ( \
           INSERT INTO order_items (order_id, distributor_id, campaign_item_id, quantity, unit_price, line_total, sku, \
                                    product_name) \
           SELECT o.id, $2, l.* FROM o, \
                  unnest($13::int8[], $14::int4[], $15::numeric[], $16::numeric[], $17::text[], $18::text[]) l), \
         ledger AS ( \
           INSERT INTO allowance_ledger (account_id, campaign_id, distributor_id, order_id, kind, amount, balance) \
           SELECT $3, $4, $2, o.id, 'checkout', $10, $19 FROM o), \
         event AS ( \
           INSERT INTO order_events (order_id, distributor_id, kind, message, actor_id, data, created_at) \
           SELECT o.id, $2, 'created', 'order created at checkout', $3, $20, $12 FROM o), \
         notices AS ( \
           INSERT INTO jobs (distributor_id, kind, payload) \
           SELECT $2, k, jsonb_build_object('order_id', o.id, 'version', 1) FROM o, unnest($21::text[]) k), \
         emptied AS (DELETE FROM basket_items WHERE account_id = $3 AND campaign_id = $4), \
         touched AS (UPDATE baskets SET modified_at = now() WHERE account_id = $3 AND campaign_id = $4) \
         SELECT id FROM o",
    )
    .bind(o.number)
    .bind(o.distributor_id)
    .bind(o.account_id)
    .bind(o.campaign_id)
    .bind(o.checkout_fields)
    .bind(o.location)
    .bind(o.department)
    .bind(i32::try_from(o.usage.items).unwrap_or(i32::MAX))
    .bind(o.usage.amount)
    .bind(o.allowance_applied)
    .bind(o.payroll_deduction)
    .bind(o.at)
    .bind(&items)
    .bind(&quantities)
    .bind(&prices)
    .bind(&totals)
    .bind(&skus)
    .bind(&names)
    .bind(o.allowance_remaining)
    .bind(&summary)
    .bind(PLACED_JOBS)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Placed { id, number: o.number.to_owned() })
}

#[cfg(test)]
mod tests {
    use domain::job::Job;

    #[test]
    fn the_jobs_checkout_queues_are_job_kinds_with_an_order_payload() {
        for kind in super::PLACED_JOBS {
            let payload = serde_json::json!({ "order_id": 1, "version": 1 });
            assert!(Job::from_parts(kind, payload).is_ok(), "{kind}");
        }
    }
}
