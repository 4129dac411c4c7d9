//! The `sort` parameter (DESIGN §4), in its JSON form
//! `[{"field": "created_at", "direction": "desc", "nulls": "last"}]` or its
//! short form `-created_at,username`.
//!
//! Where nulls go is resolved here (explicit, else PostgreSQL's default: last
//! when ascending, first when descending) so keyset paging in storage can
//! rely on it instead of guessing.

use super::access::require_field;
use super::describe::{join, json_kind, quoted};
use super::error::{QueryError, param};
use domain::Role;
use domain::query::limits::MAX_SORT_KEYS;
use domain::query::{Sort, SortKey};
use domain::resource::{Field, Resource};
use serde_json::{Map, Value};

/// The longest `sort` text accepted. Eight keys in the JSON form fit in well
/// under 1 KiB; the limit keeps a huge text from being read as JSON at all.
pub const MAX_SORT_BYTES: usize = 1024;

/// The keys a JSON sort key may hold.
const KEY_KEYS: [&str; 3] = ["field", "direction", "nulls"];

/// Parses and checks a sort. A text starting (after blanks) with `[` is the
/// JSON form; anything else the short form.
pub fn parse_sort(text: &str, resource: &'static Resource, role: Role) -> Result<Sort, QueryError> {
    if text.len() > MAX_SORT_BYTES {
        return Err(bad(format!("sort is {} bytes; the limit is {MAX_SORT_BYTES}", text.len())));
    }
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad("sort is empty; name at least one field, or leave the parameter out"));
    }
    let requests = if trimmed.starts_with('[') { json_form(trimmed)? } else { short_form(trimmed)? };
    if requests.len() > MAX_SORT_KEYS {
        return Err(bad(format!("sort has {} keys; the limit is {MAX_SORT_KEYS}", requests.len())));
    }
    let mut keys: Vec<SortKey> = Vec::with_capacity(requests.len());
    for request in &requests {
        let key = resolve(request, resource, role)?;
        if keys.iter().any(|k| k.field == key.field) {
            return Err(bad(format!("field `{}` appears twice in sort", key.field.name)));
        }
        keys.push(key);
    }
    Ok(Sort(keys))
}

/// The resource's own order, for requests without `sort`.
pub fn default_sort(resource: &'static Resource) -> Sort {
    let fields: &'static [Field] = resource.fields;
    Sort(
        resource
            .default_sort
            .iter()
            .filter_map(|(name, descending)| {
                let field = fields.iter().find(|f| f.name == *name)?;
                Some(key(field, *descending, None))
            })
            .collect(),
    )
}

fn bad(message: impl Into<String>) -> QueryError {
    QueryError::bad_request(param::SORT, message)
}

/// A key as the client wrote it, before its field is looked up.
struct Request {
    name: String,
    descending: bool,
    nulls_last: Option<bool>,
}

fn key(field: &'static Field, descending: bool, nulls_last: Option<bool>) -> SortKey {
    SortKey { field, descending, nulls_last: nulls_last.unwrap_or(!descending) }
}

/// The field of a key: declared, sortable, readable.
fn resolve(request: &Request, resource: &'static Resource, role: Role) -> Result<SortKey, QueryError> {
    let fields: &'static [Field] = resource.fields;
    let Some(field) = fields.iter().find(|f| f.name == request.name) else {
        return Err(bad(format!(
            "unknown field `{}` of {}; sortable fields: {}",
            quoted(&request.name),
            resource.model,
            join(fields.iter().filter(|f| f.sortable).map(|f| f.name))
        )));
    };
    if !field.sortable {
        return Err(bad(format!("field `{}` cannot be sorted on", field.name)));
    }
    require_field(param::SORT, resource, field, role)?;
    Ok(key(field, request.descending, request.nulls_last))
}

