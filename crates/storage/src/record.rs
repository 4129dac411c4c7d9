//! Writes of a write model stored field for column: the storage of a resource
//! that needs no SQL of its own.
//!
//! A write model whose serde names are its table's column names (and whose
//! row belongs to one distributor) is inserted, loaded, updated and deleted
//! here, through its read mapping ([`Table`]): the fields travel as one JSON
//! value that `jsonb_populate_record` types by the table's own row type, so
//! each value reaches its column with the column's type, and nothing is
//! written twice (the column list and the values come from the same
//! serialization). Column names come from the model's field names, which are
//! compiled in, never from a request; they are checked to be plain
//! identifiers anyway, and never the row's id, tenant, version or
//! timestamps. Updates go through [`write::update`] (the version
//! check in the statement, `NotFound` told from `Stale`), deletes through
//! [`write::delete`].
//!
//! Money is read back exactly: `to_jsonb` would give numeric columns as JSON
//! numbers, so every money field of the descriptor is read as text.

use crate::error::{Result, StorageError};
use crate::schema::Table;
use crate::write::{self, Lock, Scope};
use domain::resource::FieldType;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

/// A stored row as writes see it: who owns it, its version, and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<F> {
    pub id: i64,
    pub distributor_id: i64,
    pub version: i64,
    pub fields: F,
}

/// The model's fields as a JSON object, with its keys checked to be plain
/// column names.
fn columns<F: Serialize>(table: &Table, fields: &F) -> Result<Map<String, Value>> {
    let invalid = |why: String| StorageError::Database(sqlx::Error::Protocol(format!("{}: {why}", table.name)));
    let Value::Object(map) = serde_json::to_value(fields).map_err(|e| invalid(e.to_string()))? else {
        return Err(invalid("a write model must serialize to an object".into()));
    };
    let plain = |k: &str| {
        k.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if table.tenant != Some("distributor_id") {
        return Err(invalid("record writes are for tables whose tenant column is distributor_id".into()));
    }
    // The row's identity, tenant and bookkeeping are never a client's to set, whatever a write
    // model holds: a `distributor_id` there would let a PATCH move a row to another tenant.
    let kept = |k: &str| matches!(k, "id" | "distributor_id" | "version" | "created_at" | "modified_at");
    match map.keys().find(|k| !plain(k) || kept(k)) {
        Some(k) => Err(invalid(format!("field {k:?} is not a column a write model may set"))),
        None if map.is_empty() => Err(invalid("a write model without fields".into())),
        None => Ok(map),
    }
}

/// Pushes `"a", "b", …`.
fn push_list(qb: &mut QueryBuilder<Postgres>, map: &Map<String, Value>) {
    for (i, k) in map.keys().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        qb.push('"').push(k.as_str()).push('"');
    }
}

/// Pushes `SELECT "a", "b", … FROM jsonb_populate_record(NULL::<table>, $n)`.
fn push_values(qb: &mut QueryBuilder<Postgres>, table: &Table, map: Map<String, Value>) {
    qb.push("SELECT ");
    push_list(qb, &map);
    qb.push(" FROM jsonb_populate_record(NULL::").push(table.name).push(", ");
    qb.push_bind(Value::Object(map)).push(")");
}

/// Inserts `fields` as a row of `distributor_id`; a broken constraint is
/// `Conflict` or `Invalid` with its name.
#[tracing::instrument(skip_all, fields(table = table.name, distributor.id = distributor_id))]
pub async fn insert<F: Serialize>(
    db: impl PgExecutor<'_>,
    table: &Table,
    distributor_id: i64,
    fields: &F,
) -> Result<i64> {
    let map = columns(table, fields)?;
    let mut qb = QueryBuilder::<Postgres>::new("INSERT INTO ");
    qb.push(table.name).push(" (distributor_id, ");
    push_list(&mut qb, &map);
    qb.push(") SELECT ").push_bind(distributor_id).push(", * FROM (");
    push_values(&mut qb, table, map);
    qb.push(") v RETURNING id");
    Ok(qb.build_query_scalar().fetch_one(db).await?)
}

/// Row `id` of any distributor, locked as asked; the caller checks that the
/// distributor is the caller's. `None` when absent.
#[tracing::instrument(skip_all, fields(table = table.name, id))]
pub async fn load<F: DeserializeOwned>(
    db: impl PgExecutor<'_>,
    table: &Table,
    id: i64,
    lock: Lock,
) -> Result<Option<Stored<F>>> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT id, distributor_id, version::int8, to_jsonb(t)");
    for field in table.resource.fields.iter().filter(|f| f.ty == FieldType::Money && table.computed(f).is_none()) {
        qb.push(" || jsonb_build_object('").push(field.name).push("', t.").push(field.name).push("::text)");
    }
    qb.push(" FROM ").push(table.name).push(" t WHERE id = ").push_bind(id).push(lock.clause());
    let row: Option<(i64, i64, i64, Value)> = qb.build_query_as().fetch_optional(db).await?;
    row.map(|(id, distributor_id, version, json)| {
        let fields = serde_json::from_value(json)
            .map_err(|e| StorageError::Database(sqlx::Error::Decode(format!("{} {id}: {e}", table.name).into())))?;
        Ok(Stored { id, distributor_id, version, fields })
    })
    .transpose()
}

/// Replaces row `id`'s fields with `fields` if its version is
/// `expected_version` (any when `None`): `NotFound`, `Stale`, or the
/// constraint a value broke.
#[tracing::instrument(skip_all, fields(table = table.name, id))]
pub async fn update<F: Serialize>(
    db: impl PgExecutor<'_>,
    table: &'static Table,
    id: i64,
    expected_version: Option<i64>,
    fields: &F,
) -> Result<()> {
    let map = columns(table, fields)?;
    write::update(db, table.name, Scope::ALL, id, expected_version, |a| {
        a.set_with(|qb| {
            qb.push("(");
            push_list(qb, &map);
            qb.push(") = (");
            push_values(qb, table, map);
            qb.push(")");
        });
    })
    .await
}

/// Deletes row `id` if its version is `expected_version` (any when `None`);
/// `Invalid` while a foreign key still points at it.
#[tracing::instrument(skip_all, fields(table = table.name, id))]
pub async fn delete(
    db: impl PgExecutor<'_>,
    table: &'static Table,
    id: i64,
    expected_version: Option<i64>,
) -> Result<()> {
    write::delete(db, table.name, id, expected_version).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{DISTRIBUTORS, VENDORS};

    #[derive(Serialize)]
    struct Named {
        name: &'static str,
    }

    #[derive(Serialize)]
    struct Moving {
        name: &'static str,
        distributor_id: i64,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Odd {
        is_active: bool,
    }

    #[test]
    fn a_model_sets_only_plain_columns_that_are_not_the_rows_own() {
        assert_eq!(columns(&VENDORS, &Named { name: "SanMar" }).map(|m| m.len()).ok(), Some(1));
        let refused = |r: Result<Map<String, Value>>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused(columns(&VENDORS, &Moving { name: "x", distributor_id: 2 })).contains("distributor_id"));
        assert!(refused(columns(&VENDORS, &Odd { is_active: true })).contains("isActive"));
        assert!(
            refused(columns(&DISTRIBUTORS, &Named { name: "x" })).contains("tenant"),
            "a distributor is its own tenant"
        );
    }
}
