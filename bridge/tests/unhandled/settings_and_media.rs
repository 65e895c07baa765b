//! Settings, media and crash recovery on the first delivery.

use super::*;

#[tokio::test]
async fn a_missing_sunco_user_can_be_created_instead() {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_no_sunco_user(&fakes).await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/users"))
        .and(body_partial_json(
            json!({"externalId": "jane.doe+vip@example.com"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(sunco_user_v2()))
        .expect(1)
        .mount(&fakes.sunco)
        .await;
    mount_conversations(&fakes, false).await;
    mount_messages(&fakes, "conv-new").await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    let outcome = fakes
        .bridge(store, "create_missing_sunco_user = true")
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    assert_eq!(outcome.sunco_user_id, SUNCO_USER);
    assert_eq!(outcome.conversation, Link::Created);
}

#[tokio::test]
async fn links_survive_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    {
        let store = SqliteStore::open(dir.path().join("links.db"))
            .await
            .unwrap();
        fakes
            .bridge(Arc::new(store.clone()), "")
            .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
            .await
            .unwrap();
        store.close().await;
    }
    let store = SqliteStore::open(dir.path().join("links.db"))
        .await
        .unwrap();
    let outcome = fakes
        .bridge(Arc::new(store), "")
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    assert!(outcome.comments.delivered.is_empty());
    assert_eq!(sent_messages(&fakes).await.len(), 3);
}

#[tokio::test]
async fn plain_text_and_text_with_media_follow_the_settings() {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    fakes
        .bridge(store, "markdown = false\ninclude_text_with_media = true")
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    let contents: Vec<Value> = sent_messages(&fakes)
        .await
        .into_iter()
        .map(|message| message["content"].clone())
        .collect();
    assert_eq!(
        contents,
        [
            json!({"type": "text", "text": "Hello **Jane**, your order shipped."}),
            json!({"type": "image",
                   "mediaUrl": "https://acme.zendesk.com/attachments/token/t1/?name=label.png",
                   "text": "See the label."}),
        ]
    );
}

/// What a retry finds in the conversation.
pub(super) async fn mount_message_list(fakes: &Fakes, messages: Value) {
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations/conv-old/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messages": messages, "meta": {"hasMore": false}
        })))
        .mount(&fakes.sunco)
        .await;
}

/// A worker sent comment 1004's text (part 0) and crashed before sending its image and
/// recording the delivery. Its lease runs out; the next webhook sends only the image.
pub(super) async fn a_crash_between_send_and_record_neither_duplicates_nor_loses(
    store: Arc<dyn LinkStore>,
    clock: meya_links::ManualClock,
) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    mount_message_list(
        &fakes,
        json!([{"id": "msg-1004-text", "author": {"type": "business"},
                "content": {"type": "text", "text": "See the label."},
                "metadata": {"zendesk_comment_id": "1004", "zendesk_part": "0"}}]),
    )
    .await;
    // Comment 1001 went out and was recorded before the crash.
    let done = store
        .delivery_claim(ZENDESK_SUPPORT, "1001", std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let meya_links::ClaimOutcome::Claimed(done) = done else {
        panic!()
    };
    store.delivery_complete(&done, "msg-1001").await.unwrap();
    // Comment 1004 was claimed by the worker that crashed.
    store
        .delivery_claim(
            ZENDESK_SUPPORT,
            "1004",
            std::time::Duration::from_millis(20),
        )
        .await
        .unwrap();
    clock.advance(std::time::Duration::from_millis(60));

    let outcome = fakes
        .bridge(Arc::clone(&store), "")
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    assert_eq!(outcome.comments.already_delivered, 1);
    assert_eq!(outcome.comments.delivered.len(), 1);
    assert_eq!(
        outcome.comments.delivered[0].message_ids,
        ["msg-1004-text", "msg-1004"],
        "the text found, the image sent"
    );
    let sent = sent_messages(&fakes).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["content"]["type"], "image");
    assert_eq!(sent[0]["metadata"]["zendesk_part"], "1");
}

#[tokio::test]
async fn links_in_the_comment_html_reach_the_message_unless_switched_off() {
    for (setting, expected) in [
        ("", "Read our [FAQ](https://acme.test/faq) first."),
        ("extract_html_links = false", "Read our FAQ first."),
    ] {
        let fakes = Fakes::start().await;
        Mock::given(method("GET"))
            .and(path("/api/v2/tickets/4021/comments"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "comments": [{"id": 1001, "author_id": 9, "public": true,
                              "body": "Read our FAQ first.",
                              "html_body": "<div class=\"zd-comment\"><p>Read our <a href=\"https://acme.test/faq\" rel=\"noreferrer\">FAQ</a> first.</p></div>"}],
                "users": [{"id": 9, "name": "Sam Agent", "role": "agent"}], "meta": {"has_more": false}
            })))
            .mount(&fakes.zendesk)
            .await;
        mount_sunco_user(&fakes, sunco_user_v2()).await;
        mount_conversations(&fakes, true).await;
        mount_messages(&fakes, "conv-old").await;
        fakes
            .bridge(Arc::new(MemoryStore::new()), setting)
            .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
            .await
            .unwrap();
        let sent = sent_messages(&fakes).await;
        assert_eq!(sent[0]["content"]["markdownText"], expected, "{setting:?}");
    }
}

