//! Conversations: create, list a user's, read, update, delete; download an Apple Messages
//! for Business message reference; post conversion events to Meta.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Conversations>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use futures_util::TryStreamExt;
//! use sunshine_conversations::{ConversationUpdate, UserFilter};
//!
//! let mut conversations = client
//!     .conversations()
//!     .list(UserFilter::ExternalId("jane@example.com".into()))
//!     .stream();
//! while let Some(conversation) = conversations.try_next().await? {
//!     let update = ConversationUpdate::default().display_name("Billing");
//!     client.conversations().update(&conversation.id, &update).await?;
//! }
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use futures_util::stream::BoxStream;

use crate::client::{Call, decode, non_empty};
use crate::open_enum::open_enum;
use crate::pagination::{Direction, List};
use crate::{Client, Error, Result};

open_enum! {
    /// A conversation's type.
    pub enum ConversationType {
        /// One user and the business.
        Personal = "personal",
        /// Several SDK users.
        SdkGroup = "sdkGroup",
    }
}

/// A conversation.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// Its id.
    pub id: String,
    /// Personal or group.
    #[serde(rename = "type")]
    pub kind: Option<ConversationType>,
    /// Whether it is the user's default conversation.
    #[serde(default)]
    pub is_default: Option<bool>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Last activity.
    #[serde(default, with = "crate::timestamp::optional")]
    pub last_updated_at: Option<time::OffsetDateTime>,
    /// Creation time.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// Its icon.
    #[serde(default)]
    pub icon_url: Option<String>,
    /// When the business last read it.
    #[serde(default, with = "crate::timestamp::optional")]
    pub business_last_read: Option<time::OffsetDateTime>,
    /// The switchboard integration in control of it (the bot, or the agents' workspace).
    #[serde(default)]
    pub active_switchboard_integration: Option<SwitchboardIntegrationRef>,
    /// The switchboard integration control was offered to and has not yet accepted.
    #[serde(default)]
    pub pending_switchboard_integration: Option<SwitchboardIntegrationRef>,
}

/// The switchboard integration a conversation names (in control, or offered control).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct SwitchboardIntegrationRef {
    /// Its id.
    pub id: String,
    /// Its name, e.g. `bot` or `agent-workspace`.
    #[serde(default)]
    pub name: Option<String>,
    /// The integration behind it.
    #[serde(default)]
    pub integration_id: Option<String>,
    /// That integration's type, e.g. `zd:agentWorkspace`.
    #[serde(default)]
    pub integration_type: Option<String>,
}

/// Which user's conversations to list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserFilter {
    /// By SunCo user id: `filter[userId]`.
    UserId(String),
    /// By external id: `filter[userExternalId]`.
    ExternalId(String),
}

/// One page of conversations.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConversationPage {
    /// The conversations.
    pub conversations: Vec<Conversation>,
    /// Whether there are more.
    pub has_more: bool,
    /// The cursor for `page[after]`.
    pub after_cursor: Option<String>,
}

/// The participant of a new conversation, or one who joins: a user by id or external id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ParticipantRef {
    /// The user's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Or the user's external id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_external_id: Option<String>,
    /// Also subscribe the user's SDK client to the conversation (SDK group conversations).
    #[serde(rename = "subscribeSDKClient", skip_serializing_if = "Option::is_none")]
    pub subscribe_sdk_client: Option<bool>,
}

impl ParticipantRef {
    /// A user by SunCo id.
    pub fn user_id(user_id: impl Into<String>) -> Self {
        Self {
            user_id: Some(user_id.into()),
            user_external_id: None,
            subscribe_sdk_client: None,
        }
    }

    /// A user by external id.
    pub fn external_id(external_id: impl Into<String>) -> Self {
        Self {
            user_id: None,
            user_external_id: Some(external_id.into()),
            subscribe_sdk_client: None,
        }
    }

    /// Also subscribes the user's SDK client.
    pub fn subscribe_sdk_client(mut self, subscribe: bool) -> Self {
        self.subscribe_sdk_client = Some(subscribe);
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        let named = |id: &Option<String>| id.as_deref().is_some_and(|id| !id.is_empty());
        if named(&self.user_id) == named(&self.user_external_id) {
            return Err(Error::Config(
                "a participant needs exactly one of a user id and an external id".into(),
            ));
        }
        Ok(())
    }
}

