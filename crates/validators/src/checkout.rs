//! A checkout's custom field values against the campaign's definitions.
//!
//! Each problem names its field as `checkout_fields.<name>`, so a form can
//! put every message beside its input after one round trip.

use crate::issue::FieldIssue;
use domain::campaign::{CheckoutField, CheckoutFieldKind};
use serde_json::{Map, Value};

/// The longest text value accepted.
pub const MAX_TEXT_CHARS: usize = 1000;

/// What the campaign offers to choose from.
#[derive(Debug, Clone, Copy)]
pub struct Choices<'a> {
    pub location_ids: &'a [i64],
    pub departments: &'a [String],
}

/// Checks `values` against `definitions`: every required field present and
/// not blank, no field the campaign does not define, and each value of its
/// kind (`select` among the options, `number` numeric, `location` one of the
/// campaign's locations by id, `department` one of its departments).
pub fn checkout_values(
    definitions: &[CheckoutField],
    values: &Map<String, Value>,
    choices: Choices<'_>,
) -> Result<(), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    for name in values.keys() {
        if !definitions.iter().any(|d| &d.name == name) {
            let known: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
            let message = if known.is_empty() {
                "this campaign has no checkout fields".to_owned()
            } else {
                format!("not a checkout field of this campaign; it has {}", known.join(", "))
            };
            issues.push(FieldIssue::new(format!("checkout_fields.{name}"), "unknown_field", message));
        }
    }
    for def in definitions {
        let field = format!("checkout_fields.{}", def.name);
        let value = values.get(&def.name).filter(|v| !is_blank(v));
        let Some(value) = value else {
            if def.required {
                issues.push(FieldIssue::new(field, "required", "this checkout field is required"));
            }
            continue;
        };
        if let Some(issue) = kind_issue(def, value, choices) {
            issues.push(FieldIssue::new(field, issue.0, issue.1));
        }
    }
    if issues.is_empty() { Ok(()) } else { Err(issues) }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// The code and message of a value that is not of its field's kind.
fn kind_issue(def: &CheckoutField, value: &Value, choices: Choices<'_>) -> Option<(&'static str, String)> {
    let kind = CheckoutFieldKind::parse(&def.kind).unwrap_or(CheckoutFieldKind::Text);
    match (kind, value) {
        (CheckoutFieldKind::Text, Value::String(s)) => (s.chars().count() > MAX_TEXT_CHARS
            || s.chars().any(char::is_control))
        .then(|| ("invalid", format!("must be at most {MAX_TEXT_CHARS} characters, without control characters"))),
        (CheckoutFieldKind::Select, Value::String(s)) => {
            (!def.options.contains(s)).then(|| ("not_an_option", format!("must be one of {}", def.options.join(", "))))
        }
        (CheckoutFieldKind::Number, Value::Number(_)) => None,
        (CheckoutFieldKind::Number, Value::String(s)) => {
            s.trim().parse::<rust_decimal::Decimal>().is_err().then(|| ("not_a_number", "must be a number".to_owned()))
        }
        (CheckoutFieldKind::Location, Value::Number(n)) => {
            (!n.as_i64().is_some_and(|id| choices.location_ids.contains(&id)))
                .then(|| ("not_an_option", "must be the id of one of the campaign's delivery locations".to_owned()))
        }
        (CheckoutFieldKind::Department, Value::String(s)) => (!choices.departments.contains(s))
            .then(|| ("not_an_option", format!("must be one of the departments {}", choices.departments.join(", ")))),
        (CheckoutFieldKind::Location, _) => Some(("invalid", "must be a location id (a number)".to_owned())),
        (CheckoutFieldKind::Number, _) => Some(("not_a_number", "must be a number".to_owned())),
        _ => Some(("invalid", "must be a string".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(name: &str, kind: &str, required: bool, options: &[&str]) -> CheckoutField {
        CheckoutField {
            name: name.into(),
            kind: kind.into(),
            required,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    fn defs() -> Vec<CheckoutField> {
        vec![
            def("employee_id", "text", true, &[]),
            def("size_pref", "select", false, &["S", "M"]),
            def("cost_center", "number", false, &[]),
            def("ship_to", "location", false, &[]),
            def("dept", "department", false, &[]),
        ]
    }

    fn check(values: Value) -> Vec<(String, String)> {
        let departments = vec!["Sales".to_owned()];
        let choices = Choices { location_ids: &[7], departments: &departments };
        let map = values.as_object().cloned().unwrap_or_default();
        checkout_values(&defs(), &map, choices)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|i| (i.field, i.code))
            .collect()
    }

    #[test]
    fn good_values_pass() {
        assert!(
            check(json!({"employee_id": "E-1", "size_pref": "M", "cost_center": 42, "ship_to": 7, "dept": "Sales"}))
                .is_empty()
        );
        assert!(check(json!({"employee_id": "E-1", "cost_center": "12.5"})).is_empty());
    }

    #[test]
    fn every_bad_value_names_its_field() {
        let issues = check(json!({"size_pref": "XL", "cost_center": "lots", "ship_to": 8, "dept": "Ops", "shoe": 1}));
        let pairs: Vec<(&str, &str)> = issues.iter().map(|(f, c)| (f.as_str(), c.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("checkout_fields.shoe", "unknown_field"),
                ("checkout_fields.employee_id", "required"),
                ("checkout_fields.size_pref", "not_an_option"),
                ("checkout_fields.cost_center", "not_a_number"),
                ("checkout_fields.ship_to", "not_an_option"),
                ("checkout_fields.dept", "not_an_option"),
            ]
        );
        assert_eq!(
            check(json!({"employee_id": "   "})),
            [("checkout_fields.employee_id".to_owned(), "required".to_owned())]
        );
    }
}
