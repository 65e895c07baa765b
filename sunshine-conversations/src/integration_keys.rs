//! API keys of a custom integration: credentials scoped to that integration (`int_...`).
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/CustomIntegrationApiKeys>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! let key = client.integration_keys().create("5e4af71a81966cfff3ef6550", "bridge").await?;
//! println!("{}", key.id);
//! # Ok(()) }
//! ```

use reqwest::Method;

use crate::app_keys::NewKey;
use crate::client::{Call, non_empty};
use crate::{ApiKey, Client, Result};

/// Custom integration key calls: `client.integration_keys()`.
#[derive(Debug, Clone, Copy)]
pub struct IntegrationKeys<'c> {
    client: &'c Client,
}

impl Client {
    /// Calls on custom integrations' API keys.
    pub fn integration_keys(&self) -> IntegrationKeys<'_> {
        IntegrationKeys { client: self }
    }
}

impl IntegrationKeys<'_> {
    fn url(&self, integration_id: &str, key_id: Option<&str>) -> Result<url::Url> {
        non_empty("integration id", integration_id)?;
        match key_id {
            Some(key_id) => {
                non_empty("key id", key_id)?;
                self.client
                    .app_url(&["integrations", integration_id, "keys", key_id], None)
            }
            None => self
                .client
                .app_url(&["integrations", integration_id, "keys"], None),
        }
    }

    /// Creates a key for a custom integration; its secret is in the answer.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(&self, integration_id: &str, display_name: &str) -> Result<ApiKey> {
        non_empty("key name", display_name.trim())?;
        let call = Call::new(Method::POST, self.url(integration_id, None)?)
            .json(&NewKey { display_name })?;
        self.client.fetch(call, "key").await
    }

    /// Every key of a custom integration (SunCo does not page this list).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list(&self, integration_id: &str) -> Result<Vec<ApiKey>> {
        let call = Call::new(Method::GET, self.url(integration_id, None)?);
        self.client.fetch_list(call, "keys").await
    }

    /// Reads a key.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, integration_id: &str, key_id: &str) -> Result<ApiKey> {
        let call = Call::new(Method::GET, self.url(integration_id, Some(key_id))?);
        self.client.fetch(call, "key").await
    }

    /// Deletes a key.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, integration_id: &str, key_id: &str) -> Result<()> {
        let call = Call::new(Method::DELETE, self.url(integration_id, Some(key_id))?);
        self.client.execute(call).await
    }
}
