//! Campaign members: the accounts (shoppers, admin buyers, sales executives)
//! assigned to a campaign. Listing reuses the account list with one more
//! condition, so the whole query language applies.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::resource::list_query;
use crate::resource::{AccountDoc, ListResponse};
use crate::state::AppState;
use crate::tags::ApiTags;
use crate::write::{
    Constraint, Created, Deleted, begin, commit, field_of, on_constraint, read_back, relation_of, staff_row,
};
use domain::Role;
use domain::resource::{ACCOUNT, CAMPAIGN};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use storage::write::Lock;

#[derive(Default)]
pub struct MembersApi;

/// The account to add.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewMember {
    /// An account of the campaign's distributor with role shopper, admin_buyer or sales_executive.
    pub account_id: i64,
}

/// What the memberships' constraints mean to a client.
const CONSTRAINTS: &[Constraint] = &[Constraint {
    name: "campaign_members_pkey",
    field: "account_id",
    message: "the account is already a member of this campaign",
}];

/// The roles a campaign accepts as members.
const MEMBER_ROLES: [Role; 3] = [Role::Shopper, Role::AdminBuyer, Role::SalesExecutive];

#[OpenApi(prefix_path = "/api/v1/organization", tag = "ApiTags::Organization")]
impl MembersApi {
    /// List a campaign's members
    ///
    /// Staff of the campaign's distributor and super admins; others who can
    /// read the campaign get 403, anyone else 404. The member accounts, with
    /// the whole query language of `list_accounts` (mask, filter, sort, pages).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/members", method = "get", operation_id = "list_campaign_members")]
    async fn list_campaign_members(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<AccountDoc>> {
        let who = auth.principal();
        staff_row(who, storage::campaigns::load(&state.pool, who, id.0, Lock::None).await?)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&ACCOUNT, who.role)?;
        // The compiler turns the relation condition into an `EXISTS`
        // through `campaign_members`.
        query.within_via(relation_of(&ACCOUNT, "campaigns")?, field_of(&CAMPAIGN, "id")?, id.0);
        list_query(&state, who, &query, request).await
    }

    /// Add a member to a campaign
    ///
    /// Staff of the campaign's distributor and super admins (others who can
    /// read the campaign get 403). The account must belong to the campaign's
    /// distributor (any other account is a 404) and be a shopper, admin
    /// buyer or sales executive (otherwise 422). Already a member is a 409.
    /// Returns the member account.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/members", method = "post", operation_id = "add_campaign_member")]
    async fn add_campaign_member(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<NewMember>,
    ) -> ApiResult<Created<AccountDoc>> {
        let who = auth.principal();
        let (id, account_id) = (id.0, body.0.account_id);
        let selection = crate::params::selection(&x_fields, &fields, &ACCOUNT, who.role)?;
        let mut tx = begin(&state).await?;
        let campaign = staff_row(who, storage::campaigns::load(&mut *tx, who, id, Lock::Share).await?)?;
        let role = match storage::campaigns::member_candidate(&mut *tx, account_id).await? {
            Some((role, Some(d))) if d == campaign.distributor_id => role,
            // Another distributor's account (or none): never reveal which.
            _ => return Err(ApiError::not_found()),
        };
        if !MEMBER_ROLES.contains(&role) {
            return Err(ApiError::unprocessable(vec![FieldError::new(
                "account_id",
                "role",
                format!(
                    "only shoppers, admin buyers and sales executives can be campaign members; this account is a {role}"
                ),
            )]));
        }
        storage::campaigns::add_member(&mut *tx, id, account_id, campaign.distributor_id)
            .await
            .map_err(on_constraint(CONSTRAINTS, ""))?;
        commit(tx).await?;
        let (body, tag) = read_back::<AccountDoc>(&state, who, &selection, account_id).await?;
        Ok(Created::Created(body, format!("/api/v1/organization/accounts/{account_id}"), tag))
    }

    /// Remove a member from a campaign
    ///
    /// Staff of the campaign's distributor and super admins (others who can
    /// read the campaign get 403). 404 when the account is not a member.
    #[oai(path = "/campaigns/:id/members/:account_id", method = "delete", operation_id = "remove_campaign_member")]
    async fn remove_campaign_member(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        /// The member's account id.
        account_id: Path<i64>,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let mut tx = begin(&state).await?;
        staff_row(who, storage::campaigns::load(&mut *tx, who, id.0, Lock::Share).await?)?;
        storage::campaigns::remove_member(&mut *tx, id.0, account_id.0).await?;
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }
}
