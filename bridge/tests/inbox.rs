//! Acknowledge after a durable record, process in the background: webhooks accepted into the
//! link store's inbox are processed by the worker exactly once, in order, through upstream
//! failures, timeouts, crashes and restarts.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use meya_links::{
    DeliveryState, LinkStore, ManualClock, MemoryStore, SUNSHINE_CONVERSATIONS, SqliteStore,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, Request, ResponseTemplate};
use zendesk_sunco_bridge::{Accepted, BatchOutcome, Bridge, WorkerOptions};

const SUNCO_KEY: &str = "sunco-webhook-secret";

/// Quick retries, so tests see them.
fn fast() -> WorkerOptions {
    WorkerOptions::default()
        .retry_delays(Duration::from_millis(50), Duration::from_millis(200))
        .poll_interval(Duration::from_millis(20))
}

async fn accept_reply(bridge: &Bridge, event_id: &str, message_id: &str, text: &str) -> Accepted {
    bridge
        .accept_sunco_webhook(
            &sunco_headers(SUNCO_KEY),
            text_reply(event_id, message_id, text).as_bytes(),
        )
        .await
        .unwrap()
}

fn comment_bodies(requests: &[Request]) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["ticket"]["comment"].clone())
        .collect()
}

async fn puts(fakes: &Fakes) -> Vec<Value> {
    comment_bodies(&fakes.zendesk.received_requests().await.unwrap())
}

async fn delivered_to(store: &Arc<dyn LinkStore>, message_id: &str) -> Option<String> {
    match store
        .delivery_get(SUNSHINE_CONVERSATIONS, message_id)
        .await
        .unwrap()?
        .state
    {
        DeliveryState::Delivered { target_message_id } => Some(target_message_id),
        _ => None,
    }
}

on_every_store!(
    a_reply_is_recorded_answered_then_commented_once,
    waiting_replies_go_in_one_ticket_update,
    agent_comments_arrive_through_the_inbox_once,
);

on_every_store_clocked!(
    a_zendesk_500_is_retried_by_the_worker_without_duplicates,
    a_batch_held_by_a_crashed_worker_is_taken_over,
);

/// `accept` records and answers before anything reaches Zendesk; a repeat of the event is a
/// duplicate; the worker then posts exactly one comment.
async fn a_reply_is_recorded_answered_then_commented_once(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    linked(&store).await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "Where is my parcel?", "public": true, "author_id": 35436}}}),
    )
    .await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let accepted = accept_reply(&bridge, "ev-1", "msg-1", "Where is my parcel?").await;
    assert_eq!((accepted.recorded, accepted.duplicates), (1, 0));
    assert!(fakes.zendesk.received_requests().await.unwrap().is_empty());
    assert_eq!(store.inbox_stats().await.unwrap().pending, 1);
    // SunCo repeats the delivery before the worker ran.
    let repeat = accept_reply(&bridge, "ev-1", "msg-1", "Where is my parcel?").await;
    assert_eq!((repeat.recorded, repeat.duplicates), (0, 1));

    let reports = bridge.inbox_worker().options(fast()).drain().await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].outcome, BatchOutcome::Done);
    assert_eq!(reports[0].entries, 1);
    assert_eq!(puts(&fakes).await.len(), 1);
    assert_eq!(delivered_to(&store, "msg-1").await.as_deref(), Some("9001"));
    // And after processing, too.
    let late = accept_reply(&bridge, "ev-1", "msg-1", "Where is my parcel?").await;
    assert_eq!(late.duplicates, 1);
    assert!(bridge.inbox_worker().drain().await.unwrap().is_empty());
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.unfinished(), stats.done, stats.failed), (0, 1, 0));
}

/// Three messages waiting for the same ticket go in one update, in order; each message's
/// delivery records that comment.
async fn waiting_replies_go_in_one_ticket_update(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    linked(&store).await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "one\n\ntwo\n\nthree", "public": true, "author_id": 35436}}}),
    )
    .await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    for (n, text) in ["one", "two", "three"].iter().enumerate() {
        accept_reply(&bridge, &format!("ev-{n}"), &format!("msg-{n}"), text).await;
    }
    let reports = bridge.inbox_worker().drain().await.unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].entries, 3);
    assert_eq!(reports[0].outcome, BatchOutcome::Done);
    assert_eq!(puts(&fakes).await.len(), 1);
    for n in 0..3 {
        assert_eq!(
            delivered_to(&store, &format!("msg-{n}")).await.as_deref(),
            Some("9001")
        );
    }
}

