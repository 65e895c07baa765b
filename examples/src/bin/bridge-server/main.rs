//! bridge-server: the bridge as an HTTP service, the template to copy into your own.
//!
//! Routes: `POST /webhooks/zendesk`, `POST /webhooks/sunco`, `GET /healthz`, `GET /` (the
//! messenger page) and `POST /messenger/jwt` (its token), plus the stand-in login's
//! `POST /login` and `POST /logout`. Configuration comes from the environment (`ZENDESK_*`,
//! `SUNCO_*`, see `zendesk_sunco_bridge::config::ENVIRONMENT`; for the page `SUNCO_INTEGRATION_ID`,
//! `MESSENGER_TOKEN_LIFETIME` and `SUNCO_WEB_MESSENGER_VERSION`), Meya's
//! settings from the TOML file named by `BRIDGE_CONFIG` (default: the seed's), the link store
//! from `LINK_STORE_URL` (default `sqlite://bridge.db`; `postgres://...` for several
//! replicas), the address from `BIND` (default `127.0.0.1:8080`). For operators (see
//! `operations.rs`): `GET /readyz`; `/metrics` on `METRICS_BIND` or behind `METRICS_TOKEN`;
//! `READY_MAX_BACKLOG_AGE`; `LOG_FORMAT=json`; `WORKER_CONCURRENCY` (default 16); `GET /admin` when `ADMIN_TOKEN` is set (see
//! `admin.rs`).
//!
//! Webhooks answer 401 for bad credentials or signature, 400 for a malformed body (with a short
//! reason), 500 when the event could not be recorded (the sender retries), and 200 once it is
//! durably recorded in the link store's inbox. A background worker processes the inbox: in
//! order per ticket and per customer, exactly once, with retries. SIGTERM stops accepting,
//! lets the worker finish the batches in hand (up to 20 s), then exits; anything abandoned is
//! taken again after its lease by the next process or another replica.
//!
//! Run: `cargo run -p examples --bin bridge-server`.

mod admin;
mod messenger;
mod operations;

use std::error::Error;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use examples::{link_store_url_from_env, open_link_store};
use messenger::Messenger;
use operations::Operations;
use tokio::sync::watch;
use tracing::{info, warn};
use zendesk_sunco_bridge::config::{Config, SEED_TOML};
use zendesk_sunco_bridge::{Accepted, Bridge, WebhookRejection, WorkerOptions};

/// Webhook bodies larger than this are refused (Zendesk's and SunCo's are a few KiB).
const MAX_BODY: usize = 1024 * 1024;
/// How long shutdown waits for the worker's batches in hand.
const WORKER_GRACE: Duration = Duration::from_secs(20);

#[tokio::main]
async fn main() -> ExitCode {
    operations::init_logging();
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
    let store = open_link_store(&link_store_url_from_env()).await?;
    let operations = Arc::new(Operations::install(
        Arc::clone(&store),
        operations::Settings::from_env()?,
    )?);
    let admin = admin::Admin::from_env(Arc::clone(&store));
    let bridge = Bridge::new(config, store)?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|error| format!("BIND {bind}: {error}"))?;
    let address = listener.local_addr()?;
    let messenger = messenger_from_env(&bridge, address)?;

    let (stop, stopping) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    // A crashed replica's batches are taken over after twice the claim lease.
    let mut options = WorkerOptions::default()
        .lease(bridge.config().claim_lease * 2)
        .concurrency(worker_concurrency()?)
        .keep_done(inbox_keep_done()?);
    if let Some(admin) = &admin {
        let page = Arc::clone(admin);
        options = options.on_batch(move |report| page.batch_finished(report));
        tokio::spawn(Arc::clone(admin).sample_backlog());
    }
    let worker = bridge.inbox_worker().options(options);
    let mut worker_stopping = stopping.clone();
    let running = operations.worker_started();
    let worker = tokio::spawn(async move {
        let _running = running;
        worker
            .run(async move {
                let _ = worker_stopping.wait_for(|stop| *stop).await;
            })
            .await;
    });
    // Printed, not only logged: scripts and tests read the address from here.
    println!("bridge-server listening on http://{address}");
    if let Some(bind) = operations.metrics_bind().map(str::to_owned) {
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .map_err(|error| format!("METRICS_BIND {bind}: {error}"))?;
        println!(
            "bridge-server metrics on http://{}/metrics",
            listener.local_addr()?
        );
        let routes = operations.metrics_routes();
        let mut metrics_stopping = stopping.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, routes)
                .with_graceful_shutdown(async move {
                    let _ = metrics_stopping.wait_for(|stop| *stop).await;
                })
                .await;
            if let Err(error) = served {
                warn!(%error, "the metrics listener stopped");
            }
        });
    }

    let mut server_stopping = stopping;
    let mut router = app(bridge, messenger).merge(operations.routes());
    if let Some(admin) = &admin {
        router = router.merge(admin.routes());
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = server_stopping.wait_for(|stop| *stop).await;
            info!("shutting down: no new requests");
        })
        .await?;
    if tokio::time::timeout(WORKER_GRACE, worker).await.is_err() {
        warn!("the worker did not finish in time; its batches are taken again after their lease");
    }
    info!("stopped");
    Ok(())
}

