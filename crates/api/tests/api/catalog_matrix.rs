//! The access matrix of the Catalog and Minor namespaces, the sibling of
//! `matrix.rs` (Organization): every operation for each of the five roles,
//! against a target in the caller's own distributor (Acme) and in another
//! one (Globex). A super admin owns both sides. A user of Acme must never
//! read, list, count, modify or learn the existence of anything of Globex.
//!
//! Every cell acts on a fresh catalog made for it with one SQL statement (two
//! vendors, two attributes with their values, two product types, a product
//! with two variants, a campaign with its distributor's admin buyer and
//! shopper as members and an item, a file with its bytes on disk), so cells
//! never interfere. Rows that probe a foreign id inside one's own request
//! (a Globex supplier for an Acme product, a Globex image on an Acme
//! product…) act on a fresh Acme catalog too. Each cell checks:
//! - the outcome in [`MATRIX`];
//! - a hidden cell (404), and any refusal on the other side, answers exactly
//!   as a request about ids that do not exist (apart from the ids it names);
//! - a refused request changes nothing in the database or the files
//!   directory; an allowed write changes something, a read nothing;
//! - no response to an Acme caller mentions Globex or carries another
//!   distributor's id, and members reading campaign items get no staff-only
//!   field.
//!
//! All failures are collected and reported at once. The rows are split into
//! four tests (one database each) so they run in parallel; another test
//! checks that every Catalog and Minor operation of the OpenAPI document is
//! a row. The last test covers what one row cannot: filters that match only
//! Globex, `or` filters that try to widen the scope, members asking for a
//! campaign item's staff-only fields, and expansions and relation filters
//! over rows deliberately linked across distributors with SQL.

use crate::helpers::{BOUNDARY, Part, Resp, TestApp, World, enc, files_under, id_of, multipart, temp_files_dir};
use crate::matrix_kit::{Outcome, ROLES, Side, Variant, Who, change_problems, leak, named_ids, short, tells_apart};
use api::ApiConfig;
use poem::EndpointExt;
use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem::test::TestClient;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CATALOG: &str = "/api/v1/catalog";
const MINOR: &str = "/api/v1/minor";
/// An id no table holds.
const GHOST: i64 = 987_654_321;

// ---- the operations -----------------------------------------------------------

/// One row of the matrix: an operation, sometimes in a variant that probes
/// a specific way of learning about another distributor (a conditional
/// request, a stale `If-Match`, the side's id inside a request about Acme's
/// own objects: `*Side*` rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListVendors,
    CreateVendor,
    GetVendor,
    GetVendorIfNoneMatch,
    UpdateVendor,
    UpdateVendorStale,
    DeleteVendor,
    ListAttributes,
    CreateAttribute,
    GetAttribute,
    UpdateAttribute,
    DeleteAttribute,
    ListValues,
    CreateValue,
    GetValue,
    UpdateValue,
    DeleteValue,
    ReorderValues,
    ReorderValuesWithSideValue,
    GetSideValueUnderOwnAttribute,
    ListProductTypes,
    CreateProductType,
    CreateProductTypeWithSideRefs,
    GetProductType,
    UpdateProductType,
    UpdateProductTypeWithSideRefs,
    DeleteProductType,
    ListProducts,
    CreateProduct,
    CreateProductWithSideType,
    GetProduct,
    GetProductIfNoneMatch,
    UpdateProduct,
    UpdateProductStale,
    UpdateProductWithSideImage,
    DeleteProduct,
    ListVariants,
    CreateVariant,
    CreateVariantWithSideSupplier,
    CreateVariantsBulk,
    CreateVariantsBulkWithSideValues,
    GetVariant,
    UpdateVariant,
    UpdateVariantWithSideSupplier,
    DeleteVariant,
    DeleteVariantStale,
    ListCampaignItems,
    CreateCampaignItem,
    CreateCampaignItemWithSideVariant,
    GetCampaignItem,
    GetCampaignItemIfNoneMatch,
    UpdateCampaignItem,
    UpdateCampaignItemBin,
    UpdateCampaignItemStale,
    UpdateCampaignItemWithSideDecorator,
    UpdateCampaignItemWithSideVariant,
    DeleteCampaignItem,
    ImportDryRun,
    Import,
    ListFiles,
    UploadFile,
    UploadFileLinkedToSideProduct,
    GetFile,
    GetFileContent,
    GetFileContentIfNoneMatch,
    DeleteFile,
    ListRoles,
}