/// Zendesk fails twice with 500 (the client does not retry a comment post); the worker
/// retries with backoff and the comment is posted once. The retry looks on the ticket first.
async fn a_zendesk_500_is_retried_by_the_worker_without_duplicates(
    store: Arc<dyn LinkStore>,
    clock: ManualClock,
) {
    let fakes = Fakes::start().await;
    linked(&store).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&fakes.zendesk)
        .await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "hello?", "public": true, "author_id": 35436}}}),
    )
    .await;
    mount_no_audits(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    accept_reply(&bridge, "ev-1", "msg-1", "hello?").await;
    let worker = bridge.inbox_worker().options(fast());
    let first = worker.drain().await.unwrap();
    assert!(
        matches!(&first[0].outcome, BatchOutcome::Retrying { error, .. } if error.contains("500")),
        "{first:?}"
    );
    // Nothing is ready before the retry delay has passed, everything after.
    assert!(worker.drain().await.unwrap().is_empty());
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        clock.advance(fast().retry_max);
        outcomes.extend(worker.drain().await.unwrap());
        if outcomes.iter().any(|r| r.outcome == BatchOutcome::Done) {
            break;
        }
    }
    assert_eq!(outcomes.last().unwrap().outcome, BatchOutcome::Done);
    let bodies = puts(&fakes).await;
    assert_eq!(bodies.len(), 3, "two failures, one comment");
    assert_eq!(delivered_to(&store, "msg-1").await.as_deref(), Some("9001"));
}

/// A worker took the batch and died: nothing happens while its lease lasts; then the next
/// worker takes it over and the comment is posted once.
async fn a_batch_held_by_a_crashed_worker_is_taken_over(
    store: Arc<dyn LinkStore>,
    clock: ManualClock,
) {
    let fakes = Fakes::start().await;
    linked(&store).await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "anyone?", "public": true, "author_id": 35436}}}),
    )
    .await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    accept_reply(&bridge, "ev-1", "msg-1", "anyone?").await;
    let crashed = store
        .inbox_take(Duration::from_millis(300), 20)
        .await
        .unwrap();
    assert_eq!(crashed.len(), 1);
    let worker = bridge.inbox_worker();
    assert!(worker.drain().await.unwrap().is_empty());
    clock.advance(Duration::from_millis(400));
    let reports = worker.drain().await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].outcome, BatchOutcome::Done);
    assert_eq!(puts(&fakes).await.len(), 1);
    // The crashed worker, back, cannot record anything.
    assert!(store.inbox_complete(&crashed[0]).await.is_err());
}

fn agent_comments() -> Value {
    json!({
        "comments": [{"id": 2001, "author_id": 9, "public": true, "body": "Your refund is on its way."}],
        "users": [{"id": 9, "name": "Sam Agent", "role": "agent"}],
        "meta": {"has_more": false}
    })
}

async fn mount_agent_comments(fakes: &Fakes) {
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(agent_comments()))
        .mount(&fakes.zendesk)
        .await;
}

async fn mount_sunco_messages(fakes: &Fakes) {
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-old/messages"))
        .and(body_partial_json(json!({
            "author": {"type": "business", "displayName": "Sam Agent"},
            "metadata": {"zendesk_comment_id": "2001"}
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"messages": [{
                "id": "sunco-2001", "author": {"type": "business"},
                "content": {"type": "text", "text": "Your refund is on its way."}
            }]})),
        )
        .mount(&fakes.sunco)
        .await;
}

