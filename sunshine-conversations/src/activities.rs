//! Activities: show the business typing, or mark a conversation read, in the user's
//! messenger.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Activities>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::{Activity, ActivityAuthor};
//!
//! let agent = ActivityAuthor::business().display_name("Sam from Support");
//! client.activities().post("c616a583e4c240a871818541", Activity::TypingStart, &agent).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::Serialize;

use crate::client::{Call, non_empty};
use crate::open_enum::open_enum;
use crate::{AuthorType, Client, Result};

open_enum! {
    /// What an activity says.
    pub enum Activity {
        /// The author read the conversation.
        ConversationRead = "conversation:read",
        /// The author started typing.
        TypingStart = "typing:start",
        /// The author stopped typing.
        TypingStop = "typing:stop",
    }
}

/// Who an activity is from: the business (typing indicators) or a user (read receipts on a
/// user's behalf).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ActivityAuthor {
    /// `business` or `user`.
    #[serde(rename = "type")]
    pub kind: AuthorType,
    /// The user, for a user's activity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Or the user's external id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_external_id: Option<String>,
    /// The name shown, for the business.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The avatar shown, for the business.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

impl ActivityAuthor {
    /// The business.
    pub fn business() -> Self {
        Self {
            kind: AuthorType::Business,
            user_id: None,
            user_external_id: None,
            display_name: None,
            avatar_url: None,
        }
    }

    /// A user, by SunCo id.
    pub fn user(user_id: impl Into<String>) -> Self {
        Self {
            kind: AuthorType::User,
            user_id: Some(user_id.into()),
            ..Self::business()
        }
    }

    /// The name shown.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// The avatar shown.
    pub fn avatar_url(mut self, url: impl Into<String>) -> Self {
        self.avatar_url = Some(url.into());
        self
    }
}

#[derive(Serialize)]
struct ActivityBody<'a> {
    author: &'a ActivityAuthor,
    #[serde(rename = "type")]
    kind: &'a Activity,
}

/// Activity calls: `client.activities()`.
#[derive(Debug, Clone, Copy)]
pub struct Activities<'c> {
    client: &'c Client,
}

impl Client {
    /// Activity calls (typing, read).
    pub fn activities(&self) -> Activities<'_> {
        Activities { client: self }
    }
}

impl Activities<'_> {
    /// Posts an activity to a conversation. Safe to repeat.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for a user's activity without a user; see
    /// [`Error`](crate::Error).
    pub async fn post(
        &self,
        conversation_id: &str,
        activity: Activity,
        author: &ActivityAuthor,
    ) -> Result<()> {
        non_empty("conversation id", conversation_id)?;
        if author.kind == AuthorType::User
            && author.user_id.is_none()
            && author.user_external_id.is_none()
        {
            return Err(crate::Error::Config(
                "a user's activity needs the user's id or external id".into(),
            ));
        }
        let url = self
            .client
            .app_url(&["conversations", conversation_id, "activity"], None)?;
        let call = Call::new(Method::POST, url)
            .json(&ActivityBody {
                author,
                kind: &activity,
            })?
            .idempotent(true);
        self.client.execute(call).await
    }
}
