//! The storefront catalog's hot path: who may see a campaign's store, at
//! which catalog version, and the cached pages keyed by that version.
//!
//! A page is built once per (campaign, catalog version, role, normalized
//! query) and kept twice: in this process (a bounded in-memory map, no
//! network at all) and in the shared cache (Redis), so the other processes
//! find it too. The version is read from PostgreSQL on every request in the
//! same statement as the access check, and every committed catalog change
//! bumps it (migration 0009's triggers), so a cached page can never outlive
//! the data it was built from, in any process: invalidation, not expiry.

use crate::cache::Cache;
use crate::error::Result;
use crate::named::Named;
use crate::schema;
use bytes::Bytes;
use chrono::NaiveDate;
use domain::Principal;
use domain::campaign::Status;
use sqlx::{PgExecutor, Postgres, QueryBuilder};
use std::time::Duration;

/// What the catalog endpoint needs to know of a campaign before it serves a
/// page: whether the caller sees it, whether its store is open, and the
/// catalog version pages are keyed by.
#[derive(Debug, Clone)]
pub struct CatalogAccess {
    pub campaign_id: i64,
    pub distributor_id: i64,
    pub status: Status,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub catalog_version: i64,
}

#[derive(sqlx::FromRow)]
struct AccessRow {
    distributor_id: i64,
    status: Named<Status>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    catalog_version: i64,
}

/// The campaign `id` as `who` sees it (the campaigns scope), with its
/// distributor's catalog version: one indexed statement. `None` when it does
/// not exist or is hidden.
pub async fn catalog_access(db: impl PgExecutor<'_>, who: &Principal, id: i64) -> Result<Option<CatalogAccess>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT t.distributor_id, t.status, t.start_date, t.end_date, coalesce(v.version, 0) AS catalog_version \
         FROM campaigns t LEFT JOIN catalog_versions v ON v.distributor_id = t.distributor_id WHERE t.id = ",
    );
    qb.push_bind(id).push(" AND ");
    schema::CAMPAIGNS.push_scope(who, "t", &mut qb);
    let row = qb.build_query_as::<AccessRow>().fetch_optional(db).await?;
    Ok(row.map(|r| CatalogAccess {
        campaign_id: id,
        distributor_id: r.distributor_id,
        status: r.status.0,
        start_date: r.start_date,
        end_date: r.end_date,
        catalog_version: r.catalog_version,
    }))
}

/// How long a page stays in the shared cache after it was last built. Pages
/// are never stale (their key holds the version); this only returns the
/// memory of versions nobody asks for any more.
const SHARED_TTL: Duration = Duration::from_secs(24 * 3600);

/// The most bytes of pages this process keeps in memory.
const LOCAL_BYTES: u64 = 64 * 1024 * 1024;

/// Cached catalog pages: this process's copies in front of the shared cache.
#[derive(Clone)]
pub struct PageCache {
    local: moka::future::Cache<String, Bytes>,
    /// `None` when the cache is the in-process one: the local map already is.
    shared: Option<Cache>,
}

impl PageCache {
    pub fn new(shared: Cache) -> PageCache {
        let local = moka::future::Cache::builder()
            .max_capacity(LOCAL_BYTES)
            .weigher(|k: &String, v: &Bytes| u32::try_from(k.len() + v.len()).unwrap_or(u32::MAX))
            .build();
        let shared = (shared.kind() == "redis").then_some(shared);
        PageCache { local, shared }
    }

    /// The page under `key`: this process's copy, else the shared one
    /// (copied here). A shared cache that cannot be reached is a miss,
    /// logged: the catalog then answers uncached, never fails for it.
    pub async fn get(&self, key: &str) -> Option<Bytes> {
        if let Some(page) = self.local.get(key).await {
            return Some(page);
        }
        let shared = self.shared.as_ref()?;
        match shared.get_blob(key).await {
            Ok(Some(page)) => {
                self.local.insert(key.to_owned(), page.clone()).await;
                Some(page)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "catalog page cache unavailable; answering uncached");
                None
            }
        }
    }

    /// Keeps `page` under `key` here and in the shared cache (best effort).
    pub async fn put(&self, key: &str, page: Bytes) {
        self.local.insert(key.to_owned(), page.clone()).await;
        let Some(shared) = &self.shared else { return };
        if let Err(e) = shared.set_blob(key, &page, SHARED_TTL).await {
            tracing::warn!(error = %e, "catalog page not shared: cache unavailable");
        }
    }
}
