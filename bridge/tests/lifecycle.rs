//! The real ticket lifecycle: who may speak to the customer, replies that meet a closed,
//! merged or deleted ticket, comments SunCo refuses, customer files that cannot be carried,
//! and two updates of one ticket in one second.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use bridge::lifecycle::REPLACED_TICKET_KEY;
use bridge::{SunCoEventOutcome, ZendeskWebhookOutcome};
use common::*;
use meya_links::{DeliveryState, LinkStore, MemoryStore, ThreadId, ZENDESK_SUPPORT};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SUNCO_KEY: &str = "sunco-webhook-secret";
/// Where the bridge posts to the linked conversation.
const MESSAGES: &str = "/v2/apps/app_1/conversations/conv-old/messages";

/// `server` answers `verb route` with `response`.
async fn answer(
    server: &MockServer,
    verb: &str,
    route: &str,
    response: impl wiremock::Respond + 'static,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(response)
        .mount(server)
        .await;
}

/// The reply opened ticket `expected`.
fn assert_created(outcomes: &[SunCoEventOutcome], expected: i64) {
    assert!(
        matches!(&outcomes[0], SunCoEventOutcome::TicketCreated { ticket_id, .. } if *ticket_id == expected),
        "{outcomes:?}"
    );
}

async fn mount_comments(fakes: &Fakes, comments: Value, users: Value) {
    answer(
        &fakes.zendesk,
        "GET",
        "/api/v2/tickets/4021/comments",
        ResponseTemplate::new(200).set_body_json(json!({
            "comments": comments, "users": users, "meta": {"has_more": false}
        })),
    )
    .await;
}

/// SunCo's message endpoint for `conv-old`, answering each post with a fresh id.
async fn mount_messages(fakes: &Fakes) {
    answer(&fakes.sunco, "POST", MESSAGES, |request: &Request| {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let id = format!(
            "m-{}-{}",
            body["metadata"]["zendesk_comment_id"]
                .as_str()
                .unwrap_or("x"),
            body["metadata"]["zendesk_part"].as_str().unwrap_or("x")
        );
        ResponseTemplate::new(201).set_body_json(json!({"messages": [
                {"id": id, "author": {"type": "business"}, "content": body["content"]}]}))
    })
    .await;
}

async fn zendesk_webhook(bridge: &bridge::Bridge) -> ZendeskWebhookOutcome {
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    bridge
        .handle_zendesk_webhook(&signed(&body, "target-pass"), body.as_bytes())
        .await
        .unwrap()
}

fn comments_of(outcome: &ZendeskWebhookOutcome) -> &bridge::AgentCommentsOutcome {
    match outcome {
        ZendeskWebhookOutcome::Synced { comments, .. }
        | ZendeskWebhookOutcome::Unlinked { comments, .. } => comments,
        other => panic!("{other:?}"),
    }
}

async fn reply(
    bridge: &bridge::Bridge,
    event_id: &str,
    message_id: &str,
    text: &str,
) -> Vec<SunCoEventOutcome> {
    bridge
        .handle_sunco_webhook(
            &sunco_headers(SUNCO_KEY),
            text_reply(event_id, message_id, text).as_bytes(),
        )
        .await
        .unwrap()
}

async fn linked_ticket(store: &Arc<dyn LinkStore>, thread: &ThreadId) -> Option<String> {
    store
        .thread_try_reverse_lookup(thread, ZENDESK_SUPPORT)
        .await
        .unwrap()
}

async fn requests(server: &MockServer, verb: &str, route: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == route)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

// ---------------------------------------------------------------------------------------
// 1. Only agents speak to the customer.

