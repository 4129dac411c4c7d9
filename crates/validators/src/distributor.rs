//! Distributor rules a client's input must meet, and the money rule every
//! amount a client sends follows.

use crate::account::{email_issue, text_issue};
use crate::issue::FieldIssue;
use rust_decimal::Decimal;

/// The longest distributor name (the database CHECK agrees).
pub const MAX_NAME_CHARS: usize = 200;
/// The longest postal address.
pub const MAX_ADDRESS_CHARS: usize = 1000;
/// The most sales executives a distributor may be allowed.
pub const MAX_SALES_COUNT: i64 = 10_000;

/// The largest amount a `NUMERIC(12, 2)` column holds: anything above would
/// be a database error, so it is a validation error first.
fn max_money() -> Decimal {
    Decimal::new(999_999_999_999, 2)
}

/// An amount of money under `field`: not negative, at most two decimal
/// places (after dropping trailing zeros: `12.500` is `12.50`), and small
/// enough to store.
pub fn money_issue(field: &str, amount: Decimal) -> Option<FieldIssue> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Some(FieldIssue::new(field, "range", "must not be negative"));
    }
    if amount.normalize().scale() > 2 {
        return Some(FieldIssue::new(field, "scale", "must have at most 2 decimal places"));
    }
    if amount > max_money() {
        return Some(FieldIssue::new(field, "range", "must be at most 9999999999.99"));
    }
    None
}

/// A distributor's fields as a client sends them; `None` is absent (on an
/// update: unchanged).
#[derive(Debug, Clone, Copy, Default)]
pub struct DistributorInput<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub address: Option<&'a str>,
    pub ow_cost: Option<Decimal>,
    pub campaign_cost: Option<Decimal>,
    pub transaction_cost: Option<Decimal>,
    pub max_sales_count: Option<i64>,
}

fn name_issue(name: &str) -> Option<FieldIssue> {
    if name.trim().is_empty() {
        return Some(FieldIssue::new("name", "required", "must not be blank"));
    }
    text_issue("name", name, MAX_NAME_CHARS)
}

fn max_sales_count_issue(n: i64) -> Option<FieldIssue> {
    (!(0..=MAX_SALES_COUNT).contains(&n))
        .then(|| FieldIssue::new("max_sales_count", "range", format!("must be between 0 and {MAX_SALES_COUNT}")))
}

/// Checks every field present; one issue per bad field.
pub fn distributor(input: &DistributorInput<'_>) -> Result<(), Vec<FieldIssue>> {
    let issues: Vec<FieldIssue> = [
        input.name.and_then(name_issue),
        input.email.and_then(|e| email_issue("email", e)),
        input.address.and_then(|a| text_issue("address", a, MAX_ADDRESS_CHARS)),
        input.ow_cost.and_then(|m| money_issue("ow_cost", m)),
        input.campaign_cost.and_then(|m| money_issue("campaign_cost", m)),
        input.transaction_cost.and_then(|m| money_issue("transaction_cost", m)),
        input.max_sales_count.and_then(max_sales_count_issue),
    ]
    .into_iter()
    .flatten()
    .collect();
    if issues.is_empty() { Ok(()) } else { Err(issues) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn money_is_non_negative_with_two_places_at_most() {
        for ok in ["0", "0.00", "-0", "12.5", "12.50", "12.500", "9999999999.99"] {
            assert_eq!(money_issue("m", d(ok)), None, "{ok}");
        }
        assert_eq!(money_issue("m", d("-0.01")).map(|i| i.code), Some("range".into()));
        assert_eq!(money_issue("m", d("1.005")).map(|i| i.code), Some("scale".into()));
        assert_eq!(money_issue("m", d("10000000000")).map(|i| i.code), Some("range".into()));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = DistributorInput {
            name: Some("  "),
            email: Some("nope"),
            address: Some("a\u{0}"),
            ow_cost: Some(d("-1")),
            campaign_cost: Some(d("0.001")),
            transaction_cost: Some(d("1")),
            max_sales_count: Some(-1),
        };
        let fields: Vec<String> = distributor(&bad).unwrap_err().into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["name", "email", "address", "ow_cost", "campaign_cost", "max_sales_count"]);
        assert!(distributor(&DistributorInput::default()).is_ok());
        assert!(
            distributor(&DistributorInput {
                name: Some("Acme"),
                email: Some("info@acme.example"),
                ..DistributorInput::default()
            })
            .is_ok()
        );
    }
}
