//! Product variants: one buyable combination of a product's attribute values,
//! bought from a supplier. Listed per product through the query language,
//! created one at a time or as every combination of chosen values at once
//! (bulk), edited and deleted.
//!
//! Staff-only like products. A variant's `sku` is derived (the product's item
//! number, then its value names in the type's attribute order): every write
//! refreshes it, and the draft campaign items made from the variant, in the
//! same transaction.

use super::products::product_for_write;
use crate::auth::scheme::Auth;
use crate::error::field_errors;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, ListResponse, Masked, ReadResponse, VariantDoc};
use crate::state::AppState;
use crate::strict::{Money, Text};
use crate::tags::ApiTags;
use crate::write::{
    Constraint, Created, Deleted, Written, begin, check_version, commit, field_of, on_constraint, read_back, staff_row,
};
use domain::catalog::VariantFields;
use domain::query::{Condition, Filter, ListQuery, Op, Operand, Page, PageMode, Scalar, Sort};
use domain::resource::VARIANT;
use domain::{Principal, Role};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use rust_decimal::Decimal;
use storage::derived::Affected;
use storage::products::Product;
use storage::variants::{KnownValue, NewVariants, TypeAttribute};
use storage::write::Lock;
use storage::{Connection, StorageError};
use validators::variant::PlacedValue;

#[derive(Default)]
pub struct VariantsApi;

/// A new variant of a product.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct VariantCreate {
    /// An active vendor of the product's distributor that is a supplier.
    pub supplier_id: i64,
    /// Exactly one value of each attribute of the product's type, in any order. A product has at
    /// most one variant per combination (409).
    pub value_ids: Vec<i64>,
    /// What the supplier charges per item: a decimal string, at most 2 places, not negative
    /// (default "0").
    pub vendor_cost: Option<Money>,
    /// Notes on this variant, at most 10000 characters.
    pub description: Option<Text>,
}

impl poem_openapi::types::Example for VariantCreate {
    fn example() -> Self {
        VariantCreate {
            supplier_id: 5,
            value_ids: vec![12, 27],
            vendor_cost: Some(Money(Decimal::new(410, 2))),
            description: None,
        }
    }
}

/// Changes to a variant: only the fields sent change.
///
/// `null` on a field leaves it unchanged, like leaving it out.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example, nullable_all)]
pub struct VariantPatch {
    /// An active supplier vendor of the product's distributor (checked only when it changes).
    pub supplier_id: Option<i64>,
    /// Exactly one value of each attribute of the product's type (replaces the values; the sku
    /// follows). Another variant's combination is a 409.
    pub value_ids: Option<Vec<i64>>,
    /// Decimal string, at most 2 places, not negative.
    pub vendor_cost: Option<Money>,
    /// At most 10000 characters.
    pub description: Option<Text>,
}

impl poem_openapi::types::Example for VariantPatch {
    fn example() -> Self {
        VariantPatch {
            supplier_id: None,
            value_ids: None,
            vendor_cost: Some(Money(Decimal::new(425, 2))),
            description: None,
        }
    }
}

/// The values of one attribute to combine.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct BulkAttributeValues {
    /// An attribute of the product's type.
    pub attribute_id: i64,
    /// At least one value of that attribute, no repeats.
    pub value_ids: Vec<i64>,
}

/// Every combination of the chosen values, as new variants.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct VariantBulkCreate {
    /// One entry for each attribute of the product's type (none missing, none extra). The
    /// combinations are every choice of one value per entry: at most 1000.
    pub values: Vec<BulkAttributeValues>,
    /// An active vendor of the product's distributor that is a supplier, for every new variant.
    pub supplier_id: i64,
    /// Every new variant's vendor cost: a decimal string, at most 2 places (default "0").
    pub vendor_cost: Option<Money>,
    /// Every new variant's description (default empty).
    pub description: Option<Text>,
}