#[tokio::test]
async fn only_agents_and_admins_reach_the_customer() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_comments(
        &fakes,
        json!([
            {"id": 1001, "author_id": 9, "public": true, "body": "Your refund is on its way."},
            {"id": 1002, "author_id": 77, "public": true, "body": "CC: please also send me the invoice"},
            {"id": 1003, "author_id": 35436, "public": true, "body": "thanks"},
            {"id": 1004, "author_id": 88, "public": true, "body": "who am I?"},
            {"id": 1005, "public": true, "body": "no author"},
            {"id": 1006, "author_id": 12, "public": true, "body": "An admin writes."},
            {"id": 1007, "author_id": 13, "public": true, "body": "a role Zendesk added later"},
            {"id": 1008, "author_id": 9, "public": false, "body": "internal: refund approved"}
        ]),
        json!([
            {"id": 9, "name": "Sam Agent", "role": "agent"},
            {"id": 77, "name": "Cc Person", "role": "end-user"},
            {"id": 35436, "name": "Jane Doe", "role": "end-user"},
            {"id": 12, "name": "Ada Admin", "role": "admin"},
            {"id": 13, "name": "Someone", "role": "observer"}
        ]),
    )
    .await;
    mount_messages(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "");

    let first = zendesk_webhook(&bridge).await;
    let first = comments_of(&first);
    let delivered: Vec<i64> = first.delivered.iter().map(|d| d.comment_id).collect();
    assert_eq!(delivered, [1001, 1006]);
    let skipped: Vec<i64> = first.skipped.iter().map(|s| s.comment_id).collect();
    assert_eq!(skipped, [1002, 1003, 1004, 1005, 1007]);
    let sent = sent_messages(&fakes).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["author"]["displayName"], "Sam Agent");
    assert_eq!(sent[1]["author"]["displayName"], "Ada Admin");
    assert!(
        sent.iter()
            .all(|m| !m.to_string().contains("invoice") && !m.to_string().contains("thanks"))
    );

    // Recorded: the next webhook looks at none of them again, and sends nothing.
    let second = zendesk_webhook(&bridge).await;
    let second = comments_of(&second);
    assert!(second.delivered.is_empty() && second.skipped.is_empty());
    assert_eq!(second.already_delivered, 7);
    assert_eq!(sent_messages(&fakes).await.len(), 2);
    let cc = store
        .delivery_get(ZENDESK_SUPPORT, "1002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        cc.state,
        DeliveryState::Delivered {
            target_message_id: String::new()
        },
        "recorded as done with nothing sent"
    );
}

// ---------------------------------------------------------------------------------------
// 2. Closed, merged and deleted tickets never swallow a message.

/// A reply to a ticket that turns out closed (the 422) unlinks it and opens one follow-up
/// ticket carrying the message, however often SunCo repeats the webhook.
#[tokio::test]
async fn a_reply_to_a_closed_ticket_lands_on_a_follow_up_once() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    let thread = linked(&store).await;
    answer(
        &fakes.zendesk,
        "PUT",
        "/api/v2/tickets/4021",
        closed_ticket_refusal(),
    )
    .await;
    mount_ticket_status(&fakes, "closed").await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/audits"))
        .and(query_param("sort", "-created_at"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"audits": [
            {"id": 1, "ticket_id": 4021, "via": {"channel": "rule", "source": {"rel": "automation"}},
             "events": [{"type": "Change", "field_name": "status", "value": "closed"}]}
        ]})))
        .mount(&fakes.zendesk)
        .await;
    let tickets = IdempotentTickets::mount(&fakes).await;
    // Even where unlinked replies are ignored: this reply was for a linked ticket.
    let bridge = fakes.bridge(
        Arc::clone(&store),
        "auto_reopen_ticket = false\nnew_ticket_for_unlinked_reply = false",
    );

    let outcomes = reply(&bridge, "ev-1", "msg-1", "Is it shipped yet?").await;
    assert_eq!(
        outcomes,
        [SunCoEventOutcome::TicketCreated {
            event_id: "ev-1".into(),
            ticket_id: 5000
        }]
    );
    for _ in 0..3 {
        assert_eq!(
            reply(&bridge, "ev-1", "msg-1", "Is it shipped yet?").await,
            [SunCoEventOutcome::AlreadyDelivered {
                event_id: "ev-1".into()
            }]
        );
    }
    let created = tickets.created();
    assert_eq!(created.len(), 1, "one follow-up");
    assert_eq!(
        created[0]["ticket"]["via_followup_source_id"], 4021,
        "{created:?}"
    );
    assert_eq!(created[0]["ticket"]["requester_id"], 35436);
    assert_eq!(
        created[0]["ticket"]["comment"]["body"],
        "Is it shipped yet?"
    );
    assert_eq!(created[0]["ticket"]["comment"]["author_id"], 35436);
    assert_eq!(
        linked_ticket(&store, &thread).await.as_deref(),
        Some("5000")
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
            .thread_get(&thread, REPLACED_TICKET_KEY)
            .await
            .unwrap()
            .as_deref(),
        Some(""),
        "settled once the follow-up is linked"
    );
    // The next reply is a comment on the follow-up.
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/5000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 5000}, "audit": {"events": [{"id": 9100, "type": "Comment"}]}
        })))
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    let next = reply(&bridge, "ev-2", "msg-2", "Hello?").await;
    assert!(
        matches!(
            &next[0],
            SunCoEventOutcome::Commented {
                ticket_id: 5000,
                ..
            }
        ),
        "{next:?}"
    );
}

