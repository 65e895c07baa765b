//! The whole two-way sync against the SDKs' stateful fakes (`FakeZendesk`, `FakeSunCo`):
//! what a user's own service test looks like. The other test files check exact requests
//! with wiremock; these check what both sides end up holding.

// A failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use meya_links::testing::CountingStore;
use meya_links::{LinkStore, Links};
use sunshine_conversations::testing::{FakeSunCo, Fault, FaultRule};
use zendesk_sunco_bridge::config::Config;
use zendesk_sunco_bridge::{Bridge, SunCoEventOutcome, ZendeskWebhookOutcome};
use zendesk_support::testing::FakeZendesk;

/// Both fakes, an agent, a customer known to both, and a bridge on them.
struct World {
    zendesk: FakeZendesk,
    sunco: FakeSunCo,
    agent: i64,
    jane: i64,
    conversation: String,
    bridge: Bridge,
}

async fn world(store: Arc<dyn LinkStore>) -> World {
    let zendesk = FakeZendesk::builder()
        .signing_secret("zendesk-secret")
        .basic_auth("meya", "target-pass")
        .start()
        .await
        .unwrap();
    let sunco = FakeSunCo::builder()
        .app_id("app_1")
        .webhook_secret("sunco-secret")
        .start()
        .await
        .unwrap();
    let agent = zendesk.add_agent("Sam", "sam@acme.test");
    let jane = zendesk.add_end_user("Jane Doe", "jane@example.com");
    let (_, conversation) = sunco.add_user("jane@example.com");
    let config = Config::loader()
        .toml(&format!(
            r#"markdown = true
base_url = "{zendesk}"
bot_agent_email = "bot@acme.test"
bot_agent_api_token = "zd-token"
target_password = "target-pass"
webhook_signing_secret = "zendesk-secret"
api_timeout = "300ms"
unlink_ticket_status = ["closed", "solved"]
[filter]
rx_unhandled_ticket = "{filter}"
[sunshine_conversations]
app_id = "app_1"
key_id = "app_key"
key_secret = "key-secret"
webhook_secret = "sunco-secret"
base_url = "{sunco}"
"#,
            zendesk = zendesk.url(),
            sunco = sunco.url(),
            filter = common::SEED_FILTER,
        ))
        .unwrap()
        .build()
        .unwrap();
    let bridge = Bridge::new(config, store).unwrap();
    World {
        zendesk,
        sunco,
        agent,
        jane,
        conversation,
        bridge,
    }
}

impl World {
    /// The agent opens a `sunco_send` ticket for Jane and the trigger fires.
    async fn agent_starts(&self, text: &str) -> i64 {
        let (ticket, _) = self.zendesk.open_ticket(self.jane, self.agent, text);
        self.zendesk.add_tags(ticket, &["sunco_send"]);
        let outcome = self.ticket_webhook(ticket).await;
        assert!(
            matches!(outcome, ZendeskWebhookOutcome::Started(_)),
            "{outcome:?}"
        );
        ticket
    }

    async fn ticket_webhook(&self, ticket: i64) -> ZendeskWebhookOutcome {
        let webhook = self.zendesk.ticket_webhook(ticket, self.agent).unwrap();
        self.bridge
            .handle_zendesk_webhook(&webhook.headers, &webhook.body)
            .await
            .unwrap()
    }

    async fn jane_writes(&self, text: &str) -> Vec<SunCoEventOutcome> {
        let webhook = self
            .sunco
            .customer_message(&self.conversation, text)
            .unwrap();
        self.bridge
            .handle_sunco_webhook(&webhook.headers, &webhook.body)
            .await
            .unwrap()
    }

    /// What Jane wrote on a ticket, in order.
    fn janes_comments(&self, ticket: i64) -> Vec<String> {
        self.zendesk
            .ticket(ticket)
            .map(|found| found.comments)
            .unwrap_or_default()
            .into_iter()
            .filter(|comment| comment.author_id == self.jane)
            .map(|comment| comment.body)
            .collect()
    }
}

