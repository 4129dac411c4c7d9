//! How each resource descriptor maps onto PostgreSQL, and which rows each
//! caller may see.
//!
//! The descriptors in `domain::resource` say what a client can ask for; this
//! module says where it lives. Row scoping is here too, as SQL, so the list
//! query, relation loading and relation filters all apply the very same
//! predicate and nothing of another distributor can leak through any of them.

use domain::resource::{
    ACCOUNT, ATTRIBUTE, ATTRIBUTE_VALUE, CAMPAIGN, CAMPAIGN_ITEM, DISTRIBUTOR, FILE, JOB, LOCATION, ORDER, ORDER_EVENT,
    ORDER_ITEM, ORDER_NOTE, ORDER_NOTE_VERSION, PRODUCT, PRODUCT_TYPE, Resource, VARIANT, VENDOR,
};
use domain::{Principal, Role};
use sqlx::{Postgres, QueryBuilder};

mod storefront;
use storefront::{STOREFRONT_CAMPAIGNS, STOREFRONT_ITEMS, STOREFRONT_PRODUCTS};

/// How a relation joins its target.
#[derive(Debug, Clone, Copy)]
pub enum Join {
    /// This row's `fk` column holds the target's id.
    Reference { fk: &'static str },
    /// The target's `fk` column holds this row's id; with `along`, the
    /// target's `along` column must also equal this row's (a storefront
    /// product is a product within one campaign, so its items are the
    /// product's items in that campaign).
    Children { fk: &'static str, along: Option<&'static str> },
    /// A link table holds (`parent_fk`, `target_fk`) pairs; `position`, when
    /// set, is the link column that orders the targets of one parent.
    Through { table: &'static str, parent_fk: &'static str, target_fk: &'static str, position: Option<&'static str> },
}

/// A field readable on a row only when `guard` says so: `guard` pushes the
/// SQL condition for `who` on alias `a` and returns `true`, or pushes
/// nothing and returns `false` when `who` may always read it.
#[derive(Debug)]
pub struct Conditional {
    pub field: &'static str,
    pub guard: fn(&Principal, &str, &mut QueryBuilder<Postgres>) -> bool,
}

/// A field computed for the caller rather than read from a column (a
/// shopper's own figures in a campaign): `push` pushes its SQL expression
/// for `who` on alias `a`.
#[derive(Debug)]
pub struct Computed {
    pub field: &'static str,
    pub push: fn(&Principal, &str, &mut QueryBuilder<Postgres>),
}

/// A resource's table.
#[derive(Debug)]
pub struct Table {
    pub resource: &'static Resource,
    pub name: &'static str,
    /// Relation name → join.
    pub joins: &'static [(&'static str, Join)],
    /// The column holding the row's distributor, for private-field guards.
    pub tenant: Option<&'static str>,
    /// The column equal to the caller's account id on the caller's own rows.
    pub owner: Option<&'static str>,
    /// Fields some callers may read on some rows only, by a rule of the row
    /// (a campaign item's price, hidden from shoppers when its campaign does
    /// not show prices): like private fields, the value is null wherever the
    /// rule says no, in output, filters and sorts alike.
    pub conditional: &'static [Conditional],
    /// Fields computed for the caller.
    pub computed: &'static [Computed],
    /// Pushes the predicate that limits rows to those `who` may see.
    scope: fn(&Principal, &str, &mut QueryBuilder<Postgres>),
}

impl Table {
    /// The SQL expression of a field on alias `a`. Every field is a column of
    /// the same name; the casts give each wire type one decoding.
    pub fn column(&self, alias: &str, field: &domain::resource::Field) -> String {
        use domain::resource::FieldType as T;
        match field.ty {
            T::Int => format!("{alias}.{}::int8", field.name),
            _ => format!("{alias}.{}", field.name),
        }
    }

    /// The computed field named `field`, if it is one.
    pub fn computed(&self, field: &domain::resource::Field) -> Option<&Computed> {
        self.computed.iter().find(|c| c.field == field.name)
    }

    pub fn join(&self, relation: &str) -> Option<Join> {
        self.joins.iter().find(|(n, _)| *n == relation).map(|(_, j)| *j)
    }

    /// Pushes `(<scope predicate>)` for alias `a`.
    pub fn push_scope(&self, who: &Principal, alias: &str, qb: &mut QueryBuilder<Postgres>) {
        qb.push("(");
        (self.scope)(who, alias, qb);
        qb.push(")");
    }

