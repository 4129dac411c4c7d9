//! Two `promostore serve` processes on one database and one Redis act as one
//! service: they share the storefront's cached catalog pages (a catalog
//! change made through one is seen through the other on the very next
//! request), a logout or a password change through one revokes the tokens on
//! the other at once, the failed-login limit counts the attempts made on
//! both, and an `Idempotency-Key` in flight on one is a 409 on the other and
//! replays the same response on either once done.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

use serde_json::{Value, json};
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `DATABASE_URL` pointed at the test's own database.
fn url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL (make test sets it)");
    let db = pool.connect_options().get_database().unwrap_or_default().to_owned();
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    format!("{server}/{db}")
}

/// A Redis key prefix of this test alone: its own database's name (unique
/// among the databases alive now), the process and the time, so neither a
/// concurrent test nor a rerun within a counter's window shares its keys
/// (the failed-login counters are per account id and client address, and
/// every test database has the same demo accounts).
fn prefix_of(pool: &PgPool) -> String {
    let db = pool.connect_options().get_database().unwrap_or_default().to_owned();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("test:two-servers:{db}:{}:{nanos}:", std::process::id())
}

/// The failed-login limit per account the servers run with
/// (`LOGIN_MAX_FAILURES`, set explicitly so an inherited environment cannot
/// change it), in a window far longer than the test.
const LOGIN_MAX_FAILURES: usize = 5;

/// A `serve` process, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(database: &str, prefix: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_promostore"))
        .arg("serve")
        .env("DATABASE_URL", database)
        .env("REDIS_URL", std::env::var("REDIS_URL").expect("REDIS_URL (make test sets it)"))
        .env("CACHE_PREFIX", prefix)
        .env("JWT_SECRET", "two-servers-test-secret-two-servers-test-secret")
        .env("LOGIN_MAX_FAILURES", LOGIN_MAX_FAILURES.to_string())
        .env("LOGIN_WINDOW", "900")
        .env("LOGIN_ADDRESS_MAX_FAILURES", "50")
        .env_remove("TRUST_FORWARDED_FOR")
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("WORKERS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    for _ in 0..300 {
        if let Ok((200, _, _)) = call(port, "GET", "/ready", None, None).await {
            return server;
        }
        // Polling a process start-up: there is nothing to wait on but the port.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server on port {port} did not become ready");
}

/// One HTTP/1.0 exchange (the server closes the connection after it, so the
/// body is whatever follows the headers).
async fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> std::io::Result<(u16, String, Value)> {
    call_with(port, method, path, token, &[], body).await
}

/// [`call`] with extra request headers.
async fn call_with(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> std::io::Result<(u16, String, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut extra = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    for (name, value) in headers {
        extra.push_str(&format!("{name}: {value}\r\n"));
    }
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{extra}Content-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, head.to_owned(), serde_json::from_str(body).unwrap_or(Value::Null)))
}

