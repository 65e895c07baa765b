//! Receiving a webhook: verify it, then record it for the [worker](crate::InboxWorker) (the
//! `accept_*` entry points) or process it at once (the `handle_*` ones). The one place that
//! speaks HTTP: a request that fails here gets a [`WebhookRejection`] and its status.
//!
//! Zendesk's webhook carries basic auth (the target's username and password) and an HMAC
//! signature over the timestamp and the raw body; SunCo's carries the webhook's secret in
//! `X-API-Key`. Both are checked in constant time before anything is parsed or stored.

use http::HeaderMap;
use meya_links::{InboxMessage, InboxPush, SUNSHINE_CONVERSATIONS, ZENDESK_SUPPORT};
use secrecy::ExposeSecret;
use sunshine_conversations::inbound::{Envelope, EventPayload};
use zendesk_support::inbound::TicketEvent;

use crate::Error;
use crate::context::Context;
use crate::flows::customer_messages::{self, SunCoEventOutcome, sunco_user_of};
use crate::flows::ticket_events::{self, ZendeskWebhookOutcome};

/// A boxed cause, kept whole.
type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why a webhook request was not processed, and the HTTP status to answer with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// Bad credentials or signature: answer 401.
    #[error("unauthorized: {0}")]
    Unauthorized(#[source] Cause),
    /// A malformed body: answer 400.
    #[error("bad request: {0}")]
    BadRequest(#[source] Cause),
    /// Processing failed after the request was accepted, or it could not be recorded: answer
    /// 500 (503 when busy) so the sender retries.
    #[error("processing failed")]
    Failed(#[from] Error),
}

impl WebhookRejection {
    /// The HTTP status a web framework should answer with.
    pub fn status(&self) -> u16 {
        match self {
            WebhookRejection::Unauthorized(_) => 401,
            WebhookRejection::BadRequest(_) => 400,
            WebhookRejection::Failed(Error::Busy(_)) => 503,
            WebhookRejection::Failed(_) => 500,
        }
    }

    fn from_zendesk(error: zendesk_support::inbound::WebhookError) -> Self {
        match error {
            zendesk_support::inbound::WebhookError::MalformedPayload { .. } => {
                WebhookRejection::BadRequest(error.into())
            }
            other => WebhookRejection::Unauthorized(other.into()),
        }
    }
}

/// What an `accept_*` call recorded. Answer 200 either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// Entries recorded for the worker.
    pub recorded: usize,
    /// Events recorded before (the sender repeated them): nothing new was stored.
    pub duplicates: usize,
}

/// Checks the basic auth and the signature on the raw body, then parses the payload.
pub(crate) fn verify_zendesk(
    context: &Context,
    headers: &HeaderMap,
    raw_body: &[u8],
) -> Result<TicketEvent, WebhookRejection> {
    use zendesk_support::inbound;
    let zendesk = &context.config.zendesk;
    inbound::verify_basic_auth(
        headers,
        &zendesk.target_username,
        zendesk.target_password.expose_secret(),
    )
    .map_err(WebhookRejection::from_zendesk)?;
    inbound::verify_signature(
        headers,
        raw_body,
        zendesk.webhook_signing_secret.expose_secret(),
    )
    .map_err(WebhookRejection::from_zendesk)?;
    inbound::parse_ticket_event(raw_body).map_err(WebhookRejection::from_zendesk)
}

/// Checks `X-API-Key`, then parses the envelope.
pub(crate) fn verify_sunco(
    context: &Context,
    headers: &HeaderMap,
    raw_body: &[u8],
) -> Result<Envelope, WebhookRejection> {
    use sunshine_conversations::inbound;
    inbound::verify_api_key(headers, context.config.sunco.webhook_secret.expose_secret())
        .map_err(|error| WebhookRejection::Unauthorized(error.into()))?;
    inbound::parse(raw_body).map_err(|error| WebhookRejection::BadRequest(error.into()))
}

/// Verifies a Zendesk webhook and processes it before answering.
pub(crate) async fn handle_zendesk(
    context: &Context,
    headers: &HeaderMap,
    raw_body: &[u8],
) -> Result<ZendeskWebhookOutcome, WebhookRejection> {
    let event = verify_zendesk(context, headers, raw_body)?;
    Ok(ticket_events::process(context, &event).await?)
}

/// Verifies a SunCo webhook and processes its events before answering.
pub(crate) async fn handle_sunco(
    context: &Context,
    headers: &HeaderMap,
    raw_body: &[u8],
) -> Result<Vec<SunCoEventOutcome>, WebhookRejection> {
    let envelope = verify_sunco(context, headers, raw_body)?;
    Ok(customer_messages::process(context, &envelope.events).await?)
}

/// Verifies a Zendesk webhook and records it: one entry per invocation, ordered by ticket.
pub(crate) async fn accept_zendesk(
    context: &Context,
    headers: &HeaderMap,
    raw_body: &[u8],
) -> Result<Accepted, WebhookRejection> {
    let event = verify_zendesk(context, headers, raw_body)?;
    let message = InboxMessage::new(
        ZENDESK_SUPPORT,
        format!("zendesk:ticket:{}", event.ticket.id),
        raw_body.to_vec(),
    )
    .dedup_key(zendesk_dedup_key(headers));
    let mut accepted = Accepted::default();
    record(context, &message, &mut accepted).await?;
    Ok(accepted)
}

/// Verifies a SunCo webhook and records each event: deduplicated by event id, ordered by the
/// customer who wrote it.
pub(crate) async fn accept_sunco(
    context: &Context,
    headers: &HeaderMap,
    raw_body: &[u8],
) -> Result<Accepted, WebhookRejection> {
    let envelope = verify_sunco(context, headers, raw_body)?;
    // The typed parse checked the shape; the raw events are what gets stored, one entry
    // each, so that unknown fields reach the worker untouched.
    let raw: serde_json::Value = serde_json::from_slice(raw_body)
        .map_err(|error| WebhookRejection::BadRequest(error.into()))?;
    let raw_events = raw
        .get("events")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| WebhookRejection::BadRequest("the envelope has no events".into()))?;
    let mut accepted = Accepted::default();
    for (event, raw_event) in envelope.events.iter().zip(raw_events) {
        let ordering_key = match &event.payload {
            EventPayload::ConversationMessage(message) => match sunco_user_of(message) {
                Some(user) => format!("sunco:user:{user}"),
                None => format!("sunco:conversation:{}", message.conversation.id),
            },
            _ => format!("sunco:event:{}", event.id),
        };
        let payload = serde_json::json!({
            "app": raw.get("app"),
            "webhook": raw.get("webhook"),
            "events": [raw_event],
        });
        let message = InboxMessage::new(
            SUNSHINE_CONVERSATIONS,
            ordering_key,
            payload.to_string().into_bytes(),
        )
        .dedup_key(&event.id);
        record(context, &message, &mut accepted).await?;
    }
    Ok(accepted)
}

async fn record(
    context: &Context,
    message: &InboxMessage,
    accepted: &mut Accepted,
) -> Result<(), WebhookRejection> {
    match context
        .store
        .inbox_push(message)
        .await
        .map_err(Error::from)?
    {
        InboxPush::Duplicate => accepted.duplicates += 1,
        _ => {
            accepted.recorded += 1;
            context.inbox_ready.notify_one();
        }
    }
    Ok(())
}

/// What makes one Zendesk delivery one inbox entry. Zendesk names each invocation of the
/// webhook (`x-zendesk-webhook-invocation-id`), the same on its retries and different for two
/// updates, even two in one second whose bodies, timestamps and so signatures are the same.
/// A request without it falls back on the signature (body and timestamp to the second), which
/// still recognises a replayed request.
fn zendesk_dedup_key(headers: &HeaderMap) -> String {
    use zendesk_support::inbound;
    // Zendesk's ids are short numbers; the header is unsigned, so an odd one is not trusted.
    let invocation = inbound::invocation_id(headers).filter(|id| id.len() <= 128);
    if let Some(invocation) = invocation {
        return format!("invocation:{invocation}");
    }
    let signature = headers
        .get(inbound::SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .trim();
    format!("signature:{signature}")
}
