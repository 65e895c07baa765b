//! `handle_unhandled_ticket` and the Zendesk webhook entry point against wiremock fakes of
//! Zendesk and SunCo, on SQLite, PostgreSQL and the memory store. Each test checks the
//! requests sent (and how many) and the links stored.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

// The tests, by topic, in the files beside this one.
mod settings_and_media;
use settings_and_media::{
    a_crash_between_send_and_record_neither_duplicates_nor_loses, mount_message_list,
    two_workers_at_once_make_one_thread_one_conversation_and_no_duplicates,
};

use std::sync::Arc;

use common::*;
use http::HeaderValue;
use meya_links::{LinkStore, MemoryStore, SUNSHINE_CONVERSATIONS, SqliteStore, ZENDESK_SUPPORT};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};
use zendesk_sunco_bridge::{Bridge, Error, Link, ZendeskWebhookOutcome};
use zendesk_support::inbound::parse_ticket_event;

async fn mount_comments(fakes: &Fakes) {
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .and(query_param("include", "users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [
                {"id": 1001, "author_id": 9, "public": true, "body": "Hello **Jane**, your order shipped."},
                {"id": 1002, "author_id": 9, "public": false, "body": "internal: check the courier"},
                {"id": 1003, "author_id": 35436, "public": true, "body": "from the customer"},
                {"id": 1004, "author_id": 9, "public": true, "body": "See the label.",
                 "attachments": [{"id": 1, "file_name": "label.png", "content_type": "image/png",
                                  "content_url": "https://acme.zendesk.com/attachments/token/t1/?name=label.png"}]}
            ],
            "users": [{"id": 9, "name": "Sam Agent", "role": "agent"},
                      {"id": 35436, "name": "Jane Doe", "role": "end-user"}],
            "meta": {"has_more": false}
        })))
        .mount(&fakes.zendesk)
        .await;
}

async fn mount_sunco_user(fakes: &Fakes, body: Value) {
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/jane.doe%2Bvip%40example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&fakes.sunco)
        .await;
}

async fn mount_conversations(fakes: &Fakes, existing: bool) {
    let conversations = if existing {
        json!([{"id": "conv-old", "type": "personal", "isDefault": true}])
    } else {
        json!([])
    };
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations"))
        .and(query_param("filter[userId]", SUNCO_USER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversations": conversations, "meta": {"hasMore": false}
        })))
        .mount(&fakes.sunco)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations"))
        .and(body_partial_json(
            json!({"type": "personal", "participants": [{"userId": SUNCO_USER}]}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "conversation": {"id": "conv-new", "type": "personal"}
        })))
        .mount(&fakes.sunco)
        .await;
}

async fn mount_messages(fakes: &Fakes, conversation: &str) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/v2/apps/app_1/conversations/{conversation}/messages"
        )))
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let id = format!(
                "msg-{}",
                body["metadata"]["zendesk_comment_id"].as_str().unwrap()
            );
            ResponseTemplate::new(201).set_body_json(json!({"messages": [{
                "id": id, "author": {"type": "business"}, "content": body["content"].clone()
            }]}))
        })
        .mount(&fakes.sunco)
        .await;
}

on_every_store!(
    a_cold_ticket_links_everything_and_delivers_agent_comments,
    a_second_call_reuses_every_link_and_sends_nothing_twice,
    a_requester_linked_before_skips_the_sunco_user_lookup,
    a_linked_sunco_user_without_a_thread_gets_one,
    a_v1_app_user_answer_works,
    no_email_posts_one_internal_note,
    no_sunco_user_posts_one_internal_note,
    a_sunco_500_then_a_retry_delivers_exactly_once,
    the_webhook_entry_point_verifies_filters_and_dispatches,
    two_workers_at_once_make_one_thread_one_conversation_and_no_duplicates,
);

on_every_store_clocked!(a_crash_between_send_and_record_neither_duplicates_nor_loses);

