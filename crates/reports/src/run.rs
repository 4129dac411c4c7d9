//! Deciding what a report shows (access, columns, parameters) and
//! producing its rows, table after table, for a renderer.

use crate::catalog::{self, Chart, Col, Meta, ReportDef, Scope, Subtotals, TableDef};
use crate::cell::{Cell, Column, Fold, Kind, RowKind};
use crate::chart::ChartData;
use crate::render::{Format, Head, Sink};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::{Principal, Role};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use storage::reports::{Args, Value};
use storage::{PgPool, StorageError};
use tokio::io::AsyncWrite;

/// Why a report was not produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No report of that name, or a campaign or distributor the caller may
    /// not see (never say which: a 404 either way).
    #[error("no such report or campaign")]
    NotFound,
    /// The caller may see the campaign but not this report.
    #[error("this report is not available to you")]
    Forbidden,
    /// A parameter the report cannot take.
    #[error("{name}: {message}")]
    BadParam { name: &'static str, message: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Writing the output failed (the client went away, a full disk for XLSX).
    #[error("writing the report failed: {0}")]
    Io(#[from] std::io::Error),
    /// A renderer refused (XLSX, ZIP, template or chart errors).
    #[error("rendering the report failed: {0}")]
    Render(String),
}

impl ReportError {
    pub(crate) fn bad(name: &'static str, message: impl Into<String>) -> ReportError {
        ReportError::BadParam { name, message: message.into() }
    }

    pub(crate) fn render(e: impl std::fmt::Display) -> ReportError {
        ReportError::Render(e.to_string())
    }
}

/// Who asks for a report: the caller and whether their account may
/// download reports at all (`reports_enabled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportAccess {
    pub principal: Principal,
    pub reports_enabled: bool,
}

impl ReportAccess {
    pub fn new(principal: Principal, reports_enabled: bool) -> ReportAccess {
        ReportAccess { principal, reports_enabled }
    }

    fn may_run(&self, def: &ReportDef) -> Result<(), ReportError> {
        if self.reports_enabled && def.allowed(self.principal.role) { Ok(()) } else { Err(ReportError::Forbidden) }
    }
}

/// What a caller may choose about a campaign report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Vendor PO: only this vendor's items (by name, case-insensitive).
    pub vendor: Option<String>,
    /// The zone dates are printed in.
    pub tz: Tz,
    /// Only this table of the report (by name or slug).
    pub table: Option<String>,
}

impl Default for Params {
    fn default() -> Params {
        Params { vendor: None, tz: Tz::UTC, table: None }
    }
}

/// An IANA zone name (`America/Chicago`); blank is UTC.
pub fn parse_tz(name: &str) -> Result<Tz, ReportError> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(Tz::UTC);
    }
    name.parse::<Tz>().map_err(|_| ReportError::bad("tz", format!("`{name}` is not an IANA time zone name")))
}

/// What a report is about, as its heading and file name show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subject {
    pub kind: Scope,
    pub id: i64,
    pub name: String,
    /// The client company (campaigns); the range (distributor sales).
    pub detail: String,
}

/// How one output cell is taken from a statement row.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Field { at: usize, kind: Kind },
    Item { at: usize, index: usize, kind: Kind },
    PickBin { at: usize, index: usize },
    PickQuantity { at: usize, index: usize },
}

/// A table as it will run: its columns and how to fill them.
#[derive(Debug)]
pub(crate) struct Planned {
    pub def: &'static TableDef,
    pub columns: Vec<Column>,
    slots: Vec<Slot>,
    args: Args,
}

/// A report ready to be rendered: access was checked, parameters and
/// columns decided. Rows are read only while rendering, so a `Report` is
/// cheap to hold and can be rendered in any format (each rendering runs
/// the statements again).
#[derive(Debug)]
pub struct Report {
    pool: PgPool,
    def: &'static ReportDef,
    subject: Subject,
    tables: Vec<Planned>,
    tz: Tz,
    generated_at: DateTime<Utc>,
}

/// The campaign reports and the distributor report, with their tables,
/// parameters and the roles that may run them.
pub fn catalog() -> &'static [ReportDef] {
    &catalog::CATALOG
}

/// The reports `who` may run.
pub fn catalog_for(who: &ReportAccess) -> Vec<&'static ReportDef> {
    if !who.reports_enabled {
        return Vec::new();
    }
    catalog::CATALOG.iter().filter(|r| r.allowed(who.principal.role)).collect()
}

