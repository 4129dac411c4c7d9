//! Batched relation loading: one statement per relation named in the mask,
//! for all parent rows at once, recursively for nested masks.

use super::columns::{Layout, Row};
use crate::error::Result;
use crate::schema::{self, Join, Table};
use domain::Principal;
use domain::query::{Selection, Sort, SortKey, limits};
use domain::resource::{Relation, Resource};
use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row as _};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Loads every relation of `selection` for `rows` and embeds it in each row's object.
pub(crate) fn attach<'a>(
    conn: &'a mut PgConnection,
    who: &'a Principal,
    table: &'a Table,
    selection: &'a Selection,
    rows: &'a mut [Row],
) -> BoxFuture<'a, Result<()>> {
    attach_except(conn, who, table, selection, rows, &[])
}

/// [`attach`], except the relations at `done` (indexes into
/// `selection.relations`), which the caller already read in the parent's
/// statement (see [`Folded`]).
pub(crate) fn attach_except<'a>(
    conn: &'a mut PgConnection,
    who: &'a Principal,
    table: &'a Table,
    selection: &'a Selection,
    rows: &'a mut [Row],
    done: &'a [usize],
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        for (index, (relation, sub)) in selection.relations.iter().enumerate() {
            if done.contains(&index) {
                continue;
            }
            let Some(join) = table.join(relation.name) else { continue };
            let target = schema::table(relation.target());
            match join {
                Join::Reference { .. } => {
                    let mut keys: Vec<i64> = rows.iter().filter_map(|r| r.fks.get(index).copied().flatten()).collect();
                    keys.sort_unstable();
                    keys.dedup();
                    let mut children = load_by_id(&mut *conn, who, target, sub, &keys).await?;
                    attach(&mut *conn, who, target, sub, &mut children).await?;
                    let by_id: HashMap<i64, Value> =
                        children.into_iter().map(|c| (c.id, Value::Object(c.obj))).collect();
                    for row in rows.iter_mut() {
                        let value = row
                            .fks
                            .get(index)
                            .copied()
                            .flatten()
                            .and_then(|k| by_id.get(&k).cloned())
                            .unwrap_or(Value::Null);
                        row.obj.insert(relation.name.to_owned(), value);
                    }
                }
                Join::Children { .. } | Join::Through { .. } => {
                    // A parent is its id and, for a child join `along` a
                    // column, that column's value too.
                    let keys: Vec<Parent> = rows.iter().map(|r| (r.id, r.fks.get(index).copied().flatten())).collect();
                    let (parents, mut children) =
                        load_children(&mut *conn, who, target, relation, join, sub, &keys).await?;
                    attach(&mut *conn, who, target, sub, &mut children).await?;
                    let mut grouped: HashMap<Parent, Vec<Value>> = HashMap::new();
                    for (parent, child) in parents.into_iter().zip(children) {
                        grouped.entry(parent).or_default().push(Value::Object(child.obj));
                    }
                    for (row, key) in rows.iter_mut().zip(keys) {
                        let list = grouped.remove(&key).unwrap_or_default();
                        row.obj.insert(relation.name.to_owned(), Value::Array(list));
                    }
                }
            }
        }
        Ok(())
    })
}

/// A parent row as a child join matches it: its id, and its `along` value.
type Parent = (i64, Option<i64>);

/// The to-one relations (references) of a single-row read, read in the
/// row's own statement: one `LEFT JOIN LATERAL` per reference, its columns
/// after the row's. A read by id then costs one statement for the row and
/// everything it refers to, where batching would add one per reference.
/// Lists keep the batched statements: a lateral join would run for every
/// row the list's sort has to look at, not just the page's.
pub(crate) struct Folded<'a> {
    /// Each folded reference: its index in the selection, its name, its
    /// table, its selection and its columns.
    parts: Vec<(usize, &'static str, &'static Table, &'a Selection, Layout<'a>)>,
}