/// `WORKER_CONCURRENCY`: batches processed at once (each for another ticket or customer),
/// default 16. Each batch mostly waits on Zendesk and SunCo, so the worker's throughput is
/// about this many batches per round trip of the upstream calls.
fn worker_concurrency() -> Result<usize, String> {
    match std::env::var("WORKER_CONCURRENCY") {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=1024).contains(&n) => Ok(n),
            _ => Err(format!(
                "WORKER_CONCURRENCY {text:?}: a number from 1 to 1024"
            )),
        },
        Err(_) => Ok(16),
    }
}

/// `INBOX_KEEP_DONE`: how long processed inbox entries are kept (to recognise a vendor's late
/// repeat) before they are purged; a duration from 1 minute, default 24 h.
fn inbox_keep_done() -> Result<Duration, String> {
    match std::env::var("INBOX_KEEP_DONE") {
        Ok(text) => humantime::parse_duration(text.trim())
            .ok()
            .filter(|keep| *keep >= Duration::from_secs(60))
            .ok_or_else(|| {
                format!("INBOX_KEEP_DONE {text:?}: a duration of 1m or more, e.g. `24h`")
            }),
        Err(_) => Ok(WorkerOptions::default().keep_done),
    }
}

/// The messenger page's settings: `SUNCO_INTEGRATION_ID`, `MESSENGER_TOKEN_LIFETIME` (a
/// duration, default 1 h), `SUNCO_WEB_MESSENGER_VERSION` (default `5`, or a pinned `5.N.P`),
/// `SUNCO_WEB_LOADER_URL` (SunCo's loader by default; a local stand-in for tests).
/// Its stand-in login is served only on a loopback address.
fn messenger_from_env(bridge: &Bridge, address: SocketAddr) -> Result<Messenger, String> {
    let integration_id = std::env::var("SUNCO_INTEGRATION_ID")
        .ok()
        .filter(|id| !id.trim().is_empty());
    if integration_id.is_none() {
        warn!("SUNCO_INTEGRATION_ID is not set: the messenger page cannot open the messenger");
    }
    let loopback = address.ip().is_loopback();
    if !loopback {
        info!("not on a loopback address: the stand-in login is off; wire your app's own");
    }
    let token_lifetime = match std::env::var("MESSENGER_TOKEN_LIFETIME") {
        Ok(text) => humantime::parse_duration(text.trim())
            .ok()
            .filter(|life| (Duration::from_secs(1)..=Duration::from_secs(24 * 3600)).contains(life))
            .ok_or("MESSENGER_TOKEN_LIFETIME must be a duration from 1s to 24h, e.g. `1h`")?,
        Err(_) => messenger::TOKEN_LIFETIME,
    };
    let sdk_version = std::env::var("SUNCO_WEB_MESSENGER_VERSION")
        .map(|version| version.trim().to_owned())
        .unwrap_or_else(|_| messenger::WEB_MESSENGER_VERSION.to_owned());
    if !messenger::valid_sdk_version(&sdk_version) {
        return Err(format!(
            "SUNCO_WEB_MESSENGER_VERSION must be a Web Messenger major of 5 or later (`5`), or a \
             pinned `5.N.P`: `externalId` logins need 5; got {sdk_version:?}"
        ));
    }
    let loader_url = std::env::var("SUNCO_WEB_LOADER_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| messenger::WEB_LOADER_URL.to_owned());
    let sunco = &bridge.config().sunco;
    Ok(Messenger::new(
        &sunco.key_id,
        &sunco.key_secret,
        messenger::PageOptions {
            integration_id,
            stand_in_login: loopback,
            token_lifetime,
            sdk_version,
            region: messenger::WebRegion::for_host(&sunco.host),
            loader_url,
        },
    ))
}

fn app(bridge: Bridge, messenger: Messenger) -> Router {
    let webhooks = Router::new()
        .route("/webhooks/zendesk", post(zendesk_webhook))
        .route("/webhooks/sunco", post(sunco_webhook))
        .with_state(Arc::new(bridge));
    let messenger = Router::new()
        .route("/", get(messenger::page))
        .route("/messenger/jwt", post(messenger::jwt))
        .route("/login", post(messenger::login))
        .route("/logout", post(messenger::logout))
        .with_state(Arc::new(messenger));
    Router::new()
        .merge(webhooks)
        .merge(messenger)
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

async fn zendesk_webhook(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        "zendesk",
        bridge.accept_zendesk_webhook(&headers, &body).await,
    )
}

async fn sunco_webhook(
    State(bridge): State<Arc<Bridge>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond("sunco", bridge.accept_sunco_webhook(&headers, &body).await)
}

/// The HTTP answer to a webhook, and its one log line.
fn respond(source: &str, result: Result<Accepted, WebhookRejection>) -> Response {
    let rejection = match result {
        Ok(accepted) => {
            info!(
                source,
                recorded = accepted.recorded,
                duplicates = accepted.duplicates,
                "webhook recorded"
            );
            let body = serde_json::json!({
                "recorded": accepted.recorded,
                "duplicates": accepted.duplicates,
            });
            return (StatusCode::OK, body.to_string()).into_response();
        }
        Err(rejection) => rejection,
    };
    let status =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match &rejection {
        WebhookRejection::Failed(error) => {
            warn!(source, error = %error, cause = ?std::error::Error::source(error), "webhook not recorded");
        }
        _ => warn!(source, %rejection, "webhook refused"),
    }
    (status, rejection.to_string()).into_response()
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
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
}