/// Prepares report `slug` of campaign `campaign_id` for `who`.
///
/// Not found (404) when the report does not exist or the campaign is not
/// visible to the caller (another distributor's, or for an admin buyer one
/// they are not a member of), before any role check, so a caller never
/// learns what exists elsewhere; forbidden (403) when they see the
/// campaign but may not run this report.
pub async fn run(
    pool: &PgPool,
    who: &ReportAccess,
    slug: &str,
    campaign_id: i64,
    params: Params,
) -> Result<Report, ReportError> {
    let def = catalog::find(slug).filter(|d| d.scope == Scope::Campaign).ok_or(ReportError::NotFound)?;
    let p = who.principal;
    if p.role == Role::Shopper {
        return Err(ReportError::Forbidden);
    }
    let scope = if p.is_super_admin() { None } else { Some(p.distributor_id.ok_or(ReportError::NotFound)?) };
    let campaign = storage::reports::campaign(pool, scope, campaign_id).await?.ok_or(ReportError::NotFound)?;
    if p.role == Role::AdminBuyer && !storage::orders::is_member(pool, p.account_id, campaign.id).await? {
        return Err(ReportError::NotFound);
    }
    who.may_run(def)?;
    let tables = pick_tables(def, params.table.as_deref())?;
    if params.vendor.is_some() && !tables.iter().any(|t| t.columns.iter().any(|c| matches!(c, Col::Vendor(_)))) {
        return Err(ReportError::bad("vendor", format!("{} has no vendor filter", def.name)));
    }
    let vendor = params.vendor.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

    // The column lists: small lookups, each only when a table needs it.
    let (d, c) = (campaign.distributor_id, campaign.id);
    let needs = |f: &dyn Fn(&Col) -> bool| tables.iter().any(|t| t.columns.iter().any(f));
    let attributes = if needs(&|c| matches!(c, Col::Attributes(_))) {
        storage::reports::attribute_names(pool, d, c).await?
    } else {
        Vec::new()
    };
    let checkout = checkout_columns(&campaign.checkout_fields);
    let lines =
        if needs(&|c| matches!(c, Col::PickList { .. })) { storage::reports::max_lines(pool, d, c).await? } else { 0 };
    let args = Args {
        distributor_id: d,
        campaign_id: c,
        attributes,
        checkout,
        vendor,
        time_zone: params.tz.name().to_owned(),
        from: None,
        to: None,
    };
    let mut planned = Vec::with_capacity(tables.len());
    for t in tables {
        let decorations = if t.columns.iter().any(|c| matches!(c, Col::Decorations(_))) {
            // A PO shows the decorations of what was ordered; the product
            // list those of every item.
            let ordered = t.source != storage::reports::Source::CampaignProducts;
            storage::reports::max_decorations(pool, d, c, ordered).await?
        } else {
            0
        };
        planned.push(plan(t, &args, decorations, lines));
    }
    Ok(Report {
        pool: pool.clone(),
        def,
        subject: Subject { kind: Scope::Campaign, id: campaign.id, name: campaign.name, detail: campaign.company_name },
        tables: planned,
        tz: params.tz,
        generated_at: Utc::now(),
    })
}

/// The distributor-wide report: sales per campaign and per day from `from`
/// to `to` (days in `tz`) over every campaign of `distributor_id`; staff of
/// that distributor (or a super admin) only.
pub async fn distributor_sales(
    pool: &PgPool,
    who: &ReportAccess,
    distributor_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    tz: Tz,
    table: Option<&str>,
) -> Result<Report, ReportError> {
    let def = catalog::find("distributor-sales").ok_or(ReportError::NotFound)?;
    let p = who.principal;
    if !p.in_distributor(distributor_id) {
        return Err(ReportError::NotFound);
    }
    who.may_run(def)?;
    if from > to {
        return Err(ReportError::bad("from", format!("{from} is after {to}")));
    }
    if (to - from).num_days() > 3660 {
        return Err(ReportError::bad("to", "the range is limited to 10 years"));
    }
    let name = storage::reports::distributor_name(pool, distributor_id).await?.ok_or(ReportError::NotFound)?;
    let args =
        Args { distributor_id, time_zone: tz.name().to_owned(), from: Some(from), to: Some(to), ..Args::default() };
    let tables = pick_tables(def, table)?.into_iter().map(|t| plan(t, &args, 0, 0)).collect();
    Ok(Report {
        pool: pool.clone(),
        def,
        subject: Subject { kind: Scope::Distributor, id: distributor_id, name, detail: format!("{from} – {to}") },
        tables,
        tz,
        generated_at: Utc::now(),
    })
}