#[tokio::test]
async fn private_attachments_are_copied_to_sunco_with_the_bots_credentials() {
    let fakes = Fakes::start().await;
    let attachment_url = format!("{}/attachments/token/t1/", fakes.zendesk.uri());
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 1004, "author_id": 9, "public": true, "body": "See the label.",
                          "attachments": [{"id": 1, "file_name": "label.png", "content_type": "image/png",
                                           "content_url": attachment_url}]}],
            "users": [{"id": 9, "name": "Sam Agent", "role": "admin"}], "meta": {"has_more": false}
        })))
        .mount(&fakes.zendesk)
        .await;
    // base64("bot@acme.test/token:zd-token")
    Mock::given(method("GET"))
        .and(path("/attachments/token/t1/"))
        .and(wiremock::matchers::header(
            "authorization",
            "Basic Ym90QGFjbWUudGVzdC90b2tlbjp6ZC10b2tlbg==",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0x89, b'P', b'N', b'G']))
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/attachments"))
        .and(query_param("access", "public"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"attachment": {
                "mediaUrl": "https://acme.zendesk.com/sc/attachments/v2/01JK/label.png",
                "mediaType": "image/png"
            }})),
        )
        .expect(1)
        .mount(&fakes.sunco)
        .await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    fakes
        .bridge(
            Arc::new(MemoryStore::new()),
            "private_attachments = true\ninclude_text_with_media = true",
        )
        .handle_unhandled_ticket(&event("jane.doe+vip@example.com"))
        .await
        .unwrap();
    let sent = sent_messages(&fakes).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["content"],
        json!({"type": "image", "mediaUrl": "https://acme.zendesk.com/sc/attachments/v2/01JK/label.png",
               "text": "See the label."})
    );
}

/// Zendesk delivers the same webhook twice at once (or two replicas get it): one thread, one
/// conversation, each comment sent once.
pub(super) async fn two_workers_at_once_make_one_thread_one_conversation_and_no_duplicates(
    store: Arc<dyn LinkStore>,
) {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversations": [], "meta": {"hasMore": false}
        })))
        .mount(&fakes.sunco)
        .await;
    // Creating the conversation is slow, which would let a second worker create another.
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_delay(std::time::Duration::from_millis(300))
                .set_body_json(json!({"conversation": {"id": "conv-new", "type": "personal"}})),
        )
        .mount(&fakes.sunco)
        .await;
    mount_messages(&fakes, "conv-new").await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let ticket = event("jane.doe+vip@example.com");
    let (first, second) = tokio::join!(
        bridge.handle_unhandled_ticket(&ticket),
        bridge.handle_unhandled_ticket(&ticket)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.thread, second.thread);
    assert_eq!(first.conversation_id, second.conversation_id);
    assert_eq!(
        Fakes::count(&fakes.sunco, "POST", "/v2/apps/app_1/conversations").await
            - sent_messages(&fakes).await.len(),
        1,
        "one conversation created"
    );
    let mut sent: Vec<String> = sent_messages(&fakes)
        .await
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["metadata"]["zendesk_comment_id"].as_str().unwrap(),
                m["metadata"]["zendesk_part"].as_str().unwrap()
            )
        })
        .collect();
    sent.sort();
    assert_eq!(sent, ["1001/0", "1004/0", "1004/1"]);
}

/// A crash left the SunCo user's thread linked but without its primary user (found by the
/// reliability harness): the next run of the flow gives it one, so the customer's replies
/// find their requester.
#[tokio::test]
async fn a_thread_left_without_its_primary_user_gets_one() {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    let user = link_requester(&store).await;
    let thread = store.thread_create().await.unwrap();
    store
        .thread_link(SUNSHINE_CONVERSATIONS, SUNCO_USER, &thread)
        .await
        .unwrap();
    let outcome = fakes
        .bridge(Arc::clone(&store), "")
        .handle_unhandled_ticket(&event(""))
        .await
        .unwrap();
    assert_eq!(outcome.thread, thread);
    assert_eq!(outcome.thread_link, Link::Reused);
    assert_eq!(
        store.thread_primary_user(&thread).await.unwrap(),
        Some(user)
    );
}

