//! Webhooks administration: create the webhook the bridge listens on and read its signing
//! secret. (Verifying the webhook's requests is [`webhook`](crate::inbound).)
//!
//! Reference: <https://developer.zendesk.com/api-reference/webhooks/webhooks-api/webhooks/>

use std::fmt;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::client::{Call, decode};
use crate::open_enum::null_as_default;
use crate::pagination::{CursorMeta, cursor_url, walk};
use crate::{Client, Result};

/// A webhook to create.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct NewWebhook {
    /// A name agents see in the admin center.
    pub name: String,
    /// The URL Zendesk calls.
    pub endpoint: String,
    /// `POST`.
    pub http_method: String,
    /// `json`.
    pub request_format: String,
    /// `active` or `inactive`.
    pub status: String,
    /// `conditional_ticket_events` for a webhook that triggers call.
    pub subscriptions: Vec<String>,
    /// How Zendesk authenticates to the endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<WebhookAuthentication>,
}

impl NewWebhook {
    /// An active JSON `POST` webhook for triggers, at `endpoint`.
    pub fn for_triggers(name: impl Into<String>, endpoint: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            endpoint: endpoint.into(),
            http_method: "POST".into(),
            request_format: "json".into(),
            status: "active".into(),
            subscriptions: vec!["conditional_ticket_events".into()],
            authentication: None,
        }
    }

    /// Adds basic auth (Meya's user name is `meya`, the password its `target_password`).
    pub fn basic_auth(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.authentication = Some(WebhookAuthentication::Basic {
            username: username.into(),
            password: SecretString::from(password.into()),
        });
        self
    }
}

/// How Zendesk authenticates to a webhook's endpoint. `Debug` hides the password.
#[derive(Clone)]
#[non_exhaustive]
pub enum WebhookAuthentication {
    /// HTTP basic auth in the `Authorization` header.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: SecretString,
    },
}

impl fmt::Debug for WebhookAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookAuthentication::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[redacted]")
                .finish(),
        }
    }
}

impl Serialize for WebhookAuthentication {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Credentials<'a> {
            username: &'a str,
            password: &'a str,
        }
        match self {
            WebhookAuthentication::Basic { username, password } => {
                let mut auth = serializer.serialize_struct("authentication", 3)?;
                auth.serialize_field("type", "basic_auth")?;
                auth.serialize_field(
                    "data",
                    &Credentials {
                        username,
                        password: password.expose_secret(),
                    },
                )?;
                auth.serialize_field("add_position", "header")?;
                auth.end()
            }
        }
    }
}

/// A webhook as Zendesk returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Webhook {
    /// The webhook's id, e.g. `01GDXYD7ZTWYP4TD6KPCDJ4D2Q`.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The URL Zendesk calls.
    pub endpoint: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
    /// Its subscriptions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub subscriptions: Vec<String>,
}

#[derive(Deserialize)]
struct WebhookList {
    #[serde(default)]
    webhooks: Vec<Webhook>,
    #[serde(default)]
    meta: CursorMeta,
}

#[derive(Deserialize)]
struct WebhookEnvelope {
    webhook: Webhook,
}

#[derive(Serialize)]
struct Wrapped<'a> {
    webhook: &'a NewWebhook,
}

#[derive(Deserialize)]
struct SigningSecretEnvelope {
    signing_secret: SigningSecretBody,
}

#[derive(Deserialize)]
struct SigningSecretBody {
    secret: String,
}

/// Webhook admin calls: `client.webhooks()`.
#[derive(Debug, Clone, Copy)]
pub struct Webhooks<'c> {
    client: &'c Client,
}

impl Client {
    /// Webhook admin calls.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks { client: self }
    }
}

impl Webhooks<'_> {
    /// Creates a webhook.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(&self, webhook: &NewWebhook) -> Result<Webhook> {
        let url = self.client.url("api/v2/webhooks")?;
        let call = Call::new(Method::POST, url).json(&Wrapped { webhook })?;
        let envelope: WebhookEnvelope = decode(self.client.send(call).await?).await?;
        Ok(envelope.webhook)
    }

    /// Every webhook of the account (all pages).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list(&self) -> Result<Vec<Webhook>> {
        let base = self.client.url("api/v2/webhooks")?;
        walk("webhooks", |after| {
            let call = Call::new(Method::GET, cursor_url(base.clone(), after.as_deref()));
            async move {
                let list: WebhookList = decode(self.client.send(call).await?).await?;
                Ok((list.webhooks, list.meta))
            }
        })
        .await
    }

    /// Replaces a webhook's settings with `webhook`'s (name, endpoint, authentication, ...).
    /// Safe to repeat. The signing secret stays.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn update(&self, webhook_id: &str, webhook: &NewWebhook) -> Result<()> {
        let url = self.webhook_url(webhook_id, &[])?;
        let call = Call::new(Method::PUT, url)
            .json(&Wrapped { webhook })?
            .idempotent(true);
        self.client.send(call).await?;
        Ok(())
    }

    fn webhook_url(&self, webhook_id: &str, rest: &[&str]) -> Result<url::Url> {
        let mut url = self.client.url("api/v2/webhooks/")?;
        url.path_segments_mut()
            .map_err(|()| crate::Error::Config("base URL cannot take a path".into()))?
            .pop_if_empty()
            .push(webhook_id)
            .extend(rest);
        Ok(url)
    }

    /// The secret Zendesk signs the webhook's requests with: give it to
    /// [`inbound::verify_signature`](crate::inbound::verify_signature).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn signing_secret(&self, webhook_id: &str) -> Result<SecretString> {
        let url = self.webhook_url(webhook_id, &["signing_secret"])?;
        let envelope: SigningSecretEnvelope =
            decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        Ok(SecretString::from(envelope.signing_secret.secret))
    }
}
