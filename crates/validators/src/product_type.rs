//! Product-type fields: its name, its ordered attributes and its vendors.
//!
//! Whether each id names a row of the caller's distributor needs the
//! database; the API looks the ids up and [`unknown_ids`] words the answer,
//! the same way for an absent id and another distributor's.

use crate::attribute;
use crate::issue::FieldIssue;
use domain::catalog::ProductTypeFields;
use std::collections::HashSet;

/// The longest product-type name (the database CHECK agrees).
pub const MAX_NAME_CHARS: usize = attribute::MAX_NAME_CHARS;

/// The most attributes a type may have: each adds a part to every sku.
pub const MAX_ATTRIBUTES: usize = 20;

/// The most vendors a type may list.
pub const MAX_VENDORS: usize = 500;

/// The name, when given.
pub fn name_issue(name: &str) -> Option<FieldIssue> {
    attribute::name_issue("name", name)
}

/// An id list under `field`: at most `max`, no id twice.
pub fn id_list(field: &str, ids: &[i64], max: usize) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if ids.len() > max {
        issues.push(FieldIssue::new(field, "too_many", format!("at most {max}")));
    }
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        if !seen.insert(*id) {
            issues.push(FieldIssue::new(format!("{field}[{i}]"), "duplicate", format!("{id} is listed twice")));
        }
    }
    issues
}

/// Every rule a product type's fields must meet that needs no lookup.
pub fn product_type(t: &ProductTypeFields) -> Vec<FieldIssue> {
    let mut issues: Vec<FieldIssue> = name_issue(&t.name).into_iter().collect();
    issues.extend(id_list("attribute_ids", &t.attribute_ids, MAX_ATTRIBUTES));
    issues.extend(id_list("vendor_ids", &t.vendor_ids, MAX_VENDORS));
    issues
}

/// One `not_found` issue per id of `ids` that is not in `known`, at its
/// index (`attribute_ids[2]`), saying "no such `what`".
pub fn unknown_ids(field: &str, ids: &[i64], known: &[i64], what: &str) -> Vec<FieldIssue> {
    ids.iter()
        .enumerate()
        .filter(|(_, id)| !known.contains(id))
        .map(|(i, id)| FieldIssue::new(format!("{field}[{i}]"), "not_found", format!("no such {what}: {id}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(issues: &[FieldIssue]) -> Vec<(&str, &str)> {
        issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect()
    }

    fn check(name: &str, attribute_ids: &[i64], vendor_ids: &[i64]) -> Vec<FieldIssue> {
        product_type(&ProductTypeFields {
            name: name.into(),
            attribute_ids: attribute_ids.to_vec(),
            vendor_ids: vendor_ids.to_vec(),
        })
    }

    #[test]
    fn ids_are_distinct_and_bounded() {
        assert_eq!(check("Wearables", &[3, 1, 2], &[7]), []);
        let issues = check(" ", &[1, 2, 1], &[5, 5]);
        assert_eq!(
            fields(&issues),
            [("name", "required"), ("attribute_ids[2]", "duplicate"), ("vendor_ids[1]", "duplicate")]
        );
        let many: Vec<i64> = (0..=MAX_ATTRIBUTES as i64).collect();
        assert_eq!(fields(&check("T", &many, &[])), [("attribute_ids", "too_many")]);
    }

    #[test]
    fn unknown_ids_are_named_at_their_index() {
        let issues = unknown_ids("attribute_ids", &[4, 9, 5], &[4, 5], "attribute");
        assert_eq!(fields(&issues), [("attribute_ids[1]", "not_found")]);
        assert_eq!(issues[0].message, "no such attribute: 9");
    }
}
