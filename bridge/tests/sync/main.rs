//! After the first message: customer replies become comments (exactly once, reopening as
//! configured, media carried), our own echoes are ignored, and a ticket that reaches an
//! unlink status leaves its thread so the next reply opens a new ticket.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

// The tests, by topic, in the files beside this one.
mod races_and_retries;

use std::sync::Arc;

use common::*;
use http::HeaderMap;
use meya_links::{LinkStore, MemoryStore, SUNSHINE_CONVERSATIONS, SqliteStore, ZENDESK_SUPPORT};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};
use zendesk_sunco_bridge::{CONVERSATION_KEY, MODE_KEY, SunCoEventOutcome, ZendeskWebhookOutcome};

async fn a_reply_becomes_one_comment_by_the_requester(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    linked(&store).await;
    mount_ticket_status(&fakes, "open").await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "Thanks, it arrived!", "public": true, "author_id": 35436}}}),
    )
    .await;
    let bridge = fakes.bridge(store, "");
    let body = text_reply("ev-1", "msg-1", "Thanks, it arrived!");
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [SunCoEventOutcome::Commented {
            event_id: "ev-1".into(),
            ticket_id: 4021,
            comment_id: Some(9001),
            reopened: false
        }]
    );
    // SunCo retries the delivery: nothing is posted twice.
    let again = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        again,
        [SunCoEventOutcome::AlreadyDelivered {
            event_id: "ev-1".into()
        }]
    );
    assert_eq!(Fakes::count(&fakes.zendesk, "PUT", "/").await, 1);
}

async fn a_reply_reopens_a_solved_ticket_the_agent_started(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    linked(&store).await;
    mount_ticket_status(&fakes, "solved").await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "One more thing", "public": true, "author_id": 35436},
                          "status": "open"}}),
    )
    .await;
    let bridge = fakes.bridge(store, "");
    let body = text_reply("ev-2", "msg-2", "One more thing");
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(
            &outcomes[0],
            SunCoEventOutcome::Commented { reopened: true, .. }
        ),
        "{outcomes:?}"
    );
}

on_every_store!(
    a_reply_becomes_one_comment_by_the_requester,
    a_reply_reopens_a_solved_ticket_the_agent_started,
    solving_unlinks_and_the_next_reply_opens_a_new_ticket,
);

#[tokio::test]
async fn no_reopen_when_switched_off() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "hi", "public": true, "author_id": 35436}}}),
    )
    .await;
    let bridge = fakes.bridge(store, "auto_reopen_ticket = false");
    let body = text_reply("ev-3", "msg-3", "hi");
    bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    // No ticket read was needed either.
    assert_eq!(Fakes::count(&fakes.zendesk, "GET", "/").await, 0);
}

#[tokio::test]
async fn echoes_other_events_bad_keys_and_bad_bodies() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    let bridge = fakes.bridge(store, "");
    let echo = json!({"id": "ev-echo", "type": "conversation:message",
        "payload": {"conversation": {"id": "conv-old"},
                    "message": {"id": "m-echo", "author": {"type": "business", "displayName": "Sam Agent"},
                                "content": {"type": "text", "text": "Hello Jane"},
                                "metadata": {"zendesk_comment_id": "1001"}}}});
    let typing = json!({"id": "ev-typing", "type": "conversation:typing", "payload": {}});
    let carousel = user_message("ev-car", "m-car", json!({"type": "carousel", "items": []}));
    let body = envelope(json!([echo, typing, carousel]));
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, SunCoEventOutcome::Ignored { .. })),
        "{outcomes:?}"
    );
    assert!(fakes.zendesk.received_requests().await.unwrap().is_empty());

    for key in ["wrong", ""] {
        let rejection = bridge
            .handle_sunco_webhook(&sunco_headers(key), body.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(rejection.status(), 401);
    }
    let rejection = bridge
        .handle_sunco_webhook(&HeaderMap::new(), body.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 401);
    let rejection = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), b"{\"events\":")
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 400);
}

#[tokio::test]
async fn customer_media_are_uploaded_to_zendesk_or_linked() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    Mock::given(method("GET"))
        .and(path("/sc/attachments/photo.png"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(vec![1, 2, 3]),
        )
        .mount(&fakes.sunco)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/uploads"))
        .and(header("content-type", "image/png"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"upload": {"token": "tok-1"}})),
        )
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "the box", "public": true, "author_id": 35436, "uploads": ["tok-1"]}}}),
    )
    .await;
    let url = format!("{}/sc/attachments/photo.png", fakes.sunco.uri());
    let image =
        json!({"type": "image", "mediaUrl": url, "mediaType": "image/png", "text": "the box"});
    // The fake's media host is on loopback: listed, and allowed to be private, as only a
    // local test should.
    let media_host = fakes.sunco.address().to_string();
    let bridge = fakes.bridge(
        Arc::clone(&store),
        &format!(
            "auto_reopen_ticket = false\nmedia_hosts = [\"{media_host}\"]\nmedia_allow_private_addresses = true"
        ),
    );
    let outcomes = bridge
        .handle_sunco_webhook(
            &sunco_headers("sunco-webhook-secret"),
            envelope(json!([user_message("ev-4", "msg-4", image.clone())])).as_bytes(),
        )
        .await
        .unwrap();
    assert!(
        matches!(&outcomes[0], SunCoEventOutcome::Commented { .. }),
        "{outcomes:?}"
    );

    // With upload_attachments = false the URL goes into the comment instead.
    let linking = Fakes::start().await;
    mount_update(
        &linking,
        json!({"ticket": {"comment": {"body": format!("the box\n\n{url}"), "public": true, "author_id": 35436}}}),
    )
    .await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    let outcomes = linking
        .bridge(
            store,
            "auto_reopen_ticket = false\nupload_attachments = false",
        )
        .handle_sunco_webhook(
            &sunco_headers("sunco-webhook-secret"),
            envelope(json!([user_message("ev-5", "msg-5", image)])).as_bytes(),
        )
        .await
        .unwrap();
    assert!(
        matches!(&outcomes[0], SunCoEventOutcome::Commented { .. }),
        "{outcomes:?}"
    );
}

