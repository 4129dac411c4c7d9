//! The compiler from a checked read request to SQL.
//!
//! A mask is not applied after loading: it decides the SELECT list. Each
//! requested relation is loaded with one batched statement for the whole page
//! (`= ANY($1)` or a lateral join over `unnest($1)`), so the number of
//! statements per request is 1 (+1 with `count=exact`) plus one per relation
//! named in the mask, whatever the page size. Every value is a bound
//! parameter; only descriptor names (static, never client text) reach the SQL.

mod columns;
mod cursor;
mod filter;
mod order;
mod relations;

pub use cursor::CursorKey;

use crate::error::{Result, StorageError};
use crate::schema::{self, Table};
use columns::{Layout, Row};
use domain::Principal;
use domain::query::{ListQuery, PageMode, Selection};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Cursor(String),
    PageNumber(u32),
}

/// One page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// Each item shaped by the mask.
    pub items: Vec<Value>,
    /// `None` on the last page.
    pub next: Option<Next>,
    /// Only with `count=exact`.
    pub total: Option<i64>,
}

/// A single resource shaped by the mask, with its version for the ETag.
#[derive(Debug)]
pub struct Item {
    pub body: Value,
    pub version: i64,
}

/// The main alias; relation and filter subqueries get `a1`, `a2`, ...
const MAIN: &str = "t";

/// Hands out fresh table aliases within one statement.
#[derive(Default)]
pub(crate) struct Aliases(u32);

impl Aliases {
    pub(crate) fn next(&mut self) -> String {
        self.0 += 1;
        format!("a{}", self.0)
    }
}

/// Lists a page of the resource of `query.selection`, as `who` may see it.
#[tracing::instrument(skip_all, fields(resource = query.selection.resource.model))]
pub async fn list(pool: &PgPool, who: &Principal, query: &ListQuery, key: &CursorKey) -> Result<ListPage> {
    let resource = query.selection.resource;
    let table = schema::table(resource);
    let fingerprint = cursor::fingerprint(query);
    let after = match &query.page.mode {
        PageMode::Keyset { cursor: Some(token) } => Some(key.decode(token, &fingerprint, &query.sort)?),
        _ => None,
    };

    let layout = Layout::new(table, &query.selection, &query.sort);
    let mut qb = QueryBuilder::<Postgres>::new("SELECT ");
    layout.push_columns(table, who, MAIN, &mut qb);
    qb.push(format_args!(" FROM {} {MAIN} WHERE ", table.name));
    let mut aliases = Aliases::default();
    push_where(table, who, query, MAIN, &mut aliases, &mut qb);
    if let Some((values, id)) = &after {
        qb.push(" AND ");
        order::push_keyset(table, who, &query.sort, values, *id, MAIN, &mut qb);
    }
    order::push_order_by(table, who, &query.sort, MAIN, &mut qb);
    let size = i64::from(query.page.size);
    qb.push(" LIMIT ").push_bind(size + 1);
    if let PageMode::Offset { number } = query.page.mode {
        qb.push(" OFFSET ").push_bind(i64::from(number.saturating_sub(1)) * size);
    }
    // One connection for the page and its relations: no pool round trip
    // between them.
    let mut conn = pool.acquire().await?;
    let pg_rows = qb.build().fetch_all(&mut *conn).await?;

    let mut rows = pg_rows.iter().map(|r| layout.decode(r, 0)).collect::<Result<Vec<Row>, _>>()?;
    let has_more = rows.len() > query.page.size as usize;
    rows.truncate(query.page.size as usize);

    let next = match (&query.page.mode, has_more, rows.last()) {
        (_, false, _) | (_, _, None) => None,
        (PageMode::Offset { number }, true, Some(_)) => Some(Next::PageNumber(number + 1)),
        (PageMode::Keyset { .. }, true, Some(last)) => {
            Some(Next::Cursor(key.encode(&fingerprint, &last.sort, last.id)))
        }
    };

    let total = if query.count { Some(count(&mut conn, who, table, query).await?) } else { None };

    relations::attach(&mut conn, who, table, &query.selection, &mut rows).await?;
    Ok(ListPage { items: rows.into_iter().map(|r| Value::Object(r.obj)).collect(), next, total })
}

/// Reads one resource by id, as `who` may see it; `None` when absent or
/// hidden, with the references the mask names read in the same statement
/// (see `relations::Folded`). It takes a connection, not the pool, so a write can read its
/// result inside its own transaction (an edit's dry run reads the order as
/// it would be, then rolls back).
#[tracing::instrument(skip_all, fields(resource = selection.resource.model, id))]
pub async fn get(conn: &mut PgConnection, who: &Principal, selection: &Selection, id: i64) -> Result<Option<Item>> {
    let table = schema::table(selection.resource);
    let layout = Layout::new(table, selection, &domain::query::Sort::default());
    let folded = relations::Folded::new(table, selection);
    let mut qb = QueryBuilder::<Postgres>::new("SELECT ");
    layout.push_columns(table, who, MAIN, &mut qb);
    folded.push_columns(&mut qb);
    qb.push(format_args!(" FROM {} {MAIN}", table.name));
    folded.push_joins(table, who, MAIN, &mut qb);
    qb.push(format_args!(" WHERE {MAIN}.id = ")).push_bind(id);
    qb.push(" AND ");
    table.push_scope(who, MAIN, &mut qb);
    let Some(pg_row) = qb.build().fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let mut row = layout.decode(&pg_row, 0)?;
    folded.attach(conn, who, &pg_row, layout.width(), &mut row).await?;
    let mut rows = vec![row];
    relations::attach_except(conn, who, table, selection, &mut rows, &folded.indexes()).await?;
    let row = rows.pop().ok_or(StorageError::NotFound)?;
    Ok(Some(Item { version: row.version, body: Value::Object(row.obj) }))
}

/// `scope AND filter` for the main table.
fn push_where(
    table: &Table,
    who: &Principal,
    query: &ListQuery,
    alias: &str,
    aliases: &mut Aliases,
    qb: &mut QueryBuilder<Postgres>,
) {
    table.push_scope(who, alias, qb);
    if let Some(f) = &query.filter {
        qb.push(" AND ");
        filter::push_filter(table, who, f, alias, aliases, qb);
    }
}

async fn count(conn: &mut PgConnection, who: &Principal, table: &Table, query: &ListQuery) -> Result<i64> {
    let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT count(*) FROM {} {MAIN} WHERE ", table.name));
    push_where(table, who, query, MAIN, &mut Aliases::default(), &mut qb);
    Ok(qb.build_query_scalar::<i64>().fetch_one(conn).await?)
}
