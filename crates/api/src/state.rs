//! What every handler can reach: the pool, the cache, and the auth settings.

use crate::auth::tokens::TokenIssuer;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use std::time::Duration;
use storage::{Cache, CursorKey, PgPool};

/// Settings the API needs (the server crate fills them from its config).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// HS256 signing secret for access tokens (also keys the cursor HMAC).
    pub jwt_secret: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Failed logins allowed per account in one window.
    pub login_max_failures: i64,
    pub login_window: Duration,
    /// Failed logins allowed per client address in its own, shorter window:
    /// higher than per account, because one office can share an address.
    pub login_address_max_failures: i64,
    pub login_address_window: Duration,
    /// Request bodies above this are refused with 413 (uploads excepted).
    pub max_body_bytes: usize,
    /// Bodies of the streamed uploads (`POST /api/v1/minor/resources`,
    /// `POST /api/v1/catalog/imports`) above this are refused with 413. They
    /// are never buffered whole: the handlers read them as streams.
    pub max_upload_bytes: usize,
    /// The most data rows one CSV import may have.
    pub max_import_rows: usize,
    /// Where uploaded files are kept (one file per distributor and hash).
    pub files_dir: std::path::PathBuf,
    /// Honour `X-Forwarded-For` for the client address (behind a trusted proxy only).
    pub trust_forwarded_for: bool,
    /// Browser origins allowed to call the API (CORS); empty: CORS closed.
    pub cors_origins: Vec<String>,
    /// The profiling switch (`PROFILE`): every response gets a
    /// `Server-Timing` header and its log line the same figures.
    pub profile: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            // Random per process: no key in the source ever signs a token.
            jwt_secret: crate::auth::tokens::random_token(48),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            login_max_failures: 5,
            login_window: Duration::from_secs(15 * 60),
            login_address_max_failures: 50,
            login_address_window: Duration::from_secs(5 * 60),
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 50 * 1024 * 1024,
            max_import_rows: 200_000,
            files_dir: std::path::PathBuf::from(".data/files"),
            trust_forwarded_for: false,
            cors_origins: Vec::new(),
            profile: false,
        }
    }
}

/// Shared state, cheap to clone.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

pub struct Inner {
    /// The primary: every write, the read-back after a write, access checks.
    pub pool: PgPool,
    /// A read-only replica (`DATABASE_READ_URL`) for lists, reads by id and
    /// reports; `None`: they read the primary. See [`AppState::read_replica`].
    pub read_pool: Option<PgPool>,
    pub cache: Cache,
    pub config: ApiConfig,
    pub tokens: TokenIssuer,
    pub cursors: CursorKey,
    pub metrics: Option<PrometheusHandle>,
    /// Built storefront catalog pages (see `storage::storefront`).
    pub pages: storage::storefront::PageCache,
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(pool: PgPool, cache: Cache, config: ApiConfig, metrics: Option<PrometheusHandle>) -> AppState {
        AppState::with_read_pool(pool, None, cache, config, metrics)
    }

    /// [`AppState::new`] with a read-only replica that lists, reads by id and
    /// reports read from (`None`: they read `pool`).
    pub fn with_read_pool(
        pool: PgPool,
        read_pool: Option<PgPool>,
        cache: Cache,
        config: ApiConfig,
        metrics: Option<PrometheusHandle>,
    ) -> AppState {
        let tokens = TokenIssuer::new(config.jwt_secret.as_bytes(), config.access_ttl);
        let cursors = CursorKey::derive(config.jwt_secret.as_bytes());
        let pages = storage::storefront::PageCache::new(cache.clone());
        AppState(Arc::new(Inner { pool, read_pool, cache, config, tokens, cursors, metrics, pages }))
    }

    /// Where lists and reads by id read (`resource::list_query`,
    /// `resource::read_one`): the replica when one is configured, the primary
    /// otherwise. A replica may lag behind the primary, so nothing that must
    /// see a write reads it: the write itself, the read-back that answers it,
    /// and the access checks before a read stay on [`Inner::pool`].
    pub fn read_replica(&self) -> &PgPool {
        self.read_pool.as_ref().unwrap_or(&self.pool)
    }

    /// Where reports read: [`AppState::read_replica`]. Access checks (the
    /// caller's account) stay on the primary.
    pub fn reports_pool(&self) -> &PgPool {
        self.read_replica()
    }
}