async fn a_conversation_goes_both_ways_and_solving_unlinks(store: Arc<dyn LinkStore>) {
    let world = world(store).await;
    let ticket = world.agent_starts("Your part shipped.").await;
    assert_eq!(
        world.sunco.business_texts(&world.conversation),
        ["Your part shipped."]
    );
    world.jane_writes("Thanks! When does it arrive?").await;
    assert_eq!(
        world.janes_comments(ticket),
        ["Thanks! When does it arrive?"]
    );
    world
        .zendesk
        .add_comment(ticket, world.agent, "Friday.", true);
    world
        .zendesk
        .add_comment(ticket, world.agent, "Internal: check stock", false);
    world.zendesk.set_status(ticket, "solved");
    let solved = world.ticket_webhook(ticket).await;
    assert!(
        matches!(solved, ZendeskWebhookOutcome::Unlinked { .. }),
        "{solved:?}"
    );
    assert_eq!(
        world.sunco.business_texts(&world.conversation),
        ["Your part shipped.", "Friday."],
        "the internal note stays in Zendesk"
    );
    // Solved and unlinked: Jane's next message opens a new ticket.
    let later = world.jane_writes("One more question").await;
    let [SunCoEventOutcome::TicketCreated { ticket_id, .. }] = later.as_slice() else {
        panic!("{later:?}");
    };
    assert_ne!(*ticket_id, ticket);
    assert_eq!(world.janes_comments(*ticket_id), ["One more question"]);
}

async fn a_reply_to_a_ticket_closed_unseen_opens_one_follow_up(store: Arc<dyn LinkStore>) {
    let world = world(store).await;
    let ticket = world.agent_starts("Hello Jane").await;
    // Closed in Zendesk without a webhook the bridge heard (the trigger excludes it).
    world.zendesk.set_status(ticket, "closed");
    world.jane_writes("Are you there?").await;
    let follow_ups: Vec<_> = world
        .zendesk
        .tickets()
        .into_iter()
        .filter(|t| t.via_followup_source_id == Some(ticket))
        .collect();
    assert_eq!(follow_ups.len(), 1, "{:?}", world.zendesk.tickets());
    assert_eq!(world.janes_comments(follow_ups[0].id), ["Are you there?"]);
    world.jane_writes("Hello?").await;
    assert_eq!(
        world.janes_comments(follow_ups[0].id),
        ["Are you there?", "Hello?"],
        "the follow-up is now the linked ticket"
    );
}

async fn a_message_post_that_hangs_after_writing_is_not_sent_twice(store: Arc<dyn LinkStore>) {
    let world = world(store).await;
    let ticket = world.agent_starts("First").await;
    world
        .zendesk
        .add_comment(ticket, world.agent, "Second", true);
    // SunCo stores the message, but the answer comes after the bridge's timeout.
    world.sunco.control().fail(
        FaultRule::new(Fault::Hang(Duration::from_secs(2)))
            .method(http::Method::POST)
            .times(1),
    );
    let webhook = world.zendesk.ticket_webhook(ticket, world.agent).unwrap();
    let first = world
        .bridge
        .handle_zendesk_webhook(&webhook.headers, &webhook.body)
        .await;
    assert!(first.is_err(), "the timeout is not a success: {first:?}");
    // Zendesk retries the webhook; the bridge finds the message SunCo already holds.
    world.ticket_webhook(ticket).await;
    world.ticket_webhook(ticket).await;
    assert_eq!(
        world.sunco.business_texts(&world.conversation),
        ["First", "Second"]
    );
    assert_eq!(world.sunco.control().counts().hung, 1);
}

async fn a_repeated_customer_webhook_makes_one_comment(store: Arc<dyn LinkStore>) {
    let world = world(store).await;
    let ticket = world.agent_starts("Hi").await;
    let webhook = world
        .sunco
        .customer_message(&world.conversation, "Only once")
        .unwrap();
    for _ in 0..3 {
        world
            .bridge
            .handle_sunco_webhook(&webhook.headers, &webhook.body)
            .await
            .unwrap();
    }
    assert_eq!(world.janes_comments(ticket), ["Only once"]);
}

