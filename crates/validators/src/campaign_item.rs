//! Campaign-item input rules: costs, margin, bin and decorations, every issue
//! at once with field paths like `decorations[1].location`. Whether the
//! variant and decorators exist is the API's question (it needs the
//! database); whether the resulting price fits is [`priced`].

use crate::campaign::text;
use crate::issue::FieldIssue;
use crate::money::money;
use domain::catalog::{CampaignItemFields, MARGIN_LIMIT};
use rust_decimal::Decimal;

/// The most decorations an item may have.
pub const MAX_DECORATIONS: usize = 10;
/// The longest decoration location (it becomes part of the sku).
pub const MAX_LOCATION_CHARS: usize = 50;
/// The longest logo description.
pub const MAX_LOGO_DESCRIPTION_CHARS: usize = 500;
/// The longest bin id.
pub const MAX_BIN_ID_CHARS: usize = 64;

/// A margin in percent: `0 ≤ margin < 100` (100 would divide by zero), at
/// most two decimal places.
pub fn margin(value: Decimal) -> Option<FieldIssue> {
    if let Some(issue) = money("margin", value) {
        return Some(issue);
    }
    (value >= MARGIN_LIMIT)
        .then(|| FieldIssue::new("margin", "range", "must be at least 0 and less than 100 (a percent of the price)"))
}

/// A bin id: 1 to 64 characters when given.
pub fn bin_id(value: Option<&str>) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if let Some(bin) = value {
        text(&mut issues, "bin_id", bin.trim(), 1, MAX_BIN_ID_CHARS);
    }
    issues
}

/// Every rule an item's inputs must meet: money fields non-negative with at
/// most two places, the margin in range, the bin short, and at most 10
/// decorations, each at a distinct location (case-insensitive, as the sku
/// spells it in upper case) of 1–50 characters, a logo description of at
/// most 500 and a cost that is money.
pub fn item(i: &CampaignItemFields) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    issues.extend(money("vendor_cost", i.vendor_cost));
    issues.extend(i.ow_cost.and_then(|c| money("ow_cost", c)));
    issues.extend(margin(i.margin));
    issues.extend(bin_id(i.bin_id.as_deref()));
    if i.decorations.len() > MAX_DECORATIONS {
        issues.push(FieldIssue::new(
            "decorations",
            "too_many",
            format!("at most {MAX_DECORATIONS} decorations, got {}", i.decorations.len()),
        ));
    } else {
        let mut seen: Vec<String> = Vec::with_capacity(i.decorations.len());
        for (n, d) in i.decorations.iter().enumerate() {
            let at = |name: &str| format!("decorations[{n}].{name}");
            let location = d.location.trim();
            text(&mut issues, &at("location"), location, 1, MAX_LOCATION_CHARS);
            let folded = location.to_uppercase();
            if !location.is_empty() {
                if seen.contains(&folded) {
                    issues.push(FieldIssue::new(
                        at("location"),
                        "duplicate",
                        format!("another decoration is already at `{location}` (locations are case-insensitive)"),
                    ));
                }
                seen.push(folded);
            }
            text(&mut issues, &at("logo_description"), &d.logo_description, 0, MAX_LOGO_DESCRIPTION_CHARS);
            issues.extend(money(&at("cost"), d.cost));
        }
    }
    sorted(issues)
}

/// Whether the total and price that follow from valid inputs fit the stored
/// amounts (below 10¹⁰): a huge cost with a margin near 100 would not.
/// `bfl_cost` is the campaign's, `ow_cost` the one in effect.
pub fn priced(i: &CampaignItemFields, bfl_cost: Decimal, ow_cost: Decimal) -> Vec<FieldIssue> {
    let limit = Decimal::from(10_000_000_000_i64);
    let costs: Vec<Decimal> = i.decorations.iter().map(|d| d.cost).collect();
    let total = domain::catalog::total(i.vendor_cost, bfl_cost, ow_cost, &costs);
    let price = domain::catalog::price(total, i.margin);
    if total >= limit || price.is_none_or(|p| p >= limit) {
        vec![FieldIssue::new(
            "price",
            "too_large",
            format!(
                "the price these costs and margin give (total {total} / (1 − {}/100)) must be less than 10000000000.00",
                i.margin
            ),
        )]
    } else {
        Vec::new()
    }
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
    use domain::catalog::Decoration;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn paths(issues: &[FieldIssue]) -> Vec<(String, String)> {
        issues.iter().map(|i| (i.field.clone(), i.code.clone())).collect()
    }

    fn deco(location: &str, cost: &str) -> Decoration {
        Decoration { location: location.into(), logo_description: "logo".into(), cost: d(cost), decorator_id: 1 }
    }

    fn good() -> CampaignItemFields {
        CampaignItemFields {
            product_variant_id: 1,
            vendor_cost: d("4.10"),
            ow_cost: None,
            margin: d("35"),
            bin_id: Some("A-1".into()),
            decorations: vec![deco("front", "1.20"), deco("sleeve", "0.80")],
        }
    }

    #[test]
    fn a_good_item_passes() {
        assert_eq!(item(&good()), []);
        assert_eq!(priced(&good(), d("0.50"), d("0.25")), []);
    }

    #[test]
    fn margins_run_from_zero_to_just_under_a_hundred() {
        assert_eq!(margin(d("0")), None);
        assert_eq!(margin(d("99.99")), None);
        assert_eq!(margin(d("100")).unwrap().code, "range");
        assert_eq!(margin(d("-1")).unwrap().code, "negative");
        assert_eq!(margin(d("12.345")).unwrap().code, "precision");
    }

    #[test]
    fn every_issue_is_reported_with_its_path() {
        let long = "x".repeat(51);
        let logo = "l".repeat(501);
        let i = CampaignItemFields {
            product_variant_id: 1,
            vendor_cost: d("-1"),
            ow_cost: Some(d("0.001")),
            margin: d("100"),
            bin_id: Some(" ".into()),
            decorations: vec![
                deco("Front", "1"),
                deco("FRONT ", "-2"),
                Decoration { location: long, logo_description: logo, cost: d("0"), decorator_id: 1 },
                deco("", "0"),
            ],
        };
        assert_eq!(
            paths(&item(&i)),
            [
                ("bin_id", "required"),
                ("decorations[1].cost", "negative"),
                ("decorations[1].location", "duplicate"),
                ("decorations[2].location", "too_long"),
                ("decorations[2].logo_description", "too_long"),
                ("decorations[3].location", "required"),
                ("margin", "range"),
                ("ow_cost", "precision"),
                ("vendor_cost", "negative"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        let mut many = good();
        many.decorations = (0..11).map(|_| deco("x", "0")).collect();
        assert_eq!(paths(&item(&many)), [("decorations".to_owned(), "too_many".to_owned())]);
    }

    #[test]
    fn a_price_too_large_to_store_is_refused() {
        let mut i = good();
        i.vendor_cost = d("9999999");
        i.margin = d("99.99");
        // 9999999 + 2.75 = 10000001.75; / 0.0001 ≈ 1.0e11: too large.
        assert_eq!(paths(&priced(&i, d("0.50"), d("0.25"))), [("price".to_owned(), "too_large".to_owned())]);
        i.margin = d("0");
        assert_eq!(priced(&i, d("0.50"), d("0.25")), []);
    }
}