    /// Pushes the condition under which `who` may read `field` on this row,
    /// when it is private or conditional and `who` may not always read it;
    /// returns whether anything was pushed.
    pub fn push_field_guard(
        &self,
        who: &Principal,
        field: &domain::resource::Field,
        alias: &str,
        qb: &mut QueryBuilder<Postgres>,
    ) -> bool {
        if field.private {
            return self.push_private_guard(who, alias, qb);
        }
        match self.conditional.iter().find(|c| c.field == field.name) {
            Some(c) => (c.guard)(who, alias, qb),
            None => false,
        }
    }

    /// Whether `field` is ever hidden row by row.
    pub fn is_guarded(&self, field: &domain::resource::Field) -> bool {
        field.private || self.conditional.iter().any(|c| c.field == field.name)
    }

    /// Pushes the condition under which `who` may read this row's private
    /// fields: the row is the caller's own, or the caller is staff of the
    /// row's distributor. `None` means always (super admins).
    pub fn push_private_guard(&self, who: &Principal, alias: &str, qb: &mut QueryBuilder<Postgres>) -> bool {
        if who.is_super_admin() {
            return false;
        }
        qb.push("(FALSE");
        if let Some(owner) = self.owner {
            qb.push(format_args!(" OR {alias}.{owner} = ")).push_bind(who.account_id);
        }
        if let (Some(tenant), true, Some(d)) = (self.tenant, who.role.is_staff(), who.distributor_id) {
            qb.push(format_args!(" OR {alias}.{tenant} = ")).push_bind(d);
        }
        qb.push(")");
        true
    }
}

/// The table of `resource`. Every descriptor is mapped (the test
/// `every_resource_and_relation_is_mapped` walks them all), so a miss is a
/// programming error the tests catch, never something a request can cause;
/// it must not fall back to reading some other table.
#[expect(clippy::expect_used, reason = "every descriptor is mapped; every_resource_and_relation_is_mapped holds it")]
pub fn table(resource: &Resource) -> &'static Table {
    TABLES.iter().copied().find(|t| t.resource == resource).expect("every resource descriptor has a table")
}

static TABLES: &[&Table] = &[
    &ACCOUNTS,
    &DISTRIBUTORS,
    &CAMPAIGNS,
    &LOCATIONS,
    &VENDORS,
    &ATTRIBUTES,
    &ATTRIBUTE_VALUES,
    &PRODUCT_TYPES,
    &PRODUCTS,
    &VARIANTS,
    &CAMPAIGN_ITEMS,
    &ORDERS,
    &ORDER_ITEMS,
    &ORDER_EVENTS,
    &ORDER_NOTES,
    &ORDER_NOTE_VERSIONS,
    &FILES,
    &JOBS,
    &STOREFRONT_CAMPAIGNS,
    &STOREFRONT_PRODUCTS,
    &STOREFRONT_ITEMS,
];

pub static ACCOUNTS: Table = Table {
    resource: &ACCOUNT,
    name: "accounts",
    joins: &[
        ("distributor", Join::Reference { fk: "distributor_id" }),
        (
            "campaigns",
            Join::Through {
                table: "campaign_members",
                parent_fk: "account_id",
                target_fk: "campaign_id",
                position: None,
            },
        ),
    ],
    tenant: Some("distributor_id"),
    owner: Some("id"),
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| {
        if who.is_super_admin() {
            qb.push("TRUE");
        } else if who.role >= Role::SalesExecutive {
            qb.push(format_args!("{a}.distributor_id = ")).push_bind(who.distributor_id);
        } else {
            qb.push(format_args!("{a}.id = ")).push_bind(who.account_id);
        }
    },
};

pub static DISTRIBUTORS: Table = Table {
    resource: &DISTRIBUTOR,
    name: "distributors",
    joins: &[
        ("accounts", Join::Children { fk: "distributor_id", along: None }),
        ("campaigns", Join::Children { fk: "distributor_id", along: None }),
    ],
    tenant: Some("id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| {
        if who.is_super_admin() {
            qb.push("TRUE");
        } else {
            qb.push(format_args!("{a}.id = ")).push_bind(who.distributor_id);
        }
    },
};

/// Non-staff see a campaign when they are one of its members; shoppers only
/// while it is active. `campaign` is the SQL expression of the campaign id.
fn push_membership(who: &Principal, campaign: &str, qb: &mut QueryBuilder<Postgres>) {
    qb.push(format_args!(
        "EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = {campaign} AND m.account_id = "
    ))
    .push_bind(who.account_id)
    .push(")");
    if who.role == Role::Shopper {
        qb.push(format_args!(
            " AND EXISTS (SELECT 1 FROM campaigns s WHERE s.id = {campaign} AND s.status = 'active')"
        ));
    }
}

