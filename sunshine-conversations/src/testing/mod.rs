//! [`FakeSunCo`]: a stateful Sunshine Conversations app on a loopback port, to test a
//! service against (feature `testing`).
//!
//! It keeps users, their personal conversations and the messages in them, answers the calls
//! this crate makes the way SunCo does (its JSON, its `errors` bodies, 404 `user_not_found`,
//! 409 on a taken external id, 400 for text over [`MAX_TEXT_CHARS`](crate::MAX_TEXT_CHARS)
//! UTF-16 units or metadata over 4 KB), records every request, and builds the v2 webhook a
//! customer's message makes, with the webhook's `X-API-Key`. Faults (a 5xx, a 429 with
//! `Retry-After`, a hang, a reset) are injected through [`control`](FakeSunCo::control).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sunshine_conversations::testing::FakeSunCo;
//! use sunshine_conversations::{NewContent, NewMessage};
//!
//! let sunco = FakeSunCo::start().await?;
//! let (jane, conversation) = sunco.add_user("jane@example.com");
//! let client = sunco.client()?;
//! assert_eq!(client.users().get("jane@example.com").await?.id, jane);
//!
//! let message = NewMessage::new(NewContent::text("Hi Jane"));
//! client.messages().post(&conversation, &message).await?;
//! assert_eq!(sunco.business_texts(&conversation), ["Hi Jane"]);
//!
//! let reply = sunco.customer_message(&conversation, "Thanks!").expect("a known conversation");
//! sunshine_conversations::inbound::verify_api_key(&reply.headers, sunco.webhook_secret())?;
//! # Ok(())
//! # }
//! ```

mod routes;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use fake_server::{Control, FakeWebhook, Fault, FaultCounts, FaultRule, RecordedRequest};
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::inbound::API_KEY_HEADER;

/// A user the fake knows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeUser {
    /// SunCo's id.
    pub id: String,
    /// The external id (for the bridge, the customer's email).
    pub external_id: Option<String>,
}

/// A message in a fake conversation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FakeMessage {
    /// The message's id.
    pub id: String,
    /// `user` or `business`.
    pub author_type: String,
    /// The author's user id, for user messages.
    pub user_id: Option<String>,
    /// The name shown for the author, when the message gave one.
    pub display_name: Option<String>,
    /// The content as posted (`type`, `text`, `markdownText`, `mediaUrl`, ...).
    pub content: Value,
    /// The metadata as posted.
    pub metadata: Option<Value>,
    /// When SunCo received it.
    pub received: OffsetDateTime,
}

impl FakeMessage {
    /// The text shown: `markdownText`, else `text`.
    pub fn text(&self) -> Option<&str> {
        self.content["markdownText"]
            .as_str()
            .or(self.content["text"].as_str())
    }
}

/// A fake conversation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FakeConversation {
    /// The conversation's id.
    pub id: String,
    /// Its participant.
    pub user_id: String,
    /// Messages, oldest first.
    pub messages: Vec<FakeMessage>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) app_id: String,
    pub(crate) users: BTreeMap<String, FakeUser>,
    pub(crate) conversations: BTreeMap<String, FakeConversation>,
    /// External id -> user id, and user id -> conversation ids: lookups stay fast with
    /// many users.
    by_external_id: HashMap<String, String>,
    pub(crate) by_user: HashMap<String, Vec<String>>,
    pub(crate) attachments: usize,
    next_id: u64,
}

impl State {
    pub(crate) fn next_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:024x}", self.next_id)
    }

    /// The user with this id or external id.
    pub(crate) fn user(&self, id_or_external_id: &str) -> Option<&FakeUser> {
        self.users.get(id_or_external_id).or_else(|| {
            self.by_external_id
                .get(id_or_external_id)
                .and_then(|id| self.users.get(id))
        })
    }

    pub(crate) fn add_user(&mut self, external_id: Option<&str>) -> String {
        let id = self.next_id("u");
        if let Some(external_id) = external_id {
            self.by_external_id
                .insert(external_id.to_owned(), id.clone());
        }
        self.users.insert(
            id.clone(),
            FakeUser {
                id: id.clone(),
                external_id: external_id.map(str::to_owned),
            },
        );
        id
    }

    pub(crate) fn add_conversation(&mut self, user_id: &str) -> String {
        let id = self.next_id("c");
        self.by_user
            .entry(user_id.to_owned())
            .or_default()
            .push(id.clone());
        self.conversations.insert(
            id.clone(),
            FakeConversation {
                id: id.clone(),
                user_id: user_id.to_owned(),
                messages: Vec::new(),
            },
        );
        id
    }
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A stateful fake of one SunCo app, serving on `127.0.0.1` until dropped; see the
/// [module docs](self).
#[derive(Debug)]
pub struct FakeSunCo {
    server: fake_server::FakeServer,
    state: Shared,
    webhook_secret: String,
}

/// Settings for a [`FakeSunCo`], from [`FakeSunCo::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing starts until `start`"]
pub struct FakeSunCoBuilder {
    app_id: String,
    webhook_secret: String,
}

impl FakeSunCoBuilder {
    /// The app's id (default `fake-app`); calls for another app are answered 404.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = app_id.into();
        self
    }

    /// The webhook's secret, sent as `X-API-Key`.
    pub fn webhook_secret(mut self, secret: impl Into<String>) -> Self {
        self.webhook_secret = secret.into();
        self
    }

    /// Starts serving.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start(self) -> std::io::Result<FakeSunCo> {
        let state = Shared::default();
        lock(&state).app_id = self.app_id;
        let server = fake_server::FakeServer::start_with_errors(
            routes::router(Arc::clone(&state)),
            routes::error_body,
        )
        .await?;
        Ok(FakeSunCo {
            server,
            state,
            webhook_secret: self.webhook_secret,
        })
    }
}

