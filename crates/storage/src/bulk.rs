//! Bulk loading with COPY, for the seeders at scale.
//!
//! A million rows inserted one statement at a time take minutes of round
//! trips; COPY streams them in one statement per table. This module owns the
//! SQL of that path:
//!
//! - one row type per loaded table ([`Distributor`], [`Account`], …,
//!   [`CampaignItem`]) that knows its columns and encodes itself in COPY's
//!   text format, so callers build plain values and never spell a column;
//! - [`copy`]: one `COPY … FROM STDIN` of a slice of rows, streamed to the
//!   server in chunks of [`CHUNK_BYTES`];
//! - [`defer_indexes`] / [`Deferred::restore`]: drop the secondary indexes and
//!   foreign keys of the loaded tables, and rebuild them once at the end (a
//!   sorted index build and one set-based check per key are far cheaper than
//!   maintaining them row by row). Both run in the caller's transaction, so a
//!   failed load leaves the schema as it was, and a rebuilt unique index or
//!   foreign key still checks every loaded row;
//! - the housekeeping around a load: [`is_empty`], [`truncate_all`],
//!   [`reserve_ids`], [`sync_identities`], [`analyze`];
//! - [`checksum`]: a digest of every loaded table's content, to show that two
//!   loads produced the same rows;
//! - [`plain_copy`]: the limit to compare a load against, the same bytes
//!   COPYed into bare tables (no index, no constraint but NOT NULL).
//!
//! Rows carry explicit ids (COPY accepts them for identity columns), so a
//! loader can link rows before any of them exists; [`sync_identities`] moves
//! the identity sequences past them afterwards.

use crate::error::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// How much encoded COPY data is buffered before it is sent: large enough
/// that each message carries thousands of rows, small enough that encoding
/// and the server's parsing overlap.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Rows encoded in COPY's text format: tab-separated fields, `\N` for NULL,
/// backslash escapes, one line per row.
#[derive(Debug, Default, Clone)]
pub struct Encoder {
    buf: String,
    at_row_start: bool,
    rows: u64,
}

impl Encoder {
    pub fn new() -> Encoder {
        Encoder { buf: String::with_capacity(CHUNK_BYTES + 4096), at_row_start: true, rows: 0 }
    }

    /// The encoded bytes so far.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// How many rows were encoded.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn clear(&mut self) {
        self.buf.clear();
    }

    fn sep(&mut self) {
        if !self.at_row_start {
            self.buf.push('\t');
        }
        self.at_row_start = false;
    }

    fn null(&mut self) {
        self.sep();
        self.buf.push_str("\\N");
    }

    /// A value whose text needs no escaping (numbers, dates, `t`/`f`).
    fn plain(&mut self, value: impl std::fmt::Display) {
        self.sep();
        // Writing to a String cannot fail.
        let _ = write!(self.buf, "{value}");
    }

    fn text(&mut self, value: &str) {
        self.sep();
        escape_into(&mut self.buf, value);
    }

    fn end_row(&mut self) {
        self.buf.push('\n');
        self.at_row_start = true;
        self.rows += 1;
    }
}

/// COPY text escaping: backslash, tab, newline and carriage return.
fn escape_into(out: &mut String, value: &str) {
    if !value.contains(['\\', '\t', '\n', '\r']) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// A value of a column, as COPY text.
pub trait CopyValue {
    fn put(&self, e: &mut Encoder);
}

impl CopyValue for String {
    fn put(&self, e: &mut Encoder) {
        e.text(self);
    }
}

impl CopyValue for i64 {
    fn put(&self, e: &mut Encoder) {
        e.plain(self);
    }
}

impl CopyValue for i32 {
    fn put(&self, e: &mut Encoder) {
        e.plain(self);
    }
}

impl CopyValue for bool {
    fn put(&self, e: &mut Encoder) {
        e.plain(if *self { 't' } else { 'f' });
    }
}

impl CopyValue for Decimal {
    fn put(&self, e: &mut Encoder) {
        e.plain(self);
    }
}

impl CopyValue for NaiveDate {
    fn put(&self, e: &mut Encoder) {
        e.plain(self.format("%Y-%m-%d"));
    }
}

impl CopyValue for DateTime<Utc> {
    fn put(&self, e: &mut Encoder) {
        e.plain(self.format("%Y-%m-%d %H:%M:%S%.6f+00"));
    }
}

impl CopyValue for serde_json::Value {
    fn put(&self, e: &mut Encoder) {
        e.text(&self.to_string());
    }
}

/// `BIGINT[]`: `{1,2,3}`.
impl CopyValue for Vec<i64> {
    fn put(&self, e: &mut Encoder) {
        e.sep();
        e.buf.push('{');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                e.buf.push(',');
            }
            let _ = write!(e.buf, "{v}");
        }
        e.buf.push('}');
    }
}

