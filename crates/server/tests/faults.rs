//! Faults under load (issue #16, item 5), each against a private PostgreSQL
//! cluster and redis-server the test starts, faults and removes
//! (`common::cluster`):
//!
//! - PostgreSQL restarted while shoppers check out: the same server process
//!   answers again within 5 s of the database being back; every 201 has its
//!   order and no key makes two; and the whole Idempotency-Key contract
//!   (every retried key ends in its 201, the database has exactly the 201s'
//!   orders, every key replays).
//! - Redis killed under storefront load: reads go on without a 5xx, a
//!   logout made before stays effective, `/ready` says degraded, and caching
//!   resumes when Redis is back, without a restart; a logout also outlives
//!   Redis coming back empty, and one made while Redis is down is done
//!   (204, revoked in the database) and holds.
//! - SIGTERM: requests in flight finish, new connections are refused, and
//!   the process exits within SHUTDOWN_TIMEOUT, also when a request would
//!   outlast it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use common::cluster::{Postgres, Redis, Reply, Serve};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SHOPPERS: [&str; 3] = ["acme.shopper1", "acme.shopper2", "acme.shopper3"];
const SHOPPER_PASSWORD: &str = "shopper-demo";

/// Starts `promostore serve --migrate --seed-if-empty` on the cluster's
/// `promostore` database (created by the server), with `env` on top.
async fn serve_demo(pg: &Postgres, env: &[(&str, String)]) -> Serve {
    let mut all = vec![("DATABASE_URL", pg.url("promostore"))];
    all.extend(env.iter().cloned());
    Serve::start(&["--migrate", "--seed-if-empty"], &all).await
}

/// The demo's active Acme campaign and a priced item of it, opened up for
/// repeated checkouts: no unit or money limit and no checkout fields to
/// fill in (the allowance and personal pay stay as seeded).
async fn open_store(db: &PgPool) -> (i64, i64) {
    let campaign = acme_campaign(db).await;
    sqlx::query(
        "UPDATE campaigns SET items_count_limit = NULL, price_limit = NULL, checkout_fields = '[]', \
         personal_pay = TRUE WHERE id = $1",
    )
    .bind(campaign)
    .execute(db)
    .await
    .unwrap();
    let item: i64 = sqlx::query_scalar("SELECT min(id) FROM campaign_items WHERE campaign_id = $1 AND price > 0")
        .bind(campaign)
        .fetch_one(db)
        .await
        .unwrap();
    (campaign, item)
}

