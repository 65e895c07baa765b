//! [`FakeZendesk`]: a stateful Zendesk Support on a loopback port, to test a service
//! against (feature `testing`).
//!
//! It keeps tickets with their comments, users and uploads, answers the calls this crate
//! makes the way Zendesk does (its JSON, cursor pagination, `Idempotency-Key`, 422 on a
//! closed ticket, 404 on a deleted one, the audit of a merge), records every request, and
//! fires the ticket webhook a trigger would send, signed with the webhook's secret. Faults
//! (a 5xx, a 429 with `Retry-After`, a hang, a reset) are injected through
//! [`control`](FakeZendesk::control).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use zendesk_support::testing::{FakeZendesk, Fault};
//!
//! let zendesk = FakeZendesk::start().await?;
//! let agent = zendesk.add_agent("Sam", "sam@acme.test");
//! let jane = zendesk.add_end_user("Jane", "jane@example.com");
//! let (ticket, _) = zendesk.open_ticket(jane, agent, "Your part shipped.");
//!
//! let client = zendesk.client()?;
//! zendesk.control().fail_next(Fault::Status(503), 1);
//! let comments = client.tickets().comments(ticket).all().await?; // retried past the 503
//! assert_eq!(comments[0].body.as_deref(), Some("Your part shipped."));
//!
//! let webhook = zendesk.ticket_webhook(ticket, agent).expect("the ticket exists");
//! zendesk_support::inbound::verify_signature(&webhook.headers, &webhook.body, zendesk.signing_secret())?;
//! # Ok(())
//! # }
//! ```

mod routes;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
pub use fake_server::{Control, FakeWebhook, Fault, FaultCounts, FaultRule, RecordedRequest};
use http::HeaderValue;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::inbound;

/// A user the fake knows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeUser {
    /// The user's id.
    pub id: i64,
    /// The name.
    pub name: String,
    /// The primary email, if any.
    pub email: Option<String>,
    /// `end-user`, `agent` or `admin`.
    pub role: String,
}

/// A comment on a fake ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeComment {
    /// The comment's id.
    pub id: i64,
    /// Who wrote it.
    pub author_id: i64,
    /// The text.
    pub body: String,
    /// The HTML, when it was written as HTML.
    pub html_body: Option<String>,
    /// Public (the requester sees it) or an internal note.
    pub public: bool,
    /// The upload tokens it carries.
    pub uploads: Vec<String>,
    /// When it was made.
    pub created_at: OffsetDateTime,
}

/// One update of a fake ticket, as its audits list it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeAudit {
    /// The audit's id.
    pub id: i64,
    /// Who made the update.
    pub author_id: i64,
    /// The comment it added, if any.
    pub comment_id: Option<i64>,
    /// The `metadata` the update sent, which Zendesk keeps as the audit's `metadata.custom`.
    pub custom_metadata: Option<Value>,
    /// How it was made, when not through the API (a merge: `{"channel": "merge", ...}`).
    pub via: Option<Value>,
    /// Other events (status changes), as Zendesk lists them.
    pub changes: Vec<Value>,
    /// When it was made.
    pub created_at: OffsetDateTime,
}

/// A fake ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeTicket {
    /// The ticket's id.
    pub id: i64,
    /// The subject.
    pub subject: Option<String>,
    /// `new`, `open`, `pending`, `hold`, `solved` or `closed`.
    pub status: String,
    /// The requester.
    pub requester_id: i64,
    /// The tags.
    pub tags: Vec<String>,
    /// The closed ticket this one follows up, if any.
    pub via_followup_source_id: Option<i64>,
    /// The ticket this one was merged into, if it was.
    pub merged_into: Option<i64>,
    /// Its comments, oldest first.
    pub comments: Vec<FakeComment>,
    /// Its updates, oldest first.
    pub audits: Vec<FakeAudit>,
    /// When it was made.
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) users: BTreeMap<i64, FakeUser>,
    pub(crate) tickets: BTreeMap<i64, FakeTicket>,
    /// Idempotency-Key -> (the request's body, the ticket it made).
    pub(crate) idempotency: HashMap<String, (Value, i64)>,
    /// Upload token -> (file name, content type, bytes).
    pub(crate) uploads: HashMap<String, (String, String, Vec<u8>)>,
    pub(crate) api_user: i64,
    next_id: i64,
}