/// The expected outcomes. Each cell is `<Acme>/<Globex>`: a status code
/// (`403` forbidden: the caller may know it exists; `404` hidden: as if it
/// did not exist), or for lists `in` (the list and its `X-Total-Count` hold
/// exactly the target: the one row a filter on its id asks for, or every
/// child of the target parent) and `out` (`[]`, count 0).
///
/// Targets: the side's fresh catalog. Campaign items are in an active
/// campaign for reads and `UpdateCampaignItemBin`, a draft for the other
/// writes (items change only in drafts; shoppers see no drafts at all).
/// Create rows name the side's distributor (in the body, the import's
/// `?distributor_id=`, the upload's `distributor_id` part); `*Side*` rows
/// name Acme and send the side's id inside a request about Acme's objects,
/// so Globex's answer must be the one for an id that does not exist.
#[rustfmt::skip]
const MATRIX: &[(Op, [&str; 5])] = &[
    //                                        root       manager    sales      buyer      shopper
    (Op::ListVendors,                         ["in/in",   "in/out",  "in/out",  "403/403", "403/403"]),
    (Op::CreateVendor,                        ["201/201", "201/422", "201/422", "403/403", "403/403"]),
    (Op::GetVendor,                           ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::GetVendorIfNoneMatch,                ["304/304", "304/404", "304/404", "403/403", "403/403"]),
    (Op::UpdateVendor,                        ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::UpdateVendorStale,                   ["412/412", "412/404", "412/404", "403/403", "403/403"]),
    (Op::DeleteVendor,                        ["204/204", "204/404", "204/404", "403/403", "403/403"]),
    (Op::ListAttributes,                      ["in/in",   "in/out",  "in/out",  "403/403", "403/403"]),
    (Op::CreateAttribute,                     ["201/201", "201/422", "201/422", "403/403", "403/403"]),
    (Op::GetAttribute,                        ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::UpdateAttribute,                     ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::DeleteAttribute,                     ["204/204", "204/404", "204/404", "403/403", "403/403"]),
    (Op::ListValues,                          ["in/in",   "in/404",  "in/404",  "403/403", "403/403"]),
    (Op::CreateValue,                         ["201/201", "201/404", "201/404", "403/403", "403/403"]),
    (Op::GetValue,                            ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::UpdateValue,                         ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::DeleteValue,                         ["204/204", "204/404", "204/404", "403/403", "403/403"]),
    (Op::ReorderValues,                       ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::ReorderValuesWithSideValue,          ["422/422", "422/422", "422/422", "403/403", "403/403"]),
    (Op::GetSideValueUnderOwnAttribute,       ["404/404", "404/404", "404/404", "403/403", "403/403"]),
    (Op::ListProductTypes,                    ["in/in",   "in/out",  "in/out",  "403/403", "403/403"]),
    (Op::CreateProductType,                   ["201/201", "201/422", "201/422", "403/403", "403/403"]),
    (Op::CreateProductTypeWithSideRefs,       ["201/422", "201/422", "201/422", "403/403", "403/403"]),
    (Op::GetProductType,                      ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::UpdateProductType,                   ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::UpdateProductTypeWithSideRefs,       ["200/422", "200/422", "200/422", "403/403", "403/403"]),
    (Op::DeleteProductType,                   ["204/204", "204/404", "204/404", "403/403", "403/403"]),
    (Op::ListProducts,                        ["in/in",   "in/out",  "in/out",  "403/403", "403/403"]),
    (Op::CreateProduct,                       ["201/201", "201/422", "201/422", "403/403", "403/403"]),
    (Op::CreateProductWithSideType,           ["201/422", "201/422", "201/422", "403/403", "403/403"]),
    (Op::GetProduct,                          ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::GetProductIfNoneMatch,               ["304/304", "304/404", "304/404", "403/403", "403/403"]),
    (Op::UpdateProduct,                       ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::UpdateProductStale,                  ["412/412", "412/404", "412/404", "403/403", "403/403"]),
    (Op::UpdateProductWithSideImage,          ["200/422", "200/422", "200/422", "403/403", "403/403"]),
    (Op::DeleteProduct,                       ["204/204", "204/404", "204/404", "403/403", "403/403"]),
    (Op::ListVariants,                        ["in/in",   "in/404",  "in/404",  "403/403", "403/403"]),
    (Op::CreateVariant,                       ["201/201", "201/404", "201/404", "403/403", "403/403"]),
    (Op::CreateVariantWithSideSupplier,       ["201/422", "201/422", "201/422", "403/403", "403/403"]),
    (Op::CreateVariantsBulk,                  ["201/201", "201/404", "201/404", "403/403", "403/403"]),
    (Op::CreateVariantsBulkWithSideValues,    ["201/422", "201/422", "201/422", "403/403", "403/403"]),
    (Op::GetVariant,                          ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::UpdateVariant,                       ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::UpdateVariantWithSideSupplier,       ["200/422", "200/422", "200/422", "403/403", "403/403"]),
    (Op::DeleteVariant,                       ["204/204", "204/404", "204/404", "403/403", "403/403"]),
    (Op::DeleteVariantStale,                  ["412/412", "412/404", "412/404", "403/403", "403/403"]),
    (Op::ListCampaignItems,                   ["in/in",   "in/out",  "in/out",  "in/out",  "in/out"]),
    (Op::CreateCampaignItem,                  ["201/201", "201/422", "201/422", "403/403", "403/403"]),
    (Op::CreateCampaignItemWithSideVariant,   ["201/422", "201/422", "201/422", "403/403", "403/403"]),
    (Op::GetCampaignItem,                     ["200/200", "200/404", "200/404", "200/404", "200/404"]),
    (Op::GetCampaignItemIfNoneMatch,          ["304/304", "304/404", "304/404", "304/404", "304/404"]),
    (Op::UpdateCampaignItem,                  ["200/200", "200/404", "200/404", "403/404", "404/404"]),
    (Op::UpdateCampaignItemBin,               ["200/200", "200/404", "200/404", "403/404", "403/404"]),
    (Op::UpdateCampaignItemStale,             ["412/412", "412/404", "412/404", "403/404", "404/404"]),
    (Op::UpdateCampaignItemWithSideDecorator, ["200/422", "200/422", "200/422", "403/403", "404/404"]),
    (Op::UpdateCampaignItemWithSideVariant,   ["200/422", "200/422", "200/422", "403/403", "404/404"]),
    (Op::DeleteCampaignItem,                  ["204/204", "204/404", "204/404", "403/404", "404/404"]),
    (Op::ImportDryRun,                        ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::Import,                              ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::ListFiles,                           ["in/in",   "in/out",  "in/out",  "403/403", "403/403"]),
    (Op::UploadFile,                          ["201/201", "201/422", "201/422", "403/403", "403/403"]),
    (Op::UploadFileLinkedToSideProduct,       ["201/422", "201/422", "201/422", "403/403", "403/403"]),
    (Op::GetFile,                             ["200/200", "200/404", "200/404", "403/403", "403/403"]),
    (Op::GetFileContent,                      ["200/200", "200/404", "200/404", "404/404", "404/404"]),
    (Op::GetFileContentIfNoneMatch,           ["304/304", "304/404", "304/404", "404/404", "404/404"]),
    (Op::DeleteFile,                          ["204/204", "204/404", "204/404", "403/403", "403/403"]),
    (Op::ListRoles,                           ["200/200", "200/200", "200/200", "200/200", "200/200"]),
];

/// The matrix's rows in four groups, one test (and database) each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    VendorsAttributes,
    TypesProductsVariants,
    CampaignItems,
    ImportsFilesRoles,
}

impl Op {
    /// The operation as the OpenAPI document names it.
    fn route(self) -> (&'static str, &'static str) {
        use Op::*;
        match self {
            ListVendors => ("GET", "/api/v1/catalog/vendors"),
            CreateVendor => ("POST", "/api/v1/catalog/vendors"),
            GetVendor | GetVendorIfNoneMatch => ("GET", "/api/v1/catalog/vendors/{id}"),
            UpdateVendor | UpdateVendorStale => ("PATCH", "/api/v1/catalog/vendors/{id}"),
            DeleteVendor => ("DELETE", "/api/v1/catalog/vendors/{id}"),
            ListAttributes => ("GET", "/api/v1/catalog/attributes"),
            CreateAttribute => ("POST", "/api/v1/catalog/attributes"),
            GetAttribute => ("GET", "/api/v1/catalog/attributes/{id}"),
            UpdateAttribute => ("PATCH", "/api/v1/catalog/attributes/{id}"),
            DeleteAttribute => ("DELETE", "/api/v1/catalog/attributes/{id}"),
            ListValues => ("GET", "/api/v1/catalog/attributes/{id}/values"),
            CreateValue => ("POST", "/api/v1/catalog/attributes/{id}/values"),
            GetValue | GetSideValueUnderOwnAttribute => ("GET", "/api/v1/catalog/attributes/{id}/values/{value_id}"),
            UpdateValue => ("PATCH", "/api/v1/catalog/attributes/{id}/values/{value_id}"),
            DeleteValue => ("DELETE", "/api/v1/catalog/attributes/{id}/values/{value_id}"),
            ReorderValues | ReorderValuesWithSideValue => ("PUT", "/api/v1/catalog/attributes/{id}/values/order"),
            ListProductTypes => ("GET", "/api/v1/catalog/product-types"),
            CreateProductType | CreateProductTypeWithSideRefs => ("POST", "/api/v1/catalog/product-types"),
            GetProductType => ("GET", "/api/v1/catalog/product-types/{id}"),
            UpdateProductType | UpdateProductTypeWithSideRefs => ("PATCH", "/api/v1/catalog/product-types/{id}"),
            DeleteProductType => ("DELETE", "/api/v1/catalog/product-types/{id}"),
            ListProducts => ("GET", "/api/v1/catalog/products"),
            CreateProduct | CreateProductWithSideType => ("POST", "/api/v1/catalog/products"),
            GetProduct | GetProductIfNoneMatch => ("GET", "/api/v1/catalog/products/{id}"),
            UpdateProduct | UpdateProductStale | UpdateProductWithSideImage => {
                ("PATCH", "/api/v1/catalog/products/{id}")
            }
            DeleteProduct => ("DELETE", "/api/v1/catalog/products/{id}"),
            ListVariants => ("GET", "/api/v1/catalog/products/{id}/variants"),
            CreateVariant | CreateVariantWithSideSupplier => ("POST", "/api/v1/catalog/products/{id}/variants"),
            CreateVariantsBulk | CreateVariantsBulkWithSideValues => {
                ("POST", "/api/v1/catalog/products/{id}/variants/bulk")
            }
            GetVariant => ("GET", "/api/v1/catalog/variants/{id}"),
            UpdateVariant | UpdateVariantWithSideSupplier => ("PATCH", "/api/v1/catalog/variants/{id}"),
            DeleteVariant | DeleteVariantStale => ("DELETE", "/api/v1/catalog/variants/{id}"),
            ListCampaignItems => ("GET", "/api/v1/catalog/campaign-items"),
            CreateCampaignItem | CreateCampaignItemWithSideVariant => ("POST", "/api/v1/catalog/campaign-items"),
            GetCampaignItem | GetCampaignItemIfNoneMatch => ("GET", "/api/v1/catalog/campaign-items/{id}"),
            UpdateCampaignItem
            | UpdateCampaignItemBin
            | UpdateCampaignItemStale
            | UpdateCampaignItemWithSideDecorator
            | UpdateCampaignItemWithSideVariant => ("PATCH", "/api/v1/catalog/campaign-items/{id}"),
            DeleteCampaignItem => ("DELETE", "/api/v1/catalog/campaign-items/{id}"),
            ImportDryRun | Import => ("POST", "/api/v1/catalog/imports"),
            ListFiles => ("GET", "/api/v1/minor/resources"),
            UploadFile | UploadFileLinkedToSideProduct => ("POST", "/api/v1/minor/resources"),
            GetFile => ("GET", "/api/v1/minor/resources/{id}"),
            GetFileContent | GetFileContentIfNoneMatch => ("GET", "/api/v1/minor/resources/{id}/content"),
            DeleteFile => ("DELETE", "/api/v1/minor/resources/{id}"),
            ListRoles => ("GET", "/api/v1/minor/roles"),
        }
    }