impl poem_openapi::types::Example for VariantBulkCreate {
    fn example() -> Self {
        VariantBulkCreate {
            values: vec![
                BulkAttributeValues { attribute_id: 1, value_ids: vec![12, 13] },
                BulkAttributeValues { attribute_id: 2, value_ids: vec![25, 26, 27] },
            ],
            supplier_id: 5,
            vendor_cost: Some(Money(Decimal::new(410, 2))),
            description: None,
        }
    }
}

/// What a bulk creation did.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct VariantBulkResult {
    /// How many variants were created.
    pub created: u32,
    /// How many combinations the product already had (left as they are).
    pub skipped: u32,
    /// The created variants, shaped by `X-Fields` like a list, in combination order (the type's
    /// attribute order, then each attribute's value order).
    pub variants: Vec<Masked<VariantDoc>>,
}

/// The answer to a bulk creation.
#[derive(ApiResponse)]
pub enum BulkCreated {
    /// At least one variant was created.
    #[oai(status = 201)]
    Created(Json<VariantBulkResult>),
    /// Every combination existed already: nothing was created.
    #[oai(status = 200)]
    NothingNew(Json<VariantBulkResult>),
}

fn variant_path(id: i64) -> String {
    format!("/api/v1/catalog/variants/{id}")
}

/// 409 for a product that is deleted: it takes no new variants.
fn require_live(product: &Product) -> ApiResult<()> {
    if product.is_deleted {
        return Err(ApiError::conflict("this product is deleted; it takes no new variants"));
    }
    Ok(())
}

/// What the variants' constraints mean to a client.
const CONSTRAINTS: &[Constraint] = &[Constraint {
    name: "product_variants_values_key",
    field: "value_ids",
    message: "this combination exists: the product already has a variant with these values",
}];

/// The supplier rule: an active supplier vendor of the distributor. Another
/// distributor's vendor is as unknown as an absent one.
async fn supplier_errors(
    db: &mut Connection,
    distributor_id: i64,
    supplier_id: i64,
    errors: &mut Vec<FieldError>,
) -> ApiResult<()> {
    match storage::variants::supplier(db, distributor_id, supplier_id).await? {
        None => errors.push(FieldError::new("supplier_id", "not_found", "no such vendor")),
        Some(s) if !s.is_supplier => {
            errors.push(FieldError::new("supplier_id", "not_supplier", "this vendor is not a supplier"))
        }
        Some(s) if !s.is_active => errors.push(FieldError::new("supplier_id", "inactive", "this vendor is inactive")),
        Some(_) => {}
    }
    Ok(())
}

/// The product type's attributes and the named values of the distributor,
/// as the validators take them.
struct Lookup {
    attributes: Vec<TypeAttribute>,
    known: Vec<KnownValue>,
}

impl Lookup {
    async fn load(db: &mut Connection, product: &Product, value_ids: &[i64]) -> ApiResult<Lookup> {
        let attributes = storage::variants::type_attributes(&mut *db, product.fields.product_type_id).await?;
        let known = storage::variants::values(&mut *db, product.distributor_id, value_ids).await?;
        Ok(Lookup { attributes, known })
    }

    fn attributes(&self) -> Vec<validators::variant::TypeAttribute<'_>> {
        self.attributes
            .iter()
            .map(|a| validators::variant::TypeAttribute { id: a.id, name: &a.name, position: a.position })
            .collect()
    }

    fn known(&self) -> Vec<validators::variant::KnownValue<'_>> {
        self.known
            .iter()
            .map(|v| validators::variant::KnownValue {
                id: v.id,
                attribute_id: v.attribute_id,
                attribute_name: &v.attribute_name,
                name: &v.name,
                position: v.position,
            })
            .collect()
    }

    /// One variant's values checked against the type.
    fn place(&self, value_ids: &[i64]) -> Result<Vec<PlacedValue>, Vec<FieldError>> {
        validators::variant::values(&self.attributes(), value_ids, &self.known()).map_err(field_errors)
    }
}