async fn a_cold_ticket_links_everything_and_delivers_agent_comments(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, false).await;
    mount_messages(&fakes, "conv-new").await;
    let bridge = fakes.bridge(Arc::clone(&store), "");

    let outcome = bridge
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    assert_eq!(outcome.requester_link, Link::Created);
    assert_eq!(outcome.thread_link, Link::Created);
    assert_eq!(outcome.conversation, Link::Created);
    assert_eq!(outcome.sunco_user_id, SUNCO_USER);
    assert_eq!(outcome.conversation_id, "conv-new");
    let delivered: Vec<i64> = outcome
        .comments
        .delivered
        .iter()
        .map(|d| d.comment_id)
        .collect();
    assert_eq!(
        delivered,
        [1001, 1004],
        "public agent comments only, in order"
    );

    // The calls: 1 Zendesk read; SunCo user, conversations, create, and the messages.
    assert_eq!(Fakes::count(&fakes.zendesk, "GET", "/").await, 1);
    assert_eq!(Fakes::count(&fakes.zendesk, "PUT", "/").await, 0);
    assert_eq!(
        Fakes::count(&fakes.sunco, "GET", "/v2/apps/app_1/users").await,
        1
    );
    assert_eq!(
        Fakes::count(&fakes.sunco, "GET", "/v2/apps/app_1/conversations").await,
        1
    );
    let messages = sent_messages(&fakes).await;
    assert_eq!(
        messages.len(),
        3,
        "text, then text and image of the second comment"
    );
    assert_eq!(
        messages[0],
        json!({"author": {"type": "business", "displayName": "Sam Agent"},
               "content": {"type": "text", "markdownText": "Hello **Jane**, your order shipped."},
               "metadata": {"zendesk_comment_id": "1001", "zendesk_part": "0",
                            "zendesk_ticket_id": "4021"}})
    );
    assert_eq!(messages[2]["content"]["type"], "image");

    // The links, as the seed's flow makes them.
    let user = outcome.user;
    assert_eq!(
        store
            .user_try_lookup(ZENDESK_SUPPORT, "35436")
            .await
            .unwrap(),
        Some(user)
    );
    assert_eq!(
        store
            .user_try_lookup(SUNSHINE_CONVERSATIONS, SUNCO_USER)
            .await
            .unwrap(),
        Some(user)
    );
    let thread = outcome.thread;
    assert_eq!(
        store
            .thread_try_lookup(ZENDESK_SUPPORT, "4021")
            .await
            .unwrap(),
        Some(thread)
    );
    assert_eq!(
        store
            .thread_try_lookup(SUNSHINE_CONVERSATIONS, SUNCO_USER)
            .await
            .unwrap(),
        Some(thread)
    );
    assert_eq!(
        store.thread_primary_user(&thread).await.unwrap(),
        Some(user)
    );
    assert_eq!(
        store
            .thread_get(&thread, zendesk_sunco_bridge::CONVERSATION_KEY)
            .await
            .unwrap()
            .as_deref(),
        Some("conv-new")
    );
}

async fn a_second_call_reuses_every_link_and_sends_nothing_twice(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    let bridge = fakes.bridge(store, "");
    let first = bridge
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    assert_eq!(
        first.conversation,
        Link::Reused,
        "the user's existing conversation"
    );
    let second = bridge
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    assert_eq!(second.requester_link, Link::Reused);
    assert_eq!(second.thread_link, Link::Reused);
    assert_eq!(second.thread, first.thread);
    assert!(second.comments.delivered.is_empty());
    // Two delivered, and the requester's own comment recorded as not sent.
    assert_eq!(second.comments.already_delivered, 3);
    assert!(second.comments.skipped.is_empty());
    assert_eq!(sent_messages(&fakes).await.len(), 3);
    // The second call looked nothing up at SunCo.
    assert_eq!(Fakes::count(&fakes.sunco, "GET", "/").await, 2);
}

/// The links an earlier flow left for requester 35436 and the SunCo user, without a thread.
async fn link_requester(store: &Arc<dyn LinkStore>) -> meya_links::UserId {
    let user = store
        .user_identify(SUNSHINE_CONVERSATIONS, SUNCO_USER)
        .await
        .unwrap();
    store
        .user_link(ZENDESK_SUPPORT, "35436", &user)
        .await
        .unwrap();
    user
}

