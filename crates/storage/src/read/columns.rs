//! The SELECT list a selection needs, and decoding rows back into JSON.
//!
//! Every statement selects, in this order: the row id, its version, the
//! foreign keys of the reference relations the mask names, the masked fields,
//! then the sort keys (for the keyset cursor). Columns are aliased `c0..cn`
//! so a lateral subquery's columns can be read back by position.

use crate::schema::{Join, Table};
use domain::Principal;
use domain::money;
use domain::query::{Scalar, Selection, Sort};
use domain::resource::{Field, FieldType};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row as _};

/// A decoded row: its keys, its masked JSON object, and its sort-key values.
#[derive(Debug)]
pub(crate) struct Row {
    pub id: i64,
    pub version: i64,
    /// One per relation of the selection (in its order): a reference's
    /// target id, or a child join's `along` value; `None` for the others.
    pub fks: Vec<Option<i64>>,
    pub obj: Map<String, Value>,
    pub sort: Vec<Option<Scalar>>,
}

/// The columns of one statement.
pub(crate) struct Layout<'a> {
    /// The key column each relation of the selection needs from this row
    /// besides its id: a reference's FK, or a child join's `along` column.
    fks: Vec<Option<&'static str>>,
    fields: &'a [&'static Field],
    sort: Vec<&'static Field>,
}

impl<'a> Layout<'a> {
    pub(crate) fn new(table: &Table, selection: &'a Selection, sort: &Sort) -> Layout<'a> {
        Layout {
            fks: selection
                .relations
                .iter()
                .map(|(rel, _)| match table.join(rel.name) {
                    Some(Join::Reference { fk }) | Some(Join::Children { along: Some(fk), .. }) => Some(fk),
                    _ => None,
                })
                .collect(),
            fields: &selection.fields,
            sort: sort.0.iter().map(|k| k.field).collect(),
        }
    }

    /// Pushes `a.id AS c0, a.version AS c1, ...`.
    pub(crate) fn push_columns(&self, table: &Table, who: &Principal, alias: &str, qb: &mut QueryBuilder<Postgres>) {
        qb.push(format_args!("{alias}.id AS c0, {alias}.version::int8 AS c1"));
        let mut n = 2;
        for fk in self.fks.iter().flatten() {
            qb.push(format_args!(", {alias}.{fk} AS c{n}"));
            n += 1;
        }
        for field in self.fields.iter().chain(self.sort.iter()) {
            qb.push(", ");
            push_field(table, who, field, alias, qb);
            qb.push(format_args!(" AS c{n}"));
            n += 1;
        }
    }

    /// How many columns [`Layout::push_columns`] pushes.
    pub(crate) fn width(&self) -> usize {
        2 + self.fks.iter().flatten().count() + self.fields.len() + self.sort.len()
    }

    /// Decodes a row whose layout starts at column `offset`.
    pub(crate) fn decode(&self, row: &PgRow, offset: usize) -> Result<Row, sqlx::Error> {
        let mut i = offset;
        let id: i64 = row.try_get(i)?;
        let version: i64 = row.try_get(i + 1)?;
        i += 2;
        let mut fks = Vec::with_capacity(self.fks.len());
        for fk in &self.fks {
            fks.push(match fk {
                Some(_) => {
                    i += 1;
                    row.try_get::<Option<i64>, _>(i - 1)?
                }
                None => None,
            });
        }
        let mut obj = Map::new();
        for field in self.fields {
            obj.insert(field.name.to_owned(), json_value(row, i, field.ty)?);
            i += 1;
        }
        let mut sort = Vec::with_capacity(self.sort.len());
        for field in &self.sort {
            sort.push(scalar(row, i, field.ty)?);
            i += 1;
        }
        Ok(Row { id, version, fks, obj, sort })
    }
}

/// Pushes a field's expression: its column, or for a private or
/// conditional field `CASE WHEN <caller may read it> THEN <column> END`, so
/// hidden values are null wherever they are used (output, filters, sorts).
pub(crate) fn push_field(table: &Table, who: &Principal, field: &Field, alias: &str, qb: &mut QueryBuilder<Postgres>) {
    if let Some(computed) = table.computed(field) {
        (computed.push)(who, alias, qb);
        return;
    }
    let column = table.column(alias, field);
    if table.is_guarded(field) {
        qb.push("CASE WHEN ");
        if table.push_field_guard(who, field, alias, qb) {
            qb.push(format_args!(" THEN {column} END"));
            return;
        }
        // A caller who may always read it: no guard was pushed; close the CASE cleanly.
        qb.push(format_args!("TRUE THEN {column} END"));
    } else {
        qb.push(column);
    }
}

/// A column as JSON in its wire form.
fn json_value(row: &PgRow, i: usize, ty: FieldType) -> Result<Value, sqlx::Error> {
    Ok(match ty {
        FieldType::TextList => row.try_get::<Option<Vec<String>>, _>(i)?.map_or(Value::Null, Value::from),
        FieldType::Json => row.try_get::<Option<Value>, _>(i)?.unwrap_or(Value::Null),
        // Texts move into the value: one allocation per text, not two.
        FieldType::Text | FieldType::Enum(_) => row.try_get::<Option<String>, _>(i)?.map_or(Value::Null, Value::String),
        _ => match scalar(row, i, ty)? {
            None => Value::Null,
            Some(s) => scalar_to_json(&s),
        },
    })
}

/// A column as a typed scalar (for cursors), `None` when null.
pub(crate) fn scalar(row: &PgRow, i: usize, ty: FieldType) -> Result<Option<Scalar>, sqlx::Error> {
    Ok(match ty {
        FieldType::Id | FieldType::Int => row.try_get::<Option<i64>, _>(i)?.map(Scalar::Int),
        FieldType::Text | FieldType::Enum(_) => row.try_get::<Option<String>, _>(i)?.map(Scalar::Text),
        FieldType::Bool => row.try_get::<Option<bool>, _>(i)?.map(Scalar::Bool),
        FieldType::Money => row.try_get::<Option<Decimal>, _>(i)?.map(Scalar::Money),
        FieldType::Date => row.try_get::<Option<chrono::NaiveDate>, _>(i)?.map(Scalar::Date),
        FieldType::DateTime => row.try_get::<Option<chrono::DateTime<chrono::Utc>>, _>(i)?.map(Scalar::DateTime),
        // Lists and documents are never sort keys.
        FieldType::TextList | FieldType::Json => None,
    })
}

/// The wire form of a scalar: ids and integers as numbers, money as a
/// two-place string, instants as RFC 3339 UTC.
pub(crate) fn scalar_to_json(s: &Scalar) -> Value {
    match s {
        Scalar::Int(v) => Value::from(*v),
        Scalar::Text(v) => Value::from(v.as_str()),
        Scalar::Bool(v) => Value::from(*v),
        Scalar::Money(v) => Value::from(money::to_wire(*v)),
        Scalar::Date(v) => Value::from(v.to_string()),
        Scalar::DateTime(v) => Value::from(v.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
    }
}
