//! Webhooks of an integration: where SunCo sends which events.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Webhooks>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::NewWebhook;
//!
//! let webhook = NewWebhook::new("https://bridge.example.com/sunco", &["conversation:message"]);
//! let created = client.webhooks().create("5e4af71a81966cfff3ef6550", &webhook).await?;
//! // Keep `created.secret`: SunCo sends it back in `X-API-Key`.
//! # let _ = created;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::Serialize;

use crate::client::{Call, non_empty};
use crate::{Client, IntegrationWebhook, Result};

/// A new webhook, for [`Webhooks::create`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct NewWebhook {
    /// The URL SunCo calls (https).
    pub target: String,
    /// The events it receives, e.g. `conversation:message`, `conversation:read`, `*`.
    pub triggers: Vec<String>,
    /// Whether events carry the whole user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_full_user: Option<bool>,
    /// Whether events carry the whole source (client, device).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_full_source: Option<bool>,
}

impl NewWebhook {
    /// A webhook to `target` for `triggers`.
    pub fn new(target: impl Into<String>, triggers: &[&str]) -> Self {
        Self {
            target: target.into(),
            triggers: triggers
                .iter()
                .map(|trigger| (*trigger).to_owned())
                .collect(),
            include_full_user: None,
            include_full_source: None,
        }
    }

    /// Whether events carry the whole user.
    pub fn include_full_user(mut self, include: bool) -> Self {
        self.include_full_user = Some(include);
        self
    }

    /// Whether events carry the whole source.
    pub fn include_full_source(mut self, include: bool) -> Self {
        self.include_full_source = Some(include);
        self
    }
}

/// The fields of a webhook to change, for [`Webhooks::update`]; those not set stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct WebhookUpdate {
    /// A new URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// New triggers (replace the old).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Vec<String>>,
    /// Whether events carry the whole user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_full_user: Option<bool>,
    /// Whether events carry the whole source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_full_source: Option<bool>,
}

impl WebhookUpdate {
    /// A new URL.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// New triggers.
    pub fn triggers(mut self, triggers: &[&str]) -> Self {
        self.triggers = Some(
            triggers
                .iter()
                .map(|trigger| (*trigger).to_owned())
                .collect(),
        );
        self
    }

    /// Whether events carry the whole user.
    pub fn include_full_user(mut self, include: bool) -> Self {
        self.include_full_user = Some(include);
        self
    }
}

/// Webhook calls: `client.webhooks()`.
#[derive(Debug, Clone, Copy)]
pub struct Webhooks<'c> {
    client: &'c Client,
}

impl Client {
    /// Calls on integrations' webhooks.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks { client: self }
    }
}

impl Webhooks<'_> {
    fn url(&self, integration_id: &str, webhook_id: Option<&str>) -> Result<url::Url> {
        non_empty("integration id", integration_id)?;
        match webhook_id {
            Some(webhook_id) => {
                non_empty("webhook id", webhook_id)?;
                self.client.app_url(
                    &["integrations", integration_id, "webhooks", webhook_id],
                    None,
                )
            }
            None => self
                .client
                .app_url(&["integrations", integration_id, "webhooks"], None),
        }
    }

    /// Adds a webhook to a custom integration; its secret is in the answer.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) without a target or a trigger; see
    /// [`Error`](crate::Error).
    pub async fn create(
        &self,
        integration_id: &str,
        webhook: &NewWebhook,
    ) -> Result<IntegrationWebhook> {
        non_empty("webhook target", webhook.target.trim())?;
        if webhook.triggers.is_empty() {
            return Err(crate::Error::Config("a webhook needs a trigger".into()));
        }
        let call = Call::new(Method::POST, self.url(integration_id, None)?).json(webhook)?;
        self.client.fetch(call, "webhook").await
    }

    /// Every webhook of an integration (SunCo does not page this list).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list(&self, integration_id: &str) -> Result<Vec<IntegrationWebhook>> {
        let call = Call::new(Method::GET, self.url(integration_id, None)?);
        self.client.fetch_list(call, "webhooks").await
    }

    /// Reads a webhook, with its secret.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, integration_id: &str, webhook_id: &str) -> Result<IntegrationWebhook> {
        let call = Call::new(Method::GET, self.url(integration_id, Some(webhook_id))?);
        self.client.fetch(call, "webhook").await
    }

    /// Changes a webhook. Safe to repeat; the webhook keeps its secret.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update(
        &self,
        integration_id: &str,
        webhook_id: &str,
        update: &WebhookUpdate,
    ) -> Result<IntegrationWebhook> {
        let call = Call::new(Method::PATCH, self.url(integration_id, Some(webhook_id))?)
            .json(update)?
            .idempotent(true);
        self.client.fetch(call, "webhook").await
    }

    /// Deletes a webhook.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, integration_id: &str, webhook_id: &str) -> Result<()> {
        let call = Call::new(Method::DELETE, self.url(integration_id, Some(webhook_id))?);
        self.client.execute(call).await
    }
}
