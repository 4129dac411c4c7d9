//! Examples that fit each operation, for the served document.
//!
//! The query parameters (`X-Fields`, `fields`, `filter`, `sort`) and
//! `If-Match` are one type each, so poem-openapi gives every operation the
//! same example, an accounts one: wrong for 60-odd operations, and the
//! fuzzer's examples phase sent those requests as written. Here every
//! operation that answers a resource gets examples derived from that
//! resource's descriptor (the same one the mask checker and the SQL compiler
//! read, so an example is always a valid request), integer parameters get
//! numeric examples, and each 2xx JSON body an example of the resource.

use domain::resource::{Field, FieldType, Resource};
use serde_json::{Map, Value, json};

/// Sets the examples of `op`, whose 2xx body names the resource it serves.
pub(crate) fn fit(op: &mut Value) {
    let resource = served(op);
    for param in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
        let name = param["name"].as_str().unwrap_or_default().to_owned();
        let schema = &mut param["schema"];
        if schema["type"] == "integer"
            && let Some(n) = schema["example"].as_str().and_then(|s| s.parse::<i64>().ok())
        {
            schema["example"] = json!(n);
        }
        let Some(r) = resource else { continue };
        let example = match name.as_str() {
            "X-Fields" => Some(format!("{{{}}}", fields(r).join(","))),
            "fields" => Some(fields(r).join(",")),
            "filter" => filter(r),
            "sort" => Some(sort(r)),
            "If-Match" => Some(format!("\"{}-1-1\"", r.model.to_ascii_lowercase())),
            _ => None,
        };
        if let Some(example) = example {
            schema["example"] = json!(example);
        }
    }
    let Some(r) = resource else { return };
    for (status, response) in op.get_mut("responses").and_then(Value::as_object_mut).into_iter().flatten() {
        if !status.starts_with('2') {
            continue;
        }
        for media in response.get_mut("content").and_then(Value::as_object_mut).into_iter().flatten().map(|(_, m)| m) {
            let one = body(r);
            media["example"] = if media["schema"]["type"] == "array" { json!([one]) } else { one };
        }
    }
}

/// The resource a 2xx JSON body of `op` is (or is a list of).
fn served(op: &Value) -> Option<&'static Resource> {
    let responses = op["responses"].as_object()?;
    let media = responses.iter().filter(|(s, _)| s.starts_with('2')).find_map(|(_, r)| {
        r["content"].as_object().and_then(|c| c.iter().find(|(t, _)| t.starts_with("application/json")).map(|(_, m)| m))
    })?;
    let schema = &media["schema"];
    let reference = schema["$ref"].as_str().or_else(|| schema["items"]["$ref"].as_str())?;
    domain::resource::by_model(reference.rsplit('/').next()?)
}

/// `id` and the first two other default fields: a mask any role that may
/// call the operation may ask for (default fields are readable by it).
fn fields(r: &Resource) -> Vec<&'static str> {
    let others = r.fields.iter().filter(|f| f.default && f.name != "id" && f.least_role == domain::Role::Shopper);
    std::iter::once("id").chain(others.map(|f| f.name).take(2)).collect()
}

/// A condition on the first filterable field with a plain value, or none.
fn filter(r: &Resource) -> Option<String> {
    let field = r.fields.iter().find(|f| {
        f.filterable
            && f.name != "id"
            && f.least_role == domain::Role::Shopper
            && !matches!(f.ty, FieldType::Json | FieldType::TextList | FieldType::Id)
    })?;
    let condition = match field.ty {
        FieldType::Text => json!({"field": field.name, "op": "ilike", "value": "%a%"}),
        FieldType::DateTime | FieldType::Date | FieldType::Money | FieldType::Int => {
            json!({"field": field.name, "op": ">=", "value": sample(field)})
        }
        _ => json!({"field": field.name, "op": "==", "value": sample(field)}),
    };
    Some(json!([condition]).to_string())
}

/// Newest first when the resource has a creation time, else by id.
fn sort(r: &Resource) -> String {
    if r.fields.iter().any(|f| f.name == "created_at" && f.sortable) { "-created_at".into() } else { "id".into() }
}

/// The resource's default fields with a value of each one's type.
fn body(r: &Resource) -> Value {
    let object: Map<String, Value> =
        r.fields.iter().filter(|f| f.default).map(|f| (f.name.to_owned(), sample(f))).collect();
    Value::Object(object)
}

/// A value of `f`'s type.
fn sample(f: &Field) -> Value {
    match f.ty {
        FieldType::Id | FieldType::Int => json!(1),
        FieldType::Text => json!("text"),
        FieldType::Bool => json!(true),
        FieldType::Money => json!("12.50"),
        FieldType::Date => json!("2026-11-01"),
        FieldType::DateTime => json!("2026-11-01T12:00:00Z"),
        FieldType::Enum(values) => json!(values.first().copied().unwrap_or_default()),
        FieldType::Json => json!({}),
        FieldType::TextList => json!([]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_a_valid_request_for_every_resource() {
        for r in domain::resource::RESOURCES {
            let role = domain::Role::Shopper;
            let mask = format!("{{{}}}", fields(r).join(","));
            let parsed = validators::query::parse_mask(&mask).unwrap();
            assert!(validators::query::select(Some(&parsed), r, role).is_ok(), "{}: {mask}", r.model);
            if let Some(f) = filter(r) {
                let parsed = validators::query::parse_filter(&f, r, role);
                assert!(parsed.is_ok(), "{}: {f}: {parsed:?}", r.model);
            }
        }
    }
}
