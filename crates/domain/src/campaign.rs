//! Campaign rules: the status lifecycle, what may change in each status, and
//! what activation requires. Pure functions over plain values; the API asks,
//! storage records.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A campaign's status, in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Being set up: everything may change; the store is closed.
    Draft,
    /// Open to its shoppers (between its start and end dates).
    Active,
    /// No more orders; orders are being fulfilled.
    Closed,
    /// Done.
    Complete,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 4] = [Status::Draft, Status::Active, Status::Closed, Status::Complete];

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Active => "active",
            Status::Closed => "closed",
            Status::Complete => "complete",
        }
    }

    /// The only status this one may move to; `None` for `complete`.
    pub fn next(self) -> Option<Status> {
        match self {
            Status::Draft => Some(Status::Active),
            Status::Active => Some(Status::Closed),
            Status::Closed => Some(Status::Complete),
            Status::Complete => None,
        }
    }

    /// Whether `field` of a campaign in this status may change. In draft
    /// everything may; afterwards only [`EDITABLE_AFTER_DRAFT`].
    pub fn may_edit(self, field: &str) -> bool {
        self == Status::Draft || EDITABLE_AFTER_DRAFT.contains(&field)
    }

    /// Whether the campaign's delivery locations may be added, changed or
    /// removed: while draft or active, not once it has closed.
    pub fn allows_location_changes(self) -> bool {
        matches!(self, Status::Draft | Status::Active)
    }

    /// Only a draft may be deleted.
    pub fn may_delete(self) -> bool {
        self == Status::Draft
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the status names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown campaign status `{0}`; expected one of draft, active, closed, complete")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// The fields that may still change once a campaign has left draft.
pub const EDITABLE_AFTER_DRAFT: [&str; 4] = ["message", "email_shopper", "pick_pack_partner_message", "distributor_po"];

/// A refused status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    pub from: Status,
    pub to: Status,
}

impl TransitionError {
    /// The one status `from` may move to, if any.
    pub fn allowed(&self) -> Option<Status> {
        self.from.next()
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let TransitionError { from, to } = *self;
        match from.next() {
            Some(next) => write!(
                f,
                "a {from} campaign cannot become {to}: the only allowed next status is {next} \
                 (draft → active → closed → complete)"
            ),
            None => write!(f, "a {from} campaign cannot become {to}: {from} is the last status"),
        }
    }
}

impl std::error::Error for TransitionError {}

/// The lifecycle: draft → active → closed → complete, one step at a time,
/// never back and never in place.
pub fn transition(from: Status, to: Status) -> Result<(), TransitionError> {
    if from.next() == Some(to) { Ok(()) } else { Err(TransitionError { from, to }) }
}

/// What a checkout field collects from the shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutFieldKind {
    Text,
    /// One of the field's `options`.
    Select,
    Number,
    /// One of the campaign's delivery locations.
    Location,
    /// One of the campaign's departments.
    Department,
}

impl CheckoutFieldKind {
    pub const ALL: [CheckoutFieldKind; 5] = [
        CheckoutFieldKind::Text,
        CheckoutFieldKind::Select,
        CheckoutFieldKind::Number,
        CheckoutFieldKind::Location,
        CheckoutFieldKind::Department,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutFieldKind::Text => "text",
            CheckoutFieldKind::Select => "select",
            CheckoutFieldKind::Number => "number",
            CheckoutFieldKind::Location => "location",
            CheckoutFieldKind::Department => "department",
        }
    }

    pub fn parse(s: &str) -> Option<CheckoutFieldKind> {
        CheckoutFieldKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Only `select` fields carry their own options.
    pub fn takes_options(self) -> bool {
        self == CheckoutFieldKind::Select
    }
}

/// One custom checkout field definition, as stored (JSON) and as sent. The
/// kind is kept as text so an unknown one can be reported, not rejected
/// unread; the validators check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutField {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub options: Vec<String>,
}

/// Everything about a campaign a client sets (all but its id, distributor,
/// status, author and timestamps).
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignFields {
    pub name: String,
    pub company_name: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub storefront_pricing: bool,
    /// What the company pays per shopper over all their orders; `None`: everything.
    pub company_allowance: Option<Decimal>,
    pub personal_pay: bool,
    pub items_count_limit: Option<i64>,
    pub price_limit: Option<Decimal>,
    pub email_shopper: bool,
    pub checkout_fields: Vec<CheckoutField>,
    pub departments: Vec<String>,
    pub message: String,
    pub bfl_cost: Decimal,
    pub distributor_po: Option<String>,
    pub pick_pack_partner_id: Option<i64>,
    pub pick_pack_partner_message: String,
}

impl CampaignFields {
    /// A new draft's settings: the name, and the schema's defaults for the rest.
    pub fn named(name: impl Into<String>) -> CampaignFields {
        CampaignFields {
            name: name.into(),
            company_name: String::new(),
            start_date: None,
            end_date: None,
            storefront_pricing: true,
            company_allowance: Some(Decimal::ZERO),
            personal_pay: false,
            items_count_limit: None,
            price_limit: None,
            email_shopper: false,
            checkout_fields: Vec::new(),
            departments: Vec::new(),
            message: String::new(),
            bfl_cost: Decimal::ZERO,
            distributor_po: None,
            pick_pack_partner_id: None,
            pick_pack_partner_message: String::new(),
        }
    }
}

