//! The storefront's money rules: basket totals, the campaign's per-shopper
//! limits, and the split of an order between the company's allowance and
//! the shopper's payroll deduction.
//!
//! Every rule is cumulative over the shopper's orders in the campaign, not
//! only the basket: the replaced system checked the basket alone, so two
//! orders walked past every limit. The functions are pure; storage feeds them
//! what it read under the shopper's lock, so the same rule holds however many
//! requests race.

use crate::money::round_cents;
use rust_decimal::Decimal;

/// The most units of one item a basket line may hold: far above any real
/// order, low enough that quantity × price never overflows a NUMERIC(12, 2).
pub const MAX_LINE_QUANTITY: i64 = 10_000;

/// Units and money: what a basket holds, or what a shopper's orders add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Units (a line of 3 mugs counts 3).
    pub items: i64,
    /// Money, in exact decimal.
    pub amount: Decimal,
}

impl Usage {
    pub const ZERO: Usage = Usage { items: 0, amount: Decimal::ZERO };

    /// Both added up.
    pub fn plus(self, other: Usage) -> Usage {
        Usage { items: self.items + other.items, amount: self.amount + other.amount }
    }
}

/// One basket or order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub quantity: i64,
    /// The item's price per unit (frozen on an order line).
    pub unit_price: Decimal,
}

impl Line {
    /// The line's total, to the cent.
    pub fn total(self) -> Decimal {
        round_cents(self.unit_price * Decimal::from(self.quantity))
    }
}

/// What `lines` add up to: the units and the subtotal (the sum of line
/// totals, so it reconciles with the lines to the cent).
pub fn usage_of(lines: impl IntoIterator<Item = Line>) -> Usage {
    lines.into_iter().fold(Usage::ZERO, |u, l| Usage { items: u.items + l.quantity, amount: u.amount + l.total() })
}

/// Whether a quantity sent for a basket line is one the basket can hold
/// (0 removes the line).
pub fn quantity_is_valid(quantity: i64) -> bool {
    (0..=MAX_LINE_QUANTITY).contains(&quantity)
}

/// A campaign's per-shopper limits; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// The most units a shopper may order in the campaign, over all orders.
    pub items_count: Option<i64>,
    /// The most money a shopper may order for in the campaign, over all orders.
    pub price: Option<Decimal>,
}

/// A limit a basket would break, with the numbers a shopper needs to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitExceeded {
    /// Too many units: `limit`, the units already `ordered`, and the total
    /// the orders and the basket `would_be`.
    ItemsCount { limit: i64, ordered: i64, would_be: i64 },
    /// Too much money, likewise.
    Price { limit: Decimal, ordered: Decimal, would_be: Decimal },
}

impl LimitExceeded {
    /// The stable error code.
    pub fn code(self) -> &'static str {
        match self {
            LimitExceeded::ItemsCount { .. } => "items_count_limit_exceeded",
            LimitExceeded::Price { .. } => "price_limit_exceeded",
        }
    }
}

/// Checks the shopper's `ordered` usage (their non-cancelled orders in the
/// campaign) plus `basket` against `limits`. Reaching a limit exactly is
/// allowed. Every limit broken is reported, units first.
pub fn check_limits(limits: Limits, ordered: Usage, basket: Usage) -> Result<(), Vec<LimitExceeded>> {
    let total = ordered.plus(basket);
    let mut broken = Vec::new();
    if let Some(limit) = limits.items_count
        && total.items > limit
    {
        broken.push(LimitExceeded::ItemsCount { limit, ordered: ordered.items, would_be: total.items });
    }
    if let Some(limit) = limits.price
        && total.amount > limit
    {
        broken.push(LimitExceeded::Price { limit, ordered: ordered.amount, would_be: total.amount });
    }
    if broken.is_empty() { Ok(()) } else { Err(broken) }
}

/// How an order's subtotal is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Paid by the company, out of the shopper's allowance.
    pub allowance_applied: Decimal,
    /// Paid by the shopper, deducted from their payroll.
    pub payroll_deduction: Decimal,
    /// The allowance left after this order; `None` when the company pays
    /// everything (no allowance set).
    pub allowance_remaining: Option<Decimal>,
}

/// A checkout that would need a payroll deduction the campaign does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowanceExceeded {
    pub subtotal: Decimal,
    /// What is left of the allowance before this order.
    pub allowance_remaining: Decimal,
    /// What the shopper would have to pay.
    pub shortfall: Decimal,
}

