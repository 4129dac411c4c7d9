//! Logs and metrics set-up.

use crate::config::{Environment, LogFormat};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, filter::Targets};

/// Pretty logs in development, JSON in production; `RUST_LOG` filters. With
/// `profile` (`serve --profile`), sqlx's per-statement events also feed the
/// request's profile (`storage::profile`), whatever `RUST_LOG` says; without
/// it no statement event is even built.
pub fn init_logs(env: Environment, format: Option<LogFormat>, profile: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let format = format.unwrap_or(match env {
        Environment::Development => LogFormat::Pretty,
        Environment::Production => LogFormat::Json,
    });
    let statements =
        profile.then(|| StatementTimings.with_filter(Targets::new().with_target("sqlx::query", Level::DEBUG)));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match format {
        LogFormat::Pretty => logs.compact().with_filter(filter).boxed(),
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(true).with_filter(filter).boxed(),
    };
    let _ = tracing_subscriber::registry().with(logs).with(statements).try_init();
}

/// Hands each statement sqlx reports (its `elapsed_secs`) to the profile of
/// the request it ran for.
struct StatementTimings;

impl<S: Subscriber> Layer<S> for StatementTimings {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut elapsed = Elapsed(None);
        event.record(&mut elapsed);
        if let Some(secs) = elapsed.0 {
            storage::profile::record_statement(Duration::from_secs_f64(secs));
        }
    }
}

struct Elapsed(Option<f64>);

impl Visit for Elapsed {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" && value.is_finite() && value >= 0.0 {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// Installs the Prometheus recorder (latency histograms with fixed buckets).
pub fn init_metrics() -> anyhow::Result<PrometheusHandle> {
    Ok(PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("http_request_duration_seconds".into()),
            &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
        )?
        .install_recorder()?)
}
