//! Storage: PostgreSQL (the system of record) and the cache (Redis, or an
//! in-process fallback), behind functions that own every SQL string.
//!
//! - [`db`]: connecting, creating the database, migrations.
//! - [`cache`]: the shared key-value cache (token denylist, rate limits).
//! - [`schema`]: how each resource descriptor maps onto tables and columns, and
//!   which rows each caller may see.
//! - [`read`]: the compiler from a checked list request (mask, filter, sort,
//!   page) to SQL, with batched relation loading.
//! - [`write`]: the row locks and the one version-checked statement of every
//!   `If-Match` write; [`record`]: the writes of a resource whose write model
//!   is stored field for column, so it needs no module of its own.
//! - one module per aggregate for writes with SQL of their own: [`accounts`], [`distributors`],
//!   [`sessions`], [`campaigns`], [`locations`], the catalog ([`vendors`],
//!   [`attributes`], [`product_types`], [`products`], [`variants`],
//!   [`campaign_items`], [`imports`]), [`files`], and the [`idempotency`] key store.
//! - [`jobs`]: the background job queue; [`notifications`]: what order mails
//!   say, and the keys that send each at most once.
//! - [`derived`]: the one place derived catalog columns (skus, item prices,
//!   frozen copies) are recomputed.
//! - [`storefront`]: the catalog's access check, catalog version and page cache.
//! - [`bulk`]: COPY-based bulk loading for the seeders.
//! - [`profile`]: per-request timings for the profiling switch.

pub mod accounts;
pub mod attributes;
pub mod bulk;
pub mod cache;
pub mod campaign_items;
pub mod campaigns;
pub mod db;
pub mod derived;
pub mod distributors;
pub mod error;
pub mod files;
pub mod idempotency;
pub mod imports;
pub mod jobs;
pub mod locations;
pub mod named;
pub mod notifications;
pub mod orders;
pub mod product_types;
pub mod products;
pub mod profile;
pub mod read;
pub mod record;
pub mod reports;
pub mod schema;
pub mod secrets;
pub mod sessions;
pub mod shopping;
pub mod storefront;
pub mod variants;
pub mod vendors;
pub mod write;

pub use cache::Cache;
pub use error::StorageError;
pub use read::CursorKey;
pub use sqlx::PgPool;

/// A transaction on the pool, for callers above storage that run several
/// storage functions as one write (`pool.begin()`), without naming sqlx.
pub type Transaction = sqlx::Transaction<'static, sqlx::Postgres>;

/// What a transaction dereferences to (`&mut *tx`): storage functions accept it.
pub type Connection = sqlx::PgConnection;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");