/// A Zendesk webhook for a linked ticket, replayed as it was signed and then signed afresh
/// (a later trigger run): the replay stores nothing, and the agent's comment reaches SunCo once.
async fn agent_comments_arrive_through_the_inbox_once(store: Arc<dyn LinkStore>) {
    let fakes = Fakes::start().await;
    linked(&store).await;
    mount_agent_comments(&fakes).await;
    mount_sunco_messages(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    let now = time::OffsetDateTime::now_utc();
    let first = signed_at(&body, "target-pass", now);
    let later = signed_at(&body, "target-pass", now + time::Duration::seconds(2));
    let mut answers = Vec::new();
    for headers in [&first, &first, &later] {
        answers.push(
            bridge
                .accept_zendesk_webhook(headers, body.as_bytes())
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        answers
            .iter()
            .map(|a| (a.recorded, a.duplicates))
            .collect::<Vec<_>>(),
        [(1, 0), (0, 1), (1, 0)]
    );
    let reports = bridge.inbox_worker().drain().await.unwrap();
    assert!(reports.iter().all(|r| r.outcome == BatchOutcome::Done));
    assert_eq!(sent_messages(&fakes).await.len(), 1);
}

/// Refused requests store nothing.
#[tokio::test]
async fn bad_credentials_and_bodies_are_refused_before_recording() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(meya_links::MemoryStore::new());
    let bridge = fakes.bridge(Arc::clone(&store), "");
    let body = text_reply("ev-1", "msg-1", "hi");
    let wrong_key = bridge
        .accept_sunco_webhook(&sunco_headers("wrong"), body.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(wrong_key.status(), 401);
    let malformed = bridge
        .accept_sunco_webhook(&sunco_headers(SUNCO_KEY), b"{\"events\": 7}")
        .await
        .unwrap_err();
    assert_eq!(malformed.status(), 400);
    let ticket = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    let forged = bridge
        .accept_zendesk_webhook(&signed(&ticket, "wrong-pass"), ticket.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(forged.status(), 401);
    let mut tampered = signed(&ticket, "target-pass");
    tampered.insert("x-zendesk-webhook-signature", "AAAA".parse().unwrap());
    let tampered = bridge
        .accept_zendesk_webhook(&tampered, ticket.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(tampered.status(), 401);
    assert_eq!(
        store.inbox_stats().await.unwrap(),
        meya_links::InboxStats::default()
    );
}

/// Zendesk answers the comment after the client's timeout: the comment may exist. The worker
/// retries; the retry finds the comment on the ticket and does not post it again.
#[tokio::test]
async fn a_zendesk_timeout_is_checked_before_posting_again() {
    let fakes = Fakes::start().await;
    let clock = ManualClock::starting_now();
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::with_clock(clock.clone()));
    linked(&store).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(1500))
                .set_body_json(json!({"ticket": {"id": 4021},
                    "audit": {"events": [{"id": 9001, "type": "Comment"}]}})),
        )
        .mount(&fakes.zendesk)
        .await;
    // What the ticket holds afterwards: Zendesk did apply the slow update.
    mount_audits(
        &fakes,
        4021,
        json!([audit_carrying(9001, 35436, &["msg-1"])]),
    )
    .await;
    let bridge = fakes.bridge(
        Arc::clone(&store),
        "auto_reopen_ticket = false\napi_timeout = \"300ms\"",
    );
    accept_reply(&bridge, "ev-1", "msg-1", "still there?").await;
    let worker = bridge.inbox_worker().options(fast());
    let first = worker.drain().await.unwrap();
    assert!(
        matches!(&first[0].outcome, BatchOutcome::Retrying { .. }),
        "{first:?}"
    );
    // The claim is held for one more api_timeout (the write may land), and the entry waits
    // for its retry delay; once both have passed, the retry looks before posting.
    let mut done = false;
    for _ in 0..5 {
        clock.advance(fast().retry_max);
        done = worker
            .drain()
            .await
            .unwrap()
            .iter()
            .any(|r| r.outcome == BatchOutcome::Done);
        if done {
            break;
        }
    }
    assert!(done);
    assert_eq!(puts(&fakes).await.len(), 1, "posted once, never again");
    assert_eq!(delivered_to(&store, "msg-1").await.as_deref(), Some("9001"));
}

/// SunCo answers 429 (with `Retry-After`) and then times out before delivering: the agent's
/// comment still arrives exactly once. The retry after the timeout finds the message SunCo
/// did store (its metadata names the comment) and does not send it again.
#[tokio::test]
async fn sunco_429_and_a_timeout_deliver_the_comment_once() {
    let fakes = Fakes::start().await;
    let clock = ManualClock::starting_now();
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::with_clock(clock.clone()));
    linked(&store).await;
    mount_agent_comments(&fakes).await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-old/messages"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fakes.sunco)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/conv-old/messages"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_delay(Duration::from_millis(1500))
                .set_body_json(
                    json!({"messages": [{"id": "sunco-2001", "author": {"type": "business"},
                    "content": {"type": "text", "text": "Your refund is on its way."}}]}),
                ),
        )
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&fakes.sunco)
        .await;
    // SunCo stored the slow message.
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations/conv-old/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messages": [{"id": "sunco-2001", "author": {"type": "business"},
                          "content": {"type": "text", "text": "Your refund is on its way."},
                          "metadata": {"zendesk_comment_id": "2001", "zendesk_part": "0"}}],
            "meta": {"hasMore": false}
        })))
        .mount(&fakes.sunco)
        .await;
    let config = fakes.config("api_timeout = \"300ms\"");
    let zendesk = zendesk_support::Client::builder()
        .base_url(&fakes.zendesk.uri())
        .unwrap()
        .auth(zendesk_support::Auth::api_token(
            "bot@acme.test",
            "zd-token",
        ))
        .build()
        .unwrap();
    let sunco = sunshine_conversations::Client::builder()
        .app_id("app_1")
        .base_url(&fakes.sunco.uri())
        .unwrap()
        .auth(sunshine_conversations::Auth::basic("app_key", "key-secret"))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let bridge = Bridge::from_parts(config, zendesk, sunco, Arc::clone(&store)).unwrap();
    let body = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    bridge
        .accept_zendesk_webhook(&signed(&body, "target-pass"), body.as_bytes())
        .await
        .unwrap();
    let worker = bridge.inbox_worker().options(fast());
    let mut reports = worker.drain().await.unwrap();
    // The timed-out send keeps its claim for one more api_timeout (SunCo may store it) and
    // the entry waits for its retry delay; the clock moves past both.
    for _ in 0..5 {
        if reports.iter().any(|r| r.outcome == BatchOutcome::Done) {
            break;
        }
        clock.advance(fast().retry_max.max(Duration::from_millis(600)));
        reports.extend(worker.drain().await.unwrap());
    }
    assert!(
        matches!(&reports[0].outcome, BatchOutcome::Retrying { .. }),
        "{reports:?}"
    );
    assert_eq!(reports.last().unwrap().outcome, BatchOutcome::Done);
    assert_eq!(
        sent_messages(&fakes).await.len(),
        2,
        "the 429, then the slow one SunCo kept; nothing after"
    );
    let delivery = store
        .delivery_get(meya_links::ZENDESK_SUPPORT, "2001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        delivery.state,
        DeliveryState::Delivered {
            target_message_id: "sunco-2001".into()
        }
    );
}

