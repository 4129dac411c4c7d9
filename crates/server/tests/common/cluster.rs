//! Private services for the fault tests: a PostgreSQL cluster (a primary, or
//! a streaming standby of one) and a redis-server that the test itself
//! starts, faults (restart, kill, pause replay) and removes when dropped,
//! also when the test panics; and `promostore serve` processes on them,
//! spoken to over HTTP/1.0.
//!
//! Nothing here touches the shared PostgreSQL or Redis: every service runs
//! on a free port of 127.0.0.1 in a directory of its own under the system's
//! temp dir. As root, the cluster runs as the `postgres` user (initdb
//! refuses root), like `scripts/dev-services.sh` does it.

use super::free_port;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A directory of its own under the system's temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("promostore-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        // Traversable by the `postgres` user when the cluster runs as it.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether this process runs as root (then PostgreSQL runs as `postgres`).
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The directory of initdb, pg_ctl and pg_basebackup: the highest
/// `/usr/lib/postgresql/<version>/bin` (as `.ci/run` picks it), else
/// `pg_config --bindir`.
pub fn pg_bindir() -> PathBuf {
    let usable = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    let mut versions: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version: Option<Vec<u32>> = name.split('.').map(|p| p.parse().ok()).collect();
            Some((version?, e.path().join("bin")))
        })
        .filter(|(_, bin)| usable(bin))
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let configured = Command::new("pg_config").arg("--bindir").output().ok().filter(|o| o.status.success());
    if let Some(out) = configured {
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if usable(&bin) {
            return bin;
        }
    }
    panic!("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or `pg_config --bindir`");
}

/// The last `lines` lines of a log file.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A private PostgreSQL cluster on 127.0.0.1:`port`, stopped (immediate)
/// and deleted when dropped.
pub struct Postgres {
    bin: PathBuf,
    as_postgres: bool,
    dir: TempDir,
    pub port: u16,
}

impl Postgres {
    /// A new primary with trust authentication (replication included, from
    /// 127.0.0.1), started.
    pub fn primary(name: &str) -> Postgres {
        let mut pg = Postgres::prepare(name);
        let data = pg.data();
        let data = data.to_str().unwrap();
        let init = |locale: &str| {
            pg.tool("initdb", &["-D", data, "--auth=trust", "-U", "postgres", "-E", "UTF8", locale, "--no-sync"])
        };
        let out = init("--locale=C.UTF-8");
        let out = if out.status.success() { out } else { init("--no-locale") };
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        // Read by the standby too (pg_basebackup copies it); the port is
        // given on the command line, so each cluster has its own.
        let settings = "\n# promostore fault tests\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
                        fsync = off\nwal_level = replica\nmax_wal_senders = 10\nhot_standby = on\n";
        let conf = pg.data().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(settings);
        std::fs::write(&conf, text).unwrap();
        pg.first_start();
        pg
    }

    /// A streaming standby of `primary` (`pg_basebackup -R`), started and
    /// accepting read-only connections.
    pub fn standby_of(primary: &Postgres, name: &str) -> Postgres {
        let mut pg = Postgres::prepare(name);
        let data = pg.data();
        let port = primary.port.to_string();
        let (data, host) = (data.to_str().unwrap(), "127.0.0.1");
        let args = ["-R", "-D", data, "-h", host, "-p", &port, "-U", "postgres", "-X", "stream", "--checkpoint=fast"];
        let out = pg.tool("pg_basebackup", &args);
        assert!(out.status.success(), "pg_basebackup failed: {}", String::from_utf8_lossy(&out.stderr));
        pg.first_start();
        pg
    }

