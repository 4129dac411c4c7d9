//! Background jobs: what a job does (its kind, with a typed payload), the
//! states it goes through, and how long it waits before running again.
//!
//! The queue itself is SQL (`storage::jobs`) and the handlers live with the
//! worker (`server::worker`); this module is the vocabulary they share. A new
//! kind is one variant of [`Job`] and one arm in the worker's handler.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A job, as its kind and payload: stored as the text `kind` and the JSON
/// `payload` (serde's adjacent tagging gives exactly those two parts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Job {
    /// The order confirmation to the shopper (when the campaign emails
    /// shoppers), written by checkout.
    OrderConfirmation(OrderMail),
    /// The new-order notice to the campaign's admin buyers, written by checkout.
    NewOrderNotice(OrderMail),
    /// The "your order has shipped" mail to the shopper, written by the
    /// status change to `shipped`.
    OrderShipped(OrderMail),
    /// Does nothing: measures the queue itself, and tests it.
    Noop(Noop),
}

/// The order a notification is about, and the order's version when the
/// notification was caused: together with the template they are the
/// notification's key, sent at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderMail {
    pub order_id: i64,
    pub version: i64,
}

/// The no-op job's payload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noop {}

/// The job kinds by name, as stored in `jobs.kind` and filtered on in the API.
pub const KINDS: &[&str] = &["order_confirmation", "new_order_notice", "order_shipped", "noop"];

impl Job {
    /// The stored kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::OrderConfirmation(_) => "order_confirmation",
            Job::NewOrderNotice(_) => "new_order_notice",
            Job::OrderShipped(_) => "order_shipped",
            Job::Noop(_) => "noop",
        }
    }

    /// The stored payload.
    pub fn payload(&self) -> serde_json::Value {
        let value = match self {
            Job::OrderConfirmation(m) | Job::NewOrderNotice(m) | Job::OrderShipped(m) => serde_json::to_value(m),
            Job::Noop(n) => serde_json::to_value(n),
        };
        // Plain structs of integers always serialise.
        value.unwrap_or_default()
    }

    /// The job stored as `kind` and `payload`, or why it cannot be read (an
    /// unknown kind from a newer release, a payload that does not fit).
    pub fn from_parts(kind: &str, payload: serde_json::Value) -> Result<Job, String> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
            .map_err(|e| format!("job kind `{kind}`: {e}"))
    }
}

/// A job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Waiting for its first run (or for its run after a staff retry).
    Queued,
    /// A worker holds its lease.
    Running,
    /// An attempt failed; it runs again at `run_at`.
    Failed,
    /// Every attempt failed; only a staff retry runs it again.
    Dead,
    Done,
}

impl State {
    pub const ALL: [State; 5] = [State::Queued, State::Running, State::Failed, State::Dead, State::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Failed => "failed",
            State::Dead => "dead",
            State::Done => "done",
        }
    }

    /// Whether staff may queue it again: a job waiting for a retry, or out of them.
    pub fn retryable(self) -> bool {
        matches!(self, State::Failed | State::Dead)
    }
}

impl std::str::FromStr for State {
    type Err = String;

    fn from_str(s: &str) -> Result<State, String> {
        State::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown job state `{s}`"))
    }
}

/// The job states by name.
pub const STATES: &[&str] = &["queued", "running", "failed", "dead", "done"];

/// How failed attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a job is dead (at least 1).
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles with each further one.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// Eight attempts over about eight and a half minutes: long enough to
    /// ride out an SMTP server's restart, short enough that staff see a dead
    /// job the same hour.
    fn default() -> Self {
        RetryPolicy { max_attempts: 8, base: Duration::from_secs(2), cap: Duration::from_secs(3600) }
    }
}

impl RetryPolicy {
    /// Whether the job is dead after attempt number `attempt` failed.
    pub fn exhausted(&self, attempt: i32) -> bool {
        attempt >= self.max_attempts
    }

    /// The wait after attempt number `attempt` (1-based) failed: `base ×
    /// 2^(attempt−1)`, capped, of which a random half is taken off
    /// (`jitter` in [0, 1)), so jobs that failed together (an SMTP outage)
    /// do not all come back in the same instant.
    pub fn delay(&self, attempt: i32, jitter: f64) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(30);
        let full = self.base.saturating_mul(1 << exponent).min(self.cap);
        let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
        full.mul_f64(1.0 - jitter / 2.0)
    }
}

