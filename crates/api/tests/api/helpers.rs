//! The test application and its fixtures.

use api::{ApiConfig, AppState};
use domain::Role;
use domain::organization::{AccountFields, DistributorFields};
use poem::EndpointExt;
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, Method, StatusCode};
use poem::test::TestClient;
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::time::Duration;
use storage::Cache;
use storage::accounts::NewAccount;

/// The password every fixture account gets.
pub const PASSWORD: &str = "correct-horse-battery";

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body parsed as JSON, `null` when it is not JSON.
    pub body: Value,
    /// The body as text (lossy), for messages and text assertions.
    pub text: String,
    /// The body exactly as sent.
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn new(status: StatusCode, headers: HeaderMap, bytes: Vec<u8>) -> Resp {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text, bytes }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and, for errors, the problem+json shape.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        if status >= 400 {
            assert_eq!(self.header("content-type"), Some("application/problem+json"), "{}", self.text);
            assert_eq!(self.body["status"], status, "{}", self.text);
            assert!(self.body["type"].as_str().is_some_and(|t| t.starts_with("/problems/")), "{}", self.text);
            assert!(self.body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{}", self.text);
        }
        self
    }
}

pub struct TestApp {
    pub pool: PgPool,
    pub state: AppState,
    client: TestClient<BoxEndpoint<'static, poem::Response>>,
    /// The statements the application sent to the database, when it talks to
    /// it through a counting proxy ([`TestApp::counted`]).
    pub statements: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
}

/// A unique key prefix, so tests sharing one Redis never see each other's keys.
fn prefix() -> String {
    format!("test:{}:", uuid_like())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}-{nanos}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// The real Redis; `make test` always provides one.
pub async fn redis_cache() -> Cache {
    let url = std::env::var("REDIS_URL").expect("REDIS_URL must point at a Redis server (make test starts one)");
    Cache::redis(&url, &prefix()).await.expect("Redis is reachable")
}

impl TestApp {
    pub async fn new(pool: PgPool) -> TestApp {
        Self::with_config(pool, ApiConfig::default()).await
    }

    pub async fn with_config(pool: PgPool, config: ApiConfig) -> TestApp {
        Self::assemble(pool, redis_cache().await, config)
    }

    /// The application on a cache of the test's choosing (a Redis behind a
    /// proxy the test can cut).
    pub async fn with_cache(pool: PgPool, cache: Cache) -> TestApp {
        Self::assemble(pool, cache, ApiConfig::default())
    }

    fn assemble(pool: PgPool, cache: Cache, config: ApiConfig) -> TestApp {
        let state = AppState::new(pool.clone(), cache, config, None);
        Self::from_state(pool, state)
    }

    /// The application on a state of the test's choosing (a read replica);
    /// `pool` is the test's own.
    pub fn from_state(pool: PgPool, state: AppState) -> TestApp {
        let app = api::app(state.clone()).map_to_response().boxed();
        TestApp { pool, state, client: TestClient::new(app), statements: None }
    }

    /// The application talking to the test's database through a proxy that
    /// counts every statement it sends ([`crate::wire`]); `pool` (direct)
    /// stays the test's own, uncounted.
    pub async fn counted(pool: PgPool) -> TestApp {
        Self::counted_with_config(pool, ApiConfig::default()).await
    }