/// `-created_at,+username,name`: `-` descending, `+` (or nothing) ascending.
fn short_form(text: &str) -> Result<Vec<Request>, QueryError> {
    text.split(',').enumerate().map(|(i, part)| short_key(i, part.trim())).collect()
}

fn short_key(i: usize, part: &str) -> Result<Request, QueryError> {
    let (descending, name) = match part.as_bytes().first() {
        Some(b'-') => (true, &part[1..]),
        Some(b'+') => (false, &part[1..]),
        _ => (false, part),
    };
    if name.is_empty() {
        return Err(bad(format!(
            "sort key {} is empty; write field names separated by commas, with `-` before a name to sort descending",
            i + 1
        )));
    }
    Ok(Request { name: name.to_owned(), descending, nulls_last: None })
}

/// `[{"field": ..., "direction": "asc"|"desc", "nulls": "first"|"last"}]`.
fn json_form(text: &str) -> Result<Vec<Request>, QueryError> {
    let json: Value = serde_json::from_str(text).map_err(|e| bad(format!("sort is not valid JSON: {e}")))?;
    let Value::Array(items) = json else {
        return Err(bad("sort must be a JSON array of keys"));
    };
    if items.is_empty() {
        return Err(bad("sort is an empty array; name at least one field, or leave the parameter out"));
    }
    items.iter().enumerate().map(|(i, item)| json_key(i, item)).collect()
}

fn json_key(i: usize, item: &Value) -> Result<Request, QueryError> {
    let Value::Object(object) = item else {
        return Err(bad(format!("sort[{i}]: expected a key object; found {}", json_kind(item))));
    };
    if let Some(key) = object.keys().find(|k| !KEY_KEYS.contains(&k.as_str())) {
        return Err(bad(format!(
            "sort[{i}]: unknown key `{}`; a sort key holds `field` and optionally `direction` and `nulls`",
            quoted(key)
        )));
    }
    let name = match object.get("field") {
        Some(Value::String(name)) => name.clone(),
        None => return Err(bad(format!("sort[{i}]: missing `field`"))),
        Some(other) => {
            return Err(bad(format!("sort[{i}]: `field` must be a string; found {}", json_kind(other))));
        }
    };
    let descending = choice(object, i, "direction", ["asc", "desc"])?.unwrap_or(false);
    let nulls_last = choice(object, i, "nulls", ["first", "last"])?;
    Ok(Request { name, descending, nulls_last })
}

