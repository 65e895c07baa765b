//! A user's clients: the user's presence on one channel (the Web Messenger, an SDK,
//! WhatsApp, ...). Creating one links the user to a channel (channel linking).
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Clients>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use futures_util::TryStreamExt;
//!
//! let clients: Vec<_> = client.clients().list("jane@example.com").all().await?;
//! for channel in clients {
//!     println!("{:?} {:?}", channel.kind, channel.status);
//! }
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Call, non_empty};
use crate::open_enum::open_enum;
use crate::pagination::{Direction, List};
use crate::{Client, NewMessage, Result};

open_enum! {
    /// Whether a client can reach its user.
    pub enum ClientStatus {
        /// Linked and reachable.
        Active = "active",
        /// The user blocked the business on that channel.
        Blocked = "blocked",
        /// No longer in use.
        Inactive = "inactive",
        /// A channel link waiting for the user's confirmation.
        Pending = "pending",
    }
}

/// A SunCo *client*: one user's presence on one channel. (Named so that it is not taken
/// for the API [`Client`].)
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ChannelClient {
    /// Its id.
    pub id: String,
    /// The channel type, e.g. `sdk`, `web`, `whatsapp`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Its status.
    #[serde(default)]
    pub status: Option<ClientStatus>,
    /// The integration it belongs to.
    #[serde(default)]
    pub integration_id: Option<String>,
    /// The user's id on that channel (a phone number, a page-scoped id, ...).
    #[serde(default)]
    pub external_id: Option<String>,
    /// When the user was last seen on it.
    #[serde(default, with = "crate::timestamp::optional")]
    pub last_seen: Option<time::OffsetDateTime>,
    /// When it was linked to the user.
    #[serde(default, with = "crate::timestamp::optional")]
    pub linked_at: Option<time::OffsetDateTime>,
    /// The user's name on that channel.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The user's avatar on that channel.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// Channel-specific details.
    #[serde(default)]
    pub info: Option<Map<String, Value>>,
    /// The channel's own data, as it sent it.
    #[serde(default)]
    pub raw: Option<Map<String, Value>>,
}

open_enum! {
    /// How a channel link is confirmed.
    pub enum ConfirmationType {
        /// Linked at once.
        Immediate = "immediate",
        /// Linked when the user next writes on the channel.
        UserActivity = "userActivity",
        /// The user is sent a message asking to confirm.
        Prompt = "prompt",
    }
}

/// A channel link, for [`Clients::create`]: who to find on which channel, how the link is
/// confirmed, and the conversation it joins.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct NewClient {
    /// How to find the user on the channel, e.g. `{"type": "whatsapp", "integrationId":
    /// "..", "phoneNumber": "+1 212-555-2368"}`; its fields depend on the channel.
    pub match_criteria: Map<String, Value>,
    /// How the link is confirmed.
    pub confirmation: Confirmation,
    /// The conversation the client joins.
    pub target: Target,
}

/// How a channel link is confirmed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Confirmation {
    /// The way.
    #[serde(rename = "type")]
    pub kind: ConfirmationType,
    /// For [`ConfirmationType::Prompt`]: the message to send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<NewMessage>,
}

/// The conversation a new client joins.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// Its id.
    pub conversation_id: String,
}

impl NewClient {
    /// Links the user found by `match_criteria` into `conversation_id`, confirmed `how`.
    pub fn new(
        match_criteria: Map<String, Value>,
        how: ConfirmationType,
        conversation_id: impl Into<String>,
    ) -> Self {
        Self {
            match_criteria,
            confirmation: Confirmation {
                kind: how,
                message: None,
            },
            target: Target {
                conversation_id: conversation_id.into(),
            },
        }
    }

    /// The message that asks the user to confirm (with [`ConfirmationType::Prompt`]).
    pub fn prompt(mut self, message: NewMessage) -> Self {
        self.confirmation.message = Some(message);
        self
    }
}

/// Client calls: `client.clients()`.
#[derive(Debug, Clone, Copy)]
pub struct Clients<'c> {
    client: &'c Client,
}

impl Client {
    /// Calls on users' clients (channels).
    pub fn clients(&self) -> Clients<'_> {
        Clients { client: self }
    }
}

impl<'c> Clients<'c> {
    /// Links a user to a channel.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(
        &self,
        user_id_or_external_id: &str,
        new_client: &NewClient,
    ) -> Result<ChannelClient> {
        non_empty("user id", user_id_or_external_id)?;
        non_empty("conversation id", &new_client.target.conversation_id)?;
        let url = self
            .client
            .app_url(&["users", user_id_or_external_id, "clients"], None)?;
        let call = Call::new(Method::POST, url).json(new_client)?;
        self.client.fetch(call, "client").await
    }

    /// Lists a user's clients.
    pub fn list(&self, user_id_or_external_id: &str) -> List<'c, ChannelClient> {
        List::in_app(
            self.client,
            &["users", user_id_or_external_id, "clients"],
            "clients",
            Direction::Forwards,
            |item| &item.id,
        )
    }

    /// Removes a client from a user (the user is no longer reached on that channel).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn remove(&self, user_id_or_external_id: &str, client_id: &str) -> Result<()> {
        non_empty("user id", user_id_or_external_id)?;
        non_empty("client id", client_id)?;
        let url = self.client.app_url(
            &["users", user_id_or_external_id, "clients", client_id],
            None,
        )?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }
}