async fn a_requester_linked_before_skips_the_sunco_user_lookup(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    let user = link_requester(&store).await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    // No email needed: the links say who the requester is.
    let outcome = bridge.handle_unhandled_ticket(&event("")).await.unwrap();
    assert_eq!(outcome.user, user);
    assert_eq!(outcome.requester_link, Link::Reused);
    assert_eq!(
        Fakes::count(&fakes.sunco, "GET", "/v2/apps/app_1/users").await,
        0
    );
}

async fn a_linked_sunco_user_without_a_thread_gets_one(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    let user = link_requester(&store).await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let outcome = bridge.handle_unhandled_ticket(&event("")).await.unwrap();
    assert_eq!(outcome.thread_link, Link::Created);
    assert_eq!(
        store.thread_primary_user(&outcome.thread).await.unwrap(),
        Some(user)
    );

    // A later ticket of the same customer joins the same thread, replacing the first ticket,
    // and costs 1 Zendesk read plus the messages (the conversation is cached).
    let later = parse_ticket_event(
        payload("", "sunco_send", "Agent")
            .replace("4021", "4022")
            .as_bytes(),
    )
    .unwrap();
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4022/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 2001, "author_id": 9, "public": true, "body": "Another thing"}],
            "users": [{"id": 9, "name": "Sam Agent", "role": "agent"}], "meta": {"has_more": false}
        })))
        .mount(&fakes.zendesk)
        .await;
    let sunco_calls_before = fakes.sunco.received_requests().await.unwrap().len();
    let second = bridge.handle_unhandled_ticket(&later).await.unwrap();
    assert_eq!(second.thread, outcome.thread);
    assert_eq!(second.thread_link, Link::Reused);
    assert_eq!(
        fakes.sunco.received_requests().await.unwrap().len(),
        sunco_calls_before + 1
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
            .thread_try_lookup(ZENDESK_SUPPORT, "4022")
            .await
            .unwrap(),
        Some(outcome.thread)
    );
}

async fn a_v1_app_user_answer_works(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(
        &fakes,
        json!({"appUser": {"_id": SUNCO_USER, "userId": "jane.doe+vip@example.com"}}),
    )
    .await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    let outcome = fakes
        .bridge(store, "")
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    assert_eq!(outcome.sunco_user_id, SUNCO_USER);
}

async fn mount_note(fakes: &Fakes) {
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .and(body_partial_json(
            json!({"ticket": {"comment": {"public": false}}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021}, "audit": {"events": [{"id": 77, "type": "Comment"}]}
        })))
        .mount(&fakes.zendesk)
        .await;
}

async fn no_email_posts_one_internal_note(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_note(&fakes).await;
    let bridge = fakes.bridge(store, "");
    for _ in 0..2 {
        let error = bridge
            .handle_unhandled_ticket(&event(""))
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::NoRequesterEmail { ticket_id: 4021 }),
            "{error:?}"
        );
    }
    let notes = fakes.zendesk.received_requests().await.unwrap();
    assert_eq!(
        notes.len(),
        1,
        "one note, however often the webhook repeats"
    );
    let body: Value = serde_json::from_slice(&notes[0].body).unwrap();
    assert!(
        body["ticket"]["comment"]["body"]
            .as_str()
            .unwrap()
            .contains("no email")
    );
    assert_eq!(fakes.sunco.received_requests().await.unwrap().len(), 0);
}

/// SunCo knows no user with the requester's email.
async fn mount_no_sunco_user(fakes: &Fakes) {
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/jane.doe%2Bvip%40example.com"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"errors": [{"code": "user_not_found", "title": "User not found"}]}),
        ))
        .mount(&fakes.sunco)
        .await;
}