/// A delivery location of a campaign: everything a client sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationFields {
    pub nickname: String,
    pub company_name: String,
    pub street_and_number: String,
    pub suite_unit: String,
    pub city: String,
    pub zip_code: String,
    pub region: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub delivery_contact: String,
}

/// A requirement of activation that the campaign does not meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unmet {
    pub field: &'static str,
    pub code: &'static str,
    pub message: &'static str,
}

/// What activation requires of the campaign's own fields: a name, a company
/// name, start and end dates with start ≤ end, and a welcome message. (The
/// checkout field definitions must also be valid; the validators check
/// those.) Empty when the campaign may be activated.
pub fn activation_unmet(s: &CampaignFields) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    let blank = |t: &str| t.trim().is_empty();
    if blank(&s.name) {
        unmet.push(Unmet { field: "name", code: "required", message: "an active campaign needs a name" });
    }
    if blank(&s.company_name) {
        unmet.push(Unmet {
            field: "company_name",
            code: "required",
            message: "an active campaign needs the client company's name",
        });
    }
    if s.start_date.is_none() {
        unmet.push(Unmet { field: "start_date", code: "required", message: "an active campaign needs a start date" });
    }
    if s.end_date.is_none() {
        unmet.push(Unmet { field: "end_date", code: "required", message: "an active campaign needs an end date" });
    }
    if let (Some(start), Some(end)) = (s.start_date, s.end_date)
        && start > end
    {
        unmet.push(Unmet { field: "end_date", code: "before_start", message: "must not be before start_date" });
    }
    if blank(&s.message) {
        unmet.push(Unmet {
            field: "message",
            code: "required",
            message: "an active campaign needs a storefront message",
        });
    }
    unmet
}

/// Whether a campaign's store is open on `day`: active, with `day` between
/// its start and end dates (inclusive). A shopper may log in only while one
/// of their campaigns is open today (UTC); storage runs the same rule as SQL.
pub fn is_open_on(status: Status, start: Option<NaiveDate>, end: Option<NaiveDate>, day: NaiveDate) -> bool {
    status == Status::Active && start.is_some_and(|s| s <= day) && end.is_some_and(|e| day <= e)
}

// The resource descriptors of this aggregate (see `crate::resource`): what a client
// may read of it. A new resource of the aggregate is added here and to `RESOURCES`.

use crate::Role;
use crate::resource::{Field, FieldType as T, Relation, RelationKind, Resource, STAFF};

/// The campaign statuses, in lifecycle order.
pub const CAMPAIGN_STATUSES: &[&str] = &["draft", "active", "closed", "complete"];

/// This aggregate's resources; `crate::resource::RESOURCES` gathers every aggregate's.
pub const RESOURCES: &[&Resource] = &[&CAMPAIGN, &LOCATION];

pub static CAMPAIGN: Resource = Resource {
    model: "Campaign",
    doc: "A time-boxed company store a distributor runs for one client company.",
    fields: &[
        Field::new("id", T::Id, "The campaign's id."),
        Field::new("distributor_id", T::Id, "The distributor running the campaign."),
        Field::new("name", T::Text, "Unique within the distributor."),
        Field::new("company_name", T::Text, "The client company."),
        Field::new("status", T::Enum(CAMPAIGN_STATUSES), "draft → active → closed → complete; change it with `POST campaigns/{id}/status`."),
        Field::new("start_date", T::Date, "First day the store is open (required to activate).").nullable(),
        Field::new("end_date", T::Date, "Last day the store is open (required to activate).").nullable(),
        Field::new("storefront_pricing", T::Bool, "Whether shoppers see prices."),
        Field::new("company_allowance", T::Money, "What the client company pays per shopper over all their orders in the campaign; null: the company pays everything.").nullable(),
        Field::new("personal_pay", T::Bool, "Excess over the allowance becomes a payroll deduction; otherwise such a checkout is refused."),
        Field::new("items_count_limit", T::Int, "Most items per basket; null for no limit.").nullable(),
        Field::new("price_limit", T::Money, "Most a basket may cost; null for no limit.").nullable(),
        Field::new("email_shopper", T::Bool, "Whether shoppers get order emails."),
        Field::new("checkout_fields", T::Json, "The custom checkout fields: `[{name, kind, required, options}]`, kind one of text, select, number, location, department.").not_filterable(),
        Field::new("departments", T::TextList, "Department names shoppers pick from.").not_sortable(),
        Field::new("message", T::Text, "The storefront's welcome message (required to activate).").not_sortable(),
        Field::new("bfl_cost", T::Money, "Per-item cost added to every item's total. Staff only.").least(STAFF),
        Field::new("distributor_po", T::Text, "The distributor's purchase-order reference. Staff only.").nullable().least(STAFF),
        Field::new("pick_pack_partner_id", T::Id, "The pick/pack vendor. Staff only.").nullable().least(STAFF),
        Field::new("pick_pack_partner_message", T::Text, "Instructions for the pick/pack partner. Staff only.").least(STAFF).not_sortable(),
        Field::new("created_by", T::Id, "The account that created the campaign.").nullable().least(STAFF),
        Field::new("created_at", T::DateTime, "When the campaign was created."),
        Field::new("modified_at", T::DateTime, "When the campaign was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "distributor",
            target: "Distributor",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::Shopper,
            doc: "The campaign's distributor (`distributor_id` expanded).",
        },
        Relation {
            name: "locations",
            target: "Location",
            kind: RelationKind::ToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "Delivery locations (at most 100).",
        },
        Relation {
            name: "accounts",
            target: "Account",
            kind: RelationKind::ManyToMany,
            default: false,
            least_role: Role::SalesExecutive,
            doc: "The campaign's members (at most 100; `GET campaigns/{id}/members` pages through all). Staff only.",
        },
    ],
    default_sort: &[("name", false)],
};

