//! The HTTP API: poem-openapi namespaces composed over storage.
//!
//! [`app`] is the whole service (API, docs, spec, operational endpoints)
//! behind the request middleware; the server binary and the tests both call
//! it, so what is tested is what runs.

// `ApiError` carries its problem body inline so every variant documents its
// schema in the spec; errors are the cold path, so their size costs nothing
// that matters.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod catalog;
pub mod compression;
pub mod document;
pub mod error;
mod examples;
pub mod idempotency;
pub mod input;
pub mod jobs;
pub mod middleware;
pub mod minor;
pub mod multipart;
pub mod ops;
pub mod orders;
pub mod organization;
pub mod params;
pub mod precondition;
pub mod record;
pub mod reports;
pub mod resource;
pub mod state;
pub mod storefront;
pub mod strict;
pub mod tags;
pub mod write;

pub use state::{ApiConfig, AppState};

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::OpenApiService;

/// Every namespace's APIs, each listed once here (nested tuples implement
/// `OpenApi`, and `Default` builds them): adding an endpoint group touches
/// only its namespace's `Api`.
type Apis = (
    ops::OpsApi,
    auth::AuthApi,
    organization::Api,
    catalog::Api,
    minor::Api,
    storefront::Api,
    orders::Api,
    jobs::Api,
    reports::Api,
);

/// The OpenAPI service (also used by `promostore openapi` to print the spec).
pub fn openapi() -> OpenApiService<Apis, ()> {
    OpenApiService::new(Apis::default(), "promostore", env!("CARGO_PKG_VERSION")).description(include_str!("../API.md"))
}

/// The whole HTTP application.
pub fn app(state: AppState) -> impl Endpoint {
    let api = openapi();
    // Built once: the routes read it, and each request for it shares the bytes.
    let document = document::served(&api.spec());
    let served = bytes::Bytes::from(document.to_string());
    let spec = poem::endpoint::make_sync(move |_| {
        poem::Response::builder().content_type("application/json; charset=utf-8").body(served.clone())
    });
    let docs = api.swagger_ui();
    let max_body_bytes = state.config.max_body_bytes;
    let max_upload_bytes = state.config.max_upload_bytes;
    let profile = state.config.profile;
    let routes = std::sync::Arc::new(middleware::Routes::from_spec(&document));
    // CORS stays closed unless origins are configured: then only those may
    // call from a browser (no credentials: the API uses bearer tokens).
    let origins = state.config.cors_origins.clone();
    let cors = (!origins.is_empty()).then(|| {
        poem::middleware::Cors::new()
            .allow_origins(origins)
            .allow_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
            .allow_headers([
                "authorization",
                "content-type",
                "x-fields",
                "if-match",
                "if-none-match",
                "idempotency-key",
            ])
            .expose_headers([
                "etag",
                "location",
                "link",
                "x-total-count",
                "x-request-id",
                "retry-after",
                "server-timing",
            ])
            .max_age(600)
    });
    let cors_enabled = cors.is_some();
    Route::new()
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest("/", api)
        .with(idempotency::Idempotency)
        .data(state)
        .with_if(cors_enabled, cors.unwrap_or_default())
        .with(middleware::Observe { max_body_bytes, max_upload_bytes, cors: cors_enabled, routes, profile })
}
