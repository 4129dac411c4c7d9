//! The `filter` parameter: the sqlalchemy-filters JSON form of the seed
//! (DESIGN §4), checked against a resource and the caller's role.
//!
//! ```json
//! [{"field": "username", "op": "ilike", "value": "%ann%"},
//!  {"or": [{"field": "active", "op": "eq", "value": true},
//!          {"model": "Distributor", "field": "name", "op": "eq", "value": "Acme"}]}]
//! ```
//!
//! The top level is an array (all of it must hold) or one object. Groups are
//! `{"and": [...]}`, `{"or": [...]}` and `{"not": [...]}`. A condition may name
//! the `model` of a related resource: the listed resource's own model means
//! itself, another must be the target of one of its relations.
//!
//! Every error names the condition by its JSON path (`filter[1].or[0]`), so a
//! client can find it in a long filter.

use super::access::{require_field, require_relation};
use super::describe::{join, json_kind, quoted};
use super::error::{QueryError, param};
use super::operand::{check_applies, operand};
use domain::Role;
use domain::query::limits::{MAX_FILTER_BYTES, MAX_FILTER_DEPTH};
use domain::query::{Condition, Filter, Op};
use domain::resource::{Field, FieldType, Relation, Resource};
use serde_json::{Map, Value};
use std::fmt;

/// The keys a condition object may hold.
const CONDITION_KEYS: [&str; 5] = ["field", "op", "value", "model", "key"];
/// The keys that make an object a group.
const GROUP_KEYS: [&str; 3] = ["and", "or", "not"];

/// Parses and checks a filter. The size limit is checked before the JSON is
/// read. A top-level array of one element is that element; of several, their
/// [`Filter::And`].
pub fn parse_filter(text: &str, resource: &'static Resource, role: Role) -> Result<Filter, QueryError> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(bad(format!("filter is {} bytes; the limit is {MAX_FILTER_BYTES}", text.len())));
    }
    if text.trim().is_empty() {
        return Err(bad("filter is empty; send a JSON array of conditions, or leave the parameter out"));
    }
    let json: Value = serde_json::from_str(text).map_err(|e| bad(format!("filter is not valid JSON: {e}")))?;
    let checker = Checker { resource, role };
    match &json {
        Value::Array(items) => {
            let mut filters = checker.list(items, &Path::Root, 1)?;
            Ok(if filters.len() == 1 { filters.remove(0) } else { Filter::And(filters) })
        }
        Value::Object(_) => checker.node(&json, &Path::Root, 1),
        other => Err(bad(format!(
            "filter must be a JSON array of conditions (or one condition object); found {}",
            json_kind(other)
        ))),
    }
}

fn bad(message: impl Into<String>) -> QueryError {
    QueryError::bad_request(param::FILTER, message)
}

/// Where a value sits in the filter JSON, built on the stack as the walk goes
/// down and written out only for an error message.
enum Path<'p> {
    Root,
    Index(&'p Path<'p>, usize),
    Key(&'p Path<'p>, &'static str),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("filter"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
        }
    }
}

/// A 400 about the value at `path`.
fn bad_at(path: &Path<'_>, message: impl fmt::Display) -> QueryError {
    bad(format!("{path}: {message}"))
}

/// The resource and role every condition is checked against.
struct Checker {
    resource: &'static Resource,
    role: Role,
}

impl Checker {
    /// The elements of an array at nesting `depth` (the top level is 1).
    fn list(&self, items: &[Value], path: &Path<'_>, depth: usize) -> Result<Vec<Filter>, QueryError> {
        if depth > MAX_FILTER_DEPTH {
            return Err(bad_at(path, format_args!("groups nest {depth} levels deep; the limit is {MAX_FILTER_DEPTH}")));
        }
        if items.is_empty() {
            return Err(bad_at(path, "empty array; name at least one condition"));
        }
        items.iter().enumerate().map(|(i, item)| self.node(item, &Path::Index(path, i), depth)).collect()
    }