/// With Meya's default `auto_reopen_ticket: agent`, the ticket read before the update already
/// shows it closed: no update is even tried.
#[tokio::test]
async fn a_ticket_read_back_closed_is_not_updated() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_ticket_status(&fakes, "closed").await;
    answer(
        &fakes.zendesk,
        "GET",
        "/api/v2/tickets/4021/audits",
        ResponseTemplate::new(200).set_body_json(json!({"audits": []})),
    )
    .await;
    let tickets = IdempotentTickets::mount(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let outcomes = reply(&bridge, "ev-1", "msg-1", "One more question").await;
    assert_created(&outcomes, 5000);
    assert_eq!(
        tickets.created()[0]["ticket"]["via_followup_source_id"],
        4021
    );
    assert!(
        requests(&fakes.zendesk, "PUT", "/api/v2/tickets/4021")
            .await
            .is_empty()
    );
}

/// A ticket merged into another: the reply goes to the ticket it was merged into, found from
/// the merge's audit (`via.channel: merge`), and the thread follows it there.
#[tokio::test]
async fn a_reply_to_a_merged_ticket_goes_to_the_ticket_it_was_merged_into() {
    for via in [
        // The merge's source names the target...
        json!({"channel": "merge", "source": {"from": {}, "to": {"ticket_id": 4500, "subject": "Order 77"}, "rel": "merge"}}),
        // ... or only the merge comment does (via ids instead of names, too).
        json!({"channel": 19, "source": {"from": {}, "to": {}, "rel": "merge"}}),
    ] {
        let fakes = Fakes::start().await;
        let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
        let thread = linked(&store).await;
        answer(
            &fakes.zendesk,
            "PUT",
            "/api/v2/tickets/4021",
            closed_ticket_refusal(),
        )
        .await;
        answer(
            &fakes.zendesk,
            "GET",
            "/api/v2/tickets/4021",
            ResponseTemplate::new(200).set_body_json(json!({"ticket": {
                "id": 4021, "status": "closed", "tags": ["closed_by_merge", "sunco_send"]}})),
        )
        .await;
        answer(&fakes.zendesk, "GET", "/api/v2/tickets/4021/audits", ResponseTemplate::new(200).set_body_json(json!({"audits": [
                {"id": 2, "ticket_id": 4021, "via": via, "events": [
                    {"type": "Comment", "public": false, "body": "This request was closed and merged into request #4500 \"Order 77\"."},
                    {"type": "Change", "field_name": "status", "value": "closed", "previous_value": "open"}
                ]}
            ]}))).await;
        answer(
            &fakes.zendesk,
            "GET",
            "/api/v2/tickets/4500",
            ResponseTemplate::new(200).set_body_json(json!({"ticket": {
                "id": 4500, "status": "open"}})),
        )
        .await;
        Mock::given(method("PUT"))
            .and(path("/api/v2/tickets/4500"))
            .and(body_partial_json(json!({"ticket": {"comment": {
                "body": "Any news?", "author_id": 35436, "public": true}}})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "ticket": {"id": 4500}, "audit": {"events": [{"id": 9200, "type": "Comment"}]}
            })))
            .expect(1)
            .mount(&fakes.zendesk)
            .await;
        let tickets = IdempotentTickets::mount(&fakes).await;
        let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
        let outcomes = reply(&bridge, "ev-1", "msg-1", "Any news?").await;
        assert_eq!(
            outcomes,
            [SunCoEventOutcome::Commented {
                event_id: "ev-1".into(),
                ticket_id: 4500,
                comment_id: Some(9200),
                reopened: false
            }]
        );
        assert!(tickets.created().is_empty(), "no new ticket");
        assert_eq!(
            linked_ticket(&store, &thread).await.as_deref(),
            Some("4500")
        );
        assert_eq!(
            store
                .thread_try_lookup(ZENDESK_SUPPORT, "4021")
                .await
                .unwrap(),
            None
        );
    }
}

