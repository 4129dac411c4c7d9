//! Tag Orders: reading orders. Shoppers read their own, admin buyers those
//! of the campaigns they are members of, staff their distributor's (the row
//! scope is `storage::schema::ORDERS`). Orders are made by checkout
//! (`storefront`); the staff side (status, item edits, notes) comes with the
//! Orders issue.

use crate::auth::scheme::Auth;
use crate::error::ApiResult;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::resource::{self, ListResponse, OrderDoc, ReadResponse};
use crate::state::AppState;
use crate::tags::ApiTags;
use domain::resource::ORDER;
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path};

#[derive(Default)]
pub struct OrdersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl OrdersApi {
    /// List orders
    ///
    /// The orders the caller may see: shoppers their own, admin buyers those
    /// of their campaigns, staff their distributor's, super admins all. The
    /// whole query language applies, e.g. `X-Fields: {number,status,subtotal,items{sku,quantity}}`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/orders", method = "get", operation_id = "list_orders")]
    async fn list_orders(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<OrderDoc>> {
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, auth.principal(), &args, request).await
    }

    /// Read an order
    ///
    /// 404 when the order does not exist or is outside your scope.
    #[oai(path = "/orders/:id", method = "get", operation_id = "get_order")]
    async fn get_order(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The order's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<OrderDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &ORDER, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }
}
