//! Campaign input rules: every issue of a campaign's settings at once, with
//! field paths like `checkout_fields[2].options`.

use crate::issue::FieldIssue;
use crate::money::money;
use domain::campaign::{CampaignFields, CheckoutField, CheckoutFieldKind};

/// The longest campaign name (the database's CHECK).
pub const MAX_NAME_CHARS: usize = 200;
/// The longest short text (company name, purchase-order reference, department, option).
pub const MAX_SHORT_TEXT_CHARS: usize = 200;
/// The longest message (storefront and pick/pack messages).
pub const MAX_MESSAGE_CHARS: usize = 10_000;
/// The most checkout fields a campaign may define.
pub const MAX_CHECKOUT_FIELDS: usize = 50;
/// The longest checkout field name.
pub const MAX_CHECKOUT_FIELD_NAME_CHARS: usize = 64;
/// The most options of a select field, and the most departments.
pub const MAX_LIST_ITEMS: usize = 200;
/// The earliest and latest year a date may have.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Checks a text's length (in characters) and that it has no NUL.
pub(crate) fn text(issues: &mut Vec<FieldIssue>, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min {
        let message =
            if min == 1 { "must not be empty".to_owned() } else { format!("must be at least {min} characters") };
        issues.push(FieldIssue::new(field, if min == 1 { "required" } else { "too_short" }, message));
    } else if n > max {
        issues.push(FieldIssue::new(field, "too_long", format!("must be at most {max} characters")));
    }
    if value.contains('\0') {
        issues.push(FieldIssue::new(field, "invalid_character", "must not contain NUL characters"));
    }
}

/// The checkout field definitions: at most 50; names unique (case-insensitive)
/// and 1–64 characters; kind one of text, select, number, location,
/// department; a select needs a non-empty list of unique options, other kinds
/// take none.
pub fn checkout_fields(fields: &[CheckoutField]) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if fields.len() > MAX_CHECKOUT_FIELDS {
        issues.push(FieldIssue::new(
            "checkout_fields",
            "too_many",
            format!("at most {MAX_CHECKOUT_FIELDS} checkout fields, got {}", fields.len()),
        ));
    }
    let mut seen: Vec<String> = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let at = |name: &str| format!("checkout_fields[{i}].{name}");
        let name = f.name.trim();
        text(&mut issues, &at("name"), name, 1, MAX_CHECKOUT_FIELD_NAME_CHARS);
        let folded = name.to_lowercase();
        if !name.is_empty() {
            if seen.contains(&folded) {
                issues.push(FieldIssue::new(
                    at("name"),
                    "duplicate",
                    format!("another checkout field is already named `{name}` (names are case-insensitive)"),
                ));
            }
            seen.push(folded);
        }
        match CheckoutFieldKind::parse(&f.kind) {
            None => issues.push(FieldIssue::new(
                at("kind"),
                "invalid",
                format!(
                    "must be one of {}, got `{}`",
                    CheckoutFieldKind::ALL.map(CheckoutFieldKind::as_str).join(", "),
                    f.kind
                ),
            )),
            Some(kind) if kind.takes_options() => {
                if f.options.is_empty() {
                    issues.push(FieldIssue::new(at("options"), "required", "a select field needs at least one option"));
                } else {
                    options(&mut issues, &at("options"), &f.options, false);
                }
            }
            Some(kind) => {
                if !f.options.is_empty() {
                    issues.push(FieldIssue::new(
                        at("options"),
                        "not_allowed",
                        format!("only select fields take options; a {} field takes none", kind.as_str()),
                    ));
                }
            }
        }
    }
    issues
}

/// A list of choices: each non-empty and short, no repeats, not too many.
/// `fold_case`: repeats are compared case-insensitively.
fn options(issues: &mut Vec<FieldIssue>, field: &str, items: &[String], fold_case: bool) {
    if items.len() > MAX_LIST_ITEMS {
        issues.push(FieldIssue::new(field, "too_many", format!("at most {MAX_LIST_ITEMS} items, got {}", items.len())));
        return;
    }
    let mut seen: Vec<String> = Vec::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let path = format!("{field}[{j}]");
        if item.trim().is_empty() {
            issues.push(FieldIssue::new(path, "required", "must not be empty"));
            continue;
        }
        text(issues, &path, item, 1, MAX_SHORT_TEXT_CHARS);
        let key = if fold_case { item.trim().to_lowercase() } else { item.clone() };
        if seen.contains(&key) {
            issues.push(FieldIssue::new(path, "duplicate", format!("`{item}` is listed twice")));
        }
        seen.push(key);
    }
}

/// Departments: unique (case-insensitive), non-empty strings.
pub fn departments(items: &[String]) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    options(&mut issues, "departments", items, true);
    issues
}

fn date(issues: &mut Vec<FieldIssue>, field: &str, value: Option<chrono::NaiveDate>) {
    use chrono::Datelike;
    if let Some(d) = value
        && !YEARS.contains(&d.year())
    {
        issues.push(FieldIssue::new(field, "out_of_range", "the year must be between 1 and 9999"));
    }
}