fn pick_tables(def: &'static ReportDef, table: Option<&str>) -> Result<Vec<&'static TableDef>, ReportError> {
    let Some(wanted) = table.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(def.tables.to_vec()) };
    def.tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(wanted) || slug(t.name) == slug(wanted))
        .map(|t| vec![*t])
        .ok_or_else(|| {
            ReportError::bad("table", format!("{} has the tables {}", def.name, def.table_names().join(", ")))
        })
}

/// A name as a URL or file name part: lower case, words joined by `-`.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn plan(def: &'static TableDef, args: &Args, decorations: usize, lines: usize) -> Planned {
    let mut columns = Vec::new();
    let mut slots = Vec::new();
    let mut push = |name: String, kind: Kind, slot: Slot, fold: Option<Fold>| {
        columns.push(Column { name, kind, fold });
        slots.push(slot);
    };
    let pick_list = Fold { title: "Pick list", stride: 2 };
    for col in def.columns {
        match *col {
            Col::Field(name, at, kind) => push(name.to_owned(), kind, Slot::Field { at, kind }, None),
            Col::Vendor(at) if args.vendor.is_none() => {
                push("Vendor".to_owned(), Kind::Text, Slot::Field { at, kind: Kind::Text }, None)
            }
            Col::Vendor(_) => {}
            Col::Attributes(at) => {
                for (index, name) in args.attributes.iter().enumerate() {
                    push(name.clone(), Kind::Text, Slot::Item { at, index, kind: Kind::Text }, None);
                }
            }
            Col::Checkout(at) => {
                for (index, (name, _)) in args.checkout.iter().enumerate() {
                    push(name.clone(), Kind::Text, Slot::Item { at, index, kind: Kind::Text }, None);
                }
            }
            Col::Decorations(members) => {
                for index in 0..decorations {
                    for &(name, at, kind) in members {
                        push(format!("{name} {}", index + 1), kind, Slot::Item { at, index, kind }, None);
                    }
                }
            }
            Col::PickList { bins, quantities } => {
                for index in 0..lines {
                    let (bin, quantity) =
                        (Slot::PickBin { at: bins, index }, Slot::PickQuantity { at: quantities, index });
                    push(format!("Product {}", index + 1), Kind::Text, bin, Some(pick_list));
                    push(format!("Quantity {}", index + 1), Kind::Text, quantity, Some(pick_list));
                }
            }
        }
    }
    Planned { def, columns, slots, args: args.clone() }
}

fn cell(value: &Value, kind: Kind) -> Cell {
    match (value, kind) {
        (Value::Null, _) => Cell::Empty,
        (Value::Text(t), _) => Cell::Text(t.clone()),
        (Value::Int(n), Kind::Money) => Cell::Money(Decimal::from(*n)),
        (Value::Int(n), Kind::Number) => Cell::Number(Decimal::from(*n)),
        (Value::Int(n), _) => Cell::Int(*n),
        (Value::Decimal(d), Kind::Number) => Cell::Number(*d),
        (Value::Decimal(d), _) => Cell::Money(*d),
        (Value::Time(t), _) => Cell::Time(*t),
        (Value::Texts(_) | Value::Ints(_) | Value::Decimals(_), _) => Cell::Empty,
    }
}

fn item(value: Option<&Value>, index: usize, kind: Kind) -> Cell {
    match value {
        Some(Value::Texts(v)) => v.get(index).cloned().flatten().map_or(Cell::Empty, Cell::Text),
        Some(Value::Ints(v)) => v.get(index).copied().flatten().map_or(Cell::Empty, |n| cell(&Value::Int(n), kind)),
        Some(Value::Decimals(v)) => {
            v.get(index).copied().flatten().map_or(Cell::Empty, |d| cell(&Value::Decimal(d), kind))
        }
        _ => Cell::Empty,
    }
}