pub static LOCATION: Resource = Resource {
    model: "Location",
    doc: "A delivery location of a campaign.",
    fields: &[
        Field::new("id", T::Id, "The location's id."),
        Field::new("campaign_id", T::Id, "The campaign it belongs to."),
        Field::new("distributor_id", T::Id, "The campaign's distributor."),
        Field::new("nickname", T::Text, "A short name shoppers pick from."),
        Field::new("company_name", T::Text, "Company at the address."),
        Field::new("street_and_number", T::Text, "Street and number."),
        Field::new("suite_unit", T::Text, "Suite or unit."),
        Field::new("city", T::Text, "City."),
        Field::new("zip_code", T::Text, "Postal code."),
        Field::new("region", T::Text, "State, province or region."),
        Field::new("country", T::Text, "ISO 3166-1 alpha-2 country code."),
        Field::new("delivery_contact", T::Text, "Who receives deliveries."),
        Field::new("created_at", T::DateTime, "When the location was created."),
        Field::new("modified_at", T::DateTime, "When the location was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[Relation {
        name: "campaign",
        target: "Campaign",
        kind: RelationKind::Reference,
        default: false,
        least_role: Role::Shopper,
        doc: "The location's campaign (`campaign_id` expanded).",
    }],
    default_sort: &[("nickname", false)],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn the_lifecycle_moves_one_step_forward_only() {
        use Status::*;
        for from in Status::ALL {
            for to in Status::ALL {
                let ok = matches!((from, to), (Draft, Active) | (Active, Closed) | (Closed, Complete));
                assert_eq!(transition(from, to).is_ok(), ok, "{from} → {to}");
            }
        }
        let e = transition(Draft, Closed).unwrap_err();
        assert_eq!(e.allowed(), Some(Active));
        assert!(e.to_string().contains("only allowed next status is active"), "{e}");
        let e = transition(Complete, Draft).unwrap_err();
        assert_eq!(e.allowed(), None);
        assert!(e.to_string().contains("last status"), "{e}");
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        assert!("open".parse::<Status>().is_err());
        for k in CheckoutFieldKind::ALL {
            assert_eq!(CheckoutFieldKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn after_draft_only_a_few_fields_change() {
        assert!(Status::Draft.may_edit("name"));
        for s in [Status::Active, Status::Closed, Status::Complete] {
            assert!(!s.may_edit("name"));
            assert!(!s.may_edit("checkout_fields"));
            for f in EDITABLE_AFTER_DRAFT {
                assert!(s.may_edit(f), "{s} {f}");
            }
        }
        assert!(Status::Active.allows_location_changes());
        assert!(!Status::Closed.allows_location_changes());
        assert!(Status::Draft.may_delete() && !Status::Active.may_delete());
    }

    #[test]
    fn activation_lists_everything_missing() {
        let unmet = activation_unmet(&CampaignFields::named(" "));
        let fields: Vec<_> = unmet.iter().map(|u| u.field).collect();
        assert_eq!(fields, ["name", "company_name", "start_date", "end_date", "message"]);

        let mut s = CampaignFields::named("Spring");
        s.company_name = "Initech".into();
        s.message = "Welcome".into();
        s.start_date = Some(day("2026-05-02"));
        s.end_date = Some(day("2026-05-01"));
        let unmet = activation_unmet(&s);
        assert_eq!(unmet.len(), 1);
        assert_eq!((unmet[0].field, unmet[0].code), ("end_date", "before_start"));
        s.end_date = Some(day("2026-05-02"));
        assert!(activation_unmet(&s).is_empty());
    }

    #[test]
    fn open_means_active_and_within_the_dates() {
        let (start, end) = (Some(day("2026-05-01")), Some(day("2026-05-31")));
        assert!(is_open_on(Status::Active, start, end, day("2026-05-01")));
        assert!(is_open_on(Status::Active, start, end, day("2026-05-31")));
        assert!(!is_open_on(Status::Active, start, end, day("2026-06-01")));
        assert!(!is_open_on(Status::Draft, start, end, day("2026-05-10")));
        assert!(!is_open_on(Status::Active, None, end, day("2026-05-10")));
    }
}