// The resource descriptors of this aggregate (see `crate::resource`): what a client
// may read of it. A new resource of the aggregate is added here and to `RESOURCES`.

use crate::resource::{Field, FieldType as T, Resource};

/// This aggregate's resources; `crate::resource::RESOURCES` gathers every aggregate's.
pub const RESOURCES: &[&Resource] = &[&JOB];

pub static JOB: Resource = Resource {
    model: "Job",
    doc: "A background job (a notification mail, ...): queued in the transaction of the change that caused it, run by a worker under a lease, retried with exponential backoff, dead when its attempts ran out until staff retry it. Super admins see every job; distributor staff their distributor's.",
    fields: &[
        Field::new("id", T::Id, "The job's id; ids grow with time."),
        Field::new("distributor_id", T::Id, "The distributor whose data it is about (null: a platform job).")
            .nullable(),
        Field::new("kind", T::Enum(crate::job::KINDS), "What it does."),
        Field::new("payload", T::Json, "Its input, by kind: `order_id` and `version` for the order mails.")
            .not_filterable(),
        Field::new(
            "state",
            T::Enum(crate::job::STATES),
            "queued → running → done; running → failed (runs again at `run_at`) or dead (no attempts left).",
        ),
        Field::new("attempts", T::Int, "Attempts started since it was queued (a staff retry starts over)."),
        Field::new("retries", T::Int, "How often staff retried it."),
        Field::new("run_at", T::DateTime, "When it runs (next): its first run, or the retry after a failure."),
        Field::new("worker", T::Text, "The worker of its last attempt (host, process, task).").nullable(),
        Field::new("lease_until", T::DateTime, "While running: when its lease runs out unless the worker extends it.")
            .nullable(),
        Field::new("last_error", T::Text, "The error of its last failed attempt.").nullable(),
        Field::new("errors", T::Json, "Every failed attempt, oldest first: `attempt`, `at`, `worker`, `error`.")
            .not_filterable()
            .not_default(),
        Field::new("created_at", T::DateTime, "When it was queued (when its cause committed)."),
        Field::new("modified_at", T::DateTime, "When it last changed."),
        Field::new("finished_at", T::DateTime, "When it was done, or died.").nullable(),
        Field::new("version", T::Int, "Bumped on every change; the ETag.").not_filterable(),
    ],
    relations: &[],
    default_sort: &[("id", true)],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_through_kind_and_payload() {
        let jobs = [
            Job::OrderConfirmation(OrderMail { order_id: 7, version: 1 }),
            Job::NewOrderNotice(OrderMail { order_id: 7, version: 1 }),
            Job::OrderShipped(OrderMail { order_id: 9, version: 4 }),
            Job::Noop(Noop {}),
        ];
        for job in jobs.clone() {
            assert!(KINDS.contains(&job.kind()));
            assert_eq!(Job::from_parts(job.kind(), job.payload()), Ok(job));
        }
        assert_eq!(KINDS.len(), jobs.len());
    }

    #[test]
    fn unknown_kinds_and_bad_payloads_are_errors() {
        assert!(Job::from_parts("launch_rockets", serde_json::json!({})).is_err());
        assert!(Job::from_parts("order_confirmation", serde_json::json!({"order_id": "x"})).is_err());
        assert!(Job::from_parts("order_confirmation", serde_json::json!({"order_id": 1})).is_err());
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered_by_at_most_half() {
        let p = RetryPolicy { max_attempts: 5, base: Duration::from_secs(2), cap: Duration::from_secs(60) };
        assert_eq!(p.delay(1, 0.0), Duration::from_secs(2));
        assert_eq!(p.delay(2, 0.0), Duration::from_secs(4));
        assert_eq!(p.delay(3, 0.0), Duration::from_secs(8));
        assert_eq!(p.delay(10, 0.0), Duration::from_secs(60));
        assert_eq!(p.delay(3, 1.0), Duration::from_secs(4));
        assert_eq!(p.delay(i32::MAX, 0.5), Duration::from_secs(45));
        assert!(!p.exhausted(4));
        assert!(p.exhausted(5));
    }

    #[test]
    fn states_parse_from_their_names() {
        for s in State::ALL {
            assert_eq!(s.as_str().parse::<State>(), Ok(s));
        }
        assert_eq!(STATES, State::ALL.map(State::as_str));
        assert!(State::Dead.retryable() && State::Failed.retryable());
        assert!(!State::Running.retryable() && !State::Done.retryable() && !State::Queued.retryable());
    }
}