impl<'a> Folded<'a> {
    pub(crate) fn new(table: &Table, selection: &'a Selection) -> Folded<'a> {
        let parts = selection
            .relations
            .iter()
            .enumerate()
            .filter_map(|(index, (relation, sub))| match table.join(relation.name) {
                Some(Join::Reference { .. }) => {
                    let target = schema::table(relation.target());
                    Some((index, relation.name, target, sub, Layout::new(target, sub, &Sort::default())))
                }
                _ => None,
            })
            .collect();
        Folded { parts }
    }

    /// The indexes of the folded relations, for [`attach_except`].
    pub(crate) fn indexes(&self) -> Vec<usize> {
        self.parts.iter().map(|p| p.0).collect()
    }

    /// `, f0.*, f1.*`: the folded columns, after the row's.
    pub(crate) fn push_columns(&self, qb: &mut QueryBuilder<Postgres>) {
        for n in 0..self.parts.len() {
            qb.push(format_args!(", f{n}.*"));
        }
    }

    /// The lateral joins, after `FROM <table> <alias>`: each reads the
    /// target row the foreign key names, as `who` may see it.
    pub(crate) fn push_joins(&self, table: &Table, who: &Principal, alias: &str, qb: &mut QueryBuilder<Postgres>) {
        for (n, (_, name, target, _, layout)) in self.parts.iter().enumerate() {
            let Some(Join::Reference { fk }) = table.join(name) else { continue };
            qb.push(" LEFT JOIN LATERAL (SELECT ");
            layout.push_columns(target, who, "r", qb);
            qb.push(format_args!(" FROM {} r WHERE r.id = {alias}.{fk} AND ", target.name));
            target.push_scope(who, "r", qb);
            qb.push(format_args!(") f{n} ON TRUE"));
        }
    }

    /// Decodes the folded rows from `offset` on, loads their own relations,
    /// and embeds each in `row` (null when absent or hidden).
    pub(crate) async fn attach(
        &self,
        conn: &mut PgConnection,
        who: &Principal,
        pg_row: &sqlx::postgres::PgRow,
        mut offset: usize,
        row: &mut Row,
    ) -> Result<()> {
        for (_, name, target, sub, layout) in &self.parts {
            let present = pg_row.try_get::<Option<i64>, _>(offset)?.is_some();
            let mut children = if present { vec![layout.decode(pg_row, offset)?] } else { Vec::new() };
            offset += layout.width();
            attach(&mut *conn, who, target, sub, &mut children).await?;
            let value = children.pop().map_or(Value::Null, |c| Value::Object(c.obj));
            row.obj.insert((*name).to_owned(), value);
        }
        Ok(())
    }
}

/// `SELECT ... FROM target WHERE id = ANY($1) AND scope`.
async fn load_by_id(
    conn: &mut PgConnection,
    who: &Principal,
    target: &Table,
    sub: &Selection,
    keys: &[i64],
) -> Result<Vec<Row>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let layout = Layout::new(target, sub, &Sort::default());
    let mut qb = QueryBuilder::<Postgres>::new("SELECT ");
    layout.push_columns(target, who, "r", &mut qb);
    qb.push(format_args!(" FROM {} r WHERE r.id = ANY(", target.name)).push_bind(keys.to_vec()).push(") AND ");
    target.push_scope(who, "r", &mut qb);
    let rows = qb.build().fetch_all(conn).await?;
    Ok(rows.iter().map(|r| layout.decode(r, 0)).collect::<Result<_, _>>()?)
}

