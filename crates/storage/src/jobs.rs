//! The job queue's SQL (the `jobs` table of migration 0013).
//!
//! Enqueueing takes the caller's connection, so a job is written in the
//! transaction of the change that causes it and exists exactly when that
//! change committed. A worker claims one due job with `FOR UPDATE SKIP
//! LOCKED` (workers never wait on each other's rows), marks it `running`
//! under a lease it extends while it works, and ends the attempt with
//! [`complete`] or [`fail`]. Both are fenced by the attempt number: a worker
//! whose lease was reaped and whose job has since been claimed again changes
//! nothing. [`reap`] returns jobs whose lease ran out to the queue.

use crate::error::Result;
use chrono::{DateTime, Utc};
use domain::job::{Job, RetryPolicy};
use serde_json::Value;
use sqlx::{PgExecutor, Row};
use std::time::Duration;

/// A pool for the queue's own bookkeeping (claim, lease, complete, fail,
/// reap) beside `pool`, on the same database, whose commits do not wait for
/// the WAL flush (`synchronous_commit = off`). That takes the disk flush
/// off the two commits every job costs the queue. A crash of PostgreSQL may
/// lose the last fraction of a second of bookkeeping, and each loss is
/// harmless: a lost claim leaves the job queued, a lost completion runs the
/// job again (a notification's key makes that send nothing), a lost failure
/// retries it sooner. What a job *does* commits through the main pool,
/// durably, as does enqueueing (in the causing transaction).
pub fn queue_pool(pool: &sqlx::PgPool, connections: u32) -> sqlx::PgPool {
    let options = pool.connect_options().as_ref().clone().options([("synchronous_commit", "off")]);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections.max(1))
        // No ping before each statement: it doubled the round trips of the
        // two statements a job costs the queue (a dead connection fails its
        // statement, and the worker tries again at its next poll).
        .test_before_acquire(false)
        .acquire_timeout(pool.options().get_acquire_timeout())
        .connect_lazy_with(options)
}

/// Queues `job` on the caller's connection (in its transaction), to run now.
pub async fn enqueue(db: impl PgExecutor<'_>, distributor_id: Option<i64>, job: &Job) -> Result<i64> {
    Ok(sqlx::query_scalar("INSERT INTO jobs (distributor_id, kind, payload) VALUES ($1, $2, $3) RETURNING id")
        .bind(distributor_id)
        .bind(job.kind())
        .bind(job.payload())
        .fetch_one(db)
        .await?)
}

/// Queues the mail `make` builds for order `order_id` at the version the
/// caller's transaction has made it (the version is part of the mail's key:
/// a later change to the order may send a mail of the same kind again).
pub async fn enqueue_order_mail(
    db: impl PgExecutor<'_>,
    order_id: i64,
    make: fn(domain::job::OrderMail) -> Job,
) -> Result<i64> {
    let kind = make(domain::job::OrderMail { order_id, version: 0 }).kind();
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (distributor_id, kind, payload) \
         SELECT distributor_id, $2, jsonb_build_object('order_id', id, 'version', version) FROM orders WHERE id = $1 \
         RETURNING id",
    )
    .bind(order_id)
    .bind(kind)
    .fetch_one(db)
    .await?)
}

/// Queues `count` no-op jobs in one statement (benchmarks and tests).
pub async fn enqueue_noops(db: impl PgExecutor<'_>, count: i64) -> Result<u64> {
    let noop = Job::Noop(domain::job::Noop {});
    Ok(sqlx::query("INSERT INTO jobs (kind, payload) SELECT $1, $2 FROM generate_series(1, $3)")
        .bind(noop.kind())
        .bind(noop.payload())
        .bind(count)
        .execute(db)
        .await?
        .rows_affected())
}

/// A claimed job: the worker runs it and ends the attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub distributor_id: Option<i64>,
    pub kind: String,
    pub payload: Value,
    /// This attempt's number (1 for the first): it fences the worker's writes.
    pub attempt: i32,
}

