//! The shared pieces of write operations: their responses, reading the
//! written row back for the response, transactions and the `If-Match` check.

use crate::error::{ApiError, ApiResult, FieldError};
use crate::precondition::Expected;
use crate::resource::{self, Described, Masked};
use crate::state::AppState;
use domain::query::Selection;
use domain::resource::{Field, Relation, Resource};
use domain::{Principal, Role};
use poem_openapi::ApiResponse;
use std::time::{Duration, Instant};
use storage::StorageError;
use storage::Transaction;

/// A created resource.
#[derive(ApiResponse)]
pub enum Created<R: Described> {
    /// Created: the new resource shaped by the mask, where to read it, and its ETag.
    #[oai(status = 201)]
    Created(Masked<R>, #[oai(header = "Location")] String, #[oai(header = "ETag")] String),
}

/// A changed resource.
#[derive(ApiResponse)]
pub enum Written<R: Described> {
    /// The resource as it is now, shaped by the mask, with its new ETag.
    #[oai(status = 200)]
    Ok(Masked<R>, #[oai(header = "ETag")] String),
}

/// A removed resource.
#[derive(ApiResponse)]
pub enum Deleted {
    /// Deleted.
    #[oai(status = 204)]
    NoContent,
}

/// How long the read-back after a committed write is tried again while the
/// database is unavailable: the write took effect, so a 503 would invite
/// the client to make it twice.
const READ_BACK_PATIENCE: Duration = Duration::from_secs(10);

/// Reads `id` back for `who` after a write: the masked body and its ETag.
/// Always from the primary, never the replica (which may not have the
/// write yet): a write's response shows what it wrote. While the database
/// is unavailable (a restart right after the commit) it is read again, for
/// up to [`READ_BACK_PATIENCE`].
pub async fn read_back<R: Described>(
    state: &AppState,
    who: &Principal,
    selection: &Selection,
    id: i64,
) -> ApiResult<(Masked<R>, String)> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        let read = async {
            let mut conn = state.pool.acquire().await?;
            storage::read::get(&mut conn, who, selection, id).await
        };
        match read.await {
            Err(StorageError::Unavailable(cause)) if started.elapsed() + pause < READ_BACK_PATIENCE => {
                tracing::warn!(error = %cause, "the database is unavailable; reading a write back again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            read => return masked(read?, selection, id),
        }
    }
}

/// [`read_back`] on a given connection: inside a transaction, it reads what
/// the transaction wrote before it commits (or rolls back, for a dry run).
pub async fn read_back_in<R: Described>(
    conn: &mut storage::Connection,
    who: &Principal,
    selection: &Selection,
    id: i64,
) -> ApiResult<(Masked<R>, String)> {
    masked(storage::read::get(conn, who, selection, id).await?, selection, id)
}

/// A read resource as a response body and its ETag; 404 when absent.
fn masked<R: Described>(
    item: Option<storage::read::Item>,
    selection: &Selection,
    id: i64,
) -> ApiResult<(Masked<R>, String)> {
    let item = item.ok_or_else(ApiError::not_found)?;
    Ok((Masked::new(item.body), resource::representation_etag(R::RESOURCE.model, id, item.version, selection)))
}

/// `If-Match` checked against the row already locked in this transaction, so
/// a stale write is refused (412) before any other rule is looked at. Gives
/// the version the write then checks again in its own statement (`None`:
/// unconditional).
pub fn check_version(expected: &Expected, current: i64) -> ApiResult<Option<i64>> {
    match expected {
        Expected::Any => Ok(None),
        Expected::OneOf(versions) if versions.contains(&current) => Ok(Some(current)),
        Expected::OneOf(_) => Err(ApiError::precondition_failed()),
    }
}

pub async fn begin(state: &AppState) -> ApiResult<Transaction> {
    Ok(state.pool.begin().await.map_err(StorageError::from)?)
}

/// Commits a write. Under an `Idempotency-Key`, the key is marked
/// committed in the same transaction (one more statement), so a failure
/// after this (its read-back, a lost answer to the commit, the process
/// dying) keeps the key instead of letting a retry run the request again
/// (see `crate::idempotency`).
pub async fn commit(mut tx: Transaction) -> ApiResult<()> {
    crate::idempotency::mark_committed(&mut tx).await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(())
}

/// The distributor a new row is created for: the caller's own (staff
/// may omit `distributor_id` or name their own), or the one a super admin
/// names (required for them). A 422 otherwise; the caller then checks that
/// the distributor exists and is not deleted.
pub fn owning_distributor(who: &Principal, asked: Option<i64>, what: &str) -> Result<i64, FieldError> {
    match (who.distributor_id, asked) {
        (Some(own), None) => Ok(own),
        (Some(own), Some(asked)) if asked == own => Ok(own),
        (Some(_), Some(_)) => Err(FieldError::new(
            "distributor_id",
            "not_allowed",
            format!("{what} can only be created for your own distributor; omit distributor_id"),
        )),
        (None, Some(asked)) => Ok(asked),
        (None, None) => Err(FieldError::new("distributor_id", "required", "super admins must name the distributor")),
    }
}

/// 422 unless distributor `id` exists and is not deleted (a super admin's
/// `distributor_id`); locks it `FOR SHARE` for the rest of the transaction.
pub async fn require_live_distributor(conn: &mut storage::Connection, id: i64) -> ApiResult<()> {
    if storage::campaigns::distributor_is_live(conn, id).await? {
        Ok(())
    } else {
        Err(ApiError::unprocessable(vec![FieldError::new("distributor_id", "not_found", "no such distributor")]))
    }
}

/// Field `name` of a descriptor, named by a literal in a handler. Its
/// absence is a programming error (a descriptor renamed without its users):
/// logged and answered as a 500, never a silent fallback.
pub fn field_of(resource: &'static Resource, name: &str) -> ApiResult<&'static Field> {
    resource.field(name).ok_or_else(|| ApiError::internal(&format!("{} has no field {name}", resource.model)))
}

/// Relation `name` of a descriptor, as [`field_of`].
pub fn relation_of(resource: &'static Resource, name: &str) -> ApiResult<&'static Relation> {
    resource.relation(name).ok_or_else(|| ApiError::internal(&format!("{} has no relation {name}", resource.model)))
}

/// What a database constraint's refusal means to a client: the field it is
/// about and the sentence that says so (`{}` stands for the value sent).
/// Each resource lists its constraints once, in one table, instead of
/// matching storage errors by hand in every handler.
#[derive(Debug, Clone, Copy)]
pub struct Constraint {
    /// The constraint's name in the schema.
    pub name: &'static str,
    /// The body field it is about.
    pub field: &'static str,
    /// What the client is told; `{}` is replaced by the value it sent.
    pub message: &'static str,
}

/// Maps a storage error through a resource's constraint table: a unique
/// violation of a listed constraint is a 409 naming the field (code
/// `taken`), a check or foreign-key violation of one a 422 naming it (code
/// `invalid`); everything else maps as usual.
pub fn on_constraint<'v>(table: &'static [Constraint], value: &'v str) -> impl FnOnce(StorageError) -> ApiError + 'v {
    move |err| constraint_error(table, err, |_| value.to_owned())
}

/// [`on_constraint`] with the value looked up by the constraint's field
/// (`value_of`), for writes that send several fields a constraint may be about.
pub fn constraint_error(table: &[Constraint], err: StorageError, value_of: impl FnOnce(&str) -> String) -> ApiError {
    let (constraint, unique) = match &err {
        StorageError::Conflict { constraint } => (constraint, true),
        StorageError::Invalid { constraint } => (constraint, false),
        _ => return err.into(),
    };
    let Some(c) = table.iter().find(|c| c.name == constraint) else {
        return err.into();
    };
    let message = c.message.replace("{}", value_of(c.field).trim());
    if unique {
        ApiError::conflict_on(FieldError::new(c.field, "taken", message))
    } else {
        ApiError::unprocessable(vec![FieldError::new(c.field, "invalid", message)])
    }
}

/// A row that belongs to one distributor: what a staff write checks before
/// touching it.
pub trait Owned {
    fn distributor_id(&self) -> i64;
}

macro_rules! owned {
    ($($t:ty),* $(,)?) => {
        $(impl Owned for $t {
            fn distributor_id(&self) -> i64 {
                self.distributor_id
            }
        })*
    };
}

owned!(
    storage::attributes::Attribute,
    storage::campaigns::Campaign,
    storage::files::StoredFile,
    storage::product_types::ProductType,
    storage::products::Product,
    storage::variants::Variant,
);

/// The one way a staff write takes the row it loaded (locked as it asked):
/// 404 when absent or invisible to the caller, 404 when another
/// distributor's (so its existence does not leak), 403 for a role below
/// sales executive of the row's own distributor.
pub fn staff_row<T: Owned>(who: &Principal, found: Option<T>) -> ApiResult<T> {
    let row = found.ok_or_else(ApiError::not_found)?;
    who.require_in(Role::SalesExecutive, Some(row.distributor_id()))?;
    Ok(row)
}
