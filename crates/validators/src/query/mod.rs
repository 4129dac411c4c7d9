//! The list query language: what a client may send to read a list, and the
//! checked [`ListQuery`] it becomes (DESIGN §4).
//!
//! | parameter | module | becomes |
//! |---|---|---|
//! | `X-Fields` header / `fields` | [`mask`], [`selection`] | [`Selection`] |
//! | `filter` | [`filter`] | [`Filter`] |
//! | `sort` | [`sort`] | [`Sort`] |
//! | `page_size`, `page_number`, `cursor`, `count` | [`page`] | [`Page`], `bool` |
//!
//! Every name is checked against the resource descriptors and the caller's
//! role, every value against its field's type, and every text against a size
//! limit, so storage compiles only what was declared and binds every value.
//! Errors are [`QueryError`]s: 400 for malformed input, 403 for fields above
//! the caller's role.
//!
//! ```
//! use domain::{Role, resource::ACCOUNT};
//! use validators::query::{ListParams, parse_list};
//!
//! let params = ListParams {
//!     x_fields: Some("{id,username,distributor{name}}"),
//!     filter: Some(r#"[{"field":"username","op":"ilike","value":"%ann%"}]"#),
//!     sort: Some("-created_at"),
//!     ..ListParams::default()
//! };
//! let query = parse_list(params, &ACCOUNT, Role::SalesExecutive).unwrap();
//! assert!(query.selection.has_field("username"));
//! assert_eq!(query.sort.to_string(), "created_at desc nulls first");
//! ```

mod access;
mod describe;
pub mod error;
pub mod filter;
#[cfg(test)]
mod fixtures;
pub mod mask;
mod operand;
pub mod page;
pub mod selection;
pub mod sort;

pub use error::{QueryError, QueryErrorKind, param};
pub use filter::parse_filter;
pub use mask::{Mask, MaskItem, parse_mask};
pub use page::{parse_count, parse_page};
pub use selection::select;
pub use sort::{default_sort, parse_sort};

use domain::Role;
use domain::query::{Filter, ListQuery, Page, Selection, Sort};
use domain::resource::Resource;

/// The raw list parameters of a request, as the API extracted them. `None`
/// means absent; an empty text is a client mistake and gets a 400.
#[derive(Debug, Clone, Default)]
pub struct ListParams<'a> {
    /// The `X-Fields` header.
    pub x_fields: Option<&'a str>,
    /// The `fields` query parameter (used when the header is absent).
    pub fields: Option<&'a str>,
    pub filter: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub page_size: Option<i64>,
    pub page_number: Option<i64>,
    pub cursor: Option<String>,
    pub count: Option<&'a str>,
}

/// Checks every list parameter; the first error wins.
pub fn parse_list(params: ListParams<'_>, resource: &'static Resource, role: Role) -> Result<ListQuery, QueryError> {
    let selection = parse_selection(params.x_fields, params.fields, resource, role)?;
    let filter: Option<Filter> = params.filter.map(|text| parse_filter(text, resource, role)).transpose()?;
    let sort: Sort = match params.sort {
        Some(text) => parse_sort(text, resource, role)?,
        None => default_sort(resource),
    };
    let page: Page = parse_page(params.page_size, params.page_number, params.cursor)?;
    let count = parse_count(params.count)?;
    Ok(ListQuery { selection, filter, sort, page, count })
}

/// The selection from the `X-Fields` header or, without it, the `fields`
/// query parameter; errors name the parameter the mask came from.
pub fn parse_selection(
    x_fields: Option<&str>,
    fields: Option<&str>,
    resource: &'static Resource,
    role: Role,
) -> Result<Selection, QueryError> {
    let (text, from) = match (x_fields, fields) {
        (Some(text), Some(ignored)) => {
            // The header wins, but a malformed parameter is still an error:
            // every parameter a client sends must be valid.
            parse_mask(ignored).map_err(|e| e.for_param(param::FIELDS))?;
            (text, param::X_FIELDS)
        }
        (Some(text), None) => (text, param::X_FIELDS),
        (None, Some(text)) => (text, param::FIELDS),
        (None, None) => return select(None, resource, role),
    };
    let mask = parse_mask(text).map_err(|e| e.for_param(from))?;
    select(Some(&mask), resource, role).map_err(|e| e.for_param(from))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use domain::query::PageMode;
    use domain::resource::ACCOUNT;

    #[test]
    fn the_header_wins_over_the_query_parameter() {
        let s = parse_selection(Some("id"), Some("username"), &ACCOUNT, Role::Shopper).unwrap();
        assert!(s.has_field("id") && !s.has_field("username"));
        let e = parse_selection(Some("id"), Some(""), &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!(e.param, param::FIELDS);
        let s = parse_selection(None, Some("username"), &ACCOUNT, Role::Shopper).unwrap();
        assert!(s.has_field("username") && !s.has_field("id"));
        let s = parse_selection(None, None, &ACCOUNT, Role::Shopper).unwrap();
        assert_eq!(s, select(None, &ACCOUNT, Role::Shopper).unwrap());
    }

    #[test]
    fn mask_errors_name_the_parameter_the_mask_came_from() {
        let e = parse_selection(Some("{id,usrname}"), Some("id"), &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!((e.param, e.position), ("X-Fields", Some(4)));
        let e = parse_selection(None, Some("{id,usrname}"), &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!((e.param, e.position), ("fields", Some(4)));
        let e = parse_selection(None, Some("id,"), &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!(e.param, "fields");
        let e = parse_selection(Some(""), None, &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!((e.param, e.kind), ("X-Fields", QueryErrorKind::BadRequest));
        let e = parse_selection(None, Some("distributor{ow_cost}"), &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!((e.param, e.kind), ("fields", QueryErrorKind::Forbidden));
        assert_eq!(e.to_string(), "fields: field `ow_cost` of Distributor needs role sales_executive or above");
    }

    #[test]
    fn a_list_without_parameters_takes_every_default() {
        let query = parse_list(ListParams::default(), &ACCOUNT, Role::Shopper).unwrap();
        assert_eq!(query.selection, select(None, &ACCOUNT, Role::Shopper).unwrap());
        assert_eq!(query.filter, None);
        assert_eq!(query.sort, default_sort(&ACCOUNT));
        assert_eq!(query.page.mode, PageMode::Keyset { cursor: None });
        assert!(!query.count);
    }

    #[test]
    fn every_parameter_is_checked() {
        let params = ListParams {
            fields: Some("id,username"),
            filter: Some(r#"[{"field":"active","op":"eq","value":true}]"#),
            sort: Some("-created_at"),
            page_size: Some(10),
            page_number: Some(2),
            count: Some("exact"),
            ..ListParams::default()
        };
        let query = parse_list(params, &ACCOUNT, Role::Shopper).unwrap();
        assert_eq!(query.selection.fields.len(), 2);
        assert!(query.filter.is_some());
        assert_eq!(query.page.mode, PageMode::Offset { number: 2 });
        assert!(query.count);

        let cases: [(ListParams<'_>, &str); 5] = [
            (ListParams { filter: Some(""), ..ListParams::default() }, "filter"),
            (ListParams { sort: Some(""), ..ListParams::default() }, "sort"),
            (ListParams { page_size: Some(0), ..ListParams::default() }, "page_size"),
            (ListParams { cursor: Some(String::new()), ..ListParams::default() }, "cursor"),
            (ListParams { count: Some("yes"), ..ListParams::default() }, "count"),
        ];
        for (params, param) in cases {
            assert_eq!(parse_list(params, &ACCOUNT, Role::Shopper).unwrap_err().param, param);
        }
    }
}
