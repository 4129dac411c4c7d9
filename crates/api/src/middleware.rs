//! The outermost layer of every request: a request id, a tracing span, metrics,
//! the body-size bound, the security headers, compression, and the rewrite of any error that is not yet
//! problem+json (poem's own 404/405/parse errors) into RFC 9457 form.

use crate::error::{ApiError, FieldError, Problem, REQUEST_ID};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use poem_openapi::OperationId;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncReadExt;
use tracing::Instrument;

const PROBLEM_JSON: &str = "application/problem+json";

/// The paths whose POST bodies are streamed uploads: bounded by
/// `max_upload_bytes` instead, and passed on unread so the handler can stream
/// them (and stop at its own limit when there is no Content-Length).
pub const UPLOAD_PATHS: &[&str] = &["/api/v1/minor/resources", "/api/v1/catalog/imports"];

/// The middleware; `max_body_bytes` bounds request bodies, `max_upload_bytes`
/// those of [`UPLOAD_PATHS`].
pub struct Observe {
    pub max_body_bytes: usize,
    pub max_upload_bytes: usize,
    /// Whether a CORS layer answers preflights (`CORS_ORIGINS` is set).
    pub cors: bool,
    /// The methods of each path, for the `Allow` header of a 405.
    pub routes: Arc<Routes>,
    /// The profiling switch: a `Server-Timing` header on every response and
    /// the same figures on its log line (see `storage::profile`).
    pub profile: bool,
}

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ObserveEndpoint {
            inner,
            max_body_bytes: self.max_body_bytes,
            max_upload_bytes: self.max_upload_bytes,
            cors: self.cors,
            routes: self.routes.clone(),
            profile: self.profile,
        }
    }
}

pub struct ObserveEndpoint<E> {
    inner: E,
    max_body_bytes: usize,
    max_upload_bytes: usize,
    cors: bool,
    routes: Arc<Routes>,
    profile: bool,
}

/// Path templates and their methods, read from the OpenAPI document so the
/// `Allow` header can never disagree with the routes.
#[derive(Debug, Default)]
pub struct Routes {
    /// Each path template's segments and its methods, as an `Allow` value.
    paths: Vec<(Vec<String>, String)>,
    /// The document itself, to name what a 400 about input refused.
    spec: serde_json::Value,
}

