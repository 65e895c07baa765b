//! Fakes of Zendesk and SunCo and helpers shared by the bridge's integration tests.

// Each test file uses some of these.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};
use meya_links::{LinkStore, SUNSHINE_CONVERSATIONS, ThreadId, ZENDESK_SUPPORT};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use zendesk_sunco_bridge::Bridge;
use zendesk_sunco_bridge::config::Config;
use zendesk_sunco_bridge::{CONVERSATION_KEY, MODE_KEY};
use zendesk_support::inbound::{TicketEvent, parse_ticket_event, signed_headers};

pub const SUNCO_USER: &str = "67a11490f0305f4a391e9f8a";
pub const SIGNING_SECRET: &str = "signing-secret";
/// The seed's `filter.rx_unhandled_ticket`.
pub const SEED_FILTER: &str = "ticket.tags:sunco_send AND ticket.status:(new OR open OR pending) AND current_user.role:(NOT end-user)";

pub struct Fakes {
    pub zendesk: MockServer,
    pub sunco: MockServer,
}

impl Fakes {
    pub async fn start() -> Self {
        let fakes = Self {
            zendesk: MockServer::start().await,
            sunco: MockServer::start().await,
        };
        for server in [&fakes.zendesk, &fakes.sunco] {
            Mock::given(any())
                .respond_with(|request: &Request| {
                    ResponseTemplate::new(599)
                        .set_body_string(format!("no mock for {} {}", request.method, request.url))
                })
                .with_priority(u8::MAX)
                .mount(server)
                .await;
        }
        fakes
    }

    /// The seed's settings pointed at the fakes; `extra` adds or replaces settings.
    pub fn config(&self, extra: &str) -> Config {
        self.config_with_filter(extra, SEED_FILTER)
    }

    /// [`config`](Self::config) with another `filter.rx_unhandled_ticket`.
    pub fn config_with_filter(&self, extra: &str, filter: &str) -> Config {
        let filter = filter.replace('\\', "\\\\").replace('"', "\\\"");
        let markdown = if extra.contains("markdown") {
            ""
        } else {
            "markdown = true"
        };
        Config::loader()
            .toml(&format!(
                r#"{extra}
{markdown}
subdomain = "acme"
base_url = "{zendesk}"
bot_agent_email = "bot@acme.test"
bot_agent_api_token = "zd-token"
target_password = "target-pass"
webhook_signing_secret = "{SIGNING_SECRET}"
unlink_ticket_status = ["closed", "solved"]

[filter]
rx_unhandled_ticket = "{filter}"

[sunshine_conversations]
app_id = "app_1"
key_id = "app_key"
key_secret = "key-secret"
webhook_secret = "sunco-webhook-secret"
base_url = "{sunco}"
"#,
                zendesk = self.zendesk.uri(),
                sunco = self.sunco.uri(),
            ))
            .unwrap()
            .build()
            .unwrap()
    }

    /// A bridge on the fakes with the seed's settings; `extra` adds or replaces settings
    /// (`markdown` defaults to true here, as in the seed).
    pub fn bridge(&self, store: Arc<dyn LinkStore>, extra: &str) -> Bridge {
        Bridge::new(self.config(extra), store).unwrap()
    }

    pub async fn count(server: &MockServer, method_name: &str, path_prefix: &str) -> usize {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == method_name && r.url.path().starts_with(path_prefix))
            .count()
    }
}

pub fn payload(email: &str, tags: &str, role: &str) -> String {
    format!(
        r#"{{"ticket":{{"id":"4021","status":"Open","tags":"{tags}",
            "requester":{{"id":"35436","email":"{email}","name":"Jane Doe"}}}},
            "current_user":{{"id":"9","role":"{role}","email":"sam@acme.test"}}}}"#
    )
}

pub fn event(email: &str) -> TicketEvent {
    parse_ticket_event(payload(email, "sunco_send", "Agent").as_bytes()).unwrap()
}

pub fn sunco_user_v2() -> Value {
    json!({"user": {"id": SUNCO_USER, "externalId": "jane.doe+vip@example.com"}})
}

pub async fn sent_messages(fakes: &Fakes) -> Vec<Value> {
    fakes
        .sunco
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/messages"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

pub fn signed(body: &str, password: &str) -> HeaderMap {
    signed_at(body, password, time::OffsetDateTime::now_utc())
}

/// Headers of a webhook Zendesk signed at `at`, with the basic auth `password`.
pub fn signed_at(body: &str, password: &str, at: time::OffsetDateTime) -> HeaderMap {
    let timestamp = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut headers = signed_headers(SIGNING_SECRET, &timestamp, body.as_bytes());
    use base64::Engine;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("meya:{password}"));
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Basic {credentials}")).unwrap(),
    );
    headers
}