/// Merged into a ticket that cannot be found: treated as closed, a follow-up opens.
#[tokio::test]
async fn a_merge_whose_target_is_gone_opens_a_follow_up() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    answer(
        &fakes.zendesk,
        "PUT",
        "/api/v2/tickets/4021",
        closed_ticket_refusal(),
    )
    .await;
    mount_ticket_status(&fakes, "closed").await;
    answer(&fakes.zendesk, "GET", "/api/v2/tickets/4021/audits", ResponseTemplate::new(200).set_body_json(json!({"audits": [
            {"id": 2, "via": {"channel": "merge", "source": {"to": {"ticket_id": 4600}, "rel": "merge"}}, "events": []}
        ]}))).await;
    answer(&fakes.zendesk, "GET", "/api/v2/tickets/4600", not_found()).await;
    let tickets = IdempotentTickets::mount(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let outcomes = reply(&bridge, "ev-1", "msg-1", "Hello again").await;
    assert_created(&outcomes, 5000);
    assert_eq!(
        tickets.created()[0]["ticket"]["via_followup_source_id"],
        4021
    );
}

/// A deleted ticket (404) is replaced by a new ticket, without the follow-up link.
#[tokio::test]
async fn a_reply_to_a_deleted_ticket_opens_a_new_ticket() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    let thread = linked(&store).await;
    answer(&fakes.zendesk, "PUT", "/api/v2/tickets/4021", not_found()).await;
    answer(&fakes.zendesk, "GET", "/api/v2/tickets/4021", not_found()).await;
    let tickets = IdempotentTickets::mount(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let outcomes = reply(&bridge, "ev-1", "msg-1", "Still there?").await;
    assert_created(&outcomes, 5000);
    let created = tickets.created();
    assert_eq!(created.len(), 1);
    assert!(created[0]["ticket"].get("via_followup_source_id").is_none());
    assert_eq!(
        linked_ticket(&store, &thread).await.as_deref(),
        Some("5000")
    );
}

/// A 422 on an open ticket (a comment Zendesk refuses for another reason) is not a closed
/// ticket: it stays the error it is, and no ticket is opened.
#[tokio::test]
async fn a_422_on_an_open_ticket_is_not_taken_for_a_closed_one() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    let thread = linked(&store).await;
    answer(
        &fakes.zendesk,
        "PUT",
        "/api/v2/tickets/4021",
        ResponseTemplate::new(422).set_body_json(json!({
            "error": "RecordInvalid", "description": "Record validation errors",
            "details": {"base": [{"description": "Comment limit reached"}]}})),
    )
    .await;
    mount_ticket_status(&fakes, "open").await;
    let tickets = IdempotentTickets::mount(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let error = bridge
        .handle_sunco_webhook(
            &sunco_headers(SUNCO_KEY),
            text_reply("ev-1", "msg-1", "hi").as_bytes(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), 500);
    assert!(tickets.created().is_empty());
    assert_eq!(
        linked_ticket(&store, &thread).await.as_deref(),
        Some("4021")
    );
}

