//! Resource descriptors: for each resource a client can read, its fields and
//! their types, which are filterable and sortable, the least role that may read
//! each, and its relations.
//!
//! One description drives four things that must never disagree: the X-Fields
//! mask checker, the filter and sort checker, the SQL compiler (storage maps
//! each field to a column) and the OpenAPI schemas (api). Adding a field here
//! is the whole change for all four.

use crate::role::Role;

mod storefront;
pub use storefront::{STOREFRONT_CAMPAIGN, STOREFRONT_ITEM, STOREFRONT_PRODUCT};

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
pub static RESOURCES: &[&Resource] = &[
    &ACCOUNT,
    &DISTRIBUTOR,
    &CAMPAIGN,
    &LOCATION,
    &VENDOR,
    &ATTRIBUTE,
    &ATTRIBUTE_VALUE,
    &PRODUCT_TYPE,
    &PRODUCT,
    &VARIANT,
    &CAMPAIGN_ITEM,
    &FILE,
    &ORDER,
    &ORDER_ITEM,
    &ORDER_EVENT,
    &ORDER_NOTE,
    &ORDER_NOTE_VERSION,
    &JOB,
    &STOREFRONT_CAMPAIGN,
    &STOREFRONT_PRODUCT,
    &STOREFRONT_ITEM,
];

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

// Catalog. Vendors, attributes, product types, products and variants are
// staff-only resources (their rows are invisible to everyone else); campaign
// items are read by the campaign's members too, and their cost, margin and
// supplier fields are staff-only.

