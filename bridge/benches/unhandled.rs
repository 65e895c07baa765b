//! End to end: cold tickets through `handle_unhandled_ticket` (read the webhook, find the
//! SunCo user, link everything, find the conversation, read the comments, post the agent's
//! message) against local fakes, beside the same webhook read and four HTTP calls made by
//! bare `reqwest` and `serde_json` against the same fakes as the floor (target: at least 0.8x
//! the floor), on the memory and SQLite stores.
//!
//! The client side runs on one thread and the fakes (wiremock's own server thread) on
//! another, so on a two-core machine each side has a core: the figures then measure the
//! work each side does. A multi-threaded client runtime on two cores shares them with the
//! fakes, and its rounds swung by 40% with the scheduler.
//!
//! Instant fakes show what the bridge itself costs. A durable store adds a dozen writes per
//! cold ticket, which no fake API is slow enough to hide; so the same comparison runs again
//! with fakes that answer after 20 ms (a fast real API: Zendesk and SunCo take longer), at
//! 32 tickets at once (eight times `bridge-server`'s default worker concurrency) and at 128,
//! where the single SQLite writer becomes the limit.
//!
//! Run: `cargo bench -p bridge --bench unhandled`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bridge::Bridge;
use bridge::config::Config;
use meya_links::prelude::*;
use meya_links::{MemoryStore, SqliteStore};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use zendesk_support::inbound::parse_ticket_event;

/// One comparison: how slow the fakes are, and how many tickets run at once.
struct Scenario {
    latency: Duration,
    tasks: u32,
    tickets: u32,
    rounds: usize,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        latency: Duration::ZERO,
        tasks: 8,
        tickets: 2_000,
        rounds: 5,
    },
    Scenario {
        latency: Duration::from_millis(20),
        tasks: 32,
        tickets: 640,
        rounds: 3,
    },
    Scenario {
        latency: Duration::from_millis(20),
        tasks: 128,
        tickets: 1_280,
        rounds: 3,
    },
];

