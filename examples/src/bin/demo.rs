//! The whole agent-initiated conversation on one machine, no accounts needed: loopback fakes
//! of Zendesk and SunCo, the bridge on an embedded SQLite file, and the story told step by
//! step. Run: `cargo run -p examples --bin demo`.

use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bridge::config::Config;
use bridge::{Bridge, SunCoEventOutcome, ZendeskWebhookOutcome};
use http::{HeaderMap, HeaderValue};
use meya_links::prelude::*;
use meya_links::{SUNSHINE_CONVERSATIONS, SqliteStore, ZENDESK_SUPPORT};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TICKET: i64 = 4021;
const REQUESTER: i64 = 35436;
const AGENT: i64 = 9;
const EMAIL: &str = "jane.doe@example.com";
const SUNCO_USER: &str = "5f1e3b6c2d4a1b0012ab34cd";
const SIGNING_SECRET: &str = "demo-signing-secret";
const TARGET_PASSWORD: &str = "demo-target-password";
const SUNCO_WEBHOOK_SECRET: &str = "demo-sunco-webhook-secret";

/// What the fake Zendesk knows: one ticket and its comments.
#[derive(Default)]
struct ZendeskState {
    status: String,
    comments: Vec<Value>,
}

/// What the fake SunCo knows: Jane's conversation and its messages.
#[derive(Default)]
struct SunCoState {
    conversation: Option<String>,
    messages: Vec<Value>,
}

type Shared<T> = Arc<Mutex<T>>;

fn lock<T>(shared: &Shared<T>) -> std::sync::MutexGuard<'_, T> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves a closure over shared state as a wiremock responder.
struct Stateful<T, F>(Shared<T>, F);

