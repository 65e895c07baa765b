//! Switchboard actions: hand a conversation from one switchboard integration to another —
//! how a bot passes a customer to agents and how they hand it back.
//!
//! - pass: control goes at once to the named switchboard integration;
//! - offer: it is offered, and the offered integration accepts it;
//! - release: control goes to the next integration the switchboard names.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Switchboard-Actions>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! let mut metadata = serde_json::Map::new();
//! metadata.insert("first_message_id".into(), "603012d7e0a3f9000c879b67".into());
//! client
//!     .switchboard_actions()
//!     .pass_control("c616a583e4c240a871818541", "agent-workspace", Some(metadata))
//!     .await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::client::{Call, non_empty};
use crate::{Client, Result};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ControlBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    switchboard_integration: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Map<String, Value>>,
}

/// Switchboard action calls: `client.switchboard_actions()`.
#[derive(Debug, Clone, Copy)]
pub struct SwitchboardActions<'c> {
    client: &'c Client,
}

impl Client {
    /// Switchboard actions on conversations (pass, offer, accept, release control).
    pub fn switchboard_actions(&self) -> SwitchboardActions<'_> {
        SwitchboardActions { client: self }
    }
}

impl SwitchboardActions<'_> {
    async fn act(
        &self,
        conversation_id: &str,
        action: &str,
        switchboard_integration: Option<&str>,
        metadata: Option<Map<String, Value>>,
    ) -> Result<()> {
        non_empty("conversation id", conversation_id)?;
        if let Some(target) = switchboard_integration {
            non_empty("switchboard integration", target)?;
        }
        let url = self
            .client
            .app_url(&["conversations", conversation_id, action], None)?;
        let call = Call::new(Method::POST, url).json(&ControlBody {
            switchboard_integration,
            metadata,
        })?;
        self.client.execute(call).await
    }

    /// Gives control of a conversation to a switchboard integration, by id or name (or
    /// `next` for the switchboard's next one); `metadata` reaches it in the
    /// `switchboard:passControl` event.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn pass_control(
        &self,
        conversation_id: &str,
        switchboard_integration: &str,
        metadata: Option<Map<String, Value>>,
    ) -> Result<()> {
        self.act(
            conversation_id,
            "passControl",
            Some(switchboard_integration),
            metadata,
        )
        .await
    }

    /// Offers control to a switchboard integration, which takes it with
    /// [`accept_control`](Self::accept_control); the one in control keeps it until then.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn offer_control(
        &self,
        conversation_id: &str,
        switchboard_integration: &str,
        metadata: Option<Map<String, Value>>,
    ) -> Result<()> {
        self.act(
            conversation_id,
            "offerControl",
            Some(switchboard_integration),
            metadata,
        )
        .await
    }

    /// Accepts control offered to this integration.
    ///
    /// # Errors
    /// A 403 [`Error::Api`](crate::Error::Api) when nothing was offered to the caller;
    /// see [`Error`](crate::Error).
    pub async fn accept_control(
        &self,
        conversation_id: &str,
        metadata: Option<Map<String, Value>>,
    ) -> Result<()> {
        self.act(conversation_id, "acceptControl", None, metadata)
            .await
    }

    /// Gives control back: the conversation goes to the switchboard's next integration
    /// (its default when none is named).
    ///
    /// # Errors
    /// A 403 [`Error::Api`](crate::Error::Api) when the caller is not in control; see
    /// [`Error`](crate::Error).
    pub async fn release_control(
        &self,
        conversation_id: &str,
        metadata: Option<Map<String, Value>>,
    ) -> Result<()> {
        self.act(conversation_id, "releaseControl", None, metadata)
            .await
    }
}
