//! Product types (Wearables, Mugs): the attributes their variants vary by, in
//! sku order, and the vendors that serve them. Staff-only, like the whole
//! catalog.
//!
//! Once a product of the type has variants its attributes are fixed (each
//! variant holds exactly one value of each, in that order); its name and
//! vendors may still change.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, ListResponse, ProductTypeDoc, ReadResponse};
use crate::state::AppState;
use crate::strict::Text;
use crate::tags::ApiTags;
use crate::write::{
    Constraint, Created, Deleted, Written, begin, check_version, commit, on_constraint, owning_distributor, read_back,
    require_live_distributor, staff_row,
};
use domain::Role;
use domain::catalog::ProductTypeFields;
use domain::resource::PRODUCT_TYPE;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use storage::derived::Affected;
use storage::write::Lock;
use validators::FieldIssue;
use validators::product_type::unknown_ids;

#[derive(Default)]
pub struct ProductTypesApi;

/// What the product types' constraints mean to a client.
const CONSTRAINTS: &[Constraint] = &[Constraint {
    name: "product_types_name_key",
    field: "name",
    message: "this distributor already has a product type named \"{}\"",
}];

/// Issues for the ids (of those given) that are not attributes or vendors
/// of `distributor_id`: an absent id and another distributor's read the same.
async fn reference_issues(
    conn: &mut storage::Connection,
    distributor_id: i64,
    attribute_ids: Option<&[i64]>,
    vendor_ids: Option<&[i64]>,
) -> ApiResult<Vec<FieldIssue>> {
    let mut issues = Vec::new();
    if let Some(ids) = attribute_ids.filter(|ids| !ids.is_empty()) {
        let known = storage::product_types::attributes_of(&mut *conn, distributor_id, ids).await?;
        issues.extend(unknown_ids("attribute_ids", ids, &known, "attribute"));
    }
    if let Some(ids) = vendor_ids.filter(|ids| !ids.is_empty()) {
        let known = storage::product_types::vendors_of(&mut *conn, distributor_id, ids).await?;
        issues.extend(unknown_ids("vendor_ids", ids, &known, "vendor"));
    }
    Ok(issues)
}

fn sorted(ids: &[i64]) -> Vec<i64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids
}

/// A new product type.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example, skip_serializing_if_is_none)]
pub struct ProductTypeCreate {
    /// The distributor it belongs to. Super admins must give it; others may omit it (it is always
    /// their own).
    pub distributor_id: Option<i64>,
    /// 1 to 100 characters, unique within the distributor (case-insensitive).
    pub name: Text,
    /// The attributes every variant has one value of, in sku order: distinct attributes of the
    /// same distributor, at most 20 (default none).
    #[oai(default)]
    pub attribute_ids: Vec<i64>,
    /// The vendors that serve this type: distinct vendors of the same distributor (default none).
    #[oai(default)]
    pub vendor_ids: Vec<i64>,
}

impl poem_openapi::types::Example for ProductTypeCreate {
    fn example() -> Self {
        ProductTypeCreate {
            distributor_id: None,
            name: "Wearables".into(),
            attribute_ids: vec![3, 1],
            vendor_ids: vec![7],
        }
    }
}

/// Changes to a product type: only the parts sent change (`null` leaves a
/// part unchanged, like leaving it out); a list sent replaces the old one.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, nullable_all, example, skip_serializing_if_is_none)]
pub struct ProductTypePatch {
    /// 1 to 100 characters, unique within the distributor (case-insensitive).
    pub name: Option<Text>,
    /// The attributes in sku order. Changing them (which or their order) is a 409 once a product
    /// of this type has variants.
    pub attribute_ids: Option<Vec<i64>>,
    /// The vendors that serve this type.
    pub vendor_ids: Option<Vec<i64>>,
}

impl poem_openapi::types::Example for ProductTypePatch {
    fn example() -> Self {
        ProductTypePatch { name: Some("Apparel".into()), attribute_ids: None, vendor_ids: Some(vec![7, 9]) }
    }
}

