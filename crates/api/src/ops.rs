//! Operational endpoints: liveness, readiness, metrics.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tags::ApiTags;
use poem::web::Data;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};

pub struct OpsApi;

/// Service status.
#[derive(Debug, Object)]
pub struct Status {
    /// `ok` when everything checked is reachable.
    pub status: String,
    /// The cache backend in use: `redis` or `in-process`.
    #[oai(skip_serializing_if_is_none)]
    pub cache: Option<String>,
}

#[derive(ApiResponse)]
pub enum StatusResponse {
    #[oai(status = 200)]
    Ok(Json<Status>),
}

#[derive(ApiResponse)]
pub enum MetricsResponse {
    /// Prometheus text exposition format.
    #[oai(status = 200, content_type = "text/plain; version=0.0.4")]
    Ok(PlainText<String>),
}

#[OpenApi(tag = "ApiTags::Minor")]
impl OpsApi {
    /// Liveness
    ///
    /// 200 while the process runs; checks nothing else.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> ApiResult<StatusResponse> {
        Ok(StatusResponse::Ok(Json(Status { status: "ok".into(), cache: None })))
    }

    /// Readiness
    ///
    /// 200 when the database and the cache answer; 503 otherwise.
    #[oai(path = "/ready", method = "get", operation_id = "ready")]
    async fn ready(&self, state: Data<&AppState>) -> ApiResult<StatusResponse> {
        storage::db::ping(&state.pool).await.map_err(|_| ApiError::unavailable())?;
        state.cache.ping().await.map_err(|_| ApiError::unavailable())?;
        Ok(StatusResponse::Ok(Json(Status { status: "ok".into(), cache: Some(state.cache.kind().into()) })))
    }

    /// Metrics
    ///
    /// Request counts and latencies by operation and status, and pool usage.
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self, state: Data<&AppState>) -> ApiResult<MetricsResponse> {
        metrics::gauge!("db_pool_connections").set(f64::from(state.pool.size()));
        metrics::gauge!("db_pool_idle_connections").set(state.pool.num_idle() as f64);
        let text = state.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
        Ok(MetricsResponse::Ok(PlainText(text)))
    }
}
