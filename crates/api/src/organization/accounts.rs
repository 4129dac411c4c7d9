//! Accounts: list and read, through the query language.

use crate::auth::scheme::Auth;
use crate::error::ApiResult;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::resource::{self, AccountDoc, ListResponse, ReadResponse};
use crate::state::AppState;
use crate::tags::ApiTags;
use domain::Principal;
use domain::query::Selection;
use domain::resource::ACCOUNT;
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path};

pub struct AccountsApi;

/// Reads one account as `who` may see it (shared with `GET /auth/me`).
pub async fn read(
    state: &AppState,
    who: &Principal,
    selection: &Selection,
    id: i64,
    if_none_match: Option<&str>,
) -> ApiResult<ReadResponse<AccountDoc>> {
    resource::read_one(state, who, selection, id, if_none_match).await
}

#[OpenApi(prefix_path = "/api/v1/organization", tag = "ApiTags::Organization")]
impl AccountsApi {
    /// List accounts
    ///
    /// Staff see their distributor's accounts (super admins every account);
    /// other roles see only their own. Email and last login are private:
    /// null unless the account is yours or you are staff of its distributor.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/accounts", method = "get", operation_id = "list_accounts")]
    async fn list_accounts(
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
    ) -> ApiResult<ListResponse<AccountDoc>> {
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, auth.principal(), &args, request).await
    }

    /// Read an account
    ///
    /// 404 when the account does not exist or is outside your scope.
    #[oai(path = "/accounts/:id", method = "get", operation_id = "get_account")]
    async fn get_account(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The account's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<AccountDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &ACCOUNT, who.role)?;
        read(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }
}
