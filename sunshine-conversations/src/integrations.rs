//! Integrations: create the custom integration whose webhook calls your service, and read
//! its webhook secret (what SunCo sends back in `X-API-Key`).
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Integrations>

use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::client::{Call, decode};
use crate::{Client, Result};

/// A webhook of a custom integration.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct IntegrationWebhook {
    /// Its id.
    pub id: String,
    /// The URL SunCo calls.
    #[serde(default)]
    pub target: Option<String>,
    /// The events it receives, e.g. `conversation:message`.
    #[serde(default)]
    pub triggers: Vec<String>,
    /// The shared secret SunCo sends in `X-API-Key`: verify it with
    /// [`inbound::verify_api_key`](crate::inbound::verify_api_key).
    #[serde(default, deserialize_with = "secret")]
    pub secret: Option<SecretString>,
}

fn secret<'de, D: serde::Deserializer<'de>>(
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
    /// Its webhooks (a custom integration has one).
    #[serde(default)]
    pub webhooks: Vec<IntegrationWebhook>,
}

#[derive(Deserialize)]
struct IntegrationList {
    #[serde(default)]
    integrations: Vec<Integration>,
    #[serde(default)]
    meta: ListMeta,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListMeta {
    #[serde(default)]
    has_more: bool,
}

/// Pages past this many stop a walk over integrations (an app has a handful).
const MAX_INTEGRATION_PAGES: usize = 100;

#[derive(Deserialize)]
struct IntegrationEnvelope {
    integration: Integration,
}

#[derive(Deserialize)]
struct WebhookEnvelope {
    webhook: IntegrationWebhook,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewIntegration<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    display_name: &'a str,
    webhooks: [NewWebhook<'a>; 1],
}

#[derive(Serialize)]
struct WebhookUpdate<'a> {
    target: &'a str,
    triggers: &'a [&'a str],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewWebhook<'a> {
    target: &'a str,
    triggers: &'a [&'a str],
    include_full_user: bool,
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

impl Integrations<'_> {
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
        let call = Call::new(Method::POST, url).json(&NewIntegration {
            kind: "custom",
            display_name,
            webhooks: [NewWebhook {
                target,
                triggers,
                include_full_user: true,
            }],
        })?;
        let envelope: IntegrationEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.integration)
    }

    /// The app's custom integrations (all pages), each with its webhooks.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list_custom(&self) -> Result<Vec<Integration>> {
        let mut integrations: Vec<Integration> = Vec::new();
        for _ in 0..MAX_INTEGRATION_PAGES {
            let mut query = String::from("filter%5Btypes%5D=custom&page%5Bsize%5D=100");
            if let Some(last) = integrations.last() {
                query.push_str("&page%5Bafter%5D=");
                query.push_str(&crate::client::encode(&last.id));
            }
            let url = self.client.app_url(&["integrations"], Some(&query))?;
            let page: IntegrationList =
                decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
            let more = page.meta.has_more && !page.integrations.is_empty();
            integrations.extend(page.integrations);
            if !more {
                break;
            }
        }
        Ok(integrations)
    }

    /// Points an integration's webhook at `target` for `triggers`. Safe to repeat; the
    /// webhook keeps its secret.
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
        let url = self.client.app_url(
            &["integrations", integration_id, "webhooks", webhook_id],
            None,
        )?;
        let call = Call::new(Method::PATCH, url)
            .json(&WebhookUpdate { target, triggers })?
            .idempotent(true);
        let envelope: WebhookEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.webhook)
    }

    /// Reads one webhook of an integration, with its secret.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn webhook(
        &self,
        integration_id: &str,
        webhook_id: &str,
    ) -> Result<IntegrationWebhook> {
        let url = self.client.app_url(
            &["integrations", integration_id, "webhooks", webhook_id],
            None,
        )?;
        let envelope: WebhookEnvelope =
            decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        Ok(envelope.webhook)
    }
}
