//! The rules a resource's descriptor declares on its fields (`required`,
//! `max_chars`, `email`; the money rule on every money field; no control
//! characters in any text), checked on a write model by field name.
//!
//! A resource whose rules are all of this kind needs no module here: its
//! descriptor says them once, for this check and for its readers. A module
//! of its own adds only the rules across fields or about the domain (a
//! vendor's roles, a campaign's dates).

use crate::account::{email_issue, text_issue};
use crate::issue::FieldIssue;
use crate::money::money;
use domain::resource::{Field, FieldType, Resource};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::str::FromStr;

/// Every issue of `fields` (a write model that serializes to an object) under
/// the rules of `resource`'s fields of the same names, ordered by field then
/// code. A model field the descriptor does not describe has no rules.
pub fn check<F: Serialize>(resource: &Resource, fields: &F) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if let Ok(Value::Object(map)) = serde_json::to_value(fields) {
        for (name, value) in &map {
            if let Some(field) = resource.field(name) {
                issues.extend(field_issue(field, value));
            }
        }
    }
    sort(&mut issues);
    issues
}

/// The order every 422 lists its issues in: by field, then by code.
pub fn sort(issues: &mut [FieldIssue]) {
    issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
}

fn field_issue(field: &Field, value: &Value) -> Option<FieldIssue> {
    let rule = field.rule;
    match (field.ty, value) {
        (FieldType::Money, Value::String(s)) => Decimal::from_str(s).ok().and_then(|d| money(field.name, d)),
        (FieldType::Money, Value::Number(n)) => {
            Decimal::from_str(&n.to_string()).ok().and_then(|d| money(field.name, d))
        }
        (FieldType::Text, Value::String(s)) if rule.required && s.trim().is_empty() => {
            Some(FieldIssue::new(field.name, "required", "must not be blank"))
        }
        (FieldType::Text, Value::String(s)) if rule.email => {
            (!s.is_empty()).then(|| email_issue(field.name, s)).flatten()
        }
        (FieldType::Text, Value::String(s)) => text_issue(field.name, s, rule.max_chars.unwrap_or(usize::MAX)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::resource::{Field, FieldType as T, Resource};

    static THING: Resource = Resource {
        model: "Thing",
        doc: "",
        fields: &[
            Field::new("name", T::Text, "").required().max_chars(5),
            Field::new("email", T::Text, "").email(),
            Field::new("note", T::Text, ""),
            Field::new("price", T::Money, ""),
        ],
        relations: &[],
        default_sort: &[],
    };

    #[derive(Serialize)]
    struct Thing {
        name: &'static str,
        email: &'static str,
        note: &'static str,
        price: Decimal,
        other: &'static str,
    }

    fn codes(t: &Thing) -> Vec<(String, String)> {
        check(&THING, t).into_iter().map(|i| (i.field, i.code)).collect()
    }

    #[test]
    fn each_declared_rule_is_checked_and_issues_come_in_order() {
        let ok = Thing { name: "ab", email: "", note: "", price: Decimal::new(1250, 2), other: "\0" };
        assert_eq!(codes(&ok), [], "an undescribed field has no rules; an empty email is allowed");
        let bad = Thing { name: "abcdef", email: "nope", note: "a\u{7}b", price: Decimal::new(-1, 2), other: "" };
        let want = [("email", "email"), ("name", "length"), ("note", "invalid_character"), ("price", "negative")];
        assert_eq!(codes(&bad), want.map(|(f, c)| (f.to_owned(), c.to_owned())));
        let blank = Thing { name: "  ", email: "a@b.example", note: "\t", price: Decimal::new(1, 3), other: "" };
        let want = [("name", "required"), ("note", "invalid_character"), ("price", "precision")];
        assert_eq!(codes(&blank), want.map(|(f, c)| (f.to_owned(), c.to_owned())));
    }
}
