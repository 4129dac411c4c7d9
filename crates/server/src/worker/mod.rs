//! The workers: tasks that take jobs from the queue (`storage::jobs`) and run
//! them, inside `promostore serve` or alone in `promostore worker`. Any number
//! of processes share one queue.
//!
//! One worker loop, over and over: return expired leases to the queue, claim
//! the oldest due job, run it while a heartbeat extends its lease, end the
//! attempt (done, or failed with a backoff, or dead), and when nothing is due
//! sleep for the poll interval. A panic in a handler fails the attempt like
//! an error. On shutdown a worker finishes its current job within the grace
//! period, or puts it back in the queue without counting the attempt.
//!
//! [`handlers`] holds what each job kind does.

pub mod handlers;

use domain::job::RetryPolicy;
use handlers::Context;
use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage::PgPool;
use storage::jobs::{Claimed, Failed};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How the workers run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Worker tasks in this process (0: none).
    pub count: usize,
    /// How long a claimed job is leased; the heartbeat extends it every third of this.
    pub lease: Duration,
    /// The sleep when no job is due.
    pub poll: Duration,
    pub retry: RetryPolicy,
    /// Finished jobs older than this are deleted.
    pub retention: Duration,
    /// On shutdown, how long the current job may take to finish.
    pub grace: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            count: 2,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(250),
            retry: RetryPolicy::default(),
            retention: Duration::from_secs(30 * 86_400),
            grace: Duration::from_secs(30),
        }
    }
}

/// The running workers of this process.
pub struct Workers {
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
}

impl Workers {
    /// Starts `settings.count` workers on the database of `pool`: the queue's
    /// bookkeeping goes through a pool of its own with asynchronous commits
    /// ([`storage::jobs::queue_pool`]), what the jobs do through `context.pool`.
    pub fn start(pool: PgPool, context: Context, settings: Settings) -> Workers {
        let connections = u32::try_from(settings.count).unwrap_or(u32::MAX).saturating_add(1);
        let pool = storage::jobs::queue_pool(&pool, connections);
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let shared = Arc::new((pool, context, settings));
        let process = format!("{}-{}", hostname(), std::process::id());
        for n in 0..shared.2.count {
            let shared = Arc::clone(&shared);
            let name = format!("{process}-{n}");
            let stopped = stopped.clone();
            tasks.spawn(async move {
                let (pool, context, settings) = &*shared;
                work(pool, context, settings, &name, stopped).await;
            });
        }
        if shared.2.count > 0 {
            tracing::info!(count = shared.2.count, process = %process, "workers started");
        }
        Workers { tasks, stop }
    }

    /// Stops claiming, lets each current job finish within the grace period
    /// (or puts it back), and waits for every worker to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// This machine's name, for worker names in the jobs table.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_owned()))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned())
}

/// One worker's loop, until `stopped` turns true.
async fn work(pool: &PgPool, context: &Context, settings: &Settings, name: &str, mut stopped: watch::Receiver<bool>) {
    // The reaper and the purge run now and then, not before every claim.
    let mut next_reap = Instant::now();
    let mut next_purge = Instant::now();
    while !*stopped.borrow() {
        if Instant::now() >= next_reap {
            next_reap = Instant::now() + (settings.lease / 3).max(Duration::from_millis(100));
            reap(pool, context, settings).await;
        }
        if Instant::now() >= next_purge {
            next_purge = Instant::now() + Duration::from_secs(3600);
            match storage::jobs::purge(pool, settings.retention).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "deleted finished jobs past their retention"),
                Err(e) => tracing::warn!(error = %e, "could not delete old finished jobs"),
            }
        }
        match storage::jobs::claim(pool, name, settings.lease).await {
            Ok(Some(job)) => run(pool, context, settings, name, job, &mut stopped).await,
            Ok(None) => idle(settings.poll, &mut stopped).await,
            Err(e) => {
                tracing::warn!(worker = name, error = %e, "could not claim a job");
                idle(settings.poll.max(Duration::from_secs(1)), &mut stopped).await;
            }
        }
    }
}

/// Sleeps `poll`, or less when asked to stop.
async fn idle(poll: Duration, stopped: &mut watch::Receiver<bool>) {
    tokio::select! {
        () = tokio::time::sleep(poll) => {}
        _ = stopped.changed() => {}
    }
}

