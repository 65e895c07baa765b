//! Conversations: list a user's, and create a personal one.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Conversations>

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Call, decode, encode};
use crate::open_enum::open_enum;
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

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Meta {
    #[serde(default)]
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) after_cursor: Option<String>,
    #[serde(default)]
    pub(crate) before_cursor: Option<String>,
}

#[derive(Deserialize)]
struct ConversationList {
    #[serde(default)]
    conversations: Vec<Conversation>,
    #[serde(default)]
    meta: Meta,
}

#[derive(Deserialize)]
struct ConversationEnvelope {
    conversation: Conversation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewConversation<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    participants: [Participant<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Map<String, Value>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Participant<'a> {
    user_id: &'a str,
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
        if user_id.is_empty() {
            return Err(Error::Config("the user id is empty".into()));
        }
        let url = self.client.app_url(&["conversations"], None)?;
        let call = Call::new(Method::POST, url).json(&NewConversation {
            kind: "personal",
            participants: [Participant { user_id }],
            metadata,
        })?;
        let envelope: ConversationEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.conversation)
    }
}

/// A conversations listing, sent with [`send`](Self::send).
#[derive(Debug)]
#[must_use = "nothing is sent until `send`"]
pub struct ListConversations<'c> {
    client: &'c Client,
    filter: UserFilter,
    page_size: Option<u32>,
    after: Option<String>,
}

impl ListConversations<'_> {
    /// Conversations per page, 1 to 100.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size.clamp(1, 100));
        self
    }

    /// Starts after a cursor (`page[after]`).
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// The query string, with SunCo's bracketed names spelled out literally
    /// (`filter[userExternalId]=...&page[size]=...`) and every value percent-encoded.
    pub fn query(&self) -> String {
        let (name, value) = match &self.filter {
            UserFilter::UserId(id) => ("filter[userId]", id),
            UserFilter::ExternalId(id) => ("filter[userExternalId]", id),
        };
        let mut query = format!("{name}={}", encode(value));
        if let Some(after) = &self.after {
            query.push_str(&format!("&page[after]={}", encode(after)));
        }
        if let Some(size) = self.page_size {
            query.push_str(&format!("&page[size]={size}"));
        }
        query
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn send(&self) -> Result<ConversationPage> {
        let url = self
            .client
            .app_url(&["conversations"], Some(&self.query()))?;
        let list: ConversationList =
            decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        let after_cursor = list.meta.after_cursor.filter(|cursor| !cursor.is_empty());
        Ok(ConversationPage {
            conversations: list.conversations,
            has_more: list.meta.has_more && after_cursor.is_some(),
            after_cursor,
        })
    }
}
