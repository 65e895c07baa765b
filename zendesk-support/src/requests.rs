//! Requests: tickets as their requester sees them — for a help center or an app acting with
//! an end user's credentials (or an agent's, to see what the requester sees).
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/tickets/ticket-requests/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::{NewComment, NewRequest, RequestUpdate};
//!
//! let request = client
//!     .requests()
//!     .create(&NewRequest::new("Printer on fire", NewComment::text("It is on fire.")))
//!     .await?;
//! let update = RequestUpdate::comment(NewComment::text("Out now, thanks")).solved();
//! client.requests().update(request.id, &update).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::Call;
use crate::envelope::Keyed;
use crate::open_enum::null_as_default;
use crate::pagination::{List, Paging};
use crate::{Client, Comment, Error, NewComment, Result, TicketStatus};

/// A ticket as its requester sees it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Request {
    /// The ticket's id.
    pub id: i64,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// The first comment.
    #[serde(default)]
    pub description: Option<String>,
    /// The status.
    #[serde(default)]
    pub status: Option<TicketStatus>,
    /// The custom status.
    #[serde(default)]
    pub custom_status_id: Option<i64>,
    /// `urgent`, `high`, `normal` or `low`.
    #[serde(default)]
    pub priority: Option<String>,
    /// `problem`, `incident`, `question` or `task`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The requester.
    #[serde(default)]
    pub requester_id: Option<i64>,
    /// The agent assigned.
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// The group assigned.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// The organization.
    #[serde(default)]
    pub organization_id: Option<i64>,
    /// People copied on it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub collaborator_ids: Vec<i64>,
    /// People copied by email.
    #[serde(default, deserialize_with = "null_as_default")]
    pub email_cc_ids: Vec<i64>,
    /// Whether the requester may mark it solved.
    #[serde(default)]
    pub can_be_solved_by_me: Option<bool>,
    /// Whether it is solved.
    #[serde(default)]
    pub solved: Option<bool>,
    /// Whether it has public comments.
    #[serde(default)]
    pub is_public: Option<bool>,
    /// Its ticket form.
    #[serde(default)]
    pub ticket_form_id: Option<i64>,
    /// Custom field values (`[{"id": .., "value": ..}]`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub custom_fields: Vec<Value>,
    /// How it came in.
    #[serde(default)]
    pub via: Option<Value>,
    /// When it is due (tasks).
    #[serde(default, with = "crate::timestamp::optional")]
    pub due_at: Option<time::OffsetDateTime>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// The requester of an anonymous request (when the account allows them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AnonymousRequester {
    /// Their name.
    pub name: String,
    /// Their email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A new request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewRequest {
    /// The subject.
    pub subject: String,
    /// The first comment.
    pub comment: NewComment,
    /// The requester, for an anonymous request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<AnonymousRequester>,
    /// `urgent`, `high`, `normal` or `low`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// People to copy, by email.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub email_ccs: Vec<Value>,
    /// Custom field values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<Value>,
    /// The ticket form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_form_id: Option<i64>,
}

impl NewRequest {
    /// A request with a subject and its first comment.
    pub fn new(subject: impl Into<String>, comment: NewComment) -> Self {
        Self {
            subject: subject.into(),
            comment,
            requester: None,
            priority: None,
            email_ccs: Vec::new(),
            custom_fields: Vec::new(),
            ticket_form_id: None,
        }
    }

    /// From an anonymous requester.
    pub fn anonymous(mut self, name: impl Into<String>, email: Option<String>) -> Self {
        self.requester = Some(AnonymousRequester {
            name: name.into(),
            email,
        });
        self
    }

    /// Sets a custom field.
    pub fn custom_field(mut self, field_id: i64, value: impl Into<Value>) -> Self {
        self.custom_fields
            .push(serde_json::json!({"id": field_id, "value": value.into()}));
        self
    }
}

/// A requester's change to a request: a comment, solving it, copying people.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RequestUpdate {
    /// A new comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<NewComment>,
    /// Marks it solved (when `can_be_solved_by_me`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solved: Option<bool>,
    /// People to copy, by email or id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_collaborators: Vec<Value>,
}