/// The children of each parent, at most `MAX_EMBEDDED_CHILDREN` each, in
/// the target's default order: one lateral join over `unnest($1, $2)`.
/// Returns the parent of each child beside the children.
///
/// An ordered link (a variant's values, a type's attributes, a product's
/// images: a few rows per parent, in the link's order) is read by
/// [`load_ordered_links`].
async fn load_children(
    conn: &mut PgConnection,
    who: &Principal,
    target: &Table,
    relation: &Relation,
    join: Join,
    sub: &Selection,
    keys: &[Parent],
) -> Result<(Vec<Parent>, Vec<Row>)> {
    let layout = Layout::new(target, sub, &Sort::default());
    let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let alongs: Vec<Option<i64>> = keys.iter().map(|k| k.1).collect();
    if let Join::Through { table: link, parent_fk, target_fk, position: Some(position) } = join {
        let link = OrderedLink { link, parent_fk, target_fk, position };
        return load_ordered_links(conn, who, target, &link, &layout, ids).await;
    }
    let mut qb = QueryBuilder::<Postgres>::new("SELECT p.k, p.k2, c.* FROM unnest(");
    qb.push_bind(ids).push("::int8[], ").push_bind(alongs).push("::int8[]) AS p(k, k2) CROSS JOIN LATERAL (SELECT ");
    layout.push_columns(target, who, "r", &mut qb);
    match join {
        Join::Children { fk, along } => {
            qb.push(format_args!(" FROM {} r WHERE r.{fk} = p.k", target.name));
            if let Some(along) = along {
                qb.push(format_args!(" AND r.{along} = p.k2"));
            }
        }
        Join::Through { table: link, parent_fk, target_fk, .. } => {
            qb.push(format_args!(
                " FROM {link} j JOIN {} r ON r.id = j.{target_fk} WHERE j.{parent_fk} = p.k AND ",
                target.name
            ));
            target.push_scope(who, "r", &mut qb);
        }
        Join::Reference { .. } => unreachable_reference(relation),
    }
    if let Join::Children { .. } = join {
        qb.push(" AND ");
        target.push_scope(who, "r", &mut qb);
    }
    if let Join::Through { position: Some(position), .. } = join {
        // An ordered link (a type's attributes, a product's images): the
        // link's position, then the id for ties that cannot happen.
        qb.push(format_args!(" ORDER BY j.{position}, r.id"));
    } else {
        let order = default_sort(relation.target());
        super::order::push_order_by(target, who, &order, "r", &mut qb);
    }
    qb.push(" LIMIT ").push_bind(limits::MAX_EMBEDDED_CHILDREN).push(") c");
    decode_children(&layout, &qb.build().fetch_all(conn).await?)
}

/// The link table of an ordered [`Join::Through`].
struct OrderedLink {
    link: &'static str,
    parent_fk: &'static str,
    target_fk: &'static str,
    position: &'static str,
}

/// The targets of each parent's ordered links, in the link's order (then
/// the target's id), at most `MAX_EMBEDDED_CHILDREN` per parent.
///
/// One plain join of the parents' link rows (by the link's primary key) to
/// their targets, in no order and bounded in total by the cap times the
/// parents; the rows are ordered and capped here, per parent. The database
/// then only finds the rows: sorting them and numbering them per parent
/// for the cap was most of the statement (0.47 of 0.89 ms for the 550
/// values of 275 variants on `small`, the same share on `large`). When the
/// bound is reached, some parent may have more links than the cap, and
/// which of them to keep is the database's to say: the same rows are read
/// again with the order and the cap in the statement ([`capped_in_sql`]).
///
/// Earlier forms lost: a lateral join per parent planned its join once per
/// parent (a hash of every target in scope each time), starting from the
/// targets walked every link row of a large catalog's values, and joining
/// the rows back to the unnested keys became a nested loop of every key
/// against every row once PostgreSQL switched the prepared statement to
/// its generic plan.
async fn load_ordered_links(
    conn: &mut PgConnection,
    who: &Principal,
    target: &Table,
    link: &OrderedLink,
    layout: &Layout<'_>,
    mut parents: Vec<i64>,
) -> Result<(Vec<Parent>, Vec<Row>)> {
    let OrderedLink { link: table, parent_fk, target_fk, position } = *link;
    // Each parent once: the rows are grouped by parent afterwards.
    parents.sort_unstable();
    parents.dedup();
    let cap = usize::try_from(limits::MAX_EMBEDDED_CHILDREN).unwrap_or(usize::MAX);
    let bound = parents.len().saturating_mul(cap);
    let rows = {
        let mut qb = QueryBuilder::<Postgres>::new(format_args!("SELECT j.{parent_fk}, NULL::int8, ").to_string());
        layout.push_columns(target, who, "r", &mut qb);
        qb.push(format_args!(
            ", j.{position} FROM {table} j JOIN {} r ON r.id = j.{target_fk} WHERE j.{parent_fk} = ANY(",
            target.name
        ));
        qb.push_bind(parents.as_slice()).push("::int8[]) AND ");
        target.push_scope(who, "r", &mut qb);
        qb.push(" LIMIT ").push_bind(i64::try_from(bound).unwrap_or(i64::MAX).saturating_add(1));
        qb.build().fetch_all(&mut *conn).await?
    };
    if rows.len() > bound {
        return capped_in_sql(conn, who, target, link, layout, parents).await;
    }
    // The rows' keys (parent, position, the target's id in `c0`) are
    // ordered, not the rows: only the rows kept are decoded, in order.
    let at = 2 + layout.width();
    let mut keys = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        keys.push((row.try_get::<i64, _>(0)?, row.try_get::<i32, _>(at)?, row.try_get::<i64, _>(2)?, i));
    }
    keys.sort_unstable();
    let mut out = (Vec::with_capacity(keys.len()), Vec::with_capacity(keys.len()));
    let mut run: Option<(i64, usize)> = None;
    for (parent, _, _, i) in keys {
        let n = match run {
            Some((p, n)) if p == parent => n + 1,
            _ => 1,
        };
        run = Some((parent, n));
        if n <= cap {
            out.0.push((parent, None));
            out.1.push(layout.decode(&rows[i], 2)?);
        }
    }
    Ok(out)
}