/// The created variants shaped by the caller's mask, in creation order (one
/// list statement plus one per relation, like any list).
async fn read_created(
    state: &AppState,
    who: &Principal,
    selection: domain::query::Selection,
    ids: &[i64],
) -> ApiResult<Vec<Masked<VariantDoc>>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let field = field_of(&VARIANT, "id")?;
    let size = u32::try_from(ids.len()).map_err(|e| ApiError::internal(&e))?;
    let query = ListQuery {
        selection,
        filter: Some(Filter::Cond(Condition {
            via: None,
            field,
            key: None,
            op: Op::In,
            operand: Operand::List(ids.iter().map(|id| Scalar::Int(*id)).collect()),
        })),
        // No sort keys: the tiebreak on id is the creation order.
        sort: Sort::default(),
        page: Page { size, mode: PageMode::Keyset { cursor: None } },
        count: false,
    };
    // The read-back of the creation: on the primary, not the replica.
    let page = storage::read::list(&state.pool, who, &query, &state.cursors).await?;
    Ok(page.items.into_iter().map(Masked::new).collect())
}

#[OpenApi(prefix_path = "/api/v1/catalog", tag = "ApiTags::Catalog")]
impl VariantsApi {
    /// List a product's variants
    ///
    /// Staff of the product's distributor and super admins (admin buyers and
    /// shoppers 403; another distributor's product 404). The whole query
    /// language applies within the product, e.g.
    /// `X-Fields: {id,sku,vendor_cost,attribute_values{name},supplier{name}}`.
    /// Variants of a deleted product are listed too.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/products/:id/variants", method = "get", operation_id = "list_variants")]
    async fn list_variants(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        /// The product's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<VariantDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        staff_row(who, storage::products::load(&state.pool, id.0, Lock::None).await?)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&VARIANT, who.role)?;
        query.within(field_of(&VARIANT, "product_id")?, id.0);
        resource::list_query(&state, who, &query, request).await
    }

