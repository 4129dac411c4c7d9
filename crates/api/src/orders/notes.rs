//! Notes on an order, for staff of its distributor and the campaign's admin
//! buyers (shoppers who see the order get 403). Staff edit and delete any
//! note, an admin buyer their own. An edit keeps the text it replaces (the
//! note's `versions`, kept by a trigger); a delete is soft. Each change is
//! an event of the order's history.

use super::{actor, order};
use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, ListResponse, OrderNoteDoc, ReadResponse};
use crate::state::AppState;
use crate::strict::Text;
use crate::tags::ApiTags;
use crate::write::{Created, Deleted, Written, begin, check_version, commit, field_of, read_back};
use domain::Principal;
use domain::order::Actor;
use domain::resource::ORDER_NOTE;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde_json::json;
use storage::orders::{Event, Note, Order};
use storage::write::Lock;

/// The model name in a note's ETag.
const MODEL: &str = "OrderNote";

/// The longest note.
const MAX_BODY: usize = 5000;

/// A note's text.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct NoteBody {
    /// 1 to 5,000 characters (surrounding white space is dropped).
    pub body: Text,
}

impl poem_openapi::types::Example for NoteBody {
    fn example() -> Self {
        NoteBody { body: Text("Client asked to hold shipping until the 12th.".into()) }
    }
}

impl NoteBody {
    /// The trimmed text, or the 422 naming what is wrong with it.
    fn text(&self) -> ApiResult<String> {
        let text = self.body.trim();
        let issue = if text.is_empty() {
            Some(("blank", "must not be blank"))
        } else if text.chars().count() > MAX_BODY {
            Some(("too_long", "at most 5,000 characters"))
        } else {
            None
        };
        match issue {
            Some((code, message)) => Err(from_issues(vec![validators::FieldIssue::new("body", code, message)])),
            None => Ok(text.to_owned()),
        }
    }
}

fn note_path(order: i64, note: i64) -> String {
    format!("/api/v1/orders/{order}/notes/{note}")
}

/// The order `id` for someone working its notes: 404 when hidden, 403 for
/// the shopper (notes are not theirs to read or write).
async fn noted_order(db: &mut storage::Connection, who: &Principal, id: i64, lock: Lock) -> ApiResult<Order> {
    let o = order(db, who, id, lock).await?;
    if actor(who) == Actor::Owner {
        return Err(ApiError::forbidden("notes are for staff and the campaign's admin buyers"));
    }
    Ok(o)
}

/// Note `note` of order `id`, for a caller who may change it: staff any
/// note, an admin buyer their own (403 for another's); 404 when missing.
async fn own_note(db: &mut storage::Connection, who: &Principal, id: i64, note: i64) -> ApiResult<(Order, Note)> {
    let o = noted_order(db, who, id, Lock::Share).await?;
    let n = storage::orders::load_note(&mut *db, who, id, note, Lock::Update).await?.ok_or_else(ApiError::not_found)?;
    if actor(who) != Actor::Staff && n.author_id != who.account_id {
        return Err(ApiError::forbidden("an admin buyer edits and deletes only their own notes"));
    }
    Ok((o, n))
}

/// Appends a note event to the order's history.
async fn record(
    db: &mut storage::Connection,
    who: &Principal,
    o: &Order,
    kind: &'static str,
    message: &str,
    data: serde_json::Value,
) -> ApiResult<()> {
    let event = Event {
        order_id: o.id,
        distributor_id: o.distributor_id,
        kind,
        message,
        actor_id: Some(who.account_id),
        data: &data,
    };
    storage::orders::record(db, &event).await?;
    Ok(())
}

