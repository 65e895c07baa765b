//! bridge-server: the bridge as an HTTP service, the template to copy into your own.
//!
//! Routes: `POST /webhooks/zendesk`, `POST /webhooks/sunco`, `GET /healthz`. Configuration
//! comes from the environment (`ZENDESK_*`, `SUNCO_*`, see `bridge::config::ENVIRONMENT`),
//! Meya's settings from the TOML file named by `BRIDGE_CONFIG` (default: the seed's), the
//! link store from `LINK_STORE_URL` (default `sqlite://bridge.db`; `postgres://...` for
//! several replicas), the address from `BIND` (default `127.0.0.1:8080`).
//!
//! Webhooks answer 401 for bad credentials or signature, 400 for a malformed body, 503 when
//! another worker holds the same customer, 500 when processing failed (the sender retries;
//! nothing is delivered twice), 200 otherwise. This version processes each webhook before
//! answering; a durable inbox that answers first is the next step.
//!
//! Run: `cargo run -p examples --bin bridge-server`.

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bridge::config::{Config, SEED_TOML};
use bridge::{Bridge, WebhookRejection};
use meya_links::{LinkStore, PostgresStore, SqliteStore};
use tracing::{info, warn};

/// Webhook bodies larger than this are refused (Zendesk's and SunCo's are a few KiB).
const MAX_BODY: usize = 1024 * 1024;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bridge-server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let settings = match std::env::var("BRIDGE_CONFIG") {
        Ok(path) => std::fs::read_to_string(&path)
            .map_err(|error| format!("BRIDGE_CONFIG {path}: {error}"))?,
        Err(_) => SEED_TOML.to_owned(),
    };
    let config = Config::loader().toml(&settings)?.env().build()?;
    let store = open_store(
        &std::env::var("LINK_STORE_URL").unwrap_or_else(|_| "sqlite://bridge.db".into()),
    )
    .await?;
    let bridge = Bridge::new(config, store)?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|error| format!("BIND {bind}: {error}"))?;
    // Printed, not only logged: scripts and tests read the address from here.
    println!(
        "bridge-server listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app(bridge))
        .with_graceful_shutdown(shutdown())
        .await?;
    info!("stopped");
    Ok(())
}

/// The store named by `LINK_STORE_URL`. The URL may hold a password: it is never printed.
async fn open_store(url: &str) -> Result<Arc<dyn LinkStore>, Box<dyn Error>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        return Ok(Arc::new(SqliteStore::open(path).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresStore::connect(url).await?));
    }
    Err("LINK_STORE_URL must start with sqlite:// or postgres://".into())
}

fn app(bridge: Bridge) -> Router {
    Router::new()
        .route("/webhooks/zendesk", post(zendesk_webhook))
        .route("/webhooks/sunco", post(sunco_webhook))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(Arc::new(bridge))
}

async fn zendesk_webhook(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        "zendesk",
        bridge.handle_zendesk_webhook(&headers, &body).await,
    )
}

async fn sunco_webhook(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond("sunco", bridge.handle_sunco_webhook(&headers, &body).await)
}

/// The HTTP answer to a webhook, and its one log line.
fn respond<T: std::fmt::Debug>(source: &str, result: Result<T, WebhookRejection>) -> Response {
    let rejection = match result {
        Ok(outcome) => {
            info!(source, ?outcome, "webhook handled");
            return (StatusCode::OK, "ok").into_response();
        }
        Err(rejection) => rejection,
    };
    let status =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match &rejection {
        WebhookRejection::Failed(error) => {
            warn!(source, error = %error, cause = ?std::error::Error::source(error), "webhook failed");
        }
        _ => warn!(source, %rejection, "webhook refused"),
    }
    (status, rejection.to_string()).into_response()
}

/// Ctrl-C or SIGTERM: stop accepting, let requests in flight finish.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    info!("shutting down");
}
