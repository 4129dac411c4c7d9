//! Distributor rules a client's input must meet.

use crate::account::{email_issue, text_issue};
use crate::issue::FieldIssue;
use crate::money::money;
use domain::organization::DistributorFields;

/// The longest distributor name (the database CHECK agrees).
pub const MAX_NAME_CHARS: usize = 200;
/// The longest postal address.
pub const MAX_ADDRESS_CHARS: usize = 1000;
/// The most sales executives a distributor may be allowed.
pub const MAX_SALES_COUNT: i64 = 10_000;

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

/// Checks a distributor as it will be stored; one issue per bad field.
pub fn distributor(d: &DistributorFields) -> Result<(), Vec<FieldIssue>> {
    let issues: Vec<FieldIssue> = [
        name_issue(&d.name),
        email_issue("email", &d.email),
        text_issue("address", &d.address, MAX_ADDRESS_CHARS),
        money("ow_cost", d.ow_cost),
        money("campaign_cost", d.campaign_cost),
        money("transaction_cost", d.transaction_cost),
        max_sales_count_issue(d.max_sales_count),
    ]
    .into_iter()
    .flatten()
    .collect();
    if issues.is_empty() { Ok(()) } else { Err(issues) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    fn good() -> DistributorFields {
        DistributorFields {
            name: "Acme".into(),
            email: "info@acme.example".into(),
            address: String::new(),
            ow_cost: Decimal::ZERO,
            campaign_cost: Decimal::ZERO,
            transaction_cost: Decimal::ZERO,
            max_sales_count: 5,
        }
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = DistributorFields {
            name: "  ".into(),
            email: "nope".into(),
            address: "a\u{0}".into(),
            ow_cost: d("-1"),
            campaign_cost: d("0.001"),
            transaction_cost: d("1"),
            max_sales_count: -1,
        };
        let fields: Vec<String> = distributor(&bad).unwrap_err().into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["name", "email", "address", "ow_cost", "campaign_cost", "max_sales_count"]);
        assert!(distributor(&good()).is_ok());
    }
}