async fn no_sunco_user_posts_one_internal_note(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_note(&fakes).await;
    mount_no_sunco_user(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    for _ in 0..2 {
        let error = bridge
            .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::NoSunCoUser { ticket_id: 4021 }),
            "{error:?}"
        );
    }
    assert_eq!(
        Fakes::count(&fakes.zendesk, "PUT", "/api/v2/tickets/4021").await,
        1
    );
    let body: Value =
        serde_json::from_slice(&fakes.zendesk.received_requests().await.unwrap()[0].body).unwrap();
    assert!(
        body["ticket"]["comment"]["body"]
            .as_str()
            .unwrap()
            .contains("open the messenger")
    );
    assert_eq!(
        store
            .user_try_lookup(ZENDESK_SUPPORT, "35436")
            .await
            .unwrap(),
        None
    );
}

async fn a_sunco_500_then_a_retry_delivers_exactly_once(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-old/messages"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fakes.sunco)
        .await;
    mount_messages(&fakes, "conv-old").await;
    mount_message_list(&fakes, json!([])).await;
    let bridge = fakes.bridge(store, "");
    let error = bridge
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::SunCo(_)), "{error:?}");
    // Zendesk repeats the webhook: everything is delivered, nothing twice.
    let outcome = bridge
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    assert_eq!(outcome.comments.delivered.len(), 2);
    let delivered: Vec<String> = sent_messages(&fakes)
        .await
        .iter()
        .map(|m| {
            m["metadata"]["zendesk_comment_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        delivered,
        ["1001", "1001", "1004", "1004"],
        "the failed try, then one each"
    );
}

async fn the_webhook_entry_point_verifies_filters_and_dispatches(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    let bridge = fakes.bridge(Arc::clone(&store), "");

    let good = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    // Refused before anything happens.
    let rejection = bridge
        .handle_zendesk_webhook(&signed(&good, "wrong"), good.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 401);
    let mut forged = signed(&good, "target-pass");
    forged.insert(
        "x-zendesk-webhook-signature",
        HeaderValue::from_static("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    );
    assert_eq!(
        bridge
            .handle_zendesk_webhook(&forged, good.as_bytes())
            .await
            .unwrap_err()
            .status(),
        401
    );
    let tampered = good.replace("4021", "4022");
    assert_eq!(
        bridge
            .handle_zendesk_webhook(&signed(&good, "target-pass"), tampered.as_bytes())
            .await
            .unwrap_err()
            .status(),
        401
    );
    let malformed = r#"{"ticket":{"id":"x"}}"#;
    assert_eq!(
        bridge
            .handle_zendesk_webhook(&signed(malformed, "target-pass"), malformed.as_bytes())
            .await
            .unwrap_err()
            .status(),
        400
    );
    assert!(fakes.zendesk.received_requests().await.unwrap().is_empty());
    assert_eq!(
        store
            .thread_try_lookup(ZENDESK_SUPPORT, "4021")
            .await
            .unwrap(),
        None
    );

    // The filter's refusals.
    for (tags, role, status) in [
        ("vip", "Agent", "Open"),
        ("sunco_send", "End-user", "Open"),
        ("sunco_send", "Agent", "Solved"),
    ] {
        let body = payload("jane.doe+vip@example.com", tags, role)
            .replace("\"Open\"", &format!("\"{status}\""));
        let outcome = bridge
            .handle_zendesk_webhook(&signed(&body, "target-pass"), body.as_bytes())
            .await
            .unwrap();
        assert!(
            matches!(
                outcome,
                ZendeskWebhookOutcome::Ignored {
                    ticket_id: 4021,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
    assert!(fakes.zendesk.received_requests().await.unwrap().is_empty());

    // Taken: the flow runs; the repeat finds the ticket linked and sends nothing again.
    let started = bridge
        .handle_zendesk_webhook(&signed(&good, "target-pass"), good.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&started, ZendeskWebhookOutcome::Started(outcome) if outcome.comments.delivered.len() == 2),
        "{started:?}"
    );
    let repeated = bridge
        .handle_zendesk_webhook(&signed(&good, "target-pass"), good.as_bytes())
        .await
        .unwrap();
    match repeated {
        ZendeskWebhookOutcome::Synced {
            ticket_id: 4021,
            comments,
        } => {
            assert!(comments.delivered.is_empty());
            assert_eq!(comments.already_delivered, 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sent_messages(&fakes).await.len(), 3);
}
