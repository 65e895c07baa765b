//! The real `bridge-server` binary, driven over HTTP with signed webhooks against wiremock
//! fakes of Zendesk and SunCo: a cold ticket, the customer's reply, solving, refusals, and a
//! graceful stop.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn count(server: &MockServer, verb: &str, prefix: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path().starts_with(prefix))
        .count()
}

async fn mount_fakes(zendesk: &MockServer, sunco: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 1001, "author_id": 9, "public": true, "body": "Hello Jane"}],
            "users": [{"id": 9, "name": "Sam", "role": "agent"}], "meta": {"has_more": false}
        })))
        .mount(zendesk)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ticket": {"id": 4021, "status": "open"}})),
        )
        .mount(zendesk)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .and(body_partial_json(json!({"ticket": {"comment": {
            "body": "Thanks, got it", "public": true, "author_id": 35436}}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021}, "audit": {"events": [{"id": 7001, "type": "Comment"}]}
        })))
        .mount(zendesk)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .and(body_partial_json(json!({"ticket": {"requester_id": 35436,
            "comment": {"body": "One more thing", "author_id": 35436}}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ticket": {"id": 5000}})))
        .mount(zendesk)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/jane%40example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {"id": "sc-jane"}})))
        .mount(sunco)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversations": [{"id": "conv-1", "type": "personal", "isDefault": true}]
        })))
        .mount(sunco)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-1/messages"))
        .and(body_partial_json(json!({"author": {"type": "business"},
            "metadata": {"zendesk_comment_id": "1001"}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"messages": [
            {"id": "m1", "author": {"type": "business"}, "content": {"type": "text", "text": "Hello Jane"}}]})))
        .mount(sunco)
        .await;
}

fn ticket(status: &str) -> String {
    format!(
        r#"{{"ticket":{{"id":"4021","status":"{status}","tags":"sunco_send",
        "requester":{{"id":"35436","email":"jane@example.com","name":"Jane"}}}},
        "current_user":{{"id":"9","role":"Agent"}}}}"#
    )
}