impl AllowanceExceeded {
    pub const CODE: &'static str = "allowance_exceeded";
}

/// Splits `subtotal` between the company and the shopper. `allowance` is the
/// campaign's allowance per shopper (`None`: the company pays everything),
/// `used` what the shopper's earlier orders took of it. The company pays
/// `min(subtotal, allowance remaining)`; the rest becomes a payroll
/// deduction, which only `personal_pay` campaigns allow.
///
/// Always `allowance_applied + payroll_deduction == subtotal`, and the
/// remaining allowance never goes below zero.
pub fn split(
    subtotal: Decimal,
    allowance: Option<Decimal>,
    used: Decimal,
    personal_pay: bool,
) -> Result<Split, AllowanceExceeded> {
    let Some(allowance) = allowance else {
        return Ok(Split { allowance_applied: subtotal, payroll_deduction: Decimal::ZERO, allowance_remaining: None });
    };
    let remaining = (allowance - used).max(Decimal::ZERO);
    let applied = subtotal.min(remaining);
    let deduction = subtotal - applied;
    if deduction > Decimal::ZERO && !personal_pay {
        return Err(AllowanceExceeded { subtotal, allowance_remaining: remaining, shortfall: deduction });
    }
    Ok(Split {
        allowance_applied: applied,
        payroll_deduction: deduction,
        allowance_remaining: Some(remaining - applied),
    })
}

/// Why a checkout is refused by the money rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The shopper's orders plus this basket would pass these limits.
    Limits(Vec<LimitExceeded>),
    /// The order needs a payroll deduction the campaign does not allow.
    Allowance(AllowanceExceeded),
}

/// A campaign's money rules for one shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub limits: Limits,
    /// The allowance per shopper; `None`: the company pays everything.
    pub allowance: Option<Decimal>,
    pub personal_pay: bool,
}

/// The one checkout decision, for the API and the seeders alike: `basket`
/// must fit the limits on top of what the shopper `ordered`, and its
/// subtotal is split against the allowance the shopper has not `used`.
pub fn checkout(rules: Rules, ordered: Usage, used: Decimal, basket: Usage) -> Result<Split, Refusal> {
    check_limits(rules.limits, ordered, basket).map_err(Refusal::Limits)?;
    split(basket.amount, rules.allowance, used, rules.personal_pay).map_err(Refusal::Allowance)
}

/// Characters of an order number: Crockford's base 32, which leaves out
/// I, L, O and U so a number read over the phone cannot be misheard.
const ORDER_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The human-readable number of order `seq` (a database sequence value, so
/// assigning it never serialises checkouts) of a distributor whose name
/// gives `prefix`: up to four letters of the name, a dash, the sequence in
/// base 32 (at least five characters), and a check character that catches
/// any single mistyped character, e.g. `ACME-000AF7` (see [`check_digit`]).
pub fn order_number(prefix: &str, seq: u64) -> String {
    let letters: String =
        prefix.chars().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_uppercase()).take(4).collect();
    let letters = if letters.is_empty() { "PS".to_owned() } else { letters };
    let mut digits = Vec::new();
    let mut n = seq;
    loop {
        digits.push(n % 32);
        n /= 32;
        if n == 0 {
            break;
        }
    }
    while digits.len() < 5 {
        digits.push(0);
    }
    digits.reverse();
    let check = check_digit(&digits);
    let body: String = digits.iter().chain([check].iter()).map(|&d| char::from(ORDER_ALPHABET[d as usize])).collect();
    format!("{letters}-{body}")
}

/// The Luhn mod N algorithm for N = 32: every single mistyped character,
/// and most swaps of neighbours, change the check character.
fn check_digit(digits: &[u64]) -> u64 {
    let sum: u64 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let addend = if i % 2 == 0 { d * 2 } else { d };
            addend / 32 + addend % 32
        })
        .sum();
    (32 - sum % 32) % 32
}

