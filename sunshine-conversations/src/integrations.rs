//! Integrations: the channels and custom integrations of an app (create, list, read,
//! update, delete), with the shortcut the bridge uses: a custom integration whose webhook
//! calls your service, and its webhook secret (what SunCo sends back in `X-API-Key`).
//! Webhooks of an integration are [`Client::webhooks`]; its API keys
//! [`Client::integration_keys`].
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Integrations>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! let channels = client.integrations().list().types(&["whatsapp", "messenger"]).all().await?;
//! for channel in &channels {
//!     println!("{} {:?} {:?}", channel.id, channel.kind, channel.status);
//! }
//! # Ok(()) }
//! ```

use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Call, non_empty};
use crate::pagination::{Direction, List};
use crate::{Client, Result};

/// A webhook of an integration. `Debug` never shows the secret.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct IntegrationWebhook {
    /// Its id.
    pub id: String,
    /// The payload version, `v2`.
    #[serde(default)]
    pub version: Option<String>,
    /// The URL SunCo calls.
    #[serde(default)]
    pub target: Option<String>,
    /// The events it receives, e.g. `conversation:message`.
    #[serde(default, deserialize_with = "crate::envelope::null_as_default")]
    pub triggers: Vec<String>,
    /// The shared secret SunCo sends in `X-API-Key`: verify it with
    /// [`inbound::verify_api_key`](crate::inbound::verify_api_key).
    #[serde(default, deserialize_with = "secret")]
    pub secret: Option<SecretString>,
    /// Whether events carry the whole user.
    #[serde(default)]
    pub include_full_user: Option<bool>,
    /// Whether events carry the whole source (client, device).
    #[serde(default)]
    pub include_full_source: Option<bool>,
}

pub(crate) fn secret<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(SecretString::from))
}

/// An integration.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    /// Its id.
    pub id: String,
    /// Its type, e.g. `custom`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Its name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `active`, `inactive` or `error`.
    #[serde(default)]
    pub status: Option<String>,
    /// Its webhooks (a custom integration has one).
    #[serde(default, deserialize_with = "crate::envelope::null_as_default")]
    pub webhooks: Vec<IntegrationWebhook>,
    /// The fields of its type (a page id, a phone number, colours of the Web Messenger, ...),
    /// as SunCo sent them.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A new integration of any type, for [`Integrations::create`]: its `type` and the fields
/// that type takes (see SunCo's reference for each channel).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct NewIntegration {
    /// The type, e.g. `web`, `whatsapp`, `custom`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The type's own fields.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl NewIntegration {
    /// An integration of `kind` with `fields`.
    pub fn new(kind: impl Into<String>, fields: Map<String, Value>) -> Self {
        Self {
            kind: kind.into(),
            display_name: None,
            fields,
        }
    }

    /// With a name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }
}

/// Fields of an integration to change, for [`Integrations::update`]; those not set stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct IntegrationUpdate {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The type's own fields to change.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl IntegrationUpdate {
    /// Renames the integration.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Changes one of the type's fields.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewCustomIntegration<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    display_name: &'a str,
    webhooks: [crate::NewWebhook; 1],
}

/// Integration calls: `client.integrations()`.
#[derive(Debug, Clone, Copy)]
pub struct Integrations<'c> {
    client: &'c Client,
}

impl Client {
    /// Integration calls.
    pub fn integrations(&self) -> Integrations<'_> {
        Integrations { client: self }
    }
}

