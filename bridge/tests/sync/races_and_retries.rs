//! Concurrent replies, busy messages, lost conversations and re-sent texts.

use super::*;

#[tokio::test]
async fn a_linked_ticket_payload_without_requester_uses_the_thread() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 1003, "author_id": 35436, "public": true, "body": "from the customer"}],
            "meta": {"has_more": false}
        })))
        .mount(&fakes.zendesk)
        .await;
    let body = r#"{"ticket":{"id":"4021","status":"Open","tags":"sunco_send"},"current_user":{"id":"9","role":"Agent"}}"#;
    let outcome = fakes
        .bridge(store, "")
        .handle_zendesk_webhook(&signed(body, "target-pass"), body.as_bytes())
        .await
        .unwrap();
    // The requester's own comment is recognised through the thread, so nothing echoes back.
    assert!(
        matches!(&outcome, ZendeskWebhookOutcome::Synced { ticket_id: 4021, comments } if comments.delivered.is_empty()),
        "{outcome:?}"
    );
}

/// Two replies arrive at once for a conversation whose ticket was unlinked: one new ticket,
/// and the other reply becomes a comment on it.
#[tokio::test]
async fn two_replies_at_once_open_one_ticket() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn LinkStore> = Arc::new(
        SqliteStore::open(dir.path().join("links.db"))
            .await
            .unwrap(),
    );
    let thread = linked(&store).await;
    store.thread_unlink(ZENDESK_SUPPORT, "4021").await.unwrap();
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_delay(std::time::Duration::from_millis(200))
                .set_body_json(json!({"ticket": {"id": 4100}})),
        )
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4100}, "audit": {"events": [{"id": 9100, "type": "Comment"}]}
        })))
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let (first, second) = (
        text_reply("ev-a", "msg-a", "Hello?"),
        text_reply("ev-b", "msg-b", "Anyone?"),
    );
    let headers = sunco_headers("sunco-webhook-secret");
    let (a, b) = tokio::join!(
        bridge.handle_sunco_webhook(&headers, first.as_bytes()),
        bridge.handle_sunco_webhook(&headers, second.as_bytes())
    );
    let mut outcomes = a.unwrap();
    outcomes.extend(b.unwrap());
    let created = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                SunCoEventOutcome::TicketCreated {
                    ticket_id: 4100,
                    ..
                }
            )
        })
        .count();
    let commented = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                SunCoEventOutcome::Commented {
                    ticket_id: 4100,
                    ..
                }
            )
        })
        .count();
    assert_eq!((created, commented), (1, 1), "{outcomes:?}");
    assert_eq!(
        store
            .thread_try_lookup(ZENDESK_SUPPORT, "4100")
            .await
            .unwrap(),
        Some(thread)
    );
}

/// SunCo retries while another worker still holds the message: the retry answers 503 (SunCo
/// retries again), not 200, so the message cannot be lost if that worker fails.
#[tokio::test]
async fn a_message_in_flight_elsewhere_answers_busy() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    store
        .delivery_claim(
            SUNSHINE_CONVERSATIONS,
            "msg-busy",
            std::time::Duration::from_secs(30),
        )
        .await
        .unwrap();
    let rejection = fakes
        .bridge(store, "")
        .handle_sunco_webhook(
            &sunco_headers("sunco-webhook-secret"),
            text_reply("ev-busy", "msg-busy", "hello").as_bytes(),
        )
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 503);
    assert!(fakes.zendesk.received_requests().await.unwrap().is_empty());
}

/// SunCo no longer knows the conversation cached on the thread: the cache is dropped and the
/// next webhook delivers to the user's current conversation.
#[tokio::test]
async fn a_lost_conversation_is_looked_up_again() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    let thread = linked(&store).await;
    store
        .thread_set(&thread, CONVERSATION_KEY, "conv-gone")
        .await
        .unwrap();
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 1001, "author_id": 9, "public": true, "body": "Hello again"}],
            "users": [{"id": 9, "name": "Sam Agent", "role": "agent"}], "meta": {"has_more": false}
        })))
        .mount(&fakes.zendesk)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-gone/messages"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"errors": [{"code": "conversation_not_found", "title": "Conversation not found"}]}),
        ))
        .expect(1)
        .mount(&fakes.sunco)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversations": [{"id": "conv-now", "type": "personal", "isDefault": true}]
        })))
        .mount(&fakes.sunco)
        .await;
    // The second attempt first checks the conversation for parts sent before: none.
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations/conv-now/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": []})))
        .mount(&fakes.sunco)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-now/messages"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"messages": [
            {"id": "m-now", "author": {"type": "business"}, "content": {"type": "text", "text": "x"}}]})))
        .expect(1)
        .mount(&fakes.sunco)
        .await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    let first = bridge
        .handle_zendesk_webhook(&signed(&body, "target-pass"), body.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(first.status(), 500);
    let second = bridge
        .handle_zendesk_webhook(&signed(&body, "target-pass"), body.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&second, ZendeskWebhookOutcome::Synced { comments, .. } if comments.delivered.len() == 1),
        "{second:?}"
    );
    assert_eq!(
        store
            .thread_get(&thread, CONVERSATION_KEY)
            .await
            .unwrap()
            .as_deref(),
        Some("conv-now")
    );
}

