//! The staff side of orders: the lookups and writes of status changes, item
//! edits and notes, and the append-only history (events, ledger) they add to.
//!
//! A write that moves money (a cancellation, an item edit) first locks the
//! shopper's basket row ([`crate::shopping::lock_basket`]), the row every
//! checkout of that shopper in that campaign locks, and only then the order:
//! the same order of locks as checkout, so they never deadlock, and the
//! shopper's limits and allowance are decided on figures no other
//! transaction can change until commit.

use crate::error::Result;
use crate::named::Named;
use crate::schema;
use crate::write::{self, Lock, Scope};
use domain::Principal;
use domain::order::Status;
use domain::shopping::{Limits, Rules, Usage};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgExecutor, Postgres, QueryBuilder};

/// An order as its writes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: i64,
    pub number: String,
    pub distributor_id: i64,
    pub account_id: i64,
    pub campaign_id: i64,
    pub status: Status,
    pub version: i64,
    pub usage: Usage,
    pub allowance_applied: Decimal,
    pub payroll_deduction: Decimal,
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    number: String,
    distributor_id: i64,
    account_id: i64,
    campaign_id: i64,
    status: Named<Status>,
    version: i64,
    items_count: i64,
    subtotal: Decimal,
    allowance_applied: Decimal,
    payroll_deduction: Decimal,
}

/// Order `id` as `who` may see it (the orders scope), locked as `lock` says;
/// `None` when it does not exist or is hidden.
#[tracing::instrument(skip_all, fields(order.id = id))]
pub async fn load(db: impl PgExecutor<'_>, who: &Principal, id: i64, lock: Lock) -> Result<Option<Order>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT t.id, t.number, t.distributor_id, t.account_id, t.campaign_id, t.status, t.version::int8 AS version, \
                t.items_count::int8 AS items_count, t.subtotal, t.allowance_applied, t.payroll_deduction \
         FROM orders t WHERE t.id = ",
    );
    qb.push_bind(id).push(" AND ");
    schema::ORDERS.push_scope(who, "t", &mut qb);
    qb.push(lock.clause());
    let row = qb.build_query_as::<OrderRow>().fetch_optional(db).await?;
    Ok(row.map(|r| Order {
        id: r.id,
        number: r.number,
        distributor_id: r.distributor_id,
        account_id: r.account_id,
        campaign_id: r.campaign_id,
        status: r.status.0,
        version: r.version,
        usage: Usage { items: r.items_count, amount: r.subtotal },
        allowance_applied: r.allowance_applied,
        payroll_deduction: r.payroll_deduction,
    }))
}

/// Whether `account_id` is a member of campaign `campaign_id` (an admin
/// buyer of it, for the order rules).
pub async fn is_member(db: impl PgExecutor<'_>, account_id: i64, campaign_id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM campaign_members WHERE account_id = $1 AND campaign_id = $2)")
        .bind(account_id)
        .bind(campaign_id)
        .fetch_one(db)
        .await?)
}

/// The campaign's money rules for its shoppers.
pub async fn rules(db: impl PgExecutor<'_>, campaign_id: i64) -> Result<Rules> {
    let (allowance, personal_pay, items, price): (Option<Decimal>, bool, Option<i64>, Option<Decimal>) =
        sqlx::query_as(
            "SELECT company_allowance, personal_pay, items_count_limit::int8, price_limit FROM campaigns WHERE id = $1",
        )
        .bind(campaign_id)
        .fetch_one(db)
        .await?;
    Ok(Rules { limits: Limits { items_count: items, price }, allowance, personal_pay })
}

/// What the shopper's other orders in the campaign add up to (cancelled
/// ones left out), and what the ledger says everything but order `order_id`
/// took of the allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Others {
    pub ordered: Usage,
    pub allowance_used: Decimal,
}

pub async fn others(db: impl PgExecutor<'_>, o: &Order) -> Result<Others> {
    let (items, amount, used): (i64, Decimal, Decimal) = sqlx::query_as(
        "SELECT coalesce(sum(items_count), 0)::int8, coalesce(sum(subtotal), 0), \
                (SELECT coalesce(sum(amount), 0) FROM allowance_ledger \
                 WHERE account_id = $1 AND campaign_id = $2 AND order_id <> $3) \
         FROM orders WHERE account_id = $1 AND campaign_id = $2 AND id <> $3 AND status <> 'cancelled'",
    )
    .bind(o.account_id)
    .bind(o.campaign_id)
    .bind(o.id)
    .fetch_one(db)
    .await?;
    Ok(Others { ordered: Usage { items, amount }, allowance_used: used })
}