#[OpenApi(prefix_path = "/api/v1/catalog", tag = "ApiTags::Catalog")]
impl ProductTypesApi {
    /// List product types
    ///
    /// Sales executives and above (admin buyers and shoppers get 403). Staff
    /// see their distributor's types, super admins every one. The whole
    /// query language applies; `X-Fields: {id,name,attributes{name,values{name}},vendors{name}}`
    /// embeds the attributes in sku order with their values in order, and
    /// the vendors.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/product-types", method = "get", operation_id = "list_product_types")]
    async fn list_product_types(
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
    ) -> ApiResult<ListResponse<ProductTypeDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, who, &args, request).await
    }

    /// Create a product type
    ///
    /// Sales executives, managers and super admins (others get 403). The type
    /// belongs to the caller's distributor (super admins name it in
    /// `distributor_id`). Invalid fields are a 422 listing each, including
    /// every id in `attribute_ids` or `vendor_ids` that is repeated or not an
    /// attribute or vendor of that distributor; a taken name is a 409.
    #[oai(path = "/product-types", method = "post", operation_id = "create_product_type")]
    async fn create_product_type(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<ProductTypeCreate>,
    ) -> ApiResult<Created<ProductTypeDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &PRODUCT_TYPE, who.role)?;
        let body = body.0;
        let owner = owning_distributor(who, body.distributor_id, "product types");
        let new = ProductTypeFields {
            name: body.name.trim().to_owned(),
            attribute_ids: body.attribute_ids,
            vendor_ids: body.vendor_ids,
        };
        let mut errors: Vec<FieldError> = owner.as_ref().err().cloned().into_iter().collect();
        let issues = validators::product_type::product_type(&new);
        errors.extend(issues.into_iter().map(FieldError::from));
        let distributor_id = match owner {
            Ok(d) if errors.is_empty() => d,
            _ => return Err(ApiError::unprocessable(errors)),
        };

        let mut tx = begin(&state).await?;
        require_live_distributor(&mut tx, distributor_id).await?;
        let issues = reference_issues(&mut tx, distributor_id, Some(&new.attribute_ids), Some(&new.vendor_ids)).await?;
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        let id = storage::product_types::create(&mut tx, distributor_id, &new)
            .await
            .map_err(on_constraint(CONSTRAINTS, &new.name))?;
        commit(tx).await?;
        let (body, tag) = read_back::<ProductTypeDoc>(&state, who, &selection, id).await?;
        Ok(Created::Created(body, format!("/api/v1/catalog/product-types/{id}"), tag))
    }

    /// Read a product type
    ///
    /// Sales executives and above (admin buyers and shoppers get 403); 404
    /// when absent or another distributor's. The `ETag` changes with the
    /// name and with the attribute and vendor lists.
    #[oai(path = "/product-types/:id", method = "get", operation_id = "read_product_type")]
    async fn read_product_type(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The product type's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<ProductTypeDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &PRODUCT_TYPE, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Edit a product type
    ///
    /// Staff of the type's distributor and super admins (admin buyers and
    /// shoppers get 403, other distributors 404). Honours `If-Match` (412
    /// when stale). Invalid fields and ids are a 422 as on create; a taken
    /// name is a 409; changing `attribute_ids` (which attributes or their
    /// order) once a product of this type has variants is a 409. A rename
    /// reaches the draft campaign items that copy the type's name.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/product-types/:id", method = "patch", operation_id = "update_product_type")]
    async fn update_product_type(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The product type's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<ProductTypePatch>,
    ) -> ApiResult<Written<ProductTypeDoc>> {
        let who = auth.principal();
        let id = id.0;
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &PRODUCT_TYPE, who.role)?;
        let expected = if_match.expected(PRODUCT_TYPE.model, id)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::product_types::load(&mut *tx, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        let distributor_id = current.distributor_id;
        let body = body.0;
        let current = &current.fields;
        let next = ProductTypeFields {
            name: body.name.map_or_else(|| current.name.clone(), |n| n.trim().to_owned()),
            attribute_ids: body.attribute_ids.unwrap_or_else(|| current.attribute_ids.clone()),
            vendor_ids: body.vendor_ids.unwrap_or_else(|| current.vendor_ids.clone()),
        };
        let attributes_changed = next.attribute_ids != current.attribute_ids;
        let vendors_changed = sorted(&next.vendor_ids) != current.vendor_ids;
        let mut issues = validators::product_type::product_type(&next);
        if issues.is_empty() {
            issues = reference_issues(
                &mut tx,
                distributor_id,
                attributes_changed.then_some(next.attribute_ids.as_slice()),
                vendors_changed.then_some(next.vendor_ids.as_slice()),
            )
            .await?;
        }
        if !issues.is_empty() {
            return Err(from_issues(issues));
        }
        if attributes_changed && storage::product_types::has_variants(&mut *tx, id).await? {
            return Err(ApiError::conflict(
                "products of this type have variants, which hold one value of each attribute in this order; \
                 its attribute_ids can no longer change",
            ));
        }
        if next.name != current.name || attributes_changed || vendors_changed {
            storage::product_types::update(&mut tx, id, distributor_id, expected, &next, current)
                .await
                .map_err(on_constraint(CONSTRAINTS, &next.name))?;
        }
        if next.name != current.name {
            storage::derived::refresh(&mut tx, Affected::ProductType(id)).await?;
        }
        commit(tx).await?;
        let (body, tag) = read_back::<ProductTypeDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete a product type
    ///
    /// Staff of the type's distributor and super admins (admin buyers and
    /// shoppers get 403, other distributors 404). A type any product uses,
    /// deleted products included, is a 409. Honours `If-Match`.
    #[oai(path = "/product-types/:id", method = "delete", operation_id = "delete_product_type")]
    async fn delete_product_type(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The product type's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        who.require(Role::SalesExecutive)?;
        let expected = if_match.expected(PRODUCT_TYPE.model, id)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::product_types::load(&mut *tx, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        let products = storage::product_types::product_count(&mut *tx, id).await?;
        if products > 0 {
            return Err(ApiError::conflict(format!(
                "the product type is used by {products} product(s) (deleted ones included); it cannot be deleted"
            )));
        }
        storage::product_types::delete(&mut *tx, id, expected).await?;
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }
}
