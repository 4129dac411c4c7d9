//! The subcommands.

use crate::config::{Common, Environment, Redacted, Serve};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use domain::Role;
use std::io::{IsTerminal, Read};
use std::time::Duration;
use storage::{Cache, PgPool};

#[derive(Subcommand, Default, Clone, Copy)]
pub enum MigrateAction {
    /// Apply pending migrations (the default).
    #[default]
    Apply,
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Subcommand)]
pub enum AccountAction {
    /// Create an account; the password is read from a prompt, or from stdin with --password-stdin.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The distributor's name or id (every role but super_admin needs one).
        #[arg(long)]
        distributor: Option<String>,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete an account and its sessions.
    Delete {
        #[arg(long)]
        username: String,
    },
    /// Set an account's password and revoke its sessions.
    SetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum AuthAction {
    /// Clear the failed-login counters of an account and/or a client address,
    /// lifting a 429 lockout at once (needs REDIS_URL: without it the
    /// counters live inside the server process, and a restart clears them).
    Unlock {
        /// The account's username or email.
        #[arg(long, required_unless_present = "address")]
        username: Option<String>,
        /// A client address (as the server saw it, e.g. 203.0.113.7).
        #[arg(long)]
        address: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum DbAction {
    /// Drop every table and apply the migrations again (development only).
    Reset {
        /// Confirm: this deletes all data.
        #[arg(long)]
        yes: bool,
    },
}

/// `promostore seed` options.
#[derive(Args, Debug, Clone)]
pub struct SeedArgs {
    /// demo (the idempotent demo data), small, medium, large, or a multiple of small (0.5, 3; 100 =
    /// large). Every scale but demo needs an empty database (or --reset) and is bulk-loaded with COPY.
    #[arg(long, default_value = "demo", value_parser = parse_scale)]
    pub scale: seeders::Scale,
    /// The random seed of the generated data: the same scale and seed give the same rows.
    #[arg(long, default_value_t = seeders::DEFAULT_RNG_SEED)]
    pub rng_seed: u64,
    /// Empty the database first: every table, every row (refused when PROMOSTORE_ENV=production).
    #[arg(long)]
    pub reset: bool,
    /// Afterwards, time a plain COPY of the same rows into bare tables (the limit) and compare.
    #[arg(long)]
    pub compare_copy: bool,
    /// Afterwards, print a checksum of every seeded table (equal for equal data).
    #[arg(long)]
    pub checksum: bool,
}

fn parse_scale(s: &str) -> Result<seeders::Scale, String> {
    s.parse()
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse::<Role>().map_err(|e| e.to_string())
}

/// Connects to the database named in the settings, creating it when missing.
async fn pool(common: &Common) -> anyhow::Result<PgPool> {
    let url = &common.database_url;
    storage::db::ensure_database(url).await.with_context(|| format!("cannot reach PostgreSQL at {}", Redacted(url)))?;
    let config = storage::db::PoolConfig { max_connections: common.database_max_connections, ..Default::default() };
    storage::db::connect(url, &config).await.with_context(|| format!("cannot connect to {}", Redacted(url)))
}

/// The read-only replica's pool, when `DATABASE_READ_URL` names one (it
/// must exist already: nothing is created or migrated there).
async fn read_pool(common: &Common) -> anyhow::Result<Option<PgPool>> {
    let Some(url) = common.database_read_url.as_deref().filter(|u| !u.trim().is_empty()) else { return Ok(None) };
    let config = storage::db::PoolConfig { max_connections: common.database_max_connections, ..Default::default() };
    let pool = storage::db::connect(url, &config)
        .await
        .with_context(|| format!("cannot connect to the read replica {}", Redacted(url)))?;
    tracing::info!(url = %Redacted(url), "lists, reads by id and reports read from the replica");
    Ok(Some(pool))
}

async fn cache(common: &Common) -> anyhow::Result<Cache> {
    match &common.redis_url {
        Some(url) => Cache::redis(url, &common.cache_prefix)
            .await
            .with_context(|| format!("cannot reach Redis at {}", Redacted(url))),
        None => Ok(local_cache(common)),
    }
}

/// The cache of `serve`: with Redis, the denylist is restored from the
/// database whenever this process (re)connects (sessions revoked within an
/// access token's lifetime), so no revocation is lost to a Redis outage or
/// an empty restart.
async fn serving_cache(common: &Common, pool: &PgPool, access_ttl: Duration) -> anyhow::Result<Cache> {
    let Some(url) = &common.redis_url else { return Ok(local_cache(common)) };
    let pool = pool.clone();
    let restore: storage::cache::Restore = std::sync::Arc::new(move || {
        let pool = pool.clone();
        Box::pin(async move {
            let families = storage::sessions::revoked_within(&pool, access_ttl).await?;
            Ok(families.iter().map(|f| (api::auth::tokens::family_key(f), access_ttl)).collect())
        })
    });
    Cache::redis_restoring(url, &common.cache_prefix, restore)
        .await
        .with_context(|| format!("cannot reach Redis at {}", Redacted(url)))
}

/// The in-process cache (no `REDIS_URL`).
fn local_cache(common: &Common) -> Cache {
    tracing::info!("REDIS_URL not set: cache, token denylist and rate limits are in-process (single instance only)");
    Cache::local(&common.cache_prefix)
}

pub async fn serve(common: &Common, serve: &Serve) -> anyhow::Result<()> {
    let configured = serve.secret(common.env)?;
    let listener_addr: std::net::SocketAddr =
        serve.bind.parse().with_context(|| format!("BIND `{}` is not an address like 127.0.0.1:8080", serve.bind))?;
    let pool = pool(common).await?;
    if serve.migrate {
        storage::db::migrate(&pool).await.context("migrations failed")?;
    }
    let mut demo = false;
    if serve.seed_if_empty {
        if common.env == Environment::Production {
            bail!("--seed-if-empty loads demo logins and is refused when PROMOSTORE_ENV=production");
        }
        if storage::accounts::count(&pool).await? == 0 {
            let started = std::time::Instant::now();
            let seeded = seeders::demo(&pool).await.context("seeding demo data failed")?;
            tracing::info!(elapsed_ms = started.elapsed().as_millis(), "seeded demo data: {seeded}");
        }
        demo = true;
    }
    let secret = match configured {
        Some(secret) => secret,
        None => {
            // Never a key from the source: the first process generates one
            // and every process on this database shares it.
            let (secret, generated) =
                storage::secrets::signing_key(&pool, &api::auth::tokens::random_token(48)).await.context(
                    "JWT_SECRET is not set and the generated signing key could not be kept in the database \
                     (run with --migrate, or set JWT_SECRET)",
                )?;
            if generated {
                tracing::warn!("JWT_SECRET not set: generated a random signing key and stored it in the database");
            } else {
                tracing::info!("JWT_SECRET not set: using the signing key generated earlier and kept in the database");
            }
            secret
        }
    };
    let cache = serving_cache(common, &pool, Duration::from_secs(serve.access_token_ttl)).await?;
    let metrics = crate::telemetry::init_metrics().context("metrics recorder")?;
    let config = api::ApiConfig {
        jwt_secret: secret,
        access_ttl: Duration::from_secs(serve.access_token_ttl),
        refresh_ttl: Duration::from_secs(serve.refresh_token_ttl),
        login_max_failures: serve.login_max_failures,
        login_window: Duration::from_secs(serve.login_window),
        login_address_max_failures: serve.login_address_max_failures,
        login_address_window: Duration::from_secs(serve.login_address_window),
        max_body_bytes: serve.max_body_bytes,
        max_upload_bytes: serve.max_upload_bytes,
        max_import_rows: serve.max_import_rows,
        files_dir: serve.files_dir.clone(),
        trust_forwarded_for: serve.trust_forwarded_for,
        cors_origins: serve.cors_origins.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect(),
        profile: serve.profile,
    };
    let read_pool = read_pool(common).await?;
    let state = api::AppState::with_read_pool(pool.clone(), read_pool.clone(), cache, config, Some(metrics));
    if let Some(bind) = &serve.metrics_bind {
        let addr: std::net::SocketAddr =
            bind.parse().with_context(|| format!("METRICS_BIND `{bind}` is not an address like 127.0.0.1:9464"))?;
        let server =
            poem::Server::new(poem::listener::TcpListener::bind(addr)).run(api::ops::metrics_app(state.clone()));
        tracing::info!(address = %addr, "metrics listening");
        tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    // When SIGINT/SIGTERM came: the shutdown's deadline counts from it.
    let (stop, stopped) = tokio::sync::watch::channel(None::<tokio::time::Instant>);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(Some(tokio::time::Instant::now()));
    });
    let workers = start_workers(common, &serve.jobs, &pool)?;
    let app = api::app(state);
    let acceptor = poem::listener::TcpListener::bind(listener_addr);
    let base = format!("http://{listener_addr}");
    tracing::info!(address = %base, "listening");
    eprintln!("\n  promostore is serving on {base}\n  API docs:  {base}/docs\n  OpenAPI:   {base}/openapi.json");
    if demo {
        eprintln!("  demo logins (development only; role, password, usernames):\n{}", seeders::logins_table("    "));
    }
    let mut until_stopped = stopped.clone();
    let signalled = async move {
        let _ = until_stopped.wait_for(Option::is_some).await;
    };
    let budget = ShutdownBudget::of(Duration::from_secs(serve.shutdown_timeout));
    let served = poem::Server::new(acceptor).run_with_graceful_shutdown(app, signalled, Some(budget.drain)).await;
    if let Some(workers) = workers {
        workers.stop().await;
    }
    served.context("server error")?;
    // A request cut at the drain's end leaves its connection busy (sqlx
    // pings it before taking it back, which waits for the statement, e.g.
    // on a lock): closing waits for every connection, so it is bounded, and
    // the process exits within SHUTDOWN_TIMEOUT whatever the database does.
    let signal_at = (*stopped.borrow()).unwrap_or_else(tokio::time::Instant::now);
    let closing = async {
        pool.close().await;
        if let Some(read_pool) = &read_pool {
            read_pool.close().await;
        }
    };
    if tokio::time::timeout_at(signal_at + budget.close_by, closing).await.is_err() {
        tracing::warn!("stopping: database connections still busy at the shutdown timeout; not waiting for them");
    }
    tracing::info!("stopped");
    Ok(())
}

/// How SHUTDOWN_TIMEOUT is spent after SIGINT/SIGTERM, so that the process
/// has exited when it is up: requests in flight get all of it but the last
/// second (or quarter, when shorter); then the database pools are closed
/// until half of that reserve is left, and the rest is for exiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ShutdownBudget {
    /// How long requests in flight may take to finish.
    drain: Duration,
    /// When closing the pools is given up, counted from the signal.
    close_by: Duration,
}

impl ShutdownBudget {
    fn of(timeout: Duration) -> ShutdownBudget {
        let reserve = (timeout / 4).min(Duration::from_secs(1));
        ShutdownBudget { drain: timeout - reserve, close_by: timeout - reserve / 2 }
    }
}

/// Starts the configured workers, or none when WORKERS=0.
fn start_workers(
    common: &Common,
    jobs: &crate::config::Jobs,
    pool: &PgPool,
) -> anyhow::Result<Option<server::worker::Workers>> {
    // The mail settings are checked even when this process runs no worker:
    // a production deployment learns of a missing SMTP_URL at once.
    let sink = jobs.sink(common.env)?;
    if jobs.workers == 0 {
        tracing::info!("WORKERS=0: this process runs no background jobs (run `promostore worker`)");
        return Ok(None);
    }
    let mailer = match &sink {
        None => {
            tracing::warn!("NOTIFICATIONS_DISABLED: notification jobs end without sending mail");
            None
        }
        Some(sink) => {
            match sink {
                server::mail::Sink::Smtp { url, .. } => {
                    tracing::info!(smtp = %Redacted(url), "notifications go over SMTP")
                }
                server::mail::Sink::Files(dir) => tracing::info!(
                    directory = %dir.display(),
                    "SMTP_URL not set: notifications are written as .eml files under {}",
                    dir.display()
                ),
            }
            Some(server::mail::Mailer::new(sink, &jobs.mail_from)?)
        }
    };
    let templates = server::mail::templates::Templates::new().context("the mail templates")?;
    let context =
        server::worker::handlers::Context { pool: pool.clone(), mailer, templates: std::sync::Arc::new(templates) };
    Ok(Some(server::worker::Workers::start(pool.clone(), context, jobs.settings())))
}

/// `promostore worker`: background jobs only, until SIGINT/SIGTERM.
pub async fn worker(common: &Common, jobs: &crate::config::Jobs) -> anyhow::Result<()> {
    let pool = pool(common).await?;
    let workers = start_workers(common, jobs, &pool)?;
    let Some(workers) = workers else {
        bail!("WORKERS=0: a worker process with no workers has nothing to do");
    };
    eprintln!("\n  promostore worker: {} worker(s) on the job queue; Ctrl-C stops\n", jobs.workers);
    shutdown_signal().await;
    tracing::info!("stopping: finishing the current jobs");
    workers.stop().await;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then get the shutdown timeout to finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

pub async fn migrate(common: &Common, action: MigrateAction) -> anyhow::Result<()> {
    let pool = pool(common).await?;
    match action {
        MigrateAction::Apply => {
            storage::db::migrate(&pool).await?;
            println!("migrations applied");
        }
        MigrateAction::Status => {
            for (version, description, applied) in storage::db::migration_status(&pool).await? {
                println!("{version:>4}  {}  {description}", if applied { "applied" } else { "pending" });
            }
        }
    }
    Ok(())
}

/// Seeds demo or benchmark data. `--reset` deletes every row, so production
/// refuses it (as it refuses `db reset`).
pub async fn seed(common: &Common, args: &SeedArgs) -> anyhow::Result<()> {
    if args.reset && common.env == Environment::Production {
        bail!("seed --reset deletes all data and is refused when PROMOSTORE_ENV=production");
    }
    let pool = pool(common).await?;
    storage::db::migrate(&pool).await?;
    let options = seeders::Options {
        scale: args.scale,
        rng_seed: args.rng_seed,
        reset: args.reset,
        compare_copy: args.compare_copy,
    };
    let mut progress = seeders::Progress::auto();
    let report = seeders::seed(&pool, &options, &mut progress).await?;
    print!("{}", report.summary());
    if args.checksum {
        let (all, tables) = storage::bulk::checksum(&pool).await?;
        for t in &tables {
            println!("  {:<26} {:>11}  {}", t.table, t.rows, t.md5);
        }
        println!("checksum {all}");
    }
    print!("demo logins (development only; role, password, usernames):\n{}", seeders::logins_table("  "));
    if args.scale != seeders::Scale::Demo {
        println!(
            "  every generated account has its role's password above; for example:\n  \
             psql -c \"SELECT username FROM accounts WHERE role = 'distributor_manager' ORDER BY id LIMIT 3\""
        );
    }
    Ok(())
}

/// Reads a password: from stdin when asked (or when stdin is not a terminal), else a hidden prompt twice.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the password from stdin")?;
        text.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Again: ")?;
        if first != second {
            bail!("the passwords do not match");
        }
        first
    };
    Ok(password)
}