/// Claims the oldest due job for `worker`, leased for `lease`; `None` when
/// nothing is due. Locked rows (another worker's claim in flight) are
/// skipped, never waited on.
pub async fn claim(db: impl PgExecutor<'_>, worker: &str, lease: Duration) -> Result<Option<Claimed>> {
    let row = sqlx::query(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $1, \
                lease_until = now() + make_interval(secs => $2) \
         WHERE id = (SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND run_at <= now() \
                     ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, distributor_id, kind, payload, attempts",
    )
    .bind(worker)
    .bind(lease.as_secs_f64())
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Claimed {
            id: r.try_get("id")?,
            distributor_id: r.try_get("distributor_id")?,
            kind: r.try_get("kind")?,
            payload: r.try_get("payload")?,
            attempt: r.try_get("attempts")?,
        })
    })
    .transpose()
}

/// Extends the lease of the running attempt; `false` when the attempt no
/// longer holds the job (its lease was reaped).
pub async fn extend(db: impl PgExecutor<'_>, job: &Claimed, lease: Duration) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE jobs SET lease_until = now() + make_interval(secs => $3) \
         WHERE id = $1 AND attempts = $2 AND state = 'running'",
    )
    .bind(job.id)
    .bind(job.attempt)
    .bind(lease.as_secs_f64())
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Ends the attempt as done; `false` when the attempt no longer held the job.
pub async fn complete(db: impl PgExecutor<'_>, job: &Claimed) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE jobs SET state = 'done', lease_until = NULL, finished_at = now() \
         WHERE id = $1 AND attempts = $2 AND state = 'running'",
    )
    .bind(job.id)
    .bind(job.attempt)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// How a failed attempt left its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// It runs again at the given time.
    Retry(DateTime<Utc>),
    /// It has no attempts left.
    Dead,
    /// The attempt no longer held the job (its lease was reaped): nothing changed.
    Lost,
}

/// Ends the attempt as failed with `error`: the job waits `delay` and runs
/// again, or is dead when `policy` has no attempt left. The error is kept in
/// the job's `errors` with the attempt's number, time and worker.
pub async fn fail(
    db: impl PgExecutor<'_>,
    job: &Claimed,
    error: &str,
    policy: &RetryPolicy,
    delay: Duration,
) -> Result<Failed> {
    let dead = policy.exhausted(job.attempt);
    let row = sqlx::query(
        "UPDATE jobs SET state = CASE WHEN $3 THEN 'dead' ELSE 'failed' END, lease_until = NULL, \
                run_at = CASE WHEN $3 THEN run_at ELSE now() + make_interval(secs => $4) END, \
                finished_at = CASE WHEN $3 THEN now() END, last_error = $5, \
                errors = errors || jsonb_build_array(jsonb_build_object( \
                    'attempt', attempts, 'at', now(), 'worker', worker, 'error', $5::text)) \
         WHERE id = $1 AND attempts = $2 AND state = 'running' \
         RETURNING state, run_at",
    )
    .bind(job.id)
    .bind(job.attempt)
    .bind(dead)
    .bind(delay.as_secs_f64())
    .bind(error)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => Failed::Lost,
        Some(r) if r.try_get::<String, _>("state")? == "dead" => Failed::Dead,
        Some(r) => Failed::Retry(r.try_get("run_at")?),
    })
}

/// Puts the attempt's job back in the queue without counting the attempt
/// (a worker shutting down before the job finished).
pub async fn release(db: impl PgExecutor<'_>, job: &Claimed) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE jobs SET state = CASE WHEN attempts > 1 THEN 'failed' ELSE 'queued' END, attempts = attempts - 1, \
                lease_until = NULL, worker = NULL, run_at = now() \
         WHERE id = $1 AND attempts = $2 AND state = 'running'",
    )
    .bind(job.id)
    .bind(job.attempt)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// A job whose lease ran out, as the reaper left it.
#[derive(Debug, Clone)]
pub struct Reaped {
    pub id: i64,
    pub distributor_id: Option<i64>,
    pub kind: String,
    pub payload: Value,
    pub dead: bool,
}

