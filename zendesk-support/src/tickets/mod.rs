//! Tickets: show, create (idempotent), and update with a comment.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::{NewComment, NewTicket, TicketIds, TicketStatus, TicketUpdate};
//!
//! let created = client
//!     .tickets()
//!     .create(NewTicket::new(NewComment::text("Your order shipped")).subject("Order 1042"))
//!     .idempotency_key("order-1042-shipped")
//!     .send()
//!     .await?;
//! let solved = TicketUpdate::status(TicketStatus::Solved);
//! client.tickets().update_many(TicketIds(&[created.ticket.id]), &solved).await?;
//! # Ok(()) }
//! ```

mod bulk;
mod lists;

pub use bulk::{DeletedTicket, TicketIds};
pub use lists::{TicketMetric, TicketRelated, TicketSkip};

use http::header::{HeaderName, HeaderValue};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Call, decode};
use crate::comments::CommentsRequest;
use crate::open_enum::{null_as_default, open_enum};
use crate::{Audit, Client, Error, Result};

open_enum! {
    /// A ticket's status.
    pub enum TicketStatus {
        /// Not yet assigned.
        New = "new",
        /// Being worked on.
        Open = "open",
        /// Waiting for the requester.
        Pending = "pending",
        /// Waiting for a third party.
        Hold = "hold",
        /// Solved; closes after a while.
        Solved = "solved",
        /// Closed; can no longer change.
        Closed = "closed",
    }
}

/// A ticket as Zendesk returns it (the fields the SDK uses; others are ignored).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Ticket {
    /// The ticket's id.
    pub id: i64,
    /// The API URL of the ticket.
    pub url: Option<String>,
    /// The subject.
    pub subject: Option<String>,
    /// The first comment's text.
    pub description: Option<String>,
    /// The status.
    pub status: Option<TicketStatus>,
    /// Who asked.
    pub requester_id: Option<i64>,
    /// Who created the ticket (an agent, for agent-initiated tickets).
    pub submitter_id: Option<i64>,
    /// The assigned agent.
    pub assignee_id: Option<i64>,
    /// The requester's organization.
    pub organization_id: Option<i64>,
    /// The assigned group.
    pub group_id: Option<i64>,
    /// Tags, e.g. `sunco_send`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    /// How the ticket was created.
    pub via: Option<Value>,
    /// An id from another system.
    pub external_id: Option<String>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
    /// `urgent`, `high`, `normal` or `low`.
    #[serde(default)]
    pub priority: Option<String>,
    /// `problem`, `incident`, `question` or `task`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Its custom status.
    #[serde(default)]
    pub custom_status_id: Option<i64>,
    /// People copied on it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub collaborator_ids: Vec<i64>,
    /// Agents following it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub follower_ids: Vec<i64>,
    /// People copied by email.
    #[serde(default, deserialize_with = "null_as_default")]
    pub email_cc_ids: Vec<i64>,
    /// Custom field values (`[{"id": .., "value": ..}]`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub custom_fields: Vec<Value>,
    /// The problem an incident belongs to.
    #[serde(default)]
    pub problem_id: Option<i64>,
    /// When a task is due.
    #[serde(default, with = "crate::timestamp::optional")]
    pub due_at: Option<time::OffsetDateTime>,
    /// Its brand.
    #[serde(default)]
    pub brand_id: Option<i64>,
    /// Its ticket form.
    #[serde(default)]
    pub ticket_form_id: Option<i64>,
    /// Whether it has public comments.
    #[serde(default)]
    pub is_public: Option<bool>,
    /// Whether it came from a messaging channel (SunCo).
    #[serde(default)]
    pub from_messaging_channel: Option<bool>,
    /// The tickets that followed it up after it closed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub followup_ids: Vec<i64>,
}

/// A comment to add to a ticket, on creation or update.
///
/// ```
/// use zendesk_support::NewComment;
///
/// let note = NewComment::text("The customer has not opened the messenger yet.").private();
/// let reply = NewComment::html("<p>Hello <b>Jane</b></p>").author(35436).upload("tok-1");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewComment {
    /// Plain or Markdown-like text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// HTML; Zendesk sanitises it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
    /// Visible to the requester (true) or an internal note (false).
    pub public: bool,
    /// The author, when not the authenticated user (e.g. the requester).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_id: Option<i64>,
    /// Upload tokens to attach.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uploads: Vec<String>,
}

