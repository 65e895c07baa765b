//! `bridge-server` for operators, through the real binary: `/metrics` moves as a scenario
//! runs (a refused webhook, a delivery, a failed entry, a requeue), is served only where
//! asked for, `/readyz` flips with the backlog and with the link store, and `LOG_FORMAT=json`
//! logs JSON lines without secrets.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use meya_links::SqliteStore;
use meya_links::prelude::*;
use sunshine_conversations::testing::FakeSunCo;
use zendesk_support::testing::{FakeZendesk, Fault, FaultRule};

const TOKEN: &str = "metrics-token-2f9c";

struct Fakes {
    zendesk: FakeZendesk,
    sunco: FakeSunCo,
    agent: i64,
    jane: i64,
}

async fn fakes() -> Fakes {
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
    let agent = zendesk.add_agent("Sam", "sam@acme.test");
    let jane = zendesk.add_end_user("Jane", "jane@example.com");
    sunco.add_user("jane@example.com");
    Fakes {
        zendesk,
        sunco,
        agent,
        jane,
    }
}

impl Fakes {
    /// A new `sunco_send` ticket for Jane, and the trigger's webhook sent to `server`.
    async fn ticket_webhook(&self, server: &Server) -> reqwest::StatusCode {
        let (ticket, _) = self
            .zendesk
            .open_ticket(self.jane, self.agent, "Hello Jane");
        self.zendesk.add_tags(ticket, &["sunco_send"]);
        let webhook = self.zendesk.ticket_webhook(ticket, self.agent).unwrap();
        webhook
            .send_to(&format!("{}/webhooks/zendesk", server.base))
            .await
            .unwrap()
            .status()
    }
}

async fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// The value of the series whose line starts with `name{` and holds every label given.
fn value(exposition: &str, name: &str, labels: &[&str]) -> f64 {
    exposition
        .lines()
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn readyz(server: &Server) -> (u16, String) {
    scrape(&format!("{}/readyz", server.base), None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_as_webhooks_are_refused_delivered_failed_and_requeued() {
    let fakes = fakes().await;
    let mut server = start_with(
        fakes.zendesk.url(),
        fakes.sunco.url(),
        &[
            ("METRICS_TOKEN", TOKEN),
            ("METRICS_BIND", "127.0.0.1:0"),
            ("LOG_FORMAT", "json"),
        ],
    );
    let own = server
        .next_line()
        .strip_prefix("bridge-server metrics on ")
        .map(str::to_owned)
        .expect("the metrics address");
    let public = format!("{}/metrics", server.base);
    assert_eq!(scrape(&public, None).await.0, 401, "no token");
    assert_eq!(scrape(&public, Some("wrong")).await.0, 401, "wrong token");
    let (status, first) = scrape(&public, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(value(&first, "bridge_worker_running", &[]), 1.0);
    assert_eq!(value(&first, "bridge_link_store_up", &[]), 1.0);
    assert_eq!(
        scrape(&own, None).await.0,
        200,
        "METRICS_BIND needs no token"
    );

    // A forged webhook: refused, counted by reason.
    let client = reqwest::Client::new();
    let forged = signed_with(
        &client,
        &format!("{}/webhooks/zendesk", server.base),
        "{}",
        "target-pass",
        Some("AAAA"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(forged.status(), 401);
    let after = scrape(&own, None).await.1;
    assert_eq!(
        value(
            &after,
            "bridge_webhooks_rejected_total",
            &[r#"reason="unauthorized""#, r#"source="zendesk""#]
        ),
        1.0
    );

    // A ticket: delivered, with the upstream calls it made.
    assert_eq!(fakes.ticket_webhook(&server).await, 200);
    assert!(
        eventually(|| async {
            value(
                &scrape(&own, None).await.1,
                "bridge_agent_comments_total",
                &[r#"outcome="delivered""#],
            ) == 1.0
        })
        .await
    );
    let delivered = scrape(&own, None).await.1;
    assert!(
        value(
            &delivered,
            "upstream_requests_total",
            &[r#"vendor="sunco""#, r#"status="201""#]
        ) >= 1.0
    );
    assert!(
        value(
            &delivered,
            "upstream_requests_total",
            &[
                r#"vendor="zendesk""#,
                r#"path="/api/v2/tickets/{id}/comments""#
            ]
        ) >= 1.0
    );
    assert!(
        value(
            &delivered,
            "upstream_request_duration_seconds_count",
            &[r#"vendor="zendesk""#]
        ) >= 1.0
    );
    assert_eq!(
        value(
            &delivered,
            "bridge_inbox_batches_total",
            &[r#"outcome="done""#]
        ),
        1.0
    );

    // Zendesk refuses the bot (403, not worth retrying): the entry is given up on.
    fakes
        .zendesk
        .control()
        .fail(FaultRule::new(Fault::Status(403)).path_prefix("/api/v2/tickets/"));
    assert_eq!(fakes.ticket_webhook(&server).await, 200);
    assert!(
        eventually(|| async {
            value(
                &scrape(&own, None).await.1,
                "bridge_inbox_entries",
                &[r#"state="failed""#],
            ) == 1.0
        })
        .await
    );
    assert_eq!(
        value(
            &scrape(&own, None).await.1,
            "bridge_inbox_batches_total",
            &[r#"outcome="failed""#]
        ),
        1.0
    );

    // Fixed, and requeued from another process (as the `inbox` tool does): delivered.
    fakes.zendesk.control().clear_faults();
    let store = SqliteStore::open(server.dir.path().join("links.db"))
        .await
        .unwrap();
    let failed = store.inbox_failed(0, 10).await.unwrap();
    assert!(store.inbox_requeue(failed[0].id).await.unwrap());
    assert!(
        eventually(|| async {
            let now = scrape(&own, None).await.1;
            value(&now, "bridge_inbox_entries", &[r#"state="failed""#]) == 0.0
                && value(
                    &now,
                    "bridge_agent_comments_total",
                    &[r#"outcome="delivered""#],
                ) == 2.0
        })
        .await
    );
    assert_eq!(fakes.sunco.conversations()[0].messages.len(), 2);

    let logs = server.stop_and_read_logs();
    assert_no_secrets(&logs);
    assert!(!logs.contains(TOKEN));
    let lines: Vec<&str> = logs
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert!(!lines.is_empty());
    for line in lines {
        let parsed: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}"));
        assert!(
            parsed.get("level").is_some() && parsed.get("fields").is_some(),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_or_a_bind_there_are_no_metrics_and_readyz_follows_the_backlog() {
    let fakes = fakes().await;
    let server = start_with(
        fakes.zendesk.url(),
        fakes.sunco.url(),
        &[("READY_MAX_BACKLOG_AGE", "1s")],
    );
    assert_eq!(
        scrape(&format!("{}/metrics", server.base), None).await.0,
        404
    );
    assert_eq!(readyz(&server).await, (200, "ready".to_owned()));
    // Zendesk fails every read: the entry waits for its retries, and grows old.
    fakes
        .zendesk
        .control()
        .fail(FaultRule::new(Fault::Status(500)).path_prefix("/api/v2/tickets/"));
    assert_eq!(fakes.ticket_webhook(&server).await, 200);
    assert!(eventually(|| async { readyz(&server).await.0 == 503 }).await);
    assert!(
        readyz(&server)
            .await
            .1
            .contains("oldest unfinished inbox entry")
    );
    // Zendesk recovers: the backlog drains and the replica is ready again.
    fakes.zendesk.control().clear_faults();
    assert!(eventually(|| async { readyz(&server).await.0 == 200 }).await);
    assert_eq!(fakes.sunco.conversations()[0].messages.len(), 1);
}

/// A TCP relay to PostgreSQL that can be cut (existing connections dropped, new ones closed
/// at once) and restored: PostgreSQL going away and coming back, for this server only.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (accepting, kept) = (Arc::clone(&up), Arc::clone(&connections));
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                kept.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Self {
            port,
            up,
            connections,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_while_postgresql_is_gone_and_200_when_it_is_back() {
    let Ok(pg_url) = std::env::var("TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "TEST_POSTGRES_URL is required under CI"
        );
        eprintln!("\n*** SKIPPED: PostgreSQL readiness test, TEST_POSTGRES_URL is not set ***\n");
        return;
    };
    let mut url = url::Url::parse(&pg_url).unwrap();
    let host = url
        .host_str()
        .unwrap_or("127.0.0.1")
        .replace("localhost", "127.0.0.1");
    let target = std::net::SocketAddr::new(host.parse().unwrap(), url.port().unwrap_or(5432));
    let schema = format!("readyz_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&pg_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .unwrap();
    let relay = Relay::start(target).await;
    url.set_port(Some(relay.port)).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.query_pairs_mut()
        .append_pair("options", &format!("-c search_path={schema}"));

    let fakes = fakes().await;
    let server = start_with(
        fakes.zendesk.url(),
        fakes.sunco.url(),
        &[("LINK_STORE_URL", url.as_str())],
    );
    assert!(eventually(|| async { readyz(&server).await.0 == 200 }).await);
    relay.cut();
    assert!(eventually(|| async { readyz(&server).await.0 == 503 }).await);
    assert!(
        readyz(&server).await.1.contains("link store"),
        "{:?}",
        readyz(&server).await
    );
    // While it is gone, a webhook is refused with a 5xx (the sender retries), not answered 200.
    assert!(fakes.ticket_webhook(&server).await.is_server_error());
    relay.restore();
    assert!(eventually(|| async { readyz(&server).await.0 == 200 }).await);
    // Back: the next webhook is recorded and delivered, without a restart.
    assert_eq!(fakes.ticket_webhook(&server).await, 200);
    assert!(eventually(|| async { !fakes.sunco.conversations()[0].messages.is_empty() }).await);
    drop(server);
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await;
}
