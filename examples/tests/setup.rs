//! The real `setup` binary against wiremock fakes of Zendesk and SunCo: a first run creates
//! everything, a second run finds and updates it (no duplicates), `--dry-run` changes nothing.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// `base64("admin@acme.test/token:zd-token")`.
const ZENDESK_BASIC: &str = "Basic YWRtaW5AYWNtZS50ZXN0L3Rva2VuOnpkLXRva2Vu";
const NAME: &str = "Meya SunCo bridge";

fn setup(zendesk: &MockServer, sunco: &MockServer, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_setup"))
        .env_clear()
        .env("ZENDESK_BASE_URL", zendesk.uri())
        .env("ZENDESK_BOT_AGENT_EMAIL", "admin@acme.test")
        .env("ZENDESK_BOT_AGENT_API_TOKEN", "zd-token")
        .env("ZENDESK_TARGET_PASSWORD", "target-pass")
        .env("SUNCO_APP_ID", "app_1")
        .env("SUNCO_KEY_ID", "app_key")
        .env("SUNCO_KEY_SECRET", "key-secret")
        .env("SUNCO_BASE_URL", sunco.uri())
        .args(args)
        .output()
        .unwrap()
}

async fn fallback(server: &MockServer) {
    Mock::given(any())
        .respond_with(|request: &Request| {
            ResponseTemplate::new(599)
                .set_body_string(format!("no mock for {} {}", request.method, request.url))
        })
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

fn expected_trigger(webhook_id: &str) -> Value {
    json!({"trigger": {
        "title": NAME, "active": true,
        "conditions": {
            "all": [],
            "any": [{"field": "current_tags", "operator": "includes", "value": "vip_send"},
                    {"field": "current_tags", "operator": "includes", "value": "sunco"}]
        },
        "actions": [{"field": "notification_webhook",
                     "value": [webhook_id, zendesk_support::inbound::TRIGGER_PAYLOAD]}]
    }})
}

fn expected_webhook() -> Value {
    json!({"webhook": {
        "name": NAME, "endpoint": "https://bridge.example.com/webhooks/zendesk",
        "http_method": "POST", "request_format": "json", "status": "active",
        "subscriptions": ["conditional_ticket_events"],
        "authentication": {"type": "basic_auth", "add_position": "header",
                           "data": {"username": "meya", "password": "target-pass"}}
    }})
}

/// Lists that answer `webhooks`, `triggers` and `integrations`.
async fn mount_lists(zendesk: &MockServer, sunco: &MockServer, existing: bool) {
    let (webhooks, triggers, integrations) = if existing {
        (
            json!([{"id": "W9", "name": NAME}, {"id": "W1", "name": "Unrelated"}]),
            json!([{"id": 77, "title": NAME, "active": true}]),
            json!([{"id": "int9", "type": "custom", "displayName": NAME,
                    "webhooks": [{"id": "wh9", "target": "https://old.example/webhooks/sunco"}]}]),
        )
    } else {
        (
            json!([{"id": "W1", "name": "Unrelated"}]),
            json!([]),
            json!([]),
        )
    };
    Mock::given(method("GET"))
        .and(path("/api/v2/webhooks"))
        .and(header("authorization", ZENDESK_BASIC))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"webhooks": webhooks, "meta": {"has_more": false}})),
        )
        .mount(zendesk)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"triggers": triggers, "meta": {"has_more": false}})),
        )
        .mount(zendesk)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/integrations"))
        .and(query_param("filter[types]", "custom"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"integrations": integrations, "meta": {"hasMore": false}})),
        )
        .mount(sunco)
        .await;
}

