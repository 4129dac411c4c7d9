//! Products: list and read through the query language; create, edit and
//! soft-delete.
//!
//! Products are staff-only: sales executives, managers and super admins
//! (admin buyers and shoppers get 403; another distributor's products are
//! 404). A deleted product stays readable by id (`is_deleted: true`) because
//! its variants and the campaign items made from them still point at it, but
//! lists leave it out unless the filter asks about `is_deleted`, and its item
//! number is free for a new product.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, field_errors};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, ListResponse, ProductDoc, ReadResponse};
use crate::state::AppState;
use crate::strict::Text;
use crate::tags::ApiTags;
use crate::write::{
    Constraint, Created, Deleted, Written, begin, check_version, commit, field_of, on_constraint, owning_distributor,
    read_back, staff_row,
};
use domain::catalog::ProductFields;
use domain::resource::PRODUCT;
use domain::{Principal, Role};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use storage::derived::Affected;
use storage::products::Product;
use storage::write::Lock;

#[derive(Default)]
pub struct ProductsApi;

/// A new product.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct ProductCreate {
    /// The distributor whose catalog gets the product. Super admins must give it; others may omit
    /// it (it is always their own).
    pub distributor_id: Option<i64>,
    /// 1 to 200 characters (trimmed).
    pub name: Text,
    /// 1 to 64 characters, no blanks at either end; unique (case-insensitive) among the
    /// distributor's products that are not deleted. Every variant's sku starts with it.
    pub item_number: Text,
    /// A product type of the same distributor: its attributes are what the variants vary by.
    pub product_type_id: i64,
    /// A description for shoppers, at most 10000 characters.
    pub description: Option<Text>,
    /// Uploaded files of the same distributor (`POST /api/v1/minor/resources`), in display order;
    /// at most 50, no repeats.
    pub image_ids: Option<Vec<i64>>,
}

impl poem_openapi::types::Example for ProductCreate {
    fn example() -> Self {
        ProductCreate {
            distributor_id: None,
            name: "Classic tee".into(),
            item_number: "TS-100".into(),
            product_type_id: 3,
            description: Some("Heavyweight cotton tee, printed front and back.".into()),
            image_ids: Some(vec![41, 42]),
        }
    }
}

/// Changes to a product: only the fields sent change.
///
/// `null` on a field leaves it unchanged, like leaving it out.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example, nullable_all)]
pub struct ProductPatch {
    /// 1 to 200 characters (trimmed).
    pub name: Option<Text>,
    /// 1 to 64 characters, no blanks at either end, unique among the distributor's products that
    /// are not deleted. Changing it changes every variant's sku.
    pub item_number: Option<Text>,
    /// Another product type of the same distributor; only while the product has no variants
    /// (409 otherwise).
    pub product_type_id: Option<i64>,
    /// At most 10000 characters.
    pub description: Option<Text>,
    /// Replaces the whole list of images (uploaded files of the same distributor), in order.
    pub image_ids: Option<Vec<i64>>,
}

impl poem_openapi::types::Example for ProductPatch {
    fn example() -> Self {
        ProductPatch {
            name: Some("Classic tee (2027)".into()),
            item_number: None,
            product_type_id: None,
            description: None,
            image_ids: Some(vec![42, 41]),
        }
    }
}

impl ProductPatch {
    fn apply(self, current: &ProductFields) -> ProductFields {
        let c = current.clone();
        ProductFields {
            name: self.name.map_or(c.name, |n| n.trim().to_owned()),
            item_number: self.item_number.map_or(c.item_number, Into::into),
            description: self.description.map_or(c.description, Into::into),
            product_type_id: self.product_type_id.unwrap_or(c.product_type_id),
            image_ids: self.image_ids.unwrap_or(c.image_ids),
        }
    }
}

fn product_path(id: i64) -> String {
    format!("/api/v1/catalog/products/{id}")
}