impl State {
    pub(crate) fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn add_user(&mut self, role: &str, name: &str, email: Option<&str>) -> i64 {
        let id = self.next_id();
        self.users.insert(
            id,
            FakeUser {
                id,
                name: name.to_owned(),
                email: email.map(str::to_owned),
                role: role.to_owned(),
            },
        );
        id
    }

    pub(crate) fn user_by_email(&self, email: &str) -> Option<i64> {
        self.users
            .values()
            .find(|user| {
                user.email
                    .as_deref()
                    .is_some_and(|known| known.eq_ignore_ascii_case(email))
            })
            .map(|user| user.id)
    }

    pub(crate) fn end_user(&mut self, name: &str, email: &str) -> i64 {
        match self.user_by_email(email) {
            Some(id) => id,
            None => self.add_user("end-user", name, Some(email)),
        }
    }

    pub(crate) fn add_comment(
        &mut self,
        ticket: i64,
        author_id: i64,
        body: &str,
        public: bool,
    ) -> Option<i64> {
        let id = self.next_id();
        let found = self.tickets.get_mut(&ticket)?;
        found.comments.push(FakeComment {
            id,
            author_id,
            body: body.to_owned(),
            html_body: None,
            public,
            uploads: Vec::new(),
            created_at: OffsetDateTime::now_utc(),
        });
        self.record_audit(ticket, author_id, Some(id), None);
        Some(id)
    }

    /// Records an update of `ticket` in its audits; answers the audit.
    pub(crate) fn record_audit(
        &mut self,
        ticket: i64,
        author_id: i64,
        comment_id: Option<i64>,
        custom_metadata: Option<Value>,
    ) -> Option<&mut FakeAudit> {
        let id = self.next_id();
        let found = self.tickets.get_mut(&ticket)?;
        found.audits.push(FakeAudit {
            id,
            author_id,
            comment_id,
            custom_metadata: custom_metadata.filter(|custom| !custom.is_null()),
            via: None,
            changes: Vec::new(),
            created_at: OffsetDateTime::now_utc(),
        });
        found.audits.last_mut()
    }

    pub(crate) fn new_ticket(&mut self, requester_id: i64, status: &str) -> i64 {
        let id = self.next_id();
        self.tickets.insert(
            id,
            FakeTicket {
                id,
                subject: None,
                status: status.to_owned(),
                requester_id,
                tags: Vec::new(),
                via_followup_source_id: None,
                merged_into: None,
                comments: Vec::new(),
                audits: Vec::new(),
                created_at: OffsetDateTime::now_utc(),
            },
        );
        id
    }
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A stateful fake of Zendesk Support, serving on `127.0.0.1` until dropped; see the
/// [module docs](self).
#[derive(Debug)]
pub struct FakeZendesk {
    server: fake_server::FakeServer,
    state: Shared,
    signing_secret: String,
    basic_auth: Option<(String, String)>,
}

/// Settings for a [`FakeZendesk`], from [`FakeZendesk::builder`].
#[derive(Debug, Clone)]
#[must_use = "nothing starts until `start`"]
pub struct FakeZendeskBuilder {
    signing_secret: String,
    basic_auth: Option<(String, String)>,
}

impl FakeZendeskBuilder {
    /// The webhook's signing secret its calls are signed with.
    pub fn signing_secret(mut self, secret: impl Into<String>) -> Self {
        self.signing_secret = secret.into();
        self
    }

    /// Basic auth the webhook sends (Zendesk's webhook "authentication: basic").
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.basic_auth = Some((username.into(), password.into()));
        self
    }

    /// Starts serving.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start(self) -> std::io::Result<FakeZendesk> {
        let state = Shared::default();
        {
            let mut state = lock(&state);
            state.api_user = state.add_user("admin", "API user", Some("api@fake.zendesk.test"));
        }
        let server = fake_server::FakeServer::start_with_errors(
            routes::router(Arc::clone(&state)),
            routes::error_body,
        )
        .await?;
        Ok(FakeZendesk {
            server,
            state,
            signing_secret: self.signing_secret,
            basic_auth: self.basic_auth,
        })
    }
}