/// A new conversation, for [`Conversations::create`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct NewConversation {
    /// `personal` (one user) or `sdkGroup` (up to 10 participants).
    #[serde(rename = "type")]
    pub kind: ConversationType,
    /// Its participants (at most 10; a personal conversation has one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<ParticipantRef>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// Flat key-value data of your own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// The most participants SunCo takes in one conversation create.
pub const MAX_PARTICIPANTS: usize = 10;

impl NewConversation {
    /// A personal conversation of one user.
    pub fn personal(participant: ParticipantRef) -> Self {
        Self::new(ConversationType::Personal, vec![participant])
    }

    /// An SDK group conversation of up to [`MAX_PARTICIPANTS`] users.
    pub fn sdk_group(participants: Vec<ParticipantRef>) -> Self {
        Self::new(ConversationType::SdkGroup, participants)
    }

    fn new(kind: ConversationType, participants: Vec<ParticipantRef>) -> Self {
        Self {
            kind,
            participants,
            display_name: None,
            description: None,
            icon_url: None,
            metadata: None,
        }
    }

    /// With a name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// With metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

/// The fields of a conversation to change, for [`Conversations::update`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ConversationUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// A new description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A new icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// New metadata (replaces the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

impl ConversationUpdate {
    /// Renames the conversation.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Replaces the metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

/// An Apple Messages for Business interactive message reference, for
/// [`Conversations::download_message_ref`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct InteractiveDataRef {
    /// Where the encrypted payload is.
    pub url: String,
    /// The bid.
    pub bid: String,
    /// The decryption key.
    pub key: String,
    /// The signature.
    pub signature: String,
    /// The owner.
    pub owner: String,
}

impl InteractiveDataRef {
    /// A reference, from the fields of a message's `interactiveDataRef`.
    pub fn new(
        url: impl Into<String>,
        bid: impl Into<String>,
        key: impl Into<String>,
        signature: impl Into<String>,
        owner: impl Into<String>,
    ) -> Self {
        Self {
            url: url.into(),
            bid: bid.into(),
            key: key.into(),
            signature: signature.into(),
            owner: owner.into(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DownloadBody<'a> {
    user_id: &'a str,
    apple: AppleRef<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppleRef<'a> {
    interactive_data_ref: &'a InteractiveDataRef,
}

open_enum! {
    /// The Meta channel a conversion event is for.
    pub enum ConversionChannel {
        /// Facebook Messenger.
        Messenger = "messenger",
        /// Instagram Direct.
        Instagram = "instagram",
        /// WhatsApp.
        Whatsapp = "whatsapp",
    }
}

/// What Meta acknowledged of posted conversion events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ConversionEvents {
    /// The Meta dataset they went to (SunCo's example writes it as a number).
    #[serde(default, deserialize_with = "crate::envelope::string_or_number")]
    pub dataset_id: Option<String>,
    /// How many events Meta received.
    #[serde(default)]
    pub events_received: Option<u64>,
}

/// Conversation calls: `client.conversations()`.
#[derive(Debug, Clone, Copy)]
pub struct Conversations<'c> {
    client: &'c Client,
}

impl Client {
    /// Conversation calls.
    pub fn conversations(&self) -> Conversations<'_> {
        Conversations { client: self }
    }
}

impl<'c> Conversations<'c> {
    /// Starts a listing of one user's conversations.
    pub fn list(&self, filter: UserFilter) -> ListConversations<'c> {
        ListConversations {
            client: self.client,
            filter,
            page_size: None,
            after: None,
        }
    }

