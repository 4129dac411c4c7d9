//! Tag Catalog: vendors, attributes and their values, product types,
//! products, variants, campaign items, and the CSV import.

pub mod attributes;
pub mod campaign_items;
pub mod imports;
pub mod product_types;
pub mod products;
pub mod variants;
pub mod vendors;

/// The Catalog namespace's APIs. Every namespace exports its APIs as one value, so adding an
/// endpoint group touches its namespace and not `lib.rs`.
/// This namespace's APIs: an endpoint group is added here and nowhere else
/// (nested tuples implement `OpenApi`, and `Default` builds them).
pub type Api = (
    vendors::VendorsApi,
    attributes::AttributesApi,
    product_types::ProductTypesApi,
    products::ProductsApi,
    variants::VariantsApi,
    campaign_items::CampaignItemsApi,
    imports::ImportsApi,
);