/// `TEXT[]`: every element double-quoted, `"` and `\` backslash-escaped
/// inside the array literal, and the literal then escaped for COPY.
impl CopyValue for Vec<String> {
    fn put(&self, e: &mut Encoder) {
        let mut literal = String::from("{");
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                literal.push(',');
            }
            literal.push('"');
            for c in v.chars() {
                if matches!(c, '"' | '\\') {
                    literal.push('\\');
                }
                literal.push(c);
            }
            literal.push('"');
        }
        literal.push('}');
        e.text(&literal);
    }
}

impl<T: CopyValue> CopyValue for Option<T> {
    fn put(&self, e: &mut Encoder) {
        match self {
            Some(v) => v.put(e),
            None => e.null(),
        }
    }
}

/// A row of a loaded table.
pub trait CopyRow {
    /// The table.
    const TABLE: &'static str;
    /// The columns this row type fills, in encoding order.
    const COLUMNS: &'static [&'static str];
    /// Appends the row to `e`.
    fn encode(&self, e: &mut Encoder);
}

/// Declares the row type of each loaded table: its fields are the columns it
/// fills, in the order COPY receives them. Columns left out take their
/// defaults (`version`, and the timestamps of link tables).
macro_rules! tables {
    ($( $(#[$doc:meta])* $name:ident => $table:literal { $($field:ident : $ty:ty),* $(,)? } )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, serde::Serialize)]
            pub struct $name { $(pub $field: $ty),* }

            impl CopyRow for $name {
                const TABLE: &'static str = $table;
                const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
                fn encode(&self, e: &mut Encoder) {
                    $( self.$field.put(e); )*
                    e.end_row();
                }
            }
        )*

        /// Every loaded table with the columns its row type fills, parents
        /// before children (the order a load with live foreign keys needs).
        pub const TABLES: &[(&str, &[&str])] = &[$(($table, $name::COLUMNS)),*];
    };
}

tables! {
    /// `distributors`.
    Distributor => "distributors" {
        id: i64, name: String, email: String, address: String, ow_cost: Decimal, campaign_cost: Decimal,
        transaction_cost: Decimal, max_sales_count: i32, is_deleted: bool,
        created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `accounts`. `role` is the role's wire name.
    Account => "accounts" {
        id: i64, username: String, email: String, first_name: String, last_name: String, password_hash: String,
        role: String, distributor_id: Option<i64>, active: bool, reports_enabled: bool,
        last_login_at: Option<DateTime<Utc>>, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `vendors`.
    Vendor => "vendors" {
        id: i64, distributor_id: i64, name: String, email: String, address: String, is_supplier: bool,
        is_decorator: bool, is_pick_pack: bool, is_active: bool, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `campaigns`. `status` is the status's wire name; `checkout_fields` the JSON list.
    Campaign => "campaigns" {
        id: i64, distributor_id: i64, name: String, company_name: String, status: String,
        start_date: Option<NaiveDate>, end_date: Option<NaiveDate>, storefront_pricing: bool,
        company_allowance: Option<Decimal>, personal_pay: bool, items_count_limit: Option<i32>, price_limit: Option<Decimal>,
        email_shopper: bool, checkout_fields: serde_json::Value, departments: Vec<String>, message: String,
        bfl_cost: Decimal, distributor_po: Option<String>, pick_pack_partner_id: Option<i64>,
        pick_pack_partner_message: String, created_by: Option<i64>, created_at: DateTime<Utc>,
        modified_at: DateTime<Utc>,
    }
    /// `campaign_members`.
    CampaignMember => "campaign_members" {
        campaign_id: i64, account_id: i64, distributor_id: i64, created_at: DateTime<Utc>,
    }
    /// `locations`.
    Location => "locations" {
        id: i64, campaign_id: i64, distributor_id: i64, nickname: String, company_name: String,
        street_and_number: String, suite_unit: String, city: String, zip_code: String, region: String,
        country: String, delivery_contact: String, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `attributes`.
    Attribute => "attributes" {
        id: i64, distributor_id: i64, name: String, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `attribute_values`; positions dense from 0 per attribute.
    AttributeValue => "attribute_values" {
        id: i64, attribute_id: i64, distributor_id: i64, name: String, position: i32,
        created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `product_types`.
    ProductType => "product_types" {
        id: i64, distributor_id: i64, name: String, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `product_type_attributes`: a type's attributes in order.
    ProductTypeAttribute => "product_type_attributes" {
        product_type_id: i64, attribute_id: i64, distributor_id: i64, position: i32,
    }
    /// `product_type_vendors`.
    ProductTypeVendor => "product_type_vendors" {
        product_type_id: i64, vendor_id: i64, distributor_id: i64,
    }
    /// `products`.
    Product => "products" {
        id: i64, distributor_id: i64, product_type_id: i64, name: String, item_number: String, description: String,
        is_deleted: bool, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `product_variants`: `value_ids` sorted; `sku` derived (or empty, for
    /// `derived::refresh` to fill).
    Variant => "product_variants" {
        id: i64, distributor_id: i64, product_id: i64, supplier_id: i64, description: String, vendor_cost: Decimal,
        value_ids: Vec<i64>, sku: String, created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
    /// `product_variant_values`: one per attribute of the variant's type.
    VariantValue => "product_variant_values" {
        variant_id: i64, attribute_id: i64, attribute_value_id: i64, distributor_id: i64, position: i32,
    }
    /// `campaign_items`: the inputs, and the derived columns as
    /// `derived::refresh` would compute them (or blank, for it to fill).
    CampaignItem => "campaign_items" {
        id: i64, campaign_id: i64, distributor_id: i64, product_variant_id: i64, vendor_cost: Decimal,
        ow_cost: Option<Decimal>, margin: Decimal, decorations: serde_json::Value, bin_id: Option<String>,
        sku: String, product_id: i64, product_name: String, product_type_name: String, item_number: String,
        description: String, attributes: serde_json::Value, supplier_id: i64, supplier_name: String,
        supplier_email: String, supplier_address: String, bfl_cost: Decimal, applied_ow_cost: Decimal,
        decoration_cost: Decimal, total: Decimal, price: Decimal, frozen_at: Option<DateTime<Utc>>,
        created_at: DateTime<Utc>, modified_at: DateTime<Utc>,
    }
}

fn copy_statement(table: &str, columns: &[&str], schema: &str) -> String {
    format!("COPY {schema}.{table} ({}) FROM STDIN", columns.join(", "))
}

/// Appends `rows` to `e`.
pub fn encode<R: CopyRow>(e: &mut Encoder, rows: &[R]) {
    for row in rows {
        row.encode(e);
    }
}

/// Below this many rows, [`write`] INSERTs instead of COPYing.
pub const FEW_ROWS: usize = 1_000;

/// Writes `rows` into their table in one statement: a COPY streamed in
/// chunks of about [`CHUNK_BYTES`], or, for fewer than [`FEW_ROWS`], one
/// INSERT of the rows as a JSON parameter, which saves COPY's fixed cost
/// (see [`copy_encoded`]). Returns the number of rows written.
pub async fn write<R: CopyRow + serde::Serialize>(conn: &mut PgConnection, rows: &[R]) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    if rows.len() < FEW_ROWS {
        let columns = R::COLUMNS.join(", ");
        let insert = format!(
            "INSERT INTO {table} ({columns}) OVERRIDING SYSTEM VALUE \
             SELECT {columns} FROM jsonb_populate_recordset(NULL::{table}, $1)",
            table = R::TABLE
        );
        let done = sqlx::query(AssertSqlSafe(insert)).bind(sqlx::types::Json(rows)).execute(conn).await?;
        return Ok(done.rows_affected());
    }
    copy(conn, rows).await
}

/// COPYs `rows` into their table in one statement, streamed in chunks of
/// about [`CHUNK_BYTES`]. Returns the number of rows the server took.
pub async fn copy<R: CopyRow>(conn: &mut PgConnection, rows: &[R]) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut copy = conn.copy_in_raw(&copy_statement(R::TABLE, R::COLUMNS, "public")).await?;
    let mut e = Encoder::new();
    for row in rows {
        row.encode(&mut e);
        if e.buf.len() >= CHUNK_BYTES {
            copy.send(e.buf.as_bytes()).await?;
            e.clear();
        }
    }
    if !e.buf.is_empty() {
        copy.send(e.buf.as_bytes()).await?;
    }
    Ok(copy.finish().await?)
}

/// Whether the database holds no distributor and no account (nothing a
/// seed could collide with).
pub async fn is_empty(conn: &mut PgConnection) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM distributors) AND NOT EXISTS (SELECT 1 FROM accounts)")
        .fetch_one(conn)
        .await?)
}

/// Empties every table but the migrations' own, and restarts every identity,
/// so the next ids are 1 again (development and benchmark databases only).
pub async fn truncate_all(conn: &mut PgConnection) -> Result<()> {
    let tables: Option<String> = sqlx::query_scalar(
        "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ' ORDER BY tablename) FROM pg_tables \
         WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if let Some(tables) = tables {
        sqlx::raw_sql(AssertSqlSafe(format!("TRUNCATE {tables} RESTART IDENTITY CASCADE"))).execute(conn).await?;
    }
    Ok(())
}

/// The next `n` ids of `table`'s identity, taken from its sequence so rows
/// COPYed with them can never collide with rows inserted later.
pub async fn reserve_ids(conn: &mut PgConnection, table: &str, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    Ok(sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2::int8) ORDER BY 1",
    )
    .bind(format!("public.{table}"))
    .bind(n)
    .fetch_all(conn)
    .await?)
}

/// The largest id of each loaded table with an id (0 when empty), in
/// [`TABLES`] order, so a load can continue after rows already there.
pub async fn max_ids(conn: &mut PgConnection) -> Result<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for (table, columns) in TABLES {
        if columns.first() == Some(&"id") {
            let max: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT coalesce(max(id), 0) FROM {table}")))
                .fetch_one(&mut *conn)
                .await?;
            out.push((*table, max));
        }
    }
    Ok(out)
}

/// Moves each loaded table's identity sequence past its largest id, after
/// rows were COPYed with explicit ids.
pub async fn sync_identities(conn: &mut PgConnection) -> Result<()> {
    for (table, columns) in TABLES {
        if columns.first() == Some(&"id") {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('public.{table}', 'id'), coalesce(max(id), 0) + 1, false) \
                 FROM {table}"
            )))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// What [`defer_indexes`] dropped: the statements that rebuild it.
#[derive(Debug, Default, Clone)]
pub struct Deferred {
    /// `CREATE INDEX …` statements, then `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY …`.
    rebuild: Vec<String>,
}

impl Deferred {
    /// How many indexes and foreign keys wait to be rebuilt.
    pub fn len(&self) -> usize {
        self.rebuild.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rebuild.is_empty()
    }

    /// Rebuilds every dropped index, then every dropped foreign key (which
    /// checks all rows at once). A duplicate in a unique index or a dangling
    /// reference fails here, and the caller's transaction with it.
    pub async fn restore(self, conn: &mut PgConnection) -> Result<()> {
        // Index builds sort in memory when they can.
        sqlx::raw_sql("SET LOCAL maintenance_work_mem = '512MB'").execute(&mut *conn).await?;
        for statement in self.rebuild {
            sqlx::raw_sql(AssertSqlSafe(statement)).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Drops the foreign keys of every loaded table and every index of theirs
/// that does not back a primary-key or unique constraint (those stay: their
/// ids arrive in order, which a btree appends cheaply), and turns the
/// catalog-version triggers off. Run it in the load's
/// transaction and [`Deferred::restore`] before committing.
pub async fn defer_indexes(conn: &mut PgConnection) -> Result<Deferred> {
    // Rows written earlier in this transaction (the demo data) left
    // deferred trigger events queued, and ALTER TABLE refuses to run over
    // them: run them now.
    sqlx::raw_sql("SET CONSTRAINTS ALL IMMEDIATE").execute(&mut *conn).await?;
    let tables: Vec<String> = TABLES.iter().map(|(t, _)| format!("public.{t}")).collect();
    let foreign_keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname), \
                format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, \
                       pg_get_constraintdef(c.oid)) \
         FROM pg_constraint c \
         WHERE c.contype = 'f' AND c.conrelid = ANY($1::text[]::regclass[]) ORDER BY c.conrelid, c.conname",
    )
    .bind(&tables)
    .fetch_all(&mut *conn)
    .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) \
         FROM pg_index i \
         WHERE i.indrelid = ANY($1::text[]::regclass[]) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                           WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) \
         ORDER BY i.indrelid, i.indexrelid",
    )
    .bind(&tables)
    .fetch_all(&mut *conn)
    .await?;
    // The catalog-version triggers fire at commit, once per row: a load
    // would queue millions of events, and pending events forbid the ALTER
    // TABLEs of `restore`. They are off for the load; `restore` turns them
    // back on and bumps every distributor's version once.
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT format('ALTER TABLE %s DISABLE TRIGGER %I', tgrelid::regclass, tgname), \
                format('ALTER TABLE %s ENABLE TRIGGER %I', tgrelid::regclass, tgname) \
         FROM pg_trigger WHERE tgname LIKE '%\\_catalog\\_version' AND NOT tgisinternal ORDER BY tgrelid, tgname",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut rebuild = Vec::with_capacity(foreign_keys.len() + indexes.len() + triggers.len() + 1);
    for (drop, create) in indexes.into_iter().chain(foreign_keys).chain(triggers) {
        sqlx::raw_sql(AssertSqlSafe(drop)).execute(&mut *conn).await?;
        rebuild.push(create);
    }
    rebuild.push(
        "INSERT INTO catalog_versions AS v (distributor_id) SELECT id FROM distributors \
         ON CONFLICT (distributor_id) DO UPDATE SET version = v.version + 1"
            .to_owned(),
    );
    // Indexes were pushed first, so they are rebuilt before the keys that may use them.
    Ok(Deferred { rebuild })
}

