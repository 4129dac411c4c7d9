//! The SQL of the campaign reports: one statement per report table, streamed
//! row by row from the server, never collected.
//!
//! Every statement is scoped by distributor *and* campaign (`$1`, `$2`), so
//! a caller that got the pair wrong reads nothing rather than another
//! tenant's rows. Cancelled orders count nowhere. The dynamic column groups
//! (attribute values, checkout values) are bound as arrays (`$3`, `$4`,
//! `$5`) and projected in SQL, so the text of every statement is fixed and
//! nothing is spliced into it: the column *lists* come from the small
//! lookups here ([`attribute_names`], [`max_decorations`], [`max_lines`]),
//! the rows from [`rows`].
//!
//! Rows are handed over as [`Value`]s decoded by the column's SQL type, so
//! the reports crate maps positions to columns without a struct per table.

mod sql;

use crate::error::Result;
use chrono::{DateTime, NaiveDate, Utc};
use domain::campaign::CheckoutField;
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{Column, PgExecutor, PgPool, Row as _, TypeInfo};
use std::future::poll_fn;
use std::task::{Context, Poll};

/// Where a report table's rows come from: one SQL statement each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Every campaign item with its costs and price.
    CampaignProducts,
    /// Every ordered campaign item with its decorations and quantity.
    DecoratorItems,
    /// One row: the bag/fold/label purchase order.
    BagFoldLabel,
    /// Every distinct decoration of the ordered items, with its quantity.
    Decorations,
    /// Every line of every order, with the shopper and the item.
    OrderLines,
    /// One row per unit ordered.
    Labels,
    /// The campaign's delivery locations, with what goes to each.
    Locations,
    /// One row per shopper who owes a payroll deduction.
    PayrollDeductions,
    /// One row per order with its lines in bin order.
    PickPack,
    /// One row per order.
    Orders,
    /// Every ordered campaign item with its vendor cost (optionally of one vendor).
    VendorItems,
    /// Every ordered campaign item by bin.
    Bins,
    /// The distributor's sales per campaign over a date range.
    SalesPerCampaign,
    /// The distributor's sales per day over a date range.
    SalesPerDay,
}

impl Source {
    fn sql(self) -> &'static str {
        match self {
            Source::CampaignProducts => sql::CAMPAIGN_PRODUCTS,
            Source::DecoratorItems => sql::DECORATOR_ITEMS,
            Source::BagFoldLabel => sql::BAG_FOLD_LABEL,
            Source::Decorations => sql::DECORATIONS,
            Source::OrderLines => sql::ORDER_LINES,
            Source::Labels => sql::LABELS,
            Source::Locations => sql::LOCATIONS,
            Source::PayrollDeductions => sql::PAYROLL,
            Source::PickPack => sql::PICK_PACK,
            Source::Orders => sql::ORDERS,
            Source::VendorItems => sql::VENDOR_ITEMS,
            Source::Bins => sql::BINS,
            Source::SalesPerCampaign => sql::SALES_PER_CAMPAIGN,
            Source::SalesPerDay => sql::SALES_PER_DAY,
        }
    }
}

/// What every statement is bound to (each uses the parameters it needs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// `$1`: the tenant.
    pub distributor_id: i64,
    /// `$2`: the campaign (ignored by the distributor-wide sources).
    pub campaign_id: i64,
    /// `$3`: the attribute columns, in order ([`attribute_names`]).
    pub attributes: Vec<String>,
    /// `$4`, `$5`: the checkout columns, in order: field names and kinds.
    pub checkout: Vec<(String, String)>,
    /// `$6`: only this vendor's items (Vendor PO), case-insensitive.
    pub vendor: Option<String>,
    /// `$7`: the IANA time zone days are cut in.
    pub time_zone: String,
    /// `$8`, `$9`: the first and last day (in `time_zone`) of a date range.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A cell as the database gave it, by the column's SQL type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Decimal(Decimal),
    Time(DateTime<Utc>),
    Texts(Vec<Option<String>>),
    Ints(Vec<Option<i64>>),
    Decimals(Vec<Option<Decimal>>),
}

/// One row of a report table, in the statement's column order.
pub type Row = Vec<Value>;

type Poller<'a> = Box<dyn FnMut(&mut Context<'_>) -> Poll<Option<sqlx::Result<PgRow>>> + Send + 'a>;

/// The rows of one statement as the server sends them: the caller pulls
/// them one at a time with [`RowStream::next`], so memory holds one row
/// (and the socket's buffer) whatever the size of the report.
pub struct RowStream<'a> {
    poll: Poller<'a>,
}

impl std::fmt::Debug for RowStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowStream")
    }
}

impl<'a> RowStream<'a> {
    /// The next row; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Row>> {
        match poll_fn(|cx| (self.poll)(cx)).await {
            None => Ok(None),
            Some(Err(e)) => Err(e.into()),
            Some(Ok(row)) => Ok(Some(decode(&row)?)),
        }
    }
}