    fn group(self) -> Group {
        let path = self.route().1;
        if path.contains("/vendors") || path.contains("/attributes") {
            Group::VendorsAttributes
        } else if path.contains("/campaign-items") {
            Group::CampaignItems
        } else if path.starts_with(CATALOG) && !path.contains("/imports") {
            Group::TypesProductsVariants
        } else {
            Group::ImportsFilesRoles
        }
    }

    /// Whether an allowed request must change something. A dry run is a
    /// POST that must change nothing, like a read.
    fn is_write(self) -> bool {
        self.route().0 != "GET" && self != Op::ImportDryRun
    }

    fn is_list(self) -> bool {
        matches!(
            self,
            Op::ListVendors
                | Op::ListAttributes
                | Op::ListValues
                | Op::ListProductTypes
                | Op::ListProducts
                | Op::ListVariants
                | Op::ListCampaignItems
                | Op::ListFiles
        )
    }

    /// The rows a list that holds the target must hold exactly.
    fn listed(self, t: &Target) -> BTreeSet<i64> {
        match self {
            Op::ListVendors => [t.vendor].into(),
            Op::ListAttributes => [t.size].into(),
            Op::ListValues => t.sizes.iter().copied().collect(),
            Op::ListProductTypes => [t.wearables].into(),
            Op::ListProducts => [t.product].into(),
            Op::ListVariants => [t.red, t.blue].into(),
            Op::ListCampaignItems => [t.item].into(),
            Op::ListFiles => [t.file].into(),
            _ => BTreeSet::new(),
        }
    }