/// Refreshes the planner's statistics of every loaded table.
pub async fn analyze(pool: &PgPool) -> Result<()> {
    let tables: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
    sqlx::raw_sql(AssertSqlSafe(format!("ANALYZE {}", tables.join(", ")))).execute(pool).await?;
    Ok(())
}

/// One table's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSum {
    pub table: &'static str,
    pub rows: i64,
    pub md5: String,
}

/// A digest of the content of every loaded table: per table, the md5 of its
/// rows' md5s in sorted order (so it does not depend on physical order), and
/// the md5 of those. Left out, because they depend on the clock or a random
/// salt rather than on the seed: `created_at`, `modified_at`, `password_hash`;
/// `frozen_at` counts only as frozen or not. Every other column counts, ids
/// included, and columns added by later migrations count automatically.
pub async fn checksum(pool: &PgPool) -> Result<(String, Vec<TableSum>)> {
    let mut sums = Vec::with_capacity(TABLES.len());
    for (table, _) in TABLES {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT CASE WHEN column_name = 'frozen_at' THEN '(frozen_at IS NULL)' \
                         ELSE quote_ident(column_name) END \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 \
               AND column_name NOT IN ('created_at', 'modified_at', 'password_hash') \
             ORDER BY ordinal_position",
        )
        .bind(*table)
        .fetch_all(pool)
        .await?;
        let (rows, md5): (i64, String) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) \
             FROM (SELECT md5(ROW({})::text) AS h FROM {table}) s",
            columns.join(", ")
        )))
        .fetch_one(pool)
        .await?;
        sums.push(TableSum { table, rows, md5 });
    }
    let all: String = sums.iter().map(|s| s.md5.as_str()).collect();
    let total: String = sqlx::query_scalar("SELECT md5($1)").bind(all).fetch_one(pool).await?;
    Ok((total, sums))
}

