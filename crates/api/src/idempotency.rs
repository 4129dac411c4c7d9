//! `Idempotency-Key` on creating POSTs, as one middleware.
//!
//! The first request with a key runs and its response is stored durably; the
//! same key with the same request replays that response (with
//! `Idempotent-Replayed: true`, its own `X-Request-Id` and the first
//! request's as `Idempotent-Original-Request-Id`); the same key with another body is 422; a
//! request still in flight is 409 with `Retry-After`. A 5xx, 401 or 403 is not stored, so a
//! retry runs again. The caller is identified by the same check the handlers
//! run, so a revoked token never reaches a stored response. Keys are per account and expire after a day. Operations that honour
//! the key document it with the [`IdempotencyKey`] parameter.
//!
//! Through a database restart or a crash: a run's claim on its key names the
//! run (a token), and every later write of the run to the key store names it
//! too. `write::commit` marks the claim committed inside the request's own
//! transaction ([`mark_committed`]), so the key store knows that the request
//! took effect exactly when it did, even if the process dies or the commit's
//! answer is lost right after. A failure before the commit releases the key
//! (a retry runs the request again); a failure after it keeps the key,
//! marked lost, and a retry is told the request was carried out (409)
//! instead of running it twice. Storing the
//! response or releasing the key is tried again in the background while the
//! database is unavailable. A claim has a lease, renewed while its run goes
//! on: a claim that could not be released (its process died, the database
//! stayed away) frees itself after [`LEASE`] for a retry of the same request,
//! unless its transaction committed: then the retry is told, after the lease,
//! that the request was carried out.

use crate::error::{ApiError, FieldError};
use crate::params::{Param, ParamDoc};
use crate::state::AppState;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use poem_openapi::registry::MetaParamIn;
use poem_openapi::registry::MetaSchema;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use storage::StorageError;
use storage::idempotency::{self, Begin};

pub struct IdempotencyKeyDoc;
impl ParamDoc for IdempotencyKeyDoc {
    const IN: MetaParamIn = MetaParamIn::Header;
    const DESCRIPTION: &'static str = "A client-chosen key (1 to 255 visible ASCII characters) that makes this request safe to \
        retry: the same key and body replay the first response, another body with the same key is 422, and a request \
        still in flight is 409 (with `Retry-After`). Keys are per account and kept for 24 hours.";
    const EXAMPLE: Option<&'static str> = Some("3f6c2a1e-order-42");

    /// What the middleware accepts, in the schema: 1 to 255 characters
    /// (visible ASCII, as the description says; a header can carry nothing
    /// else a `pattern` would add, and fuzzers read a pattern on a header
    /// differently from HTTP clients).
    fn schema() -> MetaSchema {
        let mut s = MetaSchema::new("string");
        s.min_length = Some(1);
        s.max_length = Some(255);
        s
    }
}

/// The documented `Idempotency-Key` header; the middleware does the work.
pub type IdempotencyKey = Param<IdempotencyKeyDoc>;

/// The header naming the request whose response a replay repeats.
pub const ORIGINAL_REQUEST_ID: &str = "idempotent-original-request-id";

/// Response headers worth replaying.
const KEPT_HEADERS: &[&str] = &["content-type", "location", "etag"];

/// How long a claim on a key holds unless its run renews it (every third of
/// it, while the run goes on): after that a retry of the same request takes
/// the key over. It only matters when a run could not release its key (its
/// process died, or the database stayed away).
pub const LEASE: Duration = Duration::from_secs(10);

/// How long storing a response or releasing a key is tried again, in the
/// background, while the database is unavailable (a restart takes about a
/// second; past the lease, the key frees itself or is lost anyway).
const STORE_PATIENCE: Duration = Duration::from_secs(30);

/// The key the current request's run holds.
#[derive(Debug, Clone)]
struct Claim {
    account_id: i64,
    key: String,
    /// This run's claim token.
    token: String,
}

tokio::task_local! {
    /// The claim of the current request's run, for [`mark_committed`].
    static CLAIM: Claim;
}

/// Marks the current request's `Idempotency-Key` committed in `tx`, the
/// request's own transaction, just before it commits (`write::commit`
/// calls it): a failure after the commit then keeps the key instead of
/// releasing it, so a retry does not run the request again. Nothing
/// without a key.
pub async fn mark_committed(tx: &mut storage::Connection) -> Result<(), StorageError> {
    let Ok(claim) = CLAIM.try_with(Claim::clone) else { return Ok(()) };
    idempotency::mark_committed(tx, claim.account_id, &claim.key, &claim.token).await
}