/// A comment Zendesk refuses for good (422) is not retried: the entry is kept as failed, and
/// the customer's next message is not held up behind it.
#[tokio::test]
async fn a_permanent_refusal_fails_the_entry_and_the_queue_moves_on() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(meya_links::MemoryStore::new());
    linked(&store).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .and(body_partial_json(
            json!({"ticket": {"comment": {"body": "bad"}}}),
        ))
        .respond_with(ResponseTemplate::new(422).set_body_json(
            json!({"error": "RecordInvalid", "description": "Record validation errors"}),
        ))
        .mount(&fakes.zendesk)
        .await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "good", "public": true, "author_id": 35436}}}),
    )
    .await;
    // The ticket is open: the 422 had another cause, and the bridge, reading it back, keeps it.
    mount_ticket_status(&fakes, "open").await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    accept_reply(&bridge, "ev-1", "msg-1", "bad").await;
    let worker = bridge.inbox_worker().options(fast().max_batch(1));
    let first = worker.drain().await.unwrap();
    assert!(
        matches!(&first[0].outcome, BatchOutcome::Failed { reason } if reason.contains("422")),
        "{first:?}"
    );
    accept_reply(&bridge, "ev-2", "msg-2", "good").await;
    let second = worker.drain().await.unwrap();
    assert_eq!(second[0].outcome, BatchOutcome::Done);
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.failed, stats.done), (1, 1));
}