// ---- what a top-up finds already there --------------------------------------
//
// The demo seed creates only what is missing, by natural key. These read the
// keys of one distributor's catalog; names come back lower-cased where the
// unique index folds case.

/// `(id, lower(name))` of `distributor_id`'s vendors.
pub async fn vendor_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, lower(name) FROM vendors WHERE distributor_id = $1 ORDER BY id")
        .bind(distributor_id)
        .fetch_all(conn)
        .await?)
}

/// `(id, lower(name))` of `distributor_id`'s attributes.
pub async fn attribute_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, lower(name) FROM attributes WHERE distributor_id = $1 ORDER BY id")
        .bind(distributor_id)
        .fetch_all(conn)
        .await?)
}

/// `(id, lower(name), position)` of an attribute's values, in order.
pub async fn attribute_value_keys(conn: &mut PgConnection, attribute_id: i64) -> Result<Vec<(i64, String, i32)>> {
    Ok(sqlx::query_as(
        "SELECT id, lower(name), position FROM attribute_values WHERE attribute_id = $1 ORDER BY position",
    )
    .bind(attribute_id)
    .fetch_all(conn)
    .await?)
}

/// `(id, lower(name))` of `distributor_id`'s product types.
pub async fn product_type_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, lower(name) FROM product_types WHERE distributor_id = $1 ORDER BY id")
        .bind(distributor_id)
        .fetch_all(conn)
        .await?)
}

