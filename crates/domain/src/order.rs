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

// The resource descriptors of this aggregate (see `crate::resource`): what a client
// may read of it. A new resource of the aggregate is added here and to `RESOURCES`.

use crate::Role;
use crate::resource::{Field, FieldType as T, Relation, RelationKind, Resource};

/// This aggregate's resources; `crate::resource::RESOURCES` gathers every aggregate's.
pub const RESOURCES: &[&Resource] = &[&ORDER, &ORDER_ITEM, &ORDER_EVENT, &ORDER_NOTE, &ORDER_NOTE_VERSION];

/// What an order event records.
pub const ORDER_EVENT_KINDS: &[&str] = &[
    "created",
    "status_changed",
    "items_edited",
    "note_added",
    "note_edited",
    "note_deleted",
    "notification_sent",
    "notification_failed",
];

const ORDER_STATUSES: &[&str] = &["processing", "approved", "ordered", "shipped", "delivered", "cancelled"];

pub static ORDER: Resource = Resource {
    model: "Order",
    doc: "A shopper's checkout in a campaign: its lines with prices frozen at checkout, the checkout field values, and how the subtotal was paid (allowance, payroll deduction). Shoppers read their own orders, admin buyers those of their campaigns, staff their distributor's.",
    fields: &[
        Field::new("id", T::Id, "The order's id."),
        Field::new(
            "number",
            T::Text,
            "The human-readable order number, e.g. `ACME-000AF7`: up to four letters of the distributor, then base 32 without I, L, O or U, and a check character.",
        ),
        Field::new("distributor_id", T::Id, "The campaign's distributor."),
        Field::new("account_id", T::Id, "The shopper who checked out."),
        Field::new("campaign_id", T::Id, "The campaign it was placed in."),
        Field::new(
            "status",
            T::Enum(ORDER_STATUSES),
            "processing → approved → ordered → shipped → delivered; cancelled from processing or approved.",
        ),
        Field::new(
            "checkout_fields",
            T::Json,
            "The checkout field values as given, by field name. Filter on one of them with its name as `key`: `{\"field\":\"checkout_fields\",\"key\":\"Employee ID\",\"op\":\"==\",\"value\":\"E-1042\"}` (values compare as text).",
        )
        .not_sortable(),
        Field::new("location", T::Json, "A copy of the delivery location chosen at checkout, if any.")
            .nullable()
            .not_sortable()
            .not_filterable(),
        Field::new("department", T::Text, "The department chosen at checkout, if any.").nullable(),
        Field::new("items_count", T::Int, "Units ordered (the sum of the lines' quantities)."),
        Field::new("subtotal", T::Money, "The sum of the line totals."),
        Field::new("allowance_applied", T::Money, "The part the company pays out of the shopper's allowance."),
        Field::new(
            "payroll_deduction",
            T::Money,
            "The part deducted from the shopper's payroll: subtotal − allowance_applied.",
        ),
        Field::new("created_at", T::DateTime, "When the shopper checked out."),
        Field::new("modified_at", T::DateTime, "When the order last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "items",
            target: "OrderItem",
            kind: RelationKind::ToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "The order's lines (at most 100). Name it in the mask to embed them.",
        },
        Relation {
            name: "campaign",
            target: "Campaign",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::Shopper,
            doc: "The campaign (`campaign_id` expanded).",
        },
        Relation {
            name: "account",
            target: "Account",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::Shopper,
            doc: "The shopper who checked out (`account_id` expanded), as the caller may see accounts.",
        },
        Relation {
            name: "events",
            target: "OrderEvent",
            kind: RelationKind::ToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "The order's history, oldest first (at most 100; `GET /orders/{id}/events` pages through all).",
        },
        Relation {
            name: "notes",
            target: "OrderNote",
            kind: RelationKind::ToMany,
            default: false,
            least_role: Role::AdminBuyer,
            doc: "Notes of staff and admin buyers, oldest first (at most 100).",
        },
    ],
    default_sort: &[("created_at", true)],
};

