//! The real `bridge-server` binary, driven over HTTP with signed webhooks against wiremock
//! fakes of Zendesk and SunCo.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SIGNING_SECRET: &str = "server-signing-secret";

struct Server {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

impl Server {
    /// Stops the server and answers everything it logged.
    fn stop_and_read_logs(mut self) -> String {
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

fn start(zendesk: &str, sunco: &str) -> Server {
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
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("server.log")).unwrap(),
        ))
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("bridge-server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server { child, base, dir }
}

fn signed(
    client: &reqwest::Client,
    url: &str,
    body: &str,
    password: &str,
) -> reqwest::RequestBuilder {
    signed_with(client, url, body, password, None)
}

/// A webhook request as Zendesk sends it, or with `forged_signature` instead of the real one.
fn signed_with(
    client: &reqwest::Client,
    url: &str,
    body: &str,
    password: &str,
    forged_signature: Option<&str>,
) -> reqwest::RequestBuilder {
    let timestamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let signature = forged_signature.map_or_else(
        || zendesk_support::webhook::compute_signature(SIGNING_SECRET, &timestamp, body.as_bytes()),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_verifies_routes_and_runs_the_flow() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 1001, "author_id": 9, "public": true, "body": "Hello Jane"}],
            "users": [{"id": 9, "name": "Sam"}], "meta": {"has_more": false}
        })))
        .mount(&zendesk)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/jane%40example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {"id": "sc-jane"}})))
        .mount(&sunco)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversations": [{"id": "conv-1", "type": "personal", "isDefault": true}]
        })))
        .mount(&sunco)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-1/messages"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"messages": [
            {"id": "m1", "author": {"type": "business"}, "content": {"type": "text", "text": "Hello Jane"}}]})))
        .expect(1)
        .mount(&sunco)
        .await;

    let server = start(&zendesk.uri(), &sunco.uri());
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let missing = client
        .get(format!("{}/nowhere", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let url = format!("{}/webhooks/zendesk", server.base);
    let ticket = r#"{"ticket":{"id":"4021","status":"Open","tags":"sunco_send",
        "requester":{"id":"35436","email":"jane@example.com","name":"Jane"}},
        "current_user":{"id":"9","role":"Agent"}}"#;
    let wrong_password = signed(&client, &url, ticket, "nope").send().await.unwrap();
    assert_eq!(wrong_password.status(), 401);
    let forged = signed_with(&client, &url, ticket, "target-pass", Some("AAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let malformed = signed(&client, &url, "{\"ticket\":", "target-pass")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(
        !malformed.text().await.unwrap().is_empty(),
        "a short reason"
    );

    let cold = signed(&client, &url, ticket, "target-pass")
        .send()
        .await
        .unwrap();
    assert_eq!(cold.status(), 200);
    let repeated = signed(&client, &url, ticket, "target-pass")
        .send()
        .await
        .unwrap();
    assert_eq!(repeated.status(), 200);

    let sunco_url = format!("{}/webhooks/sunco", server.base);
    let wrong_key = client
        .post(&sunco_url)
        .header("x-api-key", "nope")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    // The message was delivered once (checked by the mock's expect(1) when `sunco` drops).

    let logs = server.stop_and_read_logs();
    assert!(logs.contains("zendesk_webhook{ticket_id=4021}"), "{logs}");
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

#[test]
fn a_missing_setting_stops_start_up_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_bridge-server"))
        .env_clear()
        .env("BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for setting in [
        "`subdomain` is required",
        "`sunshine_conversations.app_id` is required",
        "`webhook_signing_secret` is required",
    ] {
        assert!(stderr.contains(setting), "{setting} in {stderr}");
    }
}
