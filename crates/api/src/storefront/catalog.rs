//! A shopper's open campaigns, and a campaign's catalog grouped by product.
//!
//! The catalog is the most read page of the product, so it is served from
//! built pages: one statement checks the caller's access and reads the
//! distributor's catalog version, and the page for (campaign, version, role,
//! normalized query) comes from `storage::storefront::PageCache`, stored
//! gzip-compressed so a hit costs no JSON and no compression. Its ETag is
//! known before any page is read, so a `304` costs one statement.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult};
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::resource::{self, Described, ListResponse, Masked, StorefrontCampaignDoc, StorefrontProductDoc};
use crate::state::AppState;
use crate::tags::ApiTags;
use crate::write::field_of;
use bytes::Bytes;
use domain::Role;
use domain::query::ListQuery;
use domain::resource::STOREFRONT_PRODUCT;
use poem::http::{HeaderValue, header};
use poem::web::Data;
use poem::{IntoResponse, Request, Response};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiResponse, OpenApi};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use storage::read::Next;

#[derive(Default)]
pub struct CatalogApi;

/// A built catalog page as the cache keeps it: what the headers need, then
/// the gzip-compressed JSON body.
#[derive(Serialize, Deserialize)]
struct PageMeta {
    /// The keyset cursor of the next page, if any.
    cursor: Option<String>,
    /// The number of the next page, if any (offset paging).
    page_number: Option<u32>,
    /// With `count=exact`.
    total: Option<i64>,
}

/// Splits a cached page into its meta and its gzip body.
fn unpack(page: &Bytes) -> Option<(PageMeta, Bytes)> {
    let newline = page.iter().position(|b| *b == b'\n')?;
    let meta = serde_json::from_slice(&page[..newline]).ok()?;
    Some((meta, page.slice(newline + 1..)))
}

fn pack(meta: &PageMeta, gzip: &[u8]) -> ApiResult<Bytes> {
    let mut out = serde_json::to_vec(meta).map_err(|e| ApiError::internal(&e))?;
    out.push(b'\n');
    out.extend_from_slice(gzip);
    Ok(Bytes::from(out))
}

fn gzip(body: &[u8]) -> ApiResult<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 6), flate2::Compression::new(6));
    encoder.write_all(body).map_err(|e| ApiError::internal(&e))?;
    encoder.finish().map_err(|e| ApiError::internal(&e))
}

fn gunzip(body: &[u8]) -> ApiResult<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() * 8);
    flate2::read::GzDecoder::new(body).read_to_end(&mut out).map_err(|e| ApiError::internal(&e))?;
    Ok(out)
}

/// A catalog page's JSON, gzip-compressed when the client accepts gzip
/// (sent as built, with `Content-Encoding: gzip`), inflated otherwise.
pub struct CatalogPage {
    body: Bytes,
    gzipped: bool,
}

impl Payload for CatalogPage {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        content_type.starts_with("application/json")
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut s = MetaSchema::new("array");
        s.items = Some(Box::new(<Masked<StorefrontProductDoc> as poem_openapi::types::Type>::schema_ref()));
        MetaSchemaRef::Inline(Box::new(s))
    }

    fn register(registry: &mut Registry) {
        resource::register_resource(registry, StorefrontProductDoc::RESOURCE);
    }
}

