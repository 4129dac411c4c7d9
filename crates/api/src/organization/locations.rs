//! Delivery locations of a campaign. Reads follow the campaign: whoever can
//! read the campaign can read its locations (shoppers pick one at checkout);
//! writes are for staff while the campaign is draft or active.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::list_query;
use crate::resource::{self, ListResponse, LocationDoc, ReadResponse};
use crate::state::AppState;
use crate::strict::Text;
use crate::tags::ApiTags;
use crate::write::{Created, Deleted, Written, begin, check_version, commit, field_of, read_back, staff_row};
use domain::campaign::{LocationFields, Status};
use domain::resource::LOCATION;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use storage::write::Lock;

#[derive(Default)]
pub struct LocationsApi;

/// A new delivery location.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct LocationCreate {
    /// A short name shoppers pick from (1 to 200 characters).
    pub nickname: Text,
    /// Company at the address.
    pub company_name: Option<Text>,
    pub street_and_number: Option<Text>,
    pub suite_unit: Option<Text>,
    pub city: Option<Text>,
    pub zip_code: Option<Text>,
    /// State, province or region.
    pub region: Option<Text>,
    /// ISO 3166-1 alpha-2 code in upper case (default `US`).
    pub country: Option<Text>,
    /// Who receives deliveries.
    pub delivery_contact: Option<Text>,
}

impl poem_openapi::types::Example for LocationCreate {
    fn example() -> Self {
        LocationCreate {
            nickname: "HQ".into(),
            company_name: Some("Initech".into()),
            street_and_number: Some("4120 Freidrich Ln".into()),
            suite_unit: Some("Suite 300".into()),
            city: Some("Austin".into()),
            zip_code: Some("78744".into()),
            region: Some("TX".into()),
            country: Some("US".into()),
            delivery_contact: Some("Bill Lumbergh".into()),
        }
    }
}

impl LocationCreate {
    fn fields(self) -> LocationFields {
        LocationFields {
            nickname: self.nickname.trim().to_owned(),
            company_name: self.company_name.map(Into::into).unwrap_or_default(),
            street_and_number: self.street_and_number.map(Into::into).unwrap_or_default(),
            suite_unit: self.suite_unit.map(Into::into).unwrap_or_default(),
            city: self.city.map(Into::into).unwrap_or_default(),
            zip_code: self.zip_code.map(Into::into).unwrap_or_default(),
            region: self.region.map(Into::into).unwrap_or_default(),
            country: self.country.map_or_else(|| "US".into(), Into::into),
            delivery_contact: self.delivery_contact.map(Into::into).unwrap_or_default(),
        }
    }
}

/// Changes to a location: only the fields sent change.
///
/// `null` on a field that cannot be empty leaves it unchanged, like leaving
/// it out; on a nullable field (dates, limits, references) it clears it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, nullable_all)]
pub struct LocationPatch {
    /// 1 to 200 characters.
    pub nickname: Option<Text>,
    pub company_name: Option<Text>,
    pub street_and_number: Option<Text>,
    pub suite_unit: Option<Text>,
    pub city: Option<Text>,
    pub zip_code: Option<Text>,
    pub region: Option<Text>,
    /// ISO 3166-1 alpha-2 code in upper case.
    pub country: Option<Text>,
    pub delivery_contact: Option<Text>,
}

impl LocationPatch {
    /// The fields after the patch.
    fn apply(self, current: &LocationFields) -> LocationFields {
        let c = current.clone();
        LocationFields {
            nickname: self.nickname.map_or(c.nickname, |n| n.trim().to_owned()),
            company_name: self.company_name.map_or(c.company_name, Into::into),
            street_and_number: self.street_and_number.map_or(c.street_and_number, Into::into),
            suite_unit: self.suite_unit.map_or(c.suite_unit, Into::into),
            city: self.city.map_or(c.city, Into::into),
            zip_code: self.zip_code.map_or(c.zip_code, Into::into),
            region: self.region.map_or(c.region, Into::into),
            country: self.country.map_or(c.country, Into::into),
            delivery_contact: self.delivery_contact.map_or(c.delivery_contact, Into::into),
        }
    }
}

/// 409 unless the campaign's locations may change (draft or active).
fn require_open(status: Status) -> ApiResult<()> {
    if status.allows_location_changes() {
        Ok(())
    } else {
        Err(ApiError::conflict(format!(
            "locations can change only while the campaign is draft or active; this one is {status}"
        )))
    }
}

fn location_path(campaign: i64, id: i64) -> String {
    format!("/api/v1/organization/campaigns/{campaign}/locations/{id}")
}