impl Planned {
    fn cells(&self, row: &[Value]) -> Vec<Cell> {
        self.slots
            .iter()
            .map(|slot| match *slot {
                Slot::Field { at, kind } => row.get(at).map_or(Cell::Empty, |v| cell(v, kind)),
                Slot::Item { at, index, kind } => item(row.get(at), index, kind),
                Slot::PickBin { at, index } => match item(row.get(at), index, Kind::Text) {
                    Cell::Text(bin) if bin.is_empty() => Cell::Text("No bin".to_owned()),
                    Cell::Text(bin) => Cell::Text(format!("Bin #{bin}")),
                    other => other,
                },
                Slot::PickQuantity { at, index } => match item(row.get(at), index, Kind::Integer) {
                    Cell::Int(n) => Cell::Text(format!("Pick {n}")),
                    other => other,
                },
            })
            .collect()
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// Sums of a table's numeric columns over its data rows.
#[derive(Debug, Default)]
struct Sums {
    rows: i64,
    by_column: Vec<Decimal>,
}

impl Sums {
    fn new(width: usize) -> Sums {
        Sums { rows: 0, by_column: vec![Decimal::ZERO; width] }
    }

    fn add(&mut self, cells: &[Cell]) {
        self.rows += 1;
        for (sum, c) in self.by_column.iter_mut().zip(cells) {
            if let Some(d) = c.decimal() {
                *sum += d;
            }
        }
    }
}

/// A typed total for column `i` of `t`.
fn total(t: &Planned, sums: &Sums, name: &str) -> Cell {
    match t.column(name) {
        Some(i) => {
            let sum = sums.by_column.get(i).copied().unwrap_or_default();
            match t.columns[i].kind {
                Kind::Integer => Cell::Int(sum.trunc().to_i64().unwrap_or(i64::MAX)),
                Kind::Number => Cell::Number(sum),
                _ => Cell::Money(sum),
            }
        }
        None => Cell::Empty,
    }
}

/// The group subtotals of a table, as rows are seen.
struct Grouping {
    def: Subtotals,
    key: Option<Value>,
    sums: Sums,
}

impl Grouping {
    fn row(&self, t: &Planned) -> Vec<Cell> {
        let mut cells = vec![Cell::Empty; t.columns.len()];
        if let Some(i) = t.column(self.def.at) {
            cells[i] = Cell::Text(self.def.label.to_owned());
        }
        for name in self.def.sums {
            if let Some(i) = t.column(name) {
                cells[i] = total(t, &self.sums, name);
            }
        }
        cells
    }
}

/// A meta line as rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaItem {
    pub label: String,
    pub value: Cell,
}

impl Report {
    pub fn slug(&self) -> &'static str {
        self.def.slug
    }

