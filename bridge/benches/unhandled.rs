//! End to end: cold tickets through `handle_unhandled_ticket` (read the webhook, find the
//! SunCo user, link everything, find the conversation, read the comments, post the agent's
//! message) against local fakes, beside the same webhook read and four HTTP calls made by
//! bare `reqwest` and `serde_json` against the same fakes as the floor (target: at least 0.8x
//! the floor), on the memory and SQLite stores.
//!
//! The fakes are the SDKs' own (`FakeZendesk`, `FakeSunCo`), with every ticket, user and
//! conversation made before the clock starts. The client side runs on one thread and the
//! fakes on another runtime's thread, so on a two-core machine each side has a core: the
//! figures then measure the work each side does. A multi-threaded client runtime on two cores shares them with the
//! fakes, and its rounds swung by 40% with the scheduler.
//!
//! Instant fakes show what the bridge itself costs. A durable store adds a dozen writes per
//! cold ticket, which no fake API is slow enough to hide; so the same comparison runs again
//! with fakes that answer after 20 ms (a fast real API: Zendesk and SunCo take longer), at
//! 32 tickets at once (eight times `bridge-server`'s default worker concurrency) and at 128,
//! where the single SQLite writer becomes the limit.
//!
//! The durable stores' targets: SQLite at least 0.3x the floor with instant fakes (every
//! write is the store's own cost there) and 0.9x at 128 in flight with 20 ms fakes; PostgreSQL
//! (with `TEST_POSTGRES_URL`) is reported beside it against the same targets.
//!
//! Run: `cargo bench -p zendesk-sunco-bridge --bench unhandled`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use meya_links::prelude::*;
use meya_links::{MemoryStore, PostgresStore, SqliteOptions, SqliteStore, SqliteSynchronous};
use serde_json::{Value, json};
use sunshine_conversations::testing::FakeSunCo;
use zendesk_sunco_bridge::Bridge;
use zendesk_sunco_bridge::config::Config;
use zendesk_support::inbound::parse_ticket_event;
use zendesk_support::testing::FakeZendesk;

/// One comparison: how slow the fakes are, how many tickets run at once, and what a durable
/// store must reach there.
struct Scenario {
    latency: Duration,
    tasks: u32,
    tickets: u32,
    rounds: usize,
    /// The least ratio to the floor for SQLite (and PostgreSQL, reported beside it).
    durable_target: f64,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        latency: Duration::ZERO,
        tasks: 8,
        tickets: 2_000,
        rounds: 5,
        durable_target: 0.3,
    },
    Scenario {
        latency: Duration::from_millis(20),
        tasks: 32,
        tickets: 640,
        rounds: 3,
        durable_target: 0.8,
    },
    Scenario {
        latency: Duration::from_millis(20),
        tasks: 128,
        tickets: 1_280,
        rounds: 3,
        durable_target: 0.9,
    },
];

/// Both fakes, serving from their own thread, and customer `n`'s ticket webhook payload.
struct Fakes {
    zendesk: FakeZendesk,
    sunco: FakeSunCo,
    payloads: Vec<Vec<u8>>,
}

impl Fakes {
    /// Fakes holding `customers` customers, each with a ticket the agent opened.
    fn start(customers: u32) -> Self {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("fakes' runtime");
            runtime.block_on(async move {
                let zendesk = FakeZendesk::start().await.expect("fake zendesk");
                let sunco = FakeSunCo::builder()
                    .app_id("app_1")
                    .start()
                    .await
                    .expect("fake sunco");
                sender.send((zendesk, sunco)).expect("hand the fakes over");
                std::future::pending::<()>().await;
            });
        });
        let (zendesk, sunco) = receiver.recv().expect("the fakes");
        for control in [zendesk.control(), sunco.control()] {
            // Recording every request would slow the fakes down round after round.
            control.set_recording(false);
        }
        let agent = zendesk.add_agent("Sam Agent", "sam@acme.test");
        let payloads = (0..customers)
            .map(|n| {
                let email = format!("c{n}@example.test");
                let requester = zendesk.add_user("end-user", "C", Some(&email));
                let (ticket, _) = zendesk.open_ticket(
                    requester,
                    agent,
                    "Your parcel left the warehouse this morning.",
                );
                sunco.add_user(&email);
                json!({"ticket": {"id": ticket.to_string(), "status": "Open", "tags": "sunco_send",
                                  "requester": {"id": requester.to_string(), "email": email, "name": "C"}},
                       "current_user": {"id": agent.to_string(), "role": "Agent"}})
                .to_string()
                .into_bytes()
            })
            .collect();
        Self {
            zendesk,
            sunco,
            payloads,
        }
    }

    fn set_latency(&self, latency: Duration) {
        self.zendesk.control().set_latency(latency);
        self.sunco.control().set_latency(latency);
    }

    fn payload(&self, n: u32) -> Vec<u8> {
        self.payloads[n as usize].clone()
    }
}

