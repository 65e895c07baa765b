//! `FakeZendesk` behaves like Zendesk where a client can tell: these run the real client
//! against it.
#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use zendesk_support::testing::{FakeZendesk, Fault, FaultRule};
use zendesk_support::{Client, NewComment, NewTicket, RetryPolicy, TicketStatus, TicketUpdate};

async fn fake() -> (FakeZendesk, Client, i64, i64) {
    let zendesk = FakeZendesk::start().await.unwrap();
    let agent = zendesk.add_agent("Sam", "sam@acme.test");
    let jane = zendesk.add_end_user("Jane", "jane@example.com");
    let client = zendesk.client().unwrap();
    (zendesk, client, agent, jane)
}

#[tokio::test]
async fn comments_page_with_cursors_and_sideload_their_authors() {
    let (zendesk, client, agent, jane) = fake().await;
    let (ticket, _) = zendesk.open_ticket(jane, agent, "first");
    for n in 0..249 {
        zendesk.add_comment(
            ticket,
            if n % 2 == 0 { jane } else { agent },
            &format!("c{n}"),
            true,
        );
    }
    let page = client
        .tickets()
        .comments(ticket)
        .include_users()
        .all_pages()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 250);
    assert_eq!(page.items[249].body.as_deref(), Some("c248"));
    assert_eq!(page.users.len(), 2);
    assert_eq!(
        zendesk
            .control()
            .requests_to("GET", "/api/v2/tickets")
            .len(),
        3,
        "three pages"
    );
}

#[tokio::test]
async fn a_closed_ticket_refuses_updates_with_422_and_a_deleted_one_is_404() {
    let (zendesk, client, agent, jane) = fake().await;
    let (ticket, _) = zendesk.open_ticket(jane, agent, "hello");
    zendesk.set_status(ticket, "closed");
    let update = TicketUpdate::comment(NewComment::text("reply").author(jane));
    let refused = client.tickets().update(ticket, &update).await.unwrap_err();
    assert_eq!(refused.status(), Some(422), "{refused}");
    zendesk.delete_ticket(ticket);
    let gone = client.tickets().get(ticket).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));
}

#[tokio::test]
async fn an_end_users_comment_reopens_a_solved_ticket() {
    let (zendesk, client, agent, jane) = fake().await;
    let (ticket, _) = zendesk.open_ticket(jane, agent, "hello");
    zendesk.set_status(ticket, "solved");
    let update = TicketUpdate::comment(NewComment::text("one more thing").author(jane));
    let updated = client.tickets().update(ticket, &update).await.unwrap();
    assert_eq!(updated.ticket.status, Some(TicketStatus::Open));
    assert!(updated.comment_id().is_some());
    assert_eq!(zendesk.ticket(ticket).unwrap().comments.len(), 2);
}

#[tokio::test]
async fn an_idempotency_key_makes_one_ticket_and_a_follow_up_needs_a_closed_source() {
    let (zendesk, client, agent, jane) = fake().await;
    let (open, _) = zendesk.open_ticket(jane, agent, "hello");
    let follow_up = NewTicket::new(NewComment::text("again").author(jane))
        .requester_id(jane)
        .follow_up_of(open);
    let refused = client
        .tickets()
        .create(follow_up.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(422), "the source is not closed");
    zendesk.set_status(open, "closed");
    let first = client
        .tickets()
        .create(follow_up.clone())
        .idempotency_key("k1")
        .send()
        .await
        .unwrap();
    let again = client
        .tickets()
        .create(follow_up)
        .idempotency_key("k1")
        .send()
        .await
        .unwrap();
    assert_eq!(first.ticket.id, again.ticket.id);
    assert!(!first.replayed && again.replayed);
    let made = zendesk.ticket(first.ticket.id).unwrap();
    assert_eq!(made.via_followup_source_id, Some(open));
    assert_eq!(zendesk.tickets().len(), 2);
}

#[tokio::test]
async fn a_429_is_waited_out_and_a_500_retried() {
    let (zendesk, client, agent, jane) = fake().await;
    let (ticket, _) = zendesk.open_ticket(jane, agent, "hello");
    zendesk.control().fail_next(
        Fault::RateLimited {
            retry_after: Duration::from_millis(10),
        },
        1,
    );
    zendesk.control().fail_next(Fault::Status(500), 1);
    let read = client.tickets().get(ticket).await.unwrap();
    assert_eq!(read.id, ticket);
    let counts = zendesk.control().counts();
    assert_eq!(
        (counts.calls, counts.rate_limited, counts.refused),
        (3, 1, 1)
    );
    let sent = zendesk.control().requests();
    assert!(
        sent.iter()
            .all(|request| request.header("authorization").is_some())
    );
}

#[tokio::test]
async fn a_hang_or_a_reset_fails_the_call_after_the_write_happened() {
    let (zendesk, _, agent, jane) = fake().await;
    let client = Client::builder()
        .base_url(zendesk.url())
        .unwrap()
        .auth(zendesk_support::Auth::api_token("a@b.test", "t"))
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let (ticket, _) = zendesk.open_ticket(jane, agent, "hello");
    for fault in [Fault::Hang(Duration::from_secs(5)), Fault::Reset] {
        zendesk
            .control()
            .fail(FaultRule::new(fault).method(http::Method::PUT).times(1));
        let update = TicketUpdate::comment(NewComment::text("x").author(jane));
        let failed = client.tickets().update(ticket, &update).await.unwrap_err();
        assert!(failed.is_retryable(), "{failed}");
    }
    assert_eq!(
        zendesk.ticket(ticket).unwrap().comments.len(),
        3,
        "both writes happened"
    );
}