/// A reply's comment went out but timed out, then the agent solved the ticket before the
/// retry: the retry finds the comment on the ticket just unlinked, and opens no new ticket.
#[tokio::test]
async fn a_reply_posted_before_the_ticket_was_solved_is_not_posted_again() {
    let fakes = Fakes::start().await;
    let clock = meya_links::ManualClock::starting_now();
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::with_clock(clock.clone()));
    linked(&store).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(std::time::Duration::from_millis(1500))
                .set_body_json(json!({"ticket": {"id": 4021},
                    "audit": {"events": [{"id": 9001, "type": "Comment"}]}})),
        )
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    // Zendesk did apply the slow update.
    mount_audits(
        &fakes,
        4021,
        json!([audit_carrying(9001, 35436, &["msg-1"])]),
    )
    .await;
    // What the solved ticket's webhook reads.
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 9001, "author_id": 35436, "public": true, "body": "thanks!"}],
            "users": [{"id": 35436, "name": "Jane", "role": "end-user"}],
            "meta": {"has_more": false}
        })))
        .mount(&fakes.zendesk)
        .await;
    let bridge = fakes.bridge(
        Arc::clone(&store),
        "auto_reopen_ticket = false\napi_timeout = \"300ms\"",
    );
    let reply = text_reply("ev-1", "msg-1", "thanks!");
    let timed_out = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), reply.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(timed_out.status(), 500);
    let solved =
        payload("jane.doe+vip@example.com", "sunco_send", "Agent").replace("Open", "Solved");
    let outcome = bridge
        .handle_zendesk_webhook(&signed(&solved, "target-pass"), solved.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(outcome, ZendeskWebhookOutcome::Unlinked { .. }),
        "{outcome:?}"
    );
    clock.advance(std::time::Duration::from_millis(400));
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), reply.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [SunCoEventOutcome::AlreadyDelivered {
            event_id: "ev-1".into()
        }]
    );
    assert_eq!(
        Fakes::count(&fakes.zendesk, "POST", "/api/v2/tickets").await,
        0
    );
}

/// A retried message whose text the customer already sent (another message, delivered) is
/// posted, not taken for that comment: the audits say which messages a comment carries.
#[tokio::test]
async fn a_retried_repeat_of_a_delivered_text_is_still_posted() {
    let fakes = Fakes::start().await;
    let clock = meya_links::ManualClock::starting_now();
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::with_clock(clock.clone()));
    linked(&store).await;
    // An earlier attempt claimed the message and died before posting.
    store
        .delivery_claim(
            SUNSHINE_CONVERSATIONS,
            "msg-9",
            std::time::Duration::from_millis(20),
        )
        .await
        .unwrap();
    clock.advance(std::time::Duration::from_millis(60));
    mount_audits(
        &fakes,
        4021,
        json!([audit_carrying(5001, 35436, &["msg-8"])]),
    )
    .await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "ok", "public": true, "author_id": 35436}}}),
    )
    .await;
    let mut event = user_message("ev-9", "msg-9", json!({"type": "text", "text": "ok"}));
    event["payload"]["message"]["received"] = json!("2026-11-27T10:00:00.000Z");
    let body = envelope(json!([event]));
    let outcomes = fakes
        .bridge(Arc::clone(&store), "auto_reopen_ticket = false")
        .handle_sunco_webhook(&sunco_headers("sunco-webhook-secret"), body.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(&outcomes[0], SunCoEventOutcome::Commented { .. }),
        "{outcomes:?}"
    );
    assert_eq!(Fakes::count(&fakes.zendesk, "PUT", "/").await, 1);
}
