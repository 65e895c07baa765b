//! The real ticket lifecycle through the real `bridge-server` binary: a CC'd person's public
//! reply never reaches the customer, a comment SunCo refuses is followed by the next one, and a
//! customer's reply to a ticket that was closed behind the bridge's back lands on one
//! follow-up ticket, however often SunCo repeats the webhook.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn bodies(server: &MockServer, verb: &str, route: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == route)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

async fn mount_fakes(zendesk: &MockServer, sunco: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [
                {"id": 1001, "author_id": 9, "public": true, "body": "Hello Jane, your order shipped."},
                {"id": 1002, "author_id": 77, "public": true, "body": "(CC) Please send me the invoice too"},
                {"id": 1003, "author_id": 9, "public": true, "body": "A comment SunCo refuses"},
                {"id": 1004, "author_id": 9, "public": true, "body": "And the tracking number is 77."}
            ],
            "users": [{"id": 9, "name": "Sam", "role": "agent"},
                      {"id": 77, "name": "Cc Person", "role": "end-user"}],
            "meta": {"has_more": false}
        })))
        .mount(zendesk)
        .await;
    // The ticket was closed since (an automation; no trigger told the bridge).
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ticket": {"id": 4021, "status": "closed"}})),
        )
        .mount(zendesk)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/audits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"audits": [
            {"id": 3, "via": {"channel": "rule", "source": {"rel": "automation"}}, "events": []}
        ]})))
        .mount(zendesk)
        .await;
    // The internal note about the refused comment.
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .and(body_partial_json(
            json!({"ticket": {"comment": {"public": false}}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021}, "audit": {"events": [{"id": 8001, "type": "Comment"}]}
        })))
        .mount(zendesk)
        .await;
    // Any public update of the closed ticket is refused, as Zendesk does.
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "error": "RecordInvalid", "description": "Record validation errors",
            "details": {"status": [{"description": "Status: closed prevents ticket update"}]}
        })))
        .mount(zendesk)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
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
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            if body["metadata"]["zendesk_comment_id"] == "1003" {
                return ResponseTemplate::new(400).set_body_json(json!({"errors": [
                    {"code": "bad_request", "title": "Invalid message content"}]}));
            }
            ResponseTemplate::new(201).set_body_json(json!({"messages": [
                {"id": format!("m-{}", body["metadata"]["zendesk_comment_id"].as_str().unwrap_or("")),
                 "author": {"type": "business"}, "content": body["content"]}]}))
        })
        .mount(sunco)
        .await;
}

fn ticket() -> String {
    r#"{"ticket":{"id":"4021","status":"Open","tags":"sunco_send",
        "requester":{"id":"35436","email":"jane@example.com","name":"Jane"}},
        "current_user":{"id":"9","role":"Agent"}}"#
        .to_owned()
}

fn customer_message(event_id: &str, message_id: &str, text: &str) -> String {
    json!({"app": {"id": "app_1"}, "webhook": {"id": "wh1", "version": "v2"}, "events": [{
        "id": event_id, "type": "conversation:message", "createdAt": "2026-12-02T10:00:00.000Z",
        "payload": {"conversation": {"id": "conv-1", "type": "personal"},
                    "message": {"id": message_id, "author": {"type": "user", "userId": "sc-jane"},
                                "content": {"type": "text", "text": text}}}}]})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_strangers_out_moves_past_refusals_and_follows_a_closed_ticket() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    mount_fakes(&zendesk, &sunco).await;
    let server = start(&zendesk.uri(), &sunco.uri());
    let client = reqwest::Client::new();
    let messages = "/v2/apps/app_1/conversations/conv-1/messages";

    let answer = signed(
        &client,
        &format!("{}/webhooks/zendesk", server.base),
        &ticket(),
        "target-pass",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(answer.status(), 200);
    // 1001 and 1004 arrive; 1003 was tried and refused; the CC's 1002 was never sent.
    assert!(
        eventually(|| async {
            bodies(&sunco, "POST", messages)
                .await
                .iter()
                .any(|m| m["metadata"]["zendesk_comment_id"] == "1004")
        })
        .await,
        "the comment after the refused one was delivered"
    );
    let sent = bodies(&sunco, "POST", messages).await;
    let comments: Vec<&str> = sent
        .iter()
        .map(|m| m["metadata"]["zendesk_comment_id"].as_str().unwrap())
        .collect();
    assert_eq!(comments, ["1001", "1003", "1004"]);
    assert!(!sent.iter().any(|m| m.to_string().contains("invoice")));
    assert!(
        eventually(|| async {
            bodies(&zendesk, "PUT", "/api/v2/tickets/4021")
                .await
                .iter()
                .any(|put| put["ticket"]["comment"]["public"] == false)
        })
        .await,
        "the agent is told of the refused comment"
    );

    // The customer replies to the ticket, which has been closed meanwhile; SunCo repeats the
    // webhook (it retries for 15 minutes).
    let sunco_url = format!("{}/webhooks/sunco", server.base);
    for _ in 0..4 {
        let answer = client
            .post(&sunco_url)
            .header("x-api-key", "sunco-secret")
            .body(customer_message("ev-1", "msg-1", "Has it arrived?"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    assert!(
        eventually(|| async { !bodies(&zendesk, "POST", "/api/v2/tickets").await.is_empty() })
            .await,
        "a follow-up ticket was opened"
    );
    // Let any straggler run, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let created = bodies(&zendesk, "POST", "/api/v2/tickets").await;
    assert_eq!(created.len(), 1, "exactly once: {created:?}");
    assert_eq!(created[0]["ticket"]["via_followup_source_id"], 4021);
    assert_eq!(created[0]["ticket"]["requester_id"], 35436);
    assert_eq!(created[0]["ticket"]["comment"]["body"], "Has it arrived?");
    let public_puts = bodies(&zendesk, "PUT", "/api/v2/tickets/4021")
        .await
        .into_iter()
        .filter(|put| put["ticket"]["comment"]["public"] == true)
        .count();
    assert_eq!(public_puts, 0, "the closed ticket was read, not written to");
    assert_eq!(bodies(&sunco, "POST", messages).await.len(), 3);

    let logs = server.stop_and_read_logs();
    assert_no_secrets(&logs);
}