/// Every rule a campaign's settings must meet on every write (a draft may be
/// incomplete; [`activation`] adds what an active campaign needs).
pub fn settings(s: &CampaignFields) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    text(&mut issues, "name", s.name.trim(), 1, MAX_NAME_CHARS);
    text(&mut issues, "company_name", &s.company_name, 0, MAX_SHORT_TEXT_CHARS);
    date(&mut issues, "start_date", s.start_date);
    date(&mut issues, "end_date", s.end_date);
    if let (Some(start), Some(end)) = (s.start_date, s.end_date)
        && start > end
    {
        issues.push(FieldIssue::new("end_date", "before_start", "must not be before start_date"));
    }
    for (field, value) in
        [("company_allowance", s.company_allowance), ("price_limit", s.price_limit), ("bfl_cost", Some(s.bfl_cost))]
    {
        if let Some(issue) = value.and_then(|v| money(field, v)) {
            issues.push(issue);
        }
    }
    if let Some(n) = s.items_count_limit
        && !(1..=i64::from(i32::MAX)).contains(&n)
    {
        issues.push(FieldIssue::new(
            "items_count_limit",
            "range",
            format!("must be between 1 and {} (or null for no limit)", i32::MAX),
        ));
    }
    issues.extend(checkout_fields(&s.checkout_fields));
    issues.extend(departments(&s.departments));
    text(&mut issues, "message", &s.message, 0, MAX_MESSAGE_CHARS);
    if let Some(po) = &s.distributor_po {
        text(&mut issues, "distributor_po", po, 0, MAX_SHORT_TEXT_CHARS);
    }
    if let Some(id) = s.pick_pack_partner_id
        && id <= 0
    {
        issues.push(FieldIssue::new("pick_pack_partner_id", "invalid", "must be a positive id"));
    }
    text(&mut issues, "pick_pack_partner_message", &s.pick_pack_partner_message, 0, MAX_MESSAGE_CHARS);
    sorted(issues)
}

/// What activation requires, all at once: the domain's requirements (name,
/// company name, dates in order, a message) and valid checkout field
/// definitions.
pub fn activation(s: &CampaignFields) -> Vec<FieldIssue> {
    let mut issues: Vec<FieldIssue> = domain::campaign::activation_unmet(s)
        .into_iter()
        .map(|u| FieldIssue::new(u.field, u.code, u.message))
        .collect();
    issues.extend(checkout_fields(&s.checkout_fields));
    sorted(issues)
}

/// A campaign name on its own (duplicating a campaign).
pub fn name(value: &str) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    text(&mut issues, "name", value.trim(), 1, MAX_NAME_CHARS);
    issues
}

/// Stable order: by field path, then code; no repeats.
fn sorted(mut issues: Vec<FieldIssue>) -> Vec<FieldIssue> {
    issues.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    issues.dedup();
    issues
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn field(name: &str, kind: &str, options: &[&str]) -> CheckoutField {
        CheckoutField {
            name: name.into(),
            kind: kind.into(),
            required: false,
            options: options.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn paths(issues: &[FieldIssue]) -> Vec<(String, String)> {
        issues.iter().map(|i| (i.field.clone(), i.code.clone())).collect()
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn good_checkout_fields_pass() {
        let fields = [
            field("Employee id", "text", &[]),
            field("Size", "select", &["S", "M", "L"]),
            field("Deliver to", "location", &[]),
            field("Dept", "department", &[]),
            field("Age", "number", &[]),
        ];
        assert_eq!(checkout_fields(&fields), []);
    }

    #[test]
    fn every_checkout_field_issue_is_reported_with_its_path() {
        let fields = [
            field("Size", "select", &[]),
            field("size", "text", &["x"]),
            field("Color", "select", &["Red", "Red", ""]),
            field("", "dropdown", &[]),
            field(&"n".repeat(65), "number", &[]),
        ];
        let issues = checkout_fields(&fields);
        assert_eq!(
            paths(&issues),
            [
                ("checkout_fields[0].options", "required"),
                ("checkout_fields[1].name", "duplicate"),
                ("checkout_fields[1].options", "not_allowed"),
                ("checkout_fields[2].options[1]", "duplicate"),
                ("checkout_fields[2].options[2]", "required"),
                ("checkout_fields[3].name", "required"),
                ("checkout_fields[3].kind", "invalid"),
                ("checkout_fields[4].name", "too_long"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        let many: Vec<_> = (0..51).map(|i| field(&format!("f{i}"), "text", &[])).collect();
        assert_eq!(paths(&checkout_fields(&many)), [("checkout_fields".to_owned(), "too_many".to_owned())]);
    }

    #[test]
    fn settings_report_everything_at_once() {
        let mut s = CampaignFields::named("");
        s.start_date = Some("2026-05-02".parse().unwrap());
        s.end_date = Some("2026-05-01".parse().unwrap());
        s.company_allowance = Some(d("-1"));
        s.price_limit = Some(d("1.234"));
        s.items_count_limit = Some(0);
        s.departments = vec!["Sales".into(), "sales".into(), " ".into()];
        s.checkout_fields = vec![field("Size", "select", &[])];
        assert_eq!(
            paths(&settings(&s)),
            [
                ("checkout_fields[0].options", "required"),
                ("company_allowance", "negative"),
                ("departments[1]", "duplicate"),
                ("departments[2]", "required"),
                ("end_date", "before_start"),
                ("items_count_limit", "range"),
                ("name", "required"),
                ("price_limit", "precision"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(settings(&CampaignFields::named("Spring")), []);
    }

    #[test]
    fn activation_adds_the_required_fields() {
        let mut s = CampaignFields::named("Spring");
        s.checkout_fields = vec![field("Size", "select", &[])];
        let issues = activation(&s);
        assert_eq!(
            paths(&issues),
            [
                ("checkout_fields[0].options", "required"),
                ("company_name", "required"),
                ("end_date", "required"),
                ("message", "required"),
                ("start_date", "required"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }
}
