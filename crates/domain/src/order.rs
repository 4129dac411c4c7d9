//! An order after checkout: its status machine, who may move it, and the
//! money of an item edit.
//!
//! The rules are pure, so the API, the seeders and the property tests decide
//! with the same code; storage feeds them what it read under the shopper's
//! lock.

use crate::shopping::{Refusal, Rules, Split, Usage, check_limits, split};
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// Where an order is: `processing → approved → ordered → shipped →
/// delivered`, and `cancelled` from `processing` or `approved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Processing,
    Approved,
    Ordered,
    Shipped,
    Delivered,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Processing, Status::Approved, Status::Ordered, Status::Shipped, Status::Delivered, Status::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Processing => "processing",
            Status::Approved => "approved",
            Status::Ordered => "ordered",
            Status::Shipped => "shipped",
            Status::Delivered => "delivered",
            Status::Cancelled => "cancelled",
        }
    }

    /// The statuses an order may move to from this one, whoever asks.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Processing => &[Status::Approved, Status::Cancelled],
            Status::Approved => &[Status::Ordered, Status::Cancelled],
            Status::Ordered => &[Status::Shipped],
            Status::Shipped => &[Status::Delivered],
            Status::Delivered | Status::Cancelled => &[],
        }
    }

    /// Only a `processing` order's lines may change.
    pub fn is_editable(self) -> bool {
        self == Status::Processing
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the status names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status `{0}`; expected one of processing, approved, ordered, shipped, delivered, cancelled")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// Who asks to move an order, as far as the status machine cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// Staff of the order's distributor, or a super admin.
    Staff,
    /// An admin buyer of the order's campaign.
    AdminBuyer,
    /// The shopper who placed the order.
    Owner,
}

/// Whether `actor` may move an order from `from` to `to`, given the machine
/// allows the step: staff every step; the admin buyer approves and cancels;
/// the shopper cancels while the order is still `processing`.
fn may(actor: Actor, from: Status, to: Status) -> bool {
    match actor {
        Actor::Staff => true,
        Actor::AdminBuyer => matches!(to, Status::Approved | Status::Cancelled),
        Actor::Owner => to == Status::Cancelled && from == Status::Processing,
    }
}

/// The statuses `actor` may move an order from `from` to.
pub fn allowed(from: Status, actor: Actor) -> Vec<Status> {
    from.next().iter().copied().filter(|&to| may(actor, from, to)).collect()
}

/// A refused status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    /// The machine has no such step (a 409): `allowed` is what this caller
    /// may do instead.
    NotAllowed { from: Status, to: Status, allowed: Vec<Status> },
    /// The step exists but is not this caller's to take (a 403).
    NotYours { from: Status, to: Status },
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransitionError::NotAllowed { from, to, allowed } if allowed.is_empty() => {
                write!(f, "a {from} order cannot become {to}; you cannot change its status any further")
            }
            TransitionError::NotAllowed { from, to, allowed } => {
                let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                write!(f, "a {from} order cannot become {to}; allowed: {}", names.join(", "))
            }
            TransitionError::NotYours { from, to: Status::Cancelled } if *from != Status::Processing => write!(
                f,
                "a {from} order can be cancelled by staff or the campaign's admin buyer; shoppers cancel \
                 only while it is processing"
            ),
            TransitionError::NotYours { to: Status::Approved, .. } => {
                f.write_str("orders are approved by staff or the campaign's admin buyer")
            }
            TransitionError::NotYours { to, .. } => write!(f, "only staff mark an order {to}"),
        }
    }
}

impl std::error::Error for TransitionError {}

/// Checks that `actor` may move an order from `from` to `to`.
pub fn transition(from: Status, to: Status, actor: Actor) -> Result<(), TransitionError> {
    if !from.next().contains(&to) {
        return Err(TransitionError::NotAllowed { from, to, allowed: allowed(from, actor) });
    }
    if !may(actor, from, to) {
        return Err(TransitionError::NotYours { from, to });
    }
    Ok(())
}

