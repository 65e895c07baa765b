//! Switchboards: how an app hands each conversation between integrations (a bot, the
//! agents' workspace), and the switchboard integrations that take part.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Switchboards>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::{NewSwitchboardIntegration, SwitchboardUpdate};
//!
//! let switchboard = client.switchboards().create().await?;
//! let bot = client
//!     .switchboards()
//!     .create_integration(&switchboard.id, &NewSwitchboardIntegration::new("bot", "5ef21b86e933b7355c11c605"))
//!     .await?;
//! let update = SwitchboardUpdate::default().enabled(true).default_integration(&bot.id);
//! client.switchboards().update(&switchboard.id, &update).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, non_empty};
use crate::{Client, Result};

/// A switchboard.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Switchboard {
    /// Its id.
    pub id: String,
    /// Whether it routes conversations.
    #[serde(default)]
    pub enabled: bool,
    /// The switchboard integration a new conversation starts with.
    #[serde(default)]
    pub default_switchboard_integration_id: Option<String>,
}

/// The fields of a switchboard to change, for [`Switchboards::update`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct SwitchboardUpdate {
    /// Turns routing on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The switchboard integration new conversations start with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_switchboard_integration_id: Option<String>,
}

impl SwitchboardUpdate {
    /// Turns routing on or off.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = Some(enabled);
        self
    }

    /// The switchboard integration new conversations start with.
    pub fn default_integration(mut self, switchboard_integration_id: impl Into<String>) -> Self {
        self.default_switchboard_integration_id = Some(switchboard_integration_id.into());
        self
    }
}

/// An integration's place on a switchboard.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct SwitchboardIntegration {
    /// Its id.
    pub id: String,
    /// Its name, unique on the switchboard (control is passed by id or name).
    #[serde(default)]
    pub name: Option<String>,
    /// The integration behind it.
    #[serde(default)]
    pub integration_id: Option<String>,
    /// That integration's type, e.g. `zd:agentWorkspace`.
    #[serde(default)]
    pub integration_type: Option<String>,
    /// Whether it receives events while another is in control.
    #[serde(default)]
    pub deliver_standby_events: Option<bool>,
    /// Where control goes when it releases control.
    #[serde(default)]
    pub next_switchboard_integration_id: Option<String>,
    /// How many earlier messages it is sent when it takes control.
    #[serde(default)]
    pub message_history_count: Option<u32>,
}

/// A new switchboard integration, for [`Switchboards::create_integration`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct NewSwitchboardIntegration {
    /// Its name (required).
    pub name: String,
    /// The integration behind it (one of this and `integration_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    /// Or a Zendesk integration type, e.g. `zd:agentWorkspace`, `zd:answerBot`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
    /// Whether it receives events while another is in control (SunCo's default: yes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_standby_events: Option<bool>,
    /// Where control goes when it releases control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_switchboard_integration_id: Option<String>,
    /// How many earlier messages it is sent when it takes control (at most 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_history_count: Option<u32>,
}

impl NewSwitchboardIntegration {
    /// A switchboard integration named `name` for the integration `integration_id`.
    pub fn new(name: impl Into<String>, integration_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            integration_id: Some(integration_id.into()),
            integration_type: None,
            deliver_standby_events: None,
            next_switchboard_integration_id: None,
            message_history_count: None,
        }
    }

    /// A switchboard integration named `name` for a Zendesk integration type.
    pub fn of_type(name: impl Into<String>, integration_type: impl Into<String>) -> Self {
        Self {
            integration_id: None,
            integration_type: Some(integration_type.into()),
            ..Self::new(name, "")
        }
    }

    /// Where control goes when it releases control.
    pub fn next(mut self, switchboard_integration_id: impl Into<String>) -> Self {
        self.next_switchboard_integration_id = Some(switchboard_integration_id.into());
        self
    }

    /// Whether it receives events while another is in control.
    pub fn deliver_standby_events(mut self, deliver: bool) -> Self {
        self.deliver_standby_events = Some(deliver);
        self
    }

    /// How many earlier messages it is sent when it takes control.
    pub fn message_history_count(mut self, count: u32) -> Self {
        self.message_history_count = Some(count);
        self
    }
}

