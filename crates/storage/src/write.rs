//! The storage write kit: how a write locks the row it is about to change,
//! and the one version-checked statement every `If-Match` write runs.
//!
//! **One PATCH style: load, apply, write.** A handler loads the row `FOR
//! UPDATE` (with [`Lock`]), applies the patch to the aggregate's write model
//! in Rust, validates the whole result, and writes every column with
//! [`update`]. That style is chosen over a dynamic `SET` of the sent fields or
//! SQL `coalesce($n, column)` because (1) the validators see the row as it
//! will be, so rules across fields (dates in order, a limit against an
//! allowance) hold whatever subset a client sends; (2) the statement text of
//! a table is always the same, so PostgreSQL prepares it once; (3) every value
//! is bound and typed by sqlx, and the column names are `'static` strings in
//! this crate, so no text from a request ever reaches SQL. A patch that
//! changes nothing is detected in Rust (`next == current`) and writes nothing.
//!
//! **The version check lives in the statement.** [`update`] and [`delete`]
//! write row `id` only if its version is the one the client read (any when
//! `None`), and tell a missing row ([`StorageError::NotFound`]) from a
//! changed one ([`StorageError::Stale`]) in the same statement: the existence
//! check reads the statement's snapshot, the row as it was before the write,
//! so there is no window between the check and the write.

use crate::error::{Result, StorageError};
use sqlx::{Encode, PgExecutor, Postgres, QueryBuilder, Type};

/// How a lookup locks the row for the rest of the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// A plain read.
    None,
    /// `FOR SHARE`: the row cannot change or vanish (writes to its children).
    Share,
    /// `FOR UPDATE`: the caller is about to change the row.
    Update,
}

impl Lock {
    /// The locking clause of a statement whose main table has alias `t`.
    pub(crate) fn clause(self) -> &'static str {
        match self {
            Lock::None => "",
            Lock::Share => " FOR SHARE OF t",
            Lock::Update => " FOR UPDATE OF t",
        }
    }
}

/// Which rows of a table a guarded write may touch besides `id = $id`: a
/// `'static` predicate of this crate (never request text), such as
/// `NOT is_deleted` for soft-deleted rows that count as missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(pub &'static str);

impl Scope {
    /// Every row of the table.
    pub const ALL: Scope = Scope("TRUE");
}

/// The `SET` list of a guarded [`update`]: column names are `'static`,
/// values are bound.
pub struct Assignments<'b> {
    qb: &'b mut QueryBuilder<Postgres>,
    empty: bool,
}

impl Assignments<'_> {
    fn separator(&mut self) {
        if !self.empty {
            self.qb.push(", ");
        }
        self.empty = false;
    }

    /// `column = $n` with `value` bound.
    pub fn set<'t, T>(&mut self, column: &'static str, value: T) -> &mut Self
    where
        T: Encode<'t, Postgres> + Type<Postgres>,
    {
        self.separator();
        self.qb.push(column).push(" = ").push_bind(value);
        self
    }

    /// `column = $n::type` with `value` bound: for values PostgreSQL must be
    /// told the type of (text into an enum or `jsonb` column).
    pub fn set_as<'t, T>(&mut self, column: &'static str, value: T, sql_type: &'static str) -> &mut Self
    where
        T: Encode<'t, Postgres> + Type<Postgres>,
    {
        self.separator();
        self.qb.push(column).push(" = ").push_bind(value).push("::").push(sql_type);
        self
    }

    /// An assignment pushed by this crate's own code (`(a, b) = (SELECT …)`
    /// of [`crate::record`]), which must bind every value it uses.
    pub(crate) fn set_with(&mut self, push: impl FnOnce(&mut QueryBuilder<Postgres>)) -> &mut Self {
        self.separator();
        push(self.qb);
        self
    }

    /// An assignment computed in SQL (`modified_at = now()`).
    pub fn set_sql(&mut self, assignment: &'static str) -> &mut Self {
        self.separator();
        self.qb.push(assignment);
        self
    }
}

/// Pushes ` WHERE id = $id AND <scope> AND <the version is the expected one>`.
fn push_target(qb: &mut QueryBuilder<Postgres>, id: i64, scope: Scope, expected_version: Option<i64>) {
    qb.push(" WHERE id = ").push_bind(id).push(" AND ").push(scope.0);
    qb.push(" AND (").push_bind(expected_version).push("::int8 IS NULL OR version = ");
    qb.push_bind(expected_version).push(")");
}

