//! A webhook's cost against the ticket's length: a linked ticket with 10, 100 and 1,000
//! earlier comments gets one new agent comment per webhook; printed are the Zendesk calls,
//! the link-store calls and the time per webhook, on the memory and SQLite stores, beside
//! the same webhooks with the ticket's mark erased first (what every webhook cost before the
//! bridge kept one: every page read, every comment claimed). Target: flat with the mark.
//! Between two webhooks the history is moved three minutes into the past, as if the next
//! reply came a few minutes later (the comments of the last two minutes are looked at again
//! on purpose, see the bridge's `agent_comments` docs). Times are medians.
//!
//! Run: `cargo bench -p zendesk-sunco-bridge --bench history`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use meya_links::prelude::*;
use meya_links::testing::CountingStore;
use meya_links::{MemoryStore, SqliteStore, ThreadId, ZENDESK_SUPPORT};
use sunshine_conversations::testing::FakeSunCo;
use zendesk_sunco_bridge::config::Config;
use zendesk_sunco_bridge::{Bridge, ZendeskWebhookOutcome, settled_comments_key};
use zendesk_support::testing::FakeZendesk;

const HISTORIES: [usize; 3] = [10, 100, 1_000];
const WEBHOOKS: u32 = 41;

/// Per-webhook figures over [`WEBHOOKS`]: calls on average, the median time.
struct Cost {
    zendesk_calls: f64,
    store_calls: f64,
    millis: f64,
}

struct Ticket {
    zendesk: FakeZendesk,
    _sunco: FakeSunCo,
    agent: i64,
    id: i64,
    thread: ThreadId,
    bridge: Bridge,
}

async fn ticket<S: LinkStore>(history: usize, store: Arc<CountingStore<S>>) -> Ticket {
    let zendesk = FakeZendesk::builder()
        .signing_secret("s")
        .basic_auth("meya", "pw")
        .start()
        .await
        .unwrap();
    let sunco = FakeSunCo::builder().app_id("app_1").start().await.unwrap();
    for control in [zendesk.control(), sunco.control()] {
        control.set_recording(false);
    }
    let agent = zendesk.add_agent("Sam", "sam@acme.test");
    let jane = zendesk.add_end_user("Jane", "jane@example.com");
    sunco.add_user("jane@example.com");
    let (id, _) = zendesk.open_ticket(jane, agent, "comment 0");
    zendesk.add_tags(id, &["sunco_send"]);
    for n in 1..history {
        zendesk.add_comment(id, agent, &format!("comment {n}"), true);
    }
    // An old history, as a long-running ticket has.
    zendesk.backdate_comments(id, Duration::from_secs(24 * 3600));
    let config = Config::loader()
        .toml(&format!(
            r#"markdown = true
base_url = "{zendesk}"
bot_agent_email = "bot@acme.test"
bot_agent_api_token = "zd-token"
target_password = "pw"
webhook_signing_secret = "s"
[filter]
rx_unhandled_ticket = "ticket.tags:sunco_send"
[sunshine_conversations]
app_id = "app_1"
key_id = "app_key"
key_secret = "key-secret"
webhook_secret = "sunco-secret"
base_url = "{sunco}"
"#,
            zendesk = zendesk.url(),
            sunco = sunco.url(),
        ))
        .expect("settings")
        .build()
        .expect("config");
    let links: Arc<dyn LinkStore> = store.clone();
    let bridge = Bridge::new(config, Arc::clone(&links)).expect("bridge");
    let webhook = zendesk.ticket_webhook(id, agent).unwrap();
    let started = bridge
        .handle_zendesk_webhook(&webhook.headers, &webhook.body)
        .await
        .unwrap();
    assert!(
        matches!(started, ZendeskWebhookOutcome::Started(_)),
        "{started:?}"
    );
    let thread = links
        .thread_try_lookup(ZENDESK_SUPPORT, &id.to_string())
        .await
        .unwrap()
        .unwrap();
    Ticket {
        zendesk,
        _sunco: sunco,
        agent,
        id,
        thread,
        bridge,
    }
}

