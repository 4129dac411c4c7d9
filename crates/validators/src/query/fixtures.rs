//! A test-only resource with a field of every type and every flag, since the
//! real descriptors have no date or text-list field yet.

use domain::Role;
use domain::resource::{Field, FieldType as T, Relation, RelationKind, Resource};

pub(crate) static SAMPLE: Resource = Resource {
    model: "Sample",
    doc: "",
    fields: &[
        Field::new("id", T::Id, ""),
        Field::new("count", T::Int, ""),
        Field::new("title", T::Text, "").nullable(),
        Field::new("flag", T::Bool, ""),
        Field::new("price", T::Money, ""),
        Field::new("day", T::Date, ""),
        Field::new("at", T::DateTime, "").nullable(),
        Field::new("state", T::Enum(&["open", "closed"]), ""),
        Field::new("tags", T::TextList, ""),
        Field::new("hidden", T::Text, "").not_filterable(),
        Field::new("unsorted", T::Text, "").not_sortable(),
        Field::new("secret", T::Text, "").least(Role::SuperAdmin),
        Field::new("extra", T::Text, "").not_default(),
    ],
    relations: &[
        Relation {
            name: "child",
            target: "Account",
            kind: RelationKind::OneToOne,
            default: true,
            least_role: Role::Shopper,
            doc: "",
        },
        Relation {
            name: "owner",
            target: "Distributor",
            kind: RelationKind::Reference,
            default: true,
            least_role: Role::Shopper,
            doc: "",
        },
    ],
    default_sort: &[("at", true)],
};