/// The product for a write by staff: 403 for callers below sales executive
/// (before any lookup, so they cannot tell which ids exist), 404 when absent
/// or another distributor's.
pub(crate) async fn product_for_write(
    db: &mut storage::Connection,
    who: &Principal,
    id: i64,
    lock: Lock,
) -> ApiResult<Product> {
    who.require(Role::SalesExecutive)?;
    let product = staff_row(who, storage::products::load(db, id, lock).await?)?;
    Ok(product)
}

/// The rules on the product's own fields (no lookups).
fn own_field_errors(f: &ProductFields) -> Vec<FieldError> {
    field_errors(validators::product::product(f))
}

/// The product type and images, looked up in `distributor_id`: another
/// distributor's are as unknown as absent ones.
async fn reference_errors(
    db: &mut storage::Connection,
    distributor_id: i64,
    f: &ProductFields,
    errors: &mut Vec<FieldError>,
) -> ApiResult<()> {
    if !storage::products::product_type_exists(&mut *db, distributor_id, f.product_type_id).await? {
        errors.push(FieldError::new("product_type_id", "not_found", "no such product type"));
    }
    let unknown = storage::products::unknown_files(&mut *db, distributor_id, &f.image_ids).await?;
    if !unknown.is_empty() {
        errors.push(FieldError::new(
            "image_ids",
            "not_found",
            format!("no such file: {}", validators::product::join(&unknown)),
        ));
    }
    Ok(())
}

/// What the products' constraints mean to a client.
const CONSTRAINTS: &[Constraint] = &[Constraint {
    name: "products_item_number_key",
    field: "item_number",
    message: "this distributor already has a product with item number \"{}\"",
}];