/// [`WEBHOOKS`] webhooks, each after one new agent comment; `erase_mark` first forgets how
/// far the ticket's comments are settled (the old cost).
async fn cost<S: LinkStore>(ticket: &Ticket, store: &CountingStore<S>, erase_mark: bool) -> Cost {
    let (mut zendesk_calls, mut store_calls, mut times) = (0, 0, Vec::new());
    for n in 0..WEBHOOKS {
        ticket.zendesk.add_comment(
            ticket.id,
            ticket.agent,
            &format!("new {n} {erase_mark}"),
            true,
        );
        if erase_mark {
            store
                .thread_set(&ticket.thread, &settled_comments_key(ticket.id), "")
                .await
                .unwrap();
        }
        let webhook = ticket
            .zendesk
            .ticket_webhook(ticket.id, ticket.agent)
            .unwrap();
        let (calls, stored) = (ticket.zendesk.control().counts().calls, store.calls());
        let started = Instant::now();
        let outcome = ticket
            .bridge
            .handle_zendesk_webhook(&webhook.headers, &webhook.body)
            .await
            .unwrap();
        times.push(started.elapsed());
        let ZendeskWebhookOutcome::Synced { comments, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(comments.delivered.len(), 1);
        zendesk_calls += ticket.zendesk.control().counts().calls - calls;
        store_calls += store.calls() - stored;
        ticket
            .zendesk
            .backdate_comments(ticket.id, Duration::from_secs(180));
    }
    times.sort();
    let per = f64::from(WEBHOOKS);
    Cost {
        zendesk_calls: zendesk_calls as f64 / per,
        store_calls: store_calls as f64 / per,
        millis: times[times.len() / 2].as_secs_f64() * 1000.0,
    }
}

async fn compare<S: LinkStore>(name: &str, open: impl Fn() -> S) {
    println!("\n{name}: per webhook, one new comment on a linked ticket");
    println!(
        "earlier comments   Zendesk calls   store calls     ms     | mark erased first: Zendesk calls   store calls     ms"
    );
    let mut first: Option<Cost> = None;
    let mut last: Option<Cost> = None;
    for history in HISTORIES {
        let store = Arc::new(CountingStore::new(open()));
        let ticket = ticket(history, Arc::clone(&store)).await;
        let marked = cost(&ticket, &store, false).await;
        let erased = cost(&ticket, &store, true).await;
        println!(
            "{history:>16}   {:>13.1}   {:>11.1}   {:>6.2}   |                   {:>13.1}   {:>11.1}   {:>6.2}",
            marked.zendesk_calls,
            marked.store_calls,
            marked.millis,
            erased.zendesk_calls,
            erased.store_calls - 1.0,
            erased.millis
        );
        if first.is_none() {
            first = Some(marked);
        } else {
            last = Some(marked);
        }
    }
    if let (Some(first), Some(last)) = (first, last) {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 1.0 };
        let calls = ratio(
            last.zendesk_calls + last.store_calls,
            first.zendesk_calls + first.store_calls,
        );
        let time = ratio(last.millis, first.millis);
        let verdict = if calls <= 1.05 && time <= 1.5 {
            "met"
        } else {
            "MISSED"
        };
        println!(
            "1,000 vs 10 earlier comments, with the mark: calls {calls:.2}x, time {time:.2}x   target flat (calls <= 1.05x, time <= 1.5x): {verdict}"
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    runtime.block_on(async {
        compare("MemoryStore", MemoryStore::new).await;
        let counter = std::sync::atomic::AtomicU32::new(0);
        let files = dir.path().to_path_buf();
        compare("SqliteStore", || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = files.join(format!("history-{n}.db"));
            // Opened outside the async context it is used in: block on a helper runtime.
            std::thread::spawn(move || {
                tokio::runtime::Runtime::new()
                    .expect("runtime")
                    .block_on(SqliteStore::open(path))
                    .expect("sqlite")
            })
            .join()
            .expect("opened")
        })
        .await;
    });
}