/// Returns expired leases to the queue; a job that thereby ran out of
/// attempts is dead, and its handler hears of it.
async fn reap(pool: &PgPool, context: &Context, settings: &Settings) {
    match storage::jobs::reap(pool, &settings.retry).await {
        Ok(reaped) => {
            for job in reaped {
                tracing::warn!(job.id = job.id, job.kind = %job.kind, dead = job.dead, "a job's lease expired: its worker stopped or lost its connection");
                metrics::counter!("jobs_failed_total", "kind" => job.kind.clone(), "reason" => "lease_expired")
                    .increment(1);
                if job.dead {
                    let claimed = Claimed {
                        id: job.id,
                        distributor_id: job.distributor_id,
                        kind: job.kind,
                        payload: job.payload,
                        attempt: settings.retry.max_attempts,
                    };
                    handlers::dead(context, &claimed, "the lease expired on the last attempt").await;
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not reap expired leases"),
    }
}

/// Runs one claimed job to the end of its attempt.
async fn run(
    pool: &PgPool,
    context: &Context,
    settings: &Settings,
    name: &str,
    job: Claimed,
    stopped: &mut watch::Receiver<bool>,
) {
    let started = Instant::now();
    let kind = job.kind.clone();
    let span = tracing::info_span!("job", job.id = job.id, job.kind = %kind, job.attempt = job.attempt, worker = name);
    // The handler runs in its own task so that a panic fails the attempt
    // instead of killing the worker.
    let handle = {
        let context = context.clone();
        let job = job.clone();
        tokio::spawn(tracing::Instrument::instrument(async move { handlers::run(&context, &job).await }, span.clone()))
    };
    let abort = handle.abort_handle();
    let outcome = tokio::select! {
        result = heartbeat(pool, &job, settings.lease, handle) => Some(result),
        () = shutdown_grace(stopped, settings.grace) => None,
    };
    let Some(result) = outcome else {
        // Shutting down and the job did not finish within the grace period:
        // back into the queue, this attempt not counted.
        abort.abort();
        match storage::jobs::release(pool, &job).await {
            Ok(_) => tracing::info!(parent: &span, "shutting down: the unfinished job is back in the queue"),
            Err(e) => {
                tracing::warn!(parent: &span, error = %e, "shutting down: could not release the job (its lease will expire)")
            }
        }
        return;
    };
    metrics::histogram!("job_duration_seconds", "kind" => kind.clone()).record(started.elapsed().as_secs_f64());
    match result {
        Ok(()) => match storage::jobs::complete(pool, &job).await {
            Ok(true) => {
                metrics::counter!("jobs_processed_total", "kind" => kind, "outcome" => "done").increment(1);
            }
            Ok(false) => tracing::warn!(parent: &span, "the job finished after its lease was taken over"),
            Err(e) => tracing::warn!(parent: &span, error = %e, "could not mark the job done (it will run again)"),
        },
        Err(error) => {
            metrics::counter!("jobs_failed_total", "kind" => kind.clone(), "reason" => "error").increment(1);
            let jitter: f64 = rand::rng().random();
            let delay = settings.retry.delay(job.attempt, jitter);
            match storage::jobs::fail(pool, &job, &error, &settings.retry, delay).await {
                Ok(Failed::Retry(at)) => {
                    tracing::warn!(parent: &span, error = %error, retry_at = %at, "job failed; it will run again");
                }
                Ok(Failed::Dead) => {
                    tracing::error!(parent: &span, error = %error, "job failed on its last attempt: dead");
                    metrics::counter!("jobs_processed_total", "kind" => kind, "outcome" => "dead").increment(1);
                    handlers::dead(context, &job, &error).await;
                }
                Ok(Failed::Lost) => {
                    tracing::warn!(parent: &span, error = %error, "job failed after its lease was taken over")
                }
                Err(e) => {
                    tracing::warn!(parent: &span, error = %e, "could not record the job's failure (its lease will expire)")
                }
            }
        }
    }
}

/// Waits for the handler while extending the job's lease every third of it.
async fn heartbeat(
    pool: &PgPool,
    job: &Claimed,
    lease: Duration,
    mut handle: tokio::task::JoinHandle<Result<(), String>>,
) -> Result<(), String> {
    let mut beat = tokio::time::interval(lease / 3);
    beat.tick().await;
    loop {
        tokio::select! {
            joined = &mut handle => {
                return match joined {
                    Ok(result) => result,
                    Err(e) if e.is_panic() => Err(format!("the handler panicked: {}", panic_text(e.into_panic()))),
                    Err(e) => Err(format!("the handler was cancelled: {e}")),
                };
            }
            _ = beat.tick() => {
                match storage::jobs::extend(pool, job, lease).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job.id = job.id, "the job's lease was taken over while it ran"),
                    Err(e) => tracing::warn!(job.id = job.id, error = %e, "could not extend the job's lease"),
                }
            }
        }
    }
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// Resolves `grace` after shutdown was asked for; never before.
async fn shutdown_grace(stopped: &mut watch::Receiver<bool>, grace: Duration) {
    while !*stopped.borrow() {
        if stopped.changed().await.is_err() {
            // The sender is gone only when the workers are dropped unstopped.
            std::future::pending::<()>().await;
        }
    }
    tokio::time::sleep(grace).await;
}