/// Runs a test body on a SQLite file, in memory, and on PostgreSQL (`TEST_POSTGRES_URL`).
#[macro_export]
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = meya_links::SqliteStore::open(dir.path().join("links.db")).await.unwrap();
                    super::$name(std::sync::Arc::new(store)).await;
                }
            )*
        }
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(std::sync::Arc::new(meya_links::MemoryStore::new())).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    // Skipped loudly without TEST_POSTGRES_URL; a failure under CI=true.
                    let Some(site) = meya_links::testing::PostgresSite::from_env().await else {
                        return;
                    };
                    let store = meya_links::testing::StoreSite::open(&site).await;
                    super::$name(store).await;
                    meya_links::testing::StoreSite::cleanup(&site).await;
                }
            )*
        }
    };
}

/// Like [`on_every_store!`], for tests that move time: each gets its store and the
/// [`ManualClock`](meya_links::ManualClock) the store reads leases and retry delays from.
#[macro_export]
macro_rules! on_every_store_clocked {
    ($($name:ident),* $(,)?) => {
        mod sqlite_clocked {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let clock = meya_links::ManualClock::starting_now();
                    let options = meya_links::SqliteOptions::default().clock(clock.clone());
                    let store = meya_links::SqliteStore::open_with(dir.path().join("links.db"), options)
                        .await
                        .unwrap();
                    super::$name(std::sync::Arc::new(store), clock).await;
                }
            )*
        }
        mod memory_clocked {
            $(
                #[tokio::test]
                async fn $name() {
                    let clock = meya_links::ManualClock::starting_now();
                    let store = meya_links::MemoryStore::with_clock(clock.clone());
                    super::$name(std::sync::Arc::new(store), clock).await;
                }
            )*
        }
        mod postgres_clocked {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(site) = meya_links::testing::PostgresSite::from_env().await else {
                        return;
                    };
                    let store = meya_links::testing::StoreSite::open(&site).await;
                    let clock = meya_links::testing::StoreSite::clock(&site).clone();
                    super::$name(store, clock).await;
                    meya_links::testing::StoreSite::cleanup(&site).await;
                }
            )*
        }
    };
}

/// The state `handle_unhandled_ticket` leaves: requester, SunCo user, thread, ticket 4021.
pub async fn linked(store: &Arc<dyn LinkStore>) -> ThreadId {
    let user = store
        .user_identify(SUNSHINE_CONVERSATIONS, SUNCO_USER)
        .await
        .unwrap();
    store
        .user_link(ZENDESK_SUPPORT, "35436", &user)
        .await
        .unwrap();
    let thread = store.thread_create().await.unwrap();
    store
        .thread_link(SUNSHINE_CONVERSATIONS, SUNCO_USER, &thread)
        .await
        .unwrap();
    store.thread_set_primary_user(&thread, &user).await.unwrap();
    store
        .thread_link(ZENDESK_SUPPORT, "4021", &thread)
        .await
        .unwrap();
    store
        .thread_set(&thread, CONVERSATION_KEY, "conv-old")
        .await
        .unwrap();
    store.thread_set(&thread, MODE_KEY, "agent").await.unwrap();
    thread
}

pub fn sunco_headers(key: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_str(key).unwrap());
    headers
}

pub fn envelope(events: Value) -> String {
    json!({"app": {"id": "app_1"}, "webhook": {"id": "wh1", "version": "v2"}, "events": events})
        .to_string()
}

/// A webhook body with one customer text message.
pub fn text_reply(event_id: &str, message_id: &str, text: &str) -> String {
    envelope(json!([user_message(
        event_id,
        message_id,
        json!({"type": "text", "text": text})
    )]))
}

pub fn user_message(event_id: &str, message_id: &str, content: Value) -> Value {
    json!({"id": event_id, "type": "conversation:message", "createdAt": "2026-11-26T12:00:00.000Z",
           "payload": {"conversation": {"id": "conv-old", "type": "personal"},
                       "message": {"id": message_id, "author": {"type": "user", "userId": SUNCO_USER,
                                   "user": {"id": SUNCO_USER, "externalId": "jane.doe+vip@example.com"}},
                                   "content": content}}})
}

pub async fn mount_ticket_status(fakes: &Fakes, status: &str) {
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ticket": {"id": 4021, "status": status}})),
        )
        .mount(&fakes.zendesk)
        .await;
}

/// Ticket 4021's updates hold none of the bridge's: what a retry finds when its earlier
/// attempt posted nothing.
pub async fn mount_no_audits(fakes: &Fakes) {
    mount_audits(fakes, 4021, json!([])).await;
}

/// Ticket `ticket`'s audits, newest first, as Zendesk lists them.
pub async fn mount_audits(fakes: &Fakes, ticket: i64, audits: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/tickets/{ticket}/audits")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"audits": audits, "meta": {"has_more": false}})),
        )
        .mount(&fakes.zendesk)
        .await;
}

