//! What the worker tests share: a real SMTP listener (aiosmtpd, which `make
//! test` installs), the received mails, worker processes, and waiting for
//! the queue; and, in [`cluster`], the private PostgreSQL clusters,
//! redis-servers and `serve` processes of the fault tests.

#![allow(dead_code, reason = "each test binary uses a part")]

pub mod cluster;

use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `DATABASE_URL` pointed at the test's own database.
pub fn url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL (make test sets it)");
    let db = pool.connect_options().get_database().unwrap_or_default().to_owned();
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    format!("{server}/{db}")
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A directory under `target/` for one test (cargo sets the test's working
/// directory to the crate).
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Polls `check` until it holds, or fails the test after `limit`. The queue
/// is asynchronous: there is nothing to wait on but its state.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The number of jobs in `state`.
pub async fn jobs_in(pool: &PgPool, state: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state = $1").bind(state).fetch_one(pool).await.unwrap()
}

/// Jobs not yet done or dead.
pub async fn unfinished(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state NOT IN ('done', 'dead')").fetch_one(pool).await.unwrap()
}

/// A real SMTP server (Python's aiosmtpd) delivering into a maildir; killed
/// when dropped.
pub struct Smtp {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// Starts a listener on `port` writing into `maildir`, and waits until it accepts.
    pub async fn start(port: u16, maildir: &Path) -> Smtp {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (make test installs it: scripts/test-deps.sh)");
        let smtp = Smtp { child, port, maildir: maildir.to_owned() };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not listen on {port}: is it installed? (python3 -m pip install aiosmtpd)"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        smtp
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<Mail> {
        received(&self.maildir)
    }
}

/// The messages in a maildir.
pub fn received(maildir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else { return Vec::new() };
    let mut mails: Vec<Mail> =
        entries.filter_map(Result::ok).map(|e| Mail::parse(&std::fs::read_to_string(e.path()).unwrap())).collect();
    mails.sort_by(|a, b| a.message_id.cmp(&b.message_id));
    mails
}

/// A received message: its headers and its decoded text.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    /// Both parts, quoted-printable decoded.
    pub body: String,
}

impl Mail {
    fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        // Unfold continuation lines.
        let head = head.replace("\n ", " ").replace("\n\t", " ");
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
                .unwrap_or_default()
                .to_owned()
        };
        let to = header("To").split(',').map(|a| address(a.trim())).filter(|a| !a.is_empty()).collect();
        Mail { to, subject: header("Subject"), message_id: header("Message-ID"), body: quoted_printable(body) }
    }
}

/// `Name <a@b>` → `a@b`.
fn address(s: &str) -> String {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].to_owned(),
        _ => s.to_owned(),
    }
}

/// Decodes quoted-printable (soft line breaks and `=XX`) as UTF-8.
fn quoted_printable(s: &str) -> String {
    let bytes = s.replace("=\n", "").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A `promostore worker` process, killed when dropped.
pub struct WorkerProcess {
    pub child: Child,
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `promostore worker` on the test's database with `env` on top of
/// quiet defaults; its `.eml` directory (unused with SMTP) is under `dir`.
pub fn worker_process(pool: &PgPool, dir: &Path, env: &[(&str, String)]) -> WorkerProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_promostore"));
    command
        .arg("worker")
        .current_dir(dir)
        .env("DATABASE_URL", url_of(pool))
        .env("DATABASE_MAX_CONNECTIONS", "4")
        .env("RUST_LOG", "warn")
        .env("JOB_POLL_MS", "20")
        .env_remove("SMTP_URL")
        .env_remove("WORKERS")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        command.env(k, v);
    }
    WorkerProcess { child: command.spawn().unwrap() }
}

/// In-process workers sending to `smtp_url`.
pub fn workers(pool: &PgPool, smtp_url: &str, settings: server::worker::Settings) -> server::worker::Workers {
    let sink = server::mail::Sink::Smtp { url: smtp_url.to_owned(), timeout: Duration::from_secs(10) };
    let mailer = server::mail::Mailer::new(&sink, "Acme Promo <orders@acme-promo.example>").unwrap();
    let context = server::worker::handlers::Context {
        pool: pool.clone(),
        mailer: Some(mailer),
        templates: std::sync::Arc::new(server::mail::templates::Templates::new().unwrap()),
    };
    server::worker::Workers::start(pool.clone(), context, settings)
}

/// Worker settings for tests: short polls, short leases, fast retries.
pub fn quick(count: usize) -> server::worker::Settings {
    server::worker::Settings {
        count,
        lease: Duration::from_secs(2),
        poll: Duration::from_millis(20),
        retry: domain::job::RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(20),
            cap: Duration::from_millis(200),
        },
        retention: Duration::from_secs(86_400),
        grace: Duration::from_secs(5),
    }
}