    /// Add a variant to a product
    ///
    /// Staff of the product's distributor and super admins (admin buyers and
    /// shoppers 403; another distributor's product 404). 409 when the
    /// product is deleted or already has a variant with these values. 422
    /// lists every invalid field: `supplier_id` that is no vendor of the
    /// distributor, not a supplier or inactive; `value_ids` with unknown
    /// values, values of attributes the type does not have, two values of
    /// one attribute, or attributes without a value. The sku is computed.
    /// Answers 201 with the variant, its URL in `Location` and its `ETag`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/products/:id/variants", method = "post", operation_id = "create_variant")]
    async fn create_variant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The product's id.
        id: Path<i64>,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<VariantCreate>,
    ) -> ApiResult<Created<VariantDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &VARIANT, who.role)?;
        let body = body.0;
        let new = VariantFields {
            supplier_id: body.supplier_id,
            description: body.description.map(Into::into).unwrap_or_default(),
            vendor_cost: body.vendor_cost.map(Into::into).unwrap_or_default(),
        };
        let mut tx = begin(&state).await?;
        let product = product_for_write(&mut tx, who, id.0, Lock::Share).await?;
        require_live(&product)?;
        let mut errors = field_errors(validators::variant::variant(&new));
        supplier_errors(&mut tx, product.distributor_id, new.supplier_id, &mut errors).await?;
        let lookup = Lookup::load(&mut tx, &product, &body.value_ids).await?;
        if let Err(e) = lookup.place(&body.value_ids) {
            errors.extend(e);
        }
        if !errors.is_empty() {
            return Err(ApiError::unprocessable(errors));
        }
        let new = NewVariants {
            distributor_id: product.distributor_id,
            product_id: product.id,
            product_type_id: product.fields.product_type_id,
            fields: &new,
        };
        let ids = storage::variants::insert(&mut *tx, &new, &[body.value_ids], false)
            .await
            .map_err(on_constraint(CONSTRAINTS, ""))?;
        let variant = *ids.first().ok_or_else(|| ApiError::internal(&"the insert returned no id"))?;
        storage::derived::refresh(&mut tx, Affected::Variants(&ids)).await?;
        commit(tx).await?;
        let (body, tag) = read_back::<VariantDoc>(&state, who, &selection, variant).await?;
        Ok(Created::Created(body, variant_path(variant), tag))
    }

    /// Add every combination of values as variants
    ///
    /// Staff of the product's distributor and super admins (admin buyers and
    /// shoppers 403; another distributor's product 404; a deleted product
    /// 409). `values` names, for each attribute of the product's type, the
    /// values to combine; one variant is created per combination (the type's
    /// attribute order, then each attribute's value order), all with the
    /// same supplier, cost and description, in one transaction. Combinations
    /// the product already has are skipped. 422 lists every invalid field:
    /// an attribute missing, repeated or not of the type, an empty or
    /// unknown value list, more than 1000 combinations, or a supplier that
    /// is no active supplier vendor of the distributor. Answers 201 with
    /// `{created, skipped, variants}` (the created variants shaped by
    /// `X-Fields` like a list), or 200 with `created: 0` when every
    /// combination existed.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/products/:id/variants/bulk", method = "post", operation_id = "create_variants_bulk")]
    async fn create_variants_bulk(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The product's id.
        id: Path<i64>,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<VariantBulkCreate>,
    ) -> ApiResult<BulkCreated> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &VARIANT, who.role)?;
        let body = body.0;
        let new = VariantFields {
            supplier_id: body.supplier_id,
            description: body.description.map(Into::into).unwrap_or_default(),
            vendor_cost: body.vendor_cost.map(Into::into).unwrap_or_default(),
        };
        let mut tx = begin(&state).await?;
        let product = product_for_write(&mut tx, who, id.0, Lock::Share).await?;
        require_live(&product)?;
        let mut errors = field_errors(validators::variant::variant(&new));
        supplier_errors(&mut tx, product.distributor_id, new.supplier_id, &mut errors).await?;
        let all_ids: Vec<i64> = body.values.iter().flat_map(|e| e.value_ids.iter().copied()).collect();
        let lookup = Lookup::load(&mut tx, &product, &all_ids).await?;
        let entries: Vec<validators::variant::BulkEntry<'_>> = body
            .values
            .iter()
            .map(|e| validators::variant::BulkEntry { attribute_id: e.attribute_id, value_ids: &e.value_ids })
            .collect();
        let per_attribute = match validators::variant::bulk_values(&lookup.attributes(), &entries, &lookup.known()) {
            Ok(p) => Some(p),
            Err(issues) => {
                errors.extend(field_errors(issues));
                None
            }
        };
        let Some(per_attribute) = per_attribute.filter(|_| errors.is_empty()) else {
            return Err(ApiError::unprocessable(errors));
        };
        let combinations = validators::variant::combinations(&per_attribute);
        let new = NewVariants {
            distributor_id: product.distributor_id,
            product_id: product.id,
            product_type_id: product.fields.product_type_id,
            fields: &new,
        };
        let ids = storage::variants::insert(&mut *tx, &new, &combinations, true).await?;
        if !ids.is_empty() {
            storage::derived::refresh(&mut tx, Affected::Variants(&ids)).await?;
        }
        commit(tx).await?;
        tracing::info!(product.id = product.id, created = ids.len(), "variants created in bulk");
        let count = |n: usize| u32::try_from(n).map_err(|e| ApiError::internal(&e));
        let result = VariantBulkResult {
            created: count(ids.len())?,
            skipped: count(combinations.len().saturating_sub(ids.len()))?,
            variants: read_created(&state, who, selection, &ids).await?,
        };
        Ok(if ids.is_empty() { BulkCreated::NothingNew(Json(result)) } else { BulkCreated::Created(Json(result)) })
    }

    /// Read a variant
    ///
    /// Sales executives, managers and super admins (others 403); another
    /// distributor's variant is 404. `If-None-Match` with the current `ETag`
    /// is 304.
    #[oai(path = "/variants/:id", method = "get", operation_id = "get_variant")]
    async fn get_variant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The variant's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<VariantDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &VARIANT, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Edit a variant
    ///
    /// Staff of the variant's distributor and super admins (admin buyers and
    /// shoppers 403; another distributor's variant 404). Honours `If-Match`
    /// (412 when stale). The same rules as creating apply to the fields sent
    /// (422 listing each invalid one); new values that are another variant's
    /// combination are a 409. The sku, and the draft campaign items made from
    /// the variant, follow in the same transaction.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/variants/:id", method = "patch", operation_id = "update_variant")]
    async fn update_variant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The variant's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<VariantPatch>,
    ) -> ApiResult<Written<VariantDoc>> {
        let who = auth.principal();
        let id = id.0;
        let selection = crate::params::selection(&x_fields, &fields, &VARIANT, who.role)?;
        let expected = if_match.expected(VARIANT.model, id)?;
        who.require(Role::SalesExecutive)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::variants::load(&mut *tx, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        let product = product_for_write(&mut tx, who, current.product_id, Lock::Share).await?;
        let body = body.0;
        let c = &current.fields;
        let next = VariantFields {
            supplier_id: body.supplier_id.unwrap_or(c.supplier_id),
            description: body.description.map_or_else(|| c.description.clone(), Into::into),
            vendor_cost: body.vendor_cost.map_or(c.vendor_cost, Into::into),
        };
        // New values, in any order, when they differ from the current ones.
        let value_ids = body.value_ids.filter(|ids| {
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted != current.value_ids
        });
        let mut errors = field_errors(validators::variant::variant(&next));
        if next.supplier_id != c.supplier_id {
            supplier_errors(&mut tx, current.distributor_id, next.supplier_id, &mut errors).await?;
        }
        if let Some(ids) = &value_ids {
            let lookup = Lookup::load(&mut tx, &product, ids).await?;
            if let Err(e) = lookup.place(ids) {
                errors.extend(e);
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::unprocessable(errors));
        }
        if value_ids.is_some() || next != *c {
            storage::variants::update(
                &mut tx,
                id,
                expected,
                product.fields.product_type_id,
                &next,
                value_ids.as_deref(),
            )
            .await
            .map_err(on_constraint(CONSTRAINTS, ""))?;
            storage::derived::refresh(&mut tx, Affected::Variants(&[id])).await?;
        }
        commit(tx).await?;
        let (body, tag) = read_back::<VariantDoc>(&state, who, &selection, id).await?;
        Ok(Written::Ok(body, tag))
    }

    /// Delete a variant
    ///
    /// Staff of the variant's distributor and super admins (admin buyers and
    /// shoppers 403; another distributor's variant 404). A campaign item
    /// made from the variant keeps it: 409 while any exists. Honours
    /// `If-Match` (412 when stale).
    #[oai(path = "/variants/:id", method = "delete", operation_id = "delete_variant")]
    async fn delete_variant(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The variant's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        let expected = if_match.expected(VARIANT.model, id)?;
        who.require(Role::SalesExecutive)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::variants::load(&mut *tx, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
        let in_use = || ApiError::conflict("campaign items were made from this variant; it cannot be deleted");
        if storage::variants::in_use(&mut *tx, id).await? {
            return Err(in_use());
        }
        storage::variants::delete(&mut *tx, id, expected).await.map_err(|e| match e {
            // A campaign item added since the check above.
            StorageError::Invalid { constraint } if constraint == "campaign_items_product_variant_id_fkey" => in_use(),
            other => other.into(),
        })?;
        commit(tx).await?;
        tracing::info!(variant.id = id, "variant deleted");
        Ok(Deleted::NoContent)
    }
}
