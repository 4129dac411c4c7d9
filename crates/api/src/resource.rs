//! OpenAPI schemas generated from the resource descriptors, and the payloads
//! that carry masked resources.
//!
//! A masked response is JSON shaped by the caller's X-Fields mask, so its
//! schema is the resource's with every property optional. Generating it from
//! `domain::resource` keeps the spec, the mask checker and the SQL compiler
//! in agreement by construction.

use domain::resource::{
    ACCOUNT, ATTRIBUTE, ATTRIBUTE_VALUE, CAMPAIGN, CAMPAIGN_ITEM, DISTRIBUTOR, FILE, FieldType, JOB, LOCATION, ORDER,
    ORDER_EVENT, ORDER_ITEM, ORDER_NOTE, PRODUCT, PRODUCT_TYPE, RelationKind, Resource, STOREFRONT_CAMPAIGN,
    STOREFRONT_PRODUCT, VARIANT,
};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;
use std::borrow::Cow;
use std::marker::PhantomData;

/// A marker type naming a resource, for generic payloads.
pub trait Described: Send + Sync + 'static {
    const RESOURCE: &'static Resource;
    /// Whether its lists ([`list_query`], [`list_page`]) and reads by id
    /// ([`read_one`]) may come from the read replica (`DATABASE_READ_URL`,
    /// [`crate::state::AppState::read_replica`]), which may lag behind the
    /// primary. The read-back after a write never does (`write::read_back`).
    const REPLICA: bool = true;
}

/// Declares document types: `FooDoc => FOO;` names descriptor `FOO` for the
/// generic payloads. A resource's own module may declare its type with it.
macro_rules! described {
    ($($name:ident => $resource:ident $(, replica: $replica:literal)?);* $(;)?) => {$(
        #[derive(Debug)]
        pub struct $name;
        impl $crate::resource::Described for $name {
            const RESOURCE: &'static domain::resource::Resource = &$resource;
            $(const REPLICA: bool = $replica;)?
        }
    )*};
}

pub(crate) use described;

described!(
    AccountDoc => ACCOUNT;
    DistributorDoc => DISTRIBUTOR;
    CampaignDoc => CAMPAIGN;
    LocationDoc => LOCATION;
    AttributeDoc => ATTRIBUTE;
    AttributeValueDoc => ATTRIBUTE_VALUE;
    ProductTypeDoc => PRODUCT_TYPE;
    ProductDoc => PRODUCT;
    VariantDoc => VARIANT;
    CampaignItemDoc => CAMPAIGN_ITEM;
    FileDoc => FILE;
    JobDoc => JOB;
    OrderDoc => ORDER;
    OrderItemDoc => ORDER_ITEM;
    OrderEventDoc => ORDER_EVENT;
    OrderNoteDoc => ORDER_NOTE;
    // The storefront reads the primary. Its catalog pages are cached under
    // the distributor's catalog version, read from the primary: a page built
    // from a lagging replica would be cached, stale, under the new version
    // and served until the next change. Its campaigns carry the shopper's
    // own figures (allowance used and remaining), which a checkout has just
    // changed.
    StorefrontCampaignDoc => STOREFRONT_CAMPAIGN, replica: false;
    StorefrontProductDoc => STOREFRONT_PRODUCT, replica: false;
);

fn field_schema(ty: FieldType, doc: &'static str, nullable: bool) -> MetaSchemaRef {
    let mut s = match ty {
        FieldType::Id | FieldType::Int => MetaSchema::new_with_format("integer", "int64"),
        FieldType::Text => MetaSchema::new("string"),
        FieldType::Bool => MetaSchema::new("boolean"),
        FieldType::Money => {
            let mut s = MetaSchema::new_with_format("string", "decimal");
            s.pattern = Some(r"^\d+\.\d{2}$".into());
            s.example = Some(Value::from("12.50"));
            s
        }
        FieldType::Date => MetaSchema::new_with_format("string", "date"),
        FieldType::DateTime => MetaSchema::new_with_format("string", "date-time"),
        FieldType::Enum(values) => {
            let mut s = MetaSchema::new("string");
            s.enum_items = values.iter().map(|v| Value::from(*v)).collect();
            s
        }
        FieldType::Json => MetaSchema::ANY,
        FieldType::TextList => {
            let mut s = MetaSchema::new("array");
            s.items = Some(Box::new(MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))));
            s
        }
    };
    s.description = Some(doc);
    s.nullable = nullable;
    MetaSchemaRef::Inline(Box::new(s))
}

