//! Attacks on the real `bridge-server`: forged, stale, future-dated and replayed signatures,
//! wrong basic auth, wrong `X-API-Key`, a token asked for someone else, oversized and garbage
//! bodies. Each is refused (or, for a replay, recognised) with no state change: nothing new in
//! the link store, no call to Zendesk or SunCo, and no secret in the logs.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use meya_links::prelude::*;
use meya_links::{InboxStats, SqliteStore};
use serde_json::{Value, json};
use wiremock::MockServer;

/// A ticket the seed's filter does not take: recording it is the only state it causes.
const HARMLESS: &str = r#"{"ticket":{"id":"77","status":"Open","tags":"billing",
    "requester":{"id":"35436","email":"jane@example.com","name":"Jane"}},
    "current_user":{"id":"9","role":"Agent"}}"#;

async fn inbox(server: &Server) -> InboxStats {
    // A second handle on the server's own file, as another process would open it.
    let store: Arc<dyn LinkStore> = Arc::new(
        SqliteStore::open(server.dir.path().join("links.db"))
            .await
            .unwrap(),
    );
    store.inbox_stats().await.unwrap()
}

fn total(stats: InboxStats) -> u64 {
    stats.pending + stats.in_flight + stats.done + stats.failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_are_refused_and_change_nothing() {
    let zendesk = MockServer::start().await;
    let sunco = MockServer::start().await;
    let server = start_with(
        &zendesk.uri(),
        &sunco.uri(),
        &[("SUNCO_INTEGRATION_ID", "int_1")],
    );
    let client = reqwest::Client::new();
    let zendesk_url = format!("{}/webhooks/zendesk", server.base);
    let sunco_url = format!("{}/webhooks/sunco", server.base);
    let now = time::OffsetDateTime::now_utc();

    // One genuine request: the baseline state.
    let genuine = signed_at(&client, &zendesk_url, HARMLESS, "target-pass", None, now)
        .send()
        .await
        .unwrap();
    assert_eq!(genuine.status(), 200);
    assert!(eventually(|| async { inbox(&server).await.done == 1 }).await);
    let baseline = inbox(&server).await;

    let mut refusals: Vec<(&str, reqwest::Response)> = Vec::new();
    refusals.push((
        "forged signature",
        signed_with(
            &client,
            &zendesk_url,
            HARMLESS,
            "target-pass",
            Some("c2lnbmVk"),
        )
        .send()
        .await
        .unwrap(),
    ));
    refusals.push((
        "stale signature",
        signed_at(
            &client,
            &zendesk_url,
            HARMLESS,
            "target-pass",
            None,
            now - time::Duration::minutes(10),
        )
        .send()
        .await
        .unwrap(),
    ));
    refusals.push((
        "future-dated signature",
        signed_at(
            &client,
            &zendesk_url,
            HARMLESS,
            "target-pass",
            None,
            now + time::Duration::minutes(10),
        )
        .send()
        .await
        .unwrap(),
    ));
    refusals.push(("genuine signature on another body", {
        let timestamp = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let signature = zendesk_support::inbound::compute_signature(
            SIGNING_SECRET,
            &timestamp,
            HARMLESS.as_bytes(),
        );
        signed_at(
            &client,
            &zendesk_url,
            &HARMLESS.replace("billing", "sunco_send"),
            "target-pass",
            Some(&signature),
            now,
        )
        .send()
        .await
        .unwrap()
    }));
    refusals.push((
        "wrong basic auth",
        signed_with(&client, &zendesk_url, HARMLESS, "guess", None)
            .send()
            .await
            .unwrap(),
    ));
    refusals.push((
        "no credentials at all",
        client
            .post(&zendesk_url)
            .body(HARMLESS)
            .send()
            .await
            .unwrap(),
    ));
    let message = json!({"app": {"id": "app_1"}, "webhook": {"id": "wh", "version": "v2"},
        "events": [{"id": "ev-1", "type": "conversation:message", "createdAt": "2026-11-27T10:00:00Z",
                    "payload": {"conversation": {"id": "c1"}, "message": {"id": "m1",
                        "author": {"type": "user", "userId": "u1"}, "content": {"type": "text", "text": "hi"}}}}]})
    .to_string();
    refusals.push((
        "wrong X-API-Key",
        client
            .post(&sunco_url)
            .header("x-api-key", "sunco-secreT")
            .body(message.clone())
            .send()
            .await
            .unwrap(),
    ));
    refusals.push((
        "no X-API-Key",
        client.post(&sunco_url).body(message).send().await.unwrap(),
    ));
    // The server answers 413 as soon as it has read past its limit, and may close the
    // connection while the client is still writing: either way the body is refused.
    let huge = "x".repeat(2 * 1024 * 1024);
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let oversized = [
        (
            "oversized Zendesk body",
            signed_with(&fresh, &zendesk_url, &huge, "target-pass", None),
        ),
        (
            "oversized SunCo body",
            fresh
                .post(&sunco_url)
                .header("x-api-key", "sunco-secret")
                .body(huge.clone()),
        ),
    ];
    for (attack, request) in oversized {
        match request.send().await {
            Ok(answer) => assert_eq!(answer.status(), 413, "{attack}"),
            Err(error) => assert!(
                error.is_request() || error.is_body(),
                "{attack}: the connection failed otherwise: {error}"
            ),
        }
    }
    refusals.push((
        "signed garbage",
        signed_with(
            &client,
            &zendesk_url,
            "\u{0}\u{1}not json",
            "target-pass",
            None,
        )
        .send()
        .await
        .unwrap(),
    ));
    refusals.push((
        "a token without a session, asked for by email",
        client
            .post(format!("{}/messenger/jwt", server.base))
            .json(&json!({"externalId": "jane@example.com"}))
            .send()
            .await
            .unwrap(),
    ));
    for (attack, answer) in refusals {
        let status = answer.status().as_u16();
        assert!(
            matches!(status, 400 | 401 | 413),
            "{attack}: answered {status}"
        );
    }

    // A replay of the genuine request, within the signature's window: recognised, not stored.
    let replay: Value = signed_at(&client, &zendesk_url, HARMLESS, "target-pass", None, now)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(replay, json!({"recorded": 0, "duplicates": 1}));

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let after = inbox(&server).await;
    assert_eq!(total(after), total(baseline), "{after:?} vs {baseline:?}");
    assert!(zendesk.received_requests().await.unwrap().is_empty());
    assert!(sunco.received_requests().await.unwrap().is_empty());

    let logs = server.stop_and_read_logs();
    assert_no_secrets(&logs);
}