fn check_password(password: &str, username: &str, email: &str) -> anyhow::Result<()> {
    validators::account::new_password(password, username, email).map_err(|issues| {
        anyhow::anyhow!(issues.iter().map(|i| format!("password {}", i.message)).collect::<Vec<_>>().join("; "))
    })
}

pub async fn account(common: &Common, action: AccountAction) -> anyhow::Result<()> {
    let pool = pool(common).await?;
    match action {
        AccountAction::Create { username, email, role, distributor, first_name, last_name, password_stdin } => {
            let distributor_id = match (&distributor, role) {
                (None, Role::SuperAdmin) => None,
                (Some(_), Role::SuperAdmin) => {
                    bail!("super_admin accounts belong to no distributor; drop --distributor")
                }
                (None, _) => bail!("--distributor is required for role {role}"),
                (Some(d), _) => Some(match d.parse::<i64>() {
                    Ok(id) => id,
                    Err(_) => storage::distributors::id_by_name(&pool, d)
                        .await?
                        .with_context(|| format!("no distributor named `{d}`"))?,
                }),
            };
            let password = read_password(password_stdin)?;
            check_password(&password, &username, &email)?;
            let password_hash = domain::password::hash(&password).map_err(anyhow::Error::msg)?;
            let fields = domain::organization::AccountFields {
                email,
                first_name,
                last_name,
                role,
                active: true,
                reports_enabled: false,
            };
            let id = storage::accounts::insert(
                &pool,
                &storage::accounts::NewAccount {
                    username: &username,
                    password_hash: &password_hash,
                    distributor_id,
                    fields: &fields,
                },
            )
            .await
            .map_err(|e| match e {
                storage::StorageError::Conflict { .. } => anyhow::anyhow!("username or email is already taken"),
                storage::StorageError::Invalid { constraint } => anyhow::anyhow!("invalid account ({constraint})"),
                other => other.into(),
            })?;
            println!("created account {username} (id {id})");
        }
        AccountAction::Delete { username } => {
            let id = storage::accounts::id_by_username(&pool, &username)
                .await?
                .with_context(|| format!("no account `{username}`"))?;
            storage::accounts::delete(&pool, id, None).await?;
            println!("deleted account {username}");
        }
        AccountAction::SetPassword { username, password_stdin } => {
            let id = storage::accounts::id_by_username(&pool, &username)
                .await?
                .with_context(|| format!("no account `{username}`"))?;
            let account =
                storage::accounts::credentials(&pool, id).await?.with_context(|| format!("no account `{username}`"))?;
            let password = read_password(password_stdin)?;
            check_password(&password, &account.username, &account.email)?;
            let hash = domain::password::hash(&password).map_err(anyhow::Error::msg)?;
            let mut tx = pool.begin().await?;
            storage::accounts::set_password(&mut *tx, id, &hash).await?;
            storage::sessions::revoke_account(&mut *tx, id, None).await?;
            tx.commit().await?;
            println!("password set for {username}; its sessions are revoked");
        }
    }
    Ok(())
}

