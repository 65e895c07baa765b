//! Messages: post as the business, list a conversation's, delete one or all.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Messages>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::{NewContent, NewMessage};
//!
//! let conversation = "c616a583e4c240a871818541";
//! let posted = client
//!     .messages()
//!     .post(conversation, &NewMessage::new(NewContent::text("Your order shipped")))
//!     .await?;
//! // Every message, newest page first:
//! let history = client.messages().list(conversation).all().await?;
//! assert!(history.iter().any(|message| message.id == posted[0].id));
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use futures_util::stream::BoxStream;

use crate::client::{Call, decode, non_empty};
use crate::open_enum::open_enum;
use crate::pagination::{Direction, List};
use crate::{Client, Error, Result};

/// The most characters SunCo accepts in a message's text, counted as its JavaScript service
/// counts them: UTF-16 code units, so an emoji outside the Basic Multilingual Plane counts
/// two. For `markdownText` SunCo applies the limit to the HTML it renders, which only it can
/// know exactly: a Markdown text within this limit may still be refused with a 400.
pub const MAX_TEXT_CHARS: usize = 4096;

open_enum! {
    /// Who wrote a message.
    pub enum AuthorType {
        /// The end user.
        User = "user",
        /// The business: agents, bots, and this SDK's own messages.
        Business = "business",
    }
}

/// A message as SunCo returns it (API answers and webhooks alike).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The message's id.
    pub id: String,
    /// When SunCo received it.
    #[serde(default, with = "crate::timestamp::optional")]
    pub received: Option<time::OffsetDateTime>,
    /// Who wrote it.
    pub author: Author,
    /// What it says.
    pub content: Content,
    /// Where it came from.
    #[serde(default)]
    pub source: Option<Source>,
    /// Free-form metadata (the bridge keeps the Zendesk comment id here).
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// A message's author.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Author {
    /// User or business.
    #[serde(rename = "type")]
    pub kind: AuthorType,
    /// The user's SunCo id, for user messages.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The name shown.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The avatar shown.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The user, for user messages in webhooks.
    #[serde(default)]
    pub user: Option<AuthorUser>,
}

/// The user behind a user message, as webhooks include it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct AuthorUser {
    /// SunCo's id.
    pub id: String,
    /// Your id for them.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// Where a message came from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The channel, e.g. `web`, `ios`, `api:conversations`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The integration it came through.
    #[serde(default)]
    pub integration_id: Option<String>,
}

/// What a message says. Types this crate does not model arrive as [`Content::Unknown`] with
/// the raw JSON, so a new SunCo message type never breaks parsing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(untagged)]
pub enum Content {
    /// Text.
    Text(TextContent),
    /// An image.
    Image(MediaContent),
    /// A file.
    File(MediaContent),
    /// Anything else (carousel, form, location, ...), as sent.
    Unknown(Value),
}

/// Text content.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct TextContent {
    /// The text.
    #[serde(default)]
    pub text: Option<String>,
    /// The Markdown it was written in, when it was.
    #[serde(default)]
    pub markdown_text: Option<String>,
}

/// Image or file content.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct MediaContent {
    /// Where the file is.
    pub media_url: String,
    /// Its MIME type.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Its size in bytes. A JSON number that SunCo does not promise to be an integer.
    #[serde(default)]
    pub media_size: Option<f64>,
    /// Alternative text.
    #[serde(default)]
    pub alt_text: Option<String>,
    /// Accompanying text.
    #[serde(default)]
    pub text: Option<String>,
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = Value::deserialize(deserializer)?;
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let parse = |value: Value| -> Result<MediaContent, D::Error> {
            serde_json::from_value(value).map_err(D::Error::custom)
        };
        Ok(match kind {
            "text" => Content::Text(serde_json::from_value(value).map_err(D::Error::custom)?),
            "image" => Content::Image(parse(value)?),
            "file" => Content::File(parse(value)?),
            _ => {
                tracing::debug!(kind, "unknown SunCo content type");
                Content::Unknown(value)
            }
        })
    }
}

