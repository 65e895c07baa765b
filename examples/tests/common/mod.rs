//! The real `bridge-server` binary, started with a scratch SQLite store against given fakes,
//! and webhook requests signed as Zendesk signs them.

// Each test file uses some of these; test helpers may panic.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub const SIGNING_SECRET: &str = "server-signing-secret";

pub struct Server {
    pub child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    /// The next line the server prints (after the one naming its address).
    pub fn next_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim().to_owned()
    }

    /// Stops the server and answers everything it logged.
    pub fn stop_and_read_logs(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(zendesk: &str, sunco: &str) -> Server {
    start_with(zendesk, sunco, &[])
}

/// The server with `extra` environment variables.
pub fn start_with(zendesk: &str, sunco: &str, extra: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bridge-server"))
        .env_clear()
        .env("ZENDESK_BASE_URL", zendesk)
        .env("ZENDESK_BOT_AGENT_EMAIL", "bot@acme.test")
        .env("ZENDESK_BOT_AGENT_API_TOKEN", "zd-token")
        .env("ZENDESK_TARGET_PASSWORD", "target-pass")
        .env("ZENDESK_WEBHOOK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SUNCO_APP_ID", "app_1")
        .env("SUNCO_KEY_ID", "app_key")
        .env("SUNCO_KEY_SECRET", "key-secret")
        .env("SUNCO_WEBHOOK_SECRET", "sunco-secret")
        .env("SUNCO_BASE_URL", sunco)
        .env(
            "LINK_STORE_URL",
            format!("sqlite://{}", dir.path().join("links.db").display()),
        )
        .env("BIND", "127.0.0.1:0")
        .env("RUST_LOG", "debug")
        // Last: a test's own settings win over these.
        .envs(extra.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("server.log")).unwrap(),
        ))
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("bridge-server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server {
        child,
        base,
        dir,
        stdout,
    }
}

pub fn signed(
    client: &reqwest::Client,
    url: &str,
    body: &str,
    password: &str,
) -> reqwest::RequestBuilder {
    signed_with(client, url, body, password, None)
}

/// A webhook request as Zendesk sends it, or with `forged_signature` instead of the real one.
pub fn signed_with(
    client: &reqwest::Client,
    url: &str,
    body: &str,
    password: &str,
    forged_signature: Option<&str>,
) -> reqwest::RequestBuilder {
    signed_at(
        client,
        url,
        body,
        password,
        forged_signature,
        time::OffsetDateTime::now_utc(),
    )
}

/// A webhook request signed at `at` (or carrying `forged_signature` instead).
pub fn signed_at(
    client: &reqwest::Client,
    url: &str,
    body: &str,
    password: &str,
    forged_signature: Option<&str>,
    at: time::OffsetDateTime,
) -> reqwest::RequestBuilder {
    let timestamp = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let signature = forged_signature.map_or_else(
        || zendesk_support::inbound::compute_signature(SIGNING_SECRET, &timestamp, body.as_bytes()),
        str::to_owned,
    );
    client
        .post(url)
        .header("x-zendesk-webhook-signature", signature)
        .header("x-zendesk-webhook-signature-timestamp", timestamp)
        .header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("meya:{password}"))),
        )
        .body(body.to_owned())
}

/// Polls `check` every 50 ms for up to 10 s; answers its last value.
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Fails if any secret the servers are started with appears in `logs`.
pub fn assert_no_secrets(logs: &str) {
    for secret in [
        "target-pass",
        "zd-token",
        "key-secret",
        "sunco-secret",
        SIGNING_SECRET,
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
pub mod browser;