/// Registers `resource` and, recursively, every resource its relations reach.
pub fn register_resource(registry: &mut Registry, resource: &'static Resource) {
    if registry.schemas.contains_key(resource.model) {
        return;
    }
    // Insert first so cyclic relations (account ↔ distributor) terminate.
    registry.schemas.insert(resource.model.to_owned(), MetaSchema::new("object"));
    let mut schema = MetaSchema::new("object");
    schema.description = Some(resource.doc);
    for f in resource.fields {
        // Private fields read as null for callers who may not see them.
        schema.properties.push((f.name, field_schema(f.ty, f.doc, f.nullable || f.private)));
    }
    for rel in resource.relations {
        let target = rel.target();
        register_resource(registry, target);
        let reference = MetaSchemaRef::Reference(target.model.to_owned());
        let prop = if rel.kind.is_list() {
            let mut s = MetaSchema::new("array");
            s.items = Some(Box::new(reference));
            s.description = Some(rel.doc);
            MetaSchemaRef::Inline(Box::new(s))
        } else {
            let mut s = MetaSchema::new("object");
            s.all_of = vec![reference];
            s.description = Some(rel.doc);
            s.nullable = rel.kind == RelationKind::Reference;
            MetaSchemaRef::Inline(Box::new(s))
        };
        schema.properties.push((rel.name, prop));
    }
    registry.schemas.insert(resource.model.to_owned(), schema);
}

/// One resource shaped by the mask.
#[derive(Debug)]
pub struct Masked<R>(pub Value, PhantomData<R>);

impl<R> Masked<R> {
    pub fn new(value: Value) -> Self {
        Masked(value, PhantomData)
    }
}

impl<R: Described> Type for Masked<R> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Value;
    type RawElementValueType = Value;

    fn name() -> Cow<'static, str> {
        Cow::Borrowed(R::RESOURCE.model)
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Reference(R::RESOURCE.model.to_owned())
    }

    fn register(registry: &mut Registry) {
        register_resource(registry, R::RESOURCE);
    }

    fn as_raw_value(&self) -> Option<&Value> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Value> + 'a> {
        Box::new(std::iter::once(&self.0))
    }
}

impl<R: Described> ToJSON for Masked<R> {
    fn to_json(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}

/// As a response body: serialized without copying (poem-openapi's `Json`
/// would clone the document first), the time it takes counted as the
/// profile's `serialize`.
impl<R: Described> Payload for Masked<R> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        <Json<Value> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        <Masked<R> as Type>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        register_resource(registry, R::RESOURCE);
    }
}

impl<R: Described> IntoResponse for Masked<R> {
    fn into_response(self) -> Response {
        json_response(&self.0, <Self as Payload>::CONTENT_TYPE)
    }
}

/// `value` as a JSON response body.
fn json_response(value: &impl serde::Serialize, content_type: &'static str) -> Response {
    match storage::profile::time(storage::profile::Phase::Serialize, || serde_json::to_vec(value)) {
        Ok(body) => Response::builder().content_type(content_type).body(body),
        Err(e) => crate::error::ApiError::internal(&e).into_response(),
    }
}

impl<R: Described> ParseFromJSON for Masked<R> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(v @ Value::Object(_)) => Ok(Masked::new(v)),
            _ => Err(poem_openapi::types::ParseError::expected_type(Value::Null)),
        }
    }
}

/// A page of resources shaped by the mask; serialized without copying.
pub struct MaskedList<R>(pub Vec<Value>, PhantomData<R>);

impl<R> MaskedList<R> {
    pub fn new(items: Vec<Value>) -> Self {
        MaskedList(items, PhantomData)
    }
}

impl<R: Described> Payload for MaskedList<R> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        <Json<Value> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut s = MetaSchema::new("array");
        s.items = Some(Box::new(<Masked<R> as Type>::schema_ref()));
        MetaSchemaRef::Inline(Box::new(s))
    }

    fn register(registry: &mut Registry) {
        register_resource(registry, R::RESOURCE);
    }
}