/// Ends a guarded statement: `SELECT EXISTS (<cte>), EXISTS (row id in
/// scope)`, run, and turned into the outcome. The second reads the
/// statement's snapshot: the row as it was before the write.
async fn finish(
    db: impl PgExecutor<'_>,
    mut qb: QueryBuilder<Postgres>,
    cte: &'static str,
    table: &'static str,
    scope: Scope,
    id: i64,
) -> Result<()> {
    qb.push(" SELECT EXISTS (SELECT 1 FROM ").push(cte).push("), EXISTS (SELECT 1 FROM ").push(table);
    qb.push(" WHERE id = ").push_bind(id).push(" AND ").push(scope.0).push(")");
    let pair: (bool, bool) = qb.build_query_as().fetch_one(db).await?;
    outcome(pair)
}

/// Runs `WITH written AS (<write> <target> RETURNING 1) <finish>`.
async fn guarded(
    db: impl PgExecutor<'_>,
    mut qb: QueryBuilder<Postgres>,
    table: &'static str,
    scope: Scope,
    id: i64,
    expected_version: Option<i64>,
) -> Result<()> {
    push_target(&mut qb, id, scope, expected_version);
    qb.push(" RETURNING 1)");
    finish(db, qb, "written", table, scope, id).await
}

/// Updates row `id` of `table` (within `scope`) with the assignments `assign`
/// pushes, if its version is `expected_version` (any when `None`):
/// `NotFound`, `Stale`, or the constraint a value broke (`Conflict`,
/// `Invalid`). The table's `version` column is bumped by its trigger.
pub async fn update(
    db: impl PgExecutor<'_>,
    table: &'static str,
    scope: Scope,
    id: i64,
    expected_version: Option<i64>,
    assign: impl FnOnce(&mut Assignments<'_>),
) -> Result<()> {
    let mut qb = QueryBuilder::<Postgres>::new("WITH written AS (UPDATE ");
    qb.push(table).push(" SET ");
    let mut assignments = Assignments { qb: &mut qb, empty: true };
    assign(&mut assignments);
    if assignments.empty {
        return Err(StorageError::Database(sqlx::Error::Protocol(format!(
            "an update of {table} without assignments (callers skip writes that change nothing)"
        ))));
    }
    guarded(db, qb, table, scope, id, expected_version).await
}

/// Deletes row `id` of `table` if its version is `expected_version` (any when
/// `None`): `NotFound`, `Stale`, or `Invalid` when a foreign key still points
/// at it (callers check usage first to answer that clearly).
pub async fn delete(
    db: impl PgExecutor<'_>,
    table: &'static str,
    id: i64,
    expected_version: Option<i64>,
) -> Result<()> {
    let mut qb = QueryBuilder::<Postgres>::new("WITH written AS (DELETE FROM ");
    qb.push(table);
    guarded(db, qb, table, Scope::ALL, id, expected_version).await
}

/// The outcome of a guarded write from (written, existed before).
pub(crate) fn outcome((written, existed): (bool, bool)) -> Result<()> {
    match (written, existed) {
        (true, _) => Ok(()),
        (false, true) => Err(StorageError::Stale),
        (false, false) => Err(StorageError::NotFound),
    }
}

/// A `'static` statement with `lock`'s clause appended, chosen at compile
/// time so each lock is its own prepared statement. The statement's main
/// table must have the alias `t` (only that table's row is locked).
macro_rules! locked {
    ($lock:expr, $($sql:tt)+) => {
        match $lock {
            $crate::write::Lock::None => concat!($($sql)+),
            $crate::write::Lock::Share => concat!($($sql)+, " FOR SHARE OF t"),
            $crate::write::Lock::Update => concat!($($sql)+, " FOR UPDATE OF t"),
        }
    };
}
pub(crate) use locked;

/// Soft-deletes row `id` of `table` (sets `is_deleted`) if its version is
/// `expected_version` (any when `None`). Deleting a deleted row again
/// succeeds and changes nothing (its version stays), so a retried DELETE
/// answers as the first one did.
pub async fn soft_delete(
    db: impl PgExecutor<'_>,
    table: &'static str,
    id: i64,
    expected_version: Option<i64>,
) -> Result<()> {
    // A data-modifying CTE runs to completion whether or not the main query
    // reads it; the main query reports whether the version matched.
    let mut qb = QueryBuilder::<Postgres>::new("WITH target AS (SELECT id, is_deleted FROM ");
    qb.push(table);
    push_target(&mut qb, id, Scope::ALL, expected_version);
    qb.push("), updated AS (UPDATE ").push(table);
    qb.push(" w SET is_deleted = TRUE FROM target WHERE w.id = target.id AND NOT target.is_deleted)");
    finish(db, qb, "target", table, Scope::ALL, id).await
}