async fn login(port: u16, username: &str, password: &str) -> String {
    let (status, _, body) =
        call(port, "POST", "/api/v1/auth/login", None, Some(json!({"username": username, "password": password})))
            .await
            .unwrap();
    assert_eq!(status, 200, "login {username}: {body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// A login attempt's status and body, whatever it is.
async fn try_login(port: u16, username: &str, password: &str) -> (u16, String, Value) {
    call(port, "POST", "/api/v1/auth/login", None, Some(json!({"username": username, "password": password})))
        .await
        .unwrap()
}

/// The value of response header `name` (case-insensitive), or "".
fn header(head: &str, name: &str) -> String {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn etag(head: &str) -> String {
    header(head, "etag")
}

/// `GET /auth/me` with `token` on `port`: the status, and the body.
/// How late a revocation made through one process may reach another: the
/// pub/sub delivery to its mirror (README, "Running several instances").
/// Well under a millisecond on an idle machine; the bound leaves room for a
/// loaded CI machine, where the receiving task can wait to be scheduled.
const REVOCATION_BOUND: Duration = Duration::from_secs(1);

/// Polls `GET /auth/me` on `port` until the token is refused or
/// [`REVOCATION_BOUND`] passes; the last answer.
async fn refused_within_the_bound(port: u16, token: &str) -> (u16, Value) {
    let started = std::time::Instant::now();
    loop {
        let (status, body) = me(port, token).await;
        if status == 401 || started.elapsed() > REVOCATION_BOUND {
            return (status, body);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn me(port: u16, token: &str) -> (u16, Value) {
    let (status, _, body) = call(port, "GET", "/api/v1/auth/me", Some(token), None).await.unwrap();
    (status, body)
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_change_through_one_server_shows_through_the_other_at_once(pool: PgPool) {
    seeders::demo(&pool).await.unwrap();
    let database = url_of(&pool);
    let prefix = prefix_of(&pool);
    let a = serve(&database, &prefix).await;
    let b = serve(&database, &prefix).await;

    let (campaign, product): (i64, i64) = sqlx::query_as(
        "SELECT c.id, (SELECT min(i.product_id) FROM campaign_items i WHERE i.campaign_id = c.id) \
         FROM campaigns c JOIN distributors d ON d.id = c.distributor_id \
         WHERE d.name = 'Acme Promo' AND c.status = 'active' ORDER BY c.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let shopper = login(a.port, "acme.shopper1", "shopper-demo").await;
    let url = format!("/api/v1/storefront/campaigns/{campaign}/products?page_size=100");

    let (status, head_a, page_a) = call(a.port, "GET", &url, Some(&shopper), None).await.unwrap();
    assert_eq!(status, 200, "{page_a}");
    // B serves the page A built (from Redis): the same body and validator.
    let (status, head_b, page_b) = call(b.port, "GET", &url, Some(&shopper), None).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(page_b, page_a);
    assert_eq!(etag(&head_b), etag(&head_a));
    assert!(!etag(&head_a).is_empty());

    // A manager renames a product through B; A shows it on the next request.
    let manager = login(b.port, "manager", "manager-demo").await;
    let (status, _, renamed) = call(
        b.port,
        "PATCH",
        &format!("/api/v1/catalog/products/{product}"),
        Some(&manager),
        Some(json!({"name": "Renamed Through B"})),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{renamed}");
    let (status, head, page) = call(a.port, "GET", &url, Some(&shopper), None).await.unwrap();
    assert_eq!(status, 200);
    assert_ne!(etag(&head), etag(&head_a));
    let names: Vec<&str> = page.as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(names.contains(&"Renamed Through B"), "{names:?}");
}

/// Two servers on the test's database and a Redis prefix of its own.
async fn two_servers(pool: &PgPool) -> (Server, Server) {
    seeders::demo(pool).await.unwrap();
    let (database, prefix) = (url_of(pool), prefix_of(pool));
    (serve(&database, &prefix).await, serve(&database, &prefix).await)
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_logout_through_one_server_is_refused_by_the_other_within_the_bound(pool: PgPool) {
    let (a, b) = two_servers(&pool).await;
    let (status, _, session) = try_login(a.port, "manager", "manager-demo").await;
    assert_eq!(status, 200, "{session}");
    let token = session["access_token"].as_str().unwrap();
    let refresh = session["refresh_token"].as_str().unwrap();
    // Another session of the same account, which this logout leaves alone.
    let other = login(b.port, "manager", "manager-demo").await;
    // B has accepted the token before, so whatever it keeps of a checked
    // token or of the account is warm when the logout happens.
    let (status, body) = me(b.port, token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["username"], "manager");

    let (status, _, body) = call(a.port, "POST", "/api/v1/auth/logout", Some(token), None).await.unwrap();
    assert_eq!(status, 204, "{body}");

    // A refuses the token at once; B within the bound of the pub/sub
    // delivery to its mirror (then for good: see the checks below).
    let (status, body) = me(a.port, token).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = refused_within_the_bound(b.port, token).await;
    assert_eq!(status, 401, "B accepted a token logged out through A: {body}");
    assert!(body["detail"].as_str().unwrap().contains("revoked"), "{body}");
    // The session's refresh token is dead on B too.
    let (status, _, body) =
        call(b.port, "POST", "/api/v1/auth/refresh", None, Some(json!({"refresh_token": refresh}))).await.unwrap();
    assert_eq!(status, 401, "B refreshed a session logged out through A: {body}");
    // The account's other session lives on, on both.
    assert_eq!(me(b.port, &other).await.0, 200);
    assert_eq!(me(a.port, &other).await.0, 200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_password_change_through_one_server_revokes_the_other_sessions_on_the_other(pool: PgPool) {
    let (a, b) = two_servers(&pool).await;
    let changer = login(a.port, "manager", "manager-demo").await;
    let other = login(b.port, "manager", "manager-demo").await;
    for token in [&changer, &other] {
        let (status, body) = me(b.port, token).await;
        assert_eq!(status, 200, "{body}");
    }

    let new_password = "a brand new passphrase 42";
    let (status, _, body) = call(
        a.port,
        "PUT",
        "/api/v1/auth/password",
        Some(&changer),
        Some(json!({"current_password": "manager-demo", "new_password": new_password})),
    )
    .await
    .unwrap();
    assert_eq!(status, 204, "{body}");

    // The other session is refused by A at once, and by B within the bound
    // of the pub/sub delivery to its mirror.
    assert_eq!(me(a.port, &other).await.0, 401);
    let (status, body) = refused_within_the_bound(b.port, &other).await;
    assert_eq!(status, 401, "B accepted a session revoked by a password change through A: {body}");
    assert!(body["detail"].as_str().unwrap().contains("revoked"), "{body}");
    assert_eq!(me(a.port, &other).await.0, 401);
    // The session that changed the password stays logged in on both.
    let (status, body) = me(b.port, &changer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(me(a.port, &changer).await.0, 200);
    // B checks the new password, not the old one.
    assert_eq!(try_login(b.port, "manager", "manager-demo").await.0, 401);
    login(b.port, "manager", new_password).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn failed_logins_on_both_servers_count_toward_one_limit(pool: PgPool) {
    let (a, b) = two_servers(&pool).await;
    // Alternate: A takes failures 1, 3 and 5, B 2 and 4. Each is still
    // checked (401), the last one included: the limit is not reached early.
    for n in 0..LOGIN_MAX_FAILURES {
        let (name, port) = if n % 2 == 0 { ("A", a.port) } else { ("B", b.port) };
        let (status, _, body) = try_login(port, "admin", "not the password").await;
        assert_eq!(status, 401, "failure {} (on {name}): {body}", n + 1);
    }
    // Neither server has seen the limit on its own (A 3, B 2 of 5); together
    // they have, and both refuse the account before checking the password,
    // even the right one.
    for (name, port) in [("B", b.port), ("A", a.port)] {
        let (status, head, body) = try_login(port, "admin", "admin").await;
        assert_eq!(status, 429, "{name} let the account in after {LOGIN_MAX_FAILURES} failures on both: {body}");
        assert_eq!(body["status"], 429, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("too many failed logins"), "{body}");
        let retry_after: u64 = header(&head, "retry-after").parse().expect("a Retry-After in seconds");
        assert!((1..=900).contains(&retry_after), "Retry-After: {retry_after}");
    }
    // The lock is the account's: another account of the same client address
    // logs in on either server.
    login(a.port, "manager", "manager-demo").await;
    login(b.port, "manager", "manager-demo").await;
}

type Pending = tokio::task::JoinHandle<(u16, String, Value)>;

/// A request sent in the background.
fn send(
    port: u16,
    method: &'static str,
    path: &str,
    token: &str,
    headers: &'static [(&str, &str)],
    body: Value,
) -> Pending {
    let (path, token) = (path.to_owned(), token.to_owned());
    tokio::spawn(async move { call_with(port, method, &path, Some(&token), headers, Some(body)).await.unwrap() })
}

/// How many sessions of the test's database wait on a lock. (A second
/// request for a row that the test holds waits behind the first one, so
/// it is blocked by that request's session, not by the test's.)
async fn waiting(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Waits until `request` waits on a lock (then `count` sessions do); panics
/// if it ends first. No sleeping: each round is one query, and a request
/// reaches the lock within milliseconds.
async fn wait_until_blocked(pool: &PgPool, count: i64, request: &Pending) {
    for _ in 0..20_000 {
        if waiting(pool).await >= count {
            return;
        }
        assert!(!request.is_finished(), "the request ended instead of waiting on the lock");
        tokio::task::yield_now().await;
    }
    panic!("the request never waited on the lock");
}

/// Waits until `request` ends while no more than `count` sessions wait on
/// a lock; panics if one more does (the request ran into the lock instead
/// of being answered without it).
async fn wait_unblocked(pool: &PgPool, count: i64, request: Pending) -> (u16, String, Value) {
    while !request.is_finished() {
        assert!(waiting(pool).await <= count, "the request ran, and waits on the lock");
        tokio::task::yield_now().await;
    }
    request.await.unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn an_idempotency_key_in_flight_on_one_server_is_a_conflict_on_the_other(pool: PgPool) {
    let (a, b) = two_servers(&pool).await;
    let (shopper_id, campaign, item): (i64, i64, i64) = sqlx::query_as(
        "SELECT s.id, c.id, (SELECT min(i.id) FROM campaign_items i WHERE i.campaign_id = c.id) \
         FROM accounts s JOIN campaign_members m ON m.account_id = s.id JOIN campaigns c ON c.id = m.campaign_id \
         WHERE s.username = 'acme.shopper1' AND c.status = 'active' \
           AND c.start_date <= (now() AT TIME ZONE 'UTC')::date AND c.end_date >= (now() AT TIME ZONE 'UTC')::date \
           AND EXISTS (SELECT 1 FROM campaign_items i WHERE i.campaign_id = c.id) \
         ORDER BY c.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // Whatever the demo drew, a checkout of one item passes: no checkout
    // fields to fill, no limits, and the shopper pays past the allowance.
    sqlx::query(
        "UPDATE campaigns SET checkout_fields = '[]', items_count_limit = NULL, price_limit = NULL, \
         personal_pay = TRUE WHERE id = $1",
    )
    .bind(campaign)
    .execute(&pool)
    .await
    .unwrap();
    let shopper = login(a.port, "acme.shopper1", "shopper-demo").await;
    let basket = format!("/api/v1/storefront/campaigns/{campaign}/basket");
    let (status, _, body) = call(a.port, "DELETE", &basket, Some(&shopper), None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, _, body) =
        call(a.port, "PUT", &format!("{basket}/items/{item}"), Some(&shopper), Some(json!({"quantity": 1})))
            .await
            .unwrap();
    assert_eq!(status, 200, "{body}");
    let orders = || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM orders WHERE account_id = $1")
            .bind(shopper_id)
            .fetch_one(&pool)
    };
    let orders_before = orders().await.unwrap();

    // Hold the shopper's basket row, which every checkout of theirs locks
    // first: a checkout through A claims the key and then waits here.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM baskets WHERE account_id = $1 AND campaign_id = $2 FOR UPDATE")
        .bind(shopper_id)
        .bind(campaign)
        .fetch_one(&mut *holder)
        .await
        .unwrap();

    const KEY: (&str, &str) = ("Idempotency-Key", "two-servers-checkout");
    let checkout = format!("/api/v1/storefront/campaigns/{campaign}/checkout");
    let first = send(a.port, "POST", &checkout, &shopper, &[KEY], json!({}));
    wait_until_blocked(&pool, 1, &first).await;
    // A's claim is stored and unfinished: the request is in flight.
    let stored: Option<i16> =
        sqlx::query_scalar("SELECT status FROM idempotency_keys WHERE account_id = $1 AND key = $2")
            .bind(shopper_id)
            .bind(KEY.1)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, None);

    // B answers the same request at once, without running it (it would
    // wait on the lock like A's).
    let second = send(b.port, "POST", &checkout, &shopper, &[KEY], json!({}));
    let (status, _, body) = wait_unblocked(&pool, 1, second).await;
    assert_eq!(status, 409, "B ran a request whose key is in flight on A: {body}");
    assert!(body["detail"].as_str().unwrap().contains("still in progress"), "{body}");
    // A is still waiting on the lock: the 409 was answered while in flight.
    assert!(!first.is_finished());

    holder.rollback().await.unwrap();
    let (status, head, order) = first.await.unwrap();
    assert_eq!(status, 201, "{order}");
    assert_eq!(header(&head, "idempotent-replayed"), "false");
    assert!(order["id"].as_i64().is_some(), "{order}");
    let request_id = header(&head, "x-request-id");
    assert!(!request_id.is_empty());

    // The same request replays A's response on either server.
    for (name, port) in [("B", b.port), ("A", a.port)] {
        let (status, replay_head, replay) =
            call_with(port, "POST", &checkout, Some(&shopper), &[KEY], Some(json!({}))).await.unwrap();
        assert_eq!(status, 201, "{name}: {replay}");
        assert_eq!(replay, order, "{name} replayed another body");
        assert_eq!(header(&replay_head, "idempotent-replayed"), "true", "{name}");
        assert_eq!(header(&replay_head, "location"), header(&head, "location"), "{name}");
        assert_eq!(etag(&replay_head), etag(&head), "{name}");
        assert_eq!(header(&replay_head, "idempotent-original-request-id"), request_id, "{name}");
    }
    assert_eq!(orders().await.unwrap(), orders_before + 1, "one order for one key");
}
