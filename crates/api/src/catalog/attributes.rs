//! Attributes (Color, Size) and their ordered values. Staff-only, like the
//! whole catalog.
//!
//! Values keep dense positions 0..n-1: a new value goes at the end or at a
//! given position (the later ones move down), a deleted one closes its gap,
//! and a reorder names every value once. The attribute's version counts every
//! change of its value list too, so its ETag covers the whole ordered list
//! and a reorder can be made conditional on the list the client last saw.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, AttributeDoc, AttributeValueDoc, ListResponse, MaskedList, ReadResponse};
use crate::state::AppState;
use crate::strict::Text;
use crate::tags::ApiTags;
use crate::write::{
    Constraint, Created, Deleted, Written, begin, check_version, commit, field_of, on_constraint, owning_distributor,
    read_back, require_live_distributor, staff_row,
};
use domain::Role;
use domain::query::{ListQuery, Page, PageMode, limits};
use domain::resource::{ATTRIBUTE, ATTRIBUTE_VALUE};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use storage::derived::Affected;
use storage::write::Lock;
use validators::attribute::MAX_VALUES;

#[derive(Default)]
pub struct AttributesApi;

/// What the attributes' constraints mean to a client: an attribute's name,
/// or a value's name within its attribute.
const CONSTRAINTS: &[Constraint] = &[
    Constraint {
        name: "attributes_name_key",
        field: "name",
        message: "this distributor already has an attribute named \"{}\"",
    },
    Constraint {
        name: "attribute_values_name_key",
        field: "name",
        message: "the attribute already has a value named \"{}\"",
    },
];

/// A new attribute's values repeat a name (case-insensitive).
const CREATE_CONSTRAINTS: &[Constraint] = &[
    CONSTRAINTS[0],
    Constraint {
        name: "attribute_values_name_key",
        field: "values",
        message: "two of the values have the same name (case-insensitive)",
    },
];

/// Narrows `query` to the values of attribute `id`.
fn of_attribute(query: &mut ListQuery, id: i64) -> ApiResult<()> {
    query.within(field_of(&ATTRIBUTE_VALUE, "attribute_id")?, id);
    Ok(())
}

fn value_path(attribute: i64, value: i64) -> String {
    format!("/api/v1/catalog/attributes/{attribute}/values/{value}")
}

fn name_error(name: &str) -> ApiResult<()> {
    match validators::attribute::name_issue("name", name) {
        None => Ok(()),
        Some(issue) => Err(from_issues(vec![issue])),
    }
}

/// A new attribute, optionally with its first values.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example, skip_serializing_if_is_none)]
pub struct AttributeCreate {
    /// The distributor it belongs to. Super admins must give it; others may omit it (it is always
    /// their own).
    pub distributor_id: Option<i64>,
    /// 1 to 100 characters, unique within the distributor (case-insensitive).
    pub name: Text,
    /// The first values, in order (positions 0, 1, 2…): each 1 to 100 characters, no name twice
    /// (case-insensitive), at most 500.
    #[oai(default)]
    pub values: Vec<Text>,
}

impl poem_openapi::types::Example for AttributeCreate {
    fn example() -> Self {
        AttributeCreate {
            distributor_id: None,
            name: "Size".into(),
            values: vec!["S".into(), "M".into(), "L".into(), "XL".into()],
        }
    }
}

/// Changes to an attribute.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, nullable_all, example, skip_serializing_if_is_none)]
pub struct AttributePatch {
    /// 1 to 100 characters, unique within the distributor (case-insensitive). `null` or absent
    /// leaves it unchanged.
    pub name: Option<Text>,
}

impl poem_openapi::types::Example for AttributePatch {
    fn example() -> Self {
        AttributePatch { name: Some("Garment size".into()) }
    }
}

/// A new value of an attribute.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example, skip_serializing_if_is_none)]
pub struct ValueCreate {
    /// 1 to 100 characters, unique within the attribute (case-insensitive).
    pub name: Text,
    /// Where it goes: 0 is first, the number of values (the default) is last; the values from
    /// there on move one place down.
    pub position: Option<i64>,
}

impl poem_openapi::types::Example for ValueCreate {
    fn example() -> Self {
        ValueCreate { name: "XS".into(), position: Some(0) }
    }
}

/// Changes to a value.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, nullable_all, example, skip_serializing_if_is_none)]
pub struct ValuePatch {
    /// 1 to 100 characters, unique within the attribute (case-insensitive). Every sku that uses
    /// the value changes with it. `null` or absent leaves it unchanged.
    pub name: Option<Text>,
}

impl poem_openapi::types::Example for ValuePatch {
    fn example() -> Self {
        ValuePatch { name: Some("X-Small".into()) }
    }
}