    pub fn name(&self) -> &'static str {
        self.def.name
    }

    pub fn definition(&self) -> &'static ReportDef {
        self.def
    }

    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The tables it will render and their columns.
    pub fn tables(&self) -> Vec<(&'static str, &[Column])> {
        self.tables.iter().map(|t| (t.def.name, t.columns.as_slice())).collect()
    }

    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    pub fn generated_at(&self) -> DateTime<Utc> {
        self.generated_at
    }

    /// Stamps the report with `at` instead of the time it was prepared, so
    /// two renderings (golden files) are byte for byte the same.
    pub fn with_generated_at(mut self, at: DateTime<Utc>) -> Report {
        self.generated_at = at;
        self
    }

    /// The download's file name: the campaign's and the report's names (and
    /// the table's, when one was picked), with the format's extension.
    pub fn file_name(&self, format: Format) -> String {
        let mut parts = vec![slug(&self.subject.name), self.def.slug.to_owned()];
        if self.tables.len() == 1 && self.def.tables.len() > 1 {
            parts.push(slug(self.tables[0].def.name));
        }
        format!("{}.{}", parts.join("_"), self.extension(format))
    }

    /// What [`Report::render`] writes: CSV of several tables is a ZIP.
    pub fn content_type(&self, format: Format) -> &'static str {
        match format {
            Format::Csv if self.tables.len() > 1 => "application/zip",
            other => other.content_type(),
        }
    }

    fn extension(&self, format: Format) -> &'static str {
        match format {
            Format::Csv if self.tables.len() > 1 => "zip",
            other => other.extension(),
        }
    }

    /// Renders the report as `format` into `out`, table after table, each
    /// table's rows streamed from its statement: memory holds a row and an
    /// output chunk (about 64 KiB), never the report.
    pub async fn render<W: AsyncWrite + Unpin + Send>(&self, format: Format, out: &mut W) -> Result<(), ReportError> {
        let sink = Sink::default();
        let head = Head {
            report: self.def.name,
            slug: self.def.slug,
            subject: &self.subject,
            generated_at: self.generated_at,
            tz: self.tz,
        };
        let mut renderer = crate::render::renderer(format, self.tables.len() > 1, sink.clone(), &head)?;
        renderer.begin(&head)?;
        let mut totals: HashMap<&'static str, (usize, Sums)> = HashMap::new();
        for (n, t) in self.tables.iter().enumerate() {
            renderer.begin_table(t.def.name, &t.columns)?;
            let mut chart = if renderer.wants_charts() { t.def.chart.and_then(|c| ChartData::new(c, t)) } else { None };
            let mut sums = Sums::new(t.columns.len());
            let mut grouping = t.def.subtotals.map(|def| Grouping { def, key: None, sums: Sums::new(t.columns.len()) });
            let mut rows = storage::reports::rows(&self.pool, t.def.source, &t.args);
            while let Some(row) = rows.next().await? {
                let cells = t.cells(&row);
                if let Some(g) = grouping.as_mut() {
                    let key = row.get(g.def.key).cloned();
                    if g.key.is_some() && g.key != key {
                        renderer.row(&g.row(t), RowKind::Subtotal)?;
                        g.sums = Sums::new(t.columns.len());
                    }
                    g.key = key;
                    g.sums.add(&cells);
                }
                sums.add(&cells);
                if let Some(c) = chart.as_mut() {
                    c.add(&cells, self.tz);
                }
                renderer.row(&cells, RowKind::Data)?;
                sink.drain_into(out, false).await?;
            }
            if let Some(g) = grouping.as_ref().filter(|g| g.key.is_some()) {
                renderer.row(&g.row(t), RowKind::Subtotal)?;
            }
            let meta: Vec<MetaItem> = t
                .def
                .meta
                .iter()
                .map(|m| MetaItem {
                    label: m.label().to_owned(),
                    value: match *m {
                        Meta::Count(_) => Cell::Int(sums.rows),
                        Meta::Sum(_, column) => total(t, &sums, column),
                        Meta::SumPlus { column, table, other, .. } => {
                            let own = total(t, &sums, column).decimal().unwrap_or_default();
                            let theirs = totals
                                .get(table)
                                .map(|(i, s)| total(&self.tables[*i], s, other).decimal().unwrap_or_default());
                            Cell::Money(own + theirs.unwrap_or_default())
                        }
                    },
                })
                .collect();
            let svg = match chart {
                Some(c) => Some(c.svg().map_err(ReportError::render)?),
                None => None,
            };
            renderer.end_table(&meta, svg.as_deref())?;
            sink.drain_into(out, false).await?;
            totals.insert(t.def.name, (n, sums));
        }
        if let Some(file) = renderer.finish()? {
            sink.drain_into(out, true).await?;
            crate::render::copy_file(file, out).await?;
        }
        sink.drain_into(out, true).await?;
        Ok(())
    }

    /// [`Report::render`] into memory: for tests and small reports.
    pub async fn render_to_vec(&self, format: Format) -> Result<Vec<u8>, ReportError> {
        let mut out = Vec::new();
        self.render(format, &mut out).await?;
        Ok(out)
    }
}

/// Where a chart is drawn from: the planned table's columns.
pub(crate) fn chart_columns(chart: Chart, t: &Planned) -> Option<(Option<usize>, Option<usize>)> {
    match chart {
        Chart::Bars { group, fallback, value, .. } => {
            let g = t.column(group).or_else(|| fallback.and_then(|f| t.column(f)))?;
            let v = match value {
                Some(v) => Some(t.column(v)?),
                None => None,
            };
            Some((Some(g), v))
        }
        Chart::Daily { day, value, .. } => Some((Some(t.column(day)?), Some(t.column(value)?))),
        Chart::Distribution { value, .. } => Some((None, Some(t.column(value)?))),
    }
}

/// The checkout columns of a campaign's shopper reports: its checkout fields
/// (name, kind) in order, less those the account's First Name, Last Name and
/// Email columns already show. Also what the benchmark's COPY limit binds.
pub fn checkout_columns(fields: &[domain::campaign::CheckoutField]) -> Vec<(String, String)> {
    let fixed = ["first name", "last name", "email"];
    fields
        .iter()
        .filter(|f| !fixed.contains(&f.name.trim().to_lowercase().as_str()))
        .map(|f| (f.name.clone(), f.kind.clone()))
        .collect()
}