/// The ticket as `GET /api/v2/tickets/4021?include=users` answers it; `users` sideloaded.
async fn mount_ticket_read(fakes: &Fakes, users: Value) {
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021"))
        .and(query_param("include", "users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021, "status": "open", "tags": ["sunco_send"], "group_id": 123,
                       "priority": "high", "requester_id": 35436, "via": {"channel": "web"}},
            "users": users
        })))
        .mount(&fakes.zendesk)
        .await;
}

fn reading_filter(fakes: &Fakes, filter: &str) -> Bridge {
    Bridge::new(
        fakes.config_with_filter("", filter),
        Arc::new(MemoryStore::new()),
    )
    .unwrap()
}

async fn webhook(bridge: &Bridge, body: &str) -> ZendeskWebhookOutcome {
    bridge
        .handle_zendesk_webhook(&signed(body, "target-pass"), body.as_bytes())
        .await
        .unwrap()
}

/// A filter on fields the trigger payload lacks costs one read of the ticket with its users
/// sideloaded; the seed's filter costs none.
#[tokio::test]
async fn a_filter_reads_the_ticket_once_only_when_the_payload_lacks_its_fields() {
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    for (filter, starts, reads) in [
        (SEED_FILTER, true, 0),
        ("ticket.group_id:123 AND ticket.tags:sunco_send", true, 1),
        ("ticket.group_id:124", false, 1),
        (
            "ticket.priority:high AND requester.user_fields.plan:gold AND current_user.tags:tier2",
            true,
            1,
        ),
        ("ticket.via.channel:web", true, 1),
    ] {
        let fakes = Fakes::start().await;
        mount_comments(&fakes).await;
        mount_sunco_user(&fakes, sunco_user_v2()).await;
        mount_conversations(&fakes, true).await;
        mount_messages(&fakes, "conv-old").await;
        mount_ticket_read(
            &fakes,
            json!([
                {"id": 35436, "email": "jane.doe+vip@example.com", "role": "end-user",
                 "user_fields": {"plan": "gold"}},
                {"id": 9, "role": "agent", "tags": ["tier2"]}
            ]),
        )
        .await;
        let outcome = webhook(&reading_filter(&fakes, filter), &body).await;
        assert_eq!(
            matches!(outcome, ZendeskWebhookOutcome::Started(_)),
            starts,
            "{filter}: {outcome:?}"
        );
        assert_eq!(
            gets(&fakes.zendesk, "/api/v2/tickets/4021").await,
            reads,
            "{filter}"
        );
        assert_eq!(gets(&fakes.zendesk, "/api/v2/users/9").await, 0, "{filter}");
    }
}

/// The updater's own fields, when the ticket's users do not include them: one more read.
#[tokio::test]
async fn the_updaters_fields_are_read_when_not_sideloaded() {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    mount_ticket_read(&fakes, json!([{"id": 35436, "role": "end-user"}])).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "user": {"id": 9, "role": "agent", "tags": ["tier2"]}
        })))
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    let outcome = webhook(&reading_filter(&fakes, "current_user.tags:tier2"), &body).await;
    assert!(
        matches!(outcome, ZendeskWebhookOutcome::Started(_)),
        "{outcome:?}"
    );
}

/// The read is reused: a payload without the requester's email still finds the customer by
/// the email the ticket read gave; a ticket deleted meanwhile is ignored.
#[tokio::test]
async fn the_ticket_read_is_reused_and_a_deleted_ticket_is_ignored() {
    let fakes = Fakes::start().await;
    mount_comments(&fakes).await;
    mount_sunco_user(&fakes, sunco_user_v2()).await;
    mount_conversations(&fakes, true).await;
    mount_messages(&fakes, "conv-old").await;
    mount_ticket_read(
        &fakes,
        json!([{"id": 35436, "email": "jane.doe+vip@example.com", "role": "end-user"}]),
    )
    .await;
    let no_email = payload("", "sunco_send", "Agent");
    let outcome = webhook(&reading_filter(&fakes, "ticket.group_id:123"), &no_email).await;
    assert!(
        matches!(outcome, ZendeskWebhookOutcome::Started(_)),
        "{outcome:?}"
    );
    assert_eq!(gets(&fakes.zendesk, "/api/v2/tickets/4021").await, 1);

    let gone = Fakes::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": "RecordNotFound", "description": "Not found"})),
        )
        .mount(&gone.zendesk)
        .await;
    let outcome = webhook(&reading_filter(&gone, "ticket.group_id:123"), &no_email).await;
    assert!(
        matches!(&outcome, ZendeskWebhookOutcome::Ignored { reason, .. } if reason.contains("no longer exists")),
        "{outcome:?}"
    );
}
