//! Tag Catalog: vendors, attributes and their values, product types,
//! products, variants, campaign items, and the CSV import.

pub mod attributes;
pub mod campaign_items;
pub mod imports;
pub mod product_types;
pub mod products;
pub mod variants;
pub mod vendors;