impl IntoResponse for CatalogPage {
    fn into_response(self) -> Response {
        let mut resp = Response::builder().content_type(Self::CONTENT_TYPE).body(self.body);
        // Set here, so the compression layer leaves the body alone; the
        // response varies with Accept-Encoding either way.
        resp.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
        if self.gzipped {
            resp.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        resp
    }
}

/// A catalog page and its validators.
#[derive(ApiResponse)]
pub enum CatalogResponse {
    /// The page. `Link` holds the next page (`rel="next"`) unless this is the
    /// last; `X-Total-Count` is present with `count=exact`. The ETag is weak
    /// (the same page may go out gzip-compressed or not) and changes with any
    /// change to the catalog.
    #[oai(status = 200)]
    Ok(
        CatalogPage,
        #[oai(header = "ETag")] String,
        #[oai(header = "Link")] Option<String>,
        #[oai(header = "X-Total-Count")] Option<i64>,
    ),
    /// `If-None-Match` matched: the copy the client holds is current.
    #[oai(status = 304)]
    NotModified(#[oai(header = "ETag")] String),
}

/// The cache key and ETag of one page: the campaign, the catalog version,
/// the role (fields and prices differ by role) and a digest of the
/// normalized query.
fn page_key(campaign_id: i64, version: i64, role: Role, query: &ListQuery) -> (String, String) {
    let digest = Sha256::digest(query.canonical().as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("storefront:{campaign_id}:{version}:{}:{hex}", role.as_str());
    let tag = format!("W/\"storefront-{campaign_id}-{version}-{}\"", &hex[..16]);
    (key, tag)
}

/// Builds the page from the database and packs it for the cache.
async fn build(state: &AppState, who: &domain::Principal, query: &ListQuery) -> ApiResult<Bytes> {
    let page = storage::read::list(&state.pool, who, query, &state.cursors).await?;
    let body = serde_json::to_vec(&page.items).map_err(|e| ApiError::internal(&e))?;
    let meta = PageMeta {
        cursor: match &page.next {
            Some(Next::Cursor(c)) => Some(c.clone()),
            _ => None,
        },
        page_number: match page.next {
            Some(Next::PageNumber(n)) => Some(n),
            _ => None,
        },
        total: page.total,
    };
    pack(&meta, &gzip(&body)?)
}

#[OpenApi(prefix_path = "/api/v1/storefront", tag = "ApiTags::Storefront")]
impl CatalogApi {
    /// List my open campaigns
    ///
    /// The campaigns whose store is open today (active, today between the
    /// start and end dates) that the caller may shop in or preview: a
    /// shopper's and an admin buyer's campaigns, staff's distributor's. Each
    /// with its message, dates, limits, allowance and checkout fields, and
    /// for a shopper their own figures in it: units and amount already
    /// ordered, allowance used and remaining (null for other callers). Name
    /// `locations` in the mask to embed the delivery locations.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns", method = "get", operation_id = "list_storefront_campaigns")]
    async fn list_campaigns(
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
    ) -> ApiResult<ListResponse<StorefrontCampaignDoc>> {
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, auth.principal(), &args, request).await
    }

    /// List a campaign's products
    ///
    /// The catalog of campaign `id` as its shoppers see it: each product with
    /// its images, description and type, and its items (one per variant and
    /// decoration set) with their attribute values in the attribute's order,
    /// decoration locations and price. Prices are null when the campaign
    /// hides them from shoppers; costs, margins, suppliers and decorators are
    /// never shown. The whole query language applies, e.g.
    /// `filter=[{"model":"StorefrontItem","field":"attribute_values","op":"any","value":"XL"}]`
    /// (products with an XL item) or `[{"field":"product_type","op":"==","value":"T-Shirt"}]`.
    ///
    /// Shoppers who are members see it while the store is open (409
    /// `campaign_not_open` otherwise); staff of the distributor and the
    /// campaign's admin buyers preview it whatever its status; everyone else
    /// gets 404. Pages are cached until the catalog changes; `If-None-Match`
    /// answers 304.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/campaigns/:id/products", method = "get", operation_id = "list_storefront_products")]
    async fn list_products(
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
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<CatalogResponse> {
        let who = auth.principal();
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        let mut query = args.parse(&STOREFRONT_PRODUCT, who.role)?;
        query.within(field_of(&STOREFRONT_PRODUCT, "campaign_id")?, id.0);

        let access =
            storage::storefront::catalog_access(&state.pool, who, id.0).await?.ok_or_else(ApiError::not_found)?;
        if who.role == Role::Shopper {
            super::require_open(access.status, access.start_date, access.end_date)?;
        }
        let (key, tag) = page_key(access.campaign_id, access.catalog_version, who.role, &query);
        if crate::precondition::none_match(if_none_match.0.as_deref(), &tag) {
            return Ok(CatalogResponse::NotModified(tag));
        }
        let page = match state.pages.get(&key).await {
            Some(page) => page,
            None => {
                let page = build(&state, who, &query).await?;
                state.pages.put(&key, page.clone()).await;
                page
            }
        };
        let (meta, gzipped) = unpack(&page).ok_or_else(|| ApiError::internal(&"a cached catalog page is damaged"))?;
        let accepts_gzip = crate::compression::accepts_gzip(
            request.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()),
        );
        let body = if accepts_gzip {
            CatalogPage { body: gzipped, gzipped: true }
        } else {
            CatalogPage { body: Bytes::from(gunzip(&gzipped)?), gzipped: false }
        };
        let next = match (meta.cursor, meta.page_number) {
            (Some(c), _) => Some(Next::Cursor(c)),
            (None, Some(n)) => Some(Next::PageNumber(n)),
            (None, None) => None,
        };
        let link = next.as_ref().map(|n| crate::params::next_link(request, n));
        Ok(CatalogResponse::Ok(body, tag, link, meta.total))
    }
}
