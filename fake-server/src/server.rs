//! Serving a fake on a loopback port.

use axum::Router;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::Control;
use crate::control::{ErrorBody, layer};

/// A fake serving on `127.0.0.1` until dropped.
#[derive(Debug)]
pub struct FakeServer {
    url: String,
    control: Control,
    task: JoinHandle<()>,
}

fn plain_error(status: u16) -> Value {
    json!({"error": "injected fault", "status": status})
}

impl FakeServer {
    /// Serves `router` on a free loopback port, behind the control layer.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(router: Router) -> std::io::Result<Self> {
        Self::start_with_errors(router, plain_error).await
    }

    /// Like [`start`](Self::start), wording injected refusals the way the vendor words
    /// errors (`error_body` makes the JSON body for a status).
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start_with_errors(router: Router, error_body: ErrorBody) -> std::io::Result<Self> {
        let control = Control::new(error_body);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = router.layer(axum::middleware::from_fn_with_state(control.clone(), layer));
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "fake server stopped");
            }
        });
        Ok(Self { url, control, task })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Faults, latency and the request log.
    pub fn control(&self) -> &Control {
        &self.control
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        // Not a graceful shutdown: a hung answer must not keep a test waiting.
        self.task.abort();
    }
}