    /// Campaign items are read in an active campaign (shoppers see only
    /// those) and written in a draft (items change only there), but for a
    /// bin id, which is what may change once active.
    fn campaign_status(self) -> &'static str {
        match self.route() {
            ("GET", _) => "active",
            _ if self == Op::UpdateCampaignItemBin => "active",
            _ => "draft",
        }
    }

    /// Rows that send the side's id inside a request about Acme's objects.
    fn needs_home(self) -> bool {
        matches!(
            self,
            Op::GetSideValueUnderOwnAttribute
                | Op::ReorderValuesWithSideValue
                | Op::UpdateProductTypeWithSideRefs
                | Op::CreateVariantsBulkWithSideValues
                | Op::UpdateCampaignItemWithSideVariant
                | Op::CreateProductTypeWithSideRefs
                | Op::CreateProductWithSideType
                | Op::UpdateProductWithSideImage
                | Op::CreateVariantWithSideSupplier
                | Op::UpdateVariantWithSideSupplier
                | Op::CreateCampaignItemWithSideVariant
                | Op::UpdateCampaignItemWithSideDecorator
                | Op::UploadFileLinkedToSideProduct
        )
    }

    /// The request about target `t` (a real one or [`Target::ghost`]) and,
    /// for `*Side*` rows, Acme's `home`; `n` makes names unique.
    fn request(self, t: &Target, home: &Target, n: usize) -> Req {
        use Op::*;
        let id_filter = |id: i64| {
            format!(
                "?count=exact&page_size=100&filter={}",
                enc(&format!(r#"[{{"field":"id","op":"==","value":{id}}}]"#))
            )
        };
        let stale = |model: &str, id: i64| vec![("If-Match", format!("\"{model}-{id}-999\""))];
        let any = || vec![("If-None-Match", "*".to_owned())];
        let vendor = format!("{CATALOG}/vendors/{}", t.vendor);
        let size = format!("{CATALOG}/attributes/{}", t.size);
        let value = format!("{size}/values/{}", t.sizes[0]);
        let product = format!("{CATALOG}/products/{}", t.product);
        let variant = format!("{CATALOG}/variants/{}", t.red);
        let item = format!("{CATALOG}/campaign-items/{}", t.item);
        let file = format!("{MINOR}/resources/{}", t.file);
        let d = t.distributor;
        let own = home.distributor;
        let (method, path, headers, body) = match self {
            ListVendors => (Method::GET, format!("{CATALOG}/vendors{}", id_filter(t.vendor)), vec![], Body::None),
            CreateVendor => (
                Method::POST,
                format!("{CATALOG}/vendors"),
                vec![],
                Body::Json(json!({"distributor_id": d, "name": format!("Cell {n} vendor"), "is_supplier": true})),
            ),
            GetVendor => (Method::GET, vendor, vec![], Body::None),
            GetVendorIfNoneMatch => (Method::GET, vendor, any(), Body::None),
            UpdateVendor => (Method::PATCH, vendor, vec![], Body::Json(json!({"address": format!("Cell {n}")}))),
            UpdateVendorStale => {
                (Method::PATCH, vendor, stale("vendor", t.vendor), Body::Json(json!({"address": format!("Cell {n}")})))
            }
            DeleteVendor => (Method::DELETE, vendor, vec![], Body::None),
            ListAttributes => (Method::GET, format!("{CATALOG}/attributes{}", id_filter(t.size)), vec![], Body::None),
            CreateAttribute => (
                Method::POST,
                format!("{CATALOG}/attributes"),
                vec![],
                Body::Json(json!({"distributor_id": d, "name": format!("Cell {n} fit"), "values": ["Slim", "Loose"]})),
            ),
            GetAttribute => (Method::GET, size, vec![], Body::None),
            UpdateAttribute => (Method::PATCH, size, vec![], Body::Json(json!({"name": format!("Cell {n} size")}))),
            DeleteAttribute => (Method::DELETE, size, vec![], Body::None),
            ListValues => (Method::GET, format!("{size}/values?count=exact"), vec![], Body::None),
            CreateValue => (
                Method::POST,
                format!("{size}/values"),
                vec![],
                Body::Json(json!({"name": format!("XL {n}"), "position": 0})),
            ),
            GetValue => (Method::GET, value, vec![], Body::None),
            UpdateValue => (Method::PATCH, value, vec![], Body::Json(json!({"name": format!("Small {n}")}))),
            DeleteValue => (Method::DELETE, value, vec![], Body::None),
            ReorderValues => (
                Method::PUT,
                format!("{size}/values/order"),
                vec![],
                Body::Json(json!({"ids": [t.sizes[1], t.sizes[0]]})),
            ),
            ReorderValuesWithSideValue => (
                Method::PUT,
                format!("{CATALOG}/attributes/{}/values/order", home.size),
                vec![],
                Body::Json(json!({"ids": [home.sizes[1], home.sizes[0], t.colors[0]]})),
            ),
            GetSideValueUnderOwnAttribute => {
                (Method::GET, format!("{CATALOG}/attributes/{}/values/{}", home.color, t.sizes[0]), vec![], Body::None)
            }
            ListProductTypes => {
                (Method::GET, format!("{CATALOG}/product-types{}", id_filter(t.wearables)), vec![], Body::None)
            }
            CreateProductType => (
                Method::POST,
                format!("{CATALOG}/product-types"),
                vec![],
                Body::Json(json!({"distributor_id": d, "name": format!("Cell {n} bags")})),
            ),
            CreateProductTypeWithSideRefs => (
                Method::POST,
                format!("{CATALOG}/product-types"),
                vec![],
                Body::Json(json!({
                    "distributor_id": own, "name": format!("Cell {n} caps"),
                    "attribute_ids": [t.size], "vendor_ids": [t.vendor]
                })),
            ),
            GetProductType => (Method::GET, format!("{CATALOG}/product-types/{}", t.mugs), vec![], Body::None),
            UpdateProductType => (
                Method::PATCH,
                format!("{CATALOG}/product-types/{}", t.mugs),
                vec![],
                Body::Json(json!({"name": format!("Cell {n} cups")})),
            ),
            UpdateProductTypeWithSideRefs => (
                Method::PATCH,
                format!("{CATALOG}/product-types/{}", home.mugs),
                vec![],
                Body::Json(json!({"attribute_ids": [t.size], "vendor_ids": [t.vendor]})),
            ),
            DeleteProductType => (Method::DELETE, format!("{CATALOG}/product-types/{}", t.mugs), vec![], Body::None),
            ListProducts => (Method::GET, format!("{CATALOG}/products{}", id_filter(t.product)), vec![], Body::None),
            CreateProduct => (
                Method::POST,
                format!("{CATALOG}/products"),
                vec![],
                Body::Json(json!({
                    "distributor_id": d, "name": format!("Cell {n} hoodie"), "item_number": format!("HD-{n}"),
                    "product_type_id": t.wearables
                })),
            ),
            CreateProductWithSideType => (
                Method::POST,
                format!("{CATALOG}/products"),
                vec![],
                Body::Json(json!({
                    "distributor_id": own, "name": format!("Cell {n} hoodie"), "item_number": format!("HD-{n}"),
                    "product_type_id": t.wearables
                })),
            ),
            GetProduct => (Method::GET, product, vec![], Body::None),
            GetProductIfNoneMatch => (Method::GET, product, any(), Body::None),
            UpdateProduct => (Method::PATCH, product, vec![], Body::Json(json!({"description": format!("Cell {n}")}))),
            UpdateProductStale => (
                Method::PATCH,
                product,
                stale("product", t.product),
                Body::Json(json!({"description": format!("Cell {n}")})),
            ),
            UpdateProductWithSideImage => (
                Method::PATCH,
                format!("{CATALOG}/products/{}", home.product),
                vec![],
                Body::Json(json!({"image_ids": [t.file]})),
            ),
            DeleteProduct => (Method::DELETE, product, vec![], Body::None),
            ListVariants => (Method::GET, format!("{product}/variants?count=exact"), vec![], Body::None),
            CreateVariant => (
                Method::POST,
                format!("{product}/variants"),
                vec![],
                Body::Json(json!({"supplier_id": t.supplier, "value_ids": [t.colors[2]], "vendor_cost": "5.00"})),
            ),
            CreateVariantWithSideSupplier => (
                Method::POST,
                format!("{CATALOG}/products/{}/variants", home.product),
                vec![],
                Body::Json(json!({"supplier_id": t.vendor, "value_ids": [home.colors[2]], "vendor_cost": "5.00"})),
            ),
            CreateVariantsBulk => (
                Method::POST,
                format!("{product}/variants/bulk"),
                vec![],
                Body::Json(json!({
                    "values": [{"attribute_id": t.color, "value_ids": [t.colors[2], t.colors[3]]}],
                    "supplier_id": t.supplier, "vendor_cost": "5.00"
                })),
            ),
            CreateVariantsBulkWithSideValues => (
                Method::POST,
                format!("{CATALOG}/products/{}/variants/bulk", home.product),
                vec![],
                Body::Json(json!({
                    "values": [{"attribute_id": home.color, "value_ids": [home.colors[2], t.colors[3]]}],
                    "supplier_id": home.supplier, "vendor_cost": "5.00"
                })),
            ),
            GetVariant => (Method::GET, variant, vec![], Body::None),
            UpdateVariant => (Method::PATCH, variant, vec![], Body::Json(json!({"description": format!("Cell {n}")}))),
            UpdateVariantWithSideSupplier => (
                Method::PATCH,
                format!("{CATALOG}/variants/{}", home.red),
                vec![],
                Body::Json(json!({"supplier_id": t.vendor})),
            ),
            DeleteVariant => (Method::DELETE, variant, vec![], Body::None),
            DeleteVariantStale => (Method::DELETE, variant, stale("productvariant", t.red), Body::None),
            ListCampaignItems => {
                (Method::GET, format!("{CATALOG}/campaign-items{}", id_filter(t.item)), vec![], Body::None)
            }
            CreateCampaignItem => (
                Method::POST,
                format!("{CATALOG}/campaign-items"),
                vec![],
                Body::Json(json!({"campaign_id": t.campaign, "product_variant_id": t.red, "margin": "35"})),
            ),
            CreateCampaignItemWithSideVariant => (
                Method::POST,
                format!("{CATALOG}/campaign-items"),
                vec![],
                Body::Json(json!({"campaign_id": home.campaign, "product_variant_id": t.red, "margin": "35"})),
            ),
            GetCampaignItem => (Method::GET, item, vec![], Body::None),
            GetCampaignItemIfNoneMatch => (Method::GET, item, any(), Body::None),
            UpdateCampaignItem => (Method::PATCH, item, vec![], Body::Json(json!({"margin": "40"}))),
            UpdateCampaignItemBin => (Method::PATCH, item, vec![], Body::Json(json!({"bin_id": format!("B-{n}")}))),
            UpdateCampaignItemStale => {
                (Method::PATCH, item, stale("campaignitem", t.item), Body::Json(json!({"margin": "40"})))
            }
            UpdateCampaignItemWithSideDecorator => (
                Method::PATCH,
                format!("{CATALOG}/campaign-items/{}", home.item),
                vec![],
                Body::Json(json!({"decorations": [{"location": "front", "cost": "1.20", "decorator_id": t.vendor}]})),
            ),
            UpdateCampaignItemWithSideVariant => (
                Method::PATCH,
                format!("{CATALOG}/campaign-items/{}", home.item),
                vec![],
                Body::Json(json!({"product_variant_id": t.red})),
            ),
            DeleteCampaignItem => (Method::DELETE, item, vec![], Body::None),
            ImportDryRun | Import => {
                let dry = if self == ImportDryRun { "true" } else { "false" };
                let csv = format!(
                    "item_number,name,product_type,supplier,vendor_cost,{tag} color\n\
                     IMP-{n},Imported {n},{tag} wearables,{tag} supplier,2.50,Green\n",
                    tag = t.tag
                );
                (Method::POST, format!("{CATALOG}/imports?dry_run={dry}&distributor_id={d}"), vec![], Body::Csv(csv))
            }
            ListFiles => (Method::GET, format!("{MINOR}/resources{}", id_filter(t.file)), vec![], Body::None),
            UploadFile => {
                let text = format!("uploaded in cell {n}\n");
                let d = d.to_string();
                let parts: [Part<'_>; 2] = [
                    ("file", Some("cell.txt"), Some("text/plain"), text.as_bytes()),
                    ("distributor_id", None, None, d.as_bytes()),
                ];
                (Method::POST, format!("{MINOR}/resources"), vec![], Body::Form(multipart(&parts)))
            }
            UploadFileLinkedToSideProduct => {
                let text = format!("uploaded in cell {n}\n");
                let (own, linked) = (own.to_string(), t.product.to_string());
                let parts: [Part<'_>; 4] = [
                    ("file", Some("cell.txt"), Some("text/plain"), text.as_bytes()),
                    ("distributor_id", None, None, own.as_bytes()),
                    ("linked_kind", None, None, b"product"),
                    ("linked_id", None, None, linked.as_bytes()),
                ];
                (Method::POST, format!("{MINOR}/resources"), vec![], Body::Form(multipart(&parts)))
            }
            GetFile => (Method::GET, file, vec![], Body::None),
            GetFileContent => (Method::GET, format!("{file}/content"), vec![], Body::None),
            GetFileContentIfNoneMatch => (Method::GET, format!("{file}/content"), any(), Body::None),
            DeleteFile => (Method::DELETE, file, vec![], Body::None),
            ListRoles => (Method::GET, format!("{MINOR}/roles"), vec![], Body::None),
        };
        Req { method, path, headers, body }
    }
}

enum Body {
    None,
    Json(Value),
    Csv(String),
    Form(Vec<u8>),
}

struct Req {
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Body,
}

impl Req {
    /// The ids this request names (a CSV body's numbers count as named).
    fn named(&self) -> BTreeSet<i64> {
        let (json, csv) = match &self.body {
            Body::Json(v) => (Some(v), None),
            Body::Csv(text) => (None, Some(text.as_str())),
            Body::None | Body::Form(_) => (None, None),
        };
        named_ids(&self.path, self.headers.iter().map(|(_, v)| v.as_str()).chain(csv), json)
    }
}

// ---- outcomes ---------------------------------------------------------------------

fn ids(r: &Resp) -> BTreeSet<i64> {
    r.body.as_array().map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect()).unwrap_or_default()
}