/// The rows of `source` bound to `args`, streamed from `pool`.
pub fn rows<'a>(pool: &'a PgPool, source: Source, args: &Args) -> RowStream<'a> {
    let (names, kinds): (Vec<String>, Vec<String>) = args.checkout.iter().cloned().unzip();
    let mut stream = sqlx::query(source.sql())
        .bind(args.distributor_id)
        .bind(args.campaign_id)
        .bind(args.attributes.clone())
        .bind(names)
        .bind(kinds)
        .bind(args.vendor.clone())
        .bind(args.time_zone.clone())
        .bind(args.from)
        .bind(args.to)
        .fetch(pool);
    // The stream is a boxed trait object: its own trait's method is callable
    // without naming the futures crate here.
    RowStream { poll: Box::new(move |cx| stream.as_mut().poll_next(cx)) }
}

fn decode(row: &PgRow) -> Result<Row> {
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let value = match column.type_info().name() {
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
            "INT8" => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
            "INT4" => row.try_get::<Option<i32>, _>(i)?.map(|n| Value::Int(n.into())),
            "INT2" => row.try_get::<Option<i16>, _>(i)?.map(|n| Value::Int(n.into())),
            "NUMERIC" => row.try_get::<Option<Decimal>, _>(i)?.map(Value::Decimal),
            "TIMESTAMPTZ" => row.try_get::<Option<DateTime<Utc>>, _>(i)?.map(Value::Time),
            "TEXT[]" => row.try_get::<Option<Vec<Option<String>>>, _>(i)?.map(Value::Texts),
            "INT8[]" => row.try_get::<Option<Vec<Option<i64>>>, _>(i)?.map(Value::Ints),
            "NUMERIC[]" => row.try_get::<Option<Vec<Option<Decimal>>>, _>(i)?.map(Value::Decimals),
            other => {
                return Err(sqlx::Error::ColumnDecode {
                    index: column.name().to_owned(),
                    source: format!("report columns cannot be of type {other}").into(),
                }
                .into());
            }
        };
        out.push(value.unwrap_or(Value::Null));
    }
    Ok(out)
}

/// A campaign as the reports head it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: i64,
    pub distributor_id: i64,
    pub name: String,
    pub company_name: String,
    /// The checkout field definitions, in the campaign's order.
    pub checkout_fields: Vec<CheckoutField>,
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    distributor_id: i64,
    name: String,
    company_name: String,
    checkout_fields: Json<Vec<CheckoutField>>,
}

/// Campaign `id` if it belongs to `distributor_id` (any distributor when
/// `None`, for super admins).
pub async fn campaign(db: impl PgExecutor<'_>, distributor_id: Option<i64>, id: i64) -> Result<Option<Campaign>> {
    let row: Option<CampaignRow> = sqlx::query_as(
        "SELECT id, distributor_id, name, company_name, checkout_fields FROM campaigns \
         WHERE id = $1 AND ($2::int8 IS NULL OR distributor_id = $2)",
    )
    .bind(id)
    .bind(distributor_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Campaign {
        id: r.id,
        distributor_id: r.distributor_id,
        name: r.name,
        company_name: r.company_name,
        checkout_fields: r.checkout_fields.0,
    }))
}

/// Distributor `id`'s name, if it exists.
pub async fn distributor_name(db: impl PgExecutor<'_>, id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT name FROM distributors WHERE id = $1").bind(id).fetch_optional(db).await?)
}

/// The attributes of the campaign's items, each once: in the product
/// types' attribute order (the frozen copies list them in it), then by name.
pub async fn attribute_names(db: impl PgExecutor<'_>, distributor_id: i64, campaign_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT e.a->>'attribute' FROM campaign_items ci, jsonb_array_elements(ci.attributes) WITH ORDINALITY AS e(a, o) \
         WHERE ci.distributor_id = $1 AND ci.campaign_id = $2 AND e.a->>'attribute' IS NOT NULL \
         GROUP BY 1 ORDER BY min(e.o), 1",
    )
    .bind(distributor_id)
    .bind(campaign_id)
    .fetch_all(db)
    .await?)
}

/// The most decorations any item of the campaign has (`ordered`: any
/// ordered item).
pub async fn max_decorations(
    db: impl PgExecutor<'_>,
    distributor_id: i64,
    campaign_id: i64,
    ordered: bool,
) -> Result<usize> {
    let n: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(jsonb_array_length(ci.decorations)), 0)::int8 FROM campaign_items ci \
         WHERE ci.distributor_id = $1 AND ci.campaign_id = $2 \
           AND (NOT $3 OR EXISTS (SELECT 1 FROM order_items l JOIN orders o ON o.id = l.order_id \
                                  WHERE l.campaign_item_id = ci.id AND o.status <> 'cancelled'))",
    )
    .bind(distributor_id)
    .bind(campaign_id)
    .bind(ordered)
    .fetch_one(db)
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The most lines any (not cancelled) order of the campaign has.
pub async fn max_lines(db: impl PgExecutor<'_>, distributor_id: i64, campaign_id: i64) -> Result<usize> {
    let n: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(n), 0)::int8 FROM (SELECT count(*) AS n FROM orders o JOIN order_items l ON l.order_id = o.id \
           WHERE o.distributor_id = $1 AND o.campaign_id = $2 AND o.status <> 'cancelled' GROUP BY o.id) x",
    )
    .bind(distributor_id)
    .bind(campaign_id)
    .fetch_one(db)
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}