impl Content {
    /// The text of the message, whatever its type (for text: the text).
    pub fn text(&self) -> Option<&str> {
        match self {
            Content::Text(text) => text.text.as_deref(),
            Content::Image(media) | Content::File(media) => media.text.as_deref(),
            Content::Unknown(value) => value.get("text").and_then(Value::as_str),
        }
    }
}

/// Content to post.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(
    tag = "type",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum NewContent {
    /// Text, plain or Markdown (SunCo renders `markdownText` for each channel).
    Text {
        /// Plain text.
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        /// Markdown.
        #[serde(skip_serializing_if = "Option::is_none")]
        markdown_text: Option<String>,
    },
    /// An image at a URL.
    Image {
        /// The image's URL.
        media_url: String,
        /// Alternative text.
        #[serde(skip_serializing_if = "Option::is_none")]
        alt_text: Option<String>,
        /// Accompanying text.
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// A file at a URL.
    File {
        /// The file's URL.
        media_url: String,
        /// Alternative text.
        #[serde(skip_serializing_if = "Option::is_none")]
        alt_text: Option<String>,
        /// Accompanying text.
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
}

impl NewContent {
    /// Plain text.
    pub fn text(text: impl Into<String>) -> Self {
        NewContent::Text {
            text: Some(text.into()),
            markdown_text: None,
        }
    }

    /// Markdown text.
    pub fn markdown(markdown: impl Into<String>) -> Self {
        NewContent::Text {
            text: None,
            markdown_text: Some(markdown.into()),
        }
    }

    /// An image, with optional text.
    pub fn image(media_url: impl Into<String>, text: Option<String>) -> Self {
        NewContent::Image {
            media_url: media_url.into(),
            alt_text: None,
            text,
        }
    }

    /// A file, with optional text.
    pub fn file(media_url: impl Into<String>, text: Option<String>) -> Self {
        NewContent::File {
            media_url: media_url.into(),
            alt_text: None,
            text,
        }
    }

    fn texts(&self) -> [Option<&str>; 2] {
        match self {
            NewContent::Text {
                text,
                markdown_text,
            } => [text.as_deref(), markdown_text.as_deref()],
            NewContent::Image { text, alt_text, .. } | NewContent::File { text, alt_text, .. } => {
                [text.as_deref(), alt_text.as_deref()]
            }
        }
    }

    /// Checks SunCo's limits before anything is sent.
    fn check(&self) -> Result<()> {
        if let NewContent::Text {
            text: None,
            markdown_text: None,
        } = self
        {
            return Err(Error::Config("a text message needs text".into()));
        }
        for text in self.texts().into_iter().flatten() {
            let length = text.encode_utf16().count();
            if length > MAX_TEXT_CHARS {
                return Err(Error::TextTooLong {
                    length,
                    limit: MAX_TEXT_CHARS,
                });
            }
        }
        Ok(())
    }
}

/// A message to post as the business.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewMessage {
    /// The business author shown.
    pub author: BusinessAuthor,
    /// The content.
    pub content: NewContent,
    /// Metadata kept on the message (e.g. the source comment id, for deduplication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// The business author of a posted message.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct BusinessAuthor {
    /// The name shown, e.g. the agent's.
    pub display_name: Option<String>,
    /// The avatar shown.
    pub avatar_url: Option<String>,
}

impl Serialize for BusinessAuthor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", "business")?;
        if let Some(name) = &self.display_name {
            map.serialize_entry("displayName", name)?;
        }
        if let Some(avatar) = &self.avatar_url {
            map.serialize_entry("avatarUrl", avatar)?;
        }
        map.end()
    }
}

impl NewMessage {
    /// A business message.
    pub fn new(content: NewContent) -> Self {
        Self {
            author: BusinessAuthor::default(),
            content,
            metadata: None,
        }
    }

    /// Shows the message as from `name`.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.author.display_name = Some(name.into());
        self
    }

    /// Shows the message with an avatar.
    pub fn avatar_url(mut self, url: impl Into<String>) -> Self {
        self.author.avatar_url = Some(url.into());
        self
    }

    /// Adds a metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }
}

