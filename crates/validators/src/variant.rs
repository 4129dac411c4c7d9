//! Variant fields and value combinations.
//!
//! A variant has exactly one value of each attribute of its product's type.
//! The API looks up the type's attributes and the values a client named (only
//! the distributor's: another distributor's value is as unknown as a missing
//! one) and these functions decide, purely, whether the choice is complete
//! and consistent. Bulk creation names several values per attribute and gets
//! every combination, in the type's attribute order and each attribute's
//! value order, bounded by [`MAX_COMBINATIONS`].

use crate::campaign::text;
use crate::issue::FieldIssue;
use crate::money::money;
use crate::product::{join, repeated};
use domain::catalog::VariantFields;
use std::collections::{HashMap, HashSet};

/// The longest variant description.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// The most variants one bulk request may create (or skip): the request runs
/// in one transaction and answers with every created variant.
pub const MAX_COMBINATIONS: usize = 1000;

/// An attribute of the product's type; a slice of them is in the type's order.
#[derive(Debug, Clone, Copy)]
pub struct TypeAttribute<'a> {
    pub id: i64,
    pub name: &'a str,
    /// Its position in the type (0, 1, …): the order of values in a sku.
    pub position: i32,
}

/// An attribute value the client named that exists in the distributor.
#[derive(Debug, Clone, Copy)]
pub struct KnownValue<'a> {
    pub id: i64,
    pub attribute_id: i64,
    pub attribute_name: &'a str,
    pub name: &'a str,
    /// Its position in its attribute's order.
    pub position: i32,
}

/// One value of a variant, placed: the attribute's position in the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacedValue {
    pub attribute_id: i64,
    pub value_id: i64,
    pub position: i32,
}

/// The description and vendor cost every variant has (whether the supplier
/// exists is a lookup the API does).
pub fn variant(v: &VariantFields) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    text(&mut issues, "description", &v.description, 0, MAX_DESCRIPTION_CHARS);
    issues.extend(money("vendor_cost", v.vendor_cost));
    issues
}