    /// Creates a personal conversation for a user. Not retried after an ambiguous failure
    /// (it could create two): list the user's conversations before trying again.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn create_personal(
        &self,
        user_id: &str,
        metadata: Option<&Map<String, Value>>,
    ) -> Result<Conversation> {
        non_empty("user id", user_id)?;
        let mut conversation = NewConversation::personal(ParticipantRef::user_id(user_id));
        conversation.metadata = metadata.cloned();
        self.create(&conversation).await
    }

    /// Creates a conversation. Not retried after an ambiguous failure (it could create
    /// two).
    ///
    /// # Errors
    /// [`Error::Config`] for a participant without exactly one id, or more than
    /// [`MAX_PARTICIPANTS`]; see [`Error`].
    pub async fn create(&self, conversation: &NewConversation) -> Result<Conversation> {
        if conversation.participants.len() > MAX_PARTICIPANTS {
            return Err(Error::Config(format!(
                "{} participants; SunCo takes at most {MAX_PARTICIPANTS}",
                conversation.participants.len()
            )));
        }
        for participant in &conversation.participants {
            participant.check()?;
        }
        let url = self.client.app_url(&["conversations"], None)?;
        let call = Call::new(Method::POST, url).json(conversation)?;
        self.client.fetch(call, "conversation").await
    }

    /// Reads a conversation.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get(&self, conversation_id: &str) -> Result<Conversation> {
        non_empty("conversation id", conversation_id)?;
        let url = self
            .client
            .app_url(&["conversations", conversation_id], None)?;
        self.client
            .fetch(Call::new(Method::GET, url), "conversation")
            .await
    }

    /// Changes a conversation's name, description, icon or metadata. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn update(
        &self,
        conversation_id: &str,
        update: &ConversationUpdate,
    ) -> Result<Conversation> {
        non_empty("conversation id", conversation_id)?;
        let url = self
            .client
            .app_url(&["conversations", conversation_id], None)?;
        let call = Call::new(Method::PATCH, url).json(update)?.idempotent(true);
        self.client.fetch(call, "conversation").await
    }

    /// Deletes a conversation with its messages.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, conversation_id: &str) -> Result<()> {
        non_empty("conversation id", conversation_id)?;
        let url = self
            .client
            .app_url(&["conversations", conversation_id], None)?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Downloads an Apple Messages for Business interactive message reference (sent in a
    /// message's `interactiveDataRef`) and answers its decrypted content.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn download_message_ref(
        &self,
        conversation_id: &str,
        user_id: &str,
        reference: &InteractiveDataRef,
    ) -> Result<Value> {
        non_empty("conversation id", conversation_id)?;
        non_empty("user id", user_id)?;
        let url = self
            .client
            .app_url(&["conversations", conversation_id, "download"], None)?;
        let call = Call::new(Method::POST, url).json(&DownloadBody {
            user_id,
            apple: AppleRef {
                interactive_data_ref: reference,
            },
        })?;
        decode(self.client.send(call).await?).await
    }

    /// Posts conversion events (Meta's Conversions API events, `data`) for a conversation
    /// on a Meta channel.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn post_conversion_events(
        &self,
        conversation_id: &str,
        channel: ConversionChannel,
        data: Vec<Value>,
    ) -> Result<ConversionEvents> {
        non_empty("conversation id", conversation_id)?;
        let url = self.client.app_url(
            &["conversations", conversation_id, "conversionEvents"],
            None,
        )?;
        let mut body = Map::new();
        body.insert(
            channel.as_str().to_owned(),
            serde_json::json!({ "payload": { "data": data } }),
        );
        let call = Call::new(Method::POST, url).json(&body)?;
        self.client.fetch(call, "conversionEvents").await
    }
}

/// A conversations listing, sent with [`send`](Self::send) (one page), or walked with
/// [`stream`](Self::stream) and [`all`](Self::all).
#[derive(Debug)]
#[must_use = "nothing is sent until `send`, `all` or `stream`"]
pub struct ListConversations<'c> {
    client: &'c Client,
    filter: UserFilter,
    page_size: Option<u32>,
    after: Option<String>,
}

impl<'c> ListConversations<'c> {
    /// Items per page, 1 to 100.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size.clamp(1, 100));
        self
    }

    /// Starts after this cursor.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// The query string this listing sends.
    pub fn query(&self) -> String {
        self.to_list().query()
    }

    fn to_list(&self) -> List<'c, Conversation> {
        let (name, value) = match &self.filter {
            UserFilter::UserId(id) => ("filter[userId]", id),
            UserFilter::ExternalId(id) => ("filter[userExternalId]", id),
        };
        let mut list = List::in_app(
            self.client,
            &["conversations"],
            "conversations",
            Direction::Forwards,
            |item: &Conversation| &item.id,
        )
        .param(name, value.clone());
        if let Some(after) = &self.after {
            list = list.after(after.clone());
        }
        if let Some(size) = self.page_size {
            list = list.page_size(size);
        }
        list
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn send(&self) -> Result<ConversationPage> {
        let page = self.to_list().send().await?;
        Ok(ConversationPage {
            conversations: page.items,
            has_more: page.has_more,
            after_cursor: page.after_cursor,
        })
    }

    /// Every conversation of the user from here on, page by page as the stream is polled.
    pub fn stream(self) -> BoxStream<'c, Result<Conversation>> {
        self.to_list().stream()
    }

    /// Every conversation of the user from here on, collected.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn all(self) -> Result<Vec<Conversation>> {
        self.to_list().all().await
    }
}
