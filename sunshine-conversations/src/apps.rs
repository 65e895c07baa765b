//! Apps: create, list, read, update and delete the apps of an account. These calls need an
//! account-scoped key (or a Zendesk admin's credentials), not an app key.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Apps>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::{AppSettings, AppUpdate, NewApp};
//!
//! let mut settings = AppSettings::default();
//! settings.mask_credit_card_numbers = Some(true);
//! let app = client.apps().create(&NewApp::new("Support").settings(settings)).await?;
//! client.apps().update(&app.id, &AppUpdate::default().display_name("Support EU")).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Call, non_empty};
use crate::pagination::{Direction, List};
use crate::{Client, Result};

/// An app: one messaging setup with its own users, conversations and integrations.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct App {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Its settings.
    #[serde(default)]
    pub settings: Option<AppSettings>,
    /// Flat key-value data of your own.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// The Zendesk subdomain the app belongs to (`GET` of one app answers it).
    #[serde(default)]
    pub subdomain: Option<String>,
}

/// An app's settings. Every field is optional: in an update, only those set change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// Seconds of inactivity after which a conversation's messages are deleted (0: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_retention_seconds: Option<u64>,
    /// Mask credit card numbers in messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_credit_card_numbers: Option<bool>,
    /// Give anonymous users animal names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_animal_names: Option<bool>,
    /// Echo a postback as a message in the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_postback: Option<bool>,
    /// Do not start a conversation automatically when a user opens a client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_auto_conversation_start: Option<bool>,
    /// Users may have several conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_convo_enabled: Option<bool>,
    /// Translate the app's texts to the user's locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_localization_enabled: Option<bool>,
    /// Users may end their session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_enabled: Option<bool>,
    /// A conversation that ended is not reopened by a new message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_conversation_reopen: Option<bool>,
}

/// A new app, for [`Apps::create`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct NewApp {
    /// Its name (required).
    pub display_name: String,
    /// Its settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<AppSettings>,
    /// Flat key-value data of your own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

impl NewApp {
    /// An app with this name.
    pub fn new(display_name: impl Into<String>) -> Self {
        Self {
            display_name: display_name.into(),
            settings: None,
            metadata: None,
        }
    }

    /// With these settings.
    pub fn settings(mut self, settings: AppSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// With this metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

/// The fields of an app to change, for [`Apps::update`]; those not set stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct AppUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Settings to change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<AppSettings>,
    /// New metadata (replaces the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

impl AppUpdate {
    /// Renames the app.
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// Changes the settings that are set in `settings`.
    pub fn settings(mut self, settings: AppSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Replaces the metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

/// App calls: `client.apps()`.
#[derive(Debug, Clone, Copy)]
pub struct Apps<'c> {
    client: &'c Client,
}

impl Client {
    /// App calls (account scope).
    pub fn apps(&self) -> Apps<'_> {
        Apps { client: self }
    }
}

impl<'c> Apps<'c> {
    /// Creates an app.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for an empty name; see [`Error`](crate::Error).
    pub async fn create(&self, app: &NewApp) -> Result<App> {
        non_empty("app name", app.display_name.trim())?;
        let url = self.client.v2_url(&["apps"], None)?;
        let call = Call::new(Method::POST, url).json(app)?;
        self.client.fetch(call, "app").await
    }

    /// Lists the account's apps. SunCo's example answer carries no `meta`: a listing
    /// without one is one page.
    pub fn list(&self) -> List<'c, App> {
        List::new(self.client, &["apps"], "apps", Direction::Forwards, |app| {
            &app.id
        })
    }

    /// Lists only the apps a service account may use (`filter[serviceAccountId]`).
    pub fn list_for_service_account(&self, service_account_id: &str) -> List<'c, App> {
        self.list()
            .param("filter[serviceAccountId]", service_account_id)
    }

    /// Reads an app.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, app_id: &str) -> Result<App> {
        non_empty("app id", app_id)?;
        let url = self.client.v2_url(&["apps", app_id], None)?;
        self.client.fetch(Call::new(Method::GET, url), "app").await
    }

    /// Changes an app's name, settings or metadata. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update(&self, app_id: &str, update: &AppUpdate) -> Result<App> {
        non_empty("app id", app_id)?;
        let url = self.client.v2_url(&["apps", app_id], None)?;
        let call = Call::new(Method::PATCH, url).json(update)?.idempotent(true);
        self.client.fetch(call, "app").await
    }

    /// Deletes an app with everything in it.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, app_id: &str) -> Result<()> {
        non_empty("app id", app_id)?;
        let url = self.client.v2_url(&["apps", app_id], None)?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }
}
