//! Webhooks administration: create the webhook the bridge listens on and read its signing
//! secret. (Verifying the webhook's requests is [`webhook`](crate::inbound).)
//!
//! Reference: <https://developer.zendesk.com/api-reference/webhooks/webhooks-api/webhooks/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::NewWebhook;
//!
//! let hook = NewWebhook::for_triggers("Bridge", "https://bridge.example.com/webhooks/zendesk")
//!     .basic_auth("zendesk", "password");
//! let created = client.webhooks().create(&hook).await?;
//! let secret = client.webhooks().signing_secret(&created.id).await?;
//! // Verify each call with `inbound::verify_signature` and `secret`.
//! # let _ = secret;
//! # Ok(()) }
//! ```

use std::fmt;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::client::{Call, decode};
use crate::open_enum::null_as_default;
use crate::pagination::{List, Paging};
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
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// The HTTP method it calls with.
    #[serde(default)]
    pub http_method: Option<String>,
    /// `json`, `xml` or `form_encoded`.
    #[serde(default)]
    pub request_format: Option<String>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// One call Zendesk made (or tried) for a webhook.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct WebhookInvocation {
    /// Its id.
    pub id: String,
    /// The last attempt's outcome (`status`, `status_code`, `timestamp`), as sent.
    #[serde(default)]
    pub latest_completed_attempt: Option<serde_json::Value>,
    /// What fired it (`event_type`, `source`, `ticket_id`, ...), as sent.
    #[serde(default)]
    pub event: Option<serde_json::Value>,
}

/// One attempt of an invocation: Zendesk retries a failed call a few times.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct WebhookAttempt {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// `success` or `failure`.
    #[serde(default)]
    pub status: Option<String>,
    /// The HTTP status your endpoint answered.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// When.
    #[serde(default, with = "crate::timestamp::optional")]
    pub invoked_at: Option<time::OffsetDateTime>,
    /// How long it took, in milliseconds.
    #[serde(default)]
    pub duration: Option<u64>,
}

/// What a test call to a webhook's endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WebhookTestResponse {
    /// The HTTP status the endpoint answered.
    #[serde(default)]
    pub status: Option<u16>,
    /// Its headers, as sent.
    #[serde(default)]
    pub headers: Option<serde_json::Value>,
    /// Its body.
    #[serde(default)]
    pub body: Option<String>,
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

impl<'c> Webhooks<'c> {
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

    /// Every webhook of the account.
    pub fn list(&self) -> List<'c, Webhook> {
        List::new(self.client, "api/v2/webhooks", "webhooks", Paging::Cursor)
    }

    /// The webhooks whose name contains `text`.
    pub fn list_named(&self, text: &str) -> List<'c, Webhook> {
        self.list().param("filter[name_contains]", text)
    }

    /// Reads a webhook.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, webhook_id: &str) -> Result<Webhook> {
        let url = self.webhook_url(webhook_id, &[])?;
        self.client
            .fetch(Call::new(Method::GET, url), "webhook")
            .await
    }

    /// Creates a webhook with the settings and signing secret of another.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn clone_webhook(&self, webhook_id: &str) -> Result<Webhook> {
        let mut url = self.client.url("api/v2/webhooks")?;
        url.query_pairs_mut()
            .append_pair("clone_webhook_id", webhook_id);
        self.client
            .fetch(Call::new(Method::POST, url), "webhook")
            .await
    }

    /// Changes some of a webhook's settings (a JSON merge patch: `null` removes one).
    /// Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn patch(&self, webhook_id: &str, changes: &serde_json::Value) -> Result<()> {
        let url = self.webhook_url(webhook_id, &[])?;
        let bytes =
            serde_json::to_vec(&crate::envelope::Keyed("webhook", changes)).map_err(|source| {
                crate::Error::Decode {
                    path: "(request body)".into(),
                    source,
                }
            })?;
        let mut call = Call::new(Method::PATCH, url).idempotent(true);
        call.body = crate::client::Body::Raw {
            bytes: bytes.into(),
            content_type: "application/merge-patch+json".into(),
        };
        self.client.execute(call).await
    }

    /// Deletes a webhook.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, webhook_id: &str) -> Result<()> {
        let url = self.webhook_url(webhook_id, &[])?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Makes a test call to an existing webhook's endpoint with `payload` (as a trigger
    /// would), and answers what the endpoint said.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn test(&self, webhook_id: &str, payload: &str) -> Result<WebhookTestResponse> {
        #[derive(Serialize)]
        struct Request<'a> {
            payload: &'a str,
        }
        let mut url = self.client.url("api/v2/webhooks/test")?;
        url.query_pairs_mut().append_pair("webhook_id", webhook_id);
        let call = Call::new(Method::POST, url)
            .json(&crate::envelope::Keyed("request", &Request { payload }))?;
        self.client.fetch(call, "response").await
    }

    /// Makes a new signing secret for a webhook (the old one stops verifying); answers
    /// it.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn reset_signing_secret(&self, webhook_id: &str) -> Result<SecretString> {
        let url = self.webhook_url(webhook_id, &["signing_secret"])?;
        let envelope: SigningSecretEnvelope =
            decode(self.client.send(Call::new(Method::POST, url)).await?).await?;
        Ok(SecretString::from(envelope.signing_secret.secret))
    }

    /// The calls Zendesk made for a webhook (the last 7 days).
    pub fn invocations(&self, webhook_id: &str) -> List<'c, WebhookInvocation> {
        List::new(
            self.client,
            format!(
                "api/v2/webhooks/{}/invocations",
                crate::client::path_segment(webhook_id)
            ),
            "invocations",
            Paging::Cursor,
        )
    }

    /// The attempts of one call.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn attempts(
        &self,
        webhook_id: &str,
        invocation_id: &str,
    ) -> Result<Vec<WebhookAttempt>> {
        let url = self.webhook_url(webhook_id, &["invocations", invocation_id, "attempts"])?;
        self.client
            .fetch_list::<WebhookAttempt>(Call::new(Method::GET, url), "attempts")
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
