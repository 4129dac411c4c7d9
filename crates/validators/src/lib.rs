//! Validation of everything a client may send to promostore.
//!
//! Every byte of a request that is not a fixed route is client text: bodies,
//! the `X-Fields` mask, `filter`, `sort` and the paging parameters. This crate
//! turns that text into checked domain values (see [`domain::query`]) or into
//! an error that says exactly what is wrong and where, so the API can answer
//! 400 or 403 with a message a client developer can act on, and storage never
//! sees a name, operator or value it did not declare.
//!
//! It is pure: no I/O, no SQL, no HTTP. The API calls it, storage compiles its
//! output.
//!
//! - [`query`]: the list query language (masks, filters, sorts, pages).
//! - [`campaign`], [`location`]: campaign settings, checkout field definitions,
//!   delivery locations.

pub mod account;
pub mod attribute;
pub mod campaign;
pub mod campaign_item;
pub mod checkout;
pub mod distributor;
pub mod import;
pub mod issue;
pub mod location;
pub mod money;
pub mod product;
pub mod product_type;
pub mod query;
pub mod record;
pub mod variant;
pub mod vendor;

pub use issue::FieldIssue;