// ---------------------------------------------------------------------------------------
// 3. A comment SunCo refuses does not block the ticket.

#[tokio::test]
async fn a_refused_comment_is_recorded_noted_once_and_the_next_goes_on() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_comments(
        &fakes,
        json!([
            {"id": 1001, "author_id": 9, "public": true, "body": "Here is the form: {{broken}}"},
            {"id": 1002, "author_id": 9, "public": true, "body": "And the next thing."}
        ]),
        json!([{"id": 9, "name": "Sam Agent", "role": "agent"}]),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(body_partial_json(
            json!({"metadata": {"zendesk_comment_id": "1001"}}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"code": "bad_request", "title": "Invalid message content"}]})))
        .with_priority(1)
        .mount(&fakes.sunco)
        .await;
    mount_messages(&fakes).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .and(body_partial_json(
            json!({"ticket": {"comment": {"public": false}}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021}, "audit": {"events": [{"id": 9300, "type": "Comment"}]}
        })))
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    let bridge = fakes.bridge(Arc::clone(&store), "");

    let first = zendesk_webhook(&bridge).await;
    let first = comments_of(&first);
    assert_eq!(first.refused.len(), 1, "{first:?}");
    assert_eq!(first.refused[0].comment_id, 1001);
    assert!(first.refused[0].reason.contains("Invalid message content"));
    assert_eq!(
        first
            .delivered
            .iter()
            .map(|d| d.comment_id)
            .collect::<Vec<_>>(),
        [1002],
        "the next comment still went"
    );
    let notes = requests(&fakes.zendesk, "PUT", "/api/v2/tickets/4021").await;
    let note = notes[0]["ticket"]["comment"]["body"].as_str().unwrap();
    assert!(
        note.contains("1001") && note.contains("Invalid message content"),
        "{note}"
    );

    // Later webhooks neither retry it nor note it again.
    let second = zendesk_webhook(&bridge).await;
    assert!(comments_of(&second).refused.is_empty() && comments_of(&second).delivered.is_empty());
    let refused = store
        .delivery_get(ZENDESK_SUPPORT, "1001")
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&refused.state, DeliveryState::Failed { reason } if reason.contains("Invalid message content")),
        "{refused:?}"
    );
    assert_eq!(requests(&fakes.sunco, "POST", MESSAGES).await.len(), 2);
}

/// SunCo as the API description has it: `text` over 4096 characters is refused, and so is a
/// `markdownText` whose HTML is. This fake renders links with the extra attributes a real
/// renderer may add, so its HTML is longer than the bridge's own estimate.
fn sunco_length_rule(request: &Request) -> ResponseTemplate {
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    let content = &body["content"];
    let too_long = |text: &str| text.encode_utf16().count() > 4096;
    let refused = if let Some(markdown) = content["markdownText"].as_str() {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(markdown));
        let html = html.replace("<a ", "<a target=\"_blank\" rel=\"noopener noreferrer\" ");
        too_long(markdown) || too_long(&html)
    } else {
        content["text"].as_str().is_some_and(too_long)
    };
    if refused {
        return ResponseTemplate::new(400).set_body_json(json!({"errors": [
            {"code": "bad_request", "title": "Message content exceeds 4096 characters"}]}));
    }
    let id = format!(
        "m-{}",
        body["metadata"]["zendesk_part"].as_str().unwrap_or("x")
    );
    ResponseTemplate::new(201).set_body_json(json!({"messages": [
        {"id": id, "author": {"type": "business"}, "content": content}]}))
}

/// A linked thread whose ticket has one agent comment, and SunCo answering by its length rule.
async fn one_agent_comment_and_sunco_length_rule(body: &str) -> (Fakes, Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_comments(
        &fakes,
        json!([{"id": 1001, "author_id": 9, "public": true, "body": body}]),
        json!([{"id": 9, "name": "Sam Agent", "role": "agent"}]),
    )
    .await;
    answer(&fakes.sunco, "POST", MESSAGES, sunco_length_rule).await;
    (fakes, store)
}