/// A long ticket: after the first webhook, each new comment costs one page of comments and
/// one delivery record, however long the history; a comment made while nobody listened is
/// still delivered, in order.
async fn a_long_tickets_new_comment_reads_one_page(store: Arc<dyn LinkStore>) {
    let world = world(Arc::clone(&store)).await;
    let (ticket, _) = world.zendesk.open_ticket(world.jane, world.agent, "c0");
    world.zendesk.add_tags(ticket, &["sunco_send"]);
    for n in 1..250 {
        world
            .zendesk
            .add_comment(ticket, world.agent, &format!("c{n}"), true);
        if n % 50 == 0 {
            world
                .zendesk
                .add_comment(ticket, world.agent, "note", false);
        }
    }
    world
        .zendesk
        .backdate_comments(ticket, Duration::from_secs(3600));
    let started = world.ticket_webhook(ticket).await;
    let ZendeskWebhookOutcome::Started(started) = started else {
        panic!("{started:?}");
    };
    assert_eq!(started.comments.delivered.len(), 250);

    let reads = || {
        world
            .zendesk
            .control()
            .requests_to("GET", &format!("/api/v2/tickets/{ticket}/comments"))
            .len()
    };
    let before = reads();
    world
        .zendesk
        .add_comment(ticket, world.agent, "new one", true);
    let synced = world.ticket_webhook(ticket).await;
    let ZendeskWebhookOutcome::Synced { comments, .. } = synced else {
        panic!("{synced:?}");
    };
    assert_eq!(comments.delivered.len(), 1);
    assert_eq!(reads() - before, 1, "one page, newest first");
    assert!(
        world
            .zendesk
            .control()
            .requests_to("GET", "/api/v2/tickets")
            .last()
            .unwrap()
            .query_param("sort")
            .as_deref()
            == Some("-created_at")
    );

    // Two comments while the webhook was lost, then one webhook: both, in order.
    world
        .zendesk
        .add_comment(ticket, world.agent, "while down 1", true);
    world
        .zendesk
        .add_comment(ticket, world.agent, "while down 2", true);
    world.ticket_webhook(ticket).await;
    let texts = world.sunco.business_texts(&world.conversation);
    assert_eq!(texts.len(), 253);
    assert_eq!(&texts[250..], ["new one", "while down 1", "while down 2"]);
    assert_eq!(
        texts[..250],
        (0..250).map(|n| format!("c{n}")).collect::<Vec<_>>()[..]
    );
    // Repeats send nothing.
    world.ticket_webhook(ticket).await;
    assert_eq!(world.sunco.business_texts(&world.conversation).len(), 253);
}

