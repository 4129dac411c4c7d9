//! Configuration: environment variables (and `.env`), overridable by flags.
//! Every setting has a default that works on a developer machine; production
//! refuses the development-only defaults.

use clap::{Args, ValueEnum};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Settings shared by every command.
#[derive(Clone, Args)]
pub struct Common {
    /// `development` allows demo data and a generated secret; `production` requires JWT_SECRET.
    #[arg(long, env = "PROMOSTORE_ENV", value_enum, default_value = "development", global = true)]
    pub env: Environment,
    /// PostgreSQL URL; the database is created when missing.
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/promostore", global = true)]
    pub database_url: String,
    /// Most connections in the pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16, global = true)]
    pub database_max_connections: u32,
    /// PostgreSQL URL of a read-only replica the reports read from; unset: they read `DATABASE_URL`.
    #[arg(long, env = "DATABASE_READ_URL", global = true)]
    pub database_read_url: Option<String>,
    /// Redis URL for the shared cache, token denylist and rate limits; without it they are in-process.
    #[arg(long, env = "REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so deployments can share a Redis.
    #[arg(long, env = "CACHE_PREFIX", default_value = "promostore:", global = true)]
    pub cache_prefix: String,
    /// Log format; defaults to `pretty` in development and `json` in production.
    #[arg(long, env = "LOG_FORMAT", value_enum, global = true)]
    pub log_format: Option<LogFormat>,
}

/// Hides the password of a URL in logs and `--help` output.
pub struct Redacted<'a>(pub &'a str);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.find("://"), self.0.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let creds = &self.0[scheme + 3..at];
                match creds.split_once(':') {
                    Some((user, _)) => write!(f, "{}{user}:***{}", &self.0[..scheme + 3], &self.0[at..]),
                    None => f.write_str(self.0),
                }
            }
            _ => f.write_str(self.0),
        }
    }
}

impl fmt::Debug for Common {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Common")
            .field("env", &self.env)
            .field("database_url", &Redacted(&self.database_url).to_string())
            .field("database_read_url", &self.database_read_url.as_deref().map(|u| Redacted(u).to_string()))
            .field("redis_url", &self.redis_url.as_deref().map(|u| Redacted(u).to_string()))
            .finish_non_exhaustive()
    }
}

/// `serve` settings.
#[derive(Clone, Args)]
pub struct Serve {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Serve `GET /metrics` (Prometheus) on this separate address, e.g.
    /// 127.0.0.1:9464; unset: metrics are not served. Keep it internal.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// Apply pending migrations before serving.
    #[arg(long, env = "MIGRATE_ON_START")]
    pub migrate: bool,
    /// Load the demo data when the database has no accounts (development only).
    #[arg(long)]
    pub seed_if_empty: bool,
    /// Secret for signing access tokens (HS256) and cursors; at least 32 bytes, required in production.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Access-token lifetime in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL", default_value_t = 900, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub access_token_ttl: u64,
    /// Refresh-token lifetime in seconds.
    #[arg(long, env = "REFRESH_TOKEN_TTL", default_value_t = 2_592_000, value_parser = clap::value_parser!(u64).range(60..))]
    pub refresh_token_ttl: u64,
    /// Failed logins per account (username and email together) before 429.
    #[arg(long, env = "LOGIN_MAX_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..))]
    pub login_max_failures: i64,
    /// The window of the failed-login count, in seconds.
    #[arg(long, env = "LOGIN_WINDOW", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    pub login_window: u64,
    /// Failed logins per client address before 429 (higher than per account: an office shares one).
    #[arg(long, env = "LOGIN_ADDRESS_MAX_FAILURES", default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..))]
    pub login_address_max_failures: i64,
    /// The window of the per-address count, in seconds (shorter than per account).
    #[arg(long, env = "LOGIN_ADDRESS_WINDOW", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub login_address_window: u64,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,
    /// Largest accepted upload (a file, a CSV import), in bytes; uploads are streamed, never held whole.
    #[arg(long, env = "MAX_UPLOAD_BYTES", default_value_t = 52_428_800)]
    pub max_upload_bytes: usize,
    /// Most data rows in one CSV import.
    #[arg(long, env = "MAX_IMPORT_ROWS", default_value_t = 200_000)]
    pub max_import_rows: usize,
    /// Directory for uploaded files (created when missing).
    #[arg(long, env = "FILES_DIR", default_value = ".data/files")]
    pub files_dir: std::path::PathBuf,
    /// Browser origins allowed to call the API (CORS), comma-separated, e.g.
    /// https://store.example.com; unset: CORS stays closed.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Take the client address from X-Forwarded-For (only behind a trusted proxy).
    #[arg(long, env = "TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Profile every request: a `Server-Timing` header (auth, cache, sql with
    /// its statement count, serialize, total) and the same figures on its log line.
    #[arg(long, env = "PROFILE")]
    pub profile: bool,
    /// Seconds from SIGINT/SIGTERM to exit: in-flight requests get all but the last second (a quarter
    /// when shorter) to finish, then the database connections are closed.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
    #[command(flatten)]
    pub jobs: Jobs,
}

