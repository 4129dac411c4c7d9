//! What runs around a load: is the database empty, truncate, reserve and
//! sync ids and sequence values, defer and restore indexes, analyze, and a checksum of the
//! loaded content.

use super::rows::TABLES;
use crate::error::Result;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};

/// Whether the database holds no distributor and no account (nothing a
/// seed could collide with).
pub async fn is_empty(conn: &mut PgConnection) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM distributors) AND NOT EXISTS (SELECT 1 FROM accounts)")
        .fetch_one(conn)
        .await?)
}

/// Empties every table but the migrations' own, and restarts every identity
/// and every other sequence (`order_number_seq`), so the next ids and order
/// numbers are the first again and a reset database numbers its rows as a
/// fresh one does (development and benchmark databases only).
pub async fn truncate_all(conn: &mut PgConnection) -> Result<()> {
    let tables: Option<String> = sqlx::query_scalar(
        "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ' ORDER BY tablename) FROM pg_tables \
         WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if let Some(tables) = tables {
        sqlx::raw_sql(AssertSqlSafe(format!("TRUNCATE {tables} RESTART IDENTITY CASCADE"))).execute(&mut *conn).await?;
    }
    // TRUNCATE restarts only the sequences its tables own; a standalone one
    // would go on from where the emptied data left it.
    let sequences: Option<String> = sqlx::query_scalar(
        "SELECT string_agg(format('ALTER SEQUENCE %I.%I RESTART', schemaname, sequencename), '; ' \
                           ORDER BY sequencename) \
         FROM pg_sequences WHERE schemaname = 'public'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if let Some(sequences) = sequences {
        sqlx::raw_sql(AssertSqlSafe(sequences)).execute(conn).await?;
    }
    Ok(())
}

/// Reserves `n` consecutive values of the sequence `sequence` in one
/// statement and returns the first: the sequence is moved past the range,
/// so values it hands out later (a checkout's order number) never fall in
/// it. A `nextval` racing this very statement could take a value inside the
/// range; a seed loads into a database nobody else writes, so none does.
pub async fn reserve_range(conn: &mut PgConnection, sequence: &str, n: u64) -> Result<i64> {
    let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    Ok(sqlx::query_scalar("SELECT setval($1::regclass, nextval($1::regclass) + $2 - 1) - $2 + 1")
        .bind(format!("public.{sequence}"))
        .bind(n)
        .fetch_one(conn)
        .await?)
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
