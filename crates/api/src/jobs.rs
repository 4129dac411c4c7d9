//! Tag Jobs: the background job queue as staff see it, and a retry.
//!
//! Jobs are written by the changes that cause them (checkout queues the
//! order's mails) and run by the workers (`promostore serve` or `promostore
//! worker`); nothing here creates one. Staff see their distributor's jobs
//! through the query language (e.g. every dead job:
//! `filter=[{"field":"state","op":"eq","value":"dead"}]`), and queue a failed
//! or dead one again once its cause is fixed (the SMTP server is back). A
//! retried notification still goes out at most once.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult};
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, JobDoc, ListResponse, ReadResponse};
use crate::state::AppState;
use crate::tags::ApiTags;
use crate::write::{Written, begin, check_version, commit, read_back};
use domain::Role;
use domain::resource::JOB;
use poem::Request;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path};
use storage::write::Lock;

#[derive(Default)]
pub struct JobsApi;

/// This namespace's APIs.
pub type Api = JobsApi;

/// The job found, if `who` (staff) may see it; 404 otherwise.
fn visible(who: &domain::Principal, found: Option<storage::jobs::Head>) -> ApiResult<storage::jobs::Head> {
    let head = found.ok_or_else(ApiError::not_found)?;
    who.require_in(Role::SalesExecutive, head.distributor_id)?;
    Ok(head)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl JobsApi {
    /// List jobs
    ///
    /// The background jobs of your distributor (every job for a super
    /// admin), newest first unless sorted otherwise: `state`, `attempts`,
    /// `last_error` and `run_at` show what is stuck and why, e.g.
    /// `filter=[{"field":"state","op":"eq","value":"dead"}]`. Finished jobs
    /// stay for the retention period (`JOB_RETENTION_DAYS`). Staff only.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/jobs", method = "get", operation_id = "list_jobs")]
    async fn list_jobs(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<JobDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, who, &args, request).await
    }

    /// Get a job
    ///
    /// One job with its state, attempts, next run and (with `errors` in the
    /// mask) every failed attempt's error. 404 when it does not exist or is
    /// another distributor's.
    #[oai(path = "/jobs/:id", method = "get", operation_id = "get_job")]
    async fn get_job(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The job's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<JobDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        visible(who, storage::jobs::head(&state.pool, id.0, Lock::None).await?)?;
        let selection = crate::params::selection(&x_fields, &fields, &JOB, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Retry a job
    ///
    /// Queues a `failed` or `dead` job to run now, with a fresh round of
    /// attempts; its earlier errors stay in `errors` and `retries` counts
    /// the retry. A notification that was in fact sent is not sent again.
    /// 409 when the job is queued, running or done. Honours `If-Match` (the
    /// job's ETag). Returns the job.
    #[oai(path = "/jobs/:id/retry", method = "post", operation_id = "retry_job")]
    async fn retry_job(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The job's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
    ) -> ApiResult<Written<JobDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &JOB, who.role)?;
        let expected = if_match.expected(JOB.model, id.0)?;
        let mut tx = begin(&state).await?;
        let head = visible(who, storage::jobs::head(&mut *tx, id.0, Lock::Update).await?)?;
        check_version(&expected, head.version)?;
        let retryable = head.state.parse::<domain::job::State>().is_ok_and(domain::job::State::retryable);
        if !retryable {
            return Err(ApiError::conflict(format!(
                "the job is {}: only a failed or dead job can be retried",
                head.state
            )));
        }
        storage::jobs::retry(&mut *tx, head.id).await?;
        commit(tx).await?;
        tracing::info!(job.id = head.id, by = who.account_id, "job queued again by staff");
        let (body, tag) = read_back::<JobDoc>(&state, who, &selection, head.id).await?;
        Ok(Written::Ok(body, tag))
    }
}