/// Runs the handler, renewing the claim's lease every third of it while the
/// handler runs, so a retry never takes over the key of a run that is alive.
async fn renewing<T>(pool: &storage::PgPool, claim: &Claim, run: impl Future<Output = T>) -> T {
    let heartbeat = async {
        loop {
            tokio::time::sleep(LEASE / 3).await;
            if let Err(e) = idempotency::renew(pool, claim.account_id, &claim.key, &claim.token).await {
                tracing::warn!(error = %e, "could not renew the claim on an idempotency key");
            }
        }
    };
    tokio::select! {
        out = run => out,
        () = heartbeat => unreachable!("the heartbeat never ends"),
    }
}

/// Runs `op` (a write to the key store) once; while the database is
/// unavailable, again in the background for up to [`STORE_PATIENCE`], so the
/// client's answer does not wait for the database to come back (a retry
/// meanwhile is told the request is in progress). A failure is logged.
async fn persist<F, Fut>(what: &'static str, op: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), StorageError>> + Send + 'static,
{
    let cause = match op().await {
        Ok(()) => return,
        Err(StorageError::Unavailable(cause)) => cause,
        Err(e) => return tracing::warn!(error = %e, "could not {what}"),
    };
    tracing::warn!(error = %cause, "the database is unavailable; trying again in the background to {what}");
    tokio::spawn(async move {
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            tokio::time::sleep(pause).await;
            match op().await {
                Ok(()) => return,
                Err(StorageError::Unavailable(_)) if started.elapsed() < STORE_PATIENCE => {
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                Err(e) => return tracing::warn!(error = %e, "could not {what}"),
            }
        }
    });
}

/// Releases the claim, or marks it lost when the run's transaction
/// committed (see `storage::idempotency::abandon`), as [`persist`] runs it.
fn release(pool: &storage::PgPool, claim: &Claim) -> impl Fn() -> ReleaseFuture + Send + 'static {
    let (pool, claim) = (pool.clone(), claim.clone());
    move || {
        let (pool, claim) = (pool.clone(), claim.clone());
        Box::pin(async move { idempotency::abandon(&pool, claim.account_id, &claim.key, &claim.token).await })
    }
}

type ReleaseFuture = std::pin::Pin<Box<dyn Future<Output = Result<(), StorageError>> + Send>>;

pub struct Idempotency;

impl<E: Endpoint> Middleware<E> for Idempotency {
    type Output = IdempotencyEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        IdempotencyEndpoint { inner }
    }
}

pub struct IdempotencyEndpoint<E> {
    inner: E,
}

fn problem(err: ApiError) -> Response {
    err.into_response()
}