/// A product type's attribute ids, in the type's order.
pub async fn type_attribute_ids(conn: &mut PgConnection, product_type_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT attribute_id FROM product_type_attributes WHERE product_type_id = $1 ORDER BY position",
    )
    .bind(product_type_id)
    .fetch_all(conn)
    .await?)
}

/// A product type's vendor ids.
pub async fn type_vendor_ids(conn: &mut PgConnection, product_type_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT vendor_id FROM product_type_vendors WHERE product_type_id = $1 ORDER BY vendor_id")
        .bind(product_type_id)
        .fetch_all(conn)
        .await?)
}

/// `(id, lower(item_number), product_type_id)` of `distributor_id`'s products that are not deleted.
pub async fn product_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<(i64, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, lower(item_number), product_type_id FROM products \
         WHERE distributor_id = $1 AND NOT is_deleted ORDER BY id",
    )
    .bind(distributor_id)
    .fetch_all(conn)
    .await?)
}

/// A variant as an item refers to it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VariantKey {
    pub id: i64,
    pub product_id: i64,
    pub supplier_id: i64,
    pub vendor_cost: Decimal,
    pub value_ids: Vec<i64>,
    pub sku: String,
}

/// Every variant of `distributor_id`'s products.
pub async fn variant_keys(conn: &mut PgConnection, distributor_id: i64) -> Result<Vec<VariantKey>> {
    Ok(sqlx::query_as(
        "SELECT id, product_id, supplier_id, vendor_cost, value_ids, sku FROM product_variants \
         WHERE distributor_id = $1 ORDER BY id",
    )
    .bind(distributor_id)
    .fetch_all(conn)
    .await?)
}

