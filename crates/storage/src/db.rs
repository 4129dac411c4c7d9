//! Connecting to PostgreSQL.

use crate::error::Result;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig { max_connections: 16, acquire_timeout: Duration::from_secs(5) }
    }
}

/// Creates the database named in `url` when it does not exist yet, so a new
/// developer's `make run` needs nothing but a reachable server.
pub async fn ensure_database(url: &str) -> Result<()> {
    if !Postgres::database_exists(url).await? {
        Postgres::create_database(url).await?;
        tracing::info!("created database");
    }
    Ok(())
}

/// How long a connection may sit idle in the pool and still be handed out
/// untested. Past it, it is pinged first (and replaced if the ping fails).
/// HikariCP's `aliveBypassWindowMs` makes the same trade with the same 500 ms.
pub const IDLE_PING: Duration = Duration::from_millis(500);

/// Opens a pool. Sessions run in UTC so timestamps never depend on the server's zone.
///
/// A connection taken from the pool is pinged only when it sat idle for more
/// than [`IDLE_PING`] (sqlx's default pings every one). That ping was a
/// round trip of its own on the request's path at every acquire: one of a
/// read by id's two, four of a checkout's twelve (sqlx still pings each
/// connection when it is given back, after the response). Under load a
/// connection is back in use within milliseconds and never pinged. A
/// connection that died while idle (PostgreSQL restarted) has been idle for
/// at least the restart when it is next wanted: its ping fails, the pool
/// opens a fresh one, and no request sees the dead one (the fault tests
/// restart PostgreSQL with idle connections and under checkouts). One that
/// dies while in use fails its statement: a connection-class error,
/// answered 503 (retry) and never a write half done.
pub async fn connect(url: &str, config: &PoolConfig) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url)?
        .options([("timezone", "UTC")])
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > IDLE_PING {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    crate::MIGRATOR.run(pool).await.map_err(|e| crate::StorageError::Unavailable(e.to_string()))
}

/// One line per known migration: version, description, applied or pending.
pub async fn migration_status(pool: &PgPool) -> Result<Vec<(i64, String, bool)>> {
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(pool)
        .await
        .or_else(|e| match e {
            // No migrations table yet: nothing applied.
            sqlx::Error::Database(ref db) if db.code().as_deref() == Some("42P01") => Ok(Vec::new()),
            other => Err(other),
        })?;
    Ok(crate::MIGRATOR.iter().map(|m| (m.version, m.description.to_string(), applied.contains(&m.version))).collect())
}

/// Whether the database is reachable (for `/ready`).
pub async fn ping(pool: &PgPool) -> Result<()> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

/// Drops every table of the `public` schema and migrates again (development only).
pub async fn reset(pool: &PgPool) -> Result<()> {
    sqlx::query("DROP SCHEMA public CASCADE").execute(pool).await?;
    sqlx::query("CREATE SCHEMA public").execute(pool).await?;
    migrate(pool).await
}