/// Staff see their distributor's rows; super admins everything.
fn push_staff(who: &Principal, a: &str, qb: &mut QueryBuilder<Postgres>) -> bool {
    if who.is_super_admin() {
        qb.push("TRUE");
        true
    } else if who.role.is_staff() {
        qb.push(format_args!("{a}.distributor_id = ")).push_bind(who.distributor_id);
        true
    } else {
        false
    }
}

pub static CAMPAIGNS: Table = Table {
    resource: &CAMPAIGN,
    name: "campaigns",
    joins: &[
        ("distributor", Join::Reference { fk: "distributor_id" }),
        ("locations", Join::Children { fk: "campaign_id", along: None }),
        (
            "accounts",
            Join::Through {
                table: "campaign_members",
                parent_fk: "campaign_id",
                target_fk: "account_id",
                position: None,
            },
        ),
    ],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| {
        if !push_staff(who, a, qb) {
            push_membership(who, &format!("{a}.id"), qb);
        }
    },
};

pub static LOCATIONS: Table = Table {
    resource: &LOCATION,
    name: "locations",
    joins: &[("campaign", Join::Reference { fk: "campaign_id" })],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| {
        if !push_staff(who, a, qb) {
            push_membership(who, &format!("{a}.campaign_id"), qb);
        }
    },
};

/// Staff of the row's distributor and super admins; nobody else.
fn staff_scope(who: &Principal, a: &str, qb: &mut QueryBuilder<Postgres>) {
    if !push_staff(who, a, qb) {
        qb.push("FALSE");
    }
}

pub static VENDORS: Table = Table {
    resource: &VENDOR,
    name: "vendors",
    joins: &[],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: staff_scope,
};

pub static ATTRIBUTES: Table = Table {
    resource: &ATTRIBUTE,
    name: "attributes",
    joins: &[("values", Join::Children { fk: "attribute_id", along: None })],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: staff_scope,
};

pub static ATTRIBUTE_VALUES: Table = Table {
    resource: &ATTRIBUTE_VALUE,
    name: "attribute_values",
    joins: &[("attribute", Join::Reference { fk: "attribute_id" })],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: staff_scope,
};

pub static PRODUCT_TYPES: Table = Table {
    resource: &PRODUCT_TYPE,
    name: "product_types",
    joins: &[
        (
            "attributes",
            Join::Through {
                table: "product_type_attributes",
                parent_fk: "product_type_id",
                target_fk: "attribute_id",
                position: Some("position"),
            },
        ),
        (
            "vendors",
            Join::Through {
                table: "product_type_vendors",
                parent_fk: "product_type_id",
                target_fk: "vendor_id",
                position: None,
            },
        ),
    ],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: staff_scope,
};

pub static PRODUCTS: Table = Table {
    resource: &PRODUCT,
    name: "products",
    joins: &[
        ("product_type", Join::Reference { fk: "product_type_id" }),
        ("variants", Join::Children { fk: "product_id", along: None }),
        (
            "images",
            Join::Through {
                table: "product_images",
                parent_fk: "product_id",
                target_fk: "resource_id",
                position: Some("position"),
            },
        ),
    ],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: staff_scope,
};

pub static VARIANTS: Table = Table {
    resource: &VARIANT,
    name: "product_variants",
    joins: &[
        ("product", Join::Reference { fk: "product_id" }),
        ("supplier", Join::Reference { fk: "supplier_id" }),
        (
            "attribute_values",
            Join::Through {
                table: "product_variant_values",
                parent_fk: "variant_id",
                target_fk: "attribute_value_id",
                position: Some("position"),
            },
        ),
    ],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: staff_scope,
};

/// Campaign items follow their campaign: staff of its distributor, and its
/// members (shoppers while it is active).
pub static CAMPAIGN_ITEMS: Table = Table {
    resource: &CAMPAIGN_ITEM,
    name: "campaign_items",
    joins: &[
        ("campaign", Join::Reference { fk: "campaign_id" }),
        ("variant", Join::Reference { fk: "product_variant_id" }),
    ],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[Conditional { field: "price", guard: push_price_guard }],
    computed: &[],
    scope: |who, a, qb| {
        if !push_staff(who, a, qb) {
            push_membership(who, &format!("{a}.campaign_id"), qb);
        }
    },
};

