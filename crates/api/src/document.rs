//! The OpenAPI document as served, with the constraints poem-openapi does
//! not write itself, so generators and fuzzers see what the server enforces:
//!
//! - request bodies (and the objects nested in them) are
//!   `additionalProperties: false`, since every body refuses unknown fields,
//!   and their optional fields `nullable` (an `Option` takes null);
//! - money (`format: decimal` strings) has a `pattern`;
//! - dates are `format: date` (poem-openapi says `naive-date`);
//! - integer ids in paths are `minimum: 1`;
//! - a nullable enum lists `null` among its values (OpenAPI 3.0.3: `enum`
//!   restricts the value before `nullable` is considered, so without it a
//!   validator refuses the `null` the server accepts);
//! - each operation lists the error statuses it can answer, not every
//!   status of `ApiError` (one enum documents them all): see [`errors_of`];
//! - each operation's examples fit it (`crate::examples`).
//!
//! Everything that reads the document (the `/openapi.json` route, the
//! `openapi` command, the middleware's routes, the tests) reads this one.

use serde_json::{Value, json};
use std::collections::BTreeSet;

/// A decimal string: digits, optionally a sign and a fraction.
const DECIMAL_PATTERN: &str = r"^-?[0-9]+(\.[0-9]+)?$";

/// The served document, as JSON text.
pub fn document() -> String {
    served(&crate::openapi().spec()).to_string()
}

/// `spec` (poem-openapi's text) with the constraints added.
pub fn served(spec: &str) -> Value {
    let mut doc: Value = serde_json::from_str(spec).unwrap_or_default();
    tighten(&mut doc);
    doc
}

/// Adds the constraints listed in the module's documentation.
pub fn tighten(doc: &mut Value) {
    let mut bodies = BTreeSet::new();
    for item in doc["paths"].as_object().into_iter().flatten().map(|(_, item)| item) {
        for op in item.as_object().into_iter().flatten().map(|(_, op)| op) {
            for media in op["requestBody"]["content"].as_object().into_iter().flatten().map(|(_, m)| m) {
                collect_refs(doc, &media["schema"], &mut bodies);
            }
        }
    }
    for name in &bodies {
        let schema = &mut doc["components"]["schemas"][name];
        if schema["type"] == "object" {
            schema["additionalProperties"] = json!(false);
            // An optional field of a body (`Option<T>`) takes null as well as
            // leaving it out: say so, or fuzzers send null as invalid data. A
            // field with a `default` is not an `Option` (null is refused).
            let required: BTreeSet<String> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            for (field, property) in schema["properties"].as_object_mut().into_iter().flatten() {
                if !required.contains(field) && property.get("$ref").is_none() && property.get("default").is_none() {
                    property["nullable"] = json!(true);
                }
            }
        }
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for op in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
            // `get_mut`, not indexing: indexing would insert a null.
            for param in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                if param["in"] == "path" && param["schema"]["type"] == "integer" {
                    param["schema"]["minimum"] = json!(1);
                }
            }
        }
    }
    formats(doc);
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            for op in item.as_object_mut().into_iter().flat_map(|item| item.values_mut()) {
                errors_of(path, op);
                crate::examples::fit(op);
            }
        }
    }
    links(doc);
}

/// The path parameters of a path template, in order.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
}

