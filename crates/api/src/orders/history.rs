//! An order's history: one event per creation, status change, item edit and
//! note change, with who did it. Read only here; the database refuses to
//! change or delete an event.

use super::order;
use crate::auth::scheme::Auth;
use crate::error::ApiResult;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::resource::{self, ListResponse, OrderEventDoc};
use crate::state::AppState;
use crate::tags::ApiTags;
use crate::write::field_of;
use domain::resource::ORDER_EVENT;
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use storage::write::Lock;

#[derive(Default)]
pub struct HistoryApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl HistoryApi {
    /// List an order's events
    ///
    /// The order's history, oldest first: `created` (its data holds the
    /// lines and totals as placed, which later edits never change),
    /// `status_changed`, `items_edited` (lines and totals before and after),
    /// `note_added`, `note_edited`, `note_deleted`. Whoever sees the order
    /// sees its events, except that shoppers do not see the events about
    /// notes. 404 when the order does not exist or is outside your scope.
    /// The whole query language applies, e.g. `X-Fields: {kind,message,created_at,actor{username}}`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/orders/:id/events", method = "get", operation_id = "list_order_events")]
    async fn list_order_events(
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
    ) -> ApiResult<ListResponse<OrderEventDoc>> {
        let who = auth.principal();
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&ORDER_EVENT, who.role)?;
        order(&mut *state.pool.acquire().await.map_err(storage::StorageError::from)?, who, id.0, Lock::None).await?;
        query.within(field_of(&ORDER_EVENT, "order_id")?, id.0);
        resource::list_query(&state, who, &query, request).await
    }
}
