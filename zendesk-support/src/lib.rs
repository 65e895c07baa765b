//! # zendesk-support
//!
//! A typed async client for the Zendesk Support API, and verification of Zendesk webhooks:
//! the Zendesk half of the `zendesk-sunco` SDK, usable on its own.
//!
//! - [`Client`]: built with [`Client::builder`]; [`Auth`] is an API token (legacy), an OAuth
//!   bearer token, or OAuth client credentials that mint and refresh their own tokens.
//! - Resources, every operation of the Support API families a support integration uses:
//!   [`tickets`](Client::tickets) (show, create with an idempotency key, update with a
//!   comment and metadata, lists, counts, bulk, merge, spam, deleted; comments and audits),
//!   [`users`](Client::users), [`user_identities`](Client::user_identities),
//!   [`organizations`](Client::organizations), [`groups`](Client::groups),
//!   [`group_memberships`](Client::group_memberships),
//!   [`ticket_fields`](Client::ticket_fields), [`custom_statuses`](Client::custom_statuses),
//!   [`tags`](Client::tags), [`search`](Client::search),
//!   [`incremental`](Client::incremental) exports,
//!   [`job_statuses`](Client::job_statuses), [`satisfaction_ratings`](Client::satisfaction_ratings),
//!   [`requests`](Client::requests), [`uploads`](Client::uploads) and attachments,
//!   [`webhooks`](Client::webhooks) and [`triggers`](Client::triggers) admin.
//! - Lists: a [`List`] answers one [`Page`] with `send()`, or every item over all pages
//!   with `stream()` (a `Stream`) or `all()`, in whichever pagination the endpoint uses.
//!   Bulk calls answer a [`JobStatus`] that [`JobStatuses::wait`] polls to the end.
//! - [`inbound`]: the calls Zendesk makes to *your* service: signature and basic-auth
//!   verification of a webhook request, and the trigger payload. (The Webhooks admin API,
//!   which creates the webhook, is [`Client::webhooks`].)
//! - Errors: one [`Error`]; Zendesk's error bodies, whatever their shape, become an
//!   [`ApiError`]. 429 and 503 wait for `Retry-After` within a [`RetryPolicy`];
//!   [`Error::is_retryable`] says whether a failed call is worth trying again.
//!   [`ClientBuilder::requests_per_minute`] keeps to a budget without waiting for a 429.
//! - `testing` (feature): `FakeZendesk`, a stateful Zendesk on loopback with fault injection,
//!   to test your service against.
//!
//! ```no_run
//! # async fn demo() -> zendesk_support::Result<()> {
//! use zendesk_support::{Auth, Client, NewComment, TicketUpdate};
//!
//! let client = Client::builder()
//!     .subdomain("acme")?
//!     .auth(Auth::client_credentials("bridge", "client-secret"))
//!     .build()?;
//! let comments = client.tickets().comments(4021).all().await?;
//! let update = TicketUpdate::comment(NewComment::text("Thanks!").author(35436));
//! client.tickets().update(4021, &update).await?;
//! # Ok(()) }
//! ```

mod audits;
mod auth;
mod client;
mod comments;
mod counts;
mod custom_statuses;
mod envelope;
mod error;
mod group_memberships;
mod groups;
pub mod inbound;
mod incremental;
mod job_statuses;
mod open_enum;
mod organizations;
mod pagination;
mod request_budget;
mod requests;
mod satisfaction_ratings;
mod search;
mod tags;
mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
mod ticket_fields;
mod tickets;
mod timestamp;
mod triggers;
mod uploads;
mod user_identities;
mod users;
mod webhooks;

pub use audits::{Audit, AuditsRequest};
pub use auth::Auth;
pub use client::{Client, ClientBuilder, DEFAULT_TIMEOUT, RetryPolicy};
pub use comments::{Attachment, ChatEvent, Comment, CommentWalk, CommentsRequest};
pub use counts::Count;
pub use custom_statuses::{CustomStatus, CustomStatusUpdate, CustomStatuses, TicketFormStatus};
pub use error::{ApiError, Error, Result};
pub use group_memberships::{GroupMembership, GroupMemberships};
pub use groups::{Group, GroupUpdate, Groups};
pub use incremental::{CustomObjectRecord, Incremental, TicketEvent};
pub use job_statuses::{JobResult, JobState, JobStatus, JobStatuses};
pub use organizations::{
    NewOrganization, Organization, OrganizationIds, OrganizationMerge, OrganizationRelated,
    OrganizationSubscription, OrganizationUpdate, Organizations,
};
pub use pagination::{List, MAX_PAGES, Page};
pub use requests::{AnonymousRequester, NewRequest, Request, RequestUpdate, Requests};
pub use satisfaction_ratings::{NewSatisfactionRating, SatisfactionRating, SatisfactionRatings};
pub use search::{MAX_SEARCH_RESULTS, Search, SearchResult, SearchType};
pub use secrecy::{ExposeSecret, SecretString};
pub use tags::{TagCalls, TagCount, Tagged};
pub use ticket_fields::{FieldOption, TicketField, TicketFieldUpdate, TicketFields};
pub use tickets::{
    CreateTicket, DeletedTicket, NewComment, NewRequester, NewTicket, Ticket, TicketCreated,
    TicketIds, TicketMetric, TicketRelated, TicketSkip, TicketStatus, TicketUpdate, TicketUpdated,
    Tickets,
};
pub use triggers::{
    Action, Condition, Conditions, NewTrigger, Trigger, TriggerChange, TriggerRevision, Triggers,
};
pub use uploads::{Download, Upload, Uploads};
pub use user_identities::{NewIdentity, UserIdentities, UserIdentity};
pub use users::{
    DeletedUser, NewUser, OrganizationMembership, Role, User, UserRelated, UserSession, UserUpdate,
    Users,
};
pub use webhooks::{
    NewWebhook, Webhook, WebhookAttempt, WebhookAuthentication, WebhookInvocation,
    WebhookTestResponse, Webhooks,
};

/// The README's examples, compiled by `cargo test --doc` so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