/// The variant ids of a campaign's items.
pub async fn item_variant_ids(conn: &mut PgConnection, campaign_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT product_variant_id FROM campaign_items WHERE campaign_id = $1 ORDER BY id")
        .bind(campaign_id)
        .fetch_all(conn)
        .await?)
}

/// Encoded rows of one table, for [`plain_copy`].
#[derive(Debug, Clone)]
pub struct Encoded {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub data: Encoder,
}

impl Encoded {
    pub fn new<R: CopyRow>() -> Encoded {
        Encoded { table: R::TABLE, columns: R::COLUMNS, data: Encoder::new() }
    }

    /// Appends rows (they must be of this table's row type).
    pub fn push<R: CopyRow>(&mut self, rows: &[R]) {
        debug_assert_eq!(R::TABLE, self.table);
        encode(&mut self.data, rows);
    }

    /// Encoded bytes so far.
    pub fn bytes(&self) -> usize {
        self.data.buf.len()
    }

    /// Rows encoded so far.
    pub fn rows(&self) -> u64 {
        self.data.rows
    }

    /// Takes the encoded rows, leaving this empty for more of the same table.
    pub fn take(&mut self) -> Encoded {
        let empty = Encoded { table: self.table, columns: self.columns, data: Encoder::new() };
        std::mem::replace(self, empty)
    }
}

