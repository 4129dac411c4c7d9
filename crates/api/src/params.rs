//! The query language's one integration point: documented parameter
//! extractors for X-Fields masks, filters, sort and paging, and the glue that
//! turns them into a checked `ListQuery` and the `Link` header.
//!
//! A list endpoint takes these arguments and calls [`ListArgs::parse`]; a read
//! endpoint takes [`XFields`] and [`FieldsQuery`] and calls
//! [`selection`]. Each parameter's description and example live here once.

use crate::error::ApiError;
use domain::Role;
use domain::query::{ListQuery, Selection};
use domain::resource::Resource;
use poem::{Request, RequestBody};
use poem_openapi::param::{Header, Query};
use poem_openapi::registry::{MetaParamIn, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::Value;
use std::marker::PhantomData;
use storage::read::Next;

/// What a parameter says about itself in the spec.
pub trait ParamDoc: Send + Sync + 'static {
    const IN: MetaParamIn;
    const DESCRIPTION: &'static str;
    const EXAMPLE: Option<&'static str>;
    /// Whether the operation needs it (absent: a 400 naming it).
    const REQUIRED: bool = false;

    /// The documented schema: a non-empty string unless a parameter says more.
    fn schema() -> MetaSchema {
        let mut s = MetaSchema::new("string");
        s.min_length = Some(1);
        s
    }
}

/// An optional text parameter documented by `D`.
pub struct Param<D>(pub Option<String>, PhantomData<D>);

impl<D> Param<D> {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'a, D: ParamDoc> ApiExtractor<'a> for Param<D> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = D::REQUIRED;
    type ParamType = Option<String>;
    type ParamRawType = ();

    fn register(_: &mut Registry) {}

    fn param_in() -> Option<MetaParamIn> {
        Some(D::IN)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        let mut s = D::schema();
        s.description = Some(D::DESCRIPTION);
        s.example = D::EXAMPLE.map(Value::from);
        Some(MetaSchemaRef::Inline(Box::new(s)))
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        opts: ExtractParamOptions<Option<String>>,
    ) -> poem::Result<Self> {
        let name = opts.name;
        // A header sent empty reads as absent below; it is refused here.
        let sent_empty = D::IN == MetaParamIn::Header
            && request.headers().get_all(name).iter().any(|v| v.as_bytes().iter().all(u8::is_ascii_whitespace));
        let value = match D::IN {
            MetaParamIn::Header => Header::<Option<String>>::from_request(request, body, opts).await?.0,
            _ => Query::<Option<String>>::from_request(request, body, opts).await?.0,
        };
        // Every such parameter is `minLength: 1`: an empty one is a mistake
        // to report (400, named), not a silent "use the default".
        if sent_empty || value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(poem::Error::from_string(
                format!("parameter `{name}` is empty; leave it out or give it a value"),
                poem::http::StatusCode::BAD_REQUEST,
            ));
        }
        // The documented `maxLength` holds too, so what the spec promises
        // to refuse is refused.
        if let (Some(max), Some(v)) = (D::schema().max_length, value.as_deref())
            && v.chars().count() > max
        {
            return Err(poem::Error::from_string(
                format!("parameter `{name}` is longer than {max} characters"),
                poem::http::StatusCode::BAD_REQUEST,
            ));
        }
        if D::REQUIRED && value.is_none() {
            return Err(poem::Error::from_string(
                format!("parameter `{name}` is required"),
                poem::http::StatusCode::BAD_REQUEST,
            ));
        }
        Ok(Param(value, PhantomData))
    }
}

macro_rules! param_doc {
    ($(#[$meta:meta])* $name:ident, $in:ident, $desc:expr, $example:expr) => {
        $(#[$meta])*
        pub struct $name;
        impl ParamDoc for $name {
            const IN: MetaParamIn = MetaParamIn::$in;
            const DESCRIPTION: &'static str = $desc;
            const EXAMPLE: Option<&'static str> = $example;
        }
    };
}

param_doc!(
    XFieldsDoc,
    Header,
    "Response mask (flask-restplus syntax): the fields and relations to return, e.g. `{id,username,distributor{name}}`. \
     `*` is every default field at its level; a relation named without braces gives its default fields. \
     Unknown names are a 400 listing the valid ones; fields your role may not read are a 403.",
    Some("{id,username,email,distributor{id,name}}")
);
param_doc!(
    FieldsDoc,
    Query,
    "The same mask as the `X-Fields` header, for links and downloads where a header cannot be set. The header wins when both are sent.",
    Some("id,username,role")
);
param_doc!(
    FilterDoc,
    Query,
    "A JSON array of conditions (sqlalchemy-filters form), all of which must hold: `{\"field\", \"op\", \"value\"}`, \
     optionally `\"model\"` to filter through a relation, and `{\"and\": [...]}`, `{\"or\": [...]}`, `{\"not\": [...]}` groups. \
     Operators: `==`/`eq`, `!=`/`ne`, `>`/`gt`, `<`/`lt`, `>=`/`ge`, `<=`/`le`, `like`, `ilike`, `not_ilike`, `in`, `not_in`, \
     `is_null`, `is_not_null`, `any`, `not_any`. At most 4 KiB and 8 levels deep.",
    Some(
        r#"[{"field":"username","op":"ilike","value":"%ann%"},{"or":[{"field":"role","op":"==","value":"shopper"},{"model":"Distributor","field":"name","op":"==","value":"Acme Promo"}]}]"#
    )
);
param_doc!(
    SortDoc,
    Query,
    "Sort keys: the short form `-created_at,username` (`-` for descending) or JSON \
     `[{\"field\":\"created_at\",\"direction\":\"desc\",\"nulls\":\"last\"}]`. A tiebreak on `id` is always added.",
    Some("-created_at,username")
);
/// An integer parameter between `min` and `max`.
fn integer_schema(min: f64, max: Option<f64>) -> MetaSchema {
    let mut s = MetaSchema::new_with_format("integer", "int64");
    s.minimum = Some(min);
    s.maximum = max;
    s
}

/// Items per page.
pub struct PageSizeDoc;
impl ParamDoc for PageSizeDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "Items per page, 1 to 500 (default 50).";
    const EXAMPLE: Option<&'static str> = Some("50");

    fn schema() -> MetaSchema {
        integer_schema(1.0, Some(f64::from(domain::query::limits::MAX_PAGE_SIZE)))
    }
}

/// Offset paging.
pub struct PageNumberDoc;
impl ParamDoc for PageNumberDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str =
        "1-based page number (offset paging, for admin grids), 1 to 4294967295. Not together with `cursor`.";
    const EXAMPLE: Option<&'static str> = Some("1");

    fn schema() -> MetaSchema {
        // The largest number the server reads (a u32); above it is a 400.
        integer_schema(1.0, Some(f64::from(u32::MAX)))
    }
}