async fn mount_signing_secret(zendesk: &MockServer, webhook_id: &str) {
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v2/webhooks/{webhook_id}/signing_secret"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"signing_secret": {"algorithm": "SHA256", "secret": "zd-signing-secret"}}),
        ))
        .expect(1)
        .mount(zendesk)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_run_creates_everything_and_prints_the_secrets() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    mount_lists(&zendesk, &sunco, false).await;
    Mock::given(method("POST"))
        .and(path("/api/v2/webhooks"))
        .and(body_json(expected_webhook()))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"webhook": {"id": "W2", "name": NAME}})),
        )
        .expect(1)
        .mount(&zendesk)
        .await;
    mount_signing_secret(&zendesk, "W2").await;
    Mock::given(method("POST"))
        .and(path("/api/v2/triggers"))
        .and(body_json(expected_trigger("W2")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"trigger": {"id": 78}})))
        .expect(1)
        .mount(&zendesk)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/integrations"))
        .and(body_json(
            json!({"type": "custom", "displayName": NAME, "webhooks": [{
            "target": "https://bridge.example.com/webhooks/sunco",
            "triggers": ["conversation:message"], "includeFullUser": true}]}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"integration": {
            "id": "int1", "type": "custom", "displayName": NAME,
            "webhooks": [{"id": "wh1", "secret": "sunco-hook-secret"}]}})),
        )
        .expect(1)
        .mount(&sunco)
        .await;
    fallback(&zendesk).await;
    fallback(&sunco).await;

    let output = setup(
        &zendesk,
        &sunco,
        &["--url", "https://bridge.example.com/", "--tag", "vip_send"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ZENDESK_WEBHOOK_SIGNING_SECRET=zd-signing-secret"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SUNCO_WEBHOOK_SECRET=sunco-hook-secret"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("target-pass"),
        "the basic-auth password is not shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_updates_in_place() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    mount_lists(&zendesk, &sunco, true).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/webhooks/W9"))
        .and(body_json(expected_webhook()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&zendesk)
        .await;
    mount_signing_secret(&zendesk, "W9").await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/triggers/77"))
        .and(body_json(expected_trigger("W9")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"trigger": {"id": 77}})))
        .expect(1)
        .mount(&zendesk)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/apps/app_1/integrations/int9/webhooks/wh9"))
        .and(body_partial_json(json!({
            "target": "https://bridge.example.com/webhooks/sunco",
            "triggers": ["conversation:message"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"webhook": {"id": "wh9"}})))
        .expect(1)
        .mount(&sunco)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/integrations/int9/webhooks/wh9"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"webhook": {"id": "wh9", "secret": "kept-sunco-secret"}})),
        )
        .expect(1)
        .mount(&sunco)
        .await;
    fallback(&zendesk).await;
    fallback(&sunco).await;

    let output = setup(
        &zendesk,
        &sunco,
        &["--url", "https://bridge.example.com", "--tag", "vip_send"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("SUNCO_WEBHOOK_SECRET=kept-sunco-secret"),
        "{stdout}"
    );
    for server in [&zendesk, &sunco] {
        let created = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count();
        assert_eq!(created, 0, "nothing is created twice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_reads_and_prints_but_changes_nothing() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    mount_lists(&zendesk, &sunco, false).await;
    fallback(&zendesk).await;
    fallback(&sunco).await;
    let output = setup(
        &zendesk,
        &sunco,
        &["--url", "https://bridge.example.com", "--dry-run"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("would create"), "{stdout}");
    assert!(stdout.contains("POST /api/v2/webhooks"), "{stdout}");
    assert!(stdout.contains("POST /api/v2/triggers"), "{stdout}");
    assert!(
        stdout.contains("POST /v2/apps/app_1/integrations"),
        "{stdout}"
    );
    assert!(stdout.contains("[redacted]"), "{stdout}");
    assert!(!stdout.contains("target-pass"), "{stdout}");
    for server in [&zendesk, &sunco] {
        for request in server.received_requests().await.unwrap() {
            assert_eq!(
                request.method.as_str(),
                "GET",
                "{} {}",
                request.method,
                request.url
            );
        }
    }
}

#[test]
fn help_and_bad_input_explain_themselves() {
    let help = Command::new(env!("CARGO_BIN_EXE_setup"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in ["--url", "--tag", "--name", "--dry-run"] {
        assert!(text.contains(flag), "{flag} in {text}");
    }
    let missing = Command::new(env!("CARGO_BIN_EXE_setup"))
        .env_clear()
        .args(["--url", "https://bridge.example.com"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("ZENDESK_TARGET_PASSWORD"), "{stderr}");
    let bad_url = Command::new(env!("CARGO_BIN_EXE_setup"))
        .args(["--url", "ftp://bridge"])
        .output()
        .unwrap();
    assert!(!bad_url.status.success());
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("--url"));
}
