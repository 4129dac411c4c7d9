//! Distributors: list and read through the query language; create, update and
//! soft-delete.
//!
//! Soft-deleted distributors stay in the database (their accounts, campaigns
//! and orders still point at them) but disappear from the API: lists hide
//! them unless a super admin's filter asks about `is_deleted`, and only a
//! super admin can read one by id.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, DistributorDoc, ListResponse, ReadResponse};
use crate::state::AppState;
use crate::strict::{Money, Text};
use crate::tags::ApiTags;
use crate::write::{
    Constraint, Created, Deleted, Written, begin, check_version, commit, field_of, on_constraint, read_back,
};
use domain::Role;
use domain::organization::DistributorFields;
use domain::resource::DISTRIBUTOR;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi};
use rust_decimal::Decimal;
use storage::write::Lock;

#[derive(Default)]
pub struct DistributorsApi;

/// A new distributor. Costs are decimal strings with at most two places.
#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct DistributorCreate {
    /// Unique name (case-insensitive), 1 to 200 characters.
    pub name: Text,
    /// Contact email address.
    pub email: Text,
    /// Postal address, at most 1000 characters.
    #[oai(default)]
    pub address: Text,
    /// Platform cost per item, ≥ 0, at most two decimal places.
    #[oai(default)]
    pub ow_cost: Money,
    /// Platform cost per campaign, ≥ 0, at most two decimal places.
    #[oai(default)]
    pub campaign_cost: Money,
    /// Platform cost per order, ≥ 0, at most two decimal places.
    #[oai(default)]
    pub transaction_cost: Money,
    /// The most sales executives the distributor may have, 0 to 10000.
    #[oai(default = "default_max_sales_count")]
    pub max_sales_count: i64,
}

fn default_max_sales_count() -> i64 {
    5
}

impl Example for DistributorCreate {
    fn example() -> Self {
        DistributorCreate {
            name: "Acme Promo".into(),
            email: "hello@acme-promo.example".into(),
            address: "1 Main St, Springfield".into(),
            ow_cost: Money(Decimal::new(150, 2)),
            campaign_cost: Money(Decimal::new(25000, 2)),
            transaction_cost: Money(Decimal::new(50, 2)),
            max_sales_count: 5,
        }
    }
}

/// Changes to a distributor: absent fields stay as they are. The costs and
/// `max_sales_count` are platform settings only a super admin may change.
///
/// `null` on a field that cannot be empty leaves it unchanged, like leaving
/// it out; on a nullable field (dates, limits, references) it clears it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, nullable_all)]
pub struct DistributorPatch {
    /// Unique name (case-insensitive), 1 to 200 characters.
    pub name: Option<Text>,
    /// Contact email address.
    pub email: Option<Text>,
    /// Postal address, at most 1000 characters.
    pub address: Option<Text>,
    /// Platform cost per item. Super admins only.
    pub ow_cost: Option<Money>,
    /// Platform cost per campaign. Super admins only.
    pub campaign_cost: Option<Money>,
    /// Platform cost per order. Super admins only.
    pub transaction_cost: Option<Money>,
    /// The most sales executives the distributor may have, 0 to 10000. Super admins only.
    pub max_sales_count: Option<i64>,
}

impl DistributorCreate {
    fn fields(self) -> DistributorFields {
        DistributorFields {
            name: self.name.trim().to_owned(),
            email: self.email.0,
            address: self.address.0,
            ow_cost: self.ow_cost.0,
            campaign_cost: self.campaign_cost.0,
            transaction_cost: self.transaction_cost.0,
            max_sales_count: self.max_sales_count,
        }
    }
}

impl DistributorPatch {
    /// Whether the patch touches a platform setting (costs, sales-executive limit).
    fn touches_platform_settings(&self) -> bool {
        self.ow_cost.is_some()
            || self.campaign_cost.is_some()
            || self.transaction_cost.is_some()
            || self.max_sales_count.is_some()
    }

    /// The fields after the patch.
    fn apply(self, current: &DistributorFields) -> DistributorFields {
        let c = current.clone();
        DistributorFields {
            name: self.name.map_or(c.name, |n| n.trim().to_owned()),
            email: self.email.map_or(c.email, Into::into),
            address: self.address.map_or(c.address, Into::into),
            ow_cost: self.ow_cost.map_or(c.ow_cost, Into::into),
            campaign_cost: self.campaign_cost.map_or(c.campaign_cost, Into::into),
            transaction_cost: self.transaction_cost.map_or(c.transaction_cost, Into::into),
            max_sales_count: self.max_sales_count.unwrap_or(c.max_sales_count),
        }
    }
}

/// What the distributors' constraints mean to a client.
const CONSTRAINTS: &[Constraint] = &[Constraint {
    name: "distributors_name_key",
    field: "name",
    message: "a distributor with this name already exists",
}];