impl<R: Described> IntoResponse for MaskedList<R> {
    fn into_response(self) -> Response {
        json_response(&self.0, Self::CONTENT_TYPE)
    }
}

/// A single masked resource with its ETag.
#[derive(ApiResponse)]
pub enum ReadResponse<R: Described> {
    /// The resource, shaped by the mask.
    #[oai(status = 200)]
    Ok(Masked<R>, #[oai(header = "ETag")] String),
    /// `If-None-Match` matched: the copy the client holds is current.
    #[oai(status = 304)]
    NotModified(#[oai(header = "ETag")] String),
}

/// A page of masked resources.
#[derive(ApiResponse)]
pub enum ListResponse<R: Described> {
    /// The page. `Link` holds the next page (`rel="next"`) unless this is the
    /// last; `X-Total-Count` is present with `count=exact`.
    #[oai(status = 200)]
    Ok(MaskedList<R>, #[oai(header = "Link")] Option<String>, #[oai(header = "X-Total-Count")] Option<i64>),
}

/// The ETag of a resource version (strong, quoted), for bodies that are not
/// shaped by a mask.
pub fn etag(model: &str, id: i64, version: i64) -> String {
    format!("\"{}-{id}-{version}\"", model.to_ascii_lowercase())
}

/// The ETag of one representation of a resource version: the version, and a
/// digest of the selection the mask made, so two masks of one version never
/// share a validator (a cache must not answer 304 for a body the client does
/// not hold). `If-Match` compares the version part only.
pub fn representation_etag(model: &str, id: i64, version: i64, selection: &domain::query::Selection) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(selection.canonical().as_bytes());
    let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{}-{id}-{version}-{short}\"", model.to_ascii_lowercase())
}

/// Where lists and reads by id of `R` read: the replica (when configured
/// and `R` allows it), the primary otherwise. Only [`read_one`],
/// [`list_query`] and [`list_page`] read it: what answers a write reads the
/// primary (`write::read_back`), and so do the access checks a handler makes
/// before a read.
fn read_pool<R: Described>(state: &crate::state::AppState) -> &storage::PgPool {
    if R::REPLICA { state.read_replica() } else { &state.pool }
}

/// Reads one resource for `who` (`GET` by id): 404 when absent or out of
/// scope, 304 when `If-None-Match` holds the current ETag. It reads the
/// replica (see [`read_pool`]): right after a write it may not show it yet;
/// the write's own response does (`write::read_back`, on the primary).
pub async fn read_one<R: Described>(
    state: &crate::state::AppState,
    who: &domain::Principal,
    selection: &domain::query::Selection,
    id: i64,
    if_none_match: Option<&str>,
) -> Result<ReadResponse<R>, crate::error::ApiError> {
    let mut conn = read_pool::<R>(state).acquire().await.map_err(storage::StorageError::from)?;
    let (body, tag) = crate::write::read_back_in::<R>(&mut conn, who, selection, id).await?;
    drop(conn);
    if crate::precondition::none_match(if_none_match, &tag) {
        return Ok(ReadResponse::NotModified(tag));
    }
    Ok(ReadResponse::Ok(body, tag))
}

/// Lists a page of an already checked query (a list narrowed by the API),
/// from the replica (see [`read_pool`]).
pub async fn list_query<R: Described>(
    state: &crate::state::AppState,
    who: &domain::Principal,
    query: &domain::query::ListQuery,
    request: &poem::Request,
) -> Result<ListResponse<R>, crate::error::ApiError> {
    let page = storage::read::list(read_pool::<R>(state), who, query, &state.cursors).await?;
    let link = page.next.as_ref().map(|next| crate::params::next_link(request, next));
    Ok(ListResponse::Ok(MaskedList::new(page.items), link, page.total))
}

/// Lists a page of `R` for `who` from the list parameters.
pub async fn list_page<R: Described>(
    state: &crate::state::AppState,
    who: &domain::Principal,
    args: &crate::params::ListArgs,
    request: &poem::Request,
) -> Result<ListResponse<R>, crate::error::ApiError> {
    let query = args.parse(R::RESOURCE, who.role)?;
    list_query(state, who, &query, request).await
}
