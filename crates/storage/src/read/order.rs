//! ORDER BY and the keyset predicate that continues after a cursor.
//!
//! The tiebreak on `id` (ascending) is always last, so the order is total and
//! a keyset page never skips or repeats a row.

use super::columns::push_field;
use super::filter::push_scalar;
use crate::schema::Table;
use domain::Principal;
use domain::query::{Scalar, Sort, SortKey};
use sqlx::{Postgres, QueryBuilder};

pub(crate) fn push_order_by(table: &Table, who: &Principal, sort: &Sort, alias: &str, qb: &mut QueryBuilder<Postgres>) {
    qb.push(" ORDER BY ");
    for key in &sort.0 {
        push_field(table, who, key.field, alias, qb);
        qb.push(if key.descending { " DESC" } else { " ASC" });
        qb.push(if key.nulls_last { " NULLS LAST, " } else { " NULLS FIRST, " });
    }
    qb.push(format_args!("{alias}.id ASC"));
}

/// Rows strictly after (`values`, `id`) in the sort order:
/// `after(k1) OR (k1 = v1 AND after(k2)) OR ... OR (all equal AND id > last_id)`.
pub(crate) fn push_keyset(
    table: &Table,
    who: &Principal,
    sort: &Sort,
    values: &[Option<Scalar>],
    id: i64,
    alias: &str,
    qb: &mut QueryBuilder<Postgres>,
) {
    qb.push("(");
    for i in 0..=sort.0.len() {
        if i > 0 {
            qb.push(" OR ");
        }
        qb.push("(TRUE");
        for (key, value) in sort.0.iter().zip(values).take(i) {
            qb.push(" AND ");
            push_equal(table, who, key, value.as_ref(), alias, qb);
        }
        qb.push(" AND ");
        match (sort.0.get(i), values.get(i)) {
            (Some(key), Some(value)) => push_after(table, who, key, value.as_ref(), alias, qb),
            _ => {
                qb.push(format_args!("{alias}.id > ")).push_bind(id);
            }
        }
        qb.push(")");
    }
    qb.push(")");
}

/// `key = value`, where null equals null.
fn push_equal(
    table: &Table,
    who: &Principal,
    key: &SortKey,
    value: Option<&Scalar>,
    alias: &str,
    qb: &mut QueryBuilder<Postgres>,
) {
    qb.push("(");
    push_field(table, who, key.field, alias, qb);
    match value {
        None => qb.push(") IS NULL"),
        Some(v) => {
            qb.push(") = ");
            push_scalar(v, qb);
            qb
        }
    };
}

/// `key` comes strictly after `value` in this key's direction and null placement.
fn push_after(
    table: &Table,
    who: &Principal,
    key: &SortKey,
    value: Option<&Scalar>,
    alias: &str,
    qb: &mut QueryBuilder<Postgres>,
) {
    let expr = |qb: &mut QueryBuilder<Postgres>| {
        qb.push("(");
        push_field(table, who, key.field, alias, qb);
        qb.push(")");
    };
    match value {
        // After a null: non-nulls when nulls come first, nothing when last.
        None if key.nulls_last => {
            qb.push("FALSE");
        }
        None => {
            expr(qb);
            qb.push(" IS NOT NULL");
        }
        Some(v) => {
            qb.push("(");
            expr(qb);
            qb.push(if key.descending { " < " } else { " > " });
            push_scalar(v, qb);
            if key.nulls_last {
                qb.push(" OR ");
                expr(qb);
                qb.push(" IS NULL");
            }
            qb.push(")");
        }
    }
}
