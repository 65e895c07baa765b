//! Verifying Zendesk's webhook requests, and the trigger payload they carry.
//!
//! Zendesk signs each webhook request: `X-Zendesk-Webhook-Signature` is
//! `base64(HMAC-SHA256(key = signing secret, message = timestamp + raw body))`, with the
//! timestamp in `X-Zendesk-Webhook-Signature-Timestamp`. Check it on the raw bytes *before*
//! parsing; optionally also check the webhook's basic auth ([`verify_basic_auth`]).
//!
//! Reference: <https://developer.zendesk.com/documentation/webhooks/verifying/>
//!
//! ```
//! use zendesk_support::inbound;
//!
//! let secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
//! let body = br#"{"ticket":{"id":"4021","status":"Open","tags":"sunco_send vip",
//!   "requester":{"id":"35436","email":"jane@example.com","name":"Jane"}},
//!   "current_user":{"id":"9","role":"Agent","email":"agent@example.com"}}"#;
//! let headers = inbound::signed_headers(secret, "2026-11-26T12:00:00Z", body);
//!
//! let now = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_694_430);
//! inbound::verify_signature_at(&headers, body, secret, now, inbound::DEFAULT_TOLERANCE)?;
//! let event = inbound::parse_ticket_event(body)?;
//! assert_eq!(event.ticket.id, 4021);
//! assert_eq!(event.ticket.tags, ["sunco_send", "vip"]);
//! # Ok::<(), inbound::WebhookError>(())
//! ```

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{Role, TicketStatus};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-zendesk-webhook-signature";
/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-zendesk-webhook-signature-timestamp";
/// The header naming one invocation of the webhook: the same on every retry of it, different
/// for each update that fires the trigger (even two in the same second, which share a
/// signature when their bodies match). Not covered by the signature.
///
/// Reference: <https://developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request/>
pub const INVOCATION_ID_HEADER: &str = "x-zendesk-webhook-invocation-id";
/// How far a signature's timestamp may be from now, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a webhook request was refused. Map every variant but
/// [`MalformedPayload`](Self::MalformedPayload) to 401; that one to 400.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A header is present but not in the expected form.
    #[error("malformed header {0}")]
    MalformedHeader(&'static str),
    /// The signature does not match the body and timestamp.
    #[error("the signature does not match")]
    BadSignature,
    /// The signature's timestamp is older than the tolerance: a replay, or a slow queue.
    #[error("the signature's timestamp is {age_secs} s old, past the tolerance")]
    Stale {
        /// How old it is, in seconds.
        age_secs: u64,
    },
    /// The signature's timestamp is further in the future than the tolerance.
    #[error("the signature's timestamp is {ahead_secs} s in the future, past the tolerance")]
    FromTheFuture {
        /// How far ahead it is, in seconds.
        ahead_secs: u64,
    },
    /// The basic-auth user name or password is wrong.
    #[error("wrong webhook credentials")]
    BadCredentials,
    /// The body is not the trigger payload.
    #[error("malformed webhook payload at `{path}`: {reason}")]
    MalformedPayload {
        /// The JSON path that failed.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

/// The signature Zendesk sends for `timestamp` and `body`: base64 of HMAC-SHA256 keyed with
/// the signing secret's bytes as they are (the secret is not base64-decoded).
pub fn compute_signature(signing_secret: &str, timestamp: &str, body: &[u8]) -> String {
    mac(signing_secret, timestamp, body)
        .map(|mac| STANDARD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// The keyed MAC over timestamp and body. HMAC takes keys of any length (RFC 2104), so the
/// `None` arm is never taken; it exists so that no input can make this panic.
fn mac(signing_secret: &str, timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_secret.as_bytes()).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(body);
    Some(mac)
}

/// Headers a request signed by Zendesk would carry: for tests and local fakes.
pub fn signed_headers(signing_secret: &str, timestamp: &str, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let signature = compute_signature(signing_secret, timestamp, body);
    for (name, value) in [
        (SIGNATURE_HEADER, signature.as_str()),
        (TIMESTAMP_HEADER, timestamp),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    headers
}

/// Verifies the signature now, with [`DEFAULT_TOLERANCE`].
///
/// # Errors
/// See [`verify_signature_at`].
pub fn verify_signature(
    headers: &HeaderMap,
    raw_body: &[u8],
    signing_secret: &str,
) -> Result<(), WebhookError> {
    verify_signature_at(
        headers,
        raw_body,
        signing_secret,
        SystemTime::now(),
        DEFAULT_TOLERANCE,
    )
}

/// Verifies the signature as of `now`, refusing timestamps more than `tolerance` away.
///
/// # Errors
/// [`WebhookError::MissingHeader`], [`WebhookError::MalformedHeader`] (a timestamp that is
/// not RFC 3339), [`WebhookError::Stale`], [`WebhookError::FromTheFuture`],
/// [`WebhookError::BadSignature`].
pub fn verify_signature_at(
    headers: &HeaderMap,
    raw_body: &[u8],
    signing_secret: &str,
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let signature = header(headers, SIGNATURE_HEADER)?;
    let timestamp = header(headers, TIMESTAMP_HEADER)?;
    let signed_at = time::OffsetDateTime::parse(
        timestamp.trim(),
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|_| WebhookError::MalformedHeader(TIMESTAMP_HEADER))?;
    let signed_at = SystemTime::from(signed_at);
    match now.duration_since(signed_at) {
        Ok(age) if age > tolerance => {
            return Err(WebhookError::Stale {
                age_secs: age.as_secs(),
            });
        }
        Err(ahead) if ahead.duration() > tolerance => {
            return Err(WebhookError::FromTheFuture {
                ahead_secs: ahead.duration().as_secs(),
            });
        }
        _ => {}
    }
    let claimed = STANDARD
        .decode(signature.trim())
        .map_err(|_| WebhookError::BadSignature)?;
    mac(signing_secret, timestamp, raw_body)
        .ok_or(WebhookError::BadSignature)?
        .verify_slice(&claimed)
        .map_err(|_| WebhookError::BadSignature)
}

/// Verifies the webhook's basic auth (Meya's `target_password`, user name `meya` by
/// default), comparing in constant time.
///
/// # Errors
/// [`WebhookError::MissingHeader`], [`WebhookError::MalformedHeader`],
/// [`WebhookError::BadCredentials`].
pub fn verify_basic_auth(
    headers: &HeaderMap,
    username: &str,
    password: &str,
) -> Result<(), WebhookError> {
    const NAME: &str = "authorization";
    let value = headers
        .get(AUTHORIZATION)
        .ok_or(WebhookError::MissingHeader(NAME))?
        .to_str()
        .map_err(|_| WebhookError::MalformedHeader(NAME))?;
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or(WebhookError::MalformedHeader(NAME))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(WebhookError::MalformedHeader(NAME));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| WebhookError::MalformedHeader(NAME))?;
    let expected = format!("{username}:{password}");
    // Hashing first makes the comparison constant-time in the lengths too.
    let same: bool = Sha256::digest(&decoded)
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into();
    if same {
        Ok(())
    } else {
        Err(WebhookError::BadCredentials)
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, WebhookError> {
    headers
        .get(name)
        .ok_or(WebhookError::MissingHeader(name))?
        .to_str()
        .map_err(|_| WebhookError::MalformedHeader(name))
}

/// The webhook invocation's id ([`INVOCATION_ID_HEADER`]), when the request carries a
/// readable, non-empty one.
pub fn invocation_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(INVOCATION_ID_HEADER)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

/// The trigger body the setup tool installs: the JSON [`TicketEvent`] parses, with Zendesk
/// placeholders that are filled in when the trigger fires.
pub const TRIGGER_PAYLOAD: &str = r#"{"ticket": {"id": "{{ticket.id}}", "status": "{{ticket.status}}", "tags": "{{ticket.tags}}", "requester": {"id": "{{ticket.requester.id}}", "email": "{{ticket.requester.email}}", "name": "{{ticket.requester.name}}"}}, "current_user": {"id": "{{current_user.id}}", "role": "{{current_user.role}}", "email": "{{current_user.email}}"}}"#;

/// The trigger payload the setup tool installs ([`TRIGGER_PAYLOAD`]):
///
/// ```json
/// {"ticket": {"id": "{{ticket.id}}", "status": "{{ticket.status}}", "tags": "{{ticket.tags}}",
///             "requester": {"id": "{{ticket.requester.id}}", "email": "{{ticket.requester.email}}",
///                           "name": "{{ticket.requester.name}}"}},
///  "current_user": {"id": "{{current_user.id}}", "role": "{{current_user.role}}",
///                   "email": "{{current_user.email}}"}}
/// ```
///
/// Every placeholder arrives as a string: ids are read from strings or numbers, tags from one
/// space-separated string or a list, roles and statuses in any case (`End-user` is
/// [`Role::EndUser`]); empty strings are absent values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TicketEvent {
    /// The ticket.
    pub ticket: EventTicket,
    /// The user whose change fired the trigger.
    #[serde(default)]
    pub current_user: Option<EventUser>,
    /// The requester, when the payload also has it at the top level (Meya's shape).
    #[serde(default)]
    pub requester: Option<EventRequester>,
}

impl TicketEvent {
    /// The requester, from the ticket or the top level.
    pub fn requester(&self) -> Option<&EventRequester> {
        self.ticket.requester.as_ref().or(self.requester.as_ref())
    }
}

/// The ticket part of a [`TicketEvent`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct EventTicket {
    /// The ticket's id.
    #[serde(deserialize_with = "id")]
    pub id: i64,
    /// Its status, lowercased.
    #[serde(default, deserialize_with = "lowercase_status")]
    pub status: Option<TicketStatus>,
    /// Its tags.
    #[serde(default, deserialize_with = "tags")]
    pub tags: Vec<String>,
    /// Its requester.
    #[serde(default)]
    pub requester: Option<EventRequester>,
}

/// The requester part of a [`TicketEvent`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct EventRequester {
    /// The requester's user id.
    #[serde(default, deserialize_with = "optional_id")]
    pub id: Option<i64>,
    /// Their email (absent when the requester has none).
    #[serde(default, deserialize_with = "non_empty")]
    pub email: Option<String>,
    /// Their name.
    #[serde(default, deserialize_with = "non_empty")]
    pub name: Option<String>,
}

/// The `current_user` part of a [`TicketEvent`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct EventUser {
    /// Their user id.
    #[serde(default, deserialize_with = "optional_id")]
    pub id: Option<i64>,
    /// Their role, lowercased.
    #[serde(default, deserialize_with = "lowercase_role")]
    pub role: Option<Role>,
    /// Their email.
    #[serde(default, deserialize_with = "non_empty")]
    pub email: Option<String>,
}

/// Parses the trigger payload (after the signature was checked).
///
/// # Errors
/// [`WebhookError::MalformedPayload`] naming the failing field.
pub fn parse_ticket_event(raw_body: &[u8]) -> Result<TicketEvent, WebhookError> {
    crate::client::from_json(raw_body).map_err(|(path, error)| WebhookError::MalformedPayload {
        path,
        reason: error.to_string(),
    })
}

/// A string or number placeholder value.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Number(i64),
    Text(String),
}

