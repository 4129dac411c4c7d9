//! `Idempotency-Key` on creating POSTs, as one middleware.
//!
//! The first request with a key runs and its response is stored durably; the
//! same key with the same request replays that response (with
//! `Idempotent-Replayed: true`, its own `X-Request-Id` and the first
//! request's as `Idempotent-Original-Request-Id`); the same key with another body is 422; a
//! request still in flight is 409. A 5xx, 401 or 403 is not stored, so a
//! retry runs again. The caller is identified by the same check the handlers
//! run, so a revoked token never reaches a stored response. Keys are per account and expire after a day. Operations that honour
//! the key document it with the [`IdempotencyKey`] parameter.

use crate::error::{ApiError, FieldError};
use crate::params::{Param, ParamDoc};
use crate::state::AppState;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use poem_openapi::registry::MetaParamIn;
use poem_openapi::registry::MetaSchema;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use storage::idempotency::{self, Begin};

pub struct IdempotencyKeyDoc;
impl ParamDoc for IdempotencyKeyDoc {
    const IN: MetaParamIn = MetaParamIn::Header;
    const DESCRIPTION: &'static str = "A client-chosen key (1 to 255 visible ASCII characters) that makes this request safe to \
        retry: the same key and body replay the first response, another body with the same key is 422, and a request \
        still in flight is 409. Keys are per account and kept for 24 hours.";
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

        match idempotency::begin(&state.pool, account_id, &key, &hash).await {
            Err(e) => return Ok(problem(ApiError::from(e))),
            Ok(Begin::Mismatch) => {
                return Ok(problem(ApiError::unprocessable(vec![FieldError::new(
                    "Idempotency-Key",
                    "reused",
                    "this key was already used with a different request",
                )])));
            }
            Ok(Begin::InFlight) => {
                return Ok(problem(ApiError::conflict("a request with this Idempotency-Key is still in progress")));
            }
            Ok(Begin::Done { status, headers, body }) => return Ok(replay(status, &headers, body)),
            Ok(Begin::New) => {}
        }

        req.set_body(Body::from(body));
        let resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        // Only a success is stored. A refused request changed nothing, its key
        // included: a retry runs again and sees the state of then (a checkout
        // refused for a changed price or a full allowance succeeds once the
        // basket is fixed), and no 401 or 403 of one token is ever replayed
        // to another session of the same account.
        let status = resp.status();
        if !status.is_success() {
            if let Err(e) = idempotency::abandon(&state.pool, account_id, &key).await {
                tracing::warn!(error = %e, "could not release an idempotency key");
            }
            let mut resp = resp;
            resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("false"));
            return Ok(resp);
        }
        let (parts, body) = resp.into_parts();
        let bytes = body.into_vec().await?;
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
        if let Err(e) =
            idempotency::finish(&state.pool, account_id, &key, parts.status.as_u16(), &Value::Object(kept), &bytes)
                .await
        {
            tracing::warn!(error = %e, "could not store an idempotent response");
        }
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
