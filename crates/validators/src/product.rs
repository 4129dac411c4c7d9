//! Product fields: the rules a product's name, item number, description and
//! image list meet before storage sees them. Whether the product type and the
//! images exist (and belong to the distributor) is a lookup the API does; the
//! item number's uniqueness is the database's unique index.

use crate::campaign::text;
use crate::issue::FieldIssue;
use domain::catalog::ProductFields;

/// The longest product name (the database CHECK agrees).
pub const MAX_NAME_CHARS: usize = 200;
/// The longest item number (the database CHECK agrees). It starts every sku.
pub const MAX_ITEM_NUMBER_CHARS: usize = 64;
/// The longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// The most images a product may have.
pub const MAX_IMAGES: usize = 50;

/// Checks an item number: 1 to 64 characters, no blanks at either end (a
/// sku starting or ending in a blank cannot be told apart from one without
/// it in a CSV or a label), no control characters.
pub fn item_number(issues: &mut Vec<FieldIssue>, value: &str) {
    text(issues, "item_number", value, 1, MAX_ITEM_NUMBER_CHARS);
    if !value.is_empty() && value.trim() != value {
        issues.push(FieldIssue::new("item_number", "blank_edges", "must not start or end with blanks"));
    }
    if value.chars().any(|c| c.is_control() && c != '\0') {
        issues.push(FieldIssue::new("item_number", "invalid_character", "must not contain control characters"));
    }
}

/// Every rule a product's own fields meet, one issue per broken rule,
/// sorted by field. The name is checked as given: the API trims it first.
pub fn product(p: &ProductFields) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    text(&mut issues, "name", &p.name, 1, MAX_NAME_CHARS);
    item_number(&mut issues, &p.item_number);
    text(&mut issues, "description", &p.description, 0, MAX_DESCRIPTION_CHARS);
    if p.image_ids.len() > MAX_IMAGES {
        issues.push(FieldIssue::new("image_ids", "too_many", format!("at most {MAX_IMAGES} images")));
    }
    let repeated = repeated(&p.image_ids);
    if !repeated.is_empty() {
        issues.push(FieldIssue::new("image_ids", "duplicate", format!("listed more than once: {}", join(&repeated))));
    }
    issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    issues
}

/// The ids that occur more than once, each once, in first-seen order.
pub fn repeated(ids: &[i64]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for &id in ids {
        if !seen.insert(id) && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// `1, 2, 3`.
pub fn join(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, item_number: &str, image_ids: &[i64]) -> ProductFields {
        ProductFields {
            name: name.into(),
            item_number: item_number.into(),
            description: String::new(),
            product_type_id: 1,
            image_ids: image_ids.to_vec(),
        }
    }

    fn codes(issues: &[FieldIssue]) -> Vec<(&str, &str)> {
        issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect()
    }

    #[test]
    fn a_plain_product_passes() {
        assert_eq!(product(&input("Tee", "TS-100", &[3, 1, 2])), []);
        assert_eq!(product(&input(&"n".repeat(200), &"i".repeat(64), &[])), []);
    }

    #[test]
    fn item_numbers_have_no_blank_edges_and_a_bounded_length() {
        assert_eq!(codes(&product(&input("Tee", " TS", &[]))), [("item_number", "blank_edges")]);
        assert_eq!(codes(&product(&input("Tee", "TS ", &[]))), [("item_number", "blank_edges")]);
        assert_eq!(
            codes(&product(&input("Tee", "TS\t", &[]))),
            [("item_number", "blank_edges"), ("item_number", "invalid_character")]
        );
        assert_eq!(codes(&product(&input("Tee", "", &[]))), [("item_number", "required")]);
        assert_eq!(codes(&product(&input("Tee", &"i".repeat(65), &[]))), [("item_number", "too_long")]);
        assert_eq!(codes(&product(&input("Tee", "A\u{7}B", &[]))), [("item_number", "invalid_character")]);
    }

    #[test]
    fn names_images_and_descriptions_are_bounded() {
        let many: Vec<i64> = (1..=51).collect();
        let issues = product(&ProductFields {
            name: String::new(),
            item_number: "X".into(),
            description: "d".repeat(MAX_DESCRIPTION_CHARS + 1),
            product_type_id: 1,
            image_ids: many,
        });
        assert_eq!(codes(&issues), [("description", "too_long"), ("image_ids", "too_many"), ("name", "required")]);
        let issues = product(&input("Tee", "X", &[4, 5, 4, 4, 5]));
        assert_eq!(codes(&issues), [("image_ids", "duplicate")]);
        assert!(issues[0].message.ends_with("4, 5"), "{}", issues[0].message);
    }
}