#[tokio::test]
async fn a_long_markdown_comment_full_of_links_arrives_whole_in_parts_sunco_accepts() {
    let mut comment = String::from("# Your order\n\n");
    let mut item = 0;
    while comment.chars().count() < 10_000 {
        item += 1;
        comment.push_str(&format!(
            "- step {item}: open [the tracking page](https://track.example.test/orders/77/steps/{item}?lang=en) and check\n  the box labelled **{item}**\n"
        ));
        if item % 9 == 0 {
            comment.push_str("\nThen, in a new paragraph, a line\nbreak and _emphasis_.\n\n");
        }
    }
    let (fakes, store) = one_agent_comment_and_sunco_length_rule(&comment).await;
    let bridge = fakes.bridge(Arc::clone(&store), "extract_html_links = false");
    let outcome = zendesk_webhook(&bridge).await;
    let outcome = comments_of(&outcome);
    assert!(outcome.refused.is_empty(), "{outcome:?}");
    assert_eq!(outcome.delivered.len(), 1);
    let posts = requests(&fakes.sunco, "POST", MESSAGES).await;
    let accepted: Vec<&Value> = posts
        .iter()
        .filter(|post| {
            let key = post["metadata"]["zendesk_part"].as_str().unwrap();
            outcome.delivered[0]
                .message_ids
                .contains(&format!("m-{key}"))
        })
        .collect();
    assert!(accepted.len() >= 3, "{} parts", accepted.len());
    assert!(
        posts.len() > accepted.len(),
        "the fake's renderer refused at least one part the bridge then cut smaller"
    );
    let rejoined: String = accepted
        .iter()
        .map(|post| post["content"]["markdownText"].as_str().unwrap())
        .collect();
    let squeeze = |text: &str| text.replace(['\n', ' '], "");
    assert_eq!(
        squeeze(&rejoined),
        squeeze(&comment),
        "nothing lost, in order"
    );
    for post in &accepted {
        let text = post["content"]["markdownText"].as_str().unwrap();
        // No link cut in half.
        assert_eq!(
            text.matches("](").count(),
            text.matches("[the").count(),
            "{text}"
        );
    }
}

#[tokio::test]
async fn emoji_near_the_limit_are_counted_as_sunco_counts_them() {
    // 4094 characters, but 4098 UTF-16 code units (each emoji counts two): over the limit
    // as SunCo counts, within it as Rust's `chars()` would.
    let text = format!("{}{}", "a".repeat(4090), "😀😀😀😀");
    assert_eq!(text.chars().count(), 4094);
    assert_eq!(text.encode_utf16().count(), 4098);
    let (fakes, _) = one_agent_comment_and_sunco_length_rule(&text).await;
    for markdown in ["false", "true"] {
        let bridge = fakes.bridge(
            Arc::new(MemoryStore::new()),
            &format!("markdown = {markdown}"),
        );
        let store = bridge.store().clone();
        linked(&store).await;
        let outcome = zendesk_webhook(&bridge).await;
        let outcome = comments_of(&outcome);
        assert!(
            outcome.refused.is_empty(),
            "markdown {markdown}: {outcome:?}"
        );
        assert_eq!(
            outcome.delivered[0].message_ids.len(),
            2,
            "markdown {markdown}"
        );
    }
    let posts = requests(&fakes.sunco, "POST", MESSAGES).await;
    assert_eq!(posts.len(), 4, "two parts each time, none refused");
}

// ---------------------------------------------------------------------------------------
// 4. A customer's file: never lost, never a way in.

/// A fake internal service (a metadata endpoint, an admin port) that must never be asked.
async fn internal_service() -> MockServer {
    let internal = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_string("SECRET=hunter2"))
        .expect(0)
        .mount(&internal)
        .await;
    internal
}