impl Routes {
    /// From the spec's `paths` object.
    pub fn from_spec(spec: &serde_json::Value) -> Routes {
        let paths = spec.get("paths").and_then(|p| p.as_object());
        let paths = paths
            .into_iter()
            .flatten()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let mut methods: Vec<String> =
                    item.as_object().into_iter().flatten().map(|(m, _)| m.to_ascii_uppercase()).collect();
                // HEAD is answered wherever GET is, and OPTIONS everywhere.
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".into());
                }
                methods.push("OPTIONS".into());
                (segments, methods.join(", "))
            })
            .collect();
        Routes { paths, spec: spec.clone() }
    }

    /// The template `path` matches, as segments, and its methods.
    fn route(&self, path: &str) -> Option<&(Vec<String>, String)> {
        let wanted: Vec<&str> = path.split('/').collect();
        self.paths.iter().find(|(segments, _)| {
            segments.len() == wanted.len()
                && segments.iter().zip(&wanted).all(|(s, w)| s == w || (s.starts_with('{') && !w.is_empty()))
        })
    }

    /// The media types of the success responses of `method` on `path`.
    fn answers(&self, path: &str, method: &str) -> Vec<String> {
        let Some((segments, _)) = self.route(path) else { return Vec::new() };
        let operation = &self.spec["paths"][segments.join("/")][method.to_ascii_lowercase()];
        let mut out: Vec<String> = operation["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(status, _)| status.starts_with('2'))
            .flat_map(|(_, r)| r["content"].as_object().into_iter().flat_map(|c| c.keys()))
            .map(|media| media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn allow(&self, path: &str) -> Option<&str> {
        self.route(path).map(|(_, methods)| methods.as_str())
    }

    /// A 400 about input with `errors` naming each field or parameter at
    /// fault (see [`crate::input`]); any other response as it is.
    async fn name_input(&self, resp: Response, path: &str, method: &str, body: Option<&[u8]>) -> Response {
        if resp.status() != StatusCode::BAD_REQUEST {
            return resp;
        }
        let Some((segments, _)) = self.route(path) else { return resp };
        let (parts, content) = resp.into_parts();
        let bytes = content.into_vec().await.unwrap_or_default();
        let mut problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let detail = problem["detail"].as_str().unwrap_or_default();
        let errors = if problem.get("errors").is_some() {
            Vec::new()
        } else {
            crate::input::name_errors(&self.spec, &segments.join("/"), method, detail, body)
        };
        let mut out = Response::from_parts(parts, Body::from(bytes));
        if !errors.is_empty()
            && let Some(object) = problem.as_object_mut()
        {
            object.insert("errors".into(), poem_openapi::types::ToJSON::to_json(&errors).unwrap_or_default());
            out.headers_mut().remove(header::CONTENT_LENGTH);
            out.set_body(problem.to_string());
        }
        out
    }
}

impl<E> ObserveEndpoint<E> {
    /// `OPTIONS` on a known path: 204 with `Allow`. A CORS preflight goes on
    /// to the CORS layer when one is configured (`CORS_ORIGINS`).
    fn answer_options(&self, req: &Request) -> Option<Response> {
        if req.method() != poem::http::Method::OPTIONS
            || (self.cors && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD))
        {
            return None;
        }
        let allow = self.routes.allow(req.uri().path())?;
        let mut resp = Response::builder().status(StatusCode::NO_CONTENT).finish();
        if let Ok(v) = HeaderValue::from_str(allow) {
            resp.headers_mut().insert(header::ALLOW, v);
        }
        Some(resp)
    }
}

/// 406 for an API request whose `Accept` excludes every media type the
/// operation answers with: JSON for all but file downloads (which answer
/// what the file is) and the reports (JSON, CSV, ZIP, XLSX, HTML, as their
/// success responses in the document say).
fn not_acceptable(req: &Request, routes: &Routes) -> Option<Response> {
    let path = req.uri().path();
    if !path.starts_with("/api/v1/") || path.ends_with("/content") {
        return None;
    }
    let accept = req.header(header::ACCEPT)?;
    let mut answers = routes.answers(path, req.method().as_str());
    if answers.is_empty() {
        answers.push("application/json".to_owned());
    }
    if answers.iter().any(|media| accepts(accept, media)) || accepts(accept, "application/problem+json") {
        return None;
    }
    Some(problem_response(
        StatusCode::NOT_ACCEPTABLE,
        &format!("this operation answers {}, which `Accept: {accept}` excludes", answers.join(", ")),
    ))
}

/// Whether an `Accept` header admits `media` (`type/subtype`): the most
/// specific matching range decides, and `q=0` refuses.
pub fn accepts(accept: &str, media: &str) -> bool {
    let (ty, _) = media.split_once('/').unwrap_or((media, ""));
    let mut best: Option<(u8, bool)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default().to_ascii_lowercase();
        let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
        let specificity = if name == media {
            3
        } else if name.strip_suffix("/*") == Some(ty) {
            2
        } else if name == "*/*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, !refused));
        }
    }
    best.is_some_and(|(_, ok)| ok)
}

/// A client-supplied request id is kept when it is short and plain, so ids
/// can be followed across services; anything else is replaced.
fn request_id(req: &Request) -> String {
    req.header("X-Request-Id")
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let id = request_id(&req);
        let method = req.method().to_string();
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %method,
            path = %req.uri().path(),
            operation = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            server_timing = tracing::field::Empty,
        );
        let start = Instant::now();
        let upload = req.method() == poem::http::Method::POST && UPLOAD_PATHS.contains(&req.uri().path());
        let private = req.headers().contains_key(header::AUTHORIZATION) || TOKEN_PATHS.contains(&req.uri().path());
        let docs = req.uri().path() == "/docs" || req.uri().path().starts_with("/docs/");
        let coding = crate::compression::choose(req.header(header::ACCEPT_ENCODING));
        let masked = matches!(*req.method(), poem::http::Method::GET | poem::http::Method::HEAD)
            && req.uri().path().starts_with("/api/v1/");
        let limit = if upload { self.max_upload_bytes } else { self.max_body_bytes };
        let work = async {
            if let Some(resp) = self.answer_options(&req) {
                return resp;
            }
            if let Some(resp) = not_acceptable(&req, &self.routes) {
                return resp;
            }
            let declared = req.header(header::CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > limit) {
                return problem_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("the request body is larger than {limit} bytes"),
                );
            }
            // A JSON body is kept (it is bounded) so a 400 about it can name
            // the field at fault.
            let json = req.content_type().is_some_and(|ct| ct.starts_with("application/json"));
            let mut kept: Option<bytes::Bytes> = None;
            if (declared.is_none() || json) && !upload {
                // A body without Content-Length (chunked): read at most one
                // byte past the limit, so an oversized one is a 413 too.
                let mut buf = Vec::new();
                let mut body = req.take_body().into_async_read().take(limit as u64 + 1);
                if let Err(e) = body.read_to_end(&mut buf).await {
                    return problem_response(StatusCode::BAD_REQUEST, &format!("cannot read the request body: {e}"));
                }
                if buf.len() > limit {
                    return problem_response(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!("the request body is larger than {limit} bytes"),
                    );
                }
                let buf = bytes::Bytes::from(buf);
                if json {
                    kept = Some(buf.clone());
                }
                req.set_body(Body::from(buf));
            }
            let path = req.uri().path().to_owned();
            let resp = match self.inner.call(req).await {
                Ok(resp) => resp.into_response(),
                Err(err) => err.into_response(),
            };
            let resp = normalize(resp).await;
            let mut resp = self.routes.name_input(resp, &path, &method, kept.as_deref()).await;
            if resp.status() == StatusCode::METHOD_NOT_ALLOWED
                && let Some(v) = self.routes.allow(&path).and_then(|m| HeaderValue::from_str(m).ok())
            {
                resp.headers_mut().insert(header::ALLOW, v);
            }
            resp
        };
        let work = REQUEST_ID.scope(id.clone(), work.instrument(span.clone()));
        let (mut resp, timings) = if self.profile {
            let (resp, timings) = storage::profile::scope(work).await;
            (resp, Some(timings))
        } else {
            (work.await, None)
        };

        let operation = resp.data::<OperationId>().map_or("unmatched", |o| o.0);
        let status = resp.status().as_u16();
        let elapsed = start.elapsed();
        span.record("operation", operation);
        span.record("status", status);
        span.record("duration_ms", elapsed.as_secs_f64() * 1000.0);
        if let Some(timings) = timings {
            let value = timings.server_timing(elapsed);
            span.record("server_timing", value.as_str());
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert("server-timing", v);
            }
        }
        span.in_scope(|| {
            if status >= 500 {
                tracing::error!("request failed");
            } else {
                tracing::info!("request finished");
            }
        });
        let labels = [("operation", operation.to_owned()), ("method", method), ("status", status.to_string())];
        metrics::counter!("http_requests_total", &labels).increment(1);
        metrics::histogram!("http_request_duration_seconds", &labels[..1]).record(elapsed.as_secs_f64());

        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert("x-request-id", v);
        }
        security_headers(&mut resp, private, docs);
        if masked && (resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED) {
            // The X-Fields header shapes the body: a cache must key on it.
            resp.headers_mut().append(header::VARY, HeaderValue::from_static("x-fields"));
        }
        Ok(crate::compression::apply(resp, coding).await)
    }
}