impl NewComment {
    /// A public comment with a text body.
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            body: Some(body.into()),
            public: true,
            ..Self::default()
        }
    }

    /// A public comment with an HTML body.
    pub fn html(html_body: impl Into<String>) -> Self {
        Self {
            html_body: Some(html_body.into()),
            public: true,
            ..Self::default()
        }
    }

    /// Makes it an internal note.
    pub fn private(mut self) -> Self {
        self.public = false;
        self
    }

    /// Sets the author.
    pub fn author(mut self, author_id: i64) -> Self {
        self.author_id = Some(author_id);
        self
    }

    /// Attaches an upload token.
    pub fn upload(mut self, token: impl Into<String>) -> Self {
        self.uploads.push(token.into());
        self
    }
}

/// The requester of a new ticket, found or created by email.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewRequester {
    /// Their name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their email.
    pub email: String,
}

/// A ticket to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewTicket {
    /// The first comment.
    pub comment: NewComment,
    /// The subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The requester, by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<i64>,
    /// The requester, by email (created when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<NewRequester>,
    /// The status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// An id from another system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Makes the ticket a follow-up of this closed ticket (ignored by Zendesk for a ticket
    /// that is not closed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_followup_source_id: Option<i64>,
    /// Data of the caller's own, kept on the creating update's audit (see
    /// [`TicketUpdate::metadata`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

impl NewTicket {
    /// A ticket whose first comment is `comment`.
    pub fn new(comment: NewComment) -> Self {
        Self {
            comment,
            subject: None,
            requester_id: None,
            requester: None,
            status: None,
            tags: Vec::new(),
            external_id: None,
            via_followup_source_id: None,
            metadata: None,
        }
    }

    /// Sets the subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the requester by id.
    pub fn requester_id(mut self, requester_id: i64) -> Self {
        self.requester_id = Some(requester_id);
        self
    }

    /// Sets the requester by email.
    pub fn requester(mut self, name: Option<String>, email: impl Into<String>) -> Self {
        self.requester = Some(NewRequester {
            name,
            email: email.into(),
        });
        self
    }

    /// Sets the status.
    pub fn status(mut self, status: TicketStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Sets the external id.
    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }

    /// Makes the ticket a follow-up of `closed_ticket_id`: closed tickets cannot be reopened,
    /// so a new request about one is created this way.
    ///
    /// Reference: <https://developer.zendesk.com/documentation/ticketing/managing-tickets/creating-and-updating-tickets#creating-a-follow-up-ticket>
    pub fn follow_up_of(mut self, closed_ticket_id: i64) -> Self {
        self.via_followup_source_id = Some(closed_ticket_id);
        self
    }

    /// Sets [`metadata`](Self::metadata).
    pub fn metadata(mut self, metadata: Value) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

/// Changes to a ticket. Comments are added to tickets only this way.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TicketUpdate {
    /// A comment to add.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<NewComment>,
    /// A new status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    /// Replaces the tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Data of the caller's own (a JSON object), which Zendesk keeps on the update's audit
    /// as `metadata.custom` ([`Audit::custom_metadata`](crate::Audit::custom_metadata)): a
    /// way to recognise one's own updates later, e.g. after a timeout left it unknown
    /// whether an update was applied.
    ///
    /// Reference: <https://developer.zendesk.com/documentation/ticketing/managing-tickets/creating-and-updating-tickets/#setting-metadata>
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

impl TicketUpdate {
    /// An update that adds `comment`.
    pub fn comment(comment: NewComment) -> Self {
        Self {
            comment: Some(comment),
            ..Self::default()
        }
    }

    /// An update that changes the status.
    pub fn status(status: TicketStatus) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }

    /// Also sets the status.
    pub fn with_status(mut self, status: TicketStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Also sets [`metadata`](Self::metadata).
    pub fn with_metadata(mut self, metadata: Value) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

/// The answer to a create.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TicketCreated {
    /// The ticket.
    pub ticket: Ticket,
    /// True when Zendesk recognised the `Idempotency-Key` and returned the ticket an earlier
    /// request created (`x-idempotency-lookup: hit`), rather than creating another.
    pub replayed: bool,
}

/// The answer to an update.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TicketUpdated {
    /// The ticket after the update.
    pub ticket: Ticket,
    /// The audit the update created, with its events.
    pub audit: Option<Audit>,
}

impl TicketUpdated {
    /// The id of the comment the update added, if it added one.
    pub fn comment_id(&self) -> Option<i64> {
        self.audit.as_ref()?.comment_id()
    }
}

#[derive(Deserialize)]
struct TicketEnvelope {
    ticket: Ticket,
}

#[derive(Serialize)]
struct Wrapped<'a, T> {
    ticket: &'a T,
}

/// Ticket calls: `client.tickets()`.
#[derive(Debug, Clone, Copy)]
pub struct Tickets<'c> {
    pub(crate) client: &'c Client,
}

impl Client {
    /// Ticket calls.
    pub fn tickets(&self) -> Tickets<'_> {
        Tickets { client: self }
    }
}

impl<'c> Tickets<'c> {
    /// Shows a ticket.
    ///
    /// # Errors
    /// [`Error::Api`] with status 404 when there is no such ticket; see [`Error`].
    pub async fn get(&self, id: i64) -> Result<Ticket> {
        let url = self.client.url(&format!("api/v2/tickets/{id}"))?;
        let envelope: TicketEnvelope =
            decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        Ok(envelope.ticket)
    }

    /// Starts a create; add an idempotency key with [`CreateTicket::idempotency_key`].
    pub fn create(&self, ticket: NewTicket) -> CreateTicket<'c> {
        CreateTicket {
            client: self.client,
            ticket,
            idempotency_key: None,
        }
    }

    /// Updates a ticket (`PUT /api/v2/tickets/{id}`): the only way to add a comment.
    ///
    /// Not retried after an ambiguous failure (a timeout may have added the comment): check
    /// the ticket's audits for the update's [`metadata`](TicketUpdate::metadata) before sending
    /// again. Zendesk allows 30 updates per ticket per
    /// user in 10 minutes: batch.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(&self, id: i64, update: &TicketUpdate) -> Result<TicketUpdated> {
        let url = self.client.url(&format!("api/v2/tickets/{id}"))?;
        let call = Call::new(Method::PUT, url).json(&Wrapped { ticket: update })?;
        decode(self.client.send(call).await?).await
    }

    /// Lists a ticket's comments, oldest first, a cursor page at a time.
    pub fn comments(&self, id: i64) -> CommentsRequest<'c> {
        CommentsRequest::new(self.client, id)
    }
}

/// A ticket create, sent with [`send`](Self::send).
#[derive(Debug)]
#[must_use = "nothing is sent until `send`"]
pub struct CreateTicket<'c> {
    client: &'c Client,
    ticket: NewTicket,
    idempotency_key: Option<String>,
}

impl CreateTicket<'_> {
    /// Makes the create safe to repeat: Zendesk returns the first ticket for a key it has
    /// seen (for 2 hours), and the client may then retry after an ambiguous failure.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Creates the ticket.
    ///
    /// # Errors
    /// [`Error::Config`] for a key that is not a valid header value; see [`Error`].
    pub async fn send(self) -> Result<TicketCreated> {
        let url = self.client.url("api/v2/tickets")?;
        let mut call = Call::new(Method::POST, url).json(&Wrapped {
            ticket: &self.ticket,
        })?;
        if let Some(key) = &self.idempotency_key {
            let value = HeaderValue::from_str(key)
                .map_err(|_| Error::Config("idempotency key is not a valid header value".into()))?;
            call = call
                .header(HeaderName::from_static("idempotency-key"), value)
                .idempotent(true);
        }
        let response = self.client.send(call).await?;
        let replayed = response
            .headers()
            .get("x-idempotency-lookup")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.eq_ignore_ascii_case("hit"));
        let envelope: TicketEnvelope = decode(response).await?;
        Ok(TicketCreated {
            ticket: envelope.ticket,
            replayed,
        })
    }
}
