//! The writes of a resource whose write model is stored field for column
//! ([`storage::record`]): create, patch and delete, each the whole sequence
//! every staff write of a distributor's row follows, written once.
//!
//! A resource opts in by implementing [`Record`] on its document type; its
//! handlers then parse the body into the write model and call [`create`],
//! [`update`] or [`delete`]. Each checks who is asking (staff of the row's
//! distributor; other distributors' rows are 404), checks `If-Match` against
//! the locked row, validates the whole model (its descriptor's rules and the
//! resource's own), maps the table's constraints to field errors, and
//! answers with the row read back under the caller's mask. A resource with
//! rules only the database can check (what still uses a row) adds them in
//! the hooks, inside the same transaction.

use crate::error::{ApiError, ApiResult, FieldError};
use crate::precondition::Expected;
use crate::resource::Described;
use crate::state::AppState;
use crate::write::{
    Constraint, Created, Deleted, Owned, Written, begin, check_version, commit, constraint_error, owning_distributor,
    read_back, require_live_distributor, staff_row,
};
use domain::query::Selection;
use domain::{Principal, Role};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use storage::Transaction;
use storage::record::Stored;
use storage::schema::{Table, table};
use storage::write::Lock;
use validators::FieldIssue;

/// A resource written through [`storage::record`], named by its document type.
pub trait Record: Described {
    /// The write model: what a client sets, as it is stored (serde names are
    /// column names).
    type Fields: Serialize + DeserializeOwned + PartialEq + Send + Sync;

    /// What the table's constraints mean to a client.
    const CONSTRAINTS: &'static [Constraint] = &[];

    /// Where a row is read (the `Location` of a created one).
    fn path(id: i64) -> String;

    /// Every rule the fields break: by default those the descriptor declares.
    fn issues(fields: &Self::Fields) -> Vec<FieldIssue> {
        validators::record::check(Self::RESOURCE, fields)
    }

    /// Run before a changing patch is written, on the locked row: a 409 for a
    /// change that what uses the row forbids.
    fn before_update(
        _tx: &mut Transaction,
        _current: &Stored<Self::Fields>,
        _next: &Self::Fields,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        async { Ok(()) }
    }

    /// Run after a changing patch is written (refresh what is derived from it).
    fn after_update(_tx: &mut Transaction, _id: i64) -> impl Future<Output = ApiResult<()>> + Send {
        async { Ok(()) }
    }

    /// Run before the locked row is deleted: a 409 while something uses it.
    fn before_delete(_tx: &mut Transaction, _id: i64) -> impl Future<Output = ApiResult<()>> + Send {
        async { Ok(()) }
    }
}

impl<F> Owned for Stored<F> {
    fn distributor_id(&self) -> i64 {
        self.distributor_id
    }
}

fn table_of<R: Record>() -> &'static Table {
    table(R::RESOURCE)
}

/// Maps a storage error through `R`'s constraints, quoting the value `fields`
/// holds under the constraint's field.
fn on_constraint<R: Record>(fields: &R::Fields) -> impl FnOnce(storage::StorageError) -> ApiError + '_ {
    move |err| {
        constraint_error(R::CONSTRAINTS, err, |field| match serde_json::to_value(fields) {
            Ok(serde_json::Value::Object(map)) => match map.get(field) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            },
            _ => String::new(),
        })
    }
}

/// Creates a row of `fields` for the caller's distributor (a super admin
/// names it in `distributor_id`): 422 listing every invalid field, 409 on a
/// taken unique value; 201 with the row under `selection`.
pub async fn create<R: Record>(
    state: &AppState,
    who: &Principal,
    selection: &Selection,
    distributor_id: Option<i64>,
    fields: R::Fields,
) -> ApiResult<Created<R>> {
    let table = table_of::<R>();
    let owner = owning_distributor(who, distributor_id, table.name);
    let mut errors: Vec<FieldError> = owner.as_ref().err().cloned().into_iter().collect();
    errors.extend(R::issues(&fields).into_iter().map(FieldError::from));
    let distributor_id = match owner {
        Ok(d) if errors.is_empty() => d,
        _ => return Err(ApiError::unprocessable(errors)),
    };
    who.require_in(Role::SalesExecutive, Some(distributor_id))?;
    let mut tx = begin(state).await?;
    require_live_distributor(&mut tx, distributor_id).await?;
    let id =
        storage::record::insert(&mut *tx, table, distributor_id, &fields).await.map_err(on_constraint::<R>(&fields))?;
    commit(tx).await?;
    let (body, tag) = read_back::<R>(state, who, selection, id).await?;
    Ok(Created::Created(body, R::path(id), tag))
}

/// Applies `patch` to row `id`'s fields and writes the result if it changed
/// and is valid: 404 (absent or another distributor's), 412 on a stale
/// `If-Match`, 422, 409; 200 with the row under `selection`.
pub async fn update<R: Record>(
    state: &AppState,
    who: &Principal,
    selection: &Selection,
    id: i64,
    expected: &Expected,
    patch: impl FnOnce(&R::Fields) -> R::Fields,
) -> ApiResult<Written<R>> {
    let table = table_of::<R>();
    let mut tx = begin(state).await?;
    let current = staff_row(who, storage::record::load::<R::Fields>(&mut *tx, table, id, Lock::Update).await?)?;
    let expected = check_version(expected, current.version)?;
    let next = patch(&current.fields);
    let problems = R::issues(&next);
    if !problems.is_empty() {
        return Err(crate::error::from_issues(problems));
    }
    if next != current.fields {
        R::before_update(&mut tx, &current, &next).await?;
        storage::record::update(&mut *tx, table, id, expected, &next).await.map_err(on_constraint::<R>(&next))?;
        R::after_update(&mut tx, id).await?;
    }
    commit(tx).await?;
    let (body, tag) = read_back::<R>(state, who, selection, id).await?;
    Ok(Written::Ok(body, tag))
}

/// Deletes row `id`: 404 (absent or another distributor's), 412 on a stale
/// `If-Match`, 409 when the resource's hook refuses; 204.
pub async fn delete<R: Record>(state: &AppState, who: &Principal, id: i64, expected: &Expected) -> ApiResult<Deleted> {
    let table = table_of::<R>();
    let mut tx = begin(state).await?;
    let current = staff_row(who, storage::record::load::<R::Fields>(&mut *tx, table, id, Lock::Update).await?)?;
    let expected = check_version(expected, current.version)?;
    R::before_delete(&mut tx, id).await?;
    storage::record::delete(&mut *tx, table, id, expected).await?;
    commit(tx).await?;
    Ok(Deleted::NoContent)
}