#[derive(Default)]
pub struct NotesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl NotesApi {
    /// List an order's notes
    ///
    /// Staff of the order's distributor and the campaign's admin buyers;
    /// the shopper gets 403, everyone else 404. Deleted notes are left out.
    /// The whole query language applies; `X-Fields: {body,author{username},versions{body,written_at}}`
    /// embeds who wrote each note and the texts its edits replaced.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/orders/:id/notes", method = "get", operation_id = "list_order_notes")]
    async fn list_order_notes(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        /// The order's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<OrderNoteDoc>> {
        let who = auth.principal();
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&ORDER_NOTE, who.role)?;
        let mut conn = state.pool.acquire().await.map_err(storage::StorageError::from)?;
        noted_order(&mut conn, who, id.0, Lock::None).await?;
        drop(conn);
        query.within(field_of(&ORDER_NOTE, "order_id")?, id.0);
        resource::list_query(&state, who, &query, request).await
    }

    /// Add a note to an order
    ///
    /// Staff of the order's distributor and the campaign's admin buyers
    /// (the shopper gets 403, everyone else 404), in any status. Adds a
    /// `note_added` event. Returns the note (201).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/orders/:id/notes", method = "post", operation_id = "add_order_note")]
    async fn add_order_note(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The order's id.
        id: Path<i64>,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<NoteBody>,
    ) -> ApiResult<Created<OrderNoteDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &ORDER_NOTE, who.role)?;
        let mut tx = begin(&state).await?;
        let o = noted_order(&mut tx, who, id.0, Lock::Share).await?;
        let text = body.0.text()?;
        let note = storage::orders::add_note(&mut *tx, &o, who.account_id, &text).await?;
        record(&mut tx, who, &o, "note_added", "note added", json!({ "note_id": note })).await?;
        commit(tx).await?;
        let (body, tag) = read_back::<OrderNoteDoc>(&state, who, &selection, note).await?;
        Ok(Created::Created(body, note_path(o.id, note), tag))
    }

    /// Read a note
    ///
    /// As for the list; 404 also when the note is deleted or another
    /// order's.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/orders/:id/notes/:note_id", method = "get", operation_id = "get_order_note")]
    async fn get_order_note(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The order's id.
        id: Path<i64>,
        /// The note's id.
        note_id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<OrderNoteDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &ORDER_NOTE, who.role)?;
        let mut conn = state.pool.acquire().await.map_err(storage::StorageError::from)?;
        noted_order(&mut conn, who, id.0, Lock::None).await?;
        storage::orders::load_note(&mut *conn, who, id.0, note_id.0, Lock::None)
            .await?
            .ok_or_else(ApiError::not_found)?;
        drop(conn);
        resource::read_one(&state, who, &selection, note_id.0, if_none_match.0.as_deref()).await
    }

    /// Edit a note
    ///
    /// Staff edit any note of the order, an admin buyer their own (403 for
    /// another's). The replaced text is kept as a version of the note
    /// (`versions`), readable by the same people. Adds a `note_edited`
    /// event. Honours `If-Match` (the note's ETag). Returns the note.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/orders/:id/notes/:note_id", method = "patch", operation_id = "edit_order_note")]
    async fn edit_order_note(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The order's id.
        id: Path<i64>,
        /// The note's id.
        note_id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<NoteBody>,
    ) -> ApiResult<Written<OrderNoteDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &ORDER_NOTE, who.role)?;
        let expected = if_match.expected(MODEL, note_id.0)?;
        let mut tx = begin(&state).await?;
        let (o, n) = own_note(&mut tx, who, id.0, note_id.0).await?;
        let text = body.0.text()?;
        let expected = check_version(&expected, n.version)?;
        if text != n.body {
            storage::orders::edit_note(&mut *tx, n.id, expected, &text, who.account_id).await?;
            let data = json!({ "note_id": n.id, "replaced_version": n.version });
            record(&mut tx, who, &o, "note_edited", "note edited", data).await?;
        }
        commit(tx).await?;
        let (body, tag) = read_back::<OrderNoteDoc>(&state, who, &selection, n.id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete a note
    ///
    /// Staff delete any note of the order, an admin buyer their own (403
    /// for another's). The delete is soft: the note leaves every read, its
    /// text stays in the `note_deleted` event. Honours `If-Match`.
    #[oai(path = "/orders/:id/notes/:note_id", method = "delete", operation_id = "delete_order_note")]
    async fn delete_order_note(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The order's id.
        id: Path<i64>,
        /// The note's id.
        note_id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let expected = if_match.expected(MODEL, note_id.0)?;
        let mut tx = begin(&state).await?;
        let (o, n) = own_note(&mut tx, who, id.0, note_id.0).await?;
        let expected = check_version(&expected, n.version)?;
        storage::orders::delete_note(&mut *tx, n.id, expected).await?;
        let data = json!({ "note_id": n.id, "body": n.body });
        record(&mut tx, who, &o, "note_deleted", "note deleted", data).await?;
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }
}