async fn solving_unlinks_and_the_next_reply_opens_a_new_ticket(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    let thread = linked(&store).await;
    // The solving update's webhook: final comments go out, then the ticket leaves the thread.
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 1001, "author_id": 9, "public": true, "body": "Glad it worked out!"}],
            "users": [{"id": 9, "name": "Sam Agent", "role": "agent"}], "meta": {"has_more": false}
        })))
        .mount(&fakes.zendesk)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-old/messages"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"messages": [
            {"id": "msg-final", "author": {"type": "business"}, "content": {"type": "text", "text": "x"}}]})))
        .expect(1)
        .mount(&fakes.sunco)
        .await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let solved = payload("jane.doe+vip@example.com", "sunco_send", "Agent")
        .replace("\"Open\"", "\"Solved\"");
    let outcome = bridge
        .handle_zendesk_webhook(&signed(&solved, "target-pass"), solved.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&outcome, ZendeskWebhookOutcome::Unlinked { ticket_id: 4021, comments } if comments.delivered.len() == 1),
        "{outcome:?}"
    );
    assert_eq!(
        store
            .thread_try_lookup(ZENDESK_SUPPORT, "4021")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .thread_try_lookup(SUNSHINE_CONVERSATIONS, SUNCO_USER)
            .await
            .unwrap(),
        Some(thread)
    );

    // The customer writes again: a new ticket for the requester, linked to the same thread.
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .and(header("idempotency-key", "sunco-message-msg-9"))
        .and(body_partial_json(json!({"ticket": {"requester_id": 35436,
            "comment": {"body": "New question", "public": true, "author_id": 35436}}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ticket": {"id": 4100}})))
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    let body = text_reply("ev-9", "msg-9", "New question");
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [SunCoEventOutcome::TicketCreated {
            event_id: "ev-9".into(),
            ticket_id: 4100
        }]
    );
    assert_eq!(
        store
            .thread_try_lookup(ZENDESK_SUPPORT, "4100")
            .await
            .unwrap(),
        Some(thread)
    );
    assert_eq!(
        store
            .thread_get(&thread, MODE_KEY)
            .await
            .unwrap()
            .as_deref(),
        Some("customer")
    );
}

#[tokio::test]
async fn an_unlinked_reply_can_be_ignored_instead() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    store.thread_unlink(ZENDESK_SUPPORT, "4021").await.unwrap();
    let outcomes = fakes
        .bridge(store, "new_ticket_for_unlinked_reply = false")
        .handle_sunco_webhook(
            &sunco_headers("sunco-webhook-secret"),
            text_reply("ev-6", "msg-6", "hello?").as_bytes(),
        )
        .await
        .unwrap();
    assert!(
        matches!(&outcomes[0], SunCoEventOutcome::Ignored { .. }),
        "{outcomes:?}"
    );
    assert!(fakes.zendesk.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_zendesk_failure_answers_500_and_the_retry_comments_once() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LinkStore> = Arc::new(
        SqliteStore::open(dir.path().join("links.db"))
            .await
            .unwrap(),
    );
    linked(&store).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fakes.zendesk)
        .await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "hi", "public": true, "author_id": 35436}}}),
    )
    .await;
    let bridge = fakes.bridge(store, "auto_reopen_ticket = false");
    let body = text_reply("ev-7", "msg-7", "hi");
    let rejection = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 500);
    // The retry first checks the ticket for the comment: it is not there.
    mount_no_audits(&fakes).await;
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert!(matches!(&outcomes[0], SunCoEventOutcome::Commented { .. }));
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert!(matches!(
        &outcomes[0],
        SunCoEventOutcome::AlreadyDelivered { .. }
    ));
    assert_eq!(
        Fakes::count(&fakes.zendesk, "PUT", "/").await,
        2,
        "the failed try, then one comment"
    );
}

/// A worker posted the comment, then timed out or crashed before recording it. When its
/// lease runs out and SunCo retries, the comment is found on the ticket, not posted again.
#[tokio::test]
async fn a_comment_posted_before_a_crash_is_not_posted_again() {
    let fakes = Fakes::start().await;
    let clock = meya_links::ManualClock::starting_now();
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::with_clock(clock.clone()));
    linked(&store).await;
    store
        .delivery_claim(
            SUNSHINE_CONVERSATIONS,
            "msg-8",
            std::time::Duration::from_millis(20),
        )
        .await
        .unwrap();
    clock.advance(std::time::Duration::from_millis(60));
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/audits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "audits": [audit_carrying(5555, 35436, &["msg-8"])],
            "meta": {"has_more": false}
        })))
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let body = text_reply("ev-8", "msg-8", "Where is it?");
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [SunCoEventOutcome::AlreadyDelivered {
            event_id: "ev-8".into()
        }]
    );
    assert_eq!(Fakes::count(&fakes.zendesk, "PUT", "/").await, 0);
    let delivery = store
        .delivery_get(SUNSHINE_CONVERSATIONS, "msg-8")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        delivery.state,
        meya_links::DeliveryState::Delivered {
            target_message_id: "5555".into()
        }
    );
}