#[derive(Deserialize)]
struct MessagesEnvelope {
    #[serde(default)]
    messages: Vec<Message>,
}

/// One page of a conversation's messages, newest page first.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MessagePage {
    /// The messages, oldest first within the page.
    pub messages: Vec<Message>,
    /// Whether older messages exist.
    pub has_more: bool,
    /// The cursor for the older page (`page[before]`).
    pub before_cursor: Option<String>,
}

/// Message calls: `client.messages()`.
#[derive(Debug, Clone, Copy)]
pub struct Messages<'c> {
    client: &'c Client,
}

impl Client {
    /// Message calls.
    pub fn messages(&self) -> Messages<'_> {
        Messages { client: self }
    }
}

impl<'c> Messages<'c> {
    /// Posts a message; answers the message(s) SunCo created.
    ///
    /// Checked before sending: text over [`MAX_TEXT_CHARS`] (UTF-16 code units) is
    /// [`Error::TextTooLong`].
    /// Repeated only when it surely never reached SunCo; after a timeout it is **not** sent
    /// again: list the conversation's messages and look for its `metadata` first.
    ///
    /// # Errors
    /// [`Error::ConversationLocked`] at SunCo's message limit; see [`Error`].
    pub async fn post(&self, conversation_id: &str, message: &NewMessage) -> Result<Vec<Message>> {
        message.content.check()?;
        non_empty("conversation id", conversation_id)?;
        let url = self
            .client
            .app_url(&["conversations", conversation_id, "messages"], None)?;
        let call = Call::new(Method::POST, url).json(message)?;
        let envelope: MessagesEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.messages)
    }

    /// Deletes one message (for everyone: it disappears from the user's clients that
    /// support deletion).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete(&self, conversation_id: &str, message_id: &str) -> Result<()> {
        non_empty("conversation id", conversation_id)?;
        non_empty("message id", message_id)?;
        let url = self.client.app_url(
            &["conversations", conversation_id, "messages", message_id],
            None,
        )?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Deletes every message of a conversation; the conversation stays.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn delete_all(&self, conversation_id: &str) -> Result<()> {
        non_empty("conversation id", conversation_id)?;
        let url = self
            .client
            .app_url(&["conversations", conversation_id, "messages"], None)?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Starts a listing of a conversation's messages: the newest page first.
    pub fn list(&self, conversation_id: &str) -> ListMessages<'c> {
        ListMessages {
            client: self.client,
            conversation_id: conversation_id.to_owned(),
            before: None,
        }
    }
}

/// A messages listing, sent with [`send`](Self::send) (one page), or walked back to the
/// first message with [`stream`](Self::stream) and [`all`](Self::all).
#[derive(Debug)]
#[must_use = "nothing is sent until `send`, `all` or `stream`"]
pub struct ListMessages<'c> {
    client: &'c Client,
    conversation_id: String,
    before: Option<String>,
}

impl<'c> ListMessages<'c> {
    /// The page before a cursor (older messages).
    pub fn before(mut self, cursor: impl Into<String>) -> Self {
        self.before = Some(cursor.into());
        self
    }

    fn to_list(&self) -> List<'c, Message> {
        let list = List::in_app(
            self.client,
            &["conversations", &self.conversation_id, "messages"],
            "messages",
            Direction::Backwards,
            |item: &Message| &item.id,
        );
        match &self.before {
            Some(cursor) => list.before(cursor.clone()),
            None => list,
        }
    }

    /// Fetches one page (up to 100 messages).
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn send(&self) -> Result<MessagePage> {
        let page = self.to_list().send().await?;
        Ok(MessagePage {
            messages: page.items,
            has_more: page.has_more,
            before_cursor: page.before_cursor,
        })
    }

    /// Every message from here back to the conversation's first: the newest page first,
    /// each page oldest first, read as the stream is polled.
    pub fn stream(self) -> BoxStream<'c, Result<Message>> {
        self.to_list().stream()
    }

    /// Every message from here back to the first, collected in the order
    /// [`stream`](Self::stream) yields them.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn all(self) -> Result<Vec<Message>> {
        self.to_list().all().await
    }
}