fn customer_message(event_id: &str, message_id: &str, text: &str) -> String {
    json!({"app": {"id": "app_1"}, "webhook": {"id": "wh1", "version": "v2"}, "events": [{
        "id": event_id, "type": "conversation:message", "createdAt": "2026-11-27T10:00:00.000Z",
        "payload": {"conversation": {"id": "conv-1", "type": "personal"},
                    "message": {"id": message_id, "author": {"type": "user", "userId": "sc-jane"},
                                "content": {"type": "text", "text": text}}}}]})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_verifies_routes_and_runs_the_flow() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    mount_fakes(&zendesk, &sunco).await;
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

    // Refusals: nothing reaches the fakes.
    let url = format!("{}/webhooks/zendesk", server.base);
    let cold = ticket("Open");
    let wrong_password = signed(&client, &url, &cold, "nope").send().await.unwrap();
    assert_eq!(wrong_password.status(), 401);
    let forged = signed_with(&client, &url, &cold, "target-pass", Some("AAAA"))
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
    let sunco_url = format!("{}/webhooks/sunco", server.base);
    let wrong_key = client
        .post(&sunco_url)
        .header("x-api-key", "nope")
        .body(customer_message("ev-0", "msg-0", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    let bad_json = client
        .post(&sunco_url)
        .header("x-api-key", "sunco-secret")
        .body("{\"events\":")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    assert!(zendesk.received_requests().await.unwrap().is_empty());
    assert!(sunco.received_requests().await.unwrap().is_empty());

    // The cold ticket: 200 once recorded; the worker delivers the agent's comment, once,
    // however often Zendesk repeats the webhook (a repeat signed in the same second is even
    // recognised as a duplicate and not stored).
    for _ in 0..2 {
        let answer = signed(&client, &url, &cold, "target-pass")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let recorded: Value = answer.json().await.unwrap();
        assert_eq!(
            recorded["recorded"].as_u64().unwrap() + recorded["duplicates"].as_u64().unwrap(),
            1
        );
    }
    assert!(
        eventually(|| async {
            count(
                &sunco,
                "POST",
                "/v2/apps/app_1/conversations/conv-1/messages",
            )
            .await
                == 1
        })
        .await
    );

    // The customer's reply becomes one comment by the requester, however often SunCo repeats.
    for expected in [1, 0] {
        let answer = client
            .post(&sunco_url)
            .header("x-api-key", "sunco-secret")
            .body(customer_message("ev-1", "msg-1", "Thanks, got it"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let recorded: Value = answer.json().await.unwrap();
        assert_eq!(recorded["recorded"], expected);
    }
    assert!(
        eventually(|| async { count(&zendesk, "PUT", "/api/v2/tickets/4021").await == 1 }).await
    );

    // Solved: the ticket is unlinked, so the next reply opens a new ticket.
    let solved = signed(&client, &url, &ticket("Solved"), "target-pass")
        .send()
        .await
        .unwrap();
    assert_eq!(solved.status(), 200);
    // The solve's last rx pass reads the comments, then unlinks; give it that moment so the
    // next reply cannot overtake it (they queue separately: one per ticket, one per customer).
    assert!(
        eventually(|| async { count(&zendesk, "GET", "/api/v2/tickets/4021/comments").await == 2 })
            .await
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let next = client
        .post(&sunco_url)
        .header("x-api-key", "sunco-secret")
        .body(customer_message("ev-2", "msg-2", "One more thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 200);
    assert!(eventually(|| async { count(&zendesk, "POST", "/api/v2/tickets").await == 1 }).await);
    // Everything exactly once.
    assert_eq!(
        count(
            &sunco,
            "POST",
            "/v2/apps/app_1/conversations/conv-1/messages"
        )
        .await,
        1
    );
    assert_eq!(count(&zendesk, "PUT", "/api/v2/tickets/4021").await, 1);

    // SIGTERM: a clean stop.
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut server = server;
    let mut exited = None;
    for _ in 0..100 {
        if let Some(code) = server.child.try_wait().unwrap() {
            exited = Some(code);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(exited.expect("stopped on SIGTERM").success());

    let logs = server.stop_and_read_logs();
    assert!(logs.contains("zendesk_webhook{ticket_id=4021}"), "{logs}");
    assert!(logs.contains("sunco_messages{"), "{logs}");
    assert!(logs.contains("stopped"), "{logs}");
    assert_no_secrets(&logs);
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
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_WEBHOOK_SIGNING_SECRET",
        "SUNCO_APP_ID",
    ] {
        assert!(stderr.contains(setting), "{setting} in {stderr}");
    }
}

/// A filter on a field the trigger payload does not carry (`ticket.group_id`): the server
/// reads the ticket once, with its users, and the flow starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_on_the_tickets_group_costs_one_read() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    mount_fakes(&zendesk, &sunco).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021"))
        .and(wiremock::matchers::query_param("include", "users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021, "status": "open", "tags": ["sunco_send"], "group_id": 360012,
                       "requester_id": 35436},
            "users": [{"id": 35436, "email": "jane@example.com", "role": "end-user"}]
        })))
        .with_priority(1)
        .mount(&zendesk)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("bridge.toml");
    std::fs::write(
        &settings,
        "markdown = true\n[filter]\nrx_unhandled_ticket = \"ticket.group_id:360012 AND ticket.tags:sunco_send\"\n",
    )
    .unwrap();
    let server = start_with(
        &zendesk.uri(),
        &sunco.uri(),
        &[("BRIDGE_CONFIG", settings.to_str().unwrap())],
    );
    let client = reqwest::Client::new();
    let answer = signed(
        &client,
        &format!("{}/webhooks/zendesk", server.base),
        &ticket("Open"),
        "target-pass",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        eventually(|| async {
            count(
                &sunco,
                "POST",
                "/v2/apps/app_1/conversations/conv-1/messages",
            )
            .await
                == 1
        })
        .await,
        "the flow ran"
    );
    let reads: Vec<String> = zendesk
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        reads,
        ["/api/v2/tickets/4021", "/api/v2/tickets/4021/comments"],
        "one read for the filter, then the flow's own comments read"
    );
    assert_no_secrets(&server.stop_and_read_logs());
}