#[OpenApi(prefix_path = "/api/v1/catalog", tag = "ApiTags::Catalog")]
impl ProductsApi {
    /// List products
    ///
    /// Sales executives, managers (their distributor's products) and super
    /// admins (every distributor's); admin buyers and shoppers get 403. The
    /// whole query language applies. Deleted products are left out unless
    /// the filter mentions `is_deleted` (e.g.
    /// `[{"field":"is_deleted","op":"==","value":true}]`). Relations load in
    /// one batched statement each, e.g.
    /// `X-Fields: {id,name,variants{sku,attribute_values{name}},images{id,content_type},product_type{name}}`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/products", method = "get", operation_id = "list_products")]
    async fn list_products(
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
    ) -> ApiResult<ListResponse<ProductDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&PRODUCT, who.role)?;
        // Staff may list deleted products to restore their data elsewhere
        // (they read them by id anyway) by filtering on `is_deleted`.
        query.hide_deleted(field_of(&PRODUCT, "is_deleted")?, true);
        resource::list_query(&state, who, &query, request).await
    }

    /// Create a product
    ///
    /// Sales executives, managers and super admins (others 403). The product
    /// belongs to the caller's distributor (super admins name it in
    /// `distributor_id`). 422 lists every invalid field, including a product
    /// type or image that is not the distributor's ("no such …"); 409 when
    /// the item number is taken by a product that is not deleted. Answers
    /// 201 with the product, its URL in `Location` and its `ETag`.
    #[oai(path = "/products", method = "post", operation_id = "create_product")]
    async fn create_product(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<ProductCreate>,
    ) -> ApiResult<Created<ProductDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &PRODUCT, who.role)?;
        let body = body.0;
        let mut errors = Vec::new();
        let distributor_id = owning_distributor(who, body.distributor_id, "products").map_err(|e| errors.push(e)).ok();
        let new = ProductFields {
            name: body.name.trim().to_owned(),
            item_number: body.item_number.into(),
            description: body.description.map(Into::into).unwrap_or_default(),
            product_type_id: body.product_type_id,
            image_ids: body.image_ids.unwrap_or_default(),
        };
        errors.extend(own_field_errors(&new));
        let Some(distributor_id) = distributor_id else {
            return Err(ApiError::unprocessable(errors));
        };

        let mut tx = begin(&state).await?;
        if storage::campaigns::distributor_is_live(&mut *tx, distributor_id).await? {
            reference_errors(&mut tx, distributor_id, &new, &mut errors).await?;
        } else {
            errors.push(FieldError::new("distributor_id", "not_found", "no such distributor"));
        }
        if !errors.is_empty() {
            return Err(ApiError::unprocessable(errors));
        }
        let id = storage::products::create(&mut *tx, distributor_id, &new)
            .await
            .map_err(on_constraint(CONSTRAINTS, &new.item_number))?;
        commit(tx).await?;
        tracing::info!(product.id = id, "product created");
        let (body, tag) = read_back::<ProductDoc>(&state, who, &selection, id).await?;
        Ok(Created::Created(body, product_path(id), tag))
    }

    /// Read a product
    ///
    /// Sales executives, managers and super admins (others 403); another
    /// distributor's product is 404. A deleted product is still readable
    /// (`is_deleted: true`). `If-None-Match` with the current `ETag` is 304.
    #[oai(path = "/products/:id", method = "get", operation_id = "get_product")]
    async fn get_product(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The product's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<ProductDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &PRODUCT, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Edit a product
    ///
    /// Staff of the product's distributor and super admins (admin buyers and
    /// shoppers 403, another distributor's product 404). Honours `If-Match`
    /// (412 when stale). A deleted product cannot change (409). Changing
    /// `product_type_id` while the product has variants is a 409; a taken
    /// item number is a 409; invalid fields (an unknown product type or image
    /// included) are a 422 listing each. A new item number or name reaches
    /// every variant's sku and every draft campaign item made from them in
    /// the same transaction.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/products/:id", method = "patch", operation_id = "update_product")]
    async fn update_product(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The product's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<ProductPatch>,
    ) -> ApiResult<Written<ProductDoc>> {
        let who = auth.principal();
        let id = id.0;
        let selection = crate::params::selection(&x_fields, &fields, &PRODUCT, who.role)?;
        let expected = if_match.expected(PRODUCT.model, id)?;
        let mut tx = begin(&state).await?;
        let current = product_for_write(&mut tx, who, id, Lock::Update).await?;
        let expected = check_version(&expected, current.version)?;
        if current.is_deleted {
            return Err(ApiError::conflict("this product is deleted; it can no longer change"));
        }
        let next = body.0.apply(&current.fields);
        let mut errors = own_field_errors(&next);
        reference_errors(&mut tx, current.distributor_id, &next, &mut errors).await?;
        if !errors.is_empty() {
            return Err(ApiError::unprocessable(errors));
        }
        let was = &current.fields;
        if next.product_type_id != was.product_type_id && storage::products::has_variants(&mut *tx, id).await? {
            return Err(ApiError::conflict(
                "the product type cannot change while the product has variants; delete them first",
            ));
        }
        if next != *was {
            storage::products::update(&mut tx, id, expected, &next, next.image_ids != was.image_ids)
                .await
                .map_err(on_constraint(CONSTRAINTS, &next.item_number))?;
            let derived_inputs_changed = next.item_number != was.item_number
                || next.name != was.name
                || next.description != was.description
                || next.product_type_id != was.product_type_id;
            if derived_inputs_changed {
                storage::derived::refresh(&mut tx, Affected::Product(id)).await?;
            }
        }
        commit(tx).await?;
        let (body, tag) = read_back::<ProductDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete a product
    ///
    /// Staff of the product's distributor and super admins (admin buyers and
    /// shoppers 403, another distributor's product 404). A soft delete: the
    /// product leaves lists, its item number is free again, and it stays
    /// readable by id with `is_deleted: true` (its variants and the campaign
    /// items made from them keep working). No new variants can be added to
    /// it. Deleting it again changes nothing. Honours `If-Match` (412 when
    /// stale).
    #[oai(path = "/products/:id", method = "delete", operation_id = "delete_product")]
    async fn delete_product(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The product's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        let expected = if_match.expected(PRODUCT.model, id)?;
        let mut tx = begin(&state).await?;
        let current = product_for_write(&mut tx, who, id, Lock::Update).await?;
        let expected = check_version(&expected, current.version)?;
        storage::products::soft_delete(&mut *tx, id, expected).await?;
        commit(tx).await?;
        tracing::info!(product.id = id, "product deleted");
        Ok(Deleted::NoContent)
    }
}