    /// A condition or a group, found inside an array at `depth`.
    fn node(&self, value: &Value, path: &Path<'_>, depth: usize) -> Result<Filter, QueryError> {
        let Value::Object(object) = value else {
            return Err(bad_at(
                path,
                format_args!("expected a condition object or an `and`/`or`/`not` group; found {}", json_kind(value)),
            ));
        };
        if object.keys().any(|k| GROUP_KEYS.contains(&k.as_str())) {
            self.group(object, path, depth)
        } else {
            self.condition(object, path).map(Filter::Cond)
        }
    }

    /// `{"and": [...]}`, `{"or": [...]}` or `{"not": [...]}`.
    fn group(&self, object: &Map<String, Value>, path: &Path<'_>, depth: usize) -> Result<Filter, QueryError> {
        let mut entries = object.iter();
        let (Some((key, value)), None) = (entries.next(), entries.next()) else {
            let keys: Vec<String> = object.keys().map(|k| format!("`{}`", quoted(k))).collect();
            return Err(bad_at(
                path,
                format_args!("a group holds exactly one key, `and`, `or` or `not`; found {}", keys.join(", ")),
            ));
        };
        let (name, build): (&'static str, fn(Vec<Filter>) -> Filter) = match key.as_str() {
            "and" => ("and", Filter::And),
            "or" => ("or", Filter::Or),
            // `node` sends only objects holding a group key, and this one holds one key.
            _ => ("not", Filter::Not),
        };
        let path = Path::Key(path, name);
        let Value::Array(items) = value else {
            return Err(bad_at(&path, format_args!("expected a JSON array; found {}", json_kind(value))));
        };
        self.list(items, &path, depth + 1).map(build)
    }

    /// `{"field": ..., "op": ..., "value": ..., "model": ...}`.
    fn condition(&self, object: &Map<String, Value>, path: &Path<'_>) -> Result<Condition, QueryError> {
        if let Some(key) = object.keys().find(|k| !CONDITION_KEYS.contains(&k.as_str())) {
            return Err(bad_at(
                path,
                format_args!(
                    "unknown key `{}` in a condition; a condition holds `field`, `op`, `value` and optionally `model`",
                    quoted(key)
                ),
            ));
        }
        let (via, target) = self.model(object.get("model"), path)?;
        let field = self.field(object.get("field"), target, path)?;
        let (op, spelled) = parse_op(object.get("op"), path)?;
        let key = keyed(field, object.get("key"), op, path)?;
        // A key's value is compared as text.
        let compared = if key.is_some() { &KEY_VALUE } else { field };
        check_applies(op, spelled, compared).map_err(|m| bad_at(path, m))?;
        let operand = operand(op, spelled, compared, object.get("value")).map_err(|m| bad_at(path, m))?;
        Ok(Condition { via, field, key, op, operand })
    }

    /// The resource a condition is about: the listed one, or the target of
    /// the relation leading to `model`.
    fn model(
        &self,
        model: Option<&Value>,
        path: &Path<'_>,
    ) -> Result<(Option<&'static Relation>, &'static Resource), QueryError> {
        let name = match model {
            None => return Ok((None, self.resource)),
            Some(Value::String(name)) => name,
            Some(other) => {
                return Err(bad_at(path, format_args!("`model` must be a string; found {}", json_kind(other))));
            }
        };
        if name == self.resource.model {
            return Ok((None, self.resource));
        }
        let Some(relation) = self.resource.relation_to_model(name) else {
            let models = std::iter::once(self.resource.model).chain(self.resource.relations.iter().map(|r| r.target));
            return Err(bad_at(
                path,
                format_args!(
                    "unknown model `{}`; models usable in a filter of {}: {}",
                    quoted(name),
                    self.resource.model,
                    join(models)
                ),
            ));
        };
        require_relation(param::FILTER, self.resource, relation, self.role).map_err(|e| at_path(e, path))?;
        Ok((Some(relation), relation.target()))
    }