/// An operator lists the failed entry, fixes the cause and requeues it: the worker delivers
/// it once, as if it had never failed.
#[tokio::test]
async fn a_failed_entry_requeued_after_the_fix_is_delivered_once() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(meya_links::MemoryStore::new());
    linked(&store).await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(ResponseTemplate::new(422).set_body_json(
            json!({"error": "RecordInvalid", "description": "Record validation errors"}),
        ))
        .up_to_n_times(1)
        .mount(&fakes.zendesk)
        .await;
    mount_ticket_status(&fakes, "open").await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    accept_reply(&bridge, "ev-1", "msg-1", "Where is my parcel?").await;
    let worker = bridge.inbox_worker().options(fast());
    let first = worker.drain().await.unwrap();
    assert!(
        matches!(&first[0].outcome, BatchOutcome::Failed { .. }),
        "{first:?}"
    );

    let failed = store.inbox_failed(0, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].reason.contains("422"), "{failed:?}");
    // The fix: Zendesk accepts the comment now. The second attempt looks on the ticket
    // first, as after any failed attempt, and finds nothing of it.
    mount_no_audits(&fakes).await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "Where is my parcel?", "public": true, "author_id": 35436}}}),
    )
    .await;
    assert!(store.inbox_requeue(failed[0].id).await.unwrap());
    let second = worker.drain().await.unwrap();
    assert_eq!(second[0].outcome, BatchOutcome::Done);
    assert_eq!(delivered_to(&store, "msg-1").await.as_deref(), Some("9001"));
    assert_eq!(
        puts(&fakes).await.len(),
        2,
        "the refused PUT and the delivered one"
    );
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.failed, stats.done), (0, 1));
    assert!(worker.drain().await.unwrap().is_empty());
}

/// Recorded by one process, processed by the next: a restart loses nothing.
#[tokio::test]
async fn work_recorded_before_a_restart_is_done_after_it() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("links.db");
    {
        let store: Arc<dyn LinkStore> = Arc::new(SqliteStore::open(&file).await.unwrap());
        linked(&store).await;
        let bridge = fakes.bridge(store, "auto_reopen_ticket = false");
        accept_reply(&bridge, "ev-1", "msg-1", "before the restart").await;
    }
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "before the restart", "public": true, "author_id": 35436}}}),
    )
    .await;
    let store: Arc<dyn LinkStore> = Arc::new(SqliteStore::open(&file).await.unwrap());
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let reports = bridge.inbox_worker().drain().await.unwrap();
    assert_eq!(reports[0].outcome, BatchOutcome::Done);
    assert_eq!(puts(&fakes).await.len(), 1);
}

/// The background worker picks up what `accept` records at once, and returns when shut down.
#[tokio::test]
async fn the_running_worker_processes_accepted_work_and_stops_on_request() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(meya_links::MemoryStore::new());
    linked(&store).await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "ping", "public": true, "author_id": 35436}}}),
    )
    .await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = bridge
        .inbox_worker()
        .options(WorkerOptions::default().poll_interval(Duration::from_secs(60)));
    let running = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await;
    });
    accept_reply(&bridge, "ev-1", "msg-1", "ping").await;
    // Woken by the record, not by the (one-minute) poll.
    let mut seen = 0;
    for _ in 0..100 {
        seen = puts(&fakes).await.len();
        if seen > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, 1);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the worker stops when asked")
        .unwrap();
}

/// An entry that cannot be read back (written by an incompatible version, say) is kept as
/// failed; the customer's other messages in its batch still go out.
#[tokio::test]
async fn an_unreadable_entry_fails_alone() {
    let fakes = Fakes::start().await;
    let store: Arc<dyn LinkStore> = Arc::new(meya_links::MemoryStore::new());
    linked(&store).await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "still here", "public": true, "author_id": 35436}}}),
    )
    .await;
    store
        .inbox_push(&meya_links::InboxMessage::new(
            SUNSHINE_CONVERSATIONS,
            format!("sunco:user:{SUNCO_USER}"),
            b"{not json".to_vec(),
        ))
        .await
        .unwrap();
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    accept_reply(&bridge, "ev-1", "msg-1", "still here").await;
    let reports = bridge.inbox_worker().drain().await.unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].entries, 2);
    assert_eq!(reports[0].outcome, BatchOutcome::Done);
    assert_eq!(puts(&fakes).await.len(), 1);
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.failed, stats.done), (1, 1));
}