impl<E: Endpoint> Endpoint for IdempotencyEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let key = req.header("Idempotency-Key").map(str::to_owned);
        // File uploads and the CSV import are streamed, never buffered (this
        // layer reads the whole body), and are idempotent anyway (uploads by
        // content hash, the import by being an upsert).
        let streamed = crate::middleware::UPLOAD_PATHS.contains(&req.uri().path());
        let (Some(key), true) = (key, req.method() == Method::POST && !streamed) else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Ok(problem(ApiError::BadRequest(poem_openapi::payload::Json(
                crate::error::Problem::new(400, "Idempotency-Key must be 1 to 255 visible ASCII characters")
                    .with_errors(vec![FieldError::new(
                        "Idempotency-Key",
                        "invalid",
                        "1 to 255 visible ASCII characters",
                    )]),
            ))));
        }
        // Keys belong to the caller; without a valid token the operation
        // answers 401 itself.
        let Some(state) = req.data::<AppState>().cloned() else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        // The same check the handlers run (signature, lifetime, denylist,
        // account state): a logged-out or revoked token reaches no stored
        // response, and gets its 401 from the operation.
        let token = req.header("Authorization").and_then(|h| h.strip_prefix("Bearer ")).map(str::to_owned);
        let verified = match token {
            Some(token) => crate::auth::scheme::check(&state, &token)
                .await
                .ok()
                .map(|session| crate::auth::scheme::Verified { token, session }),
            None => None,
        };
        let Some(verified) = verified else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let account_id = verified.session.principal.account_id;
        // The handler's auth check reuses this one instead of asking again.
        req.extensions_mut().insert(verified);

        // The body was bounded by the outer middleware.
        let body = req.take_body().into_vec().await?;
        let mut hasher = Sha256::new();
        hasher.update(req.method().as_str());
        hasher.update(b" ");
        hasher.update(req.uri().to_string());
        // The mask shapes the stored response, so it is part of the request:
        // a retry must send the same one (another mask is another request).
        for mask in req.headers().get_all("X-Fields") {
            hasher.update(b"\nX-Fields: ");
            hasher.update(mask.as_bytes());
        }
        hasher.update(b"\n");
        hasher.update(&body);
        let hash = hasher.finalize().to_vec();

        let claim = Claim { account_id, key, token: crate::auth::tokens::random_token(24) };
        match idempotency::begin(&state.pool, account_id, &claim.key, &hash, &claim.token, LEASE).await {
            Err(e) => {
                // The claim may have been stored although the answer was
                // lost: release it, or a retry would wait out the lease.
                persist("release an idempotency key", release(&state.pool, &claim)).await;
                return Ok(problem(ApiError::from(e)));
            }
            Ok(Begin::Mismatch) => {
                return Ok(problem(ApiError::unprocessable(vec![FieldError::new(
                    "Idempotency-Key",
                    "reused",
                    "this key was already used with a different request",
                )])));
            }
            Ok(Begin::InFlight) => {
                let mut resp = problem(ApiError::conflict("a request with this Idempotency-Key is still in progress"));
                // It usually answers within the second; a run that died
                // frees the key after the lease.
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return Ok(resp);
            }
            Ok(Begin::Lost) => {
                return Ok(problem(ApiError::conflict(
                    "the request with this Idempotency-Key was carried out, but its response was lost; \
                     read the resource to see the result",
                )));
            }
            Ok(Begin::Done { status, headers, body }) => return Ok(replay(status, &headers, body)),
            Ok(Begin::New) => {}
        }

        req.set_body(Body::from(body));
        let run = CLAIM.scope(claim.clone(), self.inner.call(req));
        let resp = match renewing(&state.pool, &claim, run).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        // Only a success is stored. A refused request changed nothing, its key
        // included: a retry runs again and sees the state of then (a checkout
        // refused for a changed price or a full allowance succeeds once the
        // basket is fixed), and no 401 or 403 of one token is ever replayed
        // to another session of the same account. A failure after the run's
        // transaction committed keeps the key (see `idempotency::abandon`).
        let status = resp.status();
        if !status.is_success() {
            persist("release an idempotency key", release(&state.pool, &claim)).await;
            let mut resp = resp;
            resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("false"));
            return Ok(resp);
        }
        let (parts, body) = resp.into_parts();
        let bytes = bytes::Bytes::from(body.into_vec().await?);
        let mut kept = Map::new();
        for name in KEPT_HEADERS {
            if let Some(v) = parts.headers.get(*name).and_then(|v| v.to_str().ok()) {
                kept.insert((*name).to_owned(), Value::from(v));
            }
        }
        // A replay carries its own `X-Request-Id` (set by the outer
        // middleware); the first request's id, which a stored problem body
        // also quotes, travels under its own name.
        if let Some(id) = crate::error::current_request_id() {
            kept.insert(ORIGINAL_REQUEST_ID.to_owned(), Value::from(id));
        }
        let (pool, kept, status, stored) =
            (state.pool.clone(), Value::Object(kept), parts.status.as_u16(), bytes.clone());
        persist("store an idempotent response", move || {
            let (pool, claim, kept, stored) = (pool.clone(), claim.clone(), kept.clone(), stored.clone());
            async move {
                idempotency::finish(&pool, claim.account_id, &claim.key, &claim.token, status, &kept, &stored).await
            }
        })
        .await;
        let mut resp = Response::from_parts(parts, Body::from(bytes));
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("false"));
        Ok(resp)
    }
}

fn replay(status: u16, headers: &Value, body: Vec<u8>) -> Response {
    let mut resp = Response::builder().status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK)).body(body);
    for (name, value) in headers.as_object().into_iter().flatten() {
        if let (Ok(name), Some(Ok(value))) =
            (poem::http::HeaderName::from_bytes(name.as_bytes()), value.as_str().map(HeaderValue::from_str))
        {
            resp.headers_mut().insert(name, value);
        }
    }
    resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}
