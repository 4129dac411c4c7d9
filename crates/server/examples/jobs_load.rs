//! The load generator of `make bench` (bench/run.sh) for writes that are a
//! different request every time: distinct shoppers checking out their
//! prepared baskets (scenario `checkout`), staff approving distinct orders
//! or editing them (`order_transition`, `order_item_edit`). Each job runs
//! once, over keep-alive connections, as fast as the server answers.
//!
//! oha sends one request over and over; these need a request of their own
//! per job (its own caller, its own target, its own idempotency key), so
//! they need this small client. It signs the callers' tokens with the
//! server's `JWT_SECRET` (the benchmark sets it) instead of logging 10,000
//! shoppers in through argon2 first.
//!
//!   jobs_load <base-url> <jobs-file> <connections> <seconds> <success-status>
//!
//! Each line of the jobs file: `role account_id distributor_id METHOD path
//! body` (the body, JSON, is the rest of the line). Prints one JSON line in
//! the shape of the other scenarios' rows; `ok` counts the answers with the
//! success status.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark tool fails loudly")]

use domain::{Principal, Role};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

struct Job {
    token: String,
    method: String,
    path: String,
    body: String,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, jobs, connections, seconds, success] = &args[..] else {
        eprintln!("usage: jobs_load <base-url> <jobs-file> <connections> <seconds> <success-status>");
        std::process::exit(2);
    };
    let success: u16 = success.parse().expect("success status");
    let address = base.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let connections: usize = connections.parse().expect("connections");
    let deadline = Instant::now() + Duration::from_secs(seconds.parse().expect("seconds"));
    let secret = std::env::var("JWT_SECRET").expect("JWT_SECRET: the server's");
    let issuer = api::auth::tokens::TokenIssuer::new(secret.as_bytes(), Duration::from_secs(3600));
    let jobs: Vec<Job> = std::fs::read_to_string(jobs)
        .expect("jobs file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            // The body is the rest of the line: its values may hold spaces.
            let mut parts = line.splitn(6, ' ');
            let mut part = || parts.next().expect("a job has six parts").to_owned();
            let role: Role = part().parse().expect("a role");
            let account_id: i64 = part().parse().expect("an account id");
            let distributor_id: i64 = part().parse().expect("a distributor id");
            let (method, path, body) = (part(), part(), part());
            let who = Principal { account_id, role, distributor_id: Some(distributor_id) };
            let (token, _) = issuer.issue(&who, &format!("bench-{n}")).expect("token");
            Job { token, method, path, body }
        })
        .collect();
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (jobs, next, address) = (jobs.clone(), next.clone(), address.clone());
        workers.push(tokio::spawn(async move {
            let mut seen: Vec<(u16, Duration)> = Vec::new();
            let mut conn = BufReader::new(TcpStream::connect(&address).await.expect("connect"));
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(n) else { break };
                let request = format!(
                    "{} {} HTTP/1.1\r\nHost: {address}\r\n\
                     Authorization: Bearer {}\r\nIdempotency-Key: bench-{n}-{}\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                    job.method,
                    job.path,
                    job.token,
                    std::process::id(),
                    job.body.len(),
                    job.body
                );
                let sent = Instant::now();
                conn.get_mut().write_all(request.as_bytes()).await.expect("send");
                let status = read_response(&mut conn).await;
                seen.push((status, sent.elapsed()));
            }
            seen
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut codes: BTreeMap<u16, usize> = BTreeMap::new();
    for (status, _) in &all {
        *codes.entry(*status).or_default() += 1;
    }
    let mut latencies: Vec<Duration> = all.iter().map(|(_, d)| *d).collect();
    latencies.sort_unstable();
    let pct = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| (d.as_secs_f64() * 100_000.0).round() / 100.0)
    };
    let ok = all.iter().filter(|(s, _)| *s == success).count();
    println!(
        "{}",
        serde_json::json!({
            "requests_per_second": ((all.len() as f64 / elapsed) * 10.0).round() / 10.0,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "ok": ok, "errors": all.len() - ok,
            "status_codes": codes, "jobs": jobs.len(), "seconds": (elapsed * 100.0).round() / 100.0,
        })
    );
}

/// Reads one response (status line, headers, a `Content-Length` body) and
/// returns its status.
async fn read_response(conn: &mut BufReader<TcpStream>) -> u16 {
    let mut line = String::new();
    conn.read_line(&mut line).await.expect("status line");
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).await.expect("header");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await.expect("body");
    status
}