    /// [`TestApp::counted`] with a configuration of the test's choosing.
    pub async fn counted_with_config(pool: PgPool, config: ApiConfig) -> TestApp {
        let options = pool.connect_options().as_ref().clone();
        let upstream = format!("{}:{}", options.get_host(), options.get_port());
        let proxy = crate::wire::CountingProxy::start(upstream).await;
        let through = options.host("127.0.0.1").port(proxy.addr.port()).ssl_mode(sqlx::postgres::PgSslMode::Disable);
        // No ping before each acquire: it would be counted as a statement.
        let app_pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(through)
            .await
            .expect("the counting proxy reaches the database");
        let mut app = Self::assemble(app_pool, redis_cache().await, config);
        app.pool = pool;
        app.statements = Some(proxy.statements);
        app
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, path);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.content_type("application/json").body(b.to_string());
        }
        let resp = req.send().await;
        let status = resp.0.status();
        let headers = resp.0.headers().clone();
        Resp::new(status, headers, resp.0.into_body().into_vec().await.expect("body"))
    }

    /// A GET whose body is kept as bytes (a gzip-compressed one, say).
    pub async fn get_raw(&self, path: &str, token: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = self.client.get(path).header("Authorization", format!("Bearer {token}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await;
        let status = resp.0.status();
        let headers = resp.0.headers().clone();
        (status, headers, resp.0.into_body().into_vec().await.expect("body"))
    }

    /// A GET whose response is handed over unread, its body still streaming.
    pub async fn request_streamed(&self, path: &str, token: &str) -> poem::Response {
        self.client.get(path).header("Authorization", format!("Bearer {token}")).send().await.0
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), &[], None).await
    }

    pub async fn get_with(&self, path: &str, token: &str, headers: &[(&str, &str)]) -> Resp {
        self.request(Method::GET, path, Some(token), headers, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.request(Method::POST, path, token, &[], Some(body)).await
    }

    pub async fn login_as(&self, username: &str, password: &str) -> Resp {
        self.post("/api/v1/auth/login", None, serde_json::json!({"username": username, "password": password})).await
    }

    /// Logs in and returns (access token, refresh token).
    pub async fn login(&self, username: &str) -> (String, String) {
        let r = self.login_as(username, PASSWORD).await;
        r.expect(200);
        (r.body["access_token"].as_str().unwrap().to_owned(), r.body["refresh_token"].as_str().unwrap().to_owned())
    }

    pub async fn distributor(&self, name: &str) -> i64 {
        let fields = DistributorFields {
            name: name.to_owned(),
            email: format!("info@{}.example", name.to_lowercase()),
            address: "Main St 1".into(),
            ow_cost: Decimal::ZERO,
            campaign_cost: Decimal::ZERO,
            transaction_cost: Decimal::ZERO,
            max_sales_count: 5,
        };
        storage::distributors::insert(&self.pool, &fields).await.expect("distributor")
    }

    /// An account with [`PASSWORD`]; hashing once per test binary keeps tests fast.
    pub async fn account(&self, username: &str, role: Role, distributor_id: Option<i64>) -> i64 {
        static HASH: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| domain::password::hash(PASSWORD).expect("hash"));
        let fields = AccountFields {
            email: format!(
                "{}@example.com",
                username.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            ),
            first_name: "First".into(),
            last_name: "Last".into(),
            role,
            active: true,
            reports_enabled: false,
        };
        storage::accounts::insert(
            &self.pool,
            &NewAccount { username, password_hash: &HASH, distributor_id, fields: &fields },
        )
        .await
        .expect("account")
    }

    pub async fn count(&self, table: &str) -> i64 {
        // Table names here are test constants, never client text.
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }
}

/// Asserts that `r`'s ETag is the representation tag of `version_tag`
/// (`"model-id-version"`): that tag with a digest of the selection, so two
/// masks of one version never share a tag.
#[track_caller]
pub fn assert_etag(r: &Resp, version_tag: &str) {
    let tag = r.header("etag").unwrap_or_default();
    let base = version_tag.strip_suffix('"').unwrap_or(version_tag);
    let digest = tag.strip_prefix(base).and_then(|rest| rest.strip_prefix('-')).and_then(|rest| rest.strip_suffix('"'));
    assert!(
        digest.is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_hexdigit())),
        "ETag {tag:?} is not {version_tag} with a selection digest"
    );
}

