//! Attribute and value names, value positions and reorders.
//!
//! Names are compared case-insensitively, like the database's unique indexes
//! on `lower(name)`, so a clash is a 422 here before it could be a 409 there.

use crate::account::text_issue;
use crate::issue::FieldIssue;
use std::collections::{HashMap, HashSet};

/// The longest attribute or value name (the database CHECKs agree).
pub const MAX_NAME_CHARS: usize = 100;

/// The most values an attribute may have: one page of the largest size, so a
/// reorder's answer (the whole list) is always a single page.
pub const MAX_VALUES: usize = domain::query::limits::MAX_PAGE_SIZE as usize;

/// A name of 1 to 100 characters (after trimming) under `field`.
pub fn name_issue(field: &str, name: &str) -> Option<FieldIssue> {
    let name = name.trim();
    if name.is_empty() {
        return Some(FieldIssue::new(field, "required", "must not be blank"));
    }
    text_issue(field, name, MAX_NAME_CHARS)
}

/// A new attribute: its name, and its initial values (each a valid name, no
/// name twice ignoring case, at most [`MAX_VALUES`]).
pub fn attribute(name: &str, values: &[String]) -> Vec<FieldIssue> {
    let mut issues: Vec<FieldIssue> = name_issue("name", name).into_iter().collect();
    if values.len() > MAX_VALUES {
        issues.push(FieldIssue::new("values", "too_many", format!("an attribute has at most {MAX_VALUES} values")));
    }
    let mut seen = HashSet::new();
    for (i, value) in values.iter().enumerate() {
        let field = format!("values[{i}]");
        if let Some(issue) = name_issue(&field, value) {
            issues.push(issue);
        } else if !seen.insert(value.trim().to_lowercase()) {
            issues.push(FieldIssue::new(field, "duplicate", format!("`{}` is listed twice", value.trim())));
        }
    }
    issues
}

/// Where a new value goes among `count` values: 0 (first) to `count` (last).
pub fn position_issue(position: i64, count: usize) -> Option<FieldIssue> {
    let last = i64::try_from(count).unwrap_or(i64::MAX);
    (!(0..=last).contains(&position))
        .then(|| FieldIssue::new("position", "range", format!("must be between 0 and {last} (the number of values)")))
}

/// A reorder: `ids` must be exactly the attribute's value ids (`current`),
/// each once. One issue per kind of mistake, listing the ids, in the order
/// missing, repeated, unknown.
pub fn reorder(ids: &[i64], current: &[i64]) -> Vec<FieldIssue> {
    let known: HashSet<i64> = current.iter().copied().collect();
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for id in ids {
        *counts.entry(*id).or_default() += 1;
    }
    let list = |ids: Vec<i64>| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let missing: Vec<i64> = current.iter().copied().filter(|id| !counts.contains_key(id)).collect();
    let mut repeated = Vec::new();
    let mut unknown = Vec::new();
    for id in ids {
        let first_time = !repeated.contains(id) && !unknown.contains(id);
        if first_time && !known.contains(id) {
            unknown.push(*id);
        } else if first_time && counts.get(id).is_some_and(|n| *n > 1) {
            repeated.push(*id);
        }
    }
    let mut issues = Vec::new();
    if !missing.is_empty() {
        issues.push(FieldIssue::new(
            "ids",
            "missing",
            format!("every value of the attribute must be listed; missing: {}", list(missing)),
        ));
    }
    if !repeated.is_empty() {
        issues.push(FieldIssue::new(
            "ids",
            "repeated",
            format!("each value must be listed once; repeated: {}", list(repeated)),
        ));
    }
    if !unknown.is_empty() {
        issues.push(FieldIssue::new("ids", "unknown", format!("not values of this attribute: {}", list(unknown))));
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(issues: &[FieldIssue]) -> Vec<(&str, &str)> {
        issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect()
    }

    #[test]
    fn names_are_one_to_a_hundred_characters() {
        assert_eq!(name_issue("name", " Size "), None);
        assert_eq!(name_issue("name", " ").map(|i| i.code), Some("required".into()));
        assert_eq!(name_issue("name", &"x".repeat(101)).map(|i| i.code), Some("length".into()));
        assert_eq!(name_issue("name", &"x".repeat(100)), None);
    }

    #[test]
    fn initial_values_are_valid_and_distinct_ignoring_case() {
        let values = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(attribute("Size", &values(&["S", "M", "L"])), []);
        let issues = attribute("", &values(&["S", "", "s"]));
        assert_eq!(codes(&issues), [("name", "required"), ("values[1]", "required"), ("values[2]", "duplicate")]);
        let many: Vec<String> = (0..=MAX_VALUES).map(|i| i.to_string()).collect();
        assert_eq!(codes(&attribute("Size", &many)), [("values", "too_many")]);
    }

    #[test]
    fn positions_run_from_zero_to_the_count() {
        assert_eq!(position_issue(0, 0), None);
        assert_eq!(position_issue(3, 3), None);
        assert!(position_issue(4, 3).is_some_and(|i| i.message.contains("between 0 and 3")));
        assert!(position_issue(-1, 3).is_some());
    }

    #[test]
    fn a_reorder_lists_each_value_once() {
        assert_eq!(reorder(&[3, 1, 2], &[1, 2, 3]), []);
        let issues = reorder(&[3, 3, 9, 9, 1], &[1, 2, 3]);
        assert_eq!(codes(&issues), [("ids", "missing"), ("ids", "repeated"), ("ids", "unknown")]);
        assert!(issues[0].message.ends_with("missing: 2"));
        assert!(issues[1].message.ends_with("repeated: 3"));
        assert!(issues[2].message.ends_with("attribute: 9"));
        assert_eq!(codes(&reorder(&[], &[1])), [("ids", "missing")]);
        assert_eq!(reorder(&[], &[]), []);
    }
}