    /// The field a condition compares: declared, filterable, readable.
    fn field(
        &self,
        field: Option<&Value>,
        target: &'static Resource,
        path: &Path<'_>,
    ) -> Result<&'static Field, QueryError> {
        let name = required_string(field, "field", path)?;
        let fields: &'static [Field] = target.fields;
        let Some(found) = fields.iter().find(|f| f.name == name) else {
            let filterable = fields.iter().filter(|f| f.filterable).map(|f| f.name);
            return Err(bad_at(
                path,
                format_args!(
                    "unknown field `{}` of {}; filterable fields: {}",
                    quoted(name),
                    target.model,
                    join(filterable)
                ),
            ));
        };
        if !found.filterable {
            return Err(bad_at(path, format_args!("field `{}` cannot be filtered", found.name)));
        }
        require_field(param::FILTER, target, found, self.role).map_err(|e| at_path(e, path))?;
        Ok(found)
    }
}

/// What a condition on a key of a JSON field compares: the key's value, as
/// text (a number or a boolean compares as its JSON text, `42`, `true`).
static KEY_VALUE: Field = Field::new("value", FieldType::Text, "");

/// The longest key a condition may name.
const MAX_KEY: usize = 200;

/// The key of a condition: a JSON field is compared by one of its keys
/// (such as a checkout value), or only tested for null without one; other
/// fields take no key.
fn keyed(field: &'static Field, key: Option<&Value>, op: Op, path: &Path<'_>) -> Result<Option<String>, QueryError> {
    match (field.ty, key) {
        (FieldType::Json, None) if matches!(op, Op::IsNull | Op::IsNotNull) => Ok(None),
        (FieldType::Json, Some(Value::String(k))) if !k.is_empty() && k.chars().count() <= MAX_KEY => {
            Ok(Some(k.clone()))
        }
        (FieldType::Json, Some(_)) => {
            Err(bad_at(path, format_args!("`key` must be a string of 1 to {MAX_KEY} characters")))
        }
        (FieldType::Json, None) => Err(bad_at(
            path,
            format_args!(
                "field `{}` is compared by one of its keys: add `\"key\": \"<name>\"` (without one, only is_null and \
                 is_not_null apply)",
                field.name
            ),
        )),
        (_, Some(_)) => {
            Err(bad_at(path, format_args!("`key` applies only to JSON fields; `{}` is not one", field.name)))
        }
        (_, None) => Ok(None),
    }
}

/// The operator, and the spelling the client used (for messages).
fn parse_op<'v>(op: Option<&'v Value>, path: &Path<'_>) -> Result<(Op, &'v str), QueryError> {
    let spelled = required_string(op, "op", path)?;
    match Op::parse(spelled) {
        Some(parsed) => Ok((parsed, spelled)),
        None => Err(bad_at(
            path,
            format_args!(
                "unknown operator `{}`; valid operators: {}",
                quoted(spelled),
                join(Op::SPELLINGS.iter().map(|(s, _)| *s))
            ),
        )),
    }
}

fn required_string<'v>(value: Option<&'v Value>, key: &str, path: &Path<'_>) -> Result<&'v str, QueryError> {
    match value {
        Some(Value::String(s)) => Ok(s),
        None => Err(bad_at(path, format_args!("missing `{key}`"))),
        Some(other) => Err(bad_at(path, format_args!("`{key}` must be a string; found {}", json_kind(other)))),
    }
}