/// The audit of an update by the bridge whose comment `comment_id` carried the SunCo
/// messages `ids` (its `metadata.custom`).
pub fn audit_carrying(comment_id: i64, author_id: i64, ids: &[&str]) -> Value {
    json!({"id": comment_id * 10, "ticket_id": 4021, "author_id": author_id,
           "created_at": "2030-01-01T00:00:00Z",
           "metadata": {"system": {"ip_address": "127.0.0.1"}, "custom": {"sunco_message_ids": ids}},
           "events": [{"id": comment_id, "type": "Comment", "author_id": author_id, "public": true}]})
}

pub async fn mount_update(fakes: &Fakes, expected: Value) {
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .and(UpdateBody(expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021}, "audit": {"events": [{"id": 9001, "type": "Comment"}]}
        })))
        .mount(&fakes.zendesk)
        .await;
}

/// A ticket update whose body is `expected` once its metadata is set aside, and whose
/// metadata names the SunCo messages its comment carries (`sunco_message_ids`), so that a
/// retry can recognise it.
pub struct UpdateBody(pub Value);

impl wiremock::Match for UpdateBody {
    fn matches(&self, request: &Request) -> bool {
        let Ok(mut body) = serde_json::from_slice::<Value>(&request.body) else {
            return false;
        };
        let metadata = body["ticket"]
            .as_object_mut()
            .and_then(|ticket| ticket.remove("metadata"));
        let marked = metadata.as_ref().is_some_and(|metadata| {
            metadata["sunco_message_ids"]
                .as_array()
                .is_some_and(|ids| !ids.is_empty() && ids.iter().all(Value::is_string))
        });
        let has_comment = body["ticket"].get("comment").is_some();
        body == self.0 && (marked || !has_comment)
    }
}

/// The SunCo message ids an update (or create) request says its comment carries.
pub fn carried_ids(request: &Request) -> Vec<String> {
    serde_json::from_slice::<Value>(&request.body)
        .ok()
        .and_then(|body| {
            body["ticket"]["metadata"]["sunco_message_ids"]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| id.as_str().map(str::to_owned))
                        .collect()
                })
        })
        .unwrap_or_default()
}

/// Zendesk's answer to any update of a closed ticket.
pub fn closed_ticket_refusal() -> ResponseTemplate {
    ResponseTemplate::new(422).set_body_json(json!({
        "error": "RecordInvalid", "description": "Record validation errors",
        "details": {"status": [{"description": "Status: closed prevents ticket update"}]}
    }))
}

/// Zendesk's answer for a ticket that does not exist (deleted).
pub fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404)
        .set_body_json(json!({"error": "RecordNotFound", "description": "Not found"}))
}

/// `POST /api/v2/tickets` as Zendesk answers it: a new ticket (ids from 5000), or for an
/// `Idempotency-Key` seen before the same ticket again, marked `x-idempotency-lookup: hit`.
/// Answers 400 for a key reused with another body, as Zendesk does.
#[derive(Clone, Default)]
pub struct IdempotentTickets {
    seen: Arc<std::sync::Mutex<Vec<(String, Value, i64)>>>,
}

impl IdempotentTickets {
    pub async fn mount(fakes: &Fakes) -> Self {
        let tickets = Self::default();
        Mock::given(method("POST"))
            .and(path("/api/v2/tickets"))
            .respond_with(tickets.clone())
            .mount(&fakes.zendesk)
            .await;
        tickets
    }

    /// The tickets created (not replays), their bodies in order.
    pub fn created(&self) -> Vec<Value> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body, _)| body.clone())
            .collect()
    }
}

impl wiremock::Respond for IdempotentTickets {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let key = request
            .headers
            .get("idempotency-key")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut seen = self.seen.lock().unwrap();
        if !key.is_empty()
            && let Some((_, first, id)) = seen.iter().find(|(seen_key, _, _)| *seen_key == key)
        {
            if *first != body {
                return ResponseTemplate::new(400).set_body_json(json!({
                    "error": "IdempotentRequestError",
                    "description": "The request body does not match the original request"
                }));
            }
            return ResponseTemplate::new(201)
                .insert_header("x-idempotency-lookup", "hit")
                .set_body_json(json!({"ticket": {"id": id, "status": "new"}}));
        }
        let id = 5000 + seen.len() as i64;
        seen.push((key, body, id));
        ResponseTemplate::new(201).set_body_json(json!({"ticket": {"id": id, "status": "new"}}))
    }
}

/// `GET`s the fake Zendesk received on exactly `route`.
pub async fn gets(server: &MockServer, route: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path() == route)
        .count()
}