    /// A directory the cluster's user owns, and a free port.
    fn prepare(name: &str) -> Postgres {
        let bin = pg_bindir();
        let as_postgres = is_root();
        let dir = TempDir::new(name);
        if as_postgres {
            let status = Command::new("chown").arg("postgres:").arg(dir.path()).status().unwrap();
            assert!(status.success(), "chown postgres: {} (is there a `postgres` user?)", dir.path().display());
        }
        Postgres { bin, as_postgres, dir, port: free_port() }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Runs a PostgreSQL program, as `postgres` when we are root.
    fn tool<S: AsRef<std::ffi::OsStr>>(&self, program: &str, args: &[S]) -> Output {
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(program));
            c
        } else {
            Command::new(self.bin.join(program))
        };
        command.args(args).current_dir(self.dir.path()).stdin(Stdio::null()).output().unwrap()
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data();
        let log = self.log();
        let mut all = vec!["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-w", "-t", "60"];
        all.extend_from_slice(args);
        let out = self.tool("pg_ctl", &all);
        assert!(
            out.status.success(),
            "pg_ctl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            tail(&self.log(), 20)
        );
    }

    /// Starts the cluster for the first time, on another free port when
    /// a parallel test took the one chosen in between.
    fn first_start(&mut self) {
        for _ in 0..3 {
            let out = self.tool("pg_ctl", self.start_args().as_slice());
            if out.status.success() {
                return;
            }
            assert!(
                self.log_tail(20).contains("could not bind"),
                "pg_ctl start failed: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.log_tail(20)
            );
            self.port = free_port();
        }
        panic!("no free port for PostgreSQL in three tries:\n{}", self.log_tail(20));
    }

    fn start_args(&self) -> Vec<String> {
        let (data, log) = (self.data(), self.log());
        ["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-w", "-t", "60", "start", "-o"]
            .into_iter()
            .map(str::to_owned)
            .chain([format!("-p {}", self.port)])
            .collect()
    }

    /// Starts the cluster again (after [`Postgres::stop`]) and waits until
    /// it accepts connections.
    pub fn start(&self) {
        let out = self.tool("pg_ctl", self.start_args().as_slice());
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_tail(20)
        );
    }

    /// `pg_ctl restart -m fast`: every session is cut, and the cluster is
    /// back (accepting connections) when this returns.
    pub fn restart(&self) {
        self.pg_ctl(&["restart", "-m", "fast"]);
    }

    /// `pg_ctl stop -m fast`.
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast"]);
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A small pool of the test's own on `database`.
    pub async fn pool(&self, database: &str) -> sqlx::PgPool {
        sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(&self.url(database)).await.unwrap()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log(), lines)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.tool("pg_ctl", &["-D", data.to_str().unwrap_or_default(), "stop", "-m", "immediate", "-w"]);
    }
}

/// A private redis-server (no persistence) on 127.0.0.1:`port`, killed and
/// deleted when dropped.
pub struct Redis {
    dir: TempDir,
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    pub async fn start(name: &str) -> Redis {
        let mut redis = Redis { dir: TempDir::new(name), port: free_port(), child: None };
        // Another port when a parallel test took the one chosen in between.
        for _ in 0..3 {
            if redis.try_start().await {
                return redis;
            }
            redis.port = free_port();
        }
        panic!("no free port for redis-server in three tries: {}", tail(&redis.dir.path().join("redis.log"), 20));
    }

    /// Starts redis-server again on the same port, empty, and waits until it
    /// answers PING.
    pub async fn start_again(&mut self) {
        assert!(self.try_start().await, "redis-server did not start again: {}", self.log_tail());
    }

    fn log_tail(&self) -> String {
        tail(&self.dir.path().join("redis.log"), 20)
    }

