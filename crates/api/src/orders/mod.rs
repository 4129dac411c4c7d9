//! Tag Orders: the orders checkout makes, and the staff side of them.
//!
//! Who sees an order is the row scope `storage::schema::ORDERS`: shoppers
//! their own, admin buyers those of the campaigns they are members of, staff
//! their distributor's, super admins all; everyone else gets 404, exactly as
//! for an id that does not exist. What each may do to an order it sees is
//! [`domain::order`]'s status machine ([`status`]), item edits by staff
//! ([`edits`]) and notes by staff and admin buyers ([`notes`]); every change
//! is appended to the order's history ([`history`]), which the database
//! keeps append-only.

pub mod edits;
pub mod history;
pub mod notes;
pub mod status;

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult};
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::resource::{self, ListResponse, OrderDoc, ReadResponse};
use crate::state::AppState;
use crate::tags::ApiTags;
use domain::order::Actor;
use domain::resource::ORDER;
use domain::{Principal, Role};
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path};
use storage::orders::Order;
use storage::write::Lock;

/// This namespace's APIs: an endpoint group is added here and nowhere else.
pub type Api = (OrdersApi, status::StatusApi, edits::EditsApi, notes::NotesApi, history::HistoryApi);

/// The model name in an order's ETag.
const MODEL: &str = "Order";

/// What `who` is to an order they see (the scope has already said they may
/// see it): staff of its distributor, an admin buyer of its campaign, or
/// the shopper who placed it.
fn actor(who: &Principal) -> Actor {
    if who.is_super_admin() || who.role.is_staff() {
        Actor::Staff
    } else if who.role == Role::AdminBuyer {
        Actor::AdminBuyer
    } else {
        Actor::Owner
    }
}

/// Order `id` as `who` sees it, locked as `lock` says: 404 when it does not
/// exist or is hidden.
async fn order(db: &mut storage::Connection, who: &Principal, id: i64, lock: Lock) -> ApiResult<Order> {
    storage::orders::load(&mut *db, who, id, lock).await?.ok_or_else(ApiError::not_found)
}

/// Order `id` for a write that moves money: the shopper's basket row is
/// locked first, then the order (`storage::orders` says why in that order).
async fn order_for_money(db: &mut storage::Connection, who: &Principal, id: i64) -> ApiResult<Order> {
    let seen = order(db, who, id, Lock::None).await?;
    storage::shopping::lock_basket(db, seen.account_id, seen.campaign_id, seen.distributor_id).await?;
    order(db, who, id, Lock::Update).await
}

#[derive(Default)]
pub struct OrdersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl OrdersApi {
    /// List orders
    ///
    /// The orders the caller may see: shoppers their own, admin buyers those
    /// of their campaigns, staff their distributor's, super admins all. The
    /// whole query language applies: filters on `status`, `campaign_id`,
    /// `created_at`, `subtotal`, `number` and the other fields, relation
    /// filters (`account.username`), and masks that embed `items`,
    /// `events`, `notes`, `account` and `campaign`, e.g.
    /// `X-Fields: {number,status,subtotal,account{username},items{quantity,unit_price}}`.
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
    /// 404 when the order does not exist or is outside your scope. The order
    /// as placed (its lines and totals at checkout) is the data of its
    /// `created` event: embed `events` or read `/orders/{id}/events`.
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
