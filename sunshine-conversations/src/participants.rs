//! Participants: users joining and leaving a conversation (SDK group conversations), and
//! who is in one.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Participants>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::{ParticipantRef, UserFilter};
//!
//! let joined = client
//!     .participants()
//!     .join("c616a583e4c240a871818541", &ParticipantRef::external_id("jane@example.com"))
//!     .await?;
//! client
//!     .participants()
//!     .leave("c616a583e4c240a871818541", &UserFilter::UserId(joined.user_id.clone().unwrap_or_default()))
//!     .await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, non_empty};
use crate::pagination::{Direction, List};
use crate::{Client, ParticipantRef, Result, UserFilter};

/// A user's place in a conversation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The participant's id (not the user's).
    pub id: String,
    /// The user's id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The user's external id.
    #[serde(default)]
    pub user_external_id: Option<String>,
    /// Messages the user has not read.
    #[serde(default)]
    pub unread_count: Option<u64>,
    /// When the user last read the conversation.
    #[serde(default, with = "crate::timestamp::optional")]
    pub last_read: Option<time::OffsetDateTime>,
    /// The user's clients subscribed to the conversation.
    #[serde(default, deserialize_with = "crate::envelope::null_as_default")]
    pub client_associations: Vec<ClientAssociation>,
}

/// A client of the user subscribed to a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ClientAssociation {
    /// The client's type, e.g. `sdk`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The client's id.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// Who leaves: a user by id or external id, or a participant by id.
#[derive(Serialize)]
enum Leaver<'a> {
    #[serde(rename = "userId")]
    User(&'a str),
    #[serde(rename = "userExternalId")]
    ExternalUser(&'a str),
    #[serde(rename = "participantId")]
    Participant(&'a str),
}

/// Participant calls: `client.participants()`.
#[derive(Debug, Clone, Copy)]
pub struct Participants<'c> {
    client: &'c Client,
}

impl Client {
    /// Calls on conversations' participants.
    pub fn participants(&self) -> Participants<'_> {
        Participants { client: self }
    }
}

impl<'c> Participants<'c> {
    /// Adds a user to a conversation (an SDK group: a personal conversation keeps its one
    /// user, and SunCo refuses).
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for a participant without exactly one id;
    /// see [`Error`](crate::Error).
    pub async fn join(
        &self,
        conversation_id: &str,
        participant: &ParticipantRef,
    ) -> Result<Participant> {
        non_empty("conversation id", conversation_id)?;
        participant.check()?;
        let url = self
            .client
            .app_url(&["conversations", conversation_id, "join"], None)?;
        let call = Call::new(Method::POST, url).json(participant)?;
        self.client.fetch(call, "participant").await
    }

    /// Removes a user from a conversation.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn leave(&self, conversation_id: &str, user: &UserFilter) -> Result<()> {
        non_empty("conversation id", conversation_id)?;
        let leaver = match user {
            UserFilter::UserId(id) => Leaver::User(id),
            UserFilter::ExternalId(id) => Leaver::ExternalUser(id),
        };
        self.leave_as(conversation_id, &leaver).await
    }

    /// Removes a participant, by the participant's own id, from a conversation.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn remove(&self, conversation_id: &str, participant_id: &str) -> Result<()> {
        non_empty("conversation id", conversation_id)?;
        non_empty("participant id", participant_id)?;
        self.leave_as(conversation_id, &Leaver::Participant(participant_id))
            .await
    }

    async fn leave_as(&self, conversation_id: &str, body: &Leaver<'_>) -> Result<()> {
        let url = self
            .client
            .app_url(&["conversations", conversation_id, "leave"], None)?;
        let call = Call::new(Method::POST, url).json(body)?;
        self.client.execute(call).await
    }

    /// Lists a conversation's participants.
    pub fn list(&self, conversation_id: &str) -> List<'c, Participant> {
        List::in_app(
            self.client,
            &["conversations", conversation_id, "participants"],
            "participants",
            Direction::Forwards,
            |item| &item.id,
        )
    }
}
