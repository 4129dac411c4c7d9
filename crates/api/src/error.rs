//! The API's one error type, and RFC 9457 problem+json for every error.
//!
//! Handlers return `Result<_, ApiError>`; every variant is documented in the
//! OpenAPI spec with `application/problem+json`. Errors raised outside the
//! handlers (unknown route, wrong method, unparsable parameter, body too
//! large, missing token) are rewritten into the same shape by
//! [`crate::middleware`], so no plain-text error body ever leaves the server.

use domain::principal::Denied;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use storage::StorageError;
use validators::query::{QueryError, QueryErrorKind};

/// A problem detail (RFC 9457).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields, example)]
pub struct Problem {
    /// A URI reference naming the kind of problem (`/problems/<slug>`).
    #[oai(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this request, in words.
    pub detail: String,
    /// The request id (also in the `X-Request-Id` header): quote it when reporting a problem.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
    /// Field-level errors of a 422 (and of some 400s).
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldError>>,
    /// The rows and columns at fault in an uploaded file (a 422 of the CSV
    /// import, the same entries a dry run reports; its 400 for text that is
    /// not UTF-8).
    #[oai(skip_serializing_if_is_none)]
    pub row_errors: Option<Vec<RowError>>,
    /// The figures behind a storefront refusal, as decimal strings and
    /// counts: a limit, what the shopper already ordered and what the request
    /// would make it (`items_count_limit_exceeded`, `price_limit_exceeded`),
    /// the allowance left and the shortfall (`allowance_exceeded`), or old
    /// and new prices (`price_changed`).
    #[oai(skip_serializing_if_is_none)]
    pub amounts: Option<serde_json::Value>,
}

impl poem_openapi::types::Example for Problem {
    fn example() -> Problem {
        Problem {
            kind: "/problems/validation-failed".into(),
            title: "Validation failed".into(),
            status: 422,
            detail: "1 field is invalid".into(),
            request_id: Some("01HZX3J6Q2M7".into()),
            errors: Some(vec![FieldError {
                field: "new_password".into(),
                code: "too_short".into(),
                message: "must be at least 12 characters".into(),
            }]),
            row_errors: None,
            amounts: None,
        }
    }
}

/// One problem in an uploaded file, located by row and column.
#[derive(Debug, Clone, Object, PartialEq, Eq)]
#[oai(deny_unknown_fields)]
pub struct RowError {
    /// The row as a spreadsheet numbers it: the header is row 1, the first data row 2. A quoted value spanning
    /// several lines is still one row; blank lines are skipped and not numbered.
    pub row: u64,
    /// The column's header as written in the file; null when the problem concerns the whole row.
    #[oai(nullable)]
    pub column: Option<String>,
    /// A stable machine-readable code (`not_found`, `required`, `invalid`, `unknown_column`...).
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

/// One invalid field.
#[derive(Debug, Clone, Object, PartialEq, Eq)]
#[oai(deny_unknown_fields)]
pub struct FieldError {
    /// The field's name (a JSON pointer-like path for nested fields, or a parameter name).
    pub field: String,
    /// A stable machine-readable code.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), code: code.into(), message: message.into() }
    }

    /// A body field (or multipart part) the operation does not take. Such a
    /// field is refused, never ignored, so a client that sends `id`,
    /// `version`, `distributor_id` or `role` where they cannot be set learns
    /// it at once (no mass assignment).
    pub fn unknown(field: &str) -> Self {
        FieldError::new(field, "unknown_field", format!("`{field}` is not a field of this body; see the schema"))
    }
}

tokio::task_local! {
    /// The current request's id, set by the request middleware, so every
    /// problem body can carry it without threading it through handlers.
    pub static REQUEST_ID: String;
}

/// The current request id, if running inside a request.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The slug and title of each status this API uses.
pub fn kind_of(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("bad-request", "Bad request"),
        401 => ("unauthorized", "Unauthorized"),
        403 => ("forbidden", "Forbidden"),
        404 => ("not-found", "Not found"),
        405 => ("method-not-allowed", "Method not allowed"),
        406 => ("not-acceptable", "Not acceptable"),
        409 => ("conflict", "Conflict"),
        412 => ("precondition-failed", "Precondition failed"),
        413 => ("payload-too-large", "Payload too large"),
        415 => ("unsupported-media-type", "Unsupported media type"),
        422 => ("validation-failed", "Validation failed"),
        429 => ("too-many-requests", "Too many requests"),
        503 => ("unavailable", "Service unavailable"),
        s if s >= 500 => ("internal", "Internal server error"),
        _ => ("bad-request", "Bad request"),
    }
}