/// Background jobs and the mail they send: settings of `serve` and `worker`.
#[derive(Clone, Args)]
pub struct Jobs {
    /// Worker tasks in this process; 0 runs none (then a `promostore worker` must run somewhere).
    #[arg(long, env = "WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Seconds a claimed job is leased; a worker that dies loses its job to another after this.
    #[arg(long, env = "JOB_LEASE_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub job_lease_seconds: u64,
    /// Milliseconds an idle worker waits before looking for due jobs again.
    #[arg(long, env = "JOB_POLL_MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub job_poll_ms: u64,
    /// Attempts before a job is dead (staff can retry a dead job).
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(i32).range(1..=100))]
    pub job_max_attempts: i32,
    /// Milliseconds before the first retry; each further one waits twice as long (at most an hour), less up to half at random.
    #[arg(long, env = "JOB_RETRY_BASE_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub job_retry_base_ms: u64,
    /// Days finished jobs are kept (visible in `GET /api/v1/jobs`).
    #[arg(long, env = "JOB_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub job_retention_days: u64,
    /// Seconds a worker may take to finish its job on SIGINT/SIGTERM before the job goes back to the queue.
    #[arg(long, env = "JOB_SHUTDOWN_GRACE", default_value_t = 30)]
    pub job_shutdown_grace: u64,
    /// SMTP server for notifications: smtp://host:25, smtp://user:pass@host:587?tls=required,
    /// smtps://user:pass@host:465. Unset in development: mails are written to MAIL_DIR; in production
    /// it is required unless NOTIFICATIONS_DISABLED is set.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Seconds an SMTP exchange may take before the attempt fails.
    #[arg(long, env = "SMTP_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub smtp_timeout_seconds: u64,
    /// The sender of every notification.
    #[arg(long, env = "MAIL_FROM", default_value = "promostore <no-reply@promostore.localhost>")]
    pub mail_from: String,
    /// Where mails are written as .eml files when SMTP_URL is not set (development).
    #[arg(long, env = "MAIL_DIR", default_value = ".data/mail")]
    pub mail_dir: std::path::PathBuf,
    /// Send no notifications: mail jobs end without sending (their history says so nowhere).
    #[arg(long, env = "NOTIFICATIONS_DISABLED")]
    pub notifications_disabled: bool,
}

impl Jobs {
    /// The worker settings.
    pub fn settings(&self) -> server::worker::Settings {
        server::worker::Settings {
            count: self.workers,
            lease: std::time::Duration::from_secs(self.job_lease_seconds),
            poll: std::time::Duration::from_millis(self.job_poll_ms),
            retry: domain::job::RetryPolicy {
                max_attempts: self.job_max_attempts,
                base: std::time::Duration::from_millis(self.job_retry_base_ms),
                ..domain::job::RetryPolicy::default()
            },
            retention: std::time::Duration::from_secs(self.job_retention_days.saturating_mul(86_400)),
            grace: std::time::Duration::from_secs(self.job_shutdown_grace),
        }
    }

    /// Where mail goes, or `None` when notifications are disabled; an unset
    /// SMTP_URL is an error in production (mail would silently go nowhere).
    pub fn sink(&self, env: Environment) -> anyhow::Result<Option<server::mail::Sink>> {
        if self.notifications_disabled {
            return Ok(None);
        }
        // An empty SMTP_URL (a compose file passing an unset variable through) is unset.
        let smtp_url = self.smtp_url.as_ref().filter(|u| !u.trim().is_empty());
        match (smtp_url, env) {
            (Some(url), _) => Ok(Some(server::mail::Sink::Smtp {
                url: url.clone(),
                timeout: std::time::Duration::from_secs(self.smtp_timeout_seconds),
            })),
            (None, Environment::Development) => Ok(Some(server::mail::Sink::Files(self.mail_dir.clone()))),
            (None, Environment::Production) => anyhow::bail!(
                "SMTP_URL is required when PROMOSTORE_ENV=production (set NOTIFICATIONS_DISABLED=true to send no mail)"
            ),
        }
    }
}

impl Serve {
    /// The configured signing secret: `Some` when `JWT_SECRET` is set, `None`
    /// when the server is to use the one it generated and keeps in the
    /// database (development only), or one clear error line.
    pub fn secret(&self, env: Environment) -> anyhow::Result<Option<String>> {
        match (&self.jwt_secret, env) {
            (Some(s), _) if s.len() >= 32 => Ok(Some(s.clone())),
            (Some(_), _) => anyhow::bail!("JWT_SECRET must be at least 32 bytes"),
            (None, Environment::Development) => Ok(None),
            (None, Environment::Production) => anyhow::bail!("JWT_SECRET is required when PROMOSTORE_ENV=production"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct JobsOnly {
        #[command(flatten)]
        jobs: Jobs,
    }

    fn jobs(args: &[&str]) -> Jobs {
        <JobsOnly as clap::Parser>::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .map(|j| j.jobs)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn production_needs_an_smtp_server_or_mail_switched_off() {
        let err = jobs(&[]).sink(Environment::Production).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("SMTP_URL is required"), "{err}");
        assert!(jobs(&["--smtp-url", " "]).sink(Environment::Production).is_err(), "an empty URL is no URL");
        assert!(matches!(jobs(&["--notifications-disabled"]).sink(Environment::Production), Ok(None)));
        assert!(matches!(
            jobs(&["--smtp-url", "smtp://mail:25"]).sink(Environment::Production),
            Ok(Some(server::mail::Sink::Smtp { .. }))
        ));
        assert!(matches!(jobs(&[]).sink(Environment::Development), Ok(Some(server::mail::Sink::Files(_)))));
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(Redacted("postgres://u:secret@h:5432/db").to_string(), "postgres://u:***@h:5432/db");
        assert_eq!(Redacted("postgres://u@h/db").to_string(), "postgres://u@h/db");
        assert_eq!(Redacted("redis://127.0.0.1:6379").to_string(), "redis://127.0.0.1:6379");
    }
}
