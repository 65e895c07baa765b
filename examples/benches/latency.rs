//! Webhook to delivery, as a customer waits for it: an agent's new comment on a linked ticket,
//! from the moment Zendesk's webhook is sent to `bridge-server` (the release binary) to the
//! moment SunCo stores the message, with the SDKs' fakes answering every call 20 ms late, at
//! 50 and 200 webhooks/s, on SQLite and (with `TEST_POSTGRES_URL`) PostgreSQL. Printed: p50,
//! p99 and max, and the inbox backlog sampled each second.
//!
//! The path holds two upstream calls (read the newest comments, post the message), so the
//! fakes alone take 40 ms; the target is p99 within 25 ms of that, and no backlog growth.
//!
//! Run: `cargo bench -p examples --bench latency`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use meya_links::prelude::*;
use sunshine_conversations::testing::FakeSunCo;
use zendesk_support::testing::FakeZendesk;

const SIGNING_SECRET: &str = "latency-signing-secret";
const FAKE_LATENCY: Duration = Duration::from_millis(20);
const TICKETS: usize = 200;
const SECONDS: u64 = 10;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(zendesk: &str, sunco: &str, store_url: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bridge-server"))
        .env_clear()
        .env("ZENDESK_BASE_URL", zendesk)
        .env("ZENDESK_BOT_AGENT_EMAIL", "bot@acme.test")
        .env("ZENDESK_BOT_AGENT_API_TOKEN", "zd-token")
        .env("ZENDESK_TARGET_PASSWORD", "target-pass")
        .env("ZENDESK_WEBHOOK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SUNCO_APP_ID", "app_1")
        .env("SUNCO_KEY_ID", "app_key")
        .env("SUNCO_KEY_SECRET", "key-secret")
        .env("SUNCO_WEBHOOK_SECRET", "sunco-secret")
        .env("SUNCO_BASE_URL", sunco)
        .env("LINK_STORE_URL", store_url)
        .env("BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start bridge-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("bridge-server listening on ")
        .expect("the server's address")
        .to_owned();
    Server { child, base }
}

/// Customer `n`'s linked ticket and conversation.
struct Ticket {
    id: i64,
    conversation: String,
}

async fn run(name: &str, store_url: &str, store: Arc<dyn LinkStore>) {
    let zendesk = FakeZendesk::builder()
        .signing_secret(SIGNING_SECRET)
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
    for control in [zendesk.control(), sunco.control()] {
        control.set_recording(false);
    }
    let agent = zendesk.add_agent("Sam", "sam@acme.test");
    let server = start_server(zendesk.url(), sunco.url(), store_url);
    let http = reqwest::Client::new();
    let url = format!("{}/webhooks/zendesk", server.base);
    // Link every ticket first (fakes instant), then measure new comments on them.
    let mut tickets = Vec::new();
    for n in 0..TICKETS {
        let email = format!("c{n}@example.test");
        let requester = zendesk.add_end_user("C", &email);
        let (_, conversation) = sunco.add_user(&email);
        let (id, _) = zendesk.open_ticket(requester, agent, "hello");
        zendesk.add_tags(id, &["sunco_send"]);
        let webhook = zendesk.ticket_webhook(id, agent).unwrap();
        let sent = http
            .post(&url)
            .headers(webhook.headers)
            .body(webhook.body)
            .send()
            .await
            .unwrap();
        assert!(sent.status().is_success());
        tickets.push(Ticket { id, conversation });
    }
    let linked = Instant::now();
    while tickets.iter().any(|t| {
        sunco
            .conversation(&t.conversation)
            .is_none_or(|c| c.messages.is_empty())
    }) {
        assert!(
            linked.elapsed() < Duration::from_secs(60),
            "linking took too long"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    zendesk.control().set_latency(FAKE_LATENCY);
    sunco.control().set_latency(FAKE_LATENCY);
    // The history is old, as a real one is (the last two minutes are looked at again).
    for ticket in &tickets {
        zendesk.backdate_comments(ticket.id, Duration::from_secs(3600));
    }

    for rate in [50u64, 200] {
        let mut sent_at: HashMap<i64, (SystemTime, String)> = HashMap::new();
        let total = rate * SECONDS;
        let mut backlog = Vec::new();
        let mut interval = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
        let started = Instant::now();
        let mut next_sample = Duration::from_secs(1);
        for n in 0..total {
            interval.tick().await;
            let ticket = &tickets[n as usize % TICKETS];
            let comment = zendesk
                .add_comment(ticket.id, agent, &format!("answer {n}"), true)
                .unwrap();
            let webhook = zendesk.ticket_webhook(ticket.id, agent).unwrap();
            sent_at.insert(comment, (SystemTime::now(), ticket.conversation.clone()));
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                let _ = http
                    .post(&url)
                    .headers(webhook.headers)
                    .body(webhook.body)
                    .send()
                    .await;
            });
            if started.elapsed() >= next_sample {
                backlog.push(store.inbox_stats().await.map_or(0, |s| s.unfinished()));
                next_sample += Duration::from_secs(1);
            }
        }
        // Let the last ones arrive.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut latencies = Vec::new();
        loop {
            latencies.clear();
            for (comment, (at, conversation)) in &sent_at {
                let arrived = sunco.conversation(conversation).and_then(|c| {
                    c.messages
                        .iter()
                        .find(|m| {
                            m.metadata
                                .as_ref()
                                .and_then(|meta| meta["zendesk_comment_id"].as_str())
                                == Some(comment.to_string().as_str())
                        })
                        .map(|m| m.received)
                });
                if let Some(received) = arrived {
                    let received = SystemTime::from(received);
                    latencies.push(received.duration_since(*at).unwrap_or_default());
                }
            }
            if latencies.len() == sent_at.len() || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        latencies.sort();
        let at =
            |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let floor = FAKE_LATENCY * 2;
        let verdict = if at(0.99) <= floor + Duration::from_millis(25) {
            "met"
        } else {
            "MISSED"
        };
        println!(
            "{name:<10} {rate:>4}/s  delivered {}/{total}  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms   \
             target p99 <= {:.0} ms: {verdict}   backlog each second: {backlog:?}",
            latencies.len(),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(*latencies.last().unwrap()),
            ms(floor + Duration::from_millis(25)),
        );
    }
    drop(server);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "webhook to delivery through bridge-server, fakes answering in {} ms (2 calls on the path)",
        FAKE_LATENCY.as_millis()
    );
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.db");
        let url = format!("sqlite://{}", path.display());
        // Opened (and migrated) here first; the server opens the same file.
        let store: Arc<dyn LinkStore> =
            Arc::new(meya_links::SqliteStore::open(&path).await.unwrap());
        run("SQLite", &url, store).await;
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(pg) => {
                let schema = format!("latency_{}", uuid::Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(&pg).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&admin)
                    .await
                    .unwrap();
                let separator = if pg.contains('?') { '&' } else { '?' };
                let url = format!("{pg}{separator}options=-c%20search_path%3D{schema}");
                let store: Arc<dyn LinkStore> =
                    Arc::new(meya_links::PostgresStore::connect(&url).await.unwrap());
                run("PostgreSQL", &url, store).await;
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                    .execute(&admin)
                    .await;
            }
            Err(_) => println!("PostgreSQL: skipped (set TEST_POSTGRES_URL)"),
        }
    });
}