impl Problem {
    pub fn new(status: u16, detail: impl Into<String>) -> Problem {
        let (slug, title) = kind_of(status);
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.into(),
            status,
            detail: detail.into(),
            request_id: current_request_id(),
            errors: None,
            row_errors: None,
            amounts: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Problem {
        self.errors = Some(errors);
        self
    }

    pub fn with_amounts(mut self, amounts: serde_json::Value) -> Problem {
        self.amounts = Some(amounts);
        self
    }
}

/// Every error an operation can answer with.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "bad_request")]
pub enum ApiError {
    /// Malformed input: JSON body, X-Fields mask, filter, sort, page or another parameter.
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No token, or a bad, expired or revoked one.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>, #[oai(header = "WWW-Authenticate")] String),
    /// The caller's role does not allow this, or a field it may not read was asked for.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// Absent, or not visible to the caller.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// A unique name is taken, or the same Idempotency-Key is still in flight.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `If-Match` does not match the current version.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Json<Problem>),
    /// The request body is larger than the configured limit.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The request body is not in a content type this operation accepts.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Validation failed: the `errors` list names each field.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Rate limited: retry after the given number of seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// An unexpected error; the details are logged under the request id.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// The database or cache is unreachable.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

/// poem-openapi's parse errors (bad JSON, a parameter of the wrong type).
fn bad_request(err: poem::Error) -> ApiError {
    // A wrong Content-Type is 415 in the middleware; here everything is a 400.
    ApiError::bad_request(err.to_string())
}

/// The field a `deny_unknown_fields` refusal of a JSON body names:
/// poem-openapi says ``parse request payload error: failed to parse "T":
/// unknown field `name`.`` (the first it meets). The middleware answers it
/// as a 422 naming the field (every request body denies unknown fields).
pub(crate) fn unknown_field(text: &str) -> Option<&str> {
    let payload = text.strip_prefix("parse request payload error: ")?;
    let (_, rest) = payload.split_once("unknown field `")?;
    let (field, _) = rest.split_once('`')?;
    Some(field)
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest(Json(Problem::new(400, detail)))
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::Unauthorized(Json(Problem::new(401, detail)), "Bearer".into())
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::Forbidden(Json(Problem::new(403, detail)))
    }

    pub fn not_found() -> ApiError {
        ApiError::NotFound(Json(Problem::new(404, "no such resource")))
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::Conflict(Json(Problem::new(409, detail)))
    }

    /// A 409 about one field (a unique value taken): the detail is the
    /// field error's message, and `errors` names the field.
    pub fn conflict_on(error: FieldError) -> ApiError {
        ApiError::Conflict(Json(Problem::new(409, error.message.clone()).with_errors(vec![error])))
    }

    pub fn precondition_failed() -> ApiError {
        ApiError::PreconditionFailed(Json(Problem::new(
            412,
            "the resource changed since you read it (If-Match does not match its ETag); read it again",
        )))
    }

    /// The one 422: every field error of the request, in one stable order
    /// (by field, then code) whichever rule found it first, without repeats.
    pub fn unprocessable(mut errors: Vec<FieldError>) -> ApiError {
        errors.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
        errors.dedup();
        let n = errors.len();
        let detail = if n == 1 { "1 field is invalid".to_owned() } else { format!("{n} fields are invalid") };
        ApiError::Unprocessable(Json(Problem::new(422, detail).with_errors(errors)))
    }

    pub fn too_many_requests(retry_after: u64, detail: impl Into<String>) -> ApiError {
        ApiError::TooManyRequests(Json(Problem::new(429, detail)), retry_after)
    }

    pub fn unavailable() -> ApiError {
        ApiError::Unavailable(Json(Problem::new(503, "a backing service is unavailable; try again shortly")))
    }

    /// Logs the cause once, with the request id, and answers an opaque 500.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::Internal(Json(Problem::new(
            500,
            "an unexpected error occurred; quote the request id when reporting it",
        )))
    }

    /// The problem body, for tests and the middleware.
    pub fn problem(&self) -> &Problem {
        match self {
            ApiError::BadRequest(p)
            | ApiError::Unauthorized(p, _)
            | ApiError::Forbidden(p)
            | ApiError::NotFound(p)
            | ApiError::Conflict(p)
            | ApiError::PreconditionFailed(p)
            | ApiError::PayloadTooLarge(p)
            | ApiError::UnsupportedMediaType(p)
            | ApiError::Unprocessable(p)
            | ApiError::TooManyRequests(p, _)
            | ApiError::Internal(p)
            | ApiError::Unavailable(p) => &p.0,
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound => ApiError::not_found(),
            StorageError::Conflict { constraint } => {
                ApiError::conflict(format!("a unique value is already taken ({constraint})"))
            }
            StorageError::Invalid { constraint } => ApiError::unprocessable(vec![FieldError::new(
                constraint.clone(),
                "constraint",
                format!("the database refused the value ({constraint})"),
            )]),
            StorageError::Stale => ApiError::precondition_failed(),
            StorageError::BadText => ApiError::bad_request("text values must not contain NUL characters"),
            StorageError::BadCursor(msg) => ApiError::BadRequest(Json(
                Problem::new(400, msg.clone()).with_errors(vec![FieldError::new("cursor", "invalid", msg)]),
            )),
            StorageError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "backing service unavailable");
                ApiError::unavailable()
            }
            StorageError::Database(e) => ApiError::internal(&e),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        let field = FieldError::new(err.param, "invalid", err.message.clone());
        let problem = match err.kind {
            QueryErrorKind::BadRequest => Problem::new(400, err.message),
            QueryErrorKind::Forbidden => Problem::new(403, err.message),
        }
        .with_errors(vec![field]);
        match err.kind {
            QueryErrorKind::BadRequest => ApiError::BadRequest(Json(problem)),
            QueryErrorKind::Forbidden => ApiError::Forbidden(Json(problem)),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Forbidden => ApiError::forbidden("your role does not allow this"),
            Denied::Hidden => ApiError::not_found(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<validators::FieldIssue> for FieldError {
    fn from(i: validators::FieldIssue) -> FieldError {
        FieldError { field: i.field, code: i.code, message: i.message }
    }
}

/// Field issues from the validators crate as field errors, to gather with
/// the errors of lookups before answering one 422.
pub fn field_errors(issues: Vec<validators::FieldIssue>) -> Vec<FieldError> {
    issues.into_iter().map(FieldError::from).collect()
}

/// Field issues from the validators crate as a 422.
pub fn from_issues(issues: Vec<validators::FieldIssue>) -> ApiError {
    ApiError::unprocessable(issues.into_iter().map(FieldError::from).collect())
}
