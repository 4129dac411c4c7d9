//! Money is exact decimal, never floating point, and carries two decimal places
//! on the wire.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds half away from zero to cents, the rule every price in the domain uses.
pub fn round_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The amount rounded to cents and carrying exactly two decimal places, so
/// it prints as `12.50`, not `12.5`.
pub fn cents(amount: Decimal) -> Decimal {
    let mut rounded = round_cents(amount);
    rounded.rescale(2);
    rounded
}

/// The wire form: always two decimal places (`"12.50"`).
pub fn to_wire(amount: Decimal) -> String {
    cents(amount).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_cents(d("2.345")), d("2.35"));
        assert_eq!(round_cents(d("2.344")), d("2.34"));
    }

    #[test]
    fn wire_form_has_two_places() {
        assert_eq!(to_wire(d("12.5")), "12.50");
        assert_eq!(to_wire(d("3")), "3.00");
        assert_eq!(to_wire(d("0.005")), "0.01");
    }
}