#[OpenApi(prefix_path = "/api/v1/organization", tag = "ApiTags::Organization")]
impl DistributorsApi {
    /// List distributors
    ///
    /// Super admins see every distributor; everyone else sees only their own.
    /// Soft-deleted distributors are left out unless a super admin's filter
    /// mentions `is_deleted` (e.g. `[{"field":"is_deleted","op":"==","value":true}]`).
    /// Costs, `max_sales_count` and `is_deleted` are readable by staff only.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/distributors", method = "get", operation_id = "list_distributors")]
    async fn list_distributors(
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
    ) -> ApiResult<ListResponse<DistributorDoc>> {
        let who = auth.principal();
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&DISTRIBUTOR, who.role)?;
        // Only a super admin's filter may ask about `is_deleted`: others never
        // see a deleted distributor, exactly as reads by id 404.
        query.hide_deleted(field_of(&DISTRIBUTOR, "is_deleted")?, who.is_super_admin());
        resource::list_query(&state, who, &query, request).await
    }

    /// Read a distributor
    ///
    /// Super admins read any distributor, soft-deleted ones included; everyone
    /// else reads only their own, while it is not deleted. 404 otherwise.
    #[oai(path = "/distributors/:id", method = "get", operation_id = "get_distributor")]
    async fn get_distributor(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The distributor's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<DistributorDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &DISTRIBUTOR, who.role)?;
        // Others than super admins can only ever see their own distributor
        // (the read is scoped); it is hidden from them once deleted.
        if who.distributor_id == Some(id.0)
            && !who.is_super_admin()
            && storage::distributors::is_deleted(&state.pool, id.0).await? == Some(true)
        {
            return Err(ApiError::not_found());
        }
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Create a distributor
    ///
    /// Super admins only (403 for everyone else). The name must be unique
    /// (case-insensitive; 409 when taken). Omitted costs are 0 and
    /// `max_sales_count` is 5. Answers 201 with the distributor's default
    /// fields, its URL in `Location` and its `ETag`.
    #[oai(path = "/distributors", method = "post", operation_id = "create_distributor")]
    async fn create_distributor(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<DistributorCreate>,
    ) -> ApiResult<Created<DistributorDoc>> {
        let who = auth.principal();
        who.require(Role::SuperAdmin)?;
        let selection = crate::params::selection(&x_fields, &fields, &DISTRIBUTOR, who.role)?;
        let new = body.0.fields();
        validators::distributor::distributor(&new).map_err(from_issues)?;
        let mut tx = begin(&state).await?;
        let id = storage::distributors::insert(&mut *tx, &new).await.map_err(on_constraint(CONSTRAINTS, &new.name))?;
        commit(tx).await?;
        tracing::info!(distributor.id = id, "distributor created");
        let (body, tag) = read_back::<DistributorDoc>(&state, who, &selection, id).await?;
        Ok(Created::Created(body, format!("/api/v1/organization/distributors/{id}"), tag))
    }

    /// Update a distributor
    ///
    /// Super admins may change any distributor and every field. A distributor
    /// manager may change its own distributor's name, email and address
    /// only: the costs and `max_sales_count` are platform settings (403).
    /// Sales executives and below get 403; another distributor is 404.
    /// Send the `ETag` you read as `If-Match` to avoid overwriting someone
    /// else's change (412 when it is stale).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/distributors/:id", method = "patch", operation_id = "update_distributor")]
    async fn update_distributor(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The distributor's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<DistributorPatch>,
    ) -> ApiResult<Written<DistributorDoc>> {
        let who = auth.principal();
        let id = id.0;
        who.require_in(Role::DistributorManager, Some(id))?;
        let selection = crate::params::selection(&x_fields, &fields, &DISTRIBUTOR, who.role)?;
        let body = body.0;
        if !who.is_super_admin() && body.touches_platform_settings() {
            return Err(ApiError::forbidden(
                "the costs and max_sales_count are platform settings; only a super admin may change them",
            ));
        }
        let expected = if_match.expected(DISTRIBUTOR.model, id)?;
        let mut tx = begin(&state).await?;
        // Only super admins can see (and so change) a deleted distributor.
        let current = storage::distributors::load(&mut *tx, id, who.is_super_admin(), Lock::Update)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let next = body.apply(&current.fields);
        // The fields' own rules come before If-Match, as they always have
        // for distributors: a malformed value is a 422 whatever tag was sent.
        validators::distributor::distributor(&next).map_err(from_issues)?;
        let expected = check_version(&expected, current.version)?;
        if next != current.fields {
            storage::distributors::update(&mut *tx, id, expected, &next, who.is_super_admin())
                .await
                .map_err(on_constraint(CONSTRAINTS, &next.name))?;
            if next.ow_cost != current.fields.ow_cost {
                // Draft campaign items without their own ow_cost are priced with the distributor's.
                storage::derived::refresh(&mut tx, storage::derived::Affected::Distributor(id)).await?;
            }
        }
        commit(tx).await?;
        let (body, tag) = read_back::<DistributorDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete a distributor
    ///
    /// Super admins only (403 for a manager of it, 404 for anyone else).
    /// A soft delete: the distributor and everything that points at it stay,
    /// but it is hidden from lists and from everyone but super admins. Every
    /// session of its accounts ends, and they can no longer log in or refresh
    /// (403). Deleting it again changes nothing. `If-Match` is honoured (412 when
    /// stale).
    #[oai(path = "/distributors/:id", method = "delete", operation_id = "delete_distributor")]
    async fn delete_distributor(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The distributor's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        who.require_in(Role::SuperAdmin, Some(id))?;
        let expected = if_match.expected(DISTRIBUTOR.model, id)?;
        let mut tx = begin(&state).await?;
        let current =
            storage::distributors::load(&mut *tx, id, true, Lock::Update).await?.ok_or_else(ApiError::not_found)?;
        let expected = check_version(&expected, current.version)?;
        storage::distributors::soft_delete(&mut *tx, id, expected).await?;
        // Its accounts stop working at once: every session ends (login and
        // refresh refuse them from now on, see `auth::login`).
        let revoked = storage::sessions::revoke_distributor(&mut *tx, id).await?;
        commit(tx).await?;
        crate::auth::deny_sessions(&state, revoked).await?;
        tracing::info!(distributor.id = id, "distributor deleted");
        Ok(Deleted::NoContent)
    }
}