impl<'c> Integrations<'c> {
    /// Creates a custom integration with one webhook to `target` for `triggers` (the bridge
    /// needs `conversation:message`), including the full user in each event.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create_custom(
        &self,
        display_name: &str,
        target: &str,
        triggers: &[&str],
    ) -> Result<Integration> {
        let url = self.client.app_url(&["integrations"], None)?;
        let call = Call::new(Method::POST, url).json(&NewCustomIntegration {
            kind: "custom",
            display_name,
            webhooks: [crate::NewWebhook::new(target, triggers).include_full_user(true)],
        })?;
        self.client.fetch(call, "integration").await
    }

    /// Creates an integration of any type.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(&self, integration: &NewIntegration) -> Result<Integration> {
        non_empty("integration type", &integration.kind)?;
        let url = self.client.app_url(&["integrations"], None)?;
        let call = Call::new(Method::POST, url).json(integration)?;
        self.client.fetch(call, "integration").await
    }

    /// Lists the app's integrations; [`ListIntegrations::types`] keeps some types only.
    pub fn list(&self) -> ListIntegrations<'c> {
        ListIntegrations {
            list: List::in_app(
                self.client,
                &["integrations"],
                "integrations",
                Direction::Forwards,
                |item| &item.id,
            ),
        }
    }

    /// The app's custom integrations (all pages), each with its webhooks.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list_custom(&self) -> Result<Vec<Integration>> {
        self.list().types(&["custom"]).page_size(100).all().await
    }

    /// Reads an integration.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, integration_id: &str) -> Result<Integration> {
        non_empty("integration id", integration_id)?;
        let url = self
            .client
            .app_url(&["integrations", integration_id], None)?;
        self.client
            .fetch(Call::new(Method::GET, url), "integration")
            .await
    }

    /// Changes an integration's name or fields. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update(
        &self,
        integration_id: &str,
        update: &IntegrationUpdate,
    ) -> Result<Integration> {
        non_empty("integration id", integration_id)?;
        let url = self
            .client
            .app_url(&["integrations", integration_id], None)?;
        let call = Call::new(Method::PATCH, url).json(update)?.idempotent(true);
        self.client.fetch(call, "integration").await
    }

    /// Deletes an integration (its channel stops).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, integration_id: &str) -> Result<()> {
        non_empty("integration id", integration_id)?;
        let url = self
            .client
            .app_url(&["integrations", integration_id], None)?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Points an integration's webhook at `target` for `triggers`. Safe to repeat; the
    /// webhook keeps its secret. (Shortcut for [`Webhooks::update`](crate::Webhooks::update).)
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update_webhook(
        &self,
        integration_id: &str,
        webhook_id: &str,
        target: &str,
        triggers: &[&str],
    ) -> Result<IntegrationWebhook> {
        let update = crate::WebhookUpdate::default()
            .target(target)
            .triggers(triggers);
        self.client
            .webhooks()
            .update(integration_id, webhook_id, &update)
            .await
    }

    /// Reads one webhook of an integration, with its secret. (Shortcut for
    /// [`Webhooks::get`](crate::Webhooks::get).)
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn webhook(
        &self,
        integration_id: &str,
        webhook_id: &str,
    ) -> Result<IntegrationWebhook> {
        self.client.webhooks().get(integration_id, webhook_id).await
    }
}

/// An integrations listing, sent with [`send`](Self::send), or walked with
/// [`stream`](Self::stream) and [`all`](Self::all).
#[derive(Debug)]
#[must_use = "nothing is sent until `send`, `all` or `stream`"]
pub struct ListIntegrations<'c> {
    list: List<'c, Integration>,
}

impl<'c> ListIntegrations<'c> {
    /// Only integrations of these types (`filter[types]`, e.g. `["android", "ios"]`).
    pub fn types(mut self, types: &[&str]) -> Self {
        self.list = self.list.param("filter[types]", types.join(","));
        self
    }

    /// Items per page, 1 to 100.
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.list = self.list.page_size(page_size);
        self
    }

    /// Starts after this cursor.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.list = self.list.after(cursor);
        self
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn send(&self) -> Result<crate::Page<Integration>> {
        self.list.send().await
    }

    /// Every integration from here on, page by page as the stream is polled.
    pub fn stream(self) -> futures_util::stream::BoxStream<'c, Result<Integration>> {
        self.list.stream()
    }

    /// Every integration from here on, collected.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn all(self) -> Result<Vec<Integration>> {
        self.list.all().await
    }
}