/// Orders: staff of their distributor; admin buyers the orders of the
/// campaigns they are members of; shoppers their own.
pub static ORDERS: Table = Table {
    resource: &ORDER,
    name: "orders",
    joins: &[
        ("items", Join::Children { fk: "order_id", along: None }),
        ("campaign", Join::Reference { fk: "campaign_id" }),
        ("account", Join::Reference { fk: "account_id" }),
        ("events", Join::Children { fk: "order_id", along: None }),
        ("notes", Join::Children { fk: "order_id", along: None }),
    ],
    tenant: Some("distributor_id"),
    owner: Some("account_id"),
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| push_order_scope(who, &format!("{a}.id"), qb),
};

/// An order's lines follow their order.
pub static ORDER_ITEMS: Table = Table {
    resource: &ORDER_ITEM,
    name: "order_items",
    joins: &[],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| push_order_scope(who, &format!("{a}.order_id"), qb),
};

/// An order's history follows its order, except that shoppers do not see
/// the events about notes (notes are for staff and admin buyers).
pub static ORDER_EVENTS: Table = Table {
    resource: &ORDER_EVENT,
    name: "order_events",
    joins: &[("actor", Join::Reference { fk: "actor_id" })],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| {
        push_order_scope(who, &format!("{a}.order_id"), qb);
        if who.role == Role::Shopper {
            qb.push(format_args!(" AND {a}.kind NOT LIKE 'note%'"));
        }
    },
};

/// Notes are for staff and the campaign's admin buyers; a deleted note is
/// gone from every read (its text stays in the table, its versions and the
/// `note_deleted` event).
pub static ORDER_NOTES: Table = Table {
    resource: &ORDER_NOTE,
    name: "order_notes",
    joins: &[
        ("author", Join::Reference { fk: "author_id" }),
        ("versions", Join::Children { fk: "note_id", along: None }),
    ],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| {
        if who.role == Role::Shopper {
            qb.push("FALSE");
            return;
        }
        qb.push(format_args!("NOT {a}.is_deleted AND "));
        push_order_scope(who, &format!("{a}.order_id"), qb);
    },
};

/// A note's earlier texts, seen by whoever sees the note.
pub static ORDER_NOTE_VERSIONS: Table = Table {
    resource: &ORDER_NOTE_VERSION,
    name: "order_note_versions",
    joins: &[],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: |who, a, qb| {
        qb.push(format_args!("EXISTS (SELECT 1 FROM order_notes n WHERE n.id = {a}.note_id AND "));
        ORDER_NOTES.push_scope(who, "n", qb);
        qb.push(")");
    },
};

/// The order scope for the order whose id is the SQL expression `order`.
fn push_order_scope(who: &Principal, order: &str, qb: &mut QueryBuilder<Postgres>) {
    qb.push(format_args!("EXISTS (SELECT 1 FROM orders o WHERE o.id = {order} AND "));
    if !push_staff(who, "o", qb) {
        if who.role == Role::Shopper {
            qb.push("o.account_id = ").push_bind(who.account_id);
        } else {
            qb.push("EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = o.campaign_id AND m.account_id = ")
                .push_bind(who.account_id)
                .push(")");
        }
    }
    qb.push(")");
}

/// Shoppers see an item's price only when its campaign shows prices
/// (`storefront_pricing`); staff and the client's admin buyers always do.
fn push_price_guard(who: &Principal, a: &str, qb: &mut QueryBuilder<Postgres>) -> bool {
    if who.role != Role::Shopper {
        return false;
    }
    qb.push(format_args!("EXISTS (SELECT 1 FROM campaigns p WHERE p.id = {a}.campaign_id AND p.storefront_pricing)"));
    true
}

/// Uploaded files' metadata is for staff; their content is served by the
/// Minor API to every account of the distributor.
pub static FILES: Table = Table {
    resource: &FILE,
    name: "resources",
    joins: &[],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: staff_scope,
};

/// Jobs are for staff: their distributor's; a platform job (no
/// distributor) only for super admins.
pub static JOBS: Table = Table {
    resource: &JOB,
    name: "jobs",
    joins: &[],
    tenant: Some("distributor_id"),
    owner: None,
    conditional: &[],
    computed: &[],
    scope: staff_scope,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_and_relation_is_mapped() {
        for resource in domain::resource::RESOURCES {
            let t = table(resource);
            assert_eq!(t.resource, *resource, "{} has no table", resource.model);
            for rel in resource.relations {
                assert!(t.join(rel.name).is_some(), "{}.{} has no join", resource.model, rel.name);
            }
        }
    }
}
