//! The one rule every amount of money a client sends follows, with one set
//! of error codes wherever the amount appears (distributor costs, campaign
//! settings, item costs, imports).

use crate::issue::FieldIssue;
use rust_decimal::Decimal;

/// An amount of money under `field`: not negative (`negative`), at most two
/// decimal places after dropping trailing zeros, so `12.500` is `12.50`
/// (`precision`), and less than 10^10, the first amount a `NUMERIC(12, 2)`
/// column cannot hold (`too_large`).
pub fn money(field: &str, value: Decimal) -> Option<FieldIssue> {
    let limit = Decimal::from(10_000_000_000_i64);
    if value.is_sign_negative() && !value.is_zero() {
        Some(FieldIssue::new(field, "negative", "must not be negative"))
    } else if value.normalize().scale() > 2 {
        Some(FieldIssue::new(field, "precision", "must have at most 2 decimal places"))
    } else if value >= limit {
        Some(FieldIssue::new(field, "too_large", "must be less than 10000000000.00"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn money_is_non_negative_with_two_places_and_fits_the_column() {
        for ok in ["0", "0.00", "-0", "12.5", "12.50", "12.500", "9999999999.99"] {
            assert_eq!(money("m", d(ok)), None, "{ok}");
        }
        let code = |s: &str| money("m", d(s)).map(|i| i.code);
        assert_eq!(code("-0.01").as_deref(), Some("negative"));
        assert_eq!(code("0.001").as_deref(), Some("precision"));
        assert_eq!(code("1.005").as_deref(), Some("precision"));
        assert_eq!(code("10000000000").as_deref(), Some("too_large"));
    }
}