pub async fn auth(common: &Common, action: AuthAction) -> anyhow::Result<()> {
    let AuthAction::Unlock { username, address } = action;
    if common.redis_url.is_none() {
        bail!(
            "REDIS_URL is not set: the failed-login counters live inside the server process; restart it to clear them"
        );
    }
    let cache = cache(common).await?;
    let mut keys = Vec::new();
    if let Some(name) = &username {
        keys.push(api::auth::limits::name_key(name));
        let pool = pool(common).await?;
        match storage::accounts::find_for_login(&pool, name).await? {
            Some(account) => keys.push(api::auth::limits::account_key(account.id)),
            None => eprintln!("no account `{name}`: clearing the counter of that name only"),
        }
    }
    if let Some(address) = &address {
        keys.push(api::auth::limits::address_key(address));
    }
    for key in &keys {
        cache.delete(key).await?;
    }
    println!("cleared {} failed-login counter(s)", keys.len());
    Ok(())
}

pub async fn db(common: &Common, action: DbAction) -> anyhow::Result<()> {
    match action {
        DbAction::Reset { yes } => {
            if common.env == Environment::Production {
                bail!("db reset is refused when PROMOSTORE_ENV=production");
            }
            if !yes {
                bail!("db reset deletes all data; run again with --yes");
            }
            let pool = pool(common).await?;
            storage::db::reset(&pool).await?;
            println!("database reset: all tables dropped and migrations applied");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ShutdownBudget;
    use std::time::Duration;

    #[test]
    fn the_shutdown_budget_ends_before_the_timeout() {
        let ms = Duration::from_millis;
        assert_eq!(ShutdownBudget::of(ms(30_000)), ShutdownBudget { drain: ms(29_000), close_by: ms(29_500) });
        assert_eq!(ShutdownBudget::of(ms(5_000)), ShutdownBudget { drain: ms(4_000), close_by: ms(4_500) });
        assert_eq!(ShutdownBudget::of(ms(2_000)), ShutdownBudget { drain: ms(1_500), close_by: ms(1_750) });
        assert_eq!(ShutdownBudget::of(ms(0)), ShutdownBudget { drain: ms(0), close_by: ms(0) });
    }
}