/// Polls `check` every 20 ms until it holds (true) or `limit` passes (false).
async fn until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while !check() {
        if started.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// One checkout as its client saw it: the Idempotency-Key, every attempt's
/// answer, and how it ended.
#[derive(Debug)]
#[allow(dead_code, reason = "the fields are read through Debug, in failure messages")]
struct Checkout {
    key: String,
    attempts: Vec<String>,
    outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(dead_code, reason = "the fields are read through Debug, in failure messages")]
enum Outcome {
    /// 201 and the order's id.
    Placed(i64),
    /// A final answer that is not a 201 (a 4xx other than "still in progress").
    Refused(u16),
    /// Retryable answers (transport errors, 5xx, 409 "still in progress")
    /// for longer than a client waits: it gave the key up.
    GaveUp,
}

/// How long a client keeps retrying one key before it gives up.
const PATIENCE: Duration = Duration::from_secs(5);

/// Whether a reply is worth retrying with the same key: a transport error,
/// a 5xx, or 409 "a request with this Idempotency-Key is still in progress".
fn retryable(r: &std::io::Result<Reply>) -> bool {
    match r {
        Err(_) => true,
        Ok(r) => r.status >= 500 || (r.status == 409 && r.text.contains("still in progress")),
    }
}

fn describe(r: &std::io::Result<Reply>) -> String {
    match r {
        Err(e) => format!("transport: {e}"),
        Ok(r) if r.status < 300 => r.status.to_string(),
        Ok(r) => format!("{} {}", r.status, r.body.get("detail").and_then(Value::as_str).unwrap_or(&r.text)),
    }
}

/// A shopper's checkouts under load until `stop`: per key, fill the basket
/// (retrying through errors), then check out with the key, retrying with
/// the same key while the answer is retryable, for up to [`PATIENCE`].
async fn shop(
    serve: Arc<Serve>,
    user: &'static str,
    token: String,
    campaign: i64,
    item: i64,
    stop: Arc<AtomicBool>,
    placed: Arc<std::sync::Mutex<BTreeMap<&'static str, usize>>>,
) -> Vec<Checkout> {
    let body = json!({"checkout_fields": {}});
    let mut checkouts = Vec::new();
    let item_url = format!("/api/v1/storefront/campaigns/{campaign}/basket/items/{item}");
    let checkout_url = format!("/api/v1/storefront/campaigns/{campaign}/checkout");
    while !stop.load(Ordering::SeqCst) {
        let key = format!("{user}-checkout-{}", checkouts.len() + 1);
        // A basket to check out: what a client does before it picks a key.
        loop {
            let r = serve.call("PUT", &item_url, Some(&token), &[], Some(&json!({"quantity": 1}))).await;
            match &r {
                Ok(r) if r.status == 200 => break,
                _ if retryable(&r) && stop.load(Ordering::SeqCst) => return checkouts,
                _ if retryable(&r) => tokio::time::sleep(Duration::from_millis(20)).await,
                _ => panic!("{user}: filling the basket failed: {}", describe(&r)),
            }
        }
        let mut attempts = Vec::new();
        let mut first_error = None;
        let outcome = loop {
            let r = serve.call("POST", &checkout_url, Some(&token), &[("Idempotency-Key", &key)], Some(&body)).await;
            attempts.push(describe(&r));
            match &r {
                Ok(reply) if reply.status == 201 => {
                    *placed.lock().unwrap().entry(user).or_default() += 1;
                    break Outcome::Placed(reply.body["id"].as_i64().unwrap());
                }
                _ if retryable(&r) => {
                    if first_error.get_or_insert_with(Instant::now).elapsed() > PATIENCE {
                        break Outcome::GaveUp;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok(reply) => break Outcome::Refused(reply.status),
                Err(_) => unreachable!("transport errors are retryable"),
            }
        };
        // Runs of the same answer, counted: "500 ... x3".
        let mut runs: Vec<(String, usize)> = Vec::new();
        for a in attempts {
            match runs.last_mut() {
                Some((last, n)) if *last == a => *n += 1,
                _ => runs.push((a, 1)),
            }
        }
        let attempts = runs.into_iter().map(|(a, n)| if n == 1 { a } else { format!("{a} x{n}") }).collect();
        checkouts.push(Checkout { key, attempts, outcome });
    }
    checkouts
}

/// What a PostgreSQL restart under checkouts left behind.
struct RestartRun {
    pg: Postgres,
    _redis: Redis,
    serve: Serve,
    /// Whether the server process that started the run still runs.
    still_running: bool,
    campaign: i64,
    tokens: BTreeMap<&'static str, String>,
    /// How long after PostgreSQL was back a database read answered again,
    /// or the last failure when none did within 5 s.
    answered: Result<Duration, String>,
    /// Whether every shopper got two 201s after the restart.
    resumed: bool,
    /// Per shopper, every checkout its client made.
    checkouts: BTreeMap<&'static str, Vec<Checkout>>,
    /// Per shopper, the orders the database has from the run.
    stored: BTreeMap<&'static str, BTreeSet<i64>>,
}

impl RestartRun {
    fn placed(&self, user: &str) -> BTreeSet<i64> {
        self.checkouts[user]
            .iter()
            .filter_map(|c| match c.outcome {
                Outcome::Placed(order) => Some(order),
                _ => None,
            })
            .collect()
    }

    fn not_placed(&self) -> Vec<&Checkout> {
        self.checkouts.values().flatten().filter(|c| !matches!(c.outcome, Outcome::Placed(_))).collect()
    }
}

/// Three shoppers check out in a loop; once each has two orders,
/// PostgreSQL is restarted (`pg_ctl restart -m fast`) under them; the run
/// goes on until each has two more (or 20 s pass), then stops.
async fn restart_under_checkouts() -> RestartRun {
    let pg = Postgres::primary("pg-restart");
    let redis = Redis::start("pg-restart-redis").await;
    let serve = Arc::new(serve_demo(&pg, &[("REDIS_URL", redis.url()), ("CACHE_PREFIX", "faults:".to_owned())]).await);
    let db = pg.pool("promostore").await;
    let (campaign, item) = open_store(&db).await;
    let first_new_order: i64 =
        sqlx::query_scalar("SELECT coalesce(max(id), 0) + 1 FROM orders").fetch_one(&db).await.unwrap();
    db.close().await;

    let mut tokens = BTreeMap::new();
    for user in SHOPPERS {
        let token = serve.login(user, SHOPPER_PASSWORD).await;
        // Start from an empty basket (the demo fills one).
        let basket = format!("/api/v1/storefront/campaigns/{campaign}/basket");
        let r = serve.call("DELETE", &basket, Some(&token), &[], None).await.unwrap();
        assert_eq!(r.status, 200, "{user}: {}", r.text);
        tokens.insert(user, token);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let placed = Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let count = |placed: &Arc<std::sync::Mutex<BTreeMap<&'static str, usize>>>| {
        let placed = placed.lock().unwrap();
        SHOPPERS.iter().map(|u| placed.get(u).copied().unwrap_or(0)).min().unwrap_or(0)
    };
    let mut shoppers = Vec::new();
    for user in SHOPPERS {
        let task = shop(serve.clone(), user, tokens[user].clone(), campaign, item, stop.clone(), placed.clone());
        shoppers.push(tokio::spawn(task));
    }
    let started = until(Duration::from_secs(20), || count(&placed) >= 2).await;
    assert!(started, "the shoppers did not check out twice each before the restart");
    let before = count(&placed);

    // The restart, while the shoppers keep checking out; `restart` returns
    // once PostgreSQL accepts connections again.
    tokio::task::block_in_place(|| pg.restart());
    let back = Instant::now();

    // The same server answers a database read (the shopper's basket).
    let shopper = &tokens[SHOPPERS[0]];
    let basket = format!("/api/v1/storefront/campaigns/{campaign}/basket");
    let answered = loop {
        let r = serve.call("GET", &basket, Some(shopper), &[], None).await;
        if matches!(&r, Ok(r) if r.status == 200) {
            break Ok(back.elapsed());
        }
        if back.elapsed() > Duration::from_secs(5) {
            break Err(describe(&r));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let resumed = until(Duration::from_secs(20), || count(&placed) >= before + 2).await;
    stop.store(true, Ordering::SeqCst);
    let mut checkouts = BTreeMap::new();
    for (user, task) in SHOPPERS.iter().zip(shoppers) {
        checkouts.insert(*user, task.await.unwrap());
    }
    let mut serve = Arc::into_inner(serve).expect("the shoppers are done with the server");
    let still_running = serve.child.try_wait().unwrap().is_none();

    let db = pg.pool("promostore").await;
    let mut stored = BTreeMap::new();
    for user in SHOPPERS {
        let orders: BTreeSet<i64> = sqlx::query_scalar(
            "SELECT o.id FROM orders o JOIN accounts a ON a.id = o.account_id \
             WHERE a.username = $1 AND o.campaign_id = $2 AND o.id >= $3",
        )
        .bind(user)
        .bind(campaign)
        .bind(first_new_order)
        .fetch_all(&db)
        .await
        .unwrap()
        .into_iter()
        .collect();
        stored.insert(user, orders);
    }
    db.close().await;
    let run =
        RestartRun { pg, _redis: redis, serve, still_running, campaign, tokens, answered, resumed, checkouts, stored };
    let keys = run.checkouts.values().map(Vec::len).sum::<usize>();
    let retried = run.checkouts.values().flatten().filter(|c| c.attempts.len() > 1 || c.attempts[0].contains(" x"));
    let mut ends: BTreeMap<String, usize> = BTreeMap::new();
    for c in run.checkouts.values().flatten() {
        *ends.entry(format!("{:?}", c.outcome).split('(').next().unwrap_or_default().to_owned()).or_default() += 1;
    }
    eprintln!(
        "{keys} checkouts ({ends:?}), {} retried; the service answered {:?} after PostgreSQL was back",
        retried.count(),
        run.answered
    );
    run
}

/// The service rides out a PostgreSQL restart: it answers within 5 s of
/// the database being back, with the pool it has (no restart of its own),
/// and every shopper checks out again; every 201 names an order the
/// database has for that shopper, no order is named twice, and no key made
/// more than one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_service_rides_out_a_postgres_restart_under_checkouts() {
    let run = restart_under_checkouts().await;
    assert!(run.still_running, "the server process exited:\n{}", run.serve.log_tail(30));
    let answered = run.answered.as_ref().map_err(String::as_str);
    assert!(answered.is_ok(), "no database read answered within 5 s of PostgreSQL being back; the last: {answered:?}");
    let r = run.serve.call("GET", "/ready", None, &[], None).await.unwrap();
    assert_eq!(r.status, 200, "/ready after the restart: {}", r.text);
    assert!(
        run.resumed,
        "the shoppers did not check out twice each after the restart; the checkouts without a 201: {:#?}",
        run.not_placed()
    );
    for user in SHOPPERS {
        let placed = run.placed(user);
        let named = run.checkouts[user].iter().filter(|c| matches!(c.outcome, Outcome::Placed(_))).count();
        assert_eq!(placed.len(), named, "{user}: two keys were answered with the same order");
        let stored = &run.stored[user];
        assert!(placed.is_subset(stored), "{user}: 201s named orders the database lacks: {placed:?} vs {stored:?}");
        assert!(
            stored.len() <= run.checkouts[user].len(),
            "{user}: {} orders from {} keys: {:#?}",
            stored.len(),
            run.checkouts[user].len(),
            run.checkouts[user]
        );
    }
}

/// The Idempotency-Key contract through a PostgreSQL restart: a client that
/// retries a key after an error always learns the outcome (a 201, never
/// "still in progress" for good), the database has exactly the orders the
/// 201s named (none for a key whose client was refused), and every key
/// replays its order afterwards. (A key whose run committed is marked so in
/// its transaction and never runs again; the read-back after the commit and
/// the release of a key are tried again while the database restarts.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_checkout_retried_with_its_key_through_a_postgres_restart_has_one_known_outcome() {
    let run = restart_under_checkouts().await;
    assert!(run.answered.is_ok(), "{:?}", run.answered);
    let not_placed = run.not_placed();
    assert!(not_placed.is_empty(), "checkouts whose client never got its 201: {not_placed:#?}");
    for user in SHOPPERS {
        assert_eq!(
            run.stored[user],
            run.placed(user),
            "{user}: the database's orders are not the ones the 201s named: {:#?}",
            run.checkouts[user]
        );
    }
    // A retry of any key now replays its order and places none.
    let db = run.pg.pool("promostore").await;
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&db).await.unwrap();
    let checkout_url = format!("/api/v1/storefront/campaigns/{}/checkout", run.campaign);
    let body = json!({"checkout_fields": {}});
    for (user, checkouts) in &run.checkouts {
        for c in checkouts {
            let Outcome::Placed(order) = c.outcome else { continue };
            let headers = [("Idempotency-Key", c.key.as_str())];
            let r =
                run.serve.call("POST", &checkout_url, Some(&run.tokens[user]), &headers, Some(&body)).await.unwrap();
            assert_eq!(r.status, 201, "{user} {}: {} (attempts {:?})", c.key, r.text, c.attempts);
            assert_eq!(r.body["id"], Value::from(order), "{user} {}", c.key);
            assert_eq!(r.header("idempotent-replayed"), Some("true"), "{user} {}", c.key);
        }
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&db).await.unwrap();
    assert_eq!(after, orders, "a replayed key placed an order");
    db.close().await;
}

/// The active Acme campaign of the demo.
async fn acme_campaign(db: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT c.id FROM campaigns c JOIN distributors d ON d.id = c.distributor_id \
         WHERE d.name = 'Acme Promo' AND c.status = 'active' ORDER BY c.id LIMIT 1",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

/// Reads in a loop until `stop`: the storefront catalog (a page size of its
/// own each time, so the page is not in this process's copy and the shared
/// cache is asked) and the caller's own account. Every answer and how long
/// it took, in order.
async fn read_load(
    serve: Arc<Serve>,
    token: String,
    campaign: i64,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) -> Vec<(String, String, Duration)> {
    let mut answers = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let catalog = format!("/api/v1/storefront/campaigns/{campaign}/products?page_size={}", 1 + n % 97);
        for path in [catalog.as_str(), "/api/v1/auth/me"] {
            let started = Instant::now();
            let r = serve.call("GET", path, Some(&token), &[], None).await;
            answers.push((path.to_owned(), describe(&r), started.elapsed()));
            done.fetch_add(1, Ordering::SeqCst);
        }
    }
    answers
}

/// Redis killed under storefront reads: no read fails, a token logged out
/// before stays refused, `/ready` says degraded (200, the service serves),
/// and once redis-server is back on its port the same process caches there
/// again and `/ready` says ok.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_go_on_while_redis_is_down_and_caching_resumes_when_it_is_back() {
    let pg = Postgres::primary("redis-down");
    let mut redis = Redis::start("redis-down-redis").await;
    let prefix = "faults-redis:";
    let serve = Arc::new(serve_demo(&pg, &[("REDIS_URL", redis.url()), ("CACHE_PREFIX", prefix.to_owned())]).await);
    let db = pg.pool("promostore").await;
    let campaign = acme_campaign(&db).await;
    db.close().await;

    let shopper = serve.login("acme.shopper1", SHOPPER_PASSWORD).await;
    // A session logged out before the outage.
    let gone = serve.login("acme.shopper2", SHOPPER_PASSWORD).await;
    let r = serve.call("POST", "/api/v1/auth/logout", Some(&gone), &[], None).await.unwrap();
    assert_eq!(r.status, 204, "{}", r.text);
    let refused = |r: std::io::Result<Reply>| matches!(r, Ok(r) if r.status == 401);
    assert!(refused(serve.call("GET", "/api/v1/auth/me", Some(&gone), &[], None).await));
    let ready = serve.call("GET", "/ready", None, &[], None).await.unwrap();
    assert_eq!((ready.status, &ready.body), (200, &json!({"status": "ok"})));

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..3)
        .map(|_| tokio::spawn(read_load(serve.clone(), shopper.clone(), campaign, stop.clone(), done.clone())))
        .collect();
    fn progress(done: &AtomicUsize, n: usize) -> impl FnMut() -> bool + '_ {
        let from = done.load(Ordering::SeqCst);
        move || done.load(Ordering::SeqCst) >= from + n
    }
    let loaded = until(Duration::from_secs(20), progress(&done, 30)).await;

    redis.kill();
    let killed = Instant::now();
    // Reads go on while Redis is gone.
    let read_without = loaded && until(Duration::from_secs(20), progress(&done, 10)).await;
    let gone_while_down = serve.call("GET", "/api/v1/auth/me", Some(&gone), &[], None).await;
    let mut degraded = None;
    while killed.elapsed() < Duration::from_secs(20) {
        let r = serve.call("GET", "/ready", None, &[], None).await;
        if let Ok(r) = &r
            && r.body == json!({"status": "degraded"})
        {
            degraded = Some(r.status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let gone_while_degraded = serve.call("GET", "/api/v1/auth/me", Some(&gone), &[], None).await;

    // Back on the same port, empty: the same process caches there again.
    redis.start_again().await;
    let back = Instant::now();
    let mut n = 1000;
    let mut cached_again = false;
    let mut ready_again = false;
    while back.elapsed() < Duration::from_secs(20) && !(cached_again && ready_again) {
        n += 1;
        let page = format!("/api/v1/storefront/campaigns/{campaign}/products?page_size={}", n % 97 + 1);
        let _ = serve.call("GET", &page, Some(&shopper), &[], None).await;
        cached_again = !redis.keys(&format!("{prefix}storefront:*")).await.is_empty();
        ready_again = matches!(serve.call("GET", "/ready", None, &[], None).await, Ok(r) if r.status == 200 && r.body == json!({"status": "ok"}));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let read_after = until(Duration::from_secs(20), progress(&done, 30)).await;
    stop.store(true, Ordering::SeqCst);
    let mut answers = Vec::new();
    for reader in readers {
        answers.extend(reader.await.unwrap());
    }
    let failed: Vec<_> = answers.iter().filter(|(_, a, _)| a != "200").collect();
    let slowest = answers.iter().map(|(_, _, took)| *took).max().unwrap_or_default();
    eprintln!(
        "{} reads, {} failed, the slowest {slowest:?}; cached again {cached_again}, ready again {ready_again} {:?} \
         after Redis was back",
        answers.len(),
        failed.len(),
        back.elapsed()
    );

    assert!(
        loaded && read_without && read_after,
        "the reads stalled: before Redis was killed {loaded}, while it was down {read_without}, after {read_after}"
    );
    assert!(failed.is_empty(), "reads that failed: {failed:#?}");
    assert!(refused(gone_while_down), "a logged-out token was accepted with Redis down");
    assert!(refused(gone_while_degraded), "a logged-out token was accepted with Redis down");
    assert_eq!(degraded, Some(200), "/ready did not say degraded (200) with Redis down");
    assert!(cached_again, "no catalog page was cached in Redis again after it came back");
    assert!(ready_again, "/ready did not say ok again after Redis came back");
}

/// A logout outlives the denylist entry that Redis lost: after redis-server
/// restarts empty (no persistence, as the compose file runs it; or an
/// eviction), the logged-out token is still refused: until some process has
/// restored the denylist from the database, Redis is not trusted to say an
/// entry is absent, and the process restores it when it reconnects.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_logout_stays_effective_after_redis_comes_back_empty() {
    let pg = Postgres::primary("redis-empty");
    let mut redis = Redis::start("redis-empty-redis").await;
    let serve = serve_demo(&pg, &[("REDIS_URL", redis.url()), ("CACHE_PREFIX", "faults-empty:".to_owned())]).await;
    let gone = serve.login("acme.shopper2", SHOPPER_PASSWORD).await;
    let live = serve.login("acme.shopper2", SHOPPER_PASSWORD).await;
    let r = serve.call("POST", "/api/v1/auth/logout", Some(&gone), &[], None).await.unwrap();
    assert_eq!(r.status, 204, "{}", r.text);
    let me = |token: String| {
        let serve = &serve;
        async move { serve.call("GET", "/api/v1/auth/me", Some(&token), &[], None).await.unwrap().status }
    };
    assert_eq!(me(gone.clone()).await, 401);

    redis.kill();
    assert_eq!(me(gone.clone()).await, 401, "with Redis down");
    redis.start_again().await;
    // Until the process uses the new Redis again, then after.
    let mut cached = false;
    let back = Instant::now();
    while back.elapsed() < Duration::from_secs(20) && !cached {
        assert_eq!(me(live.clone()).await, 200, "the live session");
        assert_eq!(me(gone.clone()).await, 401, "the logged-out token, {:?} after Redis came back", back.elapsed());
        cached = !redis.keys("faults-empty:*").await.is_empty();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(cached, "the process did not use Redis again");
    for _ in 0..3 {
        assert_eq!(me(gone.clone()).await, 401, "the logged-out token, with Redis back");
    }
}

/// A logout while Redis is down is done, not refused: the session is
/// revoked in the database and the logout answers 204 (not 503); its access
/// token is refused while Redis is down and once it is back, and its
/// refresh tokens are revoked. A refresh token used twice while Redis is
/// down is refused as reuse (401, not 503) and revokes its session too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_logout_while_redis_is_down_revokes_the_session() {
    let pg = Postgres::primary("redis-down-logout");
    let mut redis = Redis::start("redis-down-logout-redis").await;
    let serve = serve_demo(&pg, &[("REDIS_URL", redis.url()), ("CACHE_PREFIX", "faults-logout:".to_owned())]).await;
    let gone = serve.login("acme.shopper2", SHOPPER_PASSWORD).await;
    let me = |token: String| {
        let serve = &serve;
        async move { serve.call("GET", "/api/v1/auth/me", Some(&token), &[], None).await.unwrap().status }
    };
    assert_eq!(me(gone.clone()).await, 200);
    // A second session, refreshed once: its first refresh token is spent.
    let body = serde_json::json!({"username": "acme.shopper3", "password": SHOPPER_PASSWORD});
    let login = serve.call("POST", "/api/v1/auth/login", None, &[], Some(&body)).await.unwrap();
    assert_eq!(login.status, 200, "{}", login.text);
    let spent = serde_json::json!({"refresh_token": login.body["refresh_token"]});
    let r = serve.call("POST", "/api/v1/auth/refresh", None, &[], Some(&spent)).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    let renewed = r.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(renewed.clone()).await, 200);

    redis.kill();
    let r = serve.call("POST", "/api/v1/auth/logout", Some(&gone), &[], None).await.unwrap();
    assert_eq!(r.status, 204, "a logout with Redis down: {}", r.text);
    assert_eq!(me(gone.clone()).await, 401, "the logged-out token, with Redis down");
    let r = serve.call("POST", "/api/v1/auth/refresh", None, &[], Some(&spent)).await.unwrap();
    assert_eq!(r.status, 401, "a reused refresh token with Redis down: {}", r.text);
    assert!(r.text.contains("already used"), "{}", r.text);
    assert_eq!(me(renewed.clone()).await, 401, "the reused session's access token, with Redis down");
    let db = pg.pool("promostore").await;
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM refresh_tokens t JOIN accounts a ON a.id = t.account_id \
         WHERE a.username = 'acme.shopper2' AND t.revoked_at IS NULL",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    db.close().await;
    assert_eq!(live, 0, "the logout did not revoke the session in the database");

    redis.start_again().await;
    let back = Instant::now();
    while back.elapsed() < Duration::from_secs(5) {
        assert_eq!(me(gone.clone()).await, 401, "the logged-out token, {:?} after Redis came back", back.elapsed());
        assert_eq!(me(renewed.clone()).await, 401, "the reused session, {:?} after Redis came back", back.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The shutdown timeout the SIGTERM tests give the server, in seconds.
const SHUTDOWN_TIMEOUT: u64 = 5;

/// A server for the SIGTERM tests, the manager's token, an Acme product,
/// and the test's own pool on the database.
async fn sigterm_setup(pg: &Postgres) -> (Serve, String, i64, PgPool) {
    let serve = serve_demo(pg, &[("SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT.to_string())]).await;
    let manager = serve.login("manager", "manager-demo").await;
    let db = pg.pool("promostore").await;
    let product: i64 = sqlx::query_scalar(
        "SELECT p.id FROM products p JOIN distributors d ON d.id = p.distributor_id \
         WHERE d.name = 'Acme Promo' ORDER BY p.id LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    (serve, manager, product, db)
}

/// Holds, in a transaction of the test's own, the product's row (`FOR
/// UPDATE`: a PATCH of it waits) and the vendors table (`ACCESS
/// EXCLUSIVE`: a list of vendors waits), until the transaction ends.
async fn hold_locks(db: &PgPool, product: i64) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = db.begin().await.unwrap();
    sqlx::query("SELECT id FROM products WHERE id = $1 FOR UPDATE").bind(product).execute(&mut *tx).await.unwrap();
    sqlx::query("LOCK TABLE vendors IN ACCESS EXCLUSIVE MODE").execute(&mut *tx).await.unwrap();
    tx
}

/// Sessions of the server waiting on a lock.
async fn waiting(db: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

/// Requests that will wait on [`hold_locks`]: PATCHes renaming the product
/// and lists of vendors, each on a connection of its own.
fn slow_requests(serve: &Serve, token: &str, product: i64) -> Vec<tokio::task::JoinHandle<std::io::Result<Reply>>> {
    let mut requests = Vec::new();
    for i in 0..3 {
        let (port, t) = (serve.port, token.to_owned());
        let body = json!({"name": format!("Renamed during shutdown {i}")});
        requests.push(tokio::spawn(async move {
            let path = format!("/api/v1/catalog/products/{product}");
            common::cluster::call(port, "PATCH", &path, Some(&t), &[], Some(&body)).await
        }));
        let (port, t) = (serve.port, token.to_owned());
        requests.push(tokio::spawn(async move {
            common::cluster::call(port, "GET", "/api/v1/catalog/vendors", Some(&t), &[], None).await
        }));
    }
    requests
}

/// Whether a connection to `port` is refused now.
async fn refused(port: u16) -> bool {
    matches!(
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

/// SIGTERM with requests in flight (PATCHes and lists waiting on locks the
/// test holds): new connections are refused at once, the requests in
/// flight then finish with their whole responses (their writes committed),
/// and the process exits, successfully, within SHUTDOWN_TIMEOUT.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_requests_in_flight_finish_and_refuses_new_connections() {
    let pg = Postgres::primary("sigterm");
    let (mut serve, manager, product, db) = sigterm_setup(&pg).await;
    let locks = hold_locks(&db, product).await;
    let requests = slow_requests(&serve, &manager, product);
    let in_flight = requests.len() as i64;
    common::wait_for("every request waiting on the locks", Duration::from_secs(20), || {
        let db = db.clone();
        async move { waiting(&db).await == in_flight }
    })
    .await;

    serve.signal("TERM");
    let signalled = Instant::now();
    let limit = Duration::from_secs(SHUTDOWN_TIMEOUT);
    // The listener closes: a new connection is refused (not left hanging).
    let mut closed = false;
    while signalled.elapsed() < limit && !closed {
        closed = refused(serve.port).await;
        if !closed {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    assert!(closed, "new connections were still accepted {limit:?} after SIGTERM");
    assert!(requests.iter().all(|r| !r.is_finished()), "a request ended before its lock was released");
    assert_eq!(serve.child.try_wait().unwrap(), None, "the process exited with requests in flight");

    // The requests in flight go on and finish, each with its whole response.
    locks.commit().await.unwrap();
    for request in requests {
        let r = request.await.unwrap();
        let r = r.unwrap_or_else(|e| panic!("a request in flight got no whole response: {e}"));
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(!r.body.is_null(), "{}", r.text);
    }
    let name: String =
        sqlx::query_scalar("SELECT name FROM products WHERE id = $1").bind(product).fetch_one(&db).await.unwrap();
    assert!(name.starts_with("Renamed during shutdown"), "the PATCHes did not commit: {name}");

    let left = limit.saturating_sub(signalled.elapsed());
    let status = serve.exit_within(left).await;
    eprintln!("exited {:?} after SIGTERM: {status:?}", signalled.elapsed());
    assert!(status.is_some(), "the process did not exit within SHUTDOWN_TIMEOUT ({limit:?}) of SIGTERM");
    assert!(status.unwrap().success(), "the process exited with {status:?}");
    db.close().await;
}

/// SIGTERM with a request that outlasts SHUTDOWN_TIMEOUT (its lock is held
/// past it): the process still exits within SHUTDOWN_TIMEOUT, and the cut
/// request's transaction is rolled back, not half-written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_exits_within_the_shutdown_timeout_even_when_a_request_hangs() {
    let pg = Postgres::primary("sigterm-hang");
    let (mut serve, manager, product, db) = sigterm_setup(&pg).await;
    let before: String =
        sqlx::query_scalar("SELECT name FROM products WHERE id = $1").bind(product).fetch_one(&db).await.unwrap();
    let locks = hold_locks(&db, product).await;
    let requests = slow_requests(&serve, &manager, product);
    let in_flight = requests.len() as i64;
    common::wait_for("every request waiting on the locks", Duration::from_secs(20), || {
        let db = db.clone();
        async move { waiting(&db).await == in_flight }
    })
    .await;

    serve.signal("TERM");
    let signalled = Instant::now();
    let limit = Duration::from_secs(SHUTDOWN_TIMEOUT);
    let status = serve.exit_within(limit).await;
    eprintln!("exited {:?} after SIGTERM: {status:?}", signalled.elapsed());
    // Whatever happened, the locks go now (the rest of the test reads).
    locks.rollback().await.unwrap();
    assert!(status.is_some(), "the process did not exit within SHUTDOWN_TIMEOUT ({limit:?}) of SIGTERM");
    assert!(status.unwrap().success(), "the process exited with {status:?}");
    for request in requests {
        // Cut at the timeout: the connection closes without a response.
        assert!(request.await.unwrap().is_err(), "a request that outlasted the timeout was answered");
    }
    common::wait_for("the cut sessions to end", Duration::from_secs(20), || {
        let db = db.clone();
        async move { waiting(&db).await == 0 }
    })
    .await;
    let after: String =
        sqlx::query_scalar("SELECT name FROM products WHERE id = $1").bind(product).fetch_one(&db).await.unwrap();
    assert_eq!(after, before, "a request cut at the timeout wrote its change");
    db.close().await;
}

/// Connections that sat in the pool while PostgreSQL restarted are tested
/// before they are handed out (they were idle for longer than
/// `storage::db::IDLE_PING`), so the reads right after the restart get
/// working ones: no request fails for a connection that died while idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_that_died_while_idle_fail_no_request() {
    let pg = Postgres::primary("idle-restart");
    let serve = Arc::new(serve_demo(&pg, &[("WORKERS", "0".to_owned())]).await);
    let token = serve.login(SHOPPERS[0], SHOPPER_PASSWORD).await;
    // Reads at once, so the pool holds several connections, all idle after.
    let reads = |serve: Arc<Serve>, token: String| async move {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (serve, token) = (serve.clone(), token.clone());
                tokio::spawn(async move { serve.call("GET", "/api/v1/orders", Some(&token), &[], None).await })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(describe(&task.await.unwrap()));
        }
        answers
    };
    let before = reads(serve.clone(), token.clone()).await;
    assert!(before.iter().all(|a| a == "200"), "before the restart: {before:?}");
    let idle_since = Instant::now();
    pg.restart();
    // A restart takes longer than the bound on its own; waited out if not.
    if let Some(rest) = storage::db::IDLE_PING.checked_sub(idle_since.elapsed()) {
        tokio::time::sleep(rest + Duration::from_millis(50)).await;
    }
    let after = reads(serve.clone(), token).await;
    assert!(after.iter().all(|a| a == "200"), "the reads right after the restart: {after:?}\n{}", serve.log_tail(20));
}
