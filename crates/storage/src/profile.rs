//! Where one request's time goes, for the profiling switch (`PROFILE=true`,
//! `serve --profile`): the token check, cache round trips, SQL statements
//! (how many, how long) and serialization, added up per request and sent as
//! a `Server-Timing` header and on the request's log line.
//!
//! The figures live in a task-local cell that the HTTP layer opens around a
//! request ([`scope`]); everything below records into it with plain
//! function calls. Outside a scope (profiling off, background work, the
//! report streams' own tasks) [`timed`], [`time`] and [`record_statement`]
//! find no cell and do nothing but run what they wrap: no clock is read, so
//! the switch costs nothing when it is off.
//!
//! Statements are counted from sqlx's own per-statement event (target
//! `sqlx::query`, which carries its elapsed time): the server's tracing set-up
//! hands those events to [`record_statement`] only while profiling is on.
//! The time is sqlx's: from sending the statement to the last row read, on
//! the connection, not counting the wait for a pooled connection.

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

/// One request's figures. Phases may nest: `auth` includes the cache round
/// trip (and, on a cache miss, the statement) of the token check, which
/// `cache` and `sql` count too.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Timings {
    pub auth: Duration,
    pub cache: Duration,
    /// Cache round trips (one pipeline is one).
    pub cache_calls: u32,
    pub sql: Duration,
    pub statements: u32,
    pub serialize: Duration,
}

/// What [`timed`] and [`time`] add their duration to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The bearer token's check: signature, revocation, account state.
    Auth,
    /// One round trip to the cache.
    Cache,
    /// Turning the response's documents into bytes.
    Serialize,
}

tokio::task_local! {
    static CURRENT: Cell<Timings>;
}

/// Runs `work` with a fresh set of figures and returns them beside its output.
pub async fn scope<F: Future>(work: F) -> (F::Output, Timings) {
    CURRENT
        .scope(Cell::new(Timings::default()), async move {
            let out = work.await;
            (out, CURRENT.with(Cell::get))
        })
        .await
}

/// Whether the current task is being profiled.
pub fn active() -> bool {
    CURRENT.try_with(|_| ()).is_ok()
}

/// Awaits `work`, adding its wall time to `phase` when profiling.
pub async fn timed<F: Future>(phase: Phase, work: F) -> F::Output {
    if !active() {
        return work.await;
    }
    let start = Instant::now();
    let out = work.await;
    add(phase, start.elapsed());
    out
}

/// Runs `work`, adding its time to `phase` when profiling.
pub fn time<T>(phase: Phase, work: impl FnOnce() -> T) -> T {
    if !active() {
        return work();
    }
    let start = Instant::now();
    let out = work();
    add(phase, start.elapsed());
    out
}

/// Counts one SQL statement that took `elapsed` (see the module's doc).
pub fn record_statement(elapsed: Duration) {
    update(|t| {
        t.statements += 1;
        t.sql += elapsed;
    });
}

fn add(phase: Phase, elapsed: Duration) {
    update(|t| match phase {
        Phase::Auth => t.auth += elapsed,
        Phase::Cache => {
            t.cache += elapsed;
            t.cache_calls += 1;
        }
        Phase::Serialize => t.serialize += elapsed,
    });
}

fn update(change: impl FnOnce(&mut Timings)) {
    let _ = CURRENT.try_with(|cell| {
        let mut t = cell.get();
        change(&mut t);
        cell.set(t);
    });
}

impl Timings {
    /// The `Server-Timing` header's value (durations in milliseconds), with
    /// `total` for the whole request.
    pub fn server_timing(&self, total: Duration) -> String {
        format!(
            "auth;dur={:.3}, cache;dur={:.3};desc=\"{} calls\", sql;dur={:.3};desc=\"{} statements\", \
             serialize;dur={:.3}, total;dur={:.3}",
            ms(self.auth),
            ms(self.cache),
            self.cache_calls,
            ms(self.sql),
            self.statements,
            ms(self.serialize),
            ms(total)
        )
    }
}

/// Milliseconds with fractions.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn figures_add_up_inside_a_scope_and_nothing_is_kept_outside() {
        assert!(!active());
        record_statement(Duration::from_millis(5));
        let ((), t) = scope(async {
            assert!(active());
            record_statement(Duration::from_millis(2));
            record_statement(Duration::from_millis(3));
            timed(Phase::Cache, async {}).await;
            time(Phase::Serialize, || ());
        })
        .await;
        assert_eq!(t.statements, 2);
        assert_eq!(t.sql, Duration::from_millis(5));
        assert_eq!(t.cache_calls, 1);
        assert!(!active());
        let header = t.server_timing(Duration::from_millis(12));
        assert!(header.contains("sql;dur=5.000;desc=\"2 statements\""), "{header}");
        assert!(header.ends_with("total;dur=12.000"), "{header}");
    }
}
