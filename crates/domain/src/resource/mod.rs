//! Resource descriptors: for each resource a client can read, its fields and
//! their types, which are filterable and sortable, the least role that may read
//! each, and its relations.
//!
//! One description drives the things that must never disagree: the X-Fields
//! mask checker, the filter and sort checker, the SQL compiler (storage maps
//! each field to a column), the OpenAPI schemas (api), and the rules a write
//! model's fields must meet ([`Rule`], checked by `validators::record`).
//! Adding a field to a descriptor is the whole change for all of them.
//!
//! This module holds the descriptor types, the uploaded files' descriptor
//! and the storefront's; each aggregate's module (`crate::catalog`,
//! `crate::organization`, `crate::campaign`, `crate::order`, `crate::job`)
//! describes its own resources beside its write models and lists them in its
//! `RESOURCES`, which [`RESOURCES`] gathers.

use crate::role::Role;

mod storefront;
pub use storefront::{STOREFRONT_CAMPAIGN, STOREFRONT_ITEM, STOREFRONT_PRODUCT};

// The aggregates' descriptors, under the names the query language and the API have always used.
pub use crate::campaign::{CAMPAIGN, CAMPAIGN_STATUSES, LOCATION};
pub use crate::catalog::{ATTRIBUTE, ATTRIBUTE_VALUE, CAMPAIGN_ITEM, PRODUCT, PRODUCT_TYPE, VARIANT, VENDOR};
pub use crate::job::JOB;
pub use crate::order::{ORDER, ORDER_EVENT, ORDER_EVENT_KINDS, ORDER_ITEM, ORDER_NOTE, ORDER_NOTE_VERSION};
pub use crate::organization::{ACCOUNT, DISTRIBUTOR};

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
    /// What a write must meet for this field: checked by `validators::record`
    /// wherever a write model carries a field of this name.
    pub rule: Rule,
}

/// The rules on a field that a write model's value must meet, declared with
/// the field so its readers and its writers name it once. Money fields always
/// meet the money rule; text fields never hold control characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Must not be blank (`required`).
    pub required: bool,
    /// At most this many characters (`length`).
    pub max_chars: Option<usize>,
    /// Empty or a valid email address (`email`).
    pub email: bool,
}

impl Rule {
    pub const NONE: Rule = Rule { required: false, max_chars: None, email: false };
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
            rule: Rule::NONE,
        }
    }

    /// A write must not leave it blank.
    pub const fn required(mut self) -> Field {
        self.rule.required = true;
        self
    }

    /// A write may give it at most `max` characters.
    pub const fn max_chars(mut self, max: usize) -> Field {
        self.rule.max_chars = Some(max);
        self
    }

    /// A write gives it empty or as a valid email address.
    pub const fn email(mut self) -> Field {
        self.rule.email = true;
        self
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

/// Every resource, for lookups by model name and for the OpenAPI document. Each aggregate's
/// module describes its own resources and lists them in its `RESOURCES`; this gathers those
/// lists, so a new resource is added in its aggregate's module and nowhere else.
pub static RESOURCES: &[&Resource] = &gather::<{ count(GROUPS) }>(GROUPS);

/// The aggregates' lists, in the order of the OpenAPI document.
const GROUPS: &[&[&Resource]] = &[
    crate::organization::RESOURCES,
    crate::campaign::RESOURCES,
    crate::catalog::RESOURCES,
    &[&FILE],
    crate::order::RESOURCES,
    crate::job::RESOURCES,
    &[&STOREFRONT_CAMPAIGN, &STOREFRONT_PRODUCT, &STOREFRONT_ITEM],
];

const fn count(groups: &[&[&Resource]]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < groups.len() {
        n += groups[i].len();
        i += 1;
    }
    n
}

/// The groups' resources in one array (a `const fn`, so `RESOURCES` stays a plain static slice).
const fn gather<const N: usize>(groups: &[&[&'static Resource]]) -> [&'static Resource; N] {
    let mut out: [&'static Resource; N] = [&UNKNOWN; N];
    let (mut i, mut k) = (0, 0);
    while i < groups.len() {
        let mut j = 0;
        while j < groups[i].len() {
            out[k] = groups[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// The resource with this model name.
pub fn by_model(model: &str) -> Option<&'static Resource> {
    RESOURCES.iter().copied().find(|r| r.model == model)
}

use FieldType as T;

/// The least role of staff-only fields and relations.
pub const STAFF: Role = Role::SalesExecutive;

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