#[tokio::test]
async fn a_call_without_credentials_is_401_and_a_merge_is_in_the_audits() {
    let (zendesk, client, agent, jane) = fake().await;
    let (from, _) = zendesk.open_ticket(jane, agent, "one");
    let (into, _) = zendesk.open_ticket(jane, agent, "two");
    zendesk.merge(from, into);
    let audits = client.tickets().latest_audits(from).await.unwrap();
    assert_eq!(
        audits.iter().find_map(zendesk_support::Audit::merged_into),
        Some(into)
    );
    let bare = reqwest::get(format!("{}/api/v2/tickets/{into}", zendesk.url()))
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);
}

#[tokio::test]
async fn an_updates_metadata_is_kept_on_its_audit_which_pages_newest_first() {
    let (zendesk, client, agent, jane) = fake().await;
    let (ticket, first) = zendesk.open_ticket(jane, agent, "c0");
    let update = zendesk_support::TicketUpdate::comment(
        zendesk_support::NewComment::text("ours").author(jane),
    )
    .with_metadata(serde_json::json!({"sunco_message_ids": ["m1", "m2"]}));
    let updated = client.tickets().update(ticket, &update).await.unwrap();
    let ours = updated.comment_id().unwrap();
    assert_eq!(
        updated
            .audit
            .as_ref()
            .and_then(|audit| audit.custom_metadata()),
        Some(&serde_json::json!({"sunco_message_ids": ["m1", "m2"]}))
    );
    for n in 1..150 {
        zendesk.add_comment(ticket, agent, &format!("c{n}"), true);
    }
    // Newest first, stopping at the page that holds our update: two pages of 100.
    let audits = client
        .tickets()
        .audits(ticket)
        .newest_first()
        .until(|page| page.iter().any(|audit| audit.comment_id() == Some(ours)))
        .await
        .unwrap();
    assert_eq!(audits.len(), 151);
    let found = audits
        .iter()
        .find(|audit| audit.custom_metadata().is_some())
        .unwrap();
    assert_eq!(found.comment_id(), Some(ours));
    assert_eq!(found.author_id, Some(jane));
    assert_eq!(
        audits
            .iter()
            .filter(|audit| audit.custom_metadata().is_some())
            .count(),
        1,
        "only the update that sent metadata has it"
    );
    // Oldest first by default: the creating update comes first.
    let page = client
        .tickets()
        .audits(ticket)
        .page_size(10)
        .send()
        .await
        .unwrap();
    assert_eq!(page.items[0].comment_id(), Some(first));
    assert!(page.has_more && page.after_cursor.is_some());
    let requests = zendesk
        .control()
        .requests_to("GET", &format!("/api/v2/tickets/{ticket}/audits"));
    assert_eq!(
        requests[0].query_param("sort").as_deref(),
        Some("-created_at")
    );
    assert!(requests[1].query_param("page[after]").is_some());
}

#[tokio::test]
async fn the_ticket_webhook_is_signed_and_parses() {
    let zendesk = FakeZendesk::builder()
        .signing_secret("s3")
        .basic_auth("meya", "pw")
        .start()
        .await
        .unwrap();
    let agent = zendesk.add_agent("Sam", "sam@acme.test");
    let jane = zendesk.add_end_user("Jane", "jane@example.com");
    let (ticket, _) = zendesk.open_ticket(jane, agent, "hello");
    zendesk.add_tags(ticket, &["sunco_send"]);
    let webhook = zendesk.ticket_webhook(ticket, agent).unwrap();
    zendesk_support::inbound::verify_signature(&webhook.headers, &webhook.body, "s3").unwrap();
    zendesk_support::inbound::verify_basic_auth(&webhook.headers, "meya", "pw").unwrap();
    let event = zendesk_support::inbound::parse_ticket_event(&webhook.body).unwrap();
    assert_eq!(event.ticket.id, ticket);
    assert_eq!(event.ticket.tags, ["sunco_send"]);
    assert_eq!(
        event.requester().and_then(|r| r.email.as_deref()),
        Some("jane@example.com")
    );
    assert!(zendesk_support::inbound::invocation_id(&webhook.headers).is_some());
}

#[tokio::test]
async fn a_walk_newest_first_stops_at_the_page_it_was_asked_to() {
    let (zendesk, client, agent, jane) = fake().await;
    let (ticket, first) = zendesk.open_ticket(jane, agent, "c0");
    let mut ids = vec![first];
    for n in 1..100 {
        ids.extend(zendesk.add_comment(ticket, agent, &format!("c{n}"), true));
    }
    // The 30 newest comments are what is wanted: two pages of 20.
    let oldest_wanted = ids[70];
    let walk = client
        .tickets()
        .comments(ticket)
        .newest_first()
        .page_size(20)
        .pages_until(|page| page.items.iter().any(|c| c.id < oldest_wanted))
        .await
        .unwrap();
    assert!(walk.finished);
    assert_eq!(walk.page.items.len(), 40);
    assert_eq!(
        walk.page.items[0].body.as_deref(),
        Some("c99"),
        "newest first"
    );
    assert_eq!(
        zendesk
            .control()
            .requests_to("GET", "/api/v2/tickets")
            .len(),
        2
    );
}