fn image(url: &str) -> Value {
    json!({"type": "image", "mediaUrl": url, "mediaType": "image/png", "text": "the box"})
}

async fn send_image(bridge: &bridge::Bridge, event_id: &str, url: &str) -> Vec<SunCoEventOutcome> {
    bridge
        .handle_sunco_webhook(
            &sunco_headers(SUNCO_KEY),
            envelope(json!([user_message(
                event_id,
                &format!("msg-{event_id}"),
                image(url)
            )]))
            .as_bytes(),
        )
        .await
        .unwrap()
}

async fn comment_bodies(fakes: &Fakes) -> Vec<String> {
    requests(&fakes.zendesk, "PUT", "/api/v2/tickets/4021")
        .await
        .iter()
        .map(|put| {
            put["ticket"]["comment"]["body"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn mount_any_update(fakes: &Fakes) {
    answer(
        &fakes.zendesk,
        "PUT",
        "/api/v2/tickets/4021",
        ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021}, "audit": {"events": [{"id": 9001, "type": "Comment"}]}
        })),
    )
    .await;
}

#[tokio::test]
async fn a_file_that_cannot_be_fetched_still_gives_a_comment_with_its_link() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    let media = MockServer::start().await;
    answer(&media, "GET", "/gone.png", ResponseTemplate::new(404)).await;
    answer(
        &media,
        "GET",
        "/slow.png",
        ResponseTemplate::new(200)
            .set_body_bytes(vec![1, 2, 3])
            .set_delay(std::time::Duration::from_secs(3)),
    )
    .await;
    mount_any_update(&fakes).await;
    let settings = format!(
        "auto_reopen_ticket = false\napi_timeout = \"250ms\"\nmedia_hosts = [\"{}\"]\nmedia_allow_private_addresses = true",
        media.address()
    );
    let bridge = fakes.bridge(Arc::clone(&store), &settings);
    for (event, name) in [("ev-1", "gone.png"), ("ev-2", "slow.png")] {
        let url = format!("{}/{name}", media.uri());
        let outcomes = send_image(&bridge, event, &url).await;
        assert!(
            matches!(&outcomes[0], SunCoEventOutcome::Commented { .. }),
            "{name}: {outcomes:?}"
        );
    }
    let bodies = comment_bodies(&fakes).await;
    assert_eq!(bodies.len(), 2, "each reply once, not retried for its file");
    for (body, name) in bodies.iter().zip(["gone.png", "slow.png"]) {
        assert!(body.starts_with("the box\n\n"), "{body}");
        assert!(
            body.contains(&format!("{name}: {}/{name}", media.uri())),
            "{body}"
        );
        assert!(body.contains("could not be attached"), "{body}");
    }
    assert!(
        requests(&fakes.zendesk, "POST", "/api/v2/uploads")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn media_urls_outside_sunco_or_on_private_addresses_are_never_fetched() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_any_update(&fakes).await;
    let internal = internal_service().await;
    // An allowed media host that redirects to the internal service.
    let media = MockServer::start().await;
    answer(
        &media,
        "GET",
        "/redirect.png",
        ResponseTemplate::new(302)
            .insert_header("location", format!("{}/latest/meta-data/", internal.uri())),
    )
    .await;

    // Private addresses allowed (so the loopback fakes work), the internal one not listed.
    let permissive = fakes.bridge(
        Arc::clone(&store),
        &format!(
            "auto_reopen_ticket = false\nmedia_hosts = [\"{}\"]\nmedia_allow_private_addresses = true",
            media.address()
        ),
    );
    send_image(
        &permissive,
        "ev-1",
        &format!("{}/latest/meta-data/", internal.uri()),
    )
    .await;
    send_image(
        &permissive,
        "ev-2",
        &format!("{}/redirect.png", media.uri()),
    )
    .await;
    // Listed by name but resolving to loopback, with private addresses refused (the
    // default); and a link-local metadata address written out.
    let strict = fakes.bridge(
        Arc::clone(&store),
        &format!(
            "auto_reopen_ticket = false\nmedia_hosts = [\"localhost:{}\", \"169.254.169.254\"]",
            internal.address().port()
        ),
    );
    send_image(
        &strict,
        "ev-3",
        &format!("http://localhost:{}/x.png", internal.address().port()),
    )
    .await;
    send_image(
        &strict,
        "ev-4",
        "http://169.254.169.254/latest/meta-data/iam",
    )
    .await;
    send_image(&strict, "ev-5", "file:///etc/passwd").await;

    let bodies = comment_bodies(&fakes).await;
    assert_eq!(
        bodies.len(),
        5,
        "every message still became a comment: {bodies:?}"
    );
    for body in &bodies {
        assert!(body.contains("could not be attached"), "{body}");
        assert!(!body.contains("hunter2"), "{body}");
    }
    assert!(
        bodies[0].contains("not one of SunCo's media hosts"),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[1].contains("not one of SunCo's media hosts"),
        "{}",
        bodies[1]
    );
    assert!(bodies[2].contains("public address"), "{}", bodies[2]);
    assert!(bodies[3].contains("not a public address"), "{}", bodies[3]);
    assert!(
        requests(&fakes.zendesk, "POST", "/api/v2/uploads")
            .await
            .is_empty()
    );
    // `internal` verifies on drop that it saw no request.
}