/// A new order of an attribute's values.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example, skip_serializing_if_is_none)]
pub struct ValueOrder {
    /// Every value id of the attribute, each exactly once, first to last.
    pub ids: Vec<i64>,
}

impl poem_openapi::types::Example for ValueOrder {
    fn example() -> Self {
        ValueOrder { ids: vec![14, 12, 13] }
    }
}

/// The values after a reorder.
#[derive(ApiResponse)]
pub enum Reordered {
    /// The attribute's values in their new order (positions 0..n-1), shaped by the mask; `ETag`
    /// is the attribute's new one.
    #[oai(status = 200)]
    Ok(MaskedList<AttributeValueDoc>, #[oai(header = "ETag")] String),
}

#[OpenApi(prefix_path = "/api/v1/catalog", tag = "ApiTags::Catalog")]
impl AttributesApi {
    /// List attributes
    ///
    /// Sales executives and above (admin buyers and shoppers get 403). Staff
    /// see their distributor's attributes, super admins every one. The whole
    /// query language applies; `X-Fields: {id,name,values{name}}` embeds the
    /// values in their order.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/attributes", method = "get", operation_id = "list_attributes")]
    async fn list_attributes(
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
    ) -> ApiResult<ListResponse<AttributeDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, who, &args, request).await
    }

    /// Create an attribute
    ///
    /// Sales executives, managers and super admins (others get 403). The
    /// attribute belongs to the caller's distributor (super admins name it in
    /// `distributor_id`); `values` become its first values in the order given.
    /// Invalid fields are a 422 listing each (a value named twice included);
    /// a taken name is a 409.
    #[oai(path = "/attributes", method = "post", operation_id = "create_attribute")]
    async fn create_attribute(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<AttributeCreate>,
    ) -> ApiResult<Created<AttributeDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &ATTRIBUTE, who.role)?;
        let body = body.0;
        let owner = owning_distributor(who, body.distributor_id, "attributes");
        let name = body.name.trim().to_owned();
        let values: Vec<String> = body.values.into_iter().map(|v| v.trim().to_owned()).collect();
        let mut errors: Vec<FieldError> = owner.as_ref().err().cloned().into_iter().collect();
        errors.extend(validators::attribute::attribute(&name, &values).into_iter().map(FieldError::from));
        let distributor_id = match owner {
            Ok(d) if errors.is_empty() => d,
            _ => return Err(ApiError::unprocessable(errors)),
        };

        let mut tx = begin(&state).await?;
        require_live_distributor(&mut tx, distributor_id).await?;
        let id = storage::attributes::create(&mut tx, distributor_id, &name, &values)
            .await
            .map_err(on_constraint(CREATE_CONSTRAINTS, &name))?;
        commit(tx).await?;
        let (body, tag) = read_back::<AttributeDoc>(&state, who, &selection, id).await?;
        Ok(Created::Created(body, format!("/api/v1/catalog/attributes/{id}"), tag))
    }

    /// Read an attribute
    ///
    /// Sales executives and above (admin buyers and shoppers get 403); 404
    /// when absent or another distributor's. The `ETag` changes with the
    /// attribute's name and with every change of its values (added, renamed,
    /// deleted, reordered).
    #[oai(path = "/attributes/:id", method = "get", operation_id = "read_attribute")]
    async fn read_attribute(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The attribute's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<AttributeDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &ATTRIBUTE, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Rename an attribute
    ///
    /// Staff of the attribute's distributor and super admins (admin buyers
    /// and shoppers get 403, other distributors 404). Honours `If-Match` (412
    /// when stale). A taken name is a 409. Draft campaign items that copy the
    /// attribute's name are updated with it.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/attributes/:id", method = "patch", operation_id = "update_attribute")]
    async fn update_attribute(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The attribute's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<AttributePatch>,
    ) -> ApiResult<Written<AttributeDoc>> {
        let who = auth.principal();
        let id = id.0;
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &ATTRIBUTE, who.role)?;
        let expected = if_match.expected(ATTRIBUTE.model, id)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::attributes::load(&mut *tx, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        if let Some(name) = body.0.name.map(|n| n.trim().to_owned()) {
            name_error(&name)?;
            if name != current.name {
                storage::attributes::rename(&mut *tx, id, expected, &name)
                    .await
                    .map_err(on_constraint(CONSTRAINTS, &name))?;
                // Draft campaign items copy "attribute: value" pairs.
                storage::derived::refresh(&mut tx, Affected::Attribute(id)).await?;
            }
        }
        commit(tx).await?;
        let (body, tag) = read_back::<AttributeDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete an attribute
    ///
    /// Staff of the attribute's distributor and super admins (admin buyers
    /// and shoppers get 403, other distributors 404). Its values go with it.
    /// An attribute a product type uses is a 409. Honours `If-Match`.
    #[oai(path = "/attributes/:id", method = "delete", operation_id = "delete_attribute")]
    async fn delete_attribute(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The attribute's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        who.require(Role::SalesExecutive)?;
        let expected = if_match.expected(ATTRIBUTE.model, id)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::attributes::load(&mut *tx, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        let types = storage::attributes::product_type_count(&mut *tx, id).await?;
        if types > 0 {
            return Err(ApiError::conflict(format!(
                "the attribute is used by {types} product type(s); remove it from them first"
            )));
        }
        if !storage::attributes::used_value_ids(&mut *tx, id).await?.is_empty() {
            return Err(ApiError::conflict("variants use values of this attribute; delete them first"));
        }
        storage::attributes::delete(&mut *tx, id, expected).await?;
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }

    /// List an attribute's values
    ///
    /// Sales executives and above (admin buyers and shoppers get 403); 404
    /// when the attribute is absent or another distributor's. In their order
    /// unless sorted otherwise; the whole query language applies.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/attributes/:id/values", method = "get", operation_id = "list_attribute_values")]
    async fn list_attribute_values(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        /// The attribute's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<AttributeValueDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        staff_row(who, storage::attributes::load(&state.pool, id.0, Lock::None).await?)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&ATTRIBUTE_VALUE, who.role)?;
        of_attribute(&mut query, id.0)?;
        resource::list_query(&state, who, &query, request).await
    }

    /// Add a value to an attribute
    ///
    /// Staff of the attribute's distributor and super admins (admin buyers
    /// and shoppers get 403, other distributors 404). The value goes at the
    /// end, or at `position` (0 to the number of values; the later values
    /// move one place down). A bad name or position is a 422; a name the
    /// attribute already has is a 409, and so is a 501st value.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/attributes/:id/values", method = "post", operation_id = "create_attribute_value")]
    async fn create_attribute_value(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The attribute's id.
        id: Path<i64>,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<ValueCreate>,
    ) -> ApiResult<Created<AttributeValueDoc>> {
        let who = auth.principal();
        let id = id.0;
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &ATTRIBUTE_VALUE, who.role)?;
        let name = body.0.name.trim().to_owned();
        let mut tx = begin(&state).await?;
        let attribute = staff_row(who, storage::attributes::load(&mut *tx, id, Lock::Update).await?)?;
        let count = storage::attributes::values(&mut *tx, id).await?.len();
        let mut issues: Vec<_> = validators::attribute::name_issue("name", &name).into_iter().collect();
        if let Some(p) = body.0.position {
            issues.extend(validators::attribute::position_issue(p, count));
        }
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        if count >= MAX_VALUES {
            return Err(ApiError::conflict(format!("an attribute has at most {MAX_VALUES} values")));
        }
        let value = storage::attributes::add_value(&mut tx, id, attribute.distributor_id, &name, body.0.position)
            .await
            .map_err(on_constraint(CONSTRAINTS, &name))?;
        storage::attributes::touch(&mut *tx, id, None).await?;
        commit(tx).await?;
        let (body, tag) = read_back::<AttributeValueDoc>(&state, who, &selection, value).await?;
        Ok(Created::Created(body, value_path(id, value), tag))
    }

    /// Reorder an attribute's values
    ///
    /// Staff of the attribute's distributor and super admins (admin buyers
    /// and shoppers get 403, other distributors 404). `ids` must list every
    /// value of the attribute exactly once, first to last: a 422 says which
    /// ids are missing, repeated or not values of this attribute, and
    /// nothing changes. Honours `If-Match` with the attribute's ETag (412
    /// when its values changed since you read it). Skus keep their order
    /// (that is the product type's attribute order), so they do not change.
    /// Returns the values in their new order and the attribute's new ETag.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/attributes/:id/values/order", method = "put", operation_id = "reorder_attribute_values")]
    async fn reorder_attribute_values(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The attribute's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<ValueOrder>,
    ) -> ApiResult<Reordered> {
        let who = auth.principal();
        let id = id.0;
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &ATTRIBUTE_VALUE, who.role)?;
        let expected = if_match.expected(ATTRIBUTE.model, id)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::attributes::load(&mut *tx, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        let values: Vec<i64> = storage::attributes::values(&mut *tx, id).await?.into_iter().map(|v| v.id).collect();
        let issues = validators::attribute::reorder(&body.0.ids, &values);
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        storage::attributes::reorder(&mut *tx, id, &body.0.ids).await?;
        storage::attributes::touch(&mut *tx, id, expected).await?;
        let version = staff_row(who, storage::attributes::load(&mut *tx, id, Lock::None).await?)?.version;
        commit(tx).await?;

        // Every value fits one page (an attribute has at most MAX_VALUES).
        let mut query = ListQuery {
            selection,
            filter: None,
            sort: validators::query::default_sort(&ATTRIBUTE_VALUE),
            page: Page { size: limits::MAX_PAGE_SIZE, mode: PageMode::Keyset { cursor: None } },
            count: false,
        };
        of_attribute(&mut query, id)?;
        // The read-back of this write: on the primary, not the replica.
        let page = storage::read::list(&state.pool, who, &query, &state.cursors).await?;
        // The attribute's own tag, as a read of it with the default fields gives.
        let defaults = validators::query::select(None, &ATTRIBUTE, who.role)?;
        let tag = resource::representation_etag(ATTRIBUTE.model, id, version, &defaults);
        Ok(Reordered::Ok(MaskedList::new(page.items), tag))
    }

    /// Read a value
    ///
    /// Sales executives and above (admin buyers and shoppers get 403); 404
    /// when the value is absent, of another attribute, or the attribute is
    /// another distributor's. Returns the value's `ETag`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/attributes/:id/values/:value_id", method = "get", operation_id = "read_attribute_value")]
    async fn read_attribute_value(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The attribute's id.
        id: Path<i64>,
        /// The value's id.
        value_id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<AttributeValueDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &ATTRIBUTE_VALUE, who.role)?;
        storage::attributes::find_value(&state.pool, id.0, value_id.0, Lock::None)
            .await?
            .ok_or_else(ApiError::not_found)?;
        // The read applies the caller's scope (the attribute's distributor).
        resource::read_one(&state, who, &selection, value_id.0, if_none_match.0.as_deref()).await
    }

    /// Rename a value
    ///
    /// Staff of the attribute's distributor and super admins (admin buyers
    /// and shoppers get 403, other distributors 404). Honours `If-Match` with
    /// the value's ETag. A name the attribute already has is a 409. Every
    /// variant sku using the value, and the draft campaign items copying it,
    /// change with it.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/attributes/:id/values/:value_id", method = "patch", operation_id = "update_attribute_value")]
    async fn update_attribute_value(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The attribute's id.
        id: Path<i64>,
        /// The value's id.
        value_id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<ValuePatch>,
    ) -> ApiResult<Written<AttributeValueDoc>> {
        let who = auth.principal();
        let (id, value_id) = (id.0, value_id.0);
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &ATTRIBUTE_VALUE, who.role)?;
        let expected = if_match.expected(ATTRIBUTE_VALUE.model, value_id)?;
        let mut tx = begin(&state).await?;
        staff_row(who, storage::attributes::load(&mut *tx, id, Lock::Update).await?)?;
        let current = storage::attributes::find_value(&mut *tx, id, value_id, Lock::Update)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let expected = check_version(&expected, current.version)?;
        if let Some(name) = body.0.name.map(|n| n.trim().to_owned()) {
            name_error(&name)?;
            if name != current.name {
                storage::attributes::rename_value(&mut *tx, value_id, expected, &name)
                    .await
                    .map_err(on_constraint(CONSTRAINTS, &name))?;
                storage::attributes::touch(&mut *tx, id, None).await?;
                storage::derived::refresh(&mut tx, Affected::AttributeValue(value_id)).await?;
            }
        }
        commit(tx).await?;
        let (body, tag) = read_back::<AttributeValueDoc>(&state, who, &selection, value_id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete a value
    ///
    /// Staff of the attribute's distributor and super admins (admin buyers
    /// and shoppers get 403, other distributors 404). A value a variant uses
    /// is a 409. The later values move up one place, so positions stay
    /// 0..n-1. Honours `If-Match` with the value's ETag.
    #[oai(path = "/attributes/:id/values/:value_id", method = "delete", operation_id = "delete_attribute_value")]
    async fn delete_attribute_value(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The attribute's id.
        id: Path<i64>,
        /// The value's id.
        value_id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let (id, value_id) = (id.0, value_id.0);
        who.require(Role::SalesExecutive)?;
        let expected = if_match.expected(ATTRIBUTE_VALUE.model, value_id)?;
        let mut tx = begin(&state).await?;
        staff_row(who, storage::attributes::load(&mut *tx, id, Lock::Update).await?)?;
        let current = storage::attributes::find_value(&mut *tx, id, value_id, Lock::Update)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let expected = check_version(&expected, current.version)?;
        let variants = storage::attributes::value_variant_count(&mut *tx, value_id).await?;
        if variants > 0 {
            return Err(ApiError::conflict(format!(
                "the value is used by {variants} variant(s); delete or change them first"
            )));
        }
        storage::attributes::delete_value(&mut tx, value_id, expected).await?;
        storage::attributes::touch(&mut *tx, id, None).await?;
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }
}
