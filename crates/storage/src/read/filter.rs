//! Filters to SQL. Conditions through a relation become `EXISTS` subqueries
//! that apply the related table's own scope, so rows never duplicate and a
//! filter can never see related rows the caller could not read.

use super::Aliases;
use super::columns::push_field;
use crate::schema::{self, Join, Table};
use domain::Principal;
use domain::query::{Condition, Filter, Op, Operand, Scalar};
use domain::resource::FieldType;
use sqlx::{Postgres, QueryBuilder};

pub(crate) fn push_filter(
    table: &Table,
    who: &Principal,
    filter: &Filter,
    alias: &str,
    aliases: &mut Aliases,
    qb: &mut QueryBuilder<Postgres>,
) {
    let group = |items: &[Filter], sep: &str, aliases: &mut Aliases, qb: &mut QueryBuilder<Postgres>| {
        qb.push("(");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                qb.push(sep);
            }
            push_filter(table, who, item, alias, aliases, qb);
        }
        qb.push(")");
    };
    match filter {
        Filter::And(items) => group(items, " AND ", aliases, qb),
        Filter::Or(items) => group(items, " OR ", aliases, qb),
        Filter::Not(items) => {
            // NOT over a condition on a null value is null, which would drop
            // the row from both `x` and `not x`; COALESCE makes `not` the
            // complement of the group.
            qb.push("NOT COALESCE(");
            group(items, " AND ", aliases, qb);
            qb.push(", FALSE)");
        }
        Filter::Cond(c) => match c.via.and_then(|rel| table.join(rel.name).map(|j| (rel, j))) {
            None => push_condition(table, who, c, alias, qb),
            Some((rel, join)) => {
                let target = schema::table(rel.target());
                let r = aliases.next();
                qb.push(format_args!("EXISTS (SELECT 1 FROM "));
                match join {
                    Join::Reference { fk } => {
                        qb.push(format_args!("{} {r} WHERE {r}.id = {alias}.{fk}", target.name));
                    }
                    Join::Children { fk, along } => {
                        qb.push(format_args!("{} {r} WHERE {r}.{fk} = {alias}.id", target.name));
                        if let Some(along) = along {
                            qb.push(format_args!(" AND {r}.{along} = {alias}.{along}"));
                        }
                    }
                    Join::Through { table: link, parent_fk, target_fk, .. } => {
                        let j = aliases.next();
                        qb.push(format_args!(
                            "{link} {j} JOIN {} {r} ON {r}.id = {j}.{target_fk} WHERE {j}.{parent_fk} = {alias}.id",
                            target.name
                        ));
                    }
                }
                qb.push(" AND ");
                target.push_scope(who, &r, qb);
                qb.push(" AND ");
                push_condition(target, who, c, &r, qb);
                qb.push(")");
            }
        },
    }
}

fn push_condition(table: &Table, who: &Principal, c: &Condition, alias: &str, qb: &mut QueryBuilder<Postgres>) {
    // A condition on a key of a JSON field compares that key's value as
    // text (`->>`), the key bound like any value.
    let ty = if c.key.is_some() { FieldType::Text } else { c.field.ty };
    let lhs = |qb: &mut QueryBuilder<Postgres>| match &c.key {
        None => push_field(table, who, c.field, alias, qb),
        Some(key) => {
            qb.push("((");
            push_field(table, who, c.field, alias, qb);
            qb.push(") ->> ").push_bind(key.clone()).push(")");
        }
    };
    let binary = |sql_op: &str, qb: &mut QueryBuilder<Postgres>| {
        lhs(qb);
        qb.push(format_args!(" {sql_op} "));
        push_operand(&c.operand, ty, qb);
    };
    match c.op {
        Op::Eq => binary("=", qb),
        Op::Ne => binary("<>", qb),
        Op::Gt => binary(">", qb),
        Op::Lt => binary("<", qb),
        Op::Ge => binary(">=", qb),
        Op::Le => binary("<=", qb),
        Op::Like => binary("LIKE", qb),
        Op::Ilike => binary("ILIKE", qb),
        Op::NotIlike => binary("NOT ILIKE", qb),
        Op::In => {
            lhs(qb);
            qb.push(" = ANY(");
            push_operand(&c.operand, ty, qb);
            qb.push(")");
        }
        Op::NotIn => {
            lhs(qb);
            qb.push(" <> ALL(");
            push_operand(&c.operand, ty, qb);
            qb.push(")");
        }
        Op::IsNull => {
            qb.push("(");
            lhs(qb);
            qb.push(") IS NULL");
        }
        Op::IsNotNull => {
            qb.push("(");
            lhs(qb);
            qb.push(") IS NOT NULL");
        }
        Op::Any => {
            push_operand(&c.operand, ty, qb);
            qb.push(" = ANY(");
            lhs(qb);
            qb.push(")");
        }
        Op::NotAny => {
            qb.push("NOT (");
            push_operand(&c.operand, ty, qb);
            qb.push(" = ANY(");
            lhs(qb);
            qb.push("))");
        }
    }
}

/// Binds an operand; lists bind as one typed array parameter.
fn push_operand(operand: &Operand, ty: FieldType, qb: &mut QueryBuilder<Postgres>) {
    match operand {
        Operand::None => {
            qb.push("NULL");
        }
        Operand::One(s) => push_scalar(s, qb),
        Operand::List(items) => push_list(items, ty, qb),
    }
}

pub(crate) fn push_scalar(s: &Scalar, qb: &mut QueryBuilder<Postgres>) {
    match s {
        Scalar::Int(v) => qb.push_bind(*v),
        Scalar::Text(v) => qb.push_bind(v.clone()),
        Scalar::Bool(v) => qb.push_bind(*v),
        Scalar::Money(v) => qb.push_bind(*v),
        Scalar::Date(v) => qb.push_bind(*v),
        Scalar::DateTime(v) => qb.push_bind(*v),
    };
}

fn push_list(items: &[Scalar], ty: FieldType, qb: &mut QueryBuilder<Postgres>) {
    // The parser types every element by the field, so each arm collects one
    // variant; anything else cannot occur and is skipped.
    macro_rules! bind_all {
        ($variant:ident) => {
            qb.push_bind(
                items
                    .iter()
                    .filter_map(|s| match s {
                        Scalar::$variant(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            )
        };
    }
    match ty {
        FieldType::Id | FieldType::Int => bind_all!(Int),
        FieldType::Text | FieldType::Enum(_) | FieldType::TextList | FieldType::Json => bind_all!(Text),
        FieldType::Bool => bind_all!(Bool),
        FieldType::Money => bind_all!(Money),
        FieldType::Date => bind_all!(Date),
        FieldType::DateTime => bind_all!(DateTime),
    };
}