impl RequestUpdate {
    /// Adds a comment.
    pub fn comment(comment: NewComment) -> Self {
        Self {
            comment: Some(comment),
            ..Self::default()
        }
    }

    /// Also marks it solved.
    pub fn solved(mut self) -> Self {
        self.solved = Some(true);
        self
    }

    /// Also copies someone, by email.
    pub fn copy(mut self, email: impl Into<String>) -> Self {
        self.additional_collaborators
            .push(Value::String(email.into()));
        self
    }
}

/// Request calls: `client.requests()`.
#[derive(Debug, Clone, Copy)]
pub struct Requests<'c> {
    client: &'c Client,
}

impl Client {
    /// Request calls (the requester's view of tickets).
    pub fn requests(&self) -> Requests<'_> {
        Requests { client: self }
    }
}

impl<'c> Requests<'c> {
    fn list_at(&self, path: impl Into<String>) -> List<'c, Request> {
        List::new(self.client, path, "requests", Paging::Cursor)
    }

    /// The caller's requests.
    pub fn list(&self) -> List<'c, Request> {
        self.list_at("api/v2/requests")
    }

    /// The caller's open requests.
    pub fn list_open(&self) -> List<'c, Request> {
        self.list_at("api/v2/requests/open")
    }

    /// The caller's solved requests.
    pub fn list_solved(&self) -> List<'c, Request> {
        self.list_at("api/v2/requests/solved")
    }

    /// The requests the caller is copied on.
    pub fn list_ccd(&self) -> List<'c, Request> {
        self.list_at("api/v2/requests/ccd")
    }

    /// A user's requests.
    pub fn list_for_user(&self, user_id: i64) -> List<'c, Request> {
        self.list_at(format!("api/v2/users/{user_id}/requests"))
    }

    /// An organization's requests.
    pub fn list_for_organization(&self, organization_id: i64) -> List<'c, Request> {
        self.list_at(format!("api/v2/organizations/{organization_id}/requests"))
    }

    /// The caller's requests matching `query` (words in the subject or comments).
    pub fn search(&self, query: &str) -> List<'c, Request> {
        List::new(
            self.client,
            "api/v2/requests/search",
            "requests",
            Paging::Offset,
        )
        .param("query", query)
    }

    /// Reads a request.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get(&self, id: i64) -> Result<Request> {
        let url = self.client.url(&format!("api/v2/requests/{id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "request")
            .await
    }

    /// Creates a request. Not retried after an ambiguous failure (it could create two).
    ///
    /// # Errors
    /// [`Error::Config`] for an empty subject; see [`Error`].
    pub async fn create(&self, request: &NewRequest) -> Result<Request> {
        if request.subject.trim().is_empty() {
            return Err(Error::Config("a request needs a subject".into()));
        }
        let url = self.client.url("api/v2/requests")?;
        let call = Call::new(Method::POST, url).json(&Keyed("request", request))?;
        self.client.fetch(call, "request").await
    }

    /// Comments on, solves or copies people on a request. Not retried after an ambiguous
    /// failure when it carries a comment.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(&self, id: i64, update: &RequestUpdate) -> Result<Request> {
        let url = self.client.url(&format!("api/v2/requests/{id}"))?;
        let call = Call::new(Method::PUT, url)
            .json(&Keyed("request", update))?
            .idempotent(update.comment.is_none());
        self.client.fetch(call, "request").await
    }

    /// A request's public comments.
    pub fn comments(&self, id: i64) -> List<'c, Comment> {
        List::new(
            self.client,
            format!("api/v2/requests/{id}/comments"),
            "comments",
            Paging::Cursor,
        )
    }

    /// Reads one comment of a request.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn comment(&self, id: i64, comment_id: i64) -> Result<Comment> {
        let url = self
            .client
            .url(&format!("api/v2/requests/{id}/comments/{comment_id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "comment")
            .await
    }
}
