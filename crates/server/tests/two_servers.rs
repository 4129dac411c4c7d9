//! Two `promostore serve` processes on one database and one Redis share the
//! storefront's cached catalog pages, and a catalog change made through one
//! is seen through the other on the very next request.

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
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n\
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

fn etag(head: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix("etag: ").or_else(|| l.strip_prefix("ETag: ")))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_change_through_one_server_shows_through_the_other_at_once(pool: PgPool) {
    seeders::demo(&pool).await.unwrap();
    let database = url_of(&pool);
    let prefix = format!("test:two-servers:{}:", std::process::id());
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