/// OpenAPI links, for clients and the fuzzer's stateful phase, by two rules
/// that hold for every path (so a new endpoint is linked without a list):
/// - a create (`POST P`, 201) links to the operations on `P/{x}`, with `x`
///   the new resource's `id` and `P`'s own parameters passed on;
/// - a read (`GET P/{x}`) links to the operations on the paths under it that
///   add no parameter (an order to its transitions, edits, notes, events),
///   with every parameter passed on.
fn links(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object() else { return };
    let mut found: Vec<(String, String, String, Value)> = Vec::new();
    for (path, item) in paths {
        let params = path_params(path);
        let pass_on = |extra: Option<&str>| {
            let mut map: serde_json::Map<String, Value> =
                params.iter().map(|p| ((*p).to_owned(), json!(format!("$request.path.{p}")))).collect();
            if let Some(x) = extra {
                map.insert(x.to_owned(), json!("$response.body#/id"));
            }
            Value::Object(map)
        };
        for (method, op) in item.as_object().into_iter().flatten() {
            let (status, targets): (&str, Vec<(&String, Value)>) = match method.as_str() {
                "post" if op["responses"].get("201").is_some() => {
                    let children = paths.keys().filter_map(|q| {
                        let rest = q.strip_prefix(path.as_str())?.strip_prefix('/')?;
                        let x = rest.strip_prefix('{')?.strip_suffix('}')?;
                        (!x.contains('/')).then(|| (q, pass_on(Some(x))))
                    });
                    ("201", children.collect())
                }
                "get" if path.ends_with('}') && op["responses"].get("200").is_some() => {
                    let under = paths.keys().filter(|q| {
                        q.strip_prefix(path.as_str()).is_some_and(|r| r.starts_with('/'))
                            && path_params(q).len() == params.len()
                    });
                    ("200", under.map(|q| (q, pass_on(None))).collect())
                }
                _ => continue,
            };
            for (target, parameters) in targets {
                for target_op in paths[target].as_object().into_iter().flat_map(|t| t.values()) {
                    let Some(id) = target_op["operationId"].as_str() else { continue };
                    let link = json!({ "operationId": id, "parameters": parameters });
                    found.push((path.clone(), method.clone(), status.to_owned(), json!({ id: link })));
                }
            }
        }
    }
    for (path, method, status, link) in found {
        let response = &mut doc["paths"][&path][&method]["responses"][&status];
        if !response["links"].is_object() {
            response["links"] = json!({});
        }
        if let (Some(links), Some(new)) = (response["links"].as_object_mut(), link.as_object()) {
            links.extend(new.clone());
        }
    }
}

/// Drops from `op`'s responses the error statuses it cannot answer, by
/// rules that hold for every operation (so a new one is documented right
/// without a list to keep):
/// - 401 and 403 need a caller: only operations with a security
///   requirement, and `auth/*` (a refused login or refresh);
/// - 412 needs an `If-Match` parameter;
/// - 413 and 415 need a request body;
/// - 429 is the login limit and the account-existence probe limit: only
///   `auth/login` and `organization/accounts*`;
/// - the probes outside `/api` (`/health`, `/ready`) answer 200, 500 or 503.
fn errors_of(path: &str, op: &mut Value) {
    let secured = op["security"].as_array().is_some_and(|s| !s.is_empty()) || path.starts_with("/api/v1/auth/");
    let if_match = op["parameters"].as_array().into_iter().flatten().any(|p| p["name"] == "If-Match");
    let body = !op["requestBody"].is_null();
    let probed = path == "/api/v1/auth/login" || path.starts_with("/api/v1/organization/accounts");
    let api = path.starts_with("/api/");
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { return };
    responses.retain(|status, _| match status.as_str() {
        "401" | "403" => secured,
        "412" => if_match,
        "413" | "415" => body,
        "429" => probed,
        "400" | "404" | "409" | "422" => api,
        _ => true,
    });
}

/// The component schemas `schema` refers to, through properties, items and
/// `allOf`, transitively.
fn collect_refs(doc: &Value, schema: &Value, out: &mut BTreeSet<String>) {
    if schema.is_null() {
        return;
    }
    if let Some(name) = schema["$ref"].as_str().map(|r| r.trim_start_matches("#/components/schemas/")) {
        if out.insert(name.to_owned()) {
            collect_refs(doc, &doc["components"]["schemas"][name], out);
        }
        return;
    }
    for property in schema["properties"].as_object().into_iter().flatten().map(|(_, p)| p) {
        collect_refs(doc, property, out);
    }
    collect_refs(doc, &schema["items"], out);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        collect_refs(doc, part, out);
    }
}

/// `naive-date` → `date`, a pattern on every decimal string, and `null`
/// in the values of a nullable enum.
fn formats(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.get("nullable") == Some(&json!(true))
                && let Some(Value::Array(values)) = object.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
            match object.get("format").and_then(Value::as_str) {
                Some("naive-date") => {
                    object.insert("format".into(), json!("date"));
                }
                Some("decimal") if object.get("type").and_then(Value::as_str) == Some("string") => {
                    object.insert("pattern".into(), json!(DECIMAL_PATTERN));
                }
                _ => {}
            }
            object.values_mut().for_each(formats);
        }
        Value::Array(items) => items.iter_mut().for_each(formats),
        _ => {}
    }
}
