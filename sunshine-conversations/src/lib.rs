//! # sunshine-conversations
//!
//! A typed async client for the Sunshine Conversations (SunCo, formerly Smooch) API v2: the
//! SunCo half of the `zendesk-sunco` SDK, usable on its own.
//!
//! - [`Client`]: built with [`Client::builder`] for one app, on a Zendesk account's host
//!   (`https://{subdomain}.zendesk.com/sc`), legacy Smooch US or EU, or any base URL;
//!   [`Auth`] is an API key as basic auth or an app-scoped JWT.
//! - Resources: [`users`](Client::users) (get or find by id or external id, create),
//!   [`conversations`](Client::conversations) (list a user's, create a personal one),
//!   [`messages`](Client::messages) (post as the business, list),
//!   [`attachments`](Client::attachments) (upload), [`integrations`](Client::integrations)
//!   (create a custom integration with a webhook, read its secret).
//! - [`jwt`]: the user token the web and mobile SDKs log in with.
//! - [`inbound`]: the calls SunCo makes to *your* service: `X-API-Key` verification and the
//!   v2 event envelope. (The integration that sends them is made with
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

mod attachments;
mod client;
mod conversations;
mod error;
pub mod inbound;
mod integrations;
pub mod jwt;
mod messages;
mod open_enum;
mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
mod timestamp;
mod users;

pub use attachments::{Attachment, Attachments};
pub use client::{Auth, Client, ClientBuilder, DEFAULT_TIMEOUT, Host, RetryPolicy};
pub use conversations::{
    Conversation, ConversationPage, ConversationType, Conversations, ListConversations, UserFilter,
};
pub use error::{ApiError, Error, Result};
pub use integrations::{Integration, IntegrationWebhook, Integrations};
pub use messages::{
    Author, AuthorType, AuthorUser, BusinessAuthor, Content, ListMessages, MAX_TEXT_CHARS,
    MediaContent, Message, MessagePage, Messages, NewContent, NewMessage, Source, TextContent,
};
pub use secrecy::{ExposeSecret, SecretString};
pub use users::{Profile, User, Users};

/// The README's examples, compiled by `cargo test --doc` so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