/// Whether `number` is well formed and its check character agrees, for
/// catching typos before a lookup.
pub fn order_number_is_valid(number: &str) -> bool {
    let Some((prefix, body)) = number.split_once('-') else {
        return false;
    };
    if prefix.is_empty() || prefix.len() > 4 || !prefix.bytes().all(|b| b.is_ascii_uppercase()) || body.len() < 6 {
        return false;
    }
    let values: Option<Vec<u64>> =
        body.bytes().map(|b| ORDER_ALPHABET.iter().position(|&a| a == b).map(|p| p as u64)).collect();
    let Some(values) = values else {
        return false;
    };
    let (digits, check) = values.split_at(values.len() - 1);
    check_digit(digits) == check[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn lines_add_up_to_the_cent() {
        let lines = [Line { quantity: 3, unit_price: d("6.31") }, Line { quantity: 1, unit_price: d("12.50") }];
        assert_eq!(usage_of(lines), Usage { items: 4, amount: d("31.43") });
        assert_eq!(usage_of([]), Usage::ZERO);
    }

    #[test]
    fn limits_are_cumulative_and_inclusive() {
        let limits = Limits { items_count: Some(5), price: Some(d("50.00")) };
        let ordered = Usage { items: 3, amount: d("30.00") };
        assert_eq!(check_limits(limits, ordered, Usage { items: 2, amount: d("20.00") }), Ok(()));
        assert_eq!(
            check_limits(limits, ordered, Usage { items: 3, amount: d("20.01") }),
            Err(vec![
                LimitExceeded::ItemsCount { limit: 5, ordered: 3, would_be: 6 },
                LimitExceeded::Price { limit: d("50.00"), ordered: d("30.00"), would_be: d("50.01") },
            ])
        );
        assert_eq!(check_limits(Limits::default(), ordered, Usage { items: 1_000, amount: d("1e6") }), Ok(()));
        assert_eq!(
            check_limits(limits, ordered, Usage { items: 3, amount: Decimal::ZERO }).map_err(|e| e[0].code()),
            Err("items_count_limit_exceeded")
        );
    }

    #[test]
    fn the_allowance_pays_first_and_the_rest_is_deducted() {
        let s = split(d("30.00"), Some(d("50.00")), d("40.00"), true);
        assert_eq!(
            s,
            Ok(Split {
                allowance_applied: d("10.00"),
                payroll_deduction: d("20.00"),
                allowance_remaining: Some(Decimal::ZERO)
            })
        );
        assert_eq!(
            split(d("30.00"), Some(d("50.00")), d("40.00"), false),
            Err(AllowanceExceeded { subtotal: d("30.00"), allowance_remaining: d("10.00"), shortfall: d("20.00") })
        );
        assert_eq!(split(d("10.00"), Some(d("50.00")), d("40.00"), false).map(|s| s.payroll_deduction), Ok(d("0")));
        assert_eq!(
            split(d("99.99"), None, Decimal::ZERO, false),
            Ok(Split { allowance_applied: d("99.99"), payroll_deduction: Decimal::ZERO, allowance_remaining: None })
        );
    }

    #[test]
    fn order_numbers_are_short_readable_and_checked() {
        assert_eq!(order_number("Acme Promo", 0), "ACME-000000");
        let n = order_number("Globex Merch", 1_234_567);
        assert!(n.starts_with("GLOB-"), "{n}");
        assert!(order_number_is_valid(&n), "{n}");
        assert!(!n[5..].contains(['I', 'L', 'O', 'U']), "{n}");
        assert_eq!(order_number("42", 1), format!("PS-{}", &order_number("x", 1)[2..]));
        assert!(!order_number_is_valid("ACME-00000"));
        assert!(!order_number_is_valid("acme-000000"));
    }

    #[test]
    fn one_mistyped_character_is_caught() {
        let n = order_number("Acme", 987_654);
        let (prefix, body) = n.split_once('-').unwrap_or_default();
        for i in 0..body.len() {
            for &c in ORDER_ALPHABET {
                let mut typo = body.as_bytes().to_vec();
                if typo[i] == c {
                    continue;
                }
                typo[i] = c;
                let typo = format!("{prefix}-{}", String::from_utf8_lossy(&typo));
                assert!(!order_number_is_valid(&typo), "{typo} passed for {n}");
            }
        }
    }

    #[test]
    fn quantities_are_bounded() {
        assert!(quantity_is_valid(0));
        assert!(quantity_is_valid(MAX_LINE_QUANTITY));
        assert!(!quantity_is_valid(-1));
        assert!(!quantity_is_valid(MAX_LINE_QUANTITY + 1));
    }
}
