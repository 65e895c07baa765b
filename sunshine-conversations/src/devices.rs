//! A user's devices: each browser or phone an SDK client runs on.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Devices>
//!
//! ```no_run
//! # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
//! for device in client.devices().list("jane@example.com").await? {
//!     println!("{:?} last seen {:?}", device.kind, device.last_seen);
//! }
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Call, non_empty};
use crate::open_enum::open_enum;
use crate::{Client, Result};

open_enum! {
    /// The platform of a device.
    pub enum DeviceType {
        /// An Android SDK.
        Android = "android",
        /// An iOS SDK.
        Ios = "ios",
        /// The Web Messenger.
        Web = "web",
    }
}

/// A device of a user.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Its id.
    pub id: String,
    /// Its platform.
    #[serde(rename = "type", default)]
    pub kind: Option<DeviceType>,
    /// The SDK's own id for it.
    #[serde(default)]
    pub guid: Option<String>,
    /// The client it belongs to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// `active` or `inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// The integration it belongs to.
    #[serde(default)]
    pub integration_id: Option<String>,
    /// When it was last seen.
    #[serde(default, with = "crate::timestamp::optional")]
    pub last_seen: Option<time::OffsetDateTime>,
    /// Its push notification token.
    #[serde(default)]
    pub push_notification_token: Option<String>,
    /// What the SDK reports (page, browser, SDK version, ...).
    #[serde(default)]
    pub info: Option<Map<String, Value>>,
    /// The app version an SDK reports.
    #[serde(default)]
    pub app_version: Option<String>,
}

/// Device calls: `client.devices()`.
#[derive(Debug, Clone, Copy)]
pub struct Devices<'c> {
    client: &'c Client,
}

impl Client {
    /// Calls on users' devices.
    pub fn devices(&self) -> Devices<'_> {
        Devices { client: self }
    }
}

impl Devices<'_> {
    /// Every device of a user (SunCo does not page this list).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn list(&self, user_id_or_external_id: &str) -> Result<Vec<Device>> {
        non_empty("user id", user_id_or_external_id)?;
        let url = self
            .client
            .app_url(&["users", user_id_or_external_id, "devices"], None)?;
        self.client
            .fetch_list(Call::new(Method::GET, url), "devices")
            .await
    }

    /// Reads one device of a user.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, user_id_or_external_id: &str, device_id: &str) -> Result<Device> {
        non_empty("user id", user_id_or_external_id)?;
        non_empty("device id", device_id)?;
        let url = self.client.app_url(
            &["users", user_id_or_external_id, "devices", device_id],
            None,
        )?;
        self.client
            .fetch(Call::new(Method::GET, url), "device")
            .await
    }
}