pub static ORDER_EVENT: Resource = Resource {
    model: "OrderEvent",
    doc: "One step of an order's history: its creation (with the lines and totals as placed), a status change, an item edit (lines and totals before and after), a note added, edited or deleted, a notification sent or failed for good (actor null: the system). Append-only: the database refuses to change or delete an event. Shoppers see the events of their own orders except those about notes.",
    fields: &[
        Field::new("id", T::Id, "The event's id; ids grow with time."),
        Field::new("order_id", T::Id, "The order."),
        Field::new("distributor_id", T::Id, "The order's distributor."),
        Field::new("kind", T::Enum(ORDER_EVENT_KINDS), "What happened."),
        Field::new("message", T::Text, "What happened, in words, e.g. `processing → approved: sizes confirmed`."),
        Field::new("actor_id", T::Id, "Who did it (null for the system)."
        ).nullable(),
        Field::new(
            "data",
            T::Json,
            "The structured record: for `created` the lines and totals as placed, for `status_changed` `from`, `to` and `note`, for `items_edited` `before` and `after` (lines and totals) and the ledger `adjustment`, for note events the `note_id`, for notification events the `template`, the `job_id` and (sent) the `recipients`, `subject` and `message_id`.",
        )
        .not_sortable()
        .not_filterable(),
        Field::new("created_at", T::DateTime, "When it happened."),
    ],
    relations: &[Relation {
        name: "actor",
        target: "Account",
        kind: RelationKind::Reference,
        default: false,
        least_role: Role::Shopper,
        doc: "Who did it (`actor_id` expanded), as the caller may see accounts.",
    }],
    default_sort: &[("id", false)],
};

pub static ORDER_NOTE: Resource = Resource {
    model: "OrderNote",
    doc: "A note of staff or the campaign's admin buyer on an order. An edit keeps the text it replaces (`versions`); a deleted note is gone from every read, while its texts and the `note_deleted` event stay in the history. Shoppers do not see notes.",
    fields: &[
        Field::new("id", T::Id, "The note's id."),
        Field::new("order_id", T::Id, "The order."),
        Field::new("distributor_id", T::Id, "The order's distributor."),
        Field::new("author_id", T::Id, "Who wrote the note."),
        Field::new("edited_by", T::Id, "Who wrote the current text (the author until an edit)."),
        Field::new("body", T::Text, "The text, 1 to 5,000 characters."),
        Field::new("created_at", T::DateTime, "When the note was written."),
        Field::new("modified_at", T::DateTime, "When it last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "author",
            target: "Account",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::AdminBuyer,
            doc: "Who wrote the note (`author_id` expanded), as the caller may see accounts.",
        },
        Relation {
            name: "versions",
            target: "OrderNoteVersion",
            kind: RelationKind::ToMany,
            default: false,
            least_role: Role::AdminBuyer,
            doc: "The texts earlier edits replaced, oldest first.",
        },
    ],
    default_sort: &[("id", false)],
};

pub static ORDER_NOTE_VERSION: Resource = Resource {
    model: "OrderNoteVersion",
    doc: "A text of a note that an edit replaced, kept as it was. Append-only.",
    fields: &[
        Field::new("id", T::Id, "The version's id."),
        Field::new("note_id", T::Id, "The note."),
        Field::new("distributor_id", T::Id, "The order's distributor."),
        Field::new("version", T::Int, "The note's version that had this text."),
        Field::new("body", T::Text, "The text as it was."),
        Field::new("written_by", T::Id, "Who wrote this text."),
        Field::new("written_at", T::DateTime, "When this text was written."),
    ],
    relations: &[],
    default_sort: &[("id", false)],
};

pub static ORDER_ITEM: Resource = Resource {
    model: "OrderItem",
    doc: "A line of an order: a campaign item, its quantity and the unit price frozen at checkout.",
    fields: &[
        Field::new("id", T::Id, "The line's id."),
        Field::new("order_id", T::Id, "The order it belongs to."),
        Field::new("distributor_id", T::Id, "The order's distributor."),
        Field::new("campaign_item_id", T::Id, "The campaign item bought."),
        Field::new("sku", T::Text, "The item's sku at checkout (copied)."),
        Field::new("product_name", T::Text, "The product's name at checkout (copied)."),
        Field::new("quantity", T::Int, "Units."),
        Field::new("unit_price", T::Money, "The price per unit at checkout."),
        Field::new("line_total", T::Money, "quantity × unit_price, to the cent."),
        Field::new("created_at", T::DateTime, "When the line was created."),
        Field::new("modified_at", T::DateTime, "When the line last changed."),
        Field::new("version", T::Int, "Bumped on every change.").not_filterable(),
    ],
    relations: &[],
    default_sort: &[("id", false)],
};

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
