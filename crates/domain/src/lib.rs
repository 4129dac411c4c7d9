//! promostore's domain: the types and rules every other crate agrees on.
//!
//! Nothing here does I/O: no SQL, no HTTP, no async. Storage, the API and the
//! seeders all read the same definitions, so a rule changes in one place.
//!
//! - [`role`]: the fixed, ordered roles and their levels.
//! - [`campaign`]: the campaign lifecycle, what may change when, and what
//!   activation requires.
//! - [`catalog`]: campaign item pricing, skus, the size order.
//! - [`principal`]: who is asking, and the scope rules that follow from it.
//! - [`resource`]: the resource descriptors (fields, types, who may read them,
//!   relations) that drive X-Fields masks, filters, sorting and the OpenAPI schemas.
//! - [`query`]: the checked form of a list request (selection, filter, sort, page).
//! - [`money`]: exact decimal amounts.
//! - [`job`]: background job kinds with typed payloads, their states, the retry backoff.
//! - [`password`]: argon2id hashes.
//! - [`organization`]: the distributor and account write models.
//! - [`shopping`]: basket totals, per-shopper limits, the allowance split, order numbers.

pub mod campaign;
pub mod catalog;
pub mod job;
pub mod money;
pub mod order;
pub mod organization;
pub mod password;
pub mod principal;
pub mod query;
pub mod resource;
pub mod role;
pub mod shopping;

pub use principal::Principal;
pub use role::Role;