/// Checks a variant's `value_ids` against its type: every id known, none
/// repeated, each of an attribute of the type, at most one per attribute and
/// one for every attribute. Returns the values in the type's attribute order,
/// or every issue under `value_ids` (sorted by code).
pub fn values(
    attributes: &[TypeAttribute<'_>],
    chosen: &[i64],
    known: &[KnownValue<'_>],
) -> Result<Vec<PlacedValue>, Vec<FieldIssue>> {
    const FIELD: &str = "value_ids";
    let mut issues = Vec::new();
    let by_id: HashMap<i64, &KnownValue<'_>> = known.iter().map(|v| (v.id, v)).collect();
    let unknown: Vec<i64> = dedup(chosen.iter().copied().filter(|id| !by_id.contains_key(id)));
    if !unknown.is_empty() {
        issues.push(FieldIssue::new(FIELD, "not_found", format!("no such attribute value: {}", join(&unknown))));
    }
    let twice = repeated(chosen);
    if !twice.is_empty() {
        issues.push(FieldIssue::new(FIELD, "duplicate", format!("listed more than once: {}", join(&twice))));
    }
    let values: Vec<&KnownValue<'_>> =
        dedup(chosen.iter().copied()).iter().filter_map(|id| by_id.get(id).copied()).collect();
    let in_type: HashSet<i64> = attributes.iter().map(|a| a.id).collect();
    let outside: Vec<String> = values
        .iter()
        .filter(|v| !in_type.contains(&v.attribute_id))
        .map(|v| format!("{} ({} {})", v.id, v.attribute_name, v.name))
        .collect();
    if !outside.is_empty() {
        issues.push(FieldIssue::new(
            FIELD,
            "not_in_type",
            format!("values of attributes the product type does not have: {}", outside.join(", ")),
        ));
    }
    let mut placed = Vec::with_capacity(attributes.len());
    let mut missing = Vec::new();
    for attribute in attributes {
        let of_it: Vec<&&KnownValue<'_>> = values.iter().filter(|v| v.attribute_id == attribute.id).collect();
        match of_it.as_slice() {
            [] => missing.push(attribute.name),
            [one] => {
                placed.push(PlacedValue { attribute_id: attribute.id, value_id: one.id, position: attribute.position })
            }
            many => issues.push(FieldIssue::new(
                FIELD,
                "duplicate_attribute",
                format!(
                    "more than one value of {}: {}",
                    attribute.name,
                    many.iter().map(|v| v.name).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    if !missing.is_empty() {
        issues.push(FieldIssue::new(FIELD, "missing", format!("no value of {}", missing.join(", "))));
    }
    if issues.is_empty() {
        Ok(placed)
    } else {
        issues.sort_by(|a, b| a.code.cmp(&b.code));
        Err(issues)
    }
}

/// One entry of a bulk request: an attribute and the values to combine.
#[derive(Debug, Clone, Copy)]
pub struct BulkEntry<'a> {
    pub attribute_id: i64,
    pub value_ids: &'a [i64],
}

/// Checks a bulk request's `values` against the type: one entry per
/// attribute of the type (none missing, none extra or repeated), each with
/// at least one value of that attribute and no repeats, and at most
/// [`MAX_COMBINATIONS`] combinations. Returns the chosen value ids per
/// attribute, in the type's attribute order and each in its attribute's
/// value order.
pub fn bulk_values(
    attributes: &[TypeAttribute<'_>],
    entries: &[BulkEntry<'_>],
    known: &[KnownValue<'_>],
) -> Result<Vec<Vec<i64>>, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let by_id: HashMap<i64, &KnownValue<'_>> = known.iter().map(|v| (v.id, v)).collect();
    let mut chosen: HashMap<i64, Vec<&KnownValue<'_>>> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let Some(attribute) = attributes.iter().find(|a| a.id == entry.attribute_id) else {
            issues.push(FieldIssue::new(
                format!("values[{i}].attribute_id"),
                "not_in_type",
                format!("attribute {} is not an attribute of the product type", entry.attribute_id),
            ));
            continue;
        };
        if chosen.contains_key(&attribute.id) {
            issues.push(FieldIssue::new(
                format!("values[{i}].attribute_id"),
                "duplicate",
                format!("{} is listed more than once", attribute.name),
            ));
            continue;
        }
        let field = format!("values[{i}].value_ids");
        if entry.value_ids.is_empty() {
            issues.push(FieldIssue::new(&field, "required", format!("name at least one value of {}", attribute.name)));
        }
        let twice = repeated(entry.value_ids);
        if !twice.is_empty() {
            issues.push(FieldIssue::new(&field, "duplicate", format!("listed more than once: {}", join(&twice))));
        }
        let strangers: Vec<i64> = dedup(
            entry.value_ids.iter().copied().filter(|id| by_id.get(id).is_none_or(|v| v.attribute_id != attribute.id)),
        );
        if !strangers.is_empty() {
            issues.push(FieldIssue::new(
                &field,
                "not_found",
                format!("not values of {}: {}", attribute.name, join(&strangers)),
            ));
        }
        let mut values: Vec<&KnownValue<'_>> =
            dedup(entry.value_ids.iter().copied()).iter().filter_map(|id| by_id.get(id).copied()).collect();
        values.retain(|v| v.attribute_id == attribute.id);
        values.sort_by_key(|v| (v.position, v.id));
        chosen.insert(attribute.id, values);
    }
    let missing: Vec<&str> = attributes.iter().filter(|a| !chosen.contains_key(&a.id)).map(|a| a.name).collect();
    if !missing.is_empty() {
        issues.push(FieldIssue::new("values", "missing", format!("no entry for {}", missing.join(", "))));
    }
    if !issues.is_empty() {
        issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
        return Err(issues);
    }
    let per_attribute: Vec<Vec<i64>> = attributes
        .iter()
        .map(|a| chosen.get(&a.id).map(|vs| vs.iter().map(|v| v.id).collect()).unwrap_or_default())
        .collect();
    let n = combination_count(&per_attribute);
    if n > MAX_COMBINATIONS {
        let sizes: Vec<String> = per_attribute.iter().map(|vs| vs.len().to_string()).collect();
        return Err(vec![FieldIssue::new(
            "values",
            "too_many",
            format!(
                "{} makes {} combinations; at most {MAX_COMBINATIONS} per request",
                sizes.join(" × "),
                if n == usize::MAX { "too many".to_owned() } else { n.to_string() }
            ),
        )]);
    }
    Ok(per_attribute)
}

/// How many combinations the lists make (saturating).
pub fn combination_count(per_attribute: &[Vec<i64>]) -> usize {
    per_attribute.iter().fold(1_usize, |n, vs| n.saturating_mul(vs.len()))
}

/// Every combination of one value per list, the first list varying slowest:
/// `[[R, B], [S, M]]` → `[R, S], [R, M], [B, S], [B, M]`. No lists make one
/// empty combination (a type without attributes has one variant).
pub fn combinations(per_attribute: &[Vec<i64>]) -> Vec<Vec<i64>> {
    let mut out: Vec<Vec<i64>> = vec![Vec::new()];
    for values in per_attribute {
        out = out
            .iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut c = prefix.clone();
                    c.push(*v);
                    c
                })
            })
            .collect();
    }
    out
}

/// The ids in first-seen order, each once.
fn dedup(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    // Color (position 0): Red 10, Blue 11; Size (position 1): S 20, M 21, XL 22;
    // Material (not in the type): Cotton 30.
    const ATTRS: [TypeAttribute<'static>; 2] =
        [TypeAttribute { id: 1, name: "Color", position: 0 }, TypeAttribute { id: 2, name: "Size", position: 1 }];

    fn known() -> Vec<KnownValue<'static>> {
        let v = |id, attribute_id, attribute_name, name, position| KnownValue {
            id,
            attribute_id,
            attribute_name,
            name,
            position,
        };
        vec![
            v(10, 1, "Color", "Red", 0),
            v(11, 1, "Color", "Blue", 1),
            v(20, 2, "Size", "S", 0),
            v(21, 2, "Size", "M", 1),
            v(22, 2, "Size", "XL", 2),
            v(30, 3, "Material", "Cotton", 0),
        ]
    }

    fn codes(issues: &[FieldIssue]) -> Vec<(&str, &str)> {
        issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect()
    }

    #[test]
    fn values_are_placed_in_type_order_whatever_the_order_sent() {
        let placed = values(&ATTRS, &[22, 10], &known()).unwrap();
        assert_eq!(
            placed,
            [
                PlacedValue { attribute_id: 1, value_id: 10, position: 0 },
                PlacedValue { attribute_id: 2, value_id: 22, position: 1 }
            ]
        );
        assert_eq!(values(&[], &[], &[]).unwrap(), []);
    }

    #[test]
    fn every_bad_choice_is_named() {
        let err = values(&ATTRS, &[10, 11, 30, 99, 99], &known()).unwrap_err();
        assert_eq!(
            codes(&err),
            [
                ("value_ids", "duplicate"),
                ("value_ids", "duplicate_attribute"),
                ("value_ids", "missing"),
                ("value_ids", "not_found"),
                ("value_ids", "not_in_type"),
            ]
        );
        let message = |code: &str| err.iter().find(|i| i.code == code).unwrap().message.clone();
        assert_eq!(message("missing"), "no value of Size");
        assert_eq!(message("not_found"), "no such attribute value: 99");
        assert_eq!(message("duplicate"), "listed more than once: 99");
        assert!(message("duplicate_attribute").contains("Color: Red, Blue"));
        assert!(message("not_in_type").contains("30 (Material Cotton)"));
        let err = values(&ATTRS, &[], &known()).unwrap_err();
        assert_eq!(err[0].message, "no value of Color, Size");
    }

    #[test]
    fn bulk_orders_values_by_position_and_combines_them() {
        let entries = [
            BulkEntry { attribute_id: 2, value_ids: &[22, 20, 21] },
            BulkEntry { attribute_id: 1, value_ids: &[11, 10] },
        ];
        let per = bulk_values(&ATTRS, &entries, &known()).unwrap();
        assert_eq!(per, [vec![10, 11], vec![20, 21, 22]]);
        assert_eq!(
            combinations(&per),
            [[10, 20], [10, 21], [10, 22], [11, 20], [11, 21], [11, 22]].map(Vec::from).to_vec()
        );
        assert_eq!(combinations(&[]), [Vec::<i64>::new()]);
        assert_eq!(combination_count(&per), 6);
    }

    #[test]
    fn bulk_entries_must_match_the_type() {
        let entries = [
            BulkEntry { attribute_id: 1, value_ids: &[10, 20, 10] },
            BulkEntry { attribute_id: 3, value_ids: &[30] },
            BulkEntry { attribute_id: 1, value_ids: &[11] },
        ];
        let err = bulk_values(&ATTRS, &entries, &known()).unwrap_err();
        assert_eq!(
            codes(&err),
            [
                ("values", "missing"),
                ("values[0].value_ids", "duplicate"),
                ("values[0].value_ids", "not_found"),
                ("values[1].attribute_id", "not_in_type"),
                ("values[2].attribute_id", "duplicate"),
            ]
        );
        let err = bulk_values(&ATTRS, &[BulkEntry { attribute_id: 1, value_ids: &[] }], &known()).unwrap_err();
        assert_eq!(codes(&err), [("values", "missing"), ("values[0].value_ids", "required")]);
    }

    #[test]
    fn bulk_is_bounded() {
        let attrs: Vec<TypeAttribute<'_>> =
            (0..3).map(|i| TypeAttribute { id: i, name: "A", position: i as i32 }).collect();
        let known: Vec<KnownValue<'_>> = (0..3)
            .flat_map(|a| {
                (0..11).map(move |v| KnownValue {
                    id: a * 100 + v,
                    attribute_id: a,
                    attribute_name: "A",
                    name: "v",
                    position: v as i32,
                })
            })
            .collect();
        let ids: Vec<Vec<i64>> = (0..3).map(|a| (0..11).map(|v| a * 100 + v).collect()).collect();
        let entries: Vec<BulkEntry<'_>> =
            ids.iter().enumerate().map(|(a, vs)| BulkEntry { attribute_id: a as i64, value_ids: vs }).collect();
        let err = bulk_values(&attrs, &entries, &known).unwrap_err();
        assert_eq!(codes(&err), [("values", "too_many")]);
        assert!(err[0].message.starts_with("11 × 11 × 11 makes 1331 combinations"), "{}", err[0].message);
        // 10 × 10 × 10 = 1000 is allowed.
        let ids: Vec<Vec<i64>> = (0..3).map(|a| (0..10).map(|v| a * 100 + v).collect()).collect();
        let entries: Vec<BulkEntry<'_>> =
            ids.iter().enumerate().map(|(a, vs)| BulkEntry { attribute_id: a as i64, value_ids: vs }).collect();
        assert_eq!(combination_count(&bulk_values(&attrs, &entries, &known).unwrap()), 1000);
    }

    fn fields(description: &str, vendor_cost: Decimal) -> Vec<FieldIssue> {
        variant(&VariantFields { supplier_id: 1, description: description.into(), vendor_cost })
    }

    #[test]
    fn costs_and_descriptions() {
        assert_eq!(fields("", Decimal::ZERO), []);
        assert_eq!(codes(&fields("", Decimal::new(-1, 2))), [("vendor_cost", "negative")]);
        assert_eq!(
            codes(&fields(&"d".repeat(10_001), Decimal::new(1, 3))),
            [("description", "too_long"), ("vendor_cost", "precision")]
        );
    }
}
