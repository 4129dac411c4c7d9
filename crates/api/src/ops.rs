//! Operational endpoints: liveness and readiness on the API's listener, and
//! metrics on a separate internal one ([`metrics_app`]): per-operation counts
//! and latencies describe the traffic, attacks included, and are for
//! operators, not for whoever can reach the API.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tags::ApiTags;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, IntoResponse, Route};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

#[derive(Default)]
pub struct OpsApi;

/// How long `/ready` waits for the cache's answer before it says degraded.
const CACHE_PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Service status.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Status {
    /// `ok` when everything checked is reachable; `degraded` when the
    /// service serves but not at its best (a backing service is down).
    /// Nothing else is said: what backs the service is for operators' logs,
    /// not for callers.
    pub status: String,
}

#[derive(ApiResponse)]
pub enum StatusResponse {
    #[oai(status = 200)]
    Ok(Json<Status>),
}

#[OpenApi(tag = "ApiTags::Minor")]
impl OpsApi {
    /// Liveness
    ///
    /// 200 while the process runs; checks nothing else.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> ApiResult<StatusResponse> {
        Ok(StatusResponse::Ok(Json(Status { status: "ok".into() })))
    }

    /// Readiness
    ///
    /// 200 when the database answers: `ok` when the cache answers too,
    /// `degraded` when it does not (the service still serves: tokens are
    /// checked against the database and pages are built uncached); 503 when
    /// the database does not answer.
    #[oai(path = "/ready", method = "get", operation_id = "ready")]
    async fn ready(&self, state: Data<&AppState>) -> ApiResult<StatusResponse> {
        storage::db::ping(&state.pool).await.map_err(|_| ApiError::unavailable())?;
        // A cache outage must not take every instance out of rotation (they
        // share the one Redis) while each can serve without it; nor may a
        // hanging Redis hold the probe past its own timeout.
        let status = match tokio::time::timeout(CACHE_PING_TIMEOUT, state.cache.ping()).await {
            Ok(Ok(())) => "ok",
            Ok(Err(e)) => {
                tracing::warn!(error = %e, cache = state.cache.kind(), "ready: the cache does not answer; degraded");
                "degraded"
            }
            Err(_) => {
                tracing::warn!(cache = state.cache.kind(), "ready: the cache did not answer in time; degraded");
                "degraded"
            }
        };
        Ok(StatusResponse::Ok(Json(Status { status: status.into() })))
    }
}

/// The internal metrics listener (`METRICS_BIND`): `GET /metrics` in the
/// Prometheus text format, request counts and latencies by operation and
/// status, pool usage, and the job queue: `jobs_queued{kind,state}` (every
/// unfinished job), `jobs_oldest_due_seconds` (how long the oldest due job
/// has waited), and from this process's workers `jobs_processed_total`,
/// `jobs_failed_total{kind,reason}` and `job_duration_seconds`.
pub fn metrics_app(state: AppState) -> impl Endpoint {
    Route::new().at("/metrics", poem::get(serve_metrics)).data(state)
}

#[poem::handler]
async fn serve_metrics(state: Data<&AppState>) -> impl IntoResponse {
    metrics::gauge!("db_pool_connections").set(f64::from(state.pool.size()));
    metrics::gauge!("db_pool_idle_connections").set(state.pool.num_idle() as f64);
    // The queue as the database has it (every process's workers), read at
    // scrape time; a failed read leaves the last values and says so in the log.
    match storage::jobs::depth(&state.pool).await {
        Ok(depth) => {
            // Every series first to 0: one that emptied since the last
            // scrape must not keep its old value.
            for kind in domain::job::KINDS {
                for job_state in domain::job::STATES.iter().filter(|s| **s != "done") {
                    metrics::gauge!("jobs_queued", "kind" => *kind, "state" => *job_state).set(0.0);
                }
            }
            for (kind, job_state, n) in depth.by_kind_state {
                metrics::gauge!("jobs_queued", "kind" => kind, "state" => job_state).set(n as f64);
            }
            metrics::gauge!("jobs_oldest_due_seconds").set(depth.oldest_due_seconds);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the job queue's depth"),
    }
    let text = state.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    text.with_content_type("text/plain; version=0.0.4")
}