/// The routes whose bodies hold tokens, whether or not the request carries one.
const TOKEN_PATHS: &[&str] = &["/api/v1/auth/login", "/api/v1/auth/refresh"];

/// The explorer's policy: its script and styles are inline in the page and
/// it talks only to this origin; nothing may frame it.
const DOCS_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Headers every response gets: `nosniff` everywhere; `no-store` on
/// responses to authenticated requests and on the token routes (their bodies
/// are private, some hold tokens) unless the handler chose its own caching;
/// a restrictive policy on the explorer; and PDFs sandboxed, so a PDF an
/// account uploaded runs no script in this origin.
fn security_headers(resp: &mut Response, private: bool, docs: bool) {
    let is_pdf = resp.content_type().is_some_and(|ct| ct.starts_with("application/pdf"));
    let headers = resp.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if private && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if docs {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if is_pdf {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    }
}

fn problem_response(status: StatusCode, detail: &str) -> Response {
    let problem = Problem::new(status.as_u16(), detail);
    let body = serde_json::json!({
        "type": problem.kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "request_id": problem.request_id,
    });
    let mut resp = Response::builder().status(status).content_type(PROBLEM_JSON).body(body.to_string());
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

/// Rewrites an error response that is not problem+json into one, keeping its
/// status and, for 4xx, its message as the detail. 5xx bodies are logged,
/// never shown.
async fn normalize(resp: Response) -> Response {
    let status = resp.status();
    if status.as_u16() < 400 || resp.content_type().is_some_and(|ct| ct.starts_with(PROBLEM_JSON)) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = body.into_string().await.unwrap_or_default();
    if status == StatusCode::BAD_REQUEST
        && let Some(field) = crate::error::unknown_field(&text)
    {
        let mut out = ApiError::unprocessable(vec![FieldError::unknown(field)]).into_response();
        *out.extensions_mut() = parts.extensions;
        return out;
    }
    let detail = if status.is_server_error() {
        tracing::error!(body = %text, "internal error");
        "an unexpected error occurred; quote the request id when reporting it".to_owned()
    } else if status == StatusCode::NOT_FOUND && (text.is_empty() || text == "not found") {
        "no such route or resource".to_owned()
    } else if status == StatusCode::UNAUTHORIZED && text == "authorization error" {
        // poem-openapi's answer to a missing or non-Bearer Authorization header.
        "missing or malformed Authorization header; send `Authorization: Bearer <access token>` from POST /api/v1/auth/login"
            .to_owned()
    } else if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let mut out = problem_response(status, &detail);
    // Keep the original's data (the operation id) and informative headers.
    *out.extensions_mut() = parts.extensions;
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}
