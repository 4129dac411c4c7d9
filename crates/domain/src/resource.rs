//! Resource descriptors: for each resource a client can read, its fields and
//! their types, which are filterable and sortable, the least role that may read
//! each, and its relations.
//!
//! One description drives four things that must never disagree: the X-Fields
//! mask checker, the filter and sort checker, the SQL compiler (storage maps
//! each field to a column) and the OpenAPI schemas (api). Adding a field here
//! is the whole change for all four.

use crate::role::Role;

/// The type of a field's value, on the wire and in filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A 64-bit id (JSON number).
    Id,
    /// A 64-bit integer.
    Int,
    Text,
    Bool,
    /// Exact decimal money, two places on the wire (JSON string, `"12.50"`).
    Money,
    /// A calendar date, ISO 8601 (`2026-11-22`).
    Date,
    /// A UTC instant, ISO 8601 (`2026-11-22T10:00:00Z`).
    DateTime,
    /// A text restricted to the listed values.
    Enum(&'static [&'static str]),
    /// A list of texts (`any` / `not_any` filter them).
    TextList,
    /// Structured JSON (e.g. checkout field definitions): returned as is,
    /// never filtered or sorted.
    Json,
}

impl FieldType {
    /// Whether `<`, `>`, `<=`, `>=` make sense on this type.
    pub fn is_ordered(self) -> bool {
        !matches!(self, FieldType::Bool | FieldType::TextList | FieldType::Json)
    }
}

/// A field of a resource.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    /// Shown when the caller sends no mask (or `*`).
    pub default: bool,
    pub filterable: bool,
    pub sortable: bool,
    pub nullable: bool,
    /// The least role that may read, filter or sort on this field.
    pub least_role: Role,
    /// Private fields (an account's email, last login) are readable only by the
    /// row's owner and by staff of the row's distributor. Other callers get
    /// `null`, and filters and sorts on them see `null` too, so they cannot be
    /// probed.
    pub private: bool,
    /// The OpenAPI description.
    pub doc: &'static str,
}

impl Field {
    /// A default-on, filterable, sortable, non-null field anyone who sees the row may read.
    pub const fn new(name: &'static str, ty: FieldType, doc: &'static str) -> Field {
        Field {
            name,
            ty,
            default: true,
            filterable: true,
            sortable: true,
            nullable: false,
            least_role: Role::Shopper,
            private: false,
            doc,
        }
    }

    pub const fn nullable(mut self) -> Field {
        self.nullable = true;
        self
    }

    pub const fn private(mut self) -> Field {
        self.private = true;
        self
    }

    pub const fn least(mut self, role: Role) -> Field {
        self.least_role = role;
        self
    }

    pub const fn not_sortable(mut self) -> Field {
        self.sortable = false;
        self
    }

    pub const fn not_filterable(mut self) -> Field {
        self.filterable = false;
        self.sortable = false;
        self
    }

    pub const fn not_default(mut self) -> Field {
        self.default = false;
        self
    }
}

/// How a relation joins its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// Many-to-one: the row holds the target's id (`account.distributor`). By
    /// default only the id field is shown; the object only when named.
    Reference,
    /// One-to-one child: may be in the defaults.
    OneToOne,
    /// To-many children (`distributor.accounts`): out until named.
    ToMany,
    /// Many-to-many through a link table: out until named.
    ManyToMany,
}

impl RelationKind {
    pub fn is_list(self) -> bool {
        matches!(self, RelationKind::ToMany | RelationKind::ManyToMany)
    }
}

/// A relation from one resource to another.
#[derive(Debug)]
pub struct Relation {
    pub name: &'static str,
    /// The target resource's model name (see [`by_model`]).
    pub target: &'static str,
    pub kind: RelationKind,
    /// Included when the caller sends no mask (only sensible for one-to-one).
    pub default: bool,
    pub least_role: Role,
    pub doc: &'static str,
}

impl Relation {
    pub fn target(&self) -> &'static Resource {
        // Every target is one of the statics below; the test
        // `relations_point_at_known_resources` keeps it so.
        by_model(self.target).unwrap_or(&UNKNOWN)
    }
}

/// A resource a client can read.
#[derive(Debug)]
pub struct Resource {
    /// The model name used in filters (`{"model": "Distributor", ...}`) and as
    /// the OpenAPI schema name.
    pub model: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
    pub relations: &'static [Relation],
    /// The sort used when the caller asks for none (a tiebreak on `id` is
    /// always added after it).
    pub default_sort: &'static [(&'static str, bool)],
}

impl Resource {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        let fields: &'static [Field] = self.fields;
        fields.iter().find(|f| f.name == name)
    }

    pub fn relation(&self, name: &str) -> Option<&'static Relation> {
        let relations: &'static [Relation] = self.relations;
        relations.iter().find(|r| r.name == name)
    }

    /// The names that may appear in a mask at this level (for error messages).
    pub fn mask_names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).chain(self.relations.iter().map(|r| r.name)).collect()
    }

    /// The relation whose target has model name `model`, if any.
    pub fn relation_to_model(&self, model: &str) -> Option<&'static Relation> {
        let relations: &'static [Relation] = self.relations;
        relations.iter().find(|r| r.target == model)
    }
}

const UNKNOWN: Resource = Resource { model: "Unknown", doc: "", fields: &[], relations: &[], default_sort: &[] };

/// Every resource, for lookups by model name and for the OpenAPI document.
pub static RESOURCES: &[&Resource] = &[&ACCOUNT, &DISTRIBUTOR, &CAMPAIGN, &LOCATION];

/// The resource with this model name.
pub fn by_model(model: &str) -> Option<&'static Resource> {
    RESOURCES.iter().copied().find(|r| r.model == model)
}

use FieldType as T;

const STAFF: Role = Role::SalesExecutive;

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

/// The campaign statuses, in lifecycle order.
pub const CAMPAIGN_STATUSES: &[&str] = &["draft", "active", "closed", "complete"];

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
        Field::new("company_allowance", T::Money, "What the client company pays per shopper."),
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

// Descriptors are statics: two are the same descriptor exactly when they are
// the same object, which also keeps equal-named fields of different resources
// apart.
impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl PartialEq for Relation {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl PartialEq for Resource {
    fn eq(&self, other: &Self) -> bool {
        self.model == other.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_point_at_known_resources() {
        for r in RESOURCES {
            for rel in r.relations {
                assert!(by_model(rel.target).is_some(), "{}.{}", r.model, rel.name);
            }
        }
    }

    #[test]
    fn every_resource_has_an_id_and_unique_names() {
        for r in RESOURCES {
            assert_eq!(r.field("id").map(|f| f.ty), Some(FieldType::Id), "{}", r.model);
            let mut names = r.mask_names();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{} has a repeated name", r.model);
            for (s, _) in r.default_sort {
                assert!(r.field(s).is_some_and(|f| f.sortable), "{}.{s}", r.model);
            }
        }
    }
}