/// Why `r` is not `expected`, if it is not.
fn mismatch(expected: Outcome, op: Op, t: &Target, r: &Resp) -> Option<String> {
    let got = r.status.as_u16();
    let wrong = || Some(format!("expected {expected}, got {got} ({})", short(&r.text)));
    if got >= 400 && r.header("content-type") != Some("application/problem+json") {
        return Some(format!("a {got} that is not problem+json: {}", short(&r.text)));
    }
    let count = r.header("x-total-count");
    let listed = op.listed(t);
    match expected {
        Outcome::Status(code) if got != code => wrong(),
        Outcome::Forbidden if got != 403 => wrong(),
        Outcome::Hidden if got != 404 => wrong(),
        Outcome::Listed if got != 200 || ids(r) != listed || count != Some(listed.len().to_string().as_str()) => {
            wrong()
        }
        Outcome::Unlisted if got != 200 || r.body != json!([]) || count != Some("0") => wrong(),
        _ if op.is_list() && got == 200 && count != Some(ids(r).len().to_string().as_str()) => {
            Some(format!("X-Total-Count {count:?} for {} items", ids(r).len()))
        }
        _ => None,
    }
}

/// Fields of a campaign item a member without a staff role got although
/// the descriptor keeps them from that role (or keeps them out of the
/// default mask).
fn staff_fields(op: Op, who: Who, r: &Resp) -> Option<String> {
    if !matches!(op, Op::GetCampaignItem | Op::ListCampaignItems) || who.role().is_staff() || r.status != 200 {
        return None;
    }
    let allowed: BTreeSet<&str> = domain::resource::CAMPAIGN_ITEM
        .fields
        .iter()
        .filter(|f| f.default && f.least_role <= who.role())
        .map(|f| f.name)
        .collect();
    let items = match &r.body {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let extra: BTreeSet<String> = items
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys().filter(|k| !allowed.contains(k.as_str())).cloned())
        .collect();
    let missing = items.iter().any(|i| i["price"].is_null() || i["id"].is_null());
    (!extra.is_empty() || missing)
        .then(|| format!("a member read fields beyond the default ones for its role: {extra:?} ({})", short(&r.text)))
}

// ---- the fixture ----------------------------------------------------------------

/// A cell's fresh catalog, all of one distributor.
#[derive(Debug, Clone)]
struct Target {
    distributor: i64,
    /// Names its objects: `acme 17`, `globex 18`.
    tag: String,
    /// Supplier, decorator and pick/pack; nothing uses it.
    vendor: i64,
    /// Supplies the product's variants and serves its type.
    supplier: i64,
    /// An attribute no type uses, with values S and M.
    size: i64,
    sizes: [i64; 2],
    /// The type's attribute, with values Red, Blue, Green and Black.
    color: i64,
    colors: [i64; 4],
    /// A type over `color`, with a product.
    wearables: i64,
    /// A type nothing uses.
    mugs: i64,
    product: i64,
    /// The product's variants: Red (nothing uses it) and Blue (the item's).
    red: i64,
    blue: i64,
    campaign: i64,
    item: i64,
    file: i64,
}

impl Target {
    /// The same request about objects that do not exist.
    fn ghost() -> Target {
        Target {
            distributor: GHOST,
            tag: "ghost".into(),
            vendor: GHOST,
            supplier: GHOST,
            size: GHOST,
            sizes: [GHOST; 2],
            color: GHOST,
            colors: [GHOST; 4],
            wearables: GHOST,
            mugs: GHOST,
            product: GHOST,
            red: GHOST,
            blue: GHOST,
            campaign: GHOST,
            item: GHOST,
            file: GHOST,
        }
    }
}

