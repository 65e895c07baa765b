//! What an operator needs from a running server: `/metrics` (Prometheus), `/readyz`, and the
//! log format.
//!
//! - `/metrics` is off the public address unless asked for: `METRICS_BIND` serves it on an
//!   address of its own (e.g. `127.0.0.1:9090`, reached by Prometheus only), and
//!   `METRICS_TOKEN` serves it on the main address to a `Authorization: Bearer <token>`
//!   (compared in constant time, never logged). With neither, there is no `/metrics`.
//! - `/readyz` answers 503 while the link store does not answer (2 s), the worker is not
//!   running, or the oldest unfinished inbox entry is older than `READY_MAX_BACKLOG_AGE`
//!   (default 5 min): a load balancer then stops sending to a replica that cannot record or
//!   keep up. `/healthz` stays liveness: the process answers.
//! - `LOG_FORMAT=json` logs one JSON object per line, with the span fields.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use meya_links::LinkStore;
use secrecy::{ExposeSecret, SecretString};

/// How long `/readyz` waits for the link store.
const STORE_CHECK: Duration = Duration::from_secs(2);
/// How often the recorder folds the histograms' new samples into their buckets. Without it
/// the samples pile up until `/metrics` is scraped: on a server nobody scrapes, for ever
/// (the 30-minute soak found it: ~35 bytes per webhook).
const METRICS_UPKEEP: Duration = Duration::from_secs(5);
/// Histogram buckets for every `*_seconds` histogram: upstream calls, webhook to done.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Installs the logger: `LOG_FORMAT=json` for JSON lines, else text; `RUST_LOG` filters.
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    if std::env::var("LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json")) {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

/// Settings from the environment: `METRICS_BIND`, `METRICS_TOKEN`, `READY_MAX_BACKLOG_AGE`.
pub(crate) struct Settings {
    metrics_bind: Option<String>,
    metrics_token: Option<SecretString>,
    max_backlog_age: Duration,
}

impl Settings {
    pub(crate) fn from_env() -> Result<Self, String> {
        let max_backlog_age = match std::env::var("READY_MAX_BACKLOG_AGE") {
            Ok(text) => humantime::parse_duration(&text)
                .map_err(|error| format!("READY_MAX_BACKLOG_AGE {text:?}: {error}"))?,
            Err(_) => Duration::from_secs(300),
        };
        let metrics_token = std::env::var("METRICS_TOKEN")
            .ok()
            .filter(|token| !token.is_empty())
            .map(SecretString::from);
        Ok(Self {
            metrics_bind: std::env::var("METRICS_BIND")
                .ok()
                .filter(|bind| !bind.is_empty()),
            metrics_token,
            max_backlog_age,
        })
    }
}

/// The shared state of `/metrics` and `/readyz`.
pub(crate) struct Operations {
    store: Arc<dyn LinkStore>,
    prometheus: PrometheusHandle,
    worker_running: Arc<AtomicBool>,
    settings: Settings,
}

/// Set while the worker runs; cleared when its task ends, however it ends.
pub(crate) struct WorkerRunning(Arc<AtomicBool>);

impl Drop for WorkerRunning {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Operations {
    /// Installs the Prometheus recorder the libraries' metrics go to.
    pub(crate) fn install(store: Arc<dyn LinkStore>, settings: Settings) -> Result<Self, String> {
        let prometheus = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .map_err(|error| format!("metrics: {error}"))?
            .install_recorder()
            .map_err(|error| format!("metrics: {error}"))?;
        let upkeep = prometheus.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(METRICS_UPKEEP);
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        });
        Ok(Self {
            store,
            prometheus,
            worker_running: Arc::new(AtomicBool::new(false)),
            settings,
        })
    }

    /// `METRICS_BIND`, if set.
    pub(crate) fn metrics_bind(&self) -> Option<&str> {
        self.settings.metrics_bind.as_deref()
    }

    /// Marks the worker running until the returned guard is dropped.
    pub(crate) fn worker_started(&self) -> WorkerRunning {
        self.worker_running.store(true, Ordering::SeqCst);
        WorkerRunning(Arc::clone(&self.worker_running))
    }

    /// `/readyz` for the main router, and `/metrics` when `METRICS_TOKEN` is set.
    pub(crate) fn routes(self: &Arc<Self>) -> Router {
        let mut routes = Router::new().route("/readyz", get(readyz));
        if self.settings.metrics_token.is_some() {
            routes = routes.route("/metrics", get(metrics_with_token));
        }
        routes.with_state(Arc::clone(self))
    }

    /// The router of `METRICS_BIND`: `/metrics`, no token.
    pub(crate) fn metrics_routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/metrics", get(metrics))
            .with_state(Arc::clone(self))
    }

    /// The exposition, with the inbox's gauges read now.
    async fn render(&self) -> String {
        match tokio::time::timeout(STORE_CHECK, self.store.inbox_stats()).await {
            Ok(Ok(stats)) => {
                for (state, count) in [
                    ("pending", stats.pending),
                    ("in_flight", stats.in_flight),
                    ("done", stats.done),
                    ("failed", stats.failed),
                ] {
                    metrics::gauge!("bridge_inbox_entries", "state" => state).set(count as f64);
                }
                metrics::gauge!("bridge_inbox_oldest_unfinished_age_seconds")
                    .set(age(stats.oldest_unfinished).as_secs_f64());
                metrics::gauge!("bridge_link_store_up").set(1.0);
            }
            _ => metrics::gauge!("bridge_link_store_up").set(0.0),
        }
        metrics::gauge!("bridge_worker_running").set(
            if self.worker_running.load(Ordering::SeqCst) {
                1.0
            } else {
                0.0
            },
        );
        self.prometheus.render()
    }

    /// Why the server is not ready, if it is not.
    async fn not_ready(&self) -> Option<String> {
        if !self.worker_running.load(Ordering::SeqCst) {
            return Some("the inbox worker is not running".into());
        }
        let stats = match tokio::time::timeout(STORE_CHECK, self.store.inbox_stats()).await {
            Ok(Ok(stats)) => stats,
            Ok(Err(error)) => return Some(format!("the link store fails: {error}")),
            Err(_) => return Some("the link store does not answer".into()),
        };
        let backlog = age(stats.oldest_unfinished);
        (backlog > self.settings.max_backlog_age).then(|| {
            format!(
                "the oldest unfinished inbox entry is {} s old (limit {} s)",
                backlog.as_secs(),
                self.settings.max_backlog_age.as_secs()
            )
        })
    }
}

/// How long ago `recorded_at` was; zero for none.
fn age(recorded_at: Option<SystemTime>) -> Duration {
    recorded_at
        .and_then(|at| SystemTime::now().duration_since(at).ok())
        .unwrap_or_default()
}

async fn readyz(State(operations): State<Arc<Operations>>) -> Response {
    match operations.not_ready().await {
        None => (StatusCode::OK, "ready").into_response(),
        Some(reason) => {
            tracing::warn!(%reason, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, reason).into_response()
        }
    }
}

async fn metrics(State(operations): State<Arc<Operations>>) -> Response {
    exposition(operations.render().await)
}

async fn metrics_with_token(
    State(operations): State<Arc<Operations>>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = &operations.settings.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !examples::same_secret(given.as_bytes(), token.expose_secret().as_bytes()) {
        return (StatusCode::UNAUTHORIZED, "a metrics token is required").into_response();
    }
    exposition(operations.render().await)
}

fn exposition(body: String) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