/// Offers a new product of distributor `d` in `campaign` (one variant,
/// one frozen item priced 6.31), with file `image` as its image when
/// given, as the catalog would; returns the item's id. Each call makes a
/// product of its own.
pub async fn offer_product(pool: &PgPool, d: i64, campaign: i64, image: Option<i64>) -> i64 {
    sqlx::query_scalar(
        "WITH n AS (SELECT 'OFFER-' || nextval('order_number_seq') AS k), \
              s AS (INSERT INTO vendors (distributor_id, name, email, address, is_supplier) \
                    SELECT $1, 'Supplier ' || n.k, 's@vendor.example', '1 Way', TRUE FROM n RETURNING id), \
              t AS (INSERT INTO product_types (distributor_id, name) SELECT $1, 'Type ' || n.k FROM n RETURNING id), \
              p AS (INSERT INTO products (distributor_id, product_type_id, name, item_number, description) \
                    SELECT $1, t.id, 'Tee ' || n.k, n.k, 'cotton' FROM t, n RETURNING id), \
              img AS (INSERT INTO product_images (product_id, resource_id, distributor_id, position) \
                      SELECT p.id, $3, $1, 0 FROM p WHERE $3::int8 IS NOT NULL), \
              x AS (INSERT INTO product_variants (distributor_id, product_id, supplier_id, vendor_cost, value_ids, sku) \
                    SELECT $1, p.id, s.id, 4.10, ARRAY[]::int8[], n.k FROM p, s, n RETURNING id) \
         INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, sku, \
                                     product_id, product_name, product_type_name, item_number, description, \
                                     attributes, supplier_id, supplier_name, supplier_email, supplier_address, \
                                     total, price, frozen_at) \
         SELECT $2, $1, x.id, 4.10, 35, n.k, p.id, 'Tee ' || n.k, 'Type ' || n.k, n.k, 'cotton', \
                '[]'::jsonb, s.id, 'Supplier ' || n.k, 's@vendor.example', '1 Way', 4.10, 6.31, now() \
         FROM x, p, s, n RETURNING id",
    )
    .bind(d)
    .bind(campaign)
    .bind(image)
    .fetch_one(pool)
    .await
    .expect("offered product")
}

/// A config with short windows for rate-limit tests.
pub fn config_with_login_limit(max: i64) -> ApiConfig {
    ApiConfig { login_max_failures: max, login_window: Duration::from_secs(60), ..ApiConfig::default() }
}

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Two distributors with one account of each role, the usual fixture. Each
/// distributor also runs one active campaign, open from 30 days ago to 30
/// days from now, whose members are its shopper and admin buyer (shoppers can
/// log in only while such a campaign is open).
pub struct World {
    pub acme: i64,
    #[allow(dead_code, reason = "kept for tests that need the second distributor")]
    pub globex: i64,
    /// Acme's open campaign ("Acme Store").
    pub acme_campaign: i64,
    /// Globex's open campaign ("Globex Store").
    pub globex_campaign: i64,
}

impl World {
    pub async fn build(app: &TestApp) -> World {
        let acme = app.distributor("Acme").await;
        let globex = app.distributor("Globex").await;
        app.account("root", Role::SuperAdmin, None).await;
        let mut campaigns = Vec::new();
        for (prefix, d) in [("acme", acme), ("globex", globex)] {
            app.account(&format!("{prefix}_manager"), Role::DistributorManager, Some(d)).await;
            app.account(&format!("{prefix}_sales"), Role::SalesExecutive, Some(d)).await;
            let buyer = app.account(&format!("{prefix}_buyer"), Role::AdminBuyer, Some(d)).await;
            let shopper = app.account(&format!("{prefix}_shopper"), Role::Shopper, Some(d)).await;
            let name = format!("{}{} Store", prefix[..1].to_uppercase(), &prefix[1..]);
            campaigns.push(app.open_campaign(d, &name, &[buyer, shopper]).await);
        }
        World { acme, globex, acme_campaign: campaigns[0], globex_campaign: campaigns[1] }
    }
}

impl TestApp {
    /// Sets campaign settings directly (the Organization API is tested elsewhere).
    /// `assignments` are test constants, never client text.
    pub async fn configure(&self, campaign: i64, assignments: &str) {
        sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE campaigns SET {assignments} WHERE id = {campaign}")))
            .execute(&self.pool)
            .await
            .expect("campaign settings");
    }

