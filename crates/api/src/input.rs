//! Naming what was wrong in a 400 about input.
//!
//! poem-openapi refuses a body of the wrong shape, or a path parameter of the
//! wrong type, before a handler runs, with a message that names a type
//! (`VendorCreate`) or a position (`param0`) rather than what the client
//! sent. The request middleware keeps JSON bodies (they are bounded) and,
//! for such a 400, checks the body against the operation's request schema in
//! the OpenAPI document and the path against its template, so every 400
//! about input carries `errors` naming each field (`decorations[0].cost`) or
//! parameter (`id`). The document is the one the routes come from, so the
//! check and the parser agree on what is valid.

use crate::error::FieldError;
use serde_json::Value;

/// The errors of a 400 whose `detail` is poem-openapi's, for the operation
/// `method` at path `template` of `spec`, given the raw body. Empty when the
/// detail is not about input it can name.
pub fn name_errors(spec: &Value, template: &str, method: &str, detail: &str, body: Option<&[u8]>) -> Vec<FieldError> {
    if let Some(rest) = detail.strip_prefix("failed to parse path `param") {
        let index: Option<usize> = rest.split('`').next().and_then(|n| n.parse().ok());
        let name = index.and_then(|i| template.split('/').filter_map(|s| s.strip_prefix('{')).nth(i));
        return name
            .map(|n| n.trim_end_matches('}'))
            .map(|n| vec![FieldError::new(n, "invalid", format!("the path's `{n}` must be an integer id"))])
            .unwrap_or_default();
    }
    if !detail.starts_with("parse request payload error") {
        return Vec::new();
    }
    let value: Value = match body.map(serde_json::from_slice).transpose() {
        Ok(Some(v)) => v,
        Ok(None) => return vec![FieldError::new("body", "required", "this operation needs a JSON body")],
        Err(e) => return vec![FieldError::new("body", "invalid_json", format!("the body is not JSON: {e}"))],
    };
    let operation = &spec["paths"][template][method.to_ascii_lowercase()];
    let schema = operation["requestBody"]["content"]
        .as_object()
        .and_then(|c| c.iter().find(|(ct, _)| ct.starts_with("application/json")))
        .map(|(_, media)| &media["schema"]);
    let mut errors = Vec::new();
    if let Some(schema) = schema {
        check(spec, schema, &value, "", &mut errors);
    }
    errors
}

/// `schema` with its `$ref` (and a single `allOf`) resolved.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(r) = schema["$ref"].as_str() {
        return resolve(spec, &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")]);
    }
    match schema["allOf"].as_array().map(Vec::as_slice) {
        Some([only]) => resolve(spec, only),
        _ => schema,
    }
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// Appends an error for each place `value` does not have the shape `schema`
/// says, naming it by its path from the body's root.
fn check(spec: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let schema = resolve(spec, schema);
    let at = if path.is_empty() { "body" } else { path };
    let expected = schema["type"].as_str().unwrap_or("");
    let fits = match expected {
        "object" => value.is_object(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        _ => true,
    };
    if !fits {
        errors.push(FieldError::new(at, "type", format!("must be a JSON {expected}, not {}", kind(value))));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        errors.push(FieldError::new(at, "invalid", format!("must be one of {}", names.join(", "))));
        return;
    }
    match value {
        Value::Object(fields) => {
            for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if fields.get(name).is_none_or(Value::is_null) {
                    errors.push(FieldError::new(child(path, name), "required", "is required"));
                }
            }
            for (name, v) in fields {
                let property = &schema["properties"][name];
                if !property.is_null() && !v.is_null() {
                    check(spec, property, v, &child(path, name), errors);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check(spec, &schema["items"], item, &format!("{at}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "paths": {"/things/{id}": {"patch": {"requestBody": {"content": {"application/json; charset=utf-8": {
                "schema": {"$ref": "#/components/schemas/Thing"}}}}}}},
            "components": {"schemas": {
                "Thing": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"},
                    "size": {"type": "string", "enum": ["S", "M"]},
                    "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}}}},
                "Part": {"type": "object", "required": ["cost"], "properties": {"cost": {"type": "string"}}}
            }}
        })
    }

    fn named(body: &str) -> Vec<(String, String)> {
        name_errors(&spec(), "/things/{id}", "PATCH", "parse request payload error: x", Some(body.as_bytes()))
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    #[test]
    fn each_misshapen_field_is_named_by_its_path() {
        let pair = |f: &str, c: &str| (f.to_owned(), c.to_owned());
        assert_eq!(named(r#"{"name": 5}"#), [pair("name", "type")]);
        assert_eq!(named(r#"{"size": "XL"}"#), [pair("name", "required"), pair("size", "invalid")]);
        assert_eq!(
            named(r#"{"name": "n", "parts": [{"cost": "1"}, {"cost": 2}, {}]}"#),
            [pair("parts[1].cost", "type"), pair("parts[2].cost", "required")]
        );
        assert_eq!(named("[1]"), [pair("body", "type")]);
        assert_eq!(named("{nope"), [pair("body", "invalid_json")]);
    }

    #[test]
    fn a_path_parameter_is_named_by_the_template() {
        let errors =
            name_errors(&spec(), "/things/{id}", "GET", "failed to parse path `param0`: failed to parse", None);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "id");
    }
}
