//! Vendors: the suppliers variants are bought from, the decorators that print
//! logos, and the pick/pack partners of campaigns. Staff-only, like the whole
//! catalog: list and read through the query language, create, edit and
//! delete. A vendor in use is never deleted (deactivate it instead), and a
//! role it is used in cannot be taken away.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::record::{self, Record};
use crate::resource::{self, ListResponse, ReadResponse, described};
use crate::state::AppState;
use crate::strict::Text;
use crate::tags::ApiTags;
use crate::write::{Constraint, Created, Deleted, Written};
use domain::Role;
use domain::catalog::VendorFields;
use domain::resource::VENDOR;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use storage::Transaction;
use storage::derived::Affected;
use storage::record::Stored;
use storage::vendors::Usage;

#[derive(Default)]
pub struct VendorsApi;

described!(VendorDoc => VENDOR);

/// Vendors are stored field for column; what the generic writes cannot know
/// is what uses a vendor, which guards role changes and deletes.
impl Record for VendorDoc {
    type Fields = VendorFields;

    const CONSTRAINTS: &'static [Constraint] = &[Constraint {
        name: "vendors_name_key",
        field: "name",
        message: "this distributor already has a vendor named \"{}\"",
    }];

    fn path(id: i64) -> String {
        format!("/api/v1/catalog/vendors/{id}")
    }

    fn issues(fields: &VendorFields) -> Vec<validators::FieldIssue> {
        validators::vendor::vendor(fields)
    }

    async fn before_update(tx: &mut Transaction, current: &Stored<VendorFields>, next: &VendorFields) -> ApiResult<()> {
        let usage = storage::vendors::usage(&mut **tx, current.id).await?;
        require_roles_kept(&current.fields, next, usage)
    }

    /// Draft campaign items copy the vendor's name, email and address.
    async fn after_update(tx: &mut Transaction, id: i64) -> ApiResult<()> {
        storage::derived::refresh(tx, Affected::Vendor(id)).await?;
        Ok(())
    }

    async fn before_delete(tx: &mut Transaction, id: i64) -> ApiResult<()> {
        let usage = storage::vendors::usage(&mut **tx, id).await?;
        if !usage.any() {
            return Ok(());
        }
        let uses: Vec<String> = [
            (usage.variants, "variant(s) it supplies"),
            (usage.product_types, "product type(s) listing it"),
            (usage.decorations, "campaign item(s) it decorates"),
            (usage.campaigns, "campaign(s) it picks and packs for"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        Err(ApiError::conflict(format!(
            "the vendor is in use ({}); deactivate it instead (is_active=false)",
            uses.join(", ")
        )))
    }
}

/// The roles `next` takes away that `usage` still relies on, as a 409.
fn require_roles_kept(current: &VendorFields, next: &VendorFields, usage: Usage) -> ApiResult<()> {
    let mut refused = Vec::new();
    if current.is_supplier && !next.is_supplier && usage.variants > 0 {
        refused.push(format!("is_supplier (it supplies {} variant(s))", usage.variants));
    }
    if current.is_decorator && !next.is_decorator && usage.decorations > 0 {
        refused.push(format!("is_decorator (it decorates {} campaign item(s))", usage.decorations));
    }
    if current.is_pick_pack && !next.is_pick_pack && usage.campaigns > 0 {
        refused.push(format!("is_pick_pack (it is the pick/pack partner of {} campaign(s))", usage.campaigns));
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(ApiError::conflict(format!(
            "the vendor is still used in the roles you are clearing: {}; assign other vendors first",
            refused.join(", ")
        )))
    }
}

/// A new vendor.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example, skip_serializing_if_is_none)]
pub struct VendorCreate {
    /// The distributor the vendor works for. Super admins must give it; others may omit it (it is
    /// always their own).
    pub distributor_id: Option<i64>,
    /// 1 to 200 characters, unique within the distributor (case-insensitive).
    pub name: Text,
    /// Where purchase orders go: empty or a valid address (default empty).
    pub email: Option<Text>,
    /// Postal address, at most 1000 characters (default empty).
    pub address: Option<Text>,
    /// Supplies products: may be a variant's supplier (default false).
    pub is_supplier: Option<bool>,
    /// Prints logos: may be a decoration's decorator (default false).
    pub is_decorator: Option<bool>,
    /// Picks and packs orders: may be a campaign's partner (default false).
    pub is_pick_pack: Option<bool>,
    /// Inactive vendors cannot be chosen for new variants, decorations or campaigns (default true).
    pub is_active: Option<bool>,
}

impl poem_openapi::types::Example for VendorCreate {
    fn example() -> Self {
        VendorCreate {
            distributor_id: None,
            name: "SanMar".into(),
            email: Some("orders@sanmar.example".into()),
            address: Some("22833 SE Black Nugget Rd, Issaquah, WA 98029".into()),
            is_supplier: Some(true),
            is_decorator: Some(false),
            is_pick_pack: Some(false),
            is_active: Some(true),
        }
    }
}

impl VendorCreate {
    fn fields(self) -> VendorFields {
        VendorFields {
            name: self.name.trim().to_owned(),
            email: self.email.map(|e| e.trim().to_owned()).unwrap_or_default(),
            address: self.address.map(Into::into).unwrap_or_default(),
            is_supplier: self.is_supplier.unwrap_or(false),
            is_decorator: self.is_decorator.unwrap_or(false),
            is_pick_pack: self.is_pick_pack.unwrap_or(false),
            is_active: self.is_active.unwrap_or(true),
        }
    }
}

/// Changes to a vendor: only the fields sent change; `null` leaves a field
/// unchanged, like leaving it out.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, nullable_all, example, skip_serializing_if_is_none)]
pub struct VendorPatch {
    /// 1 to 200 characters, unique within the distributor (case-insensitive).
    pub name: Option<Text>,
    /// Empty or a valid address.
    pub email: Option<Text>,
    /// At most 1000 characters.
    pub address: Option<Text>,
    /// Clearing it is refused (409) while variants are bought from the vendor.
    pub is_supplier: Option<bool>,
    /// Clearing it is refused (409) while campaign items' decorations name the vendor.
    pub is_decorator: Option<bool>,
    /// Clearing it is refused (409) while a campaign has the vendor as its pick/pack partner.
    pub is_pick_pack: Option<bool>,
    /// Deactivate a vendor that is in use instead of deleting it.
    pub is_active: Option<bool>,
}

impl poem_openapi::types::Example for VendorPatch {
    fn example() -> Self {
        VendorPatch {
            name: None,
            email: Some("po@sanmar.example".into()),
            address: None,
            is_supplier: None,
            is_decorator: Some(true),
            is_pick_pack: None,
            is_active: None,
        }
    }
}

impl VendorPatch {
    /// The fields after the patch.
    fn apply(self, current: &VendorFields) -> VendorFields {
        let c = current.clone();
        VendorFields {
            name: self.name.map_or(c.name, |n| n.trim().to_owned()),
            email: self.email.map_or(c.email, |e| e.trim().to_owned()),
            address: self.address.map_or(c.address, Into::into),
            is_supplier: self.is_supplier.unwrap_or(c.is_supplier),
            is_decorator: self.is_decorator.unwrap_or(c.is_decorator),
            is_pick_pack: self.is_pick_pack.unwrap_or(c.is_pick_pack),
            is_active: self.is_active.unwrap_or(c.is_active),
        }
    }
}

#[OpenApi(prefix_path = "/api/v1/catalog", tag = "ApiTags::Catalog")]
impl VendorsApi {
    /// List vendors
    ///
    /// Sales executives and above (admin buyers and shoppers get 403). Staff
    /// see their distributor's vendors, super admins every vendor. The whole
    /// query language applies, e.g. `filter=[{"field":"is_supplier","op":"==","value":true}]`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/vendors", method = "get", operation_id = "list_vendors")]
    async fn list_vendors(
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
    ) -> ApiResult<ListResponse<VendorDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, who, &args, request).await
    }

    /// Create a vendor
    ///
    /// Sales executives, managers and super admins (others get 403). The
    /// vendor belongs to the caller's distributor (super admins name it in
    /// `distributor_id`). It needs at least one of `is_supplier`,
    /// `is_decorator`, `is_pick_pack` (422 naming the three otherwise); other
    /// invalid fields are a 422 listing each. A taken name is a 409.
    #[oai(path = "/vendors", method = "post", operation_id = "create_vendor")]
    async fn create_vendor(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<VendorCreate>,
    ) -> ApiResult<Created<VendorDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &VENDOR, who.role)?;
        let distributor_id = body.0.distributor_id;
        record::create(&state, who, &selection, distributor_id, body.0.fields()).await
    }

    /// Read a vendor
    ///
    /// Sales executives and above (admin buyers and shoppers get 403); 404
    /// when absent or another distributor's. Returns an `ETag` for `If-Match`.
    #[oai(path = "/vendors/:id", method = "get", operation_id = "read_vendor")]
    async fn read_vendor(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The vendor's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<VendorDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &VENDOR, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Edit a vendor
    ///
    /// Staff of the vendor's distributor and super admins (admin buyers and
    /// shoppers get 403, other distributors 404). Honours `If-Match` (412
    /// when stale). Clearing a role the vendor is still used in (supplier of
    /// variants, decorator of campaign items, pick/pack partner of campaigns)
    /// is a 409; leaving it with no role is a 422; a taken name is a 409.
    /// Draft campaign items that copy the vendor's name, email and address
    /// are updated with it.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/vendors/:id", method = "patch", operation_id = "update_vendor")]
    async fn update_vendor(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The vendor's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<VendorPatch>,
    ) -> ApiResult<Written<VendorDoc>> {
        let who = auth.principal();
        let id = id.0;
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &VENDOR, who.role)?;
        let expected = if_match.expected(VENDOR.model, id)?;
        record::update(&state, who, &selection, id, &expected, |current| body.0.apply(current)).await
    }

    /// Delete a vendor
    ///
    /// Staff of the vendor's distributor and super admins (admin buyers and
    /// shoppers get 403, other distributors 404). Only a vendor nothing uses
    /// may be deleted: one that supplies variants, is listed by product types,
    /// decorates campaign items or picks and packs for a campaign is a 409
    /// (deactivate it instead with `is_active=false`). Honours `If-Match`.
    #[oai(path = "/vendors/:id", method = "delete", operation_id = "delete_vendor")]
    async fn delete_vendor(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The vendor's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        who.require(Role::SalesExecutive)?;
        let expected = if_match.expected(VENDOR.model, id)?;
        record::delete::<VendorDoc>(&state, who, id, &expected).await
    }
}
