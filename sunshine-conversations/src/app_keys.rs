//! App keys: the API keys (id and secret) that authenticate calls for one app.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/App-Keys>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! use sunshine_conversations::ExposeSecret;
//!
//! let key = client.app_keys().create("bridge").await?;
//! let secret = key.secret.as_ref().map(|secret| secret.expose_secret().len());
//! println!("{} ({secret:?} characters of secret)", key.id);
//! # Ok(()) }
//! ```

use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::client::{Call, non_empty};
use crate::{Client, Result};

/// An API key. `Debug` never shows the secret.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// The key id (`app_...` or `int_...`): the user name of basic auth, the `kid` of a JWT.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Its secret.
    #[serde(default, deserialize_with = "crate::integrations::secret")]
    pub secret: Option<SecretString>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewKey<'a> {
    pub(crate) display_name: &'a str,
}

/// App key calls: `client.app_keys()`, for the client's app.
#[derive(Debug, Clone, Copy)]
pub struct AppKeys<'c> {
    client: &'c Client,
}

impl Client {
    /// App key calls, for this client's app.
    pub fn app_keys(&self) -> AppKeys<'_> {
        AppKeys { client: self }
    }
}

impl AppKeys<'_> {
    /// Creates a key; its secret is in the answer.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(&self, display_name: &str) -> Result<ApiKey> {
        non_empty("key name", display_name.trim())?;
        let url = self.client.app_url(&["keys"], None)?;
        let call = Call::new(Method::POST, url).json(&NewKey { display_name })?;
        self.client.fetch(call, "key").await
    }

    /// Every key of the app (SunCo does not page this list).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list(&self) -> Result<Vec<ApiKey>> {
        let url = self.client.app_url(&["keys"], None)?;
        self.client
            .fetch_list(Call::new(Method::GET, url), "keys")
            .await
    }

    /// Reads a key.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, key_id: &str) -> Result<ApiKey> {
        non_empty("key id", key_id)?;
        let url = self.client.app_url(&["keys", key_id], None)?;
        self.client.fetch(Call::new(Method::GET, url), "key").await
    }

    /// Deletes a key: calls signed with it fail from then on.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, key_id: &str) -> Result<()> {
        non_empty("key id", key_id)?;
        let url = self.client.app_url(&["keys", key_id], None)?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }
}