#[OpenApi(prefix_path = "/api/v1/organization", tag = "ApiTags::Organization")]
impl LocationsApi {
    /// List a campaign's locations
    ///
    /// Anyone who can read the campaign (404 otherwise): staff of its
    /// distributor, super admins, and its members (shoppers while it is
    /// active). The whole query language applies.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/locations", method = "get", operation_id = "list_locations")]
    async fn list_locations(
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
    ) -> ApiResult<ListResponse<LocationDoc>> {
        let who = auth.principal();
        storage::campaigns::load(&state.pool, who, id.0, Lock::None).await?.ok_or_else(ApiError::not_found)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&LOCATION, who.role)?;
        query.within(field_of(&LOCATION, "campaign_id")?, id.0);
        list_query(&state, who, &query, request).await
    }

    /// Add a location to a campaign
    ///
    /// Staff of the campaign's distributor and super admins (others who can
    /// read the campaign get 403), while the campaign is draft or active
    /// (409 otherwise).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/locations", method = "post", operation_id = "create_location")]
    async fn create_location(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<LocationCreate>,
    ) -> ApiResult<Created<LocationDoc>> {
        let who = auth.principal();
        let id = id.0;
        let selection = crate::params::selection(&x_fields, &fields, &LOCATION, who.role)?;
        let mut tx = begin(&state).await?;
        let campaign = staff_row(who, storage::campaigns::load(&mut *tx, who, id, Lock::Share).await?)?;
        require_open(campaign.status)?;
        let new = body.0.fields();
        let issues = validators::location::location(&new);
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        let location = storage::locations::create(&mut *tx, id, campaign.distributor_id, &new).await?;
        commit(tx).await?;
        let (body, tag) = read_back::<LocationDoc>(&state, who, &selection, location).await?;
        Ok(Created::Created(body, location_path(id, location), tag))
    }

    /// Read a location
    ///
    /// Anyone who can read the campaign. 404 when the location does not
    /// exist, belongs to another campaign, or the campaign is not visible.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/locations/:location_id", method = "get", operation_id = "get_location")]
    async fn get_location(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        /// The location's id.
        location_id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<LocationDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &LOCATION, who.role)?;
        // Under this campaign's path only; the read itself applies the
        // caller's scope (the campaign's).
        storage::locations::find_in(&state.pool, id.0, location_id.0, Lock::None)
            .await?
            .ok_or_else(ApiError::not_found)?;
        resource::read_one(&state, who, &selection, location_id.0, if_none_match.0.as_deref()).await
    }

    /// Edit a location
    ///
    /// Staff of the campaign's distributor and super admins (others who can
    /// read the campaign get 403), while the campaign is draft or active
    /// (409 otherwise). Honours `If-Match` (412 when stale).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/locations/:location_id", method = "patch", operation_id = "update_location")]
    async fn update_location(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        /// The location's id.
        location_id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<LocationPatch>,
    ) -> ApiResult<Written<LocationDoc>> {
        let who = auth.principal();
        let (id, location_id) = (id.0, location_id.0);
        let selection = crate::params::selection(&x_fields, &fields, &LOCATION, who.role)?;
        let expected = if_match.expected("Location", location_id)?;
        let mut tx = begin(&state).await?;
        let campaign = staff_row(who, storage::campaigns::load(&mut *tx, who, id, Lock::Share).await?)?;
        let current = storage::locations::find_in(&mut *tx, id, location_id, Lock::Update)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let expected = check_version(&expected, current.version)?;
        require_open(campaign.status)?;
        let next = body.0.apply(&current.fields);
        let issues = validators::location::location(&next);
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        if next != current.fields {
            storage::locations::update(&mut *tx, location_id, expected, &next).await?;
        }
        commit(tx).await?;
        let (body, tag) = read_back::<LocationDoc>(&state, who, &selection, location_id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete a location
    ///
    /// Staff of the campaign's distributor and super admins (others who can
    /// read the campaign get 403), while the campaign is draft or active
    /// (409 otherwise). Honours `If-Match` (412 when stale).
    #[oai(path = "/campaigns/:id/locations/:location_id", method = "delete", operation_id = "delete_location")]
    async fn delete_location(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The campaign's id.
        id: Path<i64>,
        /// The location's id.
        location_id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let (id, location_id) = (id.0, location_id.0);
        let expected = if_match.expected("Location", location_id)?;
        let mut tx = begin(&state).await?;
        let campaign = staff_row(who, storage::campaigns::load(&mut *tx, who, id, Lock::Share).await?)?;
        let current = storage::locations::find_in(&mut *tx, id, location_id, Lock::Update)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let expected = check_version(&expected, current.version)?;
        require_open(campaign.status)?;
        storage::locations::delete(&mut *tx, location_id, expected).await?;
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }
}