/// The SQLite file is locked by another process for longer than the busy timeout: the
/// webhook is refused with a 5xx (SunCo sends it again) rather than answered unrecorded; once
/// the lock is released the same server records the repeat and delivers it once.
#[tokio::test]
async fn a_webhook_meeting_a_locked_store_is_refused_and_recorded_when_repeated() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("links.db");
    let options = meya_links::SqliteOptions::default().busy_timeout(Duration::from_millis(100));
    let store: Arc<dyn LinkStore> = Arc::new(SqliteStore::open_with(&file, options).await.unwrap());
    linked(&store).await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "anyone?", "public": true, "author_id": 35436}}}),
    )
    .await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let body = text_reply("ev-1", "msg-1", "anyone?");

    let other = rusqlite::Connection::open(&file).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let refused = bridge
        .accept_sunco_webhook(&sunco_headers(SUNCO_KEY), body.as_bytes())
        .await
        .unwrap_err();
    assert!((500..600).contains(&refused.status()), "{refused:?}");
    other.execute_batch("ROLLBACK").unwrap();

    let repeated = bridge
        .accept_sunco_webhook(&sunco_headers(SUNCO_KEY), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((repeated.recorded, repeated.duplicates), (1, 0));
    let reports = bridge.inbox_worker().options(fast()).drain().await.unwrap();
    assert_eq!(reports[0].outcome, BatchOutcome::Done);
    assert_eq!(puts(&fakes).await.len(), 1);
    assert_eq!(delivered_to(&store, "msg-1").await.as_deref(), Some("9001"));
}

/// Zendesk answers every call 429 with `Retry-After: 60` for a minute. The first batch meets
/// it and the worker pauses: no other batch calls Zendesk until the minute is up, then one
/// batch goes first and, once it got through, the rest follow. Everything is delivered
/// once, in order, and the minute cost one refused call, not one per batch per retry.
#[tokio::test]
async fn a_minute_of_zendesk_429s_pauses_the_worker_then_the_backlog_drains_in_order() {
    let fakes = Fakes::start().await;
    let clock = ManualClock::starting_now();
    let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::with_clock(clock.clone()));
    linked(&store).await;
    // (A flag, not a scoped mock: wiremock 0.6 may end the wrong scoped mock when
    // priorities differ.)
    let limited = Arc::new(std::sync::atomic::AtomicBool::new(true));
    Mock::given(While(Arc::clone(&limited)))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "60")
                .set_body_json(json!({"error": "APIRateLimitExceeded"})),
        )
        .with_priority(1)
        .mount(&fakes.zendesk)
        .await;
    mount_update(
        &fakes,
        json!({"ticket": {"comment": {"body": "one\n\ntwo", "public": true, "author_id": 35436}}}),
    )
    .await;
    mount_no_audits(&fakes).await;
    mount_agent_comments(&fakes).await;
    mount_sunco_messages(&fakes).await;
    let bridge = fakes.bridge(Arc::clone(&store), "auto_reopen_ticket = false");
    let worker = bridge.inbox_worker().options(fast().clock(clock.clone()));

    accept_reply(&bridge, "ev-1", "msg-1", "one").await;
    let first = worker.drain().await.unwrap();
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(
        matches!(&first[0].outcome, BatchOutcome::Retrying { after, .. } if *after >= Duration::from_secs(60)),
        "{first:?}"
    );
    // During the minute: more work arrives, on this customer's queue and on a ticket's.
    accept_reply(&bridge, "ev-2", "msg-2", "two").await;
    let ticket = payload("jane.doe+vip@example.com", "sunco_send", "Agent");
    bridge
        .accept_zendesk_webhook(&signed(&ticket, "target-pass"), ticket.as_bytes())
        .await
        .unwrap();
    let zendesk_calls = || async { fakes.zendesk.received_requests().await.unwrap().len() };
    let refused = zendesk_calls().await;
    for _ in 0..6 {
        clock.advance(Duration::from_secs(9));
        assert!(worker.drain().await.unwrap().is_empty(), "paused");
    }
    assert_eq!(
        zendesk_calls().await,
        refused,
        "nothing calls Zendesk while paused"
    );

    // The minute is up and Zendesk answers again.
    limited.store(false, std::sync::atomic::Ordering::SeqCst);
    clock.advance(Duration::from_secs(7));
    let reports = worker.drain().await.unwrap();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(
        reports.iter().all(|r| r.outcome == BatchOutcome::Done),
        "{reports:?}"
    );
    // The customer's two messages, in order, in one comment; the agent's comment once.
    assert_eq!(
        puts(&fakes).await.len(),
        2,
        "the refused PUT and the delivered one"
    );
    assert_eq!(delivered_to(&store, "msg-1").await.as_deref(), Some("9001"));
    assert_eq!(delivered_to(&store, "msg-2").await.as_deref(), Some("9001"));
    assert_eq!(sent_messages(&fakes).await.len(), 1);
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.unfinished(), stats.failed), (0, 0));
}

/// Matches every request while the flag is set.
struct While(Arc<std::sync::atomic::AtomicBool>);

impl wiremock::Match for While {
    fn matches(&self, _: &Request) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