/// What an edit of an order's lines does to its money, decided like a
/// checkout: the shopper's other orders in the campaign (`others`, what they
/// ordered, and `others_used`, what they took of the allowance) stay as
/// they are, and the order's new subtotal is split against the allowance
/// they leave. The limits are checked only when the edit raises the units
/// or the money (`before` → `after`), so a cut is always possible, even past
/// a limit lowered since checkout.
pub fn resplit(
    rules: Rules,
    others: Usage,
    others_used: Decimal,
    before: Usage,
    after: Usage,
) -> Result<Split, Refusal> {
    if after.items > before.items || after.amount > before.amount {
        check_limits(rules.limits, others, after).map_err(Refusal::Limits)?;
    }
    split(after.amount, rules.allowance, others_used, rules.personal_pay).map_err(Refusal::Allowance)
}

/// The allowance left after the shopper's orders took `used` of `allowance`
/// (`None`: no allowance to run out of), for a ledger entry's balance.
pub fn balance(allowance: Option<Decimal>, used: Decimal) -> Option<Decimal> {
    allowance.map(|a| (a - used).max(Decimal::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopping::Limits;
    use Status::*;

    #[test]
    fn the_machine_and_who_may_take_each_step() {
        for from in Status::ALL {
            for to in Status::ALL {
                let exists = matches!(
                    (from, to),
                    (Processing, Approved)
                        | (Processing, Cancelled)
                        | (Approved, Ordered)
                        | (Approved, Cancelled)
                        | (Ordered, Shipped)
                        | (Shipped, Delivered)
                );
                assert_eq!(transition(from, to, Actor::Staff).is_ok(), exists, "staff {from} → {to}");
                let buyer = exists && matches!(to, Approved | Cancelled);
                assert_eq!(transition(from, to, Actor::AdminBuyer).is_ok(), buyer, "buyer {from} → {to}");
                let owner = exists && from == Processing && to == Cancelled;
                assert_eq!(transition(from, to, Actor::Owner).is_ok(), owner, "owner {from} → {to}");
            }
        }
    }

    #[test]
    fn a_refusal_names_what_the_caller_may_do() {
        let e = transition(Processing, Shipped, Actor::AdminBuyer).unwrap_err();
        assert_eq!(
            e,
            TransitionError::NotAllowed { from: Processing, to: Shipped, allowed: vec![Approved, Cancelled] }
        );
        assert!(e.to_string().contains("allowed: approved, cancelled"), "{e}");
        let e = transition(Approved, Ordered, Actor::AdminBuyer).unwrap_err();
        assert_eq!(e, TransitionError::NotYours { from: Approved, to: Ordered });
        assert!(transition(Approved, Cancelled, Actor::Owner).unwrap_err().to_string().contains("only while"));
        let e = transition(Delivered, Cancelled, Actor::Staff).unwrap_err();
        assert!(e.to_string().contains("any further"), "{e}");
        assert!(Processing.is_editable() && !Approved.is_editable());
        assert_eq!("shipped".parse::<Status>(), Ok(Shipped));
        assert!("lost".parse::<Status>().is_err());
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn an_edit_is_split_against_the_allowance_the_other_orders_leave() {
        let rules = Rules {
            limits: Limits { items_count: Some(5), price: None },
            allowance: Some(d("100.00")),
            personal_pay: true,
        };
        let others = Usage { items: 2, amount: d("70.00") };
        let before = Usage { items: 1, amount: d("20.00") };
        // 70 of the allowance went to the other orders: 30 is left for this one.
        let after = Usage { items: 3, amount: d("45.00") };
        let s = resplit(rules, others, d("70.00"), before, after).unwrap();
        assert_eq!((s.allowance_applied, s.payroll_deduction), (d("30.00"), d("15.00")));
        assert_eq!(s.allowance_remaining, Some(Decimal::ZERO));
        // A raise past the units limit is refused; the same total as a cut is not.
        let raise = Usage { items: 4, amount: d("45.00") };
        assert!(matches!(resplit(rules, others, d("70.00"), before, raise), Err(Refusal::Limits(_))));
        let tighter = Rules { limits: Limits { items_count: Some(1), price: None }, ..rules };
        let cut = Usage { items: 1, amount: d("10.00") };
        assert!(resplit(tighter, others, d("70.00"), Usage { items: 2, amount: d("20.00") }, cut).is_ok());
        // Without personal pay, the part the allowance cannot cover is refused.
        let strict = Rules { personal_pay: false, ..rules };
        assert!(matches!(resplit(strict, others, d("70.00"), before, after), Err(Refusal::Allowance(_))));
        assert_eq!(balance(Some(d("100.00")), d("130.00")), Some(Decimal::ZERO));
        assert_eq!(balance(None, d("1.00")), None);
    }
}
