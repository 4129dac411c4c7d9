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

/// The rows of one statement as the server sends them: the caller pulls
/// them one at a time with [`RowStream::next`], so memory holds a bounded
/// number of rows (and the socket's buffer) whatever the size of the report.
///
/// The statement runs in a task that owns its transaction and hands rows
/// over a bounded channel: a caller that stops pulling (a client that left)
/// drops the channel, the task ends at its next row, and the connection
/// goes back to the pool.
pub struct RowStream<'a> {
    rows: tokio::sync::mpsc::Receiver<Result<Row>>,
    _pool: std::marker::PhantomData<&'a PgPool>,
}

impl std::fmt::Debug for RowStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowStream")
    }
}

impl<'a> RowStream<'a> {
    /// The next row; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Row>> {
        self.rows.recv().await.transpose()
    }
}

/// Rows in flight between the statement and the renderer.
const ROWS_IN_FLIGHT: usize = 256;

impl Source {
    /// The planner settings of the statement's transaction, for the ones that
    /// stream one row per order line in order (the itemized reports) and so
    /// must be planned to start at once: the
    /// planner's cheapest total plan for a big campaign hashes the whole
    /// campaign and sorts it before the first row (1.6 s on a million lines),
    /// where the plan along the orders' (campaign, created_at, id) index
    /// gives the first rows in milliseconds and, measured, finishes sooner
    /// too (5.8 s against 7.0 s). Without plan hints in PostgreSQL, the
    /// statement's transaction turns hash joins, merge joins and full sorts
    /// off ([`Source::plan_settings`]), and parallel workers (a Gather Merge
    /// waits for every worker's first sorted group: 0.4 s) and JIT
    /// compilation (0.3 s before the first row, for a statement whose
    /// expressions are cheap); the incremental sort along the index stays.
    pub fn plan_settings(self) -> Option<&'static str> {
        matches!(self, Source::OrderLines).then_some(
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_sort = off; \
                 SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off",
        )
    }
}

/// The rows of `source` bound to `args`, streamed from `pool`.
pub fn rows<'a>(pool: &'a PgPool, source: Source, args: &Args) -> RowStream<'a> {
    let (send, rows) = tokio::sync::mpsc::channel(ROWS_IN_FLIGHT);
    let (pool, args) = (pool.clone(), args.clone());
    tokio::spawn(async move {
        if let Err(e) = stream_into(&pool, source, &args, &send).await {
            let _ = send.send(Err(e)).await;
        }
    });
    RowStream { rows, _pool: std::marker::PhantomData }
}

async fn stream_into(
    pool: &PgPool,
    source: Source,
    args: &Args,
    send: &tokio::sync::mpsc::Sender<Result<Row>>,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    if let Some(settings) = source.plan_settings() {
        sqlx::raw_sql(settings).execute(&mut *tx).await?;
    }
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
        .fetch(&mut *tx);
    while let Some(row) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        if send.send(Ok(decode(&row?)?)).await.is_err() {
            // The reader is gone: stop here (the transaction rolls back).
            return Ok(());
        }
    }
    drop(stream);
    tx.commit().await?;
    Ok(())
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

/// The statement of `source` with `args` written in as literals, for
/// `COPY (…) TO STDOUT` (which takes no parameters): the benchmark's limit
/// runs the very SELECT a report streams. Never used on a request path.
pub fn literal_statement(source: Source, args: &Args) -> String {
    fn text(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }
    fn texts<'a>(items: impl Iterator<Item = &'a str>) -> String {
        let items: Vec<String> = items.map(text).collect();
        format!("ARRAY[{}]::text[]", items.join(", "))
    }
    fn day(d: Option<NaiveDate>) -> String {
        d.map_or_else(|| "NULL::date".to_owned(), |d| format!("DATE '{d}'"))
    }
    let values = [
        format!("{}::int8", args.distributor_id),
        format!("{}::int8", args.campaign_id),
        texts(args.attributes.iter().map(String::as_str)),
        texts(args.checkout.iter().map(|(n, _)| n.as_str())),
        texts(args.checkout.iter().map(|(_, k)| k.as_str())),
        args.vendor.as_deref().map_or_else(|| "NULL::text".to_owned(), text),
        text(&args.time_zone),
        day(args.from),
        day(args.to),
    ];
    let mut sql = source.sql().to_owned();
    // $9 down to $1, so `$1` never matches the start of a longer number.
    for (i, value) in values.iter().enumerate().rev() {
        sql = sql.replace(&format!("${}", i + 1), value);
    }
    sql
}