/// The fields of a switchboard integration to change, for
/// [`Switchboards::update_integration`]; those not set stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct SwitchboardIntegrationUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new integration behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    /// Or a Zendesk integration type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
    /// Whether it receives events while another is in control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_standby_events: Option<bool>,
    /// Where control goes when it releases control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_switchboard_integration_id: Option<String>,
    /// How many earlier messages it is sent when it takes control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_history_count: Option<u32>,
}

impl SwitchboardIntegrationUpdate {
    /// Where control goes when it releases control.
    pub fn next(mut self, switchboard_integration_id: impl Into<String>) -> Self {
        self.next_switchboard_integration_id = Some(switchboard_integration_id.into());
        self
    }

    /// Whether it receives events while another is in control.
    pub fn deliver_standby_events(mut self, deliver: bool) -> Self {
        self.deliver_standby_events = Some(deliver);
        self
    }
}

/// Switchboard calls: `client.switchboards()`.
#[derive(Debug, Clone, Copy)]
pub struct Switchboards<'c> {
    client: &'c Client,
}

impl Client {
    /// Calls on the app's switchboard and its integrations.
    pub fn switchboards(&self) -> Switchboards<'_> {
        Switchboards { client: self }
    }
}

impl Switchboards<'_> {
    fn url(&self, path: &[&str]) -> Result<url::Url> {
        let mut segments = vec!["switchboards"];
        for segment in path {
            non_empty("switchboard or switchboard integration id", segment)?;
            segments.push(segment);
        }
        self.client.app_url(&segments, None)
    }

    /// Creates the app's switchboard (an app has at most one; SunCo refuses a second).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(&self) -> Result<Switchboard> {
        let call = Call::new(Method::POST, self.url(&[])?);
        self.client.fetch(call, "switchboard").await
    }

    /// The app's switchboards.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list(&self) -> Result<Vec<Switchboard>> {
        let call = Call::new(Method::GET, self.url(&[])?);
        self.client.fetch_list(call, "switchboards").await
    }

    /// Turns a switchboard on or off, or changes its default integration. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update(
        &self,
        switchboard_id: &str,
        update: &SwitchboardUpdate,
    ) -> Result<Switchboard> {
        let call = Call::new(Method::PATCH, self.url(&[switchboard_id])?)
            .json(update)?
            .idempotent(true);
        self.client.fetch(call, "switchboard").await
    }

    /// Deletes a switchboard: conversations are no longer routed.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, switchboard_id: &str) -> Result<()> {
        let call = Call::new(Method::DELETE, self.url(&[switchboard_id])?);
        self.client.execute(call).await
    }

    /// Adds an integration to a switchboard.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create_integration(
        &self,
        switchboard_id: &str,
        integration: &NewSwitchboardIntegration,
    ) -> Result<SwitchboardIntegration> {
        non_empty("switchboard integration name", integration.name.trim())?;
        let url = self.url(&[switchboard_id, "switchboardIntegrations"])?;
        let call = Call::new(Method::POST, url).json(integration)?;
        self.client.fetch(call, "switchboardIntegration").await
    }

    /// The integrations of a switchboard.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list_integrations(
        &self,
        switchboard_id: &str,
    ) -> Result<Vec<SwitchboardIntegration>> {
        let url = self.url(&[switchboard_id, "switchboardIntegrations"])?;
        self.client
            .fetch_list(Call::new(Method::GET, url), "switchboardIntegrations")
            .await
    }

    /// Changes a switchboard integration. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update_integration(
        &self,
        switchboard_id: &str,
        switchboard_integration_id: &str,
        update: &SwitchboardIntegrationUpdate,
    ) -> Result<SwitchboardIntegration> {
        let url = self.url(&[
            switchboard_id,
            "switchboardIntegrations",
            switchboard_integration_id,
        ])?;
        let call = Call::new(Method::PATCH, url).json(update)?.idempotent(true);
        self.client.fetch(call, "switchboardIntegration").await
    }

    /// Removes an integration from a switchboard.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete_integration(
        &self,
        switchboard_id: &str,
        switchboard_integration_id: &str,
    ) -> Result<()> {
        let url = self.url(&[
            switchboard_id,
            "switchboardIntegrations",
            switchboard_integration_id,
        ])?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }
}