impl FakeZendesk {
    /// Settings: the webhook's signing secret and basic auth.
    pub fn builder() -> FakeZendeskBuilder {
        FakeZendeskBuilder {
            signing_secret: "fake-zendesk-signing-secret".into(),
            basic_auth: None,
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

    /// Faults, latency and the requests received.
    pub fn control(&self) -> &Control {
        self.server.control()
    }

    /// A client of this fake (any credentials are accepted).
    ///
    /// # Errors
    /// As [`ClientBuilder::build`](crate::ClientBuilder::build).
    pub fn client(&self) -> crate::Result<crate::Client> {
        crate::Client::builder()
            .base_url(self.url())?
            .auth(crate::Auth::api_token(
                "api@fake.zendesk.test",
                "fake-token",
            ))
            .retry(crate::RetryPolicy::default().backoff(
                std::time::Duration::from_millis(1),
                std::time::Duration::from_millis(20),
            ))
            .build()
    }

    /// The secret the fake signs webhooks with.
    pub fn signing_secret(&self) -> &str {
        &self.signing_secret
    }

    /// The user the API calls act as (the token's owner, an admin): the author of comments
    /// made without an `author_id`.
    pub fn api_user(&self) -> i64 {
        lock(&self.state).api_user
    }

    /// Adds an agent; answers their id.
    pub fn add_agent(&self, name: &str, email: &str) -> i64 {
        lock(&self.state).add_user("agent", name, Some(email))
    }

    /// Adds an end user (a customer), or finds the one with this email; answers the id.
    pub fn add_end_user(&self, name: &str, email: &str) -> i64 {
        lock(&self.state).end_user(name, email)
    }

    /// Adds a user with any role (`end-user`, `agent`, `admin`) and maybe no email.
    pub fn add_user(&self, role: &str, name: &str, email: Option<&str>) -> i64 {
        lock(&self.state).add_user(role, name, email)
    }

    /// Opens a ticket for `requester` whose first comment `author` wrote (public); answers
    /// the ticket's and the comment's ids.
    pub fn open_ticket(&self, requester: i64, author: i64, text: &str) -> (i64, i64) {
        let mut state = lock(&self.state);
        let ticket = state.new_ticket(requester, "open");
        let comment = state
            .add_comment(ticket, author, text, true)
            .unwrap_or_default();
        (ticket, comment)
    }

    /// Adds a comment to a ticket, as if written in Zendesk; answers its id, or `None` for
    /// an unknown ticket.
    pub fn add_comment(&self, ticket: i64, author: i64, text: &str, public: bool) -> Option<i64> {
        lock(&self.state).add_comment(ticket, author, text, public)
    }

    /// Moves a ticket's comments `by` into the past, as if its history were old (the
    /// comments keep their order and ids).
    pub fn backdate_comments(&self, ticket: i64, by: std::time::Duration) {
        if let Some(found) = lock(&self.state).tickets.get_mut(&ticket) {
            for comment in &mut found.comments {
                comment.created_at -= by;
            }
            for audit in &mut found.audits {
                audit.created_at -= by;
            }
            found.created_at -= by;
        }
    }

    /// Changes a ticket's status, e.g. to `solved` or `closed`.
    pub fn set_status(&self, ticket: i64, status: &str) {
        if let Some(found) = lock(&self.state).tickets.get_mut(&ticket) {
            status.clone_into(&mut found.status);
        }
    }

    /// Adds tags to a ticket.
    pub fn add_tags(&self, ticket: i64, tags: &[&str]) {
        if let Some(found) = lock(&self.state).tickets.get_mut(&ticket) {
            for tag in tags {
                if !found.tags.iter().any(|known| known == tag) {
                    found.tags.push((*tag).to_owned());
                }
            }
        }
    }

    /// Merges `from` into `into` as Zendesk does: `from` is closed, tagged
    /// `closed_by_merge`, and its audits record the merge.
    pub fn merge(&self, from: i64, into: i64) {
        let mut state = lock(&self.state);
        let note = state.next_id();
        if let Some(found) = state.tickets.get_mut(&from) {
            found.status = "closed".into();
            found.merged_into = Some(into);
            found.tags.push("closed_by_merge".into());
            found.comments.push(FakeComment {
                id: note,
                author_id: 0,
                body: format!("This request was closed and merged into request #{into}."),
                html_body: None,
                public: false,
                uploads: Vec::new(),
                created_at: OffsetDateTime::now_utc(),
            });
        }
        if let Some(audit) = state.record_audit(from, 0, Some(note), None) {
            audit.via = Some(serde_json::json!({"channel": "merge",
                "source": {"rel": "merge", "from": {}, "to": {"ticket_id": into}}}));
            audit.changes = vec![
                serde_json::json!({"type": "Change", "field_name": "status", "value": "closed"}),
            ];
        }
    }

    /// Deletes a ticket: from now on it answers 404.
    pub fn delete_ticket(&self, ticket: i64) {
        lock(&self.state).tickets.remove(&ticket);
    }

    /// A ticket as it stands.
    pub fn ticket(&self, ticket: i64) -> Option<FakeTicket> {
        lock(&self.state).tickets.get(&ticket).cloned()
    }

    /// Every ticket, by id.
    pub fn tickets(&self) -> Vec<FakeTicket> {
        lock(&self.state).tickets.values().cloned().collect()
    }

    /// The tickets `requester` asked, by id (those the API opened for them included).
    pub fn tickets_requested_by(&self, requester: i64) -> Vec<FakeTicket> {
        lock(&self.state)
            .tickets
            .values()
            .filter(|ticket| ticket.requester_id == requester)
            .cloned()
            .collect()
    }

    /// A user as it stands.
    pub fn user(&self, id: i64) -> Option<FakeUser> {
        lock(&self.state).users.get(&id).cloned()
    }

    /// The bytes of an upload made through the API.
    pub fn upload(&self, token: &str) -> Option<Vec<u8>> {
        lock(&self.state)
            .uploads
            .get(token)
            .map(|(_, _, bytes)| bytes.clone())
    }

    /// The webhook a ticket trigger sends for `ticket` after `current_user` updated it: the
    /// body `setup` installs ([`TRIGGER_PAYLOAD`](crate::inbound::TRIGGER_PAYLOAD)) with its
    /// placeholders filled in as Zendesk prints them (`Open`, `Agent`, tags space-separated),
    /// signed now.
    pub fn ticket_webhook(&self, ticket: i64, current_user: i64) -> Option<FakeWebhook> {
        let body = {
            let state = lock(&self.state);
            let found = state.tickets.get(&ticket)?;
            let requester = state.users.get(&found.requester_id);
            let actor = state.users.get(&current_user);
            let email =
                |user: Option<&FakeUser>| user.and_then(|u| u.email.clone()).unwrap_or_default();
            let values = [
                ("ticket.id", found.id.to_string()),
                ("ticket.status", title_case(&found.status)),
                ("ticket.tags", found.tags.join(" ")),
                ("ticket.requester.id", found.requester_id.to_string()),
                ("ticket.requester.email", email(requester)),
                (
                    "ticket.requester.name",
                    requester.map(|user| user.name.clone()).unwrap_or_default(),
                ),
                ("current_user.id", current_user.to_string()),
                (
                    "current_user.role",
                    actor.map(|user| title_case(&user.role)).unwrap_or_default(),
                ),
                ("current_user.email", email(actor)),
            ];
            values.iter().fold(
                inbound::TRIGGER_PAYLOAD.to_owned(),
                |body, (name, value)| {
                    body.replace(&format!("{{{{{name}}}}}"), &json_string_content(value))
                },
            )
        };
        Some(self.sign(body.into_bytes()))
    }

    /// Signs any body as the webhook would send it (for a payload of your own).
    pub fn sign(&self, body: Vec<u8>) -> FakeWebhook {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| OffsetDateTime::now_utc());
        let timestamp = now.format(&Rfc3339).unwrap_or_default();
        let mut headers = inbound::signed_headers(&self.signing_secret, &timestamp, &body);
        let invocation = lock(&self.state).next_id();
        if let Ok(value) = HeaderValue::from_str(&format!("fake-invocation-{invocation}")) {
            headers.insert(inbound::INVOCATION_ID_HEADER, value);
        }
        if let Some((username, password)) = &self.basic_auth {
            let basic = STANDARD.encode(format!("{username}:{password}"));
            if let Ok(value) = HeaderValue::from_str(&format!("Basic {basic}")) {
                headers.insert(http::header::AUTHORIZATION, value);
            }
        }
        FakeWebhook::new(headers, body)
    }
}

/// `text` as it stands between the quotes of a JSON string.
fn json_string_content(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// How Zendesk's placeholders print a status or role: `Open`, `End-user`.
fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