    /// Starts redis-server and waits until it answers PING on `port`; false
    /// when it exits first (the port is taken).
    async fn try_start(&mut self) -> bool {
        assert!(self.child.is_none(), "redis-server is running already");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.dir.path().join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("redis-server on PATH");
        self.child = Some(child);
        let started = Instant::now();
        while !matches!(self.command(&["PING"]).await, Ok(Resp::Simple(ref s)) if s == "PONG") {
            if let Some(child) = &mut self.child
                && child.try_wait().unwrap().is_some()
            {
                self.child = None;
                return false;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "redis-server did not answer on {}: {}",
                self.port,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Ours, not another test's that took the port first.
        let pid = self.child.as_ref().map(Child::id).unwrap_or_default();
        let ours = matches!(self.command(&["INFO", "server"]).await,
            Ok(Resp::Bulk(Some(info))) if info.lines().any(|l| l.trim() == format!("process_id:{pid}")));
        if !ours {
            self.kill();
        }
        ours
    }

    /// Kills redis-server (SIGKILL, as a crash) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// One command over RESP, e.g. `["KEYS", "prefix*"]`.
    pub async fn command(&self, args: &[&str]) -> std::io::Result<Resp> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let mut request = format!("*{}\r\n", args.len());
        for a in args {
            request.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        stream.write_all(request.as_bytes()).await?;
        let mut reader = BufReader::new(stream);
        Box::pin(read_resp(&mut reader)).await
    }

    /// The keys matching `pattern`.
    pub async fn keys(&self, pattern: &str) -> Vec<String> {
        match self.command(&["KEYS", pattern]).await.unwrap() {
            Resp::Array(items) => items
                .into_iter()
                .filter_map(|i| match i {
                    Resp::Bulk(Some(k)) => Some(k),
                    _ => None,
                })
                .collect(),
            other => panic!("KEYS answered {other:?}"),
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Redis reply.
#[derive(Debug, PartialEq, Eq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<String>),
    Array(Vec<Resp>),
}

async fn read_resp(reader: &mut BufReader<TcpStream>) -> std::io::Result<Resp> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(1.min(line.len()));
    let number = || rest.parse::<i64>().map_err(|_| bad(line));
    Ok(match kind {
        "+" => Resp::Simple(rest.to_owned()),
        "-" => Resp::Error(rest.to_owned()),
        ":" => Resp::Int(number()?),
        "$" => match usize::try_from(number()?) {
            Err(_) => Resp::Bulk(None),
            Ok(len) => {
                let mut buf = vec![0; len + 2];
                reader.read_exact(&mut buf).await?;
                buf.truncate(len);
                Resp::Bulk(Some(String::from_utf8_lossy(&buf).into_owned()))
            }
        },
        "*" => {
            let mut items = Vec::new();
            for _ in 0..number()?.max(0) {
                items.push(Box::pin(read_resp(reader)).await?);
            }
            Resp::Array(items)
        }
        _ => return Err(bad(line)),
    })
}

/// The signing secret of every test server.
pub const JWT_SECRET: &str = "fault-tests-secret-fault-tests-secret-0123456789";

/// A `promostore serve` process, killed when dropped; its log (stderr) is
/// kept in a file and printed when the test fails.
pub struct Serve {
    pub child: Child,
    pub port: u16,
    dir: TempDir,
}

impl Serve {
    /// `promostore serve <args>` with quiet test defaults (no workers, no
    /// mail, a fixed JWT secret, its files in a directory of its own) and
    /// `env` on top, started with a clean environment; returns once
    /// `/health` answers.
    pub async fn start(args: &[&str], env: &[(&str, String)]) -> Serve {
        // Another port when a parallel test took the one chosen in between.
        for _ in 0..3 {
            if let Some(serve) = Serve::try_start(args, env).await {
                return serve;
            }
        }
        panic!("no free port for promostore serve in three tries");
    }

    /// [`Serve::start`] on a free port; `None` when the port was taken.
    async fn try_start(args: &[&str], env: &[(&str, String)]) -> Option<Serve> {
        let dir = TempDir::new("serve");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_promostore"));
        command
            .arg("serve")
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", JWT_SECRET)
            .env("WORKERS", "0")
            .env("NOTIFICATIONS_DISABLED", "true")
            .env("RUST_LOG", "warn")
            .env("LOG_FORMAT", "pretty")
            .env("FILES_DIR", dir.path().join("files"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().unwrap();
        let mut serve = Serve { child, port, dir };
        let started = Instant::now();
        loop {
            if let Some(status) = serve.child.try_wait().unwrap() {
                let log = serve.log_tail(30);
                if log.contains("Address already in use") {
                    return None;
                }
                panic!("promostore serve exited ({status}) before it served:\n{log}");
            }
            if let Ok(r) = call(port, "GET", "/health", None, &[], None).await
                && r.status == 200
            {
                return Some(serve);
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "promostore serve did not answer /health:\n{}",
                serve.log_tail(30)
            );
            // Polling a process start-up: there is nothing to wait on but the port.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends `signal` (e.g. `TERM`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args(["-s", signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -s {signal} {}", self.child.id());
    }

    /// Waits until the process exits or `limit` passes (`None` then).
    pub async fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if started.elapsed() >= limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.dir.path().join("serve.log"), lines)
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> std::io::Result<Reply> {
        call(self.port, method, path, token, headers, body).await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let r = self.call("POST", "/api/v1/auth/login", None, &[], Some(&body)).await.unwrap();
        assert_eq!(r.status, 200, "login {username}: {}", r.text);
        r.body["access_token"].as_str().unwrap().to_owned()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- promostore serve (port {}) log, last lines:\n{}", self.port, self.log_tail(40));
        }
    }
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub text: String,
    /// The body as JSON (`Null` when it is not).
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// One HTTP/1.0 exchange (the server closes the connection after it). An
/// error is a transport failure: refused, reset, or closed before a whole
/// response; a response arrived whole when this is `Ok`.
pub async fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> std::io::Result<Reply> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
        if let Some(t) = token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let request = format!("{head}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        let cut = |what: String| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what);
        let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Err(cut(format!("no whole response: {:?}", String::from_utf8_lossy(&raw))));
        };
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let body = &raw[end + 4..];
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        // A body shorter than its Content-Length was cut off.
        let length = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
        });
        if length.is_some_and(|n| body.len() < n) {
            return Err(cut(format!("{method} {path}: the body was cut off")));
        }
        let text = String::from_utf8_lossy(body).into_owned();
        Ok(Reply { status, head, body: serde_json::from_str(&text).unwrap_or(Value::Null), text })
    };
    match tokio::time::timeout(Duration::from_secs(30), exchange).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, format!("{method} {path}: no answer in 30 s"))),
    }
}
