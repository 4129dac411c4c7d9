//! The OpenAPI tags: one per namespace of the API.

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Log in, refresh and revoke sessions, change the password, read the caller's account.
    Auth,
    /// People and companies: distributors, accounts, campaigns, members, locations.
    Organization,
    /// Products: vendors, attributes, product types, products, variants, campaign items.
    Catalog,
    /// Reference data and files.
    Minor,
    /// Orders, their items, notes and history.
    Orders,
    /// The shopper's view of a campaign: products, basket, checkout.
    Storefront,
    /// Purchase orders, pick/pack lists, shopper summaries, payroll deductions.
    Reports,
    /// Background jobs (notification mails): their state, attempts and errors, and a retry.
    Jobs,
}