/// Keyset paging.
pub struct CursorDoc;
impl ParamDoc for CursorDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "Opaque keyset cursor from the previous page's `Link: <...>; rel=\"next\"` \
        header. It is bound to the filter and sort it was issued for. Not together with `page_number`.";
    const EXAMPLE: Option<&'static str> = None;

    fn schema() -> MetaSchema {
        let mut s = MetaSchema::new("string");
        s.pattern = Some(r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$".into());
        s.max_length = Some(1024);
        s
    }
}

/// Counting.
pub struct CountDoc;
impl ParamDoc for CountDoc {
    const IN: MetaParamIn = MetaParamIn::Query;
    const DESCRIPTION: &'static str = "`exact` adds the `X-Total-Count` header with the number of matching rows \
        (one more query). Without it no count runs.";
    const EXAMPLE: Option<&'static str> = Some("exact");

    fn schema() -> MetaSchema {
        let mut s = MetaSchema::new("string");
        s.enum_items = vec![Value::from("exact")];
        s
    }
}

pub type XFields = Param<XFieldsDoc>;
pub type FieldsQuery = Param<FieldsDoc>;
pub type FilterQuery = Param<FilterDoc>;
pub type SortQuery = Param<SortDoc>;
pub type PageSizeQuery = Param<PageSizeDoc>;
pub type PageNumberQuery = Param<PageNumberDoc>;
pub type CursorQuery = Param<CursorDoc>;
pub type CountQuery = Param<CountDoc>;

/// The mask of a read: header first, then the `fields` query parameter.
pub fn selection(
    x_fields: &XFields,
    fields: &FieldsQuery,
    resource: &'static Resource,
    role: Role,
) -> Result<Selection, ApiError> {
    Ok(validators::query::parse_selection(x_fields.as_deref(), fields.as_deref(), resource, role)?)
}

fn integer(name: &'static str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| {
        t.trim().parse::<i64>().map_err(|_| {
            ApiError::from(validators::query::QueryError {
                kind: validators::query::QueryErrorKind::BadRequest,
                param: name,
                message: format!("`{name}` must be an integer, got `{t}`"),
                position: None,
            })
        })
    })
    .transpose()
}

/// Every list parameter, as received.
pub struct ListArgs {
    pub x_fields: XFields,
    pub fields: FieldsQuery,
    pub filter: FilterQuery,
    pub sort: SortQuery,
    pub page_size: PageSizeQuery,
    pub page_number: PageNumberQuery,
    pub cursor: CursorQuery,
    pub count: CountQuery,
}

impl ListArgs {
    /// Checks everything against the resource and the caller's role. Nothing
    /// reaches the database unless all of it is valid.
    pub fn parse(&self, resource: &'static Resource, role: Role) -> Result<ListQuery, ApiError> {
        let params = validators::query::ListParams {
            x_fields: self.x_fields.as_deref(),
            fields: self.fields.as_deref(),
            filter: self.filter.as_deref(),
            sort: self.sort.as_deref(),
            page_size: integer("page_size", self.page_size.as_deref())?,
            page_number: integer("page_number", self.page_number.as_deref())?,
            cursor: self.cursor.0.clone(),
            count: self.count.as_deref(),
        };
        Ok(validators::query::parse_list(params, resource, role)?)
    }
}

/// `Link: <path?query with the next page>; rel="next"`: the request's own
/// query with the page parameter replaced.
pub fn next_link(request: &Request, next: &Next) -> String {
    let (drop, key, value) = match next {
        Next::Cursor(c) => ("page_number", "cursor", c.clone()),
        Next::PageNumber(n) => ("cursor", "page_number", n.to_string()),
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes()) {
        if k != key && k != drop {
            query.append_pair(&k, &v);
        }
    }
    query.append_pair(key, &value);
    format!("<{}?{}>; rel=\"next\"", request.uri().path(), query.finish())
}
