//! What the storefront shows: a shopper's open campaigns with their own
//! figures, and a campaign's catalog grouped by product. These are views of
//! the organization and catalog rows with every cost, margin, supplier and
//! decorator detail left out, so no mask can reach them.

use super::{Field, FieldType as T, Relation, RelationKind, Resource};
use crate::role::Role;

pub static STOREFRONT_CAMPAIGN: Resource = Resource {
    model: "StorefrontCampaign",
    doc: "A campaign whose store is open today, as its shoppers see it, with the caller's own figures in it (null for callers who are not shoppers).",
    fields: &[
        Field::new("id", T::Id, "The campaign's id."),
        Field::new("name", T::Text, "The campaign's name."),
        Field::new("company_name", T::Text, "The client company."),
        Field::new("message", T::Text, "The store's welcome message.").not_sortable(),
        Field::new("start_date", T::Date, "First day the store is open.").nullable(),
        Field::new("end_date", T::Date, "Last day the store is open.").nullable(),
        Field::new("storefront_pricing", T::Bool, "Whether prices are shown."),
        Field::new(
            "items_count_limit",
            T::Int,
            "Most units a shopper may order in the campaign, over all their orders; null for no limit.",
        )
        .nullable(),
        Field::new(
            "price_limit",
            T::Money,
            "Most a shopper's orders in the campaign may add up to; null for no limit.",
        )
        .nullable(),
        Field::new(
            "company_allowance",
            T::Money,
            "What the company pays per shopper in the campaign, over all their orders; null: the company pays everything.",
        )
        .nullable(),
        Field::new(
            "personal_pay",
            T::Bool,
            "Whether an amount over the allowance becomes a payroll deduction (otherwise such a checkout is refused).",
        ),
        Field::new("checkout_fields", T::Json, "The checkout fields to fill in: `[{name, kind, required, options}]`.")
            .not_filterable(),
        Field::new("departments", T::TextList, "The departments a shopper picks from.").not_sortable(),
        Field::new("items_ordered", T::Int, "Units in the caller's orders in this campaign (cancelled ones excepted).")
            .nullable()
            .not_filterable(),
        Field::new("amount_ordered", T::Money, "What the caller's orders in this campaign add up to.")
            .nullable()
            .not_filterable(),
        Field::new("allowance_used", T::Money, "How much of the allowance the caller's orders have used.")
            .nullable()
            .not_filterable(),
        Field::new("allowance_remaining", T::Money, "What is left of the caller's allowance; null when the company pays everything.")
            .nullable()
            .not_filterable(),
        Field::new("version", T::Int, "The campaign's version.").not_filterable(),
    ],
    relations: &[Relation {
        name: "locations",
        target: "Location",
        kind: RelationKind::ToMany,
        default: false,
        least_role: Role::Shopper,
        doc: "The delivery locations to choose from at checkout. Name it in the mask to embed them.",
    }],
    default_sort: &[("end_date", false)],
};

pub static STOREFRONT_PRODUCT: Resource = Resource {
    model: "StorefrontProduct",
    doc: "A product of a campaign's store: what it is, its images, and its items (one per variant and decoration set).",
    fields: &[
        Field::new("id", T::Id, "The product's id."),
        Field::new("campaign_id", T::Id, "The campaign whose store shows it."),
        Field::new("name", T::Text, "The product's name."),
        Field::new("item_number", T::Text, "The product's item number."),
        Field::new("description", T::Text, "The product's description.").not_sortable(),
        Field::new("product_type_id", T::Id, "The product type's id."),
        Field::new("product_type", T::Text, "The product type's name (e.g. `T-Shirt`)."),
        Field::new(
            "images",
            T::Json,
            "The product's images in order: `[{id, content_type, url}]`; `url` serves the bytes.",
        )
        .not_filterable(),
        Field::new("items_count", T::Int, "How many items (variants × decoration sets) the store offers."),
        Field::new("price_from", T::Money, "The lowest item price; null when the store hides prices.").nullable(),
        Field::new("price_to", T::Money, "The highest item price; null when the store hides prices.").nullable(),
        Field::new("version", T::Int, "The product's version.").not_filterable(),
    ],
    relations: &[Relation {
        name: "items",
        target: "StorefrontItem",
        kind: RelationKind::ToMany,
        default: true,
        least_role: Role::Shopper,
        doc: "The product's items in this campaign, by attribute value order (sizes as the attribute orders them).",
    }],
    default_sort: &[("name", false)],
};

pub static STOREFRONT_ITEM: Resource = Resource {
    model: "StorefrontItem",
    doc: "An item a shopper can put in the basket: a variant of a product with its decorations, at a price.",
    fields: &[
        Field::new(
            "id",
            T::Id,
            "The campaign item's id: `PUT storefront/campaigns/{id}/basket/items/{item_id}` takes it.",
        ),
        Field::new("campaign_id", T::Id, "The campaign."),
        Field::new("product_id", T::Id, "The product."),
        Field::new("sku", T::Text, "The item's sku."),
        Field::new(
            "attributes",
            T::Json,
            "The variant's values in the type's attribute order: `[{attribute, value}]`.",
        )
        .not_filterable(),
        Field::new(
            "attribute_values",
            T::TextList,
            "The variant's value names in the type's attribute order (filter with `any`).",
        )
        .not_sortable(),
        Field::new("decorations", T::Json, "Where and what it is decorated with: `[{location, logo_description}]`.")
            .not_filterable(),
        Field::new("price", T::Money, "The price per unit; null when the store hides prices.").nullable(),
        Field::new("value_order", T::Text, "A key that sorts items by their attribute values' positions.")
            .not_default(),
        Field::new("version", T::Int, "The item's version.").not_filterable(),
    ],
    relations: &[],
    default_sort: &[("value_order", false)],
};