impl FakeSunCo {
    /// Settings: the app's id and the webhook's secret.
    pub fn builder() -> FakeSunCoBuilder {
        FakeSunCoBuilder {
            app_id: "fake-app".into(),
            webhook_secret: "fake-sunco-webhook-secret".into(),
        }
    }

    /// Starts a fake with the default settings.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// The base URL to give [`ClientBuilder::base_url`](crate::ClientBuilder::base_url).
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The app's id.
    pub fn app_id(&self) -> String {
        lock(&self.state).app_id.clone()
    }

    /// Faults, latency and the requests received.
    pub fn control(&self) -> &Control {
        self.server.control()
    }

    /// A client of this fake (any key is accepted).
    ///
    /// # Errors
    /// As [`ClientBuilder::build`](crate::ClientBuilder::build).
    pub fn client(&self) -> crate::Result<crate::Client> {
        crate::Client::builder()
            .app_id(self.app_id())
            .base_url(self.url())?
            .auth(crate::Auth::basic("fake-key", "fake-secret"))
            .retry(crate::RetryPolicy::default().backoff(
                std::time::Duration::from_millis(1),
                std::time::Duration::from_millis(20),
            ))
            .build()
    }

    /// The webhook's secret (`X-API-Key`).
    pub fn webhook_secret(&self) -> &str {
        &self.webhook_secret
    }

    /// Adds a user with this external id and their personal conversation (what opening the
    /// messenger makes); answers both ids.
    pub fn add_user(&self, external_id: &str) -> (String, String) {
        let mut state = lock(&self.state);
        let user = state.add_user(Some(external_id));
        let conversation = state.add_conversation(&user);
        (user, conversation)
    }

    /// Adds a user who has no conversation yet; answers the id.
    pub fn add_user_without_conversation(&self, external_id: &str) -> String {
        lock(&self.state).add_user(Some(external_id))
    }

    /// A user by id or external id.
    pub fn user(&self, id_or_external_id: &str) -> Option<FakeUser> {
        lock(&self.state).user(id_or_external_id).cloned()
    }

    /// A conversation as it stands.
    pub fn conversation(&self, id: &str) -> Option<FakeConversation> {
        lock(&self.state).conversations.get(id).cloned()
    }

    /// Every conversation, by id.
    pub fn conversations(&self) -> Vec<FakeConversation> {
        lock(&self.state).conversations.values().cloned().collect()
    }

    /// The texts the business posted in a conversation, oldest first.
    pub fn business_texts(&self, conversation: &str) -> Vec<String> {
        lock(&self.state)
            .conversations
            .get(conversation)
            .map(|found| {
                found
                    .messages
                    .iter()
                    .filter(|message| message.author_type == "business")
                    .filter_map(|message| message.text().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many attachments were uploaded.
    pub fn attachments_uploaded(&self) -> usize {
        lock(&self.state).attachments
    }

    /// The customer writes `text` in the conversation: the message is added, and the
    /// webhook SunCo sends for it is answered (`None` for an unknown conversation).
    pub fn customer_message(&self, conversation: &str, text: &str) -> Option<FakeWebhook> {
        self.customer_content(conversation, json!({"type": "text", "text": text}))
    }

    /// Like [`customer_message`](Self::customer_message) with any content, e.g. an image:
    /// `{"type": "image", "mediaUrl": "...", "mediaType": "image/png"}`.
    pub fn customer_content(&self, conversation: &str, content: Value) -> Option<FakeWebhook> {
        let body = {
            let mut state = lock(&self.state);
            let message_id = state.next_id("m");
            let event_id = state.next_id("e");
            let app_id = state.app_id.clone();
            let found = state.conversations.get_mut(conversation)?;
            let user_id = found.user_id.clone();
            let received = OffsetDateTime::now_utc();
            found.messages.push(FakeMessage {
                id: message_id.clone(),
                author_type: "user".into(),
                user_id: Some(user_id.clone()),
                display_name: Some("Customer".into()),
                content: content.clone(),
                metadata: None,
                received,
            });
            let external_id = state
                .users
                .get(&user_id)
                .and_then(|u| u.external_id.clone());
            let at = received.format(&Rfc3339).unwrap_or_default();
            json!({
                "app": {"id": app_id},
                "webhook": {"id": "fake-webhook", "version": "v2"},
                "events": [{
                    "id": event_id,
                    "createdAt": at,
                    "type": "conversation:message",
                    "payload": {
                        "conversation": {"id": conversation, "type": "personal"},
                        "message": {
                            "id": message_id,
                            "received": at,
                            "author": {"type": "user", "userId": user_id,
                                       "user": {"id": user_id, "externalId": external_id},
                                       "displayName": "Customer"},
                            "content": content,
                            "source": {"type": "web"},
                        },
                    },
                }],
            })
        };
        Some(self.sign(body.to_string().into_bytes()))
    }

    /// Any body with the webhook's `X-API-Key`, as SunCo sends it (for a payload of your
    /// own).
    pub fn sign(&self, body: Vec<u8>) -> FakeWebhook {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&self.webhook_secret) {
            headers.insert(API_KEY_HEADER, value);
        }
        FakeWebhook::new(headers, body)
    }
}
