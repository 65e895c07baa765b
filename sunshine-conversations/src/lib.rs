//! # sunshine-conversations
//!
//! A typed async client for the Sunshine Conversations (SunCo, formerly Smooch) API v2: the
//! SunCo half of the `zendesk-sunco` SDK, usable on its own.
//!
//! - [`Client`]: built with [`Client::builder`] for one app, on a Zendesk account's host
//!   (`https://{subdomain}.zendesk.com/sc`), legacy Smooch US or EU, or any base URL;
//!   [`Auth`] is an API key as basic auth or an app-scoped JWT.
//! - Resources, every operation of API v2 but the OAuth browser flow:
//!   [`apps`](Client::apps), [`app_keys`](Client::app_keys), [`users`](Client::users),
//!   [`clients`](Client::clients), [`devices`](Client::devices),
//!   [`conversations`](Client::conversations), [`participants`](Client::participants),
//!   [`messages`](Client::messages), [`activities`](Client::activities),
//!   [`attachments`](Client::attachments), [`integrations`](Client::integrations),
//!   [`integration_keys`](Client::integration_keys), [`webhooks`](Client::webhooks),
//!   [`switchboards`](Client::switchboards) and
//!   [`switchboard_actions`](Client::switchboard_actions) (pass, offer, accept, release
//!   control).
//! - Lists: one [`Page`] with `send()`, or every item over all pages with `stream()` (a
//!   `Stream`) or `all()`; cursors as SunCo gives them, guarded against a repeated one.
//! - [`jwt`]: the user token the web and mobile SDKs log in with.
//! - [`inbound`]: the calls SunCo makes to *your* service: `X-API-Key` verification and the
//!   v2 event envelope, every documented event type typed. (The integration that sends them is made with
//!   [`Client::integrations`].)
//! - Errors: one [`Error`]; SunCo's `{"errors":[..]}` bodies become an [`ApiError`].
//! - `testing` (feature): `FakeSunCo`, a stateful SunCo app on loopback with fault injection,
//!   to test your service against.
//!
//! ```no_run
//! # async fn demo() -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::{Auth, Client, NewContent, NewMessage, UserFilter};
//!
//! let client = Client::builder()
//!     .app_id("5ebee0975ac5304b664a12fa")
//!     .zendesk_subdomain("acme")?
//!     .auth(Auth::basic("app_5ebee0975ac5", "key-secret"))
//!     .build()?;
//! let Some(user) = client.users().find("jane.doe@example.com").await? else {
//!     return Ok(()); // the customer never opened the messenger
//! };
//! let page = client.conversations().list(UserFilter::UserId(user.id.clone())).send().await?;
//! let conversation = match page.conversations.into_iter().next() {
//!     Some(conversation) => conversation,
//!     None => client.conversations().create_personal(&user.id, None).await?,
//! };
//! let message = NewMessage::new(NewContent::markdown("Hello **Jane**"))
//!     .display_name("Sam from Support")
//!     .metadata("zendesk_comment_id", "1274");
//! client.messages().post(&conversation.id, &message).await?;
//! # Ok(()) }
//! ```

mod activities;
mod app_keys;
mod apps;
mod attachments;
mod client;
mod clients;
mod conversations;
mod devices;
mod envelope;
mod error;
pub mod inbound;
mod integration_keys;
mod integrations;
pub mod jwt;
mod messages;
mod open_enum;
mod pagination;
mod participants;
mod switchboard_actions;
mod switchboards;
mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
mod timestamp;
mod users;
mod webhooks;

pub use activities::{Activities, Activity, ActivityAuthor};
pub use app_keys::{ApiKey, AppKeys};
pub use apps::{App, AppSettings, AppUpdate, Apps, NewApp};
pub use attachments::{Attachment, Attachments};
pub use client::{Auth, Client, ClientBuilder, DEFAULT_TIMEOUT, Host, RetryPolicy};
pub use clients::{
    ChannelClient, ClientStatus, Clients, Confirmation, ConfirmationType, NewClient, Target,
};
pub use conversations::{
    Conversation, ConversationPage, ConversationType, ConversationUpdate, Conversations,
    ConversionChannel, ConversionEvents, InteractiveDataRef, ListConversations, MAX_PARTICIPANTS,
    NewConversation, ParticipantRef, SwitchboardIntegrationRef, UserFilter,
};
pub use devices::{Device, DeviceType, Devices};
pub use error::{ApiError, Error, Result};
pub use integration_keys::IntegrationKeys;
pub use integrations::{
    Integration, IntegrationUpdate, IntegrationWebhook, Integrations, ListIntegrations,
    NewIntegration,
};
pub use messages::{
    Author, AuthorType, AuthorUser, BusinessAuthor, Content, ListMessages, MAX_TEXT_CHARS,
    MediaContent, Message, MessagePage, Messages, NewContent, NewMessage, Source, TextContent,
};
pub use pagination::{List, MAX_PAGES, Page};
pub use participants::{ClientAssociation, Participant, Participants};
pub use secrecy::{ExposeSecret, SecretString};
pub use switchboard_actions::SwitchboardActions;
pub use switchboards::{
    NewSwitchboardIntegration, Switchboard, SwitchboardIntegration, SwitchboardIntegrationUpdate,
    SwitchboardUpdate, Switchboards,
};
pub use users::{Identity, NewUser, Profile, User, UserUpdate, Users};
pub use webhooks::{NewWebhook, WebhookUpdate, Webhooks};

/// The README's examples, compiled by `cargo test --doc` so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