    /// A vendor of distributor `d` with the named roles (`supplier`,
    /// `decorator`, `pick_pack`), inserted directly.
    pub async fn vendor(&self, d: i64, name: &str, roles: &[&str]) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO vendors (distributor_id, name, email, address, is_supplier, is_decorator, is_pick_pack) \
             VALUES ($1, $2, lower($2) || '@vendor.example', '1 Vendor Way', $3, $4, $5) RETURNING id",
        )
        .bind(d)
        .bind(name)
        .bind(roles.contains(&"supplier"))
        .bind(roles.contains(&"decorator"))
        .bind(roles.contains(&"pick_pack"))
        .fetch_one(&self.pool)
        .await
        .expect("vendor")
    }

    /// Offers a new product of distributor `d` in `campaign` (see [`offer_product`]).
    pub async fn offer_product(&self, d: i64, campaign: i64, image: Option<i64>) -> i64 {
        offer_product(&self.pool, d, campaign, image).await
    }

    /// An active campaign of distributor `d`, open from 30 days ago to 30 days
    /// from now (UTC), with `members`.
    pub async fn open_campaign(&self, d: i64, name: &str, members: &[i64]) -> i64 {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (distributor_id, name, company_name, status, start_date, end_date, message) \
             VALUES ($1, $2, 'Client Co', 'active', (now() AT TIME ZONE 'UTC')::date - 30, \
                     (now() AT TIME ZONE 'UTC')::date + 30, 'Welcome') RETURNING id",
        )
        .bind(d)
        .bind(name)
        .fetch_one(&self.pool)
        .await
        .expect("campaign");
        for m in members {
            sqlx::query("INSERT INTO campaign_members (campaign_id, account_id, distributor_id) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(m)
                .bind(d)
                .execute(&self.pool)
                .await
                .expect("member");
        }
        id
    }
}

impl TestApp {
    /// Sends raw bytes with a content type.
    pub async fn client_raw(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let resp = self.client.request(method, path).content_type(content_type).body(body).send().await;
        let status = resp.0.status();
        let headers = resp.0.headers().clone();
        Resp::new(status, headers, resp.0.into_body().into_vec().await.expect("body"))
    }

    /// Sends a request without a body; answers the headers and the body's
    /// bytes as they came (compressed ones included).
    pub async fn raw(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> (HeaderMap, Vec<u8>) {
        let mut req = self.client.request(method, path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await;
        let headers = resp.0.headers().clone();
        (headers, resp.0.into_body().into_vec().await.expect("body"))
    }
}

// ---- files and multipart bodies ---------------------------------------------------

/// The boundary of the multipart bodies [`multipart`] builds.
pub const BOUNDARY: &str = "promostore-test-boundary";

/// One multipart part: (name, file name, content type, bytes).
pub type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content_type, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(f) = file_name {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A unique, empty directory for one test's files.
pub fn temp_files_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "promostore-test-files-{}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every regular file under `dir`, recursively (temporary files included).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

pub async fn id_of(pool: &PgPool, username: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1").bind(username).fetch_one(pool).await.unwrap()
}

/// A TCP proxy in front of the real Redis that a test can cut, to see the
/// application with its cache gone (Redis itself stays up for the others).
pub struct RedisProxy {
    pub url: String,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl RedisProxy {
    pub async fn start() -> RedisProxy {
        let upstream = std::env::var("REDIS_URL").expect("REDIS_URL (make test sets it)");
        let target = upstream.trim_start_matches("redis://").trim_end_matches('/').to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let url = format!("redis://{}", listener.local_addr().expect("address"));
        let tasks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let held = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                held.lock().expect("tasks").push(pipe);
            }
        });
        tasks.lock().expect("tasks").push(accept);
        RedisProxy { url, tasks }
    }

    /// Stops listening and drops every open connection: Redis is gone.
    pub fn cut(&self) {
        for task in self.tasks.lock().expect("tasks").drain(..) {
            task.abort();
        }
    }
}
