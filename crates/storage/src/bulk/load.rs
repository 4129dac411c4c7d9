//! Writing rows: one COPY streamed in chunks (or one INSERT for a few rows),
//! and [`plain_copy`], the limit a load is compared against, of rows kept in
//! a [`Spool`].

use super::encode::{Encoded, Encoder};
use super::rows::CopyRow;
use crate::error::{Result, StorageError};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt as _;

/// How much encoded COPY data is buffered before it is sent: large enough
/// that each message carries thousands of rows, small enough that encoding
/// and the server's parsing overlap.
pub const CHUNK_BYTES: usize = 1 << 20;

fn copy_statement(table: &str, columns: &[&str], schema: &str) -> String {
    format!("COPY {schema}.{table} ({}) FROM STDIN", columns.join(", "))
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

/// Encoded rows of one table, kept in a temporary file rather than in
/// memory: the limit of a `large` load is gigabytes of COPY text (its orders
/// and their histories), which [`plain_copy`] must send in one COPY per
/// table without holding it all. The file is removed when the spool is dropped.
#[derive(Debug)]
pub struct Spool {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    path: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    rows: u64,
    bytes: usize,
}

impl Spool {
    /// An empty spool for the rows of `like`'s table, in the system's temporary directory.
    pub fn new(like: &Encoded) -> std::io::Result<Spool> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let name = format!("promostore-limit-{}-{nanos}-{}.copy", std::process::id(), like.table);
        let path = std::env::temp_dir().join(name);
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok(Spool {
            table: like.table,
            columns: like.columns,
            path,
            file: Some(std::io::BufWriter::with_capacity(CHUNK_BYTES, file)),
            rows: 0,
            bytes: 0,
        })
    }

    /// Appends encoded rows of this spool's table.
    pub fn append(&mut self, rows: &Encoded) -> std::io::Result<()> {
        debug_assert_eq!(rows.table, self.table);
        if let Some(file) = &mut self.file {
            file.write_all(rows.data.buf.as_bytes())?;
        }
        self.rows += rows.data.rows;
        self.bytes += rows.data.buf.len();
        Ok(())
    }

    /// Flushes and closes the file: the spool is ready to be read.
    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush()?;
        }
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.file = None;
        // Nothing to do about a file that cannot be removed but leave it.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The limit a load is compared against: the same encoded rows COPYed into
/// bare copies of their tables (`LIKE … INCLUDING DEFAULTS`: no index, no
/// key, no check, nothing but NOT NULL), one COPY per table streamed from
/// its spool, timed per table (reading the spool, from the page cache,
/// included), in a transaction that is rolled back, so nothing is left behind.
pub async fn plain_copy(pool: &PgPool, tables: &[Spool]) -> Result<Vec<CopyTiming>> {
    let unreadable = |e: std::io::Error| StorageError::Unavailable(format!("reading spooled rows: {e}"));
    let mut tx = pool.begin().await?;
    sqlx::raw_sql("CREATE SCHEMA bulk_limit").execute(&mut *tx).await?;
    let mut timings = Vec::with_capacity(tables.len());
    let mut chunk = vec![0_u8; CHUNK_BYTES];
    for t in tables {
        sqlx::raw_sql(AssertSqlSafe(format!(
            "CREATE TABLE bulk_limit.{0} (LIKE public.{0} INCLUDING DEFAULTS)",
            t.table
        )))
        .execute(&mut *tx)
        .await?;
        let mut file = tokio::fs::File::open(&t.path).await.map_err(unreadable)?;
        let started = Instant::now();
        let mut copy = tx.copy_in_raw(&copy_statement(t.table, t.columns, "bulk_limit")).await?;
        loop {
            // Whole chunks: a read may return less than asked.
            let mut filled = 0;
            while filled < chunk.len() {
                let n = file.read(&mut chunk[filled..]).await.map_err(unreadable)?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            copy.send(&chunk[..filled]).await?;
        }
        let rows = copy.finish().await?;
        timings.push(CopyTiming { table: t.table, rows, bytes: t.bytes, elapsed: started.elapsed() });
    }
    tx.rollback().await?;
    Ok(timings)
}
