//! End to end: cold tickets through `handle_unhandled_ticket` (find the SunCo user, link
//! everything, find the conversation, read the comments, post the agent's message) against
//! local fakes, beside the same four HTTP calls made by bare `reqwest` against the same fakes
//! as the floor (target: at least 0.8x the floor), on the memory and SQLite stores.
//!
//! Run: `cargo bench -p bridge --bench unhandled`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use bridge::Bridge;
use bridge::config::Config;
use meya_links::{LinkStore, MemoryStore, SqliteStore};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use zendesk_support::webhook::parse_ticket_event;

const ROUNDS: usize = 3;
const TICKETS: u32 = 300;
const TASKS: u32 = 8;

fn number_in(text: &str) -> u32 {
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

async fn fakes() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v2/tickets/\d+/comments$"))
        .respond_with(|request: &Request| {
            let ticket = number_in(request.url.path().trim_end_matches("/comments"));
            ResponseTemplate::new(200).set_body_json(json!({
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
        .respond_with(|request: &Request| {
            let n = number_in(request.url.path());
            ResponseTemplate::new(200).set_body_json(
                json!({"user": {"id": format!("sc{n}"), "externalId": format!("c{n}@example.test")}}),
            )
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v2/apps/app_1/conversations$"))
        .respond_with(|request: &Request| {
            let n = number_in(request.url.query().unwrap_or_default());
            ResponseTemplate::new(200).set_body_json(json!({
                "conversations": [{"id": format!("conv{n}"), "type": "personal", "isDefault": true}],
                "meta": {"hasMore": false}
            }))
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v2/apps/app_1/conversations/[^/]+/messages$"))
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            ResponseTemplate::new(201).set_body_json(json!({"messages": [{
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

/// Tickets per second through `work`, `TASKS` at a time, each ticket number used once.
async fn rate<F, Fut>(next: &Arc<AtomicU32>, work: F) -> f64
where
    F: Fn(u32) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let first = next.fetch_add(TICKETS, Ordering::Relaxed);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        let work = work.clone();
        tasks.spawn(async move {
            let mut n = first + task;
            while n < first + TICKETS {
                work(n).await;
                n += TASKS;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    f64::from(TICKETS) / started.elapsed().as_secs_f64()
}

/// The same four calls the flow makes, by hand, reading each answer as JSON.
async fn bare(http: reqwest::Client, base: String, n: u32) {
    let sunco_auth = ("app_key", Some("key-secret"));
    let user: Value = http
        .get(format!("{base}/v2/apps/app_1/users/c{n}%40example.test"))
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
        .get(format!("{base}/api/v2/tickets/{}/comments", 100_000 + n))
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

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let fakes = fakes().await;
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
        let next = Arc::new(AtomicU32::new(0));
        let flow = |bridge: Arc<Bridge>| {
            move |n: u32| {
                let bridge = Arc::clone(&bridge);
                async move {
                    let event = parse_ticket_event(&payload(n)).expect("payload");
                    let outcome = bridge.handle_unhandled_ticket(&event).await.expect("flow");
                    assert_eq!(outcome.rx.delivered.len(), 1);
                }
            }
        };
        // Warm up connections and code paths.
        rate(&next, flow(Arc::clone(&on_memory))).await;
        let (mut floor, mut memory_rate, mut sqlite_rate) = (0f64, 0f64, 0f64);
        for _ in 0..ROUNDS {
            let (http, base) = (http.clone(), base.clone());
            floor = floor.max(
                rate(&next, move |n| bare(http.clone(), base.clone(), n)).await,
            );
            memory_rate = memory_rate.max(rate(&next, flow(Arc::clone(&on_memory))).await);
            sqlite_rate = sqlite_rate.max(rate(&next, flow(Arc::clone(&on_sqlite))).await);
        }
        println!(
            "bridge end-to-end benchmark: {} cores, {TICKETS} cold tickets x {TASKS} tasks, best of {ROUNDS} alternating rounds",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        println!("bare reqwest, same 4 calls      {floor:>8.0} tickets/s   (floor)");
        for (name, ours) in [("bridge, MemoryStore", memory_rate), ("bridge, SqliteStore", sqlite_rate)] {
            let ratio = ours / floor;
            let verdict = if ratio >= 0.8 { "met" } else { "MISSED" };
            println!(
                "{name:<30}  {ours:>8.0} tickets/s   {ratio:.2}x the floor   target >= 0.8x: {verdict}"
            );
        }
    });
}