/// A line of an order, with the product its item is of (swaps stay within
/// one product).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderLine {
    pub id: i64,
    pub campaign_item_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub product_name: String,
    pub quantity: i64,
    pub unit_price: Decimal,
}

/// The order's lines, oldest first.
pub async fn lines(db: impl PgExecutor<'_>, order_id: i64) -> Result<Vec<OrderLine>> {
    Ok(sqlx::query_as(
        "SELECT l.id, l.campaign_item_id, i.product_id, l.sku, l.product_name, l.quantity::int8 AS quantity, \
                l.unit_price \
         FROM order_items l JOIN campaign_items i ON i.id = l.campaign_item_id \
         WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(order_id)
    .fetch_all(db)
    .await?)
}

/// An item of a campaign, as a new or swapped order line copies it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CampaignItem {
    pub id: i64,
    pub product_id: i64,
    pub sku: String,
    pub product_name: String,
    /// The campaign price (frozen since activation); `None` if it has none.
    pub price: Option<Decimal>,
}

/// The items among `ids` that belong to campaign `campaign_id`.
pub async fn campaign_items(db: impl PgExecutor<'_>, campaign_id: i64, ids: &[i64]) -> Result<Vec<CampaignItem>> {
    Ok(sqlx::query_as(
        "SELECT id, product_id, sku, product_name, price FROM campaign_items WHERE campaign_id = $1 AND id = ANY($2)",
    )
    .bind(campaign_id)
    .bind(ids)
    .fetch_all(db)
    .await?)
}

/// Sets the order's status if its version is `expected` (any when `None`).
pub async fn set_status(db: impl PgExecutor<'_>, id: i64, expected: Option<i64>, to: Status) -> Result<()> {
    write::update(db, "orders", Scope::ALL, id, expected, |a| {
        a.set("status", to.as_str());
    })
    .await
}

/// A line as an edit leaves it: `id` is `None` for a new line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineWrite {
    pub id: Option<i64>,
    pub campaign_item_id: i64,
    pub sku: String,
    pub product_name: String,
    pub quantity: i64,
    pub unit_price: Decimal,
}

/// Replaces the order's lines by `after`: the lines `removed` are deleted
/// first (so a swap may take an item a removed line had), then lines with an
/// id are updated where they changed and lines without one inserted. The
/// database checks each line's total and that no item appears twice.
pub async fn write_lines(
    tx: &mut crate::Connection,
    order_id: i64,
    distributor_id: i64,
    removed: &[i64],
    after: &[LineWrite],
) -> Result<()> {
    if !removed.is_empty() {
        sqlx::query("DELETE FROM order_items WHERE order_id = $1 AND id = ANY($2)")
            .bind(order_id)
            .bind(removed)
            .execute(&mut *tx)
            .await?;
    }
    let ids: Vec<Option<i64>> = after.iter().map(|l| l.id).collect();
    let items: Vec<i64> = after.iter().map(|l| l.campaign_item_id).collect();
    let skus: Vec<&str> = after.iter().map(|l| l.sku.as_str()).collect();
    let names: Vec<&str> = after.iter().map(|l| l.product_name.as_str()).collect();
    let quantities: Vec<i32> = after.iter().map(|l| i32::try_from(l.quantity).unwrap_or(i32::MAX)).collect();
    let prices: Vec<Decimal> = after.iter().map(|l| l.unit_price).collect();
    let totals: Vec<Decimal> = after
        .iter()
        .map(|l| domain::shopping::Line { quantity: l.quantity, unit_price: l.unit_price }.total())
        .collect();
    sqlx::query(
        "WITH l AS (SELECT * FROM unnest($3::int8[], $4::int8[], $5::text[], $6::text[], $7::int4[], \
                                         $8::numeric[], $9::numeric[]) AS l(id, item, sku, name, quantity, price, total)), \
              changed AS (UPDATE order_items o SET campaign_item_id = l.item, sku = l.sku, product_name = l.name, \
                                 quantity = l.quantity, unit_price = l.price, line_total = l.total \
                          FROM l WHERE o.id = l.id AND o.order_id = $1 \
                            AND (o.campaign_item_id, o.quantity, o.unit_price) \
                                IS DISTINCT FROM (l.item, l.quantity, l.price)) \
         INSERT INTO order_items (order_id, distributor_id, campaign_item_id, sku, product_name, quantity, unit_price, \
                                  line_total) \
         SELECT $1, $2, l.item, l.sku, l.name, l.quantity, l.price, l.total FROM l WHERE l.id IS NULL",
    )
    .bind(order_id)
    .bind(distributor_id)
    .bind(&ids)
    .bind(&items)
    .bind(&skus)
    .bind(&names)
    .bind(&quantities)
    .bind(&prices)
    .bind(&totals)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sets the order's totals and split if its version is `expected`.
pub async fn set_totals(
    db: impl PgExecutor<'_>,
    id: i64,
    expected: Option<i64>,
    usage: Usage,
    allowance_applied: Decimal,
    payroll_deduction: Decimal,
) -> Result<()> {
    write::update(db, "orders", Scope::ALL, id, expected, |a| {
        a.set("items_count", i32::try_from(usage.items).unwrap_or(i32::MAX))
            .set("subtotal", usage.amount)
            .set("allowance_applied", allowance_applied)
            .set("payroll_deduction", payroll_deduction);
    })
    .await
}

/// One step of an order's history.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub order_id: i64,
    pub distributor_id: i64,
    pub kind: &'static str,
    pub message: &'a str,
    pub actor_id: Option<i64>,
    pub data: &'a Value,
}