// ---------------------------------------------------------------------------------------
// 7. Two updates are never one.

#[tokio::test]
async fn two_updates_in_one_second_are_two_deliveries_and_a_retry_is_one() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    linked(&store).await;
    mount_messages(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    let now = time::OffsetDateTime::now_utc();
    let invocation = |id: &str, at| {
        let mut headers = signed_at(&body, "target-pass", at);
        headers.insert("x-zendesk-webhook-invocation-id", id.parse().unwrap());
        headers
    };
    // The first update (a comment); its webhook is processed before the second exists.
    let first = bridge
        .accept_zendesk_webhook(&invocation("8350205582", now), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((first.recorded, first.duplicates), (1, 0));
    let comment_1001 = json!({"id": 1001, "author_id": 9, "public": true, "body": "First"});
    let agent = json!([{"id": 9, "name": "Sam Agent", "role": "agent"}]);
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [comment_1001], "users": agent, "meta": {"has_more": false}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&fakes.zendesk)
        .await;
    bridge.inbox_worker().drain().await.unwrap();
    // The second update in the same second: same body, same timestamp, same signature.
    mount_comments(
        &fakes,
        json!([comment_1001, {"id": 1002, "author_id": 9, "public": true, "body": "Second"}]),
        agent,
    )
    .await;
    let second = bridge
        .accept_zendesk_webhook(&invocation("8350205583", now), body.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        (second.recorded, second.duplicates),
        (1, 0),
        "a second delivery"
    );
    // Zendesk's retry of the second invocation (signed afresh) and a replay of it: one.
    let retried = bridge
        .accept_zendesk_webhook(
            &invocation("8350205583", now + time::Duration::seconds(30)),
            body.as_bytes(),
        )
        .await
        .unwrap();
    let replayed = bridge
        .accept_zendesk_webhook(&invocation("8350205583", now), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((retried.recorded, replayed.recorded), (0, 0));
    let reports = bridge.inbox_worker().drain().await.unwrap();
    assert!(
        reports
            .iter()
            .all(|report| report.outcome == bridge::BatchOutcome::Done)
    );
    let sent: Vec<String> = sent_messages(&fakes)
        .await
        .iter()
        .map(|m| m["content"]["markdownText"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, ["First", "Second"], "the second comment did not wait");
    // Without the invocation header, the signature still tells a replay apart.
    let plain = signed_at(&body, "target-pass", now);
    let once = bridge
        .accept_zendesk_webhook(&plain, body.as_bytes())
        .await
        .unwrap();
    let again = bridge
        .accept_zendesk_webhook(&plain, body.as_bytes())
        .await
        .unwrap();
    assert_eq!((once.recorded, again.duplicates), (1, 1));
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!(stats.failed, 0);
}
