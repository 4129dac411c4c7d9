//! Properties of the storefront's money rules over random campaigns, baskets
//! and order histories: the split always adds up, the allowance is never
//! overspent, and no sequence of checkouts passes a limit.

#![allow(clippy::unwrap_used)]

use domain::shopping::{
    Limits, Line, Refusal, Rules, Usage, check_limits, checkout, order_number, order_number_is_valid, split, usage_of,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// An amount in cents, 0.00 to `max_cents / 100`.
fn money(max_cents: i64) -> impl Strategy<Value = Decimal> {
    (0..=max_cents).prop_map(|c| Decimal::new(c, 2))
}

fn line() -> impl Strategy<Value = Line> {
    (1..=20i64, money(20_000)).prop_map(|(quantity, unit_price)| Line { quantity, unit_price })
}

fn basket() -> impl Strategy<Value = Vec<Line>> {
    prop::collection::vec(line(), 0..6)
}

fn limits() -> impl Strategy<Value = Limits> {
    (prop::option::of(1..=60i64), prop::option::of(money(200_000)))
        .prop_map(|(items_count, price)| Limits { items_count, price })
}

proptest! {
    #[test]
    fn a_split_adds_up_and_never_overspends(
        subtotal in money(1_000_000),
        allowance in prop::option::of(money(500_000)),
        used in money(600_000),
        personal_pay in any::<bool>(),
    ) {
        match split(subtotal, allowance, used, personal_pay) {
            Ok(s) => {
                prop_assert_eq!(s.allowance_applied + s.payroll_deduction, subtotal);
                prop_assert!(s.allowance_applied >= Decimal::ZERO);
                prop_assert!(s.payroll_deduction >= Decimal::ZERO);
                prop_assert!(personal_pay || s.payroll_deduction.is_zero());
                match (allowance, s.allowance_remaining) {
                    (Some(a), Some(left)) => {
                        prop_assert!(left >= Decimal::ZERO);
                        prop_assert!(s.allowance_applied <= (a - used).max(Decimal::ZERO));
                    }
                    (None, None) => prop_assert_eq!(s.payroll_deduction, Decimal::ZERO),
                    other => prop_assert!(false, "allowance and remaining disagree: {:?}", other),
                }
            }
            Err(e) => {
                prop_assert!(!personal_pay);
                prop_assert!(e.shortfall > Decimal::ZERO);
                prop_assert_eq!(e.shortfall, subtotal - e.allowance_remaining);
            }
        }
    }

    /// A shopper checks out basket after basket; whatever is accepted, the
    /// orders stay within the limits and the allowance, and the allowance
    /// used equals the sum of what each order applied.
    #[test]
    fn no_history_of_checkouts_passes_a_limit(
        limits in limits(),
        allowance in prop::option::of(money(100_000)),
        personal_pay in any::<bool>(),
        baskets in prop::collection::vec(basket(), 1..12),
    ) {
        let mut ordered = Usage::ZERO;
        let mut allowance_used = Decimal::ZERO;
        let mut deducted = Decimal::ZERO;
        let rules = Rules { limits, allowance, personal_pay };
        for lines in &baskets {
            let basket = usage_of(lines.iter().copied());
            if basket.items == 0 {
                continue;
            }
            let s = match checkout(rules, ordered, allowance_used, basket) {
                Ok(s) => s,
                Err(Refusal::Limits(broken)) => {
                    prop_assert!(!broken.is_empty());
                    continue;
                }
                Err(Refusal::Allowance(e)) => {
                    prop_assert!(!personal_pay && e.shortfall > Decimal::ZERO);
                    continue;
                }
            };
            ordered = ordered.plus(basket);
            allowance_used += s.allowance_applied;
            deducted += s.payroll_deduction;
        }
        if let Some(n) = limits.items_count { prop_assert!(ordered.items <= n); }
        if let Some(p) = limits.price { prop_assert!(ordered.amount <= p); }
        if let Some(a) = allowance { prop_assert!(allowance_used <= a); }
        prop_assert_eq!(allowance_used + deducted, ordered.amount);
        prop_assert!(personal_pay || allowance.is_none() || deducted.is_zero());
    }

    /// The limits check agrees with adding up by hand, and reaching a limit
    /// exactly passes.
    #[test]
    fn limits_are_exactly_the_sums(limits in limits(), before in basket(), now in basket()) {
        let (ordered, basket) = (usage_of(before.iter().copied()), usage_of(now.iter().copied()));
        let total = ordered.plus(basket);
        let over = limits.items_count.is_some_and(|n| total.items > n) || limits.price.is_some_and(|p| total.amount > p);
        prop_assert_eq!(check_limits(limits, ordered, basket).is_err(), over);
        let exact = Limits { items_count: Some(total.items), price: Some(total.amount) };
        prop_assert!(check_limits(exact, ordered, basket).is_ok());
    }

    #[test]
    fn order_numbers_check_themselves(prefix in "[A-Za-z ]{0,12}", seq in any::<u32>()) {
        let n = order_number(&prefix, u64::from(seq));
        prop_assert!(order_number_is_valid(&n), "{}", n);
        prop_assert_ne!(order_number(&prefix, u64::from(seq) + 1), n);
    }
}
