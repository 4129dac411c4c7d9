//! Catalog rules: how a campaign item's total, price and sku follow from its
//! parts (DESIGN §2), how a variant's sku is spelled, and the order sizes sort
//! in. Pure functions; `storage::derived` computes the same in SQL for whole
//! sets of rows, and a storage test holds the two to the same answers.

use crate::money::round_cents;
use rust_decimal::Decimal;

/// The most a margin may be, exclusive: a margin of 100% would divide by zero.
pub const MARGIN_LIMIT: Decimal = Decimal::ONE_HUNDRED;

/// What one campaign item costs the distributor: the vendor's cost, the
/// campaign's per-item cost, the platform's per-item cost and every
/// decoration.
pub fn total(vendor_cost: Decimal, bfl_cost: Decimal, ow_cost: Decimal, decoration_costs: &[Decimal]) -> Decimal {
    round_cents(vendor_cost + bfl_cost + ow_cost + decoration_costs.iter().copied().sum::<Decimal>())
}

/// The shopper's price: `total / (1 − margin/100)`, rounded half away from
/// zero to cents. `None` when the margin is outside `0 ≤ m < 100`.
pub fn price(total: Decimal, margin: Decimal) -> Option<Decimal> {
    if margin < Decimal::ZERO || margin >= MARGIN_LIMIT {
        return None;
    }
    let keep = (MARGIN_LIMIT - margin) / MARGIN_LIMIT;
    total.checked_div(keep).map(round_cents)
}

/// A variant's sku: the product's item number, then the names of its values
/// in the product type's attribute order, joined by `-`.
pub fn variant_sku<'a>(item_number: &str, value_names: impl IntoIterator<Item = &'a str>) -> String {
    let mut sku = item_number.to_owned();
    for name in value_names {
        sku.push('-');
        sku.push_str(name);
    }
    sku
}

/// A campaign item's sku: the variant's sku, then each decoration's location
/// in upper case, joined by `-`.
pub fn item_sku<'a>(variant_sku: &str, decoration_locations: impl IntoIterator<Item = &'a str>) -> String {
    let mut sku = variant_sku.to_owned();
    for location in decoration_locations {
        sku.push('-');
        sku.push_str(&location.to_uppercase());
    }
    sku
}

/// Garment sizes in the order shops list them (the seed's order).
pub const SIZES: &[&str] = &["XXS", "XS", "S", "M", "L", "XL", "XXL", "2XL", "3XL", "4XL", "5XL", "6XL"];

/// A size's place in [`SIZES`]; unknown sizes sort after every known one.
pub fn size_rank(name: &str) -> usize {
    SIZES.iter().position(|s| s.eq_ignore_ascii_case(name)).unwrap_or(SIZES.len())
}

/// The vendor roles a vendor may have; it needs at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VendorRoles {
    pub supplier: bool,
    pub decorator: bool,
    pub pick_pack: bool,
}

impl VendorRoles {
    pub fn any(self) -> bool {
        self.supplier || self.decorator || self.pick_pack
    }
}

/// A vendor's write model: every field a client sets, as it will be stored
/// (a create fills the defaults, a patch is applied to the current fields).
/// Validators check it whole and storage writes it whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct VendorFields {
    pub name: String,
    /// Empty when the vendor has no email yet.
    pub email: String,
    pub address: String,
    pub is_supplier: bool,
    pub is_decorator: bool,
    pub is_pick_pack: bool,
    pub is_active: bool,
}

impl VendorFields {
    pub fn roles(&self) -> VendorRoles {
        VendorRoles { supplier: self.is_supplier, decorator: self.is_decorator, pick_pack: self.is_pick_pack }
    }
}

/// A logo printed at a location by a decorator vendor: what a client sets.
/// The stored JSON also carries the decorator's name, email and address,
/// copied by `storage::derived`; reading ignores them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Decoration {
    pub location: String,
    #[serde(default)]
    pub logo_description: String,
    /// Stored as a decimal string with two places (`"1.20"`), which is what
    /// `derived` sums with `::numeric` and what clients read back.
    pub cost: Decimal,
    pub decorator_id: i64,
}

/// A campaign item's write model: its inputs. Its derived columns (copies
/// of catalog data, sku, total, price) are computed by `storage::derived`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignItemFields {
    pub product_variant_id: i64,
    pub vendor_cost: Decimal,
    /// `None`: the distributor's `ow_cost` applies.
    pub ow_cost: Option<Decimal>,
    /// Percent, `0 ≤ margin < 100`.
    pub margin: Decimal,
    pub bin_id: Option<String>,
    pub decorations: Vec<Decoration>,
}