/// [`load_ordered_links`] with the order and the per-parent cap in the
/// statement, for parents that may have more links than the cap: the
/// parents' link rows first, by the link's primary key (a `MATERIALIZED`
/// step, so the planner cannot start from the targets), joined to their
/// targets, capped per parent by a window in the output's own order.
async fn capped_in_sql(
    conn: &mut PgConnection,
    who: &Principal,
    target: &Table,
    link: &OrderedLink,
    layout: &Layout<'_>,
    parents: Vec<i64>,
) -> Result<(Vec<Parent>, Vec<Row>)> {
    let OrderedLink { link: table, parent_fk, target_fk, position } = *link;
    let mut qb = QueryBuilder::<Postgres>::new(
        format_args!(
            "WITH j AS MATERIALIZED (SELECT {parent_fk} AS parent, {target_fk} AS target, {position} AS position \
             FROM {table} WHERE {parent_fk} = ANY("
        )
        .to_string(),
    );
    qb.push_bind(parents).push("::int8[])) SELECT c.parent_, NULL::int8, c.* FROM (SELECT ");
    layout.push_columns(target, who, "r", &mut qb);
    qb.push(", j.parent AS parent_, j.position AS position_");
    qb.push(", row_number() OVER (PARTITION BY j.parent ORDER BY j.position, r.id) AS n_");
    qb.push(format_args!(" FROM j JOIN {} r ON r.id = j.target WHERE ", target.name));
    target.push_scope(who, "r", &mut qb);
    // The window's own order (`c0` is the target's id), so its sort serves the output too.
    qb.push(") c WHERE c.n_ <= ").push_bind(limits::MAX_EMBEDDED_CHILDREN);
    qb.push(" ORDER BY c.parent_, c.position_, c.c0");
    decode_children(layout, &qb.build().fetch_all(conn).await?)
}

/// Rows of `(parent key, along, child columns…)` as parents and children.
fn decode_children(layout: &Layout, rows: &[sqlx::postgres::PgRow]) -> Result<(Vec<Parent>, Vec<Row>)> {
    let mut parents = Vec::with_capacity(rows.len());
    let mut children = Vec::with_capacity(rows.len());
    for row in rows {
        parents.push((row.try_get::<i64, _>(0)?, row.try_get::<Option<i64>, _>(1)?));
        children.push(layout.decode(row, 2)?);
    }
    Ok((parents, children))
}

fn unreachable_reference(relation: &Relation) {
    tracing::error!(relation = relation.name, "reference relation routed to the children loader");
}

/// A resource's default order as sort keys.
pub(crate) fn default_sort(resource: &'static Resource) -> Sort {
    Sort(
        resource
            .default_sort
            .iter()
            .filter_map(|(name, descending)| {
                resource.field(name).map(|field| SortKey { field, descending: *descending, nulls_last: !*descending })
            })
            .collect(),
    )
}