fn parse_id(scalar: Scalar) -> Result<Option<i64>, String> {
    match scalar {
        Scalar::Number(number) => Ok(Some(number)),
        Scalar::Text(text) if text.trim().is_empty() => Ok(None),
        Scalar::Text(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{text:?} is not an id")),
    }
}

fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    parse_id(Scalar::deserialize(deserializer)?)
        .map_err(serde::de::Error::custom)?
        .ok_or_else(|| serde::de::Error::custom("the id is empty"))
}

fn optional_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<Scalar>::deserialize(deserializer)? {
        None => Ok(None),
        Some(scalar) => parse_id(scalar).map_err(serde::de::Error::custom),
    }
}

fn non_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty()))
}

fn tags<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tags {
        Spaced(String),
        List(Vec<String>),
    }
    Ok(match Option::<Tags>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(Tags::Spaced(text)) => text.split_whitespace().map(str::to_owned).collect(),
        Some(Tags::List(list)) => list
            .into_iter()
            .map(|tag| tag.trim().to_owned())
            .filter(|tag| !tag.is_empty())
            .collect(),
    })
}

fn lowercase<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(non_empty(deserializer)?.map(|text| text.to_lowercase()))
}

fn lowercase_status<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<TicketStatus>, D::Error> {
    Ok(lowercase(deserializer)?.map(|text| match text.parse() {
        Ok(status) => status,
        Err(never) => match never {},
    }))
}

fn lowercase_role<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Role>, D::Error> {
    Ok(lowercase(deserializer)?.map(|text| match text.parse() {
        Ok(role) => role,
        Err(never) => match never {},
    }))
}