/// A busy ticket: every comment of the last two minutes is looked at again by each webhook
/// (comments may commit out of id order), in one store read for them all. A webhook's store
/// calls do not grow with how many there are, and none is sent twice.
async fn a_busy_tickets_recent_comments_cost_one_read<S: LinkStore>(store: S) {
    let store = Arc::new(CountingStore::new(store));
    let world = world(Arc::clone(&store) as Arc<dyn LinkStore>).await;
    let ticket = world.agent_starts("c0").await;
    let mut calls = Vec::new();
    for n in 1..=25 {
        world
            .zendesk
            .add_comment(ticket, world.agent, &format!("c{n}"), true);
        let before = store.calls();
        let synced = world.ticket_webhook(ticket).await;
        calls.push(store.calls() - before);
        let ZendeskWebhookOutcome::Synced { comments, .. } = synced else {
            panic!("{synced:?}");
        };
        assert_eq!(comments.delivered.len(), 1);
        assert_eq!(comments.already_delivered, n, "every earlier one, settled");
    }
    assert!(
        calls.iter().all(|&made| made == calls[0]),
        "store calls per webhook: {calls:?}"
    );
    // Every comment is minutes old at most: no mark would spare a read, none is written.
    let thread = store
        .thread_try_lookup(meya_links::ZENDESK_SUPPORT, &ticket.to_string())
        .await
        .unwrap()
        .unwrap();
    let mark = zendesk_sunco_bridge::settled_comments_key(ticket);
    assert_eq!(store.thread_get(&thread, &mark).await.unwrap(), None);
    assert_eq!(
        world.sunco.business_texts(&world.conversation),
        (0..=25).map(|n| format!("c{n}")).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_busy_tickets_recent_comments_cost_one_read_on_memory() {
    a_busy_tickets_recent_comments_cost_one_read(meya_links::MemoryStore::new()).await;
}

#[tokio::test]
async fn a_busy_tickets_recent_comments_cost_one_read_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = meya_links::SqliteStore::open(dir.path().join("links.db"))
        .await
        .unwrap();
    a_busy_tickets_recent_comments_cost_one_read(store).await;
}

/// The customer sends the same text three times. The second's update is refused before
/// Zendesk applies it; the third's is applied but answered after the timeout. Each retry asks
/// the ticket's audits what the bridge's own updates carried (the SunCo message ids in their
/// metadata), so the second is posted although an identical comment is already there, and
/// the third is not posted twice: three comments, one per message.
async fn identical_texts_across_failures_are_each_posted_once(
    store: Arc<dyn LinkStore>,
    clock: meya_links::ManualClock,
) {
    let world = world(store).await;
    let ticket = world.agent_starts("Hi").await;
    world.jane_writes("ok").await;
    let put = || {
        FaultRule::new(Fault::Status(500))
            .method(http::Method::PUT)
            .path_prefix(format!("/api/v2/tickets/{ticket}"))
    };

    // Refused before it took effect, as often as the client retries.
    world.zendesk.control().fail(put().times(10));
    let second = world
        .sunco
        .customer_message(&world.conversation, "ok")
        .unwrap();
    let refused = world
        .bridge
        .handle_sunco_webhook(&second.headers, &second.body)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    world.zendesk.control().clear_faults();
    clock.advance(Duration::from_secs(2));
    let retried = world
        .bridge
        .handle_sunco_webhook(&second.headers, &second.body)
        .await
        .unwrap();
    assert!(
        matches!(retried.as_slice(), [SunCoEventOutcome::Commented { .. }]),
        "the earlier identical comment is not this message's: {retried:?}"
    );
    assert_eq!(world.janes_comments(ticket), ["ok", "ok"]);

    // Applied, then answered too late.
    world.zendesk.control().fail(
        FaultRule::new(zendesk_support::testing::Fault::Hang(Duration::from_secs(
            1,
        )))
        .method(http::Method::PUT)
        .path_prefix(format!("/api/v2/tickets/{ticket}"))
        .times(1),
    );
    let third = world
        .sunco
        .customer_message(&world.conversation, "ok")
        .unwrap();
    let timed_out = world
        .bridge
        .handle_sunco_webhook(&third.headers, &third.body)
        .await;
    assert!(timed_out.is_err(), "{timed_out:?}");
    clock.advance(Duration::from_secs(2));
    let retried = world
        .bridge
        .handle_sunco_webhook(&third.headers, &third.body)
        .await
        .unwrap();
    assert!(
        matches!(
            retried.as_slice(),
            [SunCoEventOutcome::AlreadyDelivered { .. }]
        ),
        "{retried:?}"
    );
    assert_eq!(world.janes_comments(ticket), ["ok", "ok", "ok"]);
    // Each comment's update names its own message.
    let audits = world.zendesk.ticket(ticket).unwrap().audits;
    let carried: Vec<_> = audits
        .iter()
        .filter_map(|audit| audit.custom_metadata.as_ref())
        .map(|custom| custom["sunco_message_ids"].clone())
        .collect();
    assert_eq!(carried.len(), 3, "{audits:?}");
    assert_ne!(carried[1], carried[2]);
}

on_every_store_clocked!(identical_texts_across_failures_are_each_posted_once);

on_every_store!(
    a_conversation_goes_both_ways_and_solving_unlinks,
    a_reply_to_a_ticket_closed_unseen_opens_one_follow_up,
    a_message_post_that_hangs_after_writing_is_not_sent_twice,
    a_repeated_customer_webhook_makes_one_comment,
    a_long_tickets_new_comment_reads_one_page,
);