/// The whole catalog of one cell in one statement (the foreign keys are
/// checked at its end, so the rows may refer to each other). $1 distributor,
/// $2 tag, $3 item number, $4 campaign status, $5 members, $6 and $7 the
/// file's hash and size.
const CATALOG_SQL: &str = "\
WITH v AS (INSERT INTO vendors (distributor_id, name, email, address, is_supplier, is_decorator, is_pick_pack) \
           VALUES ($1, $2 || ' vendor', 'vendor@vendor.example', '1 Vendor Way', TRUE, TRUE, TRUE) RETURNING id), \
s AS (INSERT INTO vendors (distributor_id, name, email, address, is_supplier, is_decorator) \
      VALUES ($1, $2 || ' supplier', 'supplier@vendor.example', '2 Supplier Way', TRUE, TRUE) RETURNING id), \
a AS (INSERT INTO attributes (distributor_id, name) VALUES ($1, $2 || ' size') RETURNING id), \
av AS (INSERT INTO attribute_values (attribute_id, distributor_id, name, position) \
       SELECT a.id, $1, x.name, x.position FROM a, (VALUES ('S', 0), ('M', 1)) AS x (name, position) \
       RETURNING id, position), \
c AS (INSERT INTO attributes (distributor_id, name) VALUES ($1, $2 || ' color') RETURNING id), \
cv AS (INSERT INTO attribute_values (attribute_id, distributor_id, name, position) \
       SELECT c.id, $1, x.name, x.position FROM c, \
              (VALUES ('Red', 0), ('Blue', 1), ('Green', 2), ('Black', 3)) AS x (name, position) \
       RETURNING id, name, position), \
t AS (INSERT INTO product_types (distributor_id, name) VALUES ($1, $2 || ' wearables') RETURNING id), \
ta AS (INSERT INTO product_type_attributes (product_type_id, attribute_id, distributor_id, position) \
       SELECT t.id, c.id, $1, 0 FROM t, c), \
tv AS (INSERT INTO product_type_vendors (product_type_id, vendor_id, distributor_id) SELECT t.id, s.id, $1 FROM t, s), \
t2 AS (INSERT INTO product_types (distributor_id, name) VALUES ($1, $2 || ' mugs') RETURNING id), \
p AS (INSERT INTO products (distributor_id, product_type_id, name, item_number, description) \
      SELECT $1, t.id, $2 || ' tee', $3, $2 || ' cotton' FROM t RETURNING id), \
x AS (INSERT INTO product_variants (distributor_id, product_id, supplier_id, vendor_cost, value_ids, sku) \
      SELECT $1, p.id, s.id, 4.10, ARRAY[cv.id], $3 || '-' || cv.name FROM p, s, cv WHERE cv.position < 2 \
      RETURNING id, value_ids), \
xv AS (INSERT INTO product_variant_values (variant_id, attribute_id, attribute_value_id, distributor_id, position) \
       SELECT x.id, c.id, x.value_ids[1], $1, 0 FROM x, c), \
k AS (INSERT INTO campaigns (distributor_id, name, company_name, status, start_date, end_date, message) \
      VALUES ($1, $2 || ' campaign', 'Client Co', $4, (now() AT TIME ZONE 'UTC')::date - 30, \
              (now() AT TIME ZONE 'UTC')::date + 30, 'Welcome') RETURNING id), \
km AS (INSERT INTO campaign_members (campaign_id, account_id, distributor_id) \
       SELECT k.id, m, $1 FROM k, unnest($5::int8[]) AS m), \
i AS (INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, sku, \
                                  product_id, product_name, product_type_name, item_number, description, \
                                  attributes, supplier_id, supplier_name, supplier_email, supplier_address, \
                                  total, price, frozen_at) \
      SELECT k.id, $1, x.id, 4.10, 35, $3 || '-Blue', p.id, $2 || ' tee', $2 || ' wearables', $3, $2 || ' cotton', \
             jsonb_build_array(jsonb_build_object('attribute', $2 || ' color', 'value', 'Blue')), s.id, \
             $2 || ' supplier', 'supplier@vendor.example', '2 Supplier Way', 4.10, 6.31, \
             CASE WHEN $4 = 'active' THEN now() END \
      FROM k, x, p, s, cv WHERE x.value_ids[1] = cv.id AND cv.position = 1 RETURNING id), \
f AS (INSERT INTO resources (distributor_id, sha256, content_type, size, original_name) \
      VALUES ($1, $6, 'text/plain', $7, $2 || '.txt') RETURNING id) \
SELECT jsonb_build_object( \
  'vendor', (SELECT id FROM v), 'supplier', (SELECT id FROM s), \
  'size', (SELECT id FROM a), 'sizes', (SELECT jsonb_agg(id ORDER BY position) FROM av), \
  'color', (SELECT id FROM c), 'colors', (SELECT jsonb_agg(id ORDER BY position) FROM cv), \
  'wearables', (SELECT id FROM t), 'mugs', (SELECT id FROM t2), 'product', (SELECT id FROM p), \
  'red', (SELECT x.id FROM x JOIN cv ON cv.id = x.value_ids[1] WHERE cv.position = 0), \
  'blue', (SELECT x.id FROM x JOIN cv ON cv.id = x.value_ids[1] WHERE cv.position = 1), \
  'campaign', (SELECT id FROM k), 'item', (SELECT id FROM i), 'file', (SELECT id FROM f))";

struct Fixture {
    w: World,
    /// Each side's admin buyer and shopper, members of every fresh campaign.
    members: [[i64; 2]; 2],
    files_dir: PathBuf,
}

impl Fixture {
    async fn new(app: &TestApp, files_dir: PathBuf) -> Fixture {
        let w = World::build(app).await;
        let mut members = [[0; 2]; 2];
        for (i, side) in ["acme", "globex"].into_iter().enumerate() {
            members[i] =
                [id_of(&app.pool, &format!("{side}_buyer")).await, id_of(&app.pool, &format!("{side}_shopper")).await];
        }
        Fixture { w, members, files_dir }
    }

    /// A fresh catalog of `side` for one cell, named after the side, with
    /// its file's bytes where the application keeps them.
    async fn catalog(&self, pool: &PgPool, side: Side, label: &str, status: &str) -> Target {
        let (d, name, members) = match side {
            Side::Acme => (self.w.acme, "acme", self.members[0]),
            Side::Globex => (self.w.globex, "globex", self.members[1]),
        };
        let tag = format!("{name} {label}");
        let content = format!("the {tag} file\n");
        let sha = format!("{:x}", Sha256::digest(content.as_bytes()));
        let ids: Value = sqlx::query_scalar(CATALOG_SQL)
            .bind(d)
            .bind(&tag)
            .bind(tag.replace(' ', "-"))
            .bind(status)
            .bind(members.to_vec())
            .bind(&sha)
            .bind(content.len() as i64)
            .fetch_one(pool)
            .await
            .unwrap();
        let dir = self.files_dir.join(d.to_string()).join(&sha[..2]);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&sha), content).unwrap();
        let id = |k: &str| ids[k].as_i64().unwrap_or_else(|| panic!("no {k} in {ids}"));
        let list = |k: &str| -> Vec<i64> { ids[k].as_array().unwrap().iter().filter_map(Value::as_i64).collect() };
        Target {
            distributor: d,
            tag,
            vendor: id("vendor"),
            supplier: id("supplier"),
            size: id("size"),
            sizes: list("sizes").try_into().unwrap(),
            color: id("color"),
            colors: list("colors").try_into().unwrap(),
            wearables: id("wearables"),
            mugs: id("mugs"),
            product: id("product"),
            red: id("red"),
            blue: id("blue"),
            campaign: id("campaign"),
            item: id("item"),
            file: id("file"),
        }
    }
}

/// What a cell could change ([`crate::matrix_kit::fingerprint`]: every
/// table by distributor, the cache's denylist) and the files under the files
/// directory, for "nothing changed" checks.
async fn fingerprint(pool: &PgPool, cache: &storage::Cache, files_dir: &Path) -> BTreeMap<String, String> {
    let mut digest = crate::matrix_kit::fingerprint(pool, cache).await;
    let files: Vec<String> = files_under(files_dir).iter().map(|p| p.display().to_string()).collect();
    digest.insert("files/-".to_owned(), files.join(","));
    digest
}

/// The application with its own files directory, and a client that sends
/// any body with a token (`TestApp` sends JSON only).
struct Cx {
    app: TestApp,
    client: TestClient<BoxEndpoint<'static, poem::Response>>,
    fx: Fixture,
    tokens: Vec<String>,
}

impl Cx {
    async fn new(pool: PgPool) -> Cx {
        let dir = temp_files_dir();
        let config = ApiConfig { files_dir: dir.clone(), ..ApiConfig::default() };
        let app = TestApp::counted_with_config(pool, config).await;
        let client = TestClient::new(api::app(app.state.clone()).map_to_response().boxed());
        let fx = Fixture::new(&app, dir).await;
        let mut tokens = Vec::new();
        for who in ROLES {
            tokens.push(app.login(who.username()).await.0);
        }
        Cx { app, client, fx, tokens }
    }

    async fn send(&self, token: &str, req: Req) -> Resp {
        let mut r = self.client.request(req.method, &req.path).header("Authorization", format!("Bearer {token}"));
        for (k, v) in &req.headers {
            r = r.header(*k, v.as_str());
        }
        r = match req.body {
            Body::None => r,
            Body::Json(v) => r.content_type("application/json").body(v.to_string()),
            Body::Csv(csv) => r.content_type("text/csv; charset=utf-8").body(csv),
            Body::Form(bytes) => r.content_type(format!("multipart/form-data; boundary={BOUNDARY}")).body(bytes),
        };
        let resp = r.send().await;
        let status = resp.0.status();
        let headers = resp.0.headers().clone();
        Resp::new(status, headers, resp.0.into_body().into_vec().await.unwrap())
    }
}

impl Drop for Cx {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.fx.files_dir);
    }
}

/// The routes the rows name, for the spec-wide coverage test.
pub(crate) fn routes() -> Vec<(String, String)> {
    MATRIX.iter().map(|(op, _)| (op.route().0.to_owned(), op.route().1.to_owned())).collect()
}

// ---- the matrix -------------------------------------------------------------------

