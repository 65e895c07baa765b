//! SunCo's webhook requests: the shared-secret check and the v2 envelope.
//!
//! SunCo signs nothing: the webhook's secret in `X-API-Key` is the whole authentication,
//! compared here in constant time. One request may carry several events; SunCo retries a
//! failed delivery up to 5 times in 15 minutes (not after 400, 401, 403, 404, 406), so the
//! event id is the deduplication key. Acknowledge fast.
//!
//! Reference: <https://developer.zendesk.com/api-reference/conversations/#tag/Webhooks>
//!
//! ```
//! use sunshine_conversations::inbound::{self, EventPayload};
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("x-api-key", "whsec-123".parse().unwrap());
//! inbound::verify_api_key(&headers, "whsec-123")?;
//!
//! let body = br#"{"app":{"id":"app1"},"webhook":{"id":"wh1","version":"v2"},"events":[
//!   {"id":"ev1","type":"conversation:message","createdAt":"2026-11-26T12:00:00.000Z",
//!    "payload":{"conversation":{"id":"c1","type":"personal"},
//!               "message":{"id":"m1","author":{"type":"user","userId":"u1",
//!                          "user":{"id":"u1","externalId":"jane@example.com"}},
//!                          "content":{"type":"text","text":"hello"}}}}]}"#;
//! let envelope = inbound::parse(body)?;
//! let EventPayload::ConversationMessage(event) = &envelope.events[0].payload else { panic!() };
//! assert_eq!(event.message.content.text(), Some("hello"));
//! # Ok::<(), inbound::WebhookError>(())
//! ```

use http::HeaderMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The header SunCo sends the webhook secret in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Why a webhook request was refused. [`MalformedPayload`](Self::MalformedPayload) is a
/// 400; the others are 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// No `X-API-Key` header.
    #[error("missing header x-api-key")]
    MissingApiKey,
    /// The `X-API-Key` does not match the webhook's secret.
    #[error("wrong x-api-key")]
    WrongApiKey,
    /// The body is not a v2 webhook envelope.
    #[error("malformed webhook payload at `{path}`: {reason}")]
    MalformedPayload {
        /// The JSON path that failed.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

/// Checks `X-API-Key` against the webhook secret, in constant time (lengths included).
///
/// # Errors
/// [`WebhookError::MissingApiKey`], [`WebhookError::WrongApiKey`].
pub fn verify_api_key(headers: &HeaderMap, webhook_secret: &str) -> Result<(), WebhookError> {
    let given = headers
        .get(API_KEY_HEADER)
        .ok_or(WebhookError::MissingApiKey)?
        .as_bytes();
    let same: bool = Sha256::digest(given)
        .ct_eq(&Sha256::digest(webhook_secret.as_bytes()))
        .into();
    if same && !webhook_secret.is_empty() {
        Ok(())
    } else {
        Err(WebhookError::WrongApiKey)
    }
}

/// A webhook request's body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Envelope {
    /// The app the events belong to.
    pub app: AppRef,
    /// The webhook that sent them.
    pub webhook: WebhookRef,
    /// The events, in order.
    pub events: Vec<Event>,
}

/// The app of an envelope.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AppRef {
    /// The app id.
    pub id: String,
}

/// The webhook of an envelope.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct WebhookRef {
    /// The webhook id.
    pub id: String,
    /// The payload version, `v2`.
    #[serde(default)]
    pub version: Option<String>,
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// The event's id: the deduplication key.
    pub id: String,
    /// The event type, e.g. `conversation:message`.
    pub kind: String,
    /// When it happened.
    pub created_at: Option<time::OffsetDateTime>,
    /// What happened.
    pub payload: EventPayload,
}

mod events;

pub use events::*;

/// Parses a webhook body (after [`verify_api_key`]).
///
/// # Errors
/// [`WebhookError::MalformedPayload`] naming the failing field.
pub fn parse(raw_body: &[u8]) -> Result<Envelope, WebhookError> {
    crate::client::from_json(raw_body).map_err(|(path, error)| WebhookError::MalformedPayload {
        path,
        reason: error.to_string(),
    })
}