pub static VENDOR: Resource = Resource {
    model: "Vendor",
    doc: "A company the distributor buys from (supplier), has logos printed by (decorator) or has orders packed by (pick/pack). Staff only.",
    fields: &[
        Field::new("id", T::Id, "The vendor's id."),
        Field::new("distributor_id", T::Id, "The distributor the vendor works for."),
        Field::new("name", T::Text, "Unique within the distributor."),
        Field::new("email", T::Text, "Contact email (purchase orders go here)."),
        Field::new("address", T::Text, "Postal address."),
        Field::new("is_supplier", T::Bool, "Supplies products (a variant's supplier)."),
        Field::new("is_decorator", T::Bool, "Decorates products (a decoration's decorator)."),
        Field::new("is_pick_pack", T::Bool, "Picks and packs orders (a campaign's partner)."),
        Field::new(
            "is_active",
            T::Bool,
            "Inactive vendors cannot be chosen for new variants, decorations or campaigns.",
        ),
        Field::new("created_at", T::DateTime, "When the vendor was created."),
        Field::new("modified_at", T::DateTime, "When the vendor was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[],
    default_sort: &[("name", false)],
};

pub static ATTRIBUTE: Resource = Resource {
    model: "Attribute",
    doc: "A product attribute such as Color or Size, with an ordered list of values. Staff only.",
    fields: &[
        Field::new("id", T::Id, "The attribute's id."),
        Field::new("distributor_id", T::Id, "The distributor it belongs to."),
        Field::new("name", T::Text, "Unique within the distributor."),
        Field::new("created_at", T::DateTime, "When the attribute was created."),
        Field::new("modified_at", T::DateTime, "When the attribute was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[Relation {
        name: "values",
        target: "AttributeValue",
        kind: RelationKind::ToMany,
        default: false,
        least_role: Role::Shopper,
        doc: "The attribute's values in their order (at most 100; `GET attributes/{id}/values` pages through all).",
    }],
    default_sort: &[("name", false)],
};

pub static ATTRIBUTE_VALUE: Resource = Resource {
    model: "AttributeValue",
    doc: "One value of an attribute (Red, XL), at a position in the attribute's order. Staff only.",
    fields: &[
        Field::new("id", T::Id, "The value's id."),
        Field::new("attribute_id", T::Id, "The attribute it is a value of."),
        Field::new("distributor_id", T::Id, "The attribute's distributor."),
        Field::new("name", T::Text, "Unique within the attribute; part of every sku that uses it."),
        Field::new("position", T::Int, "Its place in the attribute's order: 0, 1, 2… with no gaps."),
        Field::new("created_at", T::DateTime, "When the value was created."),
        Field::new("modified_at", T::DateTime, "When the value was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[Relation {
        name: "attribute",
        target: "Attribute",
        kind: RelationKind::Reference,
        default: false,
        least_role: Role::Shopper,
        doc: "The attribute (`attribute_id` expanded).",
    }],
    default_sort: &[("position", false)],
};

pub static PRODUCT_TYPE: Resource = Resource {
    model: "ProductType",
    doc: "A kind of product (Wearables, Mugs): the attributes its variants vary by, in order, and the vendors that serve it. Staff only.",
    fields: &[
        Field::new("id", T::Id, "The product type's id."),
        Field::new("distributor_id", T::Id, "The distributor it belongs to."),
        Field::new("name", T::Text, "Unique within the distributor."),
        Field::new("created_at", T::DateTime, "When the product type was created."),
        Field::new("modified_at", T::DateTime, "When the product type was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "attributes",
            target: "Attribute",
            kind: RelationKind::ManyToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "The attributes every variant of this type has one value of, in sku order.",
        },
        Relation {
            name: "vendors",
            target: "Vendor",
            kind: RelationKind::ManyToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "The vendors that serve this type of product.",
        },
    ],
    default_sort: &[("name", false)],
};

pub static PRODUCT: Resource = Resource {
    model: "Product",
    doc: "A product of the distributor's catalog, sold as variants. Deleting one is soft. Staff only.",
    fields: &[
        Field::new("id", T::Id, "The product's id."),
        Field::new("distributor_id", T::Id, "The distributor it belongs to."),
        Field::new("product_type_id", T::Id, "Its product type (fixed once it has variants)."),
        Field::new("name", T::Text, "The product's name."),
        Field::new(
            "item_number",
            T::Text,
            "Unique within the distributor's products that are not deleted; starts every sku.",
        ),
        Field::new("description", T::Text, "A description for shoppers.").not_sortable(),
        Field::new("is_deleted", T::Bool, "Deleted products are hidden from lists unless filtered for."),
        Field::new("created_at", T::DateTime, "When the product was created."),
        Field::new("modified_at", T::DateTime, "When the product was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "product_type",
            target: "ProductType",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::Shopper,
            doc: "The product type (`product_type_id` expanded).",
        },
        Relation {
            name: "variants",
            target: "ProductVariant",
            kind: RelationKind::ToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "The product's variants in sku order (at most 100; `GET products/{id}/variants` pages through all).",
        },
        Relation {
            name: "images",
            target: "Resource",
            kind: RelationKind::ManyToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "The product's images, in order (uploaded files).",
        },
    ],
    default_sort: &[("name", false)],
};

pub static VARIANT: Resource = Resource {
    model: "ProductVariant",
    doc: "One buyable combination of a product's attribute values (Red, XL), bought from a supplier. Staff only.",
    fields: &[
        Field::new("id", T::Id, "The variant's id."),
        Field::new("distributor_id", T::Id, "The product's distributor."),
        Field::new("product_id", T::Id, "The product it is a variant of."),
        Field::new("supplier_id", T::Id, "The supplier vendor it is bought from."),
        Field::new(
            "sku",
            T::Text,
            "The product's item number, then the value names in the type's attribute order, joined by `-`. Computed.",
        ),
        Field::new("description", T::Text, "Notes on this variant.").not_sortable(),
        Field::new("vendor_cost", T::Money, "What the supplier charges per item."),
        Field::new("created_at", T::DateTime, "When the variant was created."),
        Field::new("modified_at", T::DateTime, "When the variant was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "product",
            target: "Product",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::Shopper,
            doc: "The product (`product_id` expanded).",
        },
        Relation {
            name: "supplier",
            target: "Vendor",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::Shopper,
            doc: "The supplier (`supplier_id` expanded).",
        },
        Relation {
            name: "attribute_values",
            target: "AttributeValue",
            kind: RelationKind::ManyToMany,
            default: false,
            least_role: Role::Shopper,
            doc: "One value of each attribute of the product's type, in the type's attribute order.",
        },
    ],
    default_sort: &[("sku", false)],
};

pub static CAMPAIGN_ITEM: Resource = Resource {
    model: "CampaignItem",
    doc: "A variant offered in a campaign, with its costs, decorations, margin and price. While the campaign is a draft its copies of catalog data follow the catalog; when it becomes active they are frozen. Members of the campaign read it; costs, margin and supplier details are staff only.",
    fields: &[
        Field::new("id", T::Id, "The item's id."),
        Field::new("campaign_id", T::Id, "The campaign offering it."),
        Field::new("distributor_id", T::Id, "The campaign's distributor."),
        Field::new("product_variant_id", T::Id, "The catalog variant it was made from. Staff only.").least(STAFF),
        Field::new("sku", T::Text, "The variant's sku, then each decoration's location in upper case, joined by `-`. Computed."),
        Field::new("product_id", T::Id, "The variant's product."),
        Field::new("product_name", T::Text, "The product's name (copied)."),
        Field::new("product_type_name", T::Text, "The product type's name (copied)."),
        Field::new("item_number", T::Text, "The product's item number (copied)."),
        Field::new("description", T::Text, "The product's description (copied).").not_sortable(),
        Field::new("attributes", T::Json, "The variant's values, `[{attribute, value}]` in sku order (copied)."),
        Field::new("supplier_id", T::Id, "The supplier vendor (copied). Staff only.").least(STAFF),
        Field::new("supplier_name", T::Text, "The supplier's name (copied). Staff only.").least(STAFF),
        Field::new("supplier_email", T::Text, "The supplier's email (copied). Staff only.").least(STAFF),
        Field::new("supplier_address", T::Text, "The supplier's address (copied). Staff only.").least(STAFF).not_sortable(),
        Field::new("vendor_cost", T::Money, "What the supplier charges per item. Staff only.").least(STAFF),
        Field::new("ow_cost", T::Money, "Platform cost per item for this item; null uses the distributor's. Staff only.").nullable().least(STAFF),
        Field::new("applied_ow_cost", T::Money, "The platform cost per item in effect: `ow_cost`, else the distributor's. Staff only.").least(STAFF),
        Field::new("bfl_cost", T::Money, "The campaign's per-item cost (copied). Staff only.").least(STAFF),
        Field::new("decorations", T::Json, "`[{location, logo_description, cost, decorator_id, decorator_name, decorator_email, decorator_address}]`. Staff only.").least(STAFF),
        Field::new("decoration_cost", T::Money, "The sum of the decorations' costs. Staff only.").least(STAFF),
        Field::new("margin", T::Money, "Margin in percent, 0 ≤ margin < 100. Staff only.").least(STAFF),
        Field::new("total", T::Money, "vendor_cost + bfl_cost + applied_ow_cost + decoration_cost. Staff only.").least(STAFF),
        Field::new("price", T::Money, "The shopper's price: total / (1 − margin/100), rounded half away from zero to cents. Null for shoppers when the campaign does not show prices (`storefront_pricing` false), in filters and sorts too.").nullable(),
        Field::new("bin_id", T::Text, "Where the pick/pack partner keeps it. Staff only; editable after activation.").nullable().least(STAFF),
        Field::new("frozen_at", T::DateTime, "When the campaign became active and the item's copies stopped following the catalog; null while draft.").nullable(),
        Field::new("created_at", T::DateTime, "When the item was created."),
        Field::new("modified_at", T::DateTime, "When the item was last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[
        Relation {
            name: "campaign",
            target: "Campaign",
            kind: RelationKind::Reference,
            default: false,
            least_role: Role::Shopper,
            doc: "The campaign (`campaign_id` expanded).",
        },
        Relation {
            name: "variant",
            target: "ProductVariant",
            kind: RelationKind::Reference,
            default: false,
            least_role: STAFF,
            doc: "The live catalog variant (`product_variant_id` expanded). Staff only.",
        },
    ],
    default_sort: &[("sku", false)],
};

// Minor.

pub static FILE: Resource = Resource {
    model: "Resource",
    doc: "An uploaded file (a product image, a logo, a document), stored once per distributor by content hash. Staff only; admin buyers and shoppers read the content of the files their campaigns show.",
    fields: &[
        Field::new("id", T::Id, "The file's id."),
        Field::new("distributor_id", T::Id, "The distributor that owns it."),
        Field::new("sha256", T::Text, "The SHA-256 of the content, lower-case hex; one file per hash and distributor."),
        Field::new("content_type", T::Text, "The media type, checked against the bytes for images and PDFs."),
        Field::new("size", T::Int, "The size in bytes."),
        Field::new("original_name", T::Text, "The file name it was uploaded with."),
        Field::new("linked_kind", T::Text, "What it was uploaded for (`product`, `campaign`, `vendor`…), if said.")
            .nullable(),
        Field::new("linked_id", T::Id, "The id of what it was uploaded for, if said.").nullable(),
        Field::new("created_by", T::Id, "The account that uploaded it first.").nullable(),
        Field::new("created_at", T::DateTime, "When it was first uploaded."),
        Field::new("modified_at", T::DateTime, "When its metadata last changed."),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[],
    default_sort: &[("created_at", true)],
};

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

pub static JOB: Resource = Resource {
    model: "Job",
    doc: "A background job (a notification mail, ...): queued in the transaction of the change that caused it, run by a worker under a lease, retried with exponential backoff, dead when its attempts ran out until staff retry it. Super admins see every job; distributor staff their distributor's.",
    fields: &[
        Field::new("id", T::Id, "The job's id; ids grow with time."),
        Field::new("distributor_id", T::Id, "The distributor whose data it is about (null: a platform job).")
            .nullable(),
        Field::new("kind", T::Enum(crate::job::KINDS), "What it does."),
        Field::new("payload", T::Json, "Its input, by kind: `order_id` and `version` for the order mails.")
            .not_filterable(),
        Field::new(
            "state",
            T::Enum(crate::job::STATES),
            "queued → running → done; running → failed (runs again at `run_at`) or dead (no attempts left).",
        ),
        Field::new("attempts", T::Int, "Attempts started since it was queued (a staff retry starts over)."),
        Field::new("retries", T::Int, "How often staff retried it."),
        Field::new("run_at", T::DateTime, "When it runs (next): its first run, or the retry after a failure."),
        Field::new("worker", T::Text, "The worker of its last attempt (host, process, task).").nullable(),
        Field::new("lease_until", T::DateTime, "While running: when its lease runs out unless the worker extends it.")
            .nullable(),
        Field::new("last_error", T::Text, "The error of its last failed attempt.").nullable(),
        Field::new("errors", T::Json, "Every failed attempt, oldest first: `attempt`, `at`, `worker`, `error`.")
            .not_filterable()
            .not_default(),
        Field::new("created_at", T::DateTime, "When it was queued (when its cause committed)."),
        Field::new("modified_at", T::DateTime, "When it last changed."),
        Field::new("finished_at", T::DateTime, "When it was done, or died.").nullable(),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[],
    default_sort: &[("id", true)],
};

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