/// Appends `e` to the order's history.
pub async fn record(db: impl PgExecutor<'_>, e: &Event<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_events (order_id, distributor_id, kind, message, actor_id, data) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(e.order_id)
    .bind(e.distributor_id)
    .bind(e.kind)
    .bind(e.message)
    .bind(e.actor_id)
    .bind(e.data)
    .execute(db)
    .await?;
    Ok(())
}

/// An allowance ledger entry: `amount` is what it takes from the allowance
/// (negative gives back), `balance` what is left after it.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub kind: &'static str,
    pub amount: Decimal,
    pub balance: Option<Decimal>,
}

/// Appends `e` for order `o` to the ledger.
pub async fn ledger(db: impl PgExecutor<'_>, o: &Order, e: Entry) -> Result<()> {
    sqlx::query(
        "INSERT INTO allowance_ledger (account_id, campaign_id, distributor_id, order_id, kind, amount, balance) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(o.account_id)
    .bind(o.campaign_id)
    .bind(o.distributor_id)
    .bind(o.id)
    .bind(e.kind)
    .bind(e.amount)
    .bind(e.balance)
    .execute(db)
    .await?;
    Ok(())
}

/// A note as its writes see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Note {
    pub id: i64,
    pub order_id: i64,
    pub distributor_id: i64,
    pub author_id: i64,
    pub body: String,
    pub version: i64,
}

/// Note `id` of order `order_id` as `who` may see it (the notes scope:
/// deleted notes count as missing), locked as `lock` says.
pub async fn load_note(
    db: impl PgExecutor<'_>,
    who: &Principal,
    order_id: i64,
    id: i64,
    lock: Lock,
) -> Result<Option<Note>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT t.id, t.order_id, t.distributor_id, t.author_id, t.body, t.version::int8 AS version \
         FROM order_notes t WHERE t.id = ",
    );
    qb.push_bind(id).push(" AND t.order_id = ").push_bind(order_id).push(" AND ");
    schema::ORDER_NOTES.push_scope(who, "t", &mut qb);
    qb.push(lock.clause());
    Ok(qb.build_query_as::<Note>().fetch_optional(db).await?)
}

/// Adds a note by `author` to order `o`; returns its id.
pub async fn add_note(db: impl PgExecutor<'_>, o: &Order, author: i64, body: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO order_notes (order_id, distributor_id, author_id, edited_by, body) \
         VALUES ($1, $2, $3, $3, $4) RETURNING id",
    )
    .bind(o.id)
    .bind(o.distributor_id)
    .bind(author)
    .bind(body)
    .fetch_one(db)
    .await?)
}

/// Replaces the text of note `id` (its trigger keeps the old text) if its
/// version is `expected`.
pub async fn edit_note(db: impl PgExecutor<'_>, id: i64, expected: Option<i64>, body: &str, editor: i64) -> Result<()> {
    write::update(db, "order_notes", Scope("NOT is_deleted"), id, expected, |a| {
        a.set("body", body).set("edited_by", editor);
    })
    .await
}

/// Soft-deletes note `id` if its version is `expected`.
pub async fn delete_note(db: impl PgExecutor<'_>, id: i64, expected: Option<i64>) -> Result<()> {
    write::update(db, "order_notes", Scope("NOT is_deleted"), id, expected, |a| {
        a.set("is_deleted", true);
    })
    .await
}