/// A 403 from the role checks, prefixed with the condition's path.
fn at_path(error: QueryError, path: &Path<'_>) -> QueryError {
    QueryError { message: format!("{path}: {}", error.message), ..error }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::query::QueryErrorKind;
    use domain::query::{Operand, Scalar};
    use domain::resource::{ACCOUNT, DISTRIBUTOR};

    fn ok(text: &str, resource: &'static Resource, role: Role) -> Filter {
        parse_filter(text, resource, role).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str, resource: &'static Resource, role: Role) -> QueryError {
        let e = parse_filter(text, resource, role).unwrap_err();
        assert_eq!(e.param, "filter");
        assert_eq!(e.position, None);
        e
    }

    fn cond(resource: &'static Resource, field: &str, op: Op, operand: Operand) -> Filter {
        Filter::Cond(Condition { via: None, field: resource.field(field).unwrap(), key: None, op, operand })
    }

    const ANN: &str = r#"{"field":"username","op":"eq","value":"ann"}"#;

    #[test]
    fn one_condition_in_an_array_or_alone_is_that_condition() {
        let expected = cond(&ACCOUNT, "username", Op::Eq, Operand::One(Scalar::Text("ann".into())));
        assert_eq!(ok(&format!("[{ANN}]"), &ACCOUNT, Role::Shopper), expected);
        assert_eq!(ok(ANN, &ACCOUNT, Role::Shopper), expected);
        assert_eq!(ok(&format!(" \n[ {ANN} ]\n"), &ACCOUNT, Role::Shopper), expected);
    }

    #[test]
    fn several_conditions_are_anded_and_groups_nest() {
        let text = format!(
            r#"[{ANN}, {{"or": [{{"field":"active","op":"==","value":true}}, {{"not": [{{"field":"id","op":"in","value":[1,"2"]}}]}}]}}]"#
        );
        let filter = ok(&text, &ACCOUNT, Role::Shopper);
        let expected = Filter::And(vec![
            cond(&ACCOUNT, "username", Op::Eq, Operand::One(Scalar::Text("ann".into()))),
            Filter::Or(vec![
                cond(&ACCOUNT, "active", Op::Eq, Operand::One(Scalar::Bool(true))),
                Filter::Not(vec![cond(&ACCOUNT, "id", Op::In, Operand::List(vec![Scalar::Int(1), Scalar::Int(2)]))]),
            ]),
        ]);
        assert_eq!(filter, expected);
        assert_eq!(filter.to_string(), r#"and(username eq "ann",or(active eq true,not(id in [1,2])))"#);
        let and = ok(&format!(r#"{{"and":[{ANN},{ANN}]}}"#), &ACCOUNT, Role::Shopper);
        assert!(matches!(and, Filter::And(items) if items.len() == 2));
    }

    #[test]
    fn a_model_reaches_through_a_relation() {
        let text = r#"[{"model":"Distributor","field":"name","op":"ilike","value":"%acme%"}]"#;
        let Filter::Cond(c) = ok(text, &ACCOUNT, Role::Shopper) else { panic!() };
        assert_eq!(c.via.map(|r| r.name), Some("distributor"));
        assert_eq!(c.field, DISTRIBUTOR.field("name").unwrap());
        assert_eq!(Filter::Cond(c).to_string(), r#"distributor.name ilike "%acme%""#);

        // The listed resource's own model is the resource itself.
        let own = r#"[{"model":"Account","field":"username","op":"eq","value":"ann"}]"#;
        let Filter::Cond(c) = ok(own, &ACCOUNT, Role::Shopper) else { panic!() };
        assert_eq!(c.via, None);

        let e = err(r#"[{"model":"Order","field":"id","op":"eq","value":1}]"#, &ACCOUNT, Role::Shopper);
        assert_eq!(
            e.message,
            "filter[0]: unknown model `Order`; models usable in a filter of Account: Account, Distributor, Campaign"
        );
        let e = err(r#"[{"model":7,"field":"id","op":"eq","value":1}]"#, &ACCOUNT, Role::Shopper);
        assert_eq!(e.message, "filter[0]: `model` must be a string; found the number 7");
    }

    #[test]
    fn fields_and_relations_above_the_role_are_forbidden() {
        let text = r#"[{"model":"Distributor","field":"ow_cost","op":"gt","value":"1.00"}]"#;
        let e = parse_filter(text, &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!(e.kind, QueryErrorKind::Forbidden);
        assert_eq!(e.message, "filter[0]: field `ow_cost` of Distributor needs role sales_executive or above");
        assert!(parse_filter(text, &ACCOUNT, Role::SalesExecutive).is_ok());

        let e = parse_filter(r#"{"field":"ow_cost","op":"is_null"}"#, &DISTRIBUTOR, Role::AdminBuyer).unwrap_err();
        assert_eq!(e.kind, QueryErrorKind::Forbidden);
        assert_eq!(e.message, "filter: field `ow_cost` of Distributor needs role sales_executive or above");

        let through = r#"[{"model":"Account","field":"username","op":"eq","value":"ann"}]"#;
        let e = parse_filter(through, &DISTRIBUTOR, Role::Shopper).unwrap_err();
        assert_eq!(e.kind, QueryErrorKind::Forbidden);
        assert_eq!(e.message, "filter[0]: relation `accounts` of Distributor needs role sales_executive or above");
        assert!(parse_filter(through, &DISTRIBUTOR, Role::SalesExecutive).is_ok());
    }

    #[test]
    fn private_fields_may_be_filtered() {
        let text = r#"[{"field":"email","op":"ilike","value":"%@x.com"},{"field":"last_login_at","op":"is_null"}]"#;
        assert!(parse_filter(text, &ACCOUNT, Role::Shopper).is_ok());
    }

    #[test]
    fn a_json_field_is_filtered_by_one_of_its_keys_as_text() {
        use domain::resource::ORDER;
        let f = ok(
            r#"{"field":"checkout_fields","key":"Employee ID","op":"in","value":["E-1","E-2"]}"#,
            &ORDER,
            Role::Shopper,
        );
        let Filter::Cond(c) = &f else { panic!("{f:?}") };
        assert_eq!(c.key.as_deref(), Some("Employee ID"));
        assert_eq!(c.operand, Operand::List(vec![Scalar::Text("E-1".into()), Scalar::Text("E-2".into())]));
        // The key is part of the canonical text (cursors and cache keys tell keys apart).
        assert_eq!(f.to_string(), r#"checkout_fields["Employee ID"] in ["E-1","E-2"]"#);
        let like = r#"{"field":"checkout_fields","key":"Dept","op":"ilike","value":"%sales%"}"#;
        ok(like, &ORDER, Role::Shopper);
        for (text, says) in [
            (r#"{"field":"checkout_fields","op":"==","value":"x"}"#, "compared by one of its keys"),
            (r#"{"field":"checkout_fields","key":"","op":"==","value":"x"}"#, "1 to 200 characters"),
            (r#"{"field":"checkout_fields","key":7,"op":"==","value":"x"}"#, "1 to 200 characters"),
            (r#"{"field":"status","key":"x","op":"==","value":"processing"}"#, "only to JSON fields"),
        ] {
            let e = parse_filter(text, &ORDER, Role::Shopper).unwrap_err();
            assert!(e.to_string().contains(says), "{text}: {e}");
        }
        // Other JSON fields stay unfilterable.
        assert!(
            parse_filter(r#"{"field":"location","key":"city","op":"==","value":"x"}"#, &ORDER, Role::Shopper).is_err()
        );
    }

    #[test]
    fn errors_name_the_condition_by_its_path() {
        let text = format!(r#"[{ANN},{{"or":[{{"field":"nope","op":"eq","value":1}}]}}]"#);
        let e = err(&text, &ACCOUNT, Role::Shopper);
        assert_eq!(
            e.message,
            "filter[1].or[0]: unknown field `nope` of Account; filterable fields: id, username, email, first_name, \
             last_name, role, distributor_id, active, reports_enabled, last_login_at, created_at, modified_at"
        );
        let text = format!(r#"[{{"not":[{{"and":[{ANN},{{"field":"id","op":"in","value":[1,"x"]}}]}}]}}]"#);
        let e = err(&text, &ACCOUNT, Role::Shopper);
        assert!(e.message.starts_with("filter[0].not[0].and[1]: value[1]: expected an integer"), "{}", e.message);
    }

    #[test]
    fn malformed_structures_are_refused() {
        let table: &[(&str, &str)] = &[
            ("", "filter is empty"),
            ("  ", "filter is empty"),
            ("[", "filter is not valid JSON: EOF while parsing a list at line 1 column 1"),
            ("[]", "filter: empty array; name at least one condition"),
            ("42", "filter must be a JSON array of conditions (or one condition object); found the number 42"),
            ("\"x\"", "filter must be a JSON array"),
            ("[1]", "filter[0]: expected a condition object or an `and`/`or`/`not` group; found the number 1"),
            ("[[]]", "filter[0]: expected a condition object"),
            (r#"[{"and":[]}]"#, "filter[0].and: empty array"),
            (r#"[{"or":{}}]"#, "filter[0].or: expected a JSON array; found an object"),
            (
                r#"[{"and":[],"or":[]}]"#,
                "filter[0]: a group holds exactly one key, `and`, `or` or `not`; found `and`, `or`",
            ),
            (r#"[{"not":[],"field":"id"}]"#, "filter[0]: a group holds exactly one key"),
            (r#"[{"field":"id","op":"eq","value":1,"valeu":2}]"#, "filter[0]: unknown key `valeu` in a condition"),
            (r#"[{"op":"eq","value":1}]"#, "filter[0]: missing `field`"),
            (r#"[{"field":"id","value":1}]"#, "filter[0]: missing `op`"),
            (r#"[{"field":["id"],"op":"eq","value":1}]"#, "filter[0]: `field` must be a string; found an array"),
            (r#"[{"field":"id","op":1,"value":1}]"#, "filter[0]: `op` must be a string; found the number 1"),
            (r#"[{"field":"version","op":"eq","value":1}]"#, "filter[0]: field `version` cannot be filtered"),
            (
                r#"[{"field":"id","op":"~","value":1}]"#,
                "filter[0]: unknown operator `~`; valid operators: ==, eq, !=, ne, >, gt, <, lt, >=, ge, <=, le, \
                 like, ilike, not_ilike, in, not_in, is_null, is_not_null, any, not_any",
            ),
            (r#"[{"field":"id","op":"EQ","value":1}]"#, "filter[0]: unknown operator `EQ`"),
        ];
        for (text, message) in table {
            let e = err(text, &ACCOUNT, Role::SuperAdmin);
            assert_eq!(e.kind, QueryErrorKind::BadRequest, "{text}");
            assert!(e.message.starts_with(message), "{text}: {}", e.message);
        }
    }

    #[test]
    fn size_is_checked_before_the_json_is_read() {
        let text = format!("[{}]", " ".repeat(5121));
        assert_eq!(text.len(), 5123);
        let e = err(&text, &ACCOUNT, Role::Shopper);
        assert_eq!(e.message, "filter is 5123 bytes; the limit is 4096");
        let padded = format!("[{ANN}{}]", " ".repeat(MAX_FILTER_BYTES - ANN.len() - 2));
        assert_eq!(padded.len(), MAX_FILTER_BYTES);
        assert!(parse_filter(&padded, &ACCOUNT, Role::Shopper).is_ok());
    }

    /// `groups` nested groups around one condition: the innermost array is at depth `groups + 1`.
    fn nested(groups: usize) -> String {
        format!("[{}{ANN}{}]", r#"{"and":["#.repeat(groups), "]}".repeat(groups))
    }

    #[test]
    fn nesting_is_bounded() {
        assert!(parse_filter(&nested(MAX_FILTER_DEPTH - 1), &ACCOUNT, Role::Shopper).is_ok());
        let e = err(&nested(MAX_FILTER_DEPTH), &ACCOUNT, Role::Shopper);
        assert_eq!(
            e.message,
            "filter[0].and[0].and[0].and[0].and[0].and[0].and[0].and[0].and: groups nest 9 levels deep; the limit is 8"
        );
        // Deeper than serde_json's own recursion limit: still a clean 400.
        let e = err(&nested(300), &ACCOUNT, Role::Shopper);
        assert!(e.message.starts_with("filter is not valid JSON: recursion limit exceeded"), "{}", e.message);
    }
}