/// A product type's write model: its name, its attributes in sku order and
/// the vendors it lists (a set, kept in id order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTypeFields {
    pub name: String,
    /// In sku order.
    pub attribute_ids: Vec<i64>,
    /// In id order.
    pub vendor_ids: Vec<i64>,
}

/// A variant's write model: what every variant of a product sets besides its
/// combination of attribute values (which is its identity within the
/// product, so a bulk insert shares these fields across combinations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFields {
    pub supplier_id: i64,
    pub description: String,
    pub vendor_cost: Decimal,
}

/// A product's write model: its own fields and its images, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductFields {
    pub name: String,
    pub item_number: String,
    pub description: String,
    pub product_type_id: i64,
    /// Uploaded-file ids, in display order.
    pub image_ids: Vec<i64>,
}

// The resource descriptors of this aggregate (see `crate::resource`): what a client
// may read of it. A new resource of the aggregate is added here and to `RESOURCES`.

use crate::Role;
use crate::resource::{Field, FieldType as T, Relation, RelationKind, Resource, STAFF};

/// This aggregate's resources; `crate::resource::RESOURCES` gathers every aggregate's.
pub const RESOURCES: &[&Resource] =
    &[&VENDOR, &ATTRIBUTE, &ATTRIBUTE_VALUE, &PRODUCT_TYPE, &PRODUCT, &VARIANT, &CAMPAIGN_ITEM];

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
        Field::new("name", T::Text, "Unique within the distributor.").required().max_chars(200),
        Field::new("email", T::Text, "Contact email (purchase orders go here).").email(),
        Field::new("address", T::Text, "Postal address.").max_chars(1000),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn total_adds_every_cost() {
        assert_eq!(total(d("4.10"), d("0.50"), d("0.25"), &[d("1.20"), d("0.80")]), d("6.85"));
        assert_eq!(total(d("4.10"), d("0"), d("0"), &[]), d("4.10"));
    }

    #[test]
    fn price_divides_by_what_the_margin_leaves() {
        // 10 / 0.7 = 14.2857… → 14.29
        assert_eq!(price(d("10.00"), d("30")), Some(d("14.29")));
        // 6.85 / 0.65 = 10.538… → 10.54
        assert_eq!(price(d("6.85"), d("35")), Some(d("10.54")));
        assert_eq!(price(d("6.85"), d("0")), Some(d("6.85")));
        // 0.01 / 0.5 = 0.02 exactly; 0.03 / 0.6 = 0.05 exactly.
        assert_eq!(price(d("0.01"), d("50")), Some(d("0.02")));
        assert_eq!(price(d("0.03"), d("40")), Some(d("0.05")));
    }

    #[test]
    fn price_rounds_half_away_from_zero() {
        // 1.00 / 0.8 = 1.25 exactly; 0.01 / 0.8 = 0.0125 → 0.01; 0.05 / 0.8 = 0.0625 → 0.06
        assert_eq!(price(d("1.00"), d("20")), Some(d("1.25")));
        assert_eq!(price(d("0.01"), d("20")), Some(d("0.01")));
        assert_eq!(price(d("0.05"), d("20")), Some(d("0.06")));
        // 0.09 / 0.8 = 0.1125 → 0.11; 0.1 / 0.8 = 0.125 → 0.13 (half away from zero)
        assert_eq!(price(d("0.10"), d("20")), Some(d("0.13")));
    }

    #[test]
    fn margins_outside_zero_to_a_hundred_have_no_price() {
        assert_eq!(price(d("1"), d("100")), None);
        assert_eq!(price(d("1"), d("-1")), None);
        assert!(price(d("1"), d("99.99")).is_some());
    }

    #[test]
    fn skus_join_with_dashes() {
        assert_eq!(variant_sku("TS-100", ["Red", "XL"]), "TS-100-Red-XL");
        assert_eq!(variant_sku("MUG", []), "MUG");
        assert_eq!(item_sku("TS-100-Red-XL", ["front", "Left sleeve"]), "TS-100-Red-XL-FRONT-LEFT SLEEVE");
    }

    #[test]
    fn sizes_sort_in_shop_order() {
        let mut sizes = vec!["XL", "S", "6XL", "XXS", "2XL", "M", "Huge"];
        sizes.sort_by_key(|s| size_rank(s));
        assert_eq!(sizes, ["XXS", "S", "M", "XL", "2XL", "6XL", "Huge"]);
    }
}