fn number_in(text: &str) -> u32 {
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

/// An answer that waits `latency` first. Even a zero delay would cost a timer tick (about a
/// millisecond), so none is set then.
fn answer(status: u16, latency: Duration) -> ResponseTemplate {
    let answer = ResponseTemplate::new(status);
    if latency.is_zero() {
        answer
    } else {
        answer.set_delay(latency)
    }
}

/// Fakes of the four calls; each answer waits `latency` first.
async fn fakes(latency: Duration) -> MockServer {
    // Recording every request would slow the fakes down round after round.
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v2/tickets/\d+/comments$"))
        .respond_with(move |request: &Request| {
            let ticket = number_in(request.url.path().trim_end_matches("/comments"));
            answer(200, latency).set_body_json(json!({
                "comments": [{"id": ticket * 10 + 1, "author_id": 9, "public": true,
                              "body": "Your parcel left the warehouse this morning."}],
                "users": [{"id": 9, "name": "Sam Agent", "role": "agent"}],
                "meta": {"has_more": false}
            }))
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v2/apps/app_1/users/.+"))
        .respond_with(move |request: &Request| {
            let n = number_in(request.url.path());
            answer(200, latency).set_body_json(
                json!({"user": {"id": format!("sc{n}"), "externalId": format!("c{n}@example.test")}}),
            )
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v2/apps/app_1/conversations$"))
        .respond_with(move |request: &Request| {
            let n = number_in(request.url.query().unwrap_or_default());
            answer(200, latency).set_body_json(json!({
                "conversations": [{"id": format!("conv{n}"), "type": "personal", "isDefault": true}],
                "meta": {"hasMore": false}
            }))
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v2/apps/app_1/conversations/[^/]+/messages$"))
        .respond_with(move |request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            answer(201, latency).set_body_json(json!({"messages": [{
                "id": format!("m{}", body["metadata"]["zendesk_comment_id"].as_str().unwrap_or("0")),
                "author": {"type": "business"}, "content": body["content"]
            }]}))
        })
        .mount(&server)
        .await;
    server
}

fn bridge(fakes: &MockServer, store: Arc<dyn LinkStore>) -> Bridge {
    let config = Config::loader()
        .toml(&format!(
            r#"markdown = true
base_url = "{uri}"
bot_agent_email = "bot@acme.test"
bot_agent_api_token = "zd-token"
target_password = "target-pass"
webhook_signing_secret = "signing-secret"
[filter]
rx_unhandled_ticket = "ticket.tags:sunco_send"
[sunshine_conversations]
app_id = "app_1"
key_id = "app_key"
key_secret = "key-secret"
webhook_secret = "sunco-secret"
base_url = "{uri}"
"#,
            uri = fakes.uri()
        ))
        .expect("settings")
        .build()
        .expect("config");
    Bridge::new(config, store).expect("bridge")
}

fn payload(n: u32) -> Vec<u8> {
    json!({"ticket": {"id": (100_000 + n).to_string(), "status": "Open", "tags": "sunco_send",
                      "requester": {"id": (500_000 + n).to_string(), "email": format!("c{n}@example.test"), "name": "C"}},
           "current_user": {"id": "9", "role": "Agent"}})
    .to_string()
    .into_bytes()
}

/// Tickets per second through `work`, `scenario.tasks` at a time, each ticket number used
/// once.
async fn rate<F, Fut>(scenario: &Scenario, next: &AtomicU32, work: F) -> f64
where
    F: Fn(u32) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let (tickets, step) = (scenario.tickets, scenario.tasks);
    let first = next.fetch_add(tickets, Ordering::Relaxed);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..step {
        let work = work.clone();
        tasks.spawn(async move {
            let mut n = first + task;
            while n < first + tickets {
                work(n).await;
                n += step;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    f64::from(tickets) / started.elapsed().as_secs_f64()
}

/// What a hand-written service would do: read the webhook payload as JSON, make the same
/// four calls the flow makes, reading each answer as JSON.
async fn bare(http: reqwest::Client, base: String, payload: Vec<u8>) {
    let event: Value = serde_json::from_slice(&payload).unwrap();
    let ticket_id = event["ticket"]["id"].as_str().unwrap();
    let email = event["ticket"]["requester"]["email"].as_str().unwrap();
    let sunco_auth = ("app_key", Some("key-secret"));
    let user: Value = http
        .get(format!(
            "{base}/v2/apps/app_1/users/{}",
            email.replace('@', "%40")
        ))
        .basic_auth(sunco_auth.0, sunco_auth.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_id = user["user"]["id"].as_str().unwrap().to_owned();
    let conversations: Value = http
        .get(format!("{base}/v2/apps/app_1/conversations"))
        .query(&[("filter[userId]", user_id.as_str())])
        .basic_auth(sunco_auth.0, sunco_auth.1)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conversation = conversations["conversations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let comments: Value = http
        .get(format!("{base}/api/v2/tickets/{ticket_id}/comments"))
        .query(&[("include", "users"), ("page[size]", "100")])
        .basic_auth("bot@acme.test/token", Some("zd-token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let comment = &comments["comments"][0];
    let _: Value = http
        .post(format!("{base}/v2/apps/app_1/conversations/{conversation}/messages"))
        .basic_auth(sunco_auth.0, sunco_auth.1)
        .json(&json!({"author": {"type": "business", "displayName": "Sam Agent"},
                      "content": {"type": "text", "markdownText": comment["body"]},
                      "metadata": {"zendesk_comment_id": comment["id"].to_string(), "zendesk_part": "0"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Runs one scenario: bare, memory and SQLite rounds alternating, each figure the median.
async fn compare(scenario: &Scenario, next: &AtomicU32) {
    let fakes = fakes(scenario.latency).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite: Arc<dyn LinkStore> = Arc::new(
        SqliteStore::open(dir.path().join("bench.db"))
            .await
            .expect("sqlite"),
    );
    let memory: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    let on_memory = Arc::new(bridge(&fakes, memory));
    let on_sqlite = Arc::new(bridge(&fakes, sqlite));
    let http = reqwest::Client::new();
    let base = fakes.uri();
    let flow = |bridge: Arc<Bridge>| {
        move |n: u32| {
            let bridge = Arc::clone(&bridge);
            async move {
                let event = parse_ticket_event(&payload(n)).expect("payload");
                let outcome = bridge.handle_unhandled_ticket(&event).await.expect("flow");
                assert_eq!(outcome.comments.delivered.len(), 1);
            }
        }
    };
    // Warm up connections and code paths.
    rate(scenario, next, flow(Arc::clone(&on_memory))).await;
    let (mut floor, mut memory_rate, mut sqlite_rate) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..scenario.rounds {
        let (http, base) = (http.clone(), base.clone());
        let by_hand = move |n| bare(http.clone(), base.clone(), payload(n));
        floor.push(rate(scenario, next, by_hand).await);
        memory_rate.push(rate(scenario, next, flow(Arc::clone(&on_memory))).await);
        sqlite_rate.push(rate(scenario, next, flow(Arc::clone(&on_sqlite))).await);
    }
    let floor = median(floor);
    println!(
        "\nfakes answering in {} ms, {} cold tickets x {} at once, median of {} alternating rounds",
        scenario.latency.as_millis(),
        scenario.tickets,
        scenario.tasks,
        scenario.rounds
    );
    println!("bare reqwest + serde_json       {floor:>8.0} tickets/s   (floor)");
    for (name, ours) in [
        ("bridge, MemoryStore", median(memory_rate)),
        ("bridge, SqliteStore", median(sqlite_rate)),
    ] {
        let ratio = ours / floor;
        let verdict = if ratio >= 0.8 { "met" } else { "MISSED" };
        println!(
            "{name:<30}  {ours:>8.0} tickets/s   {ratio:.2}x the floor   target >= 0.8x: {verdict}"
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "bridge end-to-end benchmark: {} cores; client on one thread, fakes on another",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let next = AtomicU32::new(0);
    for scenario in &SCENARIOS {
        runtime.block_on(compare(scenario, &next));
    }
}