impl<T: Send + 'static, F> Respond for Stateful<T, F>
where
    F: Fn(&mut T, &Request) -> ResponseTemplate + Send + Sync + 'static,
{
    fn respond(&self, request: &Request) -> ResponseTemplate {
        (self.1)(&mut lock(&self.0), request)
    }
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

async fn fake_zendesk(state: Shared<ZendeskState>) -> MockServer {
    let server = MockServer::start().await;
    let users = json!([
        {"id": AGENT, "name": "Sam (Support)", "role": "agent"},
        {"id": REQUESTER, "name": "Jane Doe", "role": "end-user", "email": EMAIL}
    ]);
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/tickets/{TICKET}/comments")))
        .respond_with(Stateful(
            Arc::clone(&state),
            move |state: &mut ZendeskState, _: &Request| {
                ResponseTemplate::new(200).set_body_json(json!({
                    "comments": state.comments, "users": users, "meta": {"has_more": false}
                }))
            },
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/tickets/{TICKET}")))
        .respond_with(Stateful(
            Arc::clone(&state),
            |state: &mut ZendeskState, _: &Request| {
                ResponseTemplate::new(200)
                    .set_body_json(json!({"ticket": {"id": TICKET, "status": state.status}}))
            },
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/api/v2/tickets/{TICKET}")))
        .respond_with(Stateful(
            state,
            |state: &mut ZendeskState, request: &Request| {
                let update = body(request)["ticket"].clone();
                let id = 2000 + state.comments.len() as i64;
                if let Some(comment) = update.get("comment") {
                    state.comments.push(json!({
                        "id": id, "author_id": comment["author_id"].as_i64().unwrap_or(AGENT),
                        "public": comment["public"], "body": comment["body"]
                    }));
                }
                if let Some(status) = update["status"].as_str() {
                    state.status = status.to_owned();
                }
                ResponseTemplate::new(200).set_body_json(json!({
                    "ticket": {"id": TICKET, "status": state.status},
                    "audit": {"events": [{"id": id, "type": "Comment"}]}
                }))
            },
        ))
        .mount(&server)
        .await;
    server
}

async fn fake_sunco(state: Shared<SunCoState>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v2/apps/demo-app/users/.+"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "user": {"id": SUNCO_USER, "externalId": EMAIL}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/demo-app/conversations"))
        .respond_with(Stateful(
            Arc::clone(&state),
            |state: &mut SunCoState, _: &Request| {
                let conversations: Vec<Value> = state
                    .conversation
                    .iter()
                    .map(|id| json!({"id": id, "type": "personal", "isDefault": true}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({
                    "conversations": conversations, "meta": {"hasMore": false}
                }))
            },
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/demo-app/conversations"))
        .respond_with(Stateful(
            Arc::clone(&state),
            |state: &mut SunCoState, _: &Request| {
                let id = "conv-jane".to_owned();
                state.conversation = Some(id.clone());
                ResponseTemplate::new(201)
                    .set_body_json(json!({"conversation": {"id": id, "type": "personal"}}))
            },
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(
            r"^/v2/apps/demo-app/conversations/[^/]+/messages$",
        ))
        .respond_with(Stateful(
            state,
            |state: &mut SunCoState, request: &Request| {
                let mut message = body(request);
                message["id"] = json!(format!("msg-{}", state.messages.len() + 1));
                state.messages.push(message.clone());
                ResponseTemplate::new(201).set_body_json(json!({"messages": [message]}))
            },
        ))
        .mount(&server)
        .await;
    server
}

/// The trigger payload Zendesk sends for the ticket, signed as Zendesk signs it.
fn zendesk_webhook(
    status: &str,
    author_role: &str,
) -> Result<(HeaderMap, Vec<u8>), Box<dyn Error>> {
    let body = json!({
        "ticket": {"id": TICKET.to_string(), "status": status, "tags": "sunco_send",
                   "requester": {"id": REQUESTER.to_string(), "email": EMAIL, "name": "Jane Doe"}},
        "current_user": {"id": AGENT.to_string(), "role": author_role, "email": "sam@acme.test"}
    })
    .to_string()
    .into_bytes();
    let timestamp =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    let mut headers = zendesk_support::inbound::signed_headers(SIGNING_SECRET, &timestamp, &body);
    let basic = format!("meya:{TARGET_PASSWORD}");
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(basic)))?,
    );
    Ok((headers, body))
}

fn step(number: u32, text: &str) {
    println!("\n{number}. {text}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    println!("zendesk-sunco demo: an agent-initiated conversation, on loopback fakes");
    let zendesk_state: Shared<ZendeskState> = Arc::default();
    let sunco_state: Shared<SunCoState> = Arc::default();
    let zendesk = fake_zendesk(Arc::clone(&zendesk_state)).await;
    let sunco = fake_sunco(Arc::clone(&sunco_state)).await;
    // The link store lives in a temporary directory, removed when the demo ends.
    let dir = tempfile::tempdir()?;
    let store = Arc::new(SqliteStore::open(dir.path().join("bridge.db")).await?);
    let config = Config::loader()
        .toml(bridge::config::SEED_TOML)?
        .env_with(|name| {
            let value = match name {
                "ZENDESK_SUBDOMAIN" => "acme".to_owned(),
                "ZENDESK_BASE_URL" => zendesk.uri(),
                "ZENDESK_BOT_AGENT_EMAIL" => "bot@acme.test".to_owned(),
                "ZENDESK_BOT_AGENT_API_TOKEN" => "demo-api-token".to_owned(),
                "ZENDESK_TARGET_PASSWORD" => TARGET_PASSWORD.to_owned(),
                "ZENDESK_WEBHOOK_SIGNING_SECRET" => SIGNING_SECRET.to_owned(),
                "SUNCO_APP_ID" => "demo-app".to_owned(),
                "SUNCO_KEY_ID" => "app_demo".to_owned(),
                "SUNCO_KEY_SECRET" => "demo-key-secret".to_owned(),
                "SUNCO_WEBHOOK_SECRET" => SUNCO_WEBHOOK_SECRET.to_owned(),
                "SUNCO_BASE_URL" => sunco.uri(),
                _ => return None,
            };
            Some(value)
        })
        .build()?;
    println!("   settings: the seed's (markdown, unlink on closed/solved, filter on sunco_send)");
    let links: Arc<dyn LinkStore> = store.clone();
    let bridge = Bridge::new(config, Arc::clone(&links))?;

    step(
        1,
        "Sam (agent) creates ticket #4021 for jane.doe@example.com, tagged sunco_send:",
    );
    {
        let mut state = lock(&zendesk_state);
        state.status = "open".into();
        state
            .comments
            .push(json!({"id": 1001, "author_id": AGENT, "public": true,
            "body": "Hi Jane! Your replacement part **shipped today**; it arrives Friday."}));
    }
    println!("   \"Hi Jane! Your replacement part **shipped today**; it arrives Friday.\"");

    step(
        2,
        "Zendesk's trigger calls the bridge's webhook; the bridge verifies and runs the flow:",
    );
    let (headers, body) = zendesk_webhook("Open", "Agent")?;
    match bridge.handle_zendesk_webhook(&headers, &body).await {
        Ok(ZendeskWebhookOutcome::Started(outcome)) => {
            println!(
                "   requester 35436 and SunCo user {} -> internal user {}",
                outcome.sunco_user_id, outcome.user
            );
            println!(
                "   ticket #{} and conversation {} -> thread {}",
                outcome.ticket_id, outcome.conversation_id, outcome.thread
            );
            println!(
                "   comments delivered: {}",
                outcome.comments.delivered.len()
            );
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    }
    println!("   Jane's messenger now shows:");
    for message in &lock(&sunco_state).messages {
        println!(
            "     {}: {}",
            message["author"]["displayName"]
                .as_str()
                .unwrap_or("Support"),
            message["content"]["markdownText"]
                .as_str()
                .or(message["content"]["text"].as_str())
                .unwrap_or("(media)")
        );
    }

    step(
        3,
        "Zendesk repeats the webhook (it does): nothing is sent twice.",
    );
    let (headers, body) = zendesk_webhook("Open", "Agent")?;
    if let Ok(ZendeskWebhookOutcome::Synced { comments, .. }) =
        bridge.handle_zendesk_webhook(&headers, &body).await
    {
        println!(
            "   already delivered: {}, sent now: {}",
            comments.already_delivered,
            comments.delivered.len()
        );
    }

    step(
        4,
        "Jane replies in the messenger; SunCo calls the bridge's other webhook:",
    );
    let reply = json!({"app": {"id": "demo-app"}, "webhook": {"id": "wh", "version": "v2"}, "events": [{
        "id": "ev-1", "type": "conversation:message", "createdAt": "2026-11-26T12:00:00.000Z",
        "payload": {"conversation": {"id": "conv-jane", "type": "personal"},
                    "message": {"id": "sc-msg-1", "author": {"type": "user", "userId": SUNCO_USER},
                                "content": {"type": "text", "text": "Great, thank you! Will it need tools?"}}}}]});
    let mut sunco_headers = HeaderMap::new();
    sunco_headers.insert("x-api-key", HeaderValue::from_static(SUNCO_WEBHOOK_SECRET));
    let outcomes = bridge
        .handle_sunco_webhook(&sunco_headers, reply.to_string().as_bytes())
        .await?;
    if let Some(SunCoEventOutcome::Commented { ticket_id, .. }) = outcomes.first() {
        println!("   ticket #{ticket_id} now has Jane's comment:");
    }
    for comment in &lock(&zendesk_state).comments {
        let who = if comment["author_id"] == json!(REQUESTER) {
            "Jane"
        } else {
            "Sam"
        };
        println!(
            "     {who}: {}",
            comment["body"].as_str().unwrap_or_default()
        );
    }

    step(
        5,
        "Sam answers and solves the ticket; the bridge sends the answer, then unlinks:",
    );
    {
        let mut state = lock(&zendesk_state);
        state.status = "solved".into();
        state
            .comments
            .push(json!({"id": 1002, "author_id": AGENT, "public": true,
            "body": "No tools needed, it clicks in. Have a good day!"}));
    }
    let (headers, body) = zendesk_webhook("Solved", "Agent")?;
    match bridge.handle_zendesk_webhook(&headers, &body).await {
        Ok(ZendeskWebhookOutcome::Unlinked { comments, .. }) => {
            println!(
                "   sent: {} message(s); ticket #4021 unlinked from the thread",
                comments.delivered.len()
            );
        }
        other => return Err(format!("unexpected: {other:?}").into()),
    }
    let linked = links
        .thread_try_lookup(ZENDESK_SUPPORT, &TICKET.to_string())
        .await?;
    let thread = links
        .thread_try_lookup(SUNSHINE_CONVERSATIONS, SUNCO_USER)
        .await?;
    println!(
        "   ticket link: {linked:?}; Jane's thread is kept: {}",
        thread.is_some()
    );
    println!("   Jane's messenger, in the end:");
    for message in &lock(&sunco_state).messages {
        println!(
            "     Sam: {}",
            message["content"]["markdownText"]
                .as_str()
                .unwrap_or("(media)")
        );
    }
    println!(
        "\nDone: every message crossed exactly once. Links are in {}",
        dir.path().join("bridge.db").display()
    );
    Ok(())
}