/// Every cell of the rows of `group`; panics listing each failure.
async fn run(pool: PgPool, group: Group) {
    let cx = Cx::new(pool).await;
    let pool = cx.app.pool.clone();
    let acme = cx.fx.w.acme;
    let mut failures = Vec::new();
    let mut cells = 0;
    let mut write_statements = Vec::new();
    for &(op, row) in MATRIX.iter().filter(|(op, _)| op.group() == group) {
        let sent: Vec<&str> =
            op.request(&Target::ghost(), &Target::ghost(), 0).headers.iter().map(|(k, _)| *k).collect();
        for variant in Variant::of(op.route(), &sent) {
            for (i, who) in ROLES.into_iter().enumerate() {
                let (own, other) = Outcome::pair(row[i]);
                for (side, plain) in [(Side::Acme, own), (Side::Globex, other)] {
                    let expected = variant.expect(plain);
                    cells += 1;
                    let token = &cx.tokens[i];
                    let status = op.campaign_status();
                    let target = cx.fx.catalog(&pool, side, &format!("{cells}"), status).await;
                    let home = if side == Side::Globex && op.needs_home() {
                        cx.fx.catalog(&pool, Side::Acme, &format!("home {cells}"), status).await
                    } else {
                        target.clone()
                    };
                    let before = fingerprint(&pool, &cx.app.state.cache, &cx.fx.files_dir).await;
                    let mut req = op.request(&target, &home, cells);
                    req.headers.extend(variant.add(cells));
                    let named = req.named();
                    // Authentication's cached account state is warmed first, so
                    // the count is the write's own.
                    let measured = variant == Variant::Plain && op.is_write();
                    if measured {
                        cx.app.get("/api/v1/auth/me", token).await;
                    }
                    let (statements, r) = crate::statements::statements_of(&cx.app, cx.send(token, req)).await;
                    if measured && r.status.is_success() {
                        write_statements.push(format!("{op:?} {who:?} {side:?}: {statements}"));
                    }
                    let mut problems = Vec::new();
                    problems.extend(mismatch(expected, op, &target, &r));
                    if who != Who::Root {
                        problems.extend(leak(&r, acme));
                    }
                    problems.extend(staff_fields(op, who, &r));
                    // A hidden object, and anything refused on the other side,
                    // answers exactly as one that does not exist.
                    let refused = r.status.is_client_error();
                    let foreign = who != Who::Root && side == Side::Globex;
                    if refused && (expected == Outcome::Hidden || foreign) {
                        let ghost = Target::ghost();
                        let mut req = op.request(&ghost, &home, cells);
                        req.headers.extend(variant.add(cells));
                        let ghost_named = req.named();
                        let g = cx.send(token, req).await;
                        problems.extend(tells_apart(&r, &named, &g, &ghost_named));
                    }
                    let after = fingerprint(&pool, &cx.app.state.cache, &cx.fx.files_dir).await;
                    let caller = (who != Who::Root).then_some(acme);
                    problems.extend(change_problems(&before, &after, &r, op.is_write(), target.distributor, caller));
                    for p in problems {
                        failures.push(format!("{op:?} ({variant:?}) {who:?} {side:?}: {p}"));
                    }
                }
            }
        }
    }
    assert!(cells > 0, "no rows in {group:?}");
    crate::statements::assert_golden(&format!("catalog_write_statements_{group:?}.txt"), &write_statements);
    assert!(failures.is_empty(), "{} of {cells} {group:?} cells failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_matrix_covers_every_catalog_and_minor_operation() {
    let spec: Value = serde_json::from_str(&api::document::document()).unwrap();
    let covered: BTreeSet<(&str, &str)> = MATRIX.iter().map(|(op, _)| op.route()).collect();
    let mut missing = Vec::new();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            if path.starts_with(CATALOG) || path.starts_with(MINOR) {
                documented.insert((method.clone(), path.clone()));
                if !covered.contains(&(method.as_str(), path.as_str())) {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "operations missing from the matrix: {missing:?}");
    // And every row names a documented operation (no typo hides a gap).
    for (method, path) in covered {
        assert!(documented.contains(&(method.to_owned(), path.to_owned())), "{method} {path} is not in the spec");
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn vendors_and_attributes_on_both_sides(pool: PgPool) {
    run(pool, Group::VendorsAttributes).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn product_types_products_and_variants_on_both_sides(pool: PgPool) {
    run(pool, Group::TypesProductsVariants).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn campaign_items_on_both_sides(pool: PgPool) {
    run(pool, Group::CampaignItems).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn imports_files_and_roles_on_both_sides(pool: PgPool) {
    run(pool, Group::ImportsFilesRoles).await;
}

// ---- lists, filters and expansions -------------------------------------------------

/// A GET as `token`.
async fn get(cx: &Cx, token: &str, url: &str, headers: &[(&'static str, &str)]) -> Resp {
    let headers = headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    cx.send(token, Req { method: Method::GET, path: url.to_owned(), headers, body: Body::None }).await
}

/// `?count=exact&page_size=500&filter=<filter>`.
fn filtered(url: &str, filter: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}count=exact&page_size=500&filter={}", enc(filter))
}

/// Rows the API never makes, inserted to check that relation loading and
/// relation filters apply the caller's scope on their own (`schema.rs`):
/// Acme's product shows Globex's file, Acme's type lists Globex's vendor
/// and, on the type nothing else uses, Globex's attribute; an Acme variant
/// is supplied by Globex's supplier and holds a Globex value; an Acme item
/// is made from a Globex variant.
async fn cross_links(pool: &PgPool, a: &Target, g: &Target) -> i64 {
    let d = a.distributor;
    for sql in [
        format!("INSERT INTO product_images VALUES ({}, {}, {d}, 0)", a.product, g.file),
        format!("INSERT INTO product_type_vendors VALUES ({}, {}, {d})", a.wearables, g.vendor),
        format!("INSERT INTO product_type_attributes VALUES ({}, {}, {d}, 0)", a.mugs, g.size),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
    }
    let variant: i64 = sqlx::query_scalar(
        "INSERT INTO product_variants (distributor_id, product_id, supplier_id, vendor_cost, value_ids, sku) \
         VALUES ($1, $2, $3, 1.00, ARRAY[$4, $5]::int8[], 'acme-cross') RETURNING id",
    )
    .bind(d)
    .bind(a.product)
    .bind(g.supplier)
    .bind(a.colors[3])
    .bind(g.sizes[1])
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO product_variant_values VALUES ($1, $2, $3, $6, 0), ($1, $4, $5, $6, 1)")
        .bind(variant)
        .bind(a.color)
        .bind(a.colors[3])
        .bind(g.size)
        .bind(g.sizes[1])
        .bind(d)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, sku, \
                                     product_id, product_name, supplier_id, supplier_name, total, price) \
         VALUES ($1, $2, $3, 1.00, 10, 'acme-cross-item', $4, 'acme cross tee', $5, 'acme cross supplier', 1.00, 1.11)",
    )
    .bind(a.campaign)
    .bind(d)
    .bind(g.red)
    .bind(a.product)
    .bind(a.supplier)
    .execute(pool)
    .await
    .unwrap();
    variant
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn filters_and_expansions_reach_neither_across_nor_into_staff_only_fields(pool: PgPool) {
    let cx = Cx::new(pool).await;
    let pool = cx.app.pool.clone();
    let a = cx.fx.catalog(&pool, Side::Acme, "lists", "active").await;
    let g = cx.fx.catalog(&pool, Side::Globex, "lists", "active").await;
    let cross = cross_links(&pool, &a, &g).await;
    let globex = g.distributor;
    let mut failures = Vec::new();
    let mut checks = 0;

    // Filters that match only Globex's rows: [] and a count of 0 for every
    // Acme user who may list; a super admin finds something, so each filter
    // does match. Staff-only lists are 403 for admin buyers and shoppers.
    let id = |field: &str, v: i64| format!(r#"[{{"field":"{field}","op":"==","value":{v}}}]"#);
    let like = |field: &str| format!(r#"[{{"field":"{field}","op":"ilike","value":"globex%"}}]"#);
    let via = |model: &str, field: &str| {
        format!(r#"[{{"model":"{model}","field":"{field}","op":"ilike","value":"globex%"}}]"#)
    };
    let vendors = format!("{CATALOG}/vendors");
    let attributes = format!("{CATALOG}/attributes");
    let types = format!("{CATALOG}/product-types");
    let products = format!("{CATALOG}/products");
    let items = format!("{CATALOG}/campaign-items");
    let files = format!("{MINOR}/resources");
    let only_globex: Vec<(&str, String)> = vec![
        (&vendors, like("name")),
        (&vendors, id("id", g.vendor)),
        (&vendors, id("distributor_id", globex)),
        (&vendors, format!(r#"[{{"not":[{{"field":"distributor_id","op":"==","value":{}}}]}}]"#, a.distributor)),
        (&attributes, like("name")),
        (&attributes, via("AttributeValue", "name").replace("globex%", "S")),
        (&attributes, format!(r#"[{{"model":"AttributeValue","field":"id","op":"==","value":{}}}]"#, g.sizes[0])),
        (&types, like("name")),
        (&types, via("Attribute", "name")),
        (&types, via("Vendor", "name")),
        (&products, like("item_number")),
        (&products, via("ProductType", "name")),
        (&products, via("ProductVariant", "sku")),
        (&products, via("Resource", "original_name")),
        (&items, like("product_name")),
        (&items, via("Campaign", "name")),
        (&items, id("distributor_id", globex)),
        (&files, like("original_name")),
    ];
    for (who, token) in ROLES.into_iter().zip(&cx.tokens) {
        let staff = who.role().is_staff();
        for (url, filter) in &only_globex {
            checks += 1;
            // "S" values exist on both sides: on Acme's side too.
            let both = filter.contains(r#""S""#);
            let r = get(&cx, token, &filtered(url, filter), &[]).await;
            let count = r.header("x-total-count").unwrap_or("none");
            let listed = ids(&r);
            let ok = match who {
                Who::Root => r.status == 200 && count != "0" && !listed.is_empty(),
                _ if !staff && !url.ends_with("campaign-items") => r.status == 403,
                _ if both => r.status == 200 && listed == BTreeSet::from([a.size]) && count == "1",
                _ => r.status == 200 && r.body == json!([]) && count == "0",
            };
            if !ok || (who != Who::Root && r.text.to_lowercase().contains("globex")) {
                failures.push(format!("{who:?} {url} {filter}: {} count {count} {}", r.status, short(&r.text)));
            }
        }

        // A child list narrowed to another parent is empty, for everyone
        // who may list it: the parent in the path wins.
        for (url, filter) in [
            (format!("{CATALOG}/attributes/{}/values", a.size), id("attribute_id", g.size)),
            (format!("{CATALOG}/products/{}/variants", a.product), id("product_id", g.product)),
        ] {
            checks += 1;
            let r = get(&cx, token, &filtered(&url, &filter), &[]).await;
            let ok = if staff { r.status == 200 && r.body == json!([]) } else { r.status == 403 };
            if !ok {
                failures.push(format!("{who:?} {url} {filter}: {} {}", r.status, short(&r.text)));
            }
        }

        // An `or` cannot widen the scope: it is ANDed with it as a whole.
        for (url, field) in [
            (&vendors, "name"),
            (&attributes, "name"),
            (&types, "name"),
            (&products, "item_number"),
            (&items, "product_name"),
            (&files, "original_name"),
        ] {
            checks += 1;
            let filter = format!(
                r#"[{{"or":[{{"field":"{field}","op":"ilike","value":"globex%"}},{{"field":"id","op":">","value":0}}]}}]"#
            );
            let r = get(&cx, token, &filtered(url, &filter), &[]).await;
            let n = ids(&r).len().to_string();
            let seen = r.text.to_lowercase().contains("globex");
            let ok = if !staff && url != &items {
                r.status == 403
            } else {
                r.status == 200 && r.header("x-total-count") == Some(n.as_str()) && seen == (who == Who::Root)
            };
            if !ok {
                failures.push(format!("{who:?} {url} {filter}: {} {}", r.status, short(&r.text)));
            }
        }

        // A campaign item's staff-only fields and relations, in filters,
        // sorts and masks: 403 naming them for members, fine for staff.
        let item = format!("{items}/{}", a.item);
        let staff_only: [(String, &str); 8] = [
            (filtered(&items, r#"[{"field":"vendor_cost","op":">","value":"0"}]"#), "vendor_cost"),
            (format!("{items}?sort=margin"), "margin"),
            (format!("{items}?fields=id,supplier_name"), "supplier_name"),
            (format!("{items}?fields={}", enc("{id,variant{id}}")), "variant"),
            (filtered(&items, &via("ProductVariant", "sku").replace("globex%", "%")), "variant"),
            (filtered(&items, r#"[{"model":"Campaign","field":"bfl_cost","op":">=","value":"0"}]"#), "bfl_cost"),
            (format!("{item}?fields=id,total"), "total"),
            (format!("{item}?fields=id,decorations"), "decorations"),
        ];
        for (url, field) in staff_only {
            checks += 1;
            let r = get(&cx, token, &url, &[]).await;
            let ok = if staff {
                r.status == 200 && (who == Who::Root || !r.text.to_lowercase().contains("globex"))
            } else {
                r.status == 403 && r.body["detail"].as_str().is_some_and(|d| d.contains(field))
            };
            if !ok {
                failures.push(format!("{who:?} {url}: {} {}", r.status, short(&r.text)));
            }
        }

        // Expanded relations hold only what the caller may see, even where
        // a row links to another distributor's.
        let mut expansions: Vec<(String, &str)> = vec![(items.clone(), "{id,sku,campaign{id,name}}")];
        if staff {
            expansions.extend([
                (products.clone(), "{id,product_type{id,name},variants{id,sku},images{id,original_name}}"),
                (types.clone(), "{id,name,attributes{id,name},vendors{id,name}}"),
                (attributes.clone(), "{id,name,values{id,name}}"),
                (
                    format!("{CATALOG}/products/{}/variants", a.product),
                    "{id,sku,product{id},supplier{id,name},attribute_values{id,name}}",
                ),
                (items.clone(), "{id,sku,campaign{id,name},variant{id,sku}}"),
                (format!("{CATALOG}/variants/{cross}"), "{id,sku,supplier{id,name},attribute_values{id,name}}"),
                (format!("{CATALOG}/products/{}", a.product), "{id,images{id,original_name}}"),
            ]);
        }
        for (url, mask) in expansions {
            checks += 1;
            let r = get(&cx, token, &format!("{url}?page_size=500"), &[("X-Fields", mask)]).await;
            let seen = r.text.to_lowercase().contains("globex");
            if r.status != 200 || (who != Who::Root && seen) || leak_free(&r, who, a.distributor).is_some() {
                failures.push(format!("{who:?} {url} {mask}: {} {}", r.status, short(&r.text)));
            }
        }
    }
    // The cross links are there: a super admin sees them.
    checks += 1;
    let root = &cx.tokens[0];
    let r = get(&cx, root, &format!("{CATALOG}/products/{}", a.product), &[("X-Fields", "{id,images{id}}")]).await;
    if r.body["images"] != json!([{"id": g.file}]) {
        failures.push(format!("root does not see the cross link: {}", short(&r.text)));
    }
    assert!(failures.is_empty(), "{} of {checks} list checks failed:\n{}", failures.len(), failures.join("\n"));
}

/// [`leak`] for Acme callers; nothing for a super admin.
fn leak_free(r: &Resp, who: Who, acme: i64) -> Option<String> {
    if who == Who::Root { None } else { leak(r, acme) }
}