/// An optional key with two spellings: `Some(false)` for the first, `Some(true)` for the second.
fn choice(object: &Map<String, Value>, i: usize, key: &str, names: [&str; 2]) -> Result<Option<bool>, QueryError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if s == names[0] => Ok(Some(false)),
        Some(Value::String(s)) if s == names[1] => Ok(Some(true)),
        Some(other) => Err(bad(format!(
            "sort[{i}]: `{key}` must be \"{}\" or \"{}\"; found {}",
            names[0],
            names[1],
            json_kind(other)
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::query::QueryErrorKind;
    use crate::query::fixtures::SAMPLE;
    use domain::resource::{ACCOUNT, DISTRIBUTOR};

    fn ok(text: &str, resource: &'static Resource) -> String {
        parse_sort(text, resource, Role::SuperAdmin).unwrap_or_else(|e| panic!("{text}: {e}")).to_string()
    }

    fn err(text: &str, resource: &'static Resource, role: Role) -> QueryError {
        let e = parse_sort(text, resource, role).unwrap_err();
        assert_eq!(e.param, "sort");
        e
    }

    #[test]
    fn short_form() {
        assert_eq!(ok("-created_at,username", &ACCOUNT), "created_at desc nulls first,username asc nulls last");
        assert_eq!(ok(" +username , -id ", &ACCOUNT), "username asc nulls last,id desc nulls first");
        assert_eq!(ok("email", &ACCOUNT), "email asc nulls last");
    }

    #[test]
    fn json_form() {
        assert_eq!(
            ok(r#"[{"field":"created_at","direction":"desc","nulls":"last"},{"field":"username"}]"#, &ACCOUNT),
            "created_at desc nulls last,username asc nulls last"
        );
        assert_eq!(ok(r#" [{"field":"last_login_at","nulls":"first"}]"#, &ACCOUNT), "last_login_at asc nulls first");
        assert_eq!(ok(r#"[{"field":"id","direction":"desc"}]"#, &ACCOUNT), "id desc nulls first");
    }

    #[test]
    fn refusals() {
        let table: &[(&str, &str)] = &[
            ("", "sort is empty"),
            ("  ", "sort is empty"),
            (",", "sort key 1 is empty"),
            ("id,", "sort key 2 is empty"),
            ("-", "sort key 1 is empty"),
            ("id,,username", "sort key 2 is empty"),
            (
                "usrname",
                "unknown field `usrname` of Account; sortable fields: id, username, email, first_name, last_name, \
                 role, distributor_id, active, reports_enabled, last_login_at, created_at, modified_at",
            ),
            ("--id", "unknown field `-id`"),
            ("id desc", "unknown field `id desc`"),
            ("version", "field `version` cannot be sorted on"),
            ("id,-id", "field `id` appears twice in sort"),
            ("[", "sort is not valid JSON"),
            ("[]", "sort is an empty array"),
            ("[1]", "sort[0]: expected a key object; found the number 1"),
            (r#"[{"direction":"asc"}]"#, "sort[0]: missing `field`"),
            (r#"[{"field":1}]"#, "sort[0]: `field` must be a string"),
            (r#"[{"field":"id","dir":"asc"}]"#, "sort[0]: unknown key `dir`"),
            (
                r#"[{"field":"id","direction":"DESC"}]"#,
                "sort[0]: `direction` must be \"asc\" or \"desc\"; found the string \"DESC\"",
            ),
            (r#"[{"field":"id","nulls":null}]"#, "sort[0]: `nulls` must be \"first\" or \"last\"; found null"),
            ("a,b,c,d,e,f,g,h,i", "sort has 9 keys; the limit is 8"),
        ];
        for (text, message) in table {
            let e = err(text, &ACCOUNT, Role::SuperAdmin);
            assert_eq!(e.kind, QueryErrorKind::BadRequest);
            assert!(e.message.starts_with(message), "{text}: {}", e.message);
        }
        assert!(err("unsorted", &SAMPLE, Role::SuperAdmin).message.contains("cannot be sorted on"));
        let long = "a".repeat(MAX_SORT_BYTES + 1);
        assert_eq!(err(&long, &ACCOUNT, Role::SuperAdmin).message, "sort is 1025 bytes; the limit is 1024");
    }

    #[test]
    fn eight_keys_are_allowed() {
        let text = "id,username,email,first_name,last_name,role,active,created_at";
        assert_eq!(parse_sort(text, &ACCOUNT, Role::Shopper).unwrap().0.len(), 8);
    }

    #[test]
    fn sorting_on_a_field_above_the_role_is_forbidden_but_private_is_fine() {
        let e = err("-ow_cost", &DISTRIBUTOR, Role::Shopper);
        assert_eq!(e.kind, QueryErrorKind::Forbidden);
        assert_eq!(e.message, "field `ow_cost` of Distributor needs role sales_executive or above");
        assert!(parse_sort("-ow_cost", &DISTRIBUTOR, Role::SalesExecutive).is_ok());
        assert!(parse_sort("email,-last_login_at", &ACCOUNT, Role::Shopper).is_ok());
    }

    #[test]
    fn default_sorts_come_from_the_descriptor() {
        assert_eq!(default_sort(&ACCOUNT).to_string(), "username asc nulls last");
        assert_eq!(default_sort(&DISTRIBUTOR).to_string(), "name asc nulls last");
        assert_eq!(default_sort(&SAMPLE).to_string(), "at desc nulls first");
    }
}