/// Returns every job whose lease ran out to the queue (its worker died or
/// lost its connection): the lost attempt counts as a failure, recorded like
/// one, and a job out of attempts is dead.
pub async fn reap(db: impl PgExecutor<'_>, policy: &RetryPolicy) -> Result<Vec<Reaped>> {
    let rows = sqlx::query(
        "UPDATE jobs SET state = CASE WHEN attempts >= $1 THEN 'dead' ELSE 'failed' END, lease_until = NULL, \
                run_at = now(), finished_at = CASE WHEN attempts >= $1 THEN now() END, \
                last_error = 'the lease expired: worker ' || coalesce(worker, '?') || ' stopped or lost its connection', \
                errors = errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(), \
                    'worker', worker, 'error', 'the lease expired: the worker stopped or lost its connection')) \
         WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND lease_until < now() FOR UPDATE SKIP LOCKED) \
         RETURNING id, distributor_id, kind, payload, state",
    )
    .bind(policy.max_attempts)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Reaped {
                id: r.try_get("id")?,
                distributor_id: r.try_get("distributor_id")?,
                kind: r.try_get("kind")?,
                payload: r.try_get("payload")?,
                dead: r.try_get::<String, _>("state")? == "dead",
            })
        })
        .collect()
}

/// Deletes finished jobs older than `age`; returns how many.
pub async fn purge(db: impl PgExecutor<'_>, age: Duration) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'done' \
                                       AND finished_at < now() - make_interval(secs => $1) LIMIT 10000)",
    )
    .bind(age.as_secs_f64())
    .execute(db)
    .await?
    .rows_affected())
}

/// A job's distributor and state, for the retry endpoint's checks.
#[derive(Debug, Clone)]
pub struct Head {
    pub id: i64,
    pub distributor_id: Option<i64>,
    pub state: String,
    pub version: i64,
}

/// The job `id`, locked for the caller's transaction when `lock` is set.
pub async fn head(db: impl PgExecutor<'_>, id: i64, lock: crate::write::Lock) -> Result<Option<Head>> {
    let sql = match lock {
        crate::write::Lock::None => {
            "SELECT id, distributor_id, state, version::int8 AS version FROM jobs WHERE id = $1"
        }
        _ => "SELECT id, distributor_id, state, version::int8 AS version FROM jobs WHERE id = $1 FOR UPDATE",
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(db).await?;
    row.map(|r| {
        Ok(Head {
            id: r.try_get("id")?,
            distributor_id: r.try_get("distributor_id")?,
            state: r.try_get("state")?,
            version: r.try_get("version")?,
        })
    })
    .transpose()
}

/// Queues a failed or dead job again, to run now with a fresh round of
/// attempts (its earlier errors stay); `false` when it was in no such state.
pub async fn retry(db: impl PgExecutor<'_>, id: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = 0, retries = retries + 1, run_at = now(), \
                finished_at = NULL, worker = NULL \
         WHERE id = $1 AND state IN ('failed', 'dead')",
    )
    .bind(id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// The queue's depth by kind and state (finished jobs left out), and the
/// age of the oldest due job: what `/metrics` shows.
#[derive(Debug, Clone, Default)]
pub struct Depth {
    pub by_kind_state: Vec<(String, String, i64)>,
    pub oldest_due_seconds: f64,
}

pub async fn depth(db: impl PgExecutor<'_> + Copy) -> Result<Depth> {
    let rows = sqlx::query(
        "SELECT kind, state, count(*) AS n FROM jobs WHERE state <> 'done' GROUP BY kind, state ORDER BY kind, state",
    )
    .fetch_all(db)
    .await?;
    let by_kind_state = rows
        .into_iter()
        .map(|r| Ok((r.try_get("kind")?, r.try_get("state")?, r.try_get("n")?)))
        .collect::<Result<Vec<_>>>()?;
    let oldest: Option<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM now() - min(run_at))::float8 FROM jobs \
         WHERE state IN ('queued', 'failed') AND run_at <= now()",
    )
    .fetch_one(db)
    .await?;
    Ok(Depth { by_kind_state, oldest_due_seconds: oldest.unwrap_or(0.0).max(0.0) })
}