/// COPYs rows encoded ahead (on another thread, say) into their table: one
/// statement, streamed in chunks of [`CHUNK_BYTES`]. Returns the rows the
/// server took.
///
/// Batch rows into few large COPYs: every COPY ends with a small CopyDone
/// message that waits for the server to acknowledge the data before it
/// (sqlx leaves Nagle's algorithm on), about 40 ms on Linux, whatever its size.
pub async fn copy_encoded(conn: &mut PgConnection, rows: &Encoded) -> Result<u64> {
    if rows.data.rows == 0 {
        return Ok(0);
    }
    let mut copy = conn.copy_in_raw(&copy_statement(rows.table, rows.columns, "public")).await?;
    for chunk in rows.data.buf.as_bytes().chunks(CHUNK_BYTES) {
        copy.send(chunk).await?;
    }
    Ok(copy.finish().await?)
}

/// How long a plain COPY of one table's rows took.
#[derive(Debug, Clone)]
pub struct CopyTiming {
    pub table: &'static str,
    pub rows: u64,
    pub bytes: usize,
    pub elapsed: Duration,
}

/// The limit a load is compared against: the same encoded rows COPYed into
/// bare copies of their tables (`LIKE … INCLUDING DEFAULTS`: no index, no
/// key, no check, nothing but NOT NULL), timed per table, in a transaction
/// that is rolled back, so nothing is left behind.
pub async fn plain_copy(pool: &PgPool, tables: &[Encoded]) -> Result<Vec<CopyTiming>> {
    let mut tx = pool.begin().await?;
    sqlx::raw_sql("CREATE SCHEMA bulk_limit").execute(&mut *tx).await?;
    let mut timings = Vec::with_capacity(tables.len());
    for t in tables {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "CREATE TABLE bulk_limit.{0} (LIKE public.{0} INCLUDING DEFAULTS)",
            t.table
        )))
        .execute(&mut *tx)
        .await?;
        let started = Instant::now();
        let mut copy = tx.copy_in_raw(&copy_statement(t.table, t.columns, "bulk_limit")).await?;
        for chunk in t.data.buf.as_bytes().chunks(CHUNK_BYTES) {
            copy.send(chunk).await?;
        }
        let rows = copy.finish().await?;
        timings.push(CopyTiming { table: t.table, rows, bytes: t.data.buf.len(), elapsed: started.elapsed() });
    }
    tx.rollback().await?;
    Ok(timings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_copy() {
        let mut e = Encoder::new();
        "a\tb\\c\nd\re".to_owned().put(&mut e);
        Option::<i64>::None.put(&mut e);
        true.put(&mut e);
        vec![3_i64, 10].put(&mut e);
        vec!["Sales".to_owned(), "R&D \"east\"".to_owned(), "a\\b".to_owned()].put(&mut e);
        e.end_row();
        assert_eq!(
            e.as_str(),
            "a\\tb\\\\c\\nd\\re\t\\N\tt\t{3,10}\t{\"Sales\",\"R&D \\\\\"east\\\\\"\",\"a\\\\\\\\b\"}\n"
        );
        assert_eq!(e.rows(), 1);
    }

    #[test]
    fn every_table_names_its_columns() {
        assert_eq!(TABLES.len(), 15);
        assert_eq!(Account::COLUMNS[0], "id");
        assert!(TABLES.iter().all(|(_, columns)| !columns.is_empty()));
    }
}