fn bridge(fakes: &Fakes, store: Arc<dyn LinkStore>) -> Bridge {
    let config = Config::loader()
        .toml(&format!(
            r#"markdown = true
base_url = "{zendesk}"
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
base_url = "{sunco}"
"#,
            zendesk = fakes.zendesk.url(),
            sunco = fakes.sunco.url(),
        ))
        .expect("settings")
        .build()
        .expect("config");
    Bridge::new(config, store).expect("bridge")
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
async fn bare(http: reqwest::Client, zendesk: String, sunco: String, payload: Vec<u8>) {
    let event: Value = serde_json::from_slice(&payload).unwrap();
    let ticket_id = event["ticket"]["id"].as_str().unwrap();
    let email = event["ticket"]["requester"]["email"].as_str().unwrap();
    let sunco_auth = ("app_key", Some("key-secret"));
    let user: Value = http
        .get(format!(
            "{sunco}/v2/apps/app_1/users/{}",
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
        .get(format!("{sunco}/v2/apps/app_1/conversations"))
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
        .get(format!("{zendesk}/api/v2/tickets/{ticket_id}/comments"))
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
        .post(format!("{sunco}/v2/apps/app_1/conversations/{conversation}/messages"))
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

/// A PostgreSQL store in a schema of its own, when `TEST_POSTGRES_URL` is set.
struct Postgres {
    store: Arc<dyn LinkStore>,
    admin: sqlx::PgPool,
    schema: String,
}

impl Postgres {
    async fn start() -> Option<Self> {
        let url = std::env::var("TEST_POSTGRES_URL").ok()?;
        let admin = sqlx::PgPool::connect(&url).await.expect("postgres");
        let schema = format!("unhandled_bench_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .expect("schema");
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
        let store = Arc::new(PostgresStore::connect(&url).await.expect("store"));
        Some(Self {
            store,
            admin,
            schema,
        })
    }

    async fn drop_schema(self) {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {} CASCADE",
            self.schema
        )))
        .execute(&self.admin)
        .await;
    }
}

/// Microseconds one small write and `fdatasync` take in `dir`, the median of 200.
fn sync_micros(dir: &std::path::Path) -> f64 {
    use std::io::Write;
    let mut file = std::fs::File::create(dir.join("sync-probe")).expect("probe file");
    let mut took: Vec<f64> = (0..200)
        .map(|_| {
            let started = Instant::now();
            file.write_all(&[0_u8; 4096]).expect("probe write");
            file.sync_data().expect("probe sync");
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    took.sort_by(f64::total_cmp);
    took[took.len() / 2]
}

/// Runs one scenario: bare, memory, SQLite (and PostgreSQL) rounds alternating, each figure
/// the median.
async fn compare(scenario: &Scenario, fakes: &Arc<Fakes>, next: &AtomicU32) {
    fakes.set_latency(scenario.latency);
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite: Arc<dyn LinkStore> = Arc::new(
        SqliteStore::open(dir.path().join("bench.db"))
            .await
            .expect("sqlite"),
    );
    // The same store trading the last commits before a power loss for speed: what the
    // disk's syncs cost beside what the store itself does.
    let sqlite_normal: Arc<dyn LinkStore> = Arc::new(
        SqliteStore::open_with(
            dir.path().join("bench-normal.db"),
            SqliteOptions::default().synchronous(SqliteSynchronous::Normal),
        )
        .await
        .expect("sqlite"),
    );
    let memory: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
    let on_memory = Arc::new(bridge(fakes, memory));
    let on_sqlite = Arc::new(bridge(fakes, sqlite));
    let on_sqlite_normal = Arc::new(bridge(fakes, sqlite_normal));
    let postgres = Postgres::start().await;
    let on_postgres = postgres
        .as_ref()
        .map(|postgres| Arc::new(bridge(fakes, Arc::clone(&postgres.store))));
    let http = reqwest::Client::new();
    let (zendesk, sunco) = (fakes.zendesk.url().to_owned(), fakes.sunco.url().to_owned());
    let flow = |bridge: Arc<Bridge>| {
        let fakes = Arc::clone(fakes);
        move |n: u32| {
            let bridge = Arc::clone(&bridge);
            let payload = fakes.payload(n);
            async move {
                let event = parse_ticket_event(&payload).expect("payload");
                let outcome = bridge.handle_unhandled_ticket(&event).await.expect("flow");
                assert_eq!(outcome.comments.delivered.len(), 1);
            }
        }
    };
    // Warm up connections and code paths.
    rate(scenario, next, flow(Arc::clone(&on_memory))).await;
    let (mut floor, mut memory_rate, mut sqlite_rate) = (Vec::new(), Vec::new(), Vec::new());
    let mut sqlite_normal_rate = Vec::new();
    let mut postgres_rate = Vec::new();
    for _ in 0..scenario.rounds {
        let (http, zendesk, sunco) = (http.clone(), zendesk.clone(), sunco.clone());
        let fakes = Arc::clone(fakes);
        let by_hand = move |n| {
            bare(
                http.clone(),
                zendesk.clone(),
                sunco.clone(),
                fakes.payload(n),
            )
        };
        floor.push(rate(scenario, next, by_hand).await);
        memory_rate.push(rate(scenario, next, flow(Arc::clone(&on_memory))).await);
        sqlite_rate.push(rate(scenario, next, flow(Arc::clone(&on_sqlite))).await);
        sqlite_normal_rate.push(rate(scenario, next, flow(Arc::clone(&on_sqlite_normal))).await);
        if let Some(on_postgres) = &on_postgres {
            postgres_rate.push(rate(scenario, next, flow(Arc::clone(on_postgres))).await);
        }
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
    println!(
        "(this disk: one 4 KiB write + fdatasync takes {:.0} us, what each durable commit waits for)",
        sync_micros(dir.path())
    );
    let mut lines = vec![
        ("bridge, MemoryStore", median(memory_rate), 0.8),
        (
            "bridge, SqliteStore",
            median(sqlite_rate),
            scenario.durable_target,
        ),
    ];
    let normal = median(sqlite_normal_rate);
    if !postgres_rate.is_empty() {
        lines.push((
            "bridge, PostgresStore",
            median(postgres_rate),
            scenario.durable_target,
        ));
    }
    for (name, ours, target) in lines {
        let ratio = ours / floor;
        let verdict = if ratio >= target { "met" } else { "MISSED" };
        println!(
            "{name:<30}  {ours:>8.0} tickets/s   {ratio:.2}x the floor   target >= {target}x: {verdict}"
        );
    }
    println!(
        "{:<30}  {normal:>8.0} tickets/s   {:.2}x the floor   (no sync per commit; no target)",
        "bridge, SqliteStore NORMAL",
        normal / floor
    );
    drop(on_postgres);
    if let Some(postgres) = postgres {
        postgres.drop_schema().await;
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
    // Every round (and the warm-up) uses fresh tickets.
    let customers: u32 = SCENARIOS
        .iter()
        .map(|s| s.tickets * (1 + 5 * s.rounds as u32))
        .sum();
    let fakes = Arc::new(Fakes::start(customers));
    let next = AtomicU32::new(0);
    for scenario in &SCENARIOS {
        runtime.block_on(compare(scenario, &fakes, &next));
    }
}
