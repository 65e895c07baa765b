//! The real ticket lifecycle: who may speak to the customer, replies that meet a closed,
//! merged or deleted ticket, comments SunCo refuses, customer files that cannot be carried,
//! and two updates of one ticket in one second.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

// The tests, by topic, in the files beside this one (3. a comment SunCo refuses does not
// block the ticket).
mod refused_comments;

use std::sync::Arc;

use common::*;
use meya_links::{DeliveryState, LinkStore, MemoryStore, ThreadId, ZENDESK_SUPPORT};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use zendesk_sunco_bridge::lifecycle::REPLACED_TICKET_KEY;
use zendesk_sunco_bridge::{SunCoEventOutcome, ZendeskWebhookOutcome};

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

async fn zendesk_webhook(bridge: &zendesk_sunco_bridge::Bridge) -> ZendeskWebhookOutcome {
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    bridge
        .handle_zendesk_webhook(&signed(&body, "target-pass"), body.as_bytes())
        .await
        .unwrap()
}

fn comments_of(outcome: &ZendeskWebhookOutcome) -> &zendesk_sunco_bridge::AgentCommentsOutcome {
    match outcome {
        ZendeskWebhookOutcome::Synced { comments, .. }
        | ZendeskWebhookOutcome::Unlinked { comments, .. } => comments,
        other => panic!("{other:?}"),
    }
}

async fn reply(
    bridge: &zendesk_sunco_bridge::Bridge,
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
