//! The write models of the organization: distributors and accounts.
//!
//! A write model holds every field a client sets, as it will be stored: a
//! create fills the defaults, a patch is applied to the current fields. The
//! validators check it whole and storage writes it whole (see
//! `storage::write` for why PATCH works that way).

use crate::Role;
use rust_decimal::Decimal;

/// A distributor's write model. The costs and `max_sales_count` are
/// platform settings: only a super admin changes them (the API's rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributorFields {
    pub name: String,
    pub email: String,
    pub address: String,
    /// Platform cost per item.
    pub ow_cost: Decimal,
    /// Platform cost per campaign.
    pub campaign_cost: Decimal,
    /// Platform cost per order.
    pub transaction_cost: Decimal,
    /// The most sales executives the distributor may have.
    pub max_sales_count: i64,
}

/// An account's write model: what an update may change. The username, the
/// password and the distributor are set once, at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFields {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub active: bool,
    pub reports_enabled: bool,
}

// The resource descriptors of this aggregate (see `crate::resource`): what a client
// may read of it. A new resource of the aggregate is added here and to `RESOURCES`.

use crate::resource::{Field, FieldType as T, Relation, RelationKind, Resource, STAFF};

/// This aggregate's resources; `crate::resource::RESOURCES` gathers every aggregate's.
pub const RESOURCES: &[&Resource] = &[&ACCOUNT, &DISTRIBUTOR];

pub static ACCOUNT: Resource = Resource {
    model: "Account",
    doc: "A person who logs in: platform admin, distributor staff, client buyer or shopper.",
    fields: &[
        Field::new("id", T::Id, "The account's id."),
        Field::new("username", T::Text, "Unique login name (case-insensitive)."),
        Field::new(
            "email",
            T::Text,
            "Email address. Private: only the account itself and staff of its distributor read it; others get null.",
        )
        .private(),
        Field::new("first_name", T::Text, "Given name."),
        Field::new("last_name", T::Text, "Family name."),
        Field::new(
            "role",
            T::Enum(&["shopper", "admin_buyer", "sales_executive", "distributor_manager", "super_admin"]),
            "The account's role.",
        ),
        Field::new("distributor_id", T::Id, "The distributor the account belongs to; null for super admins.")
            .nullable(),
        Field::new("active", T::Bool, "Inactive accounts cannot log in."),
        Field::new("reports_enabled", T::Bool, "Whether the account may download reports."),
        Field::new("last_login_at", T::DateTime, "When the account last logged in. Private, like email.")
            .nullable()
            .private(),
        Field::new("created_at", T::DateTime, "When the account was created."),
        Field::new("modified_at", T::DateTime, "When the account was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "distributor",
            target: "Distributor",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::Shopper,
            doc: "The account's distributor (`distributor_id` expanded). Name it in the mask to embed it.",
        },
        Relation {
            name: "campaigns",
            target: "Campaign",
            kind: RelationKind::ManyToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "The campaigns the account is a member of and the caller may see (at most 100).",
        },
    ],
    default_sort: &[("username", false)],
};

pub static DISTRIBUTOR: Resource = Resource {
    model: "Distributor",
    doc: "A promotional-products company running company stores for its clients.",
    fields: &[
        Field::new("id", T::Id, "The distributor's id."),
        Field::new("name", T::Text, "Unique name."),
        Field::new("email", T::Text, "Contact email."),
        Field::new("address", T::Text, "Postal address."),
        Field::new("ow_cost", T::Money, "Platform cost per item. Staff only.").least(STAFF),
        Field::new("campaign_cost", T::Money, "Platform cost per campaign. Staff only.").least(STAFF),
        Field::new("transaction_cost", T::Money, "Platform cost per order. Staff only.").least(STAFF),
        Field::new("max_sales_count", T::Int, "The most sales executives the distributor may have. Staff only.")
            .least(STAFF),
        Field::new("is_deleted", T::Bool, "Soft-deleted distributors are hidden from lists unless filtered for.")
            .least(STAFF),
        Field::new("created_at", T::DateTime, "When the distributor was created."),
        Field::new("modified_at", T::DateTime, "When the distributor was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "accounts",
            target: "Account",
            kind: RelationKind::ToMany,
            default: false,
            least_role: Role::SalesExecutive,
            doc: "The distributor's accounts the caller may see (at most 100 per distributor; list accounts with a filter for more).",
        },
        Relation {
            name: "campaigns",
            target: "Campaign",
            kind: RelationKind::ToMany,
            default: false,
            least_role: Role::SalesExecutive,
            doc: "The distributor's campaigns (at most 100; list campaigns with a filter for more).",
        },
    ],
    default_sort: &[("name", false)],
};
