//! The Zendesk webhook entry point: verify, parse, then rx, the unhandled flow, or ignore.

use http::HeaderMap;
use meya_links::{SUNSHINE_CONVERSATIONS, ZENDESK_SUPPORT};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tracing::Instrument;
use zendesk_support::webhook::{self, TicketEvent};

use crate::bridge::PREVIOUS_TICKET_KEY;
use crate::rx::RxOutcome;
use crate::unhandled::Outcome;
use crate::{Bridge, Error, WebhookRejection, filter};

/// What a Zendesk webhook request led to. Every variant answers 200.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ZendeskWebhookOutcome {
    /// A linked ticket whose status is in `unlink_ticket_status`: its last comments were
    /// delivered, then it was unlinked from its thread.
    Unlinked {
        /// The ticket.
        ticket_id: i64,
        /// What was delivered first.
        rx: RxOutcome,
    },
    /// A linked ticket: its new public agent comments were delivered.
    Synced {
        /// The ticket.
        ticket_id: i64,
        /// What was delivered.
        rx: RxOutcome,
    },
    /// An unlinked ticket the filter took: the agent-initiated flow ran.
    Started(Box<Outcome>),
    /// The flow could not reach the customer (no email, no SunCo user); the agent was told
    /// on the ticket. Zendesk need not retry.
    Refused {
        /// The ticket.
        ticket_id: i64,
        /// Why.
        reason: String,
    },
    /// Not for the bridge.
    Ignored {
        /// The ticket.
        ticket_id: i64,
        /// Why.
        reason: &'static str,
    },
}

impl Bridge {
    /// The filter's document read from the API, for a query that reads fields the trigger
    /// payload lacks: the ticket with its users sideloaded (one call), and the user who made
    /// the update on their own only when the query reads their fields and they were not
    /// sideloaded. The event comes back with a requester id and email the payload lacked
    /// filled in from that read, so the flow does not read them again. `None` when the ticket
    /// no longer exists.
    async fn read_ticket_document(
        &self,
        event: &TicketEvent,
        needs: filter::Needs,
    ) -> Result<Option<(Value, TicketEvent)>, WebhookRejection> {
        let ticket_id = event.ticket.id;
        let read: Value = match self
            .zendesk
            .get(&format!("api/v2/tickets/{ticket_id}?include=users"))
            .await
        {
            Ok(read) => read,
            Err(error) if error.status() == Some(404) => return Ok(None),
            Err(error) => return Err(Error::from(error).into()),
        };
        let ticket = read.get("ticket").cloned().unwrap_or(Value::Null);
        let users: Vec<Value> = read
            .get("users")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let updater = event.current_user.as_ref().and_then(|user| user.id);
        let sideloaded = |id: i64| {
            users
                .iter()
                .any(|user| user.get("id").and_then(Value::as_i64) == Some(id))
        };
        let current_user = match updater {
            Some(id) if needs.current_user && !sideloaded(id) => {
                let read: Value = self
                    .zendesk
                    .get(&format!("api/v2/users/{id}"))
                    .await
                    .map_err(Error::from)?;
                read.get("user").cloned()
            }
            _ => None,
        };
        let document = filter::api_document(event, ticket, &users, current_user);
        let event = with_requester(event, &document["requester"]);
        Ok(Some((document, event)))
    }

    /// Handles one Zendesk webhook request, framework-agnostic: checks the basic auth and the
    /// signature on the raw body, parses the trigger payload, then runs rx for a linked
    /// ticket, the agent-initiated flow for an unlinked ticket the filter takes, or ignores it.
    ///
    /// # Errors
    /// [`WebhookRejection`], whose [`status`](WebhookRejection::status) is the HTTP answer.
    pub async fn handle_zendesk_webhook(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<ZendeskWebhookOutcome, WebhookRejection> {
        let event = self.verify_zendesk_webhook(headers, raw_body)?;
        self.process_ticket_event(&event).await
    }

    /// Checks the basic auth and the signature on the raw body, then parses the payload.
    pub(crate) fn verify_zendesk_webhook(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<TicketEvent, WebhookRejection> {
        let zendesk = &self.config.zendesk;
        webhook::verify_basic_auth(
            headers,
            &zendesk.target_username,
            zendesk.target_password.expose_secret(),
        )
        .map_err(WebhookRejection::from_zendesk)?;
        webhook::verify_signature(
            headers,
            raw_body,
            zendesk.webhook_signing_secret.expose_secret(),
        )
        .map_err(WebhookRejection::from_zendesk)?;
        webhook::parse_ticket_event(raw_body).map_err(WebhookRejection::from_zendesk)
    }

    /// A verified ticket event, in its tracing span.
    pub(crate) async fn process_ticket_event(
        &self,
        event: &TicketEvent,
    ) -> Result<ZendeskWebhookOutcome, WebhookRejection> {
        let span = tracing::info_span!("zendesk_webhook", ticket_id = event.ticket.id);
        self.dispatch_ticket_event(event).instrument(span).await
    }

    /// Everything after verification and parsing: rx, the flow, or ignore.
    async fn dispatch_ticket_event(
        &self,
        event: &TicketEvent,
    ) -> Result<ZendeskWebhookOutcome, WebhookRejection> {
        let ticket_id = event.ticket.id;

        let linked = self
            .store
            .thread_try_lookup(ZENDESK_SUPPORT, &ticket_id.to_string())
            .await
            .map_err(Error::from)?;
        if let Some(thread) = linked {
            // The payload names the requester; a trigger body without it falls back on the
            // thread's own record.
            let requester_id = match event.requester().and_then(|requester| requester.id) {
                Some(id) => id,
                None => self
                    .requester_of(&thread)
                    .await?
                    .ok_or(Error::NoRequester { ticket_id })?,
            };
            let Some(sunco_user_id) = self
                .store
                .thread_try_reverse_lookup(&thread, SUNSHINE_CONVERSATIONS)
                .await
                .map_err(Error::from)?
            else {
                return Ok(ZendeskWebhookOutcome::Ignored {
                    ticket_id,
                    reason: "the ticket's thread has no SunCo user",
                });
            };
            let (conversation_id, _) = self.conversation_for(&thread, &sunco_user_id).await?;
            let rx = self
                .deliver_comments(&thread, ticket_id, requester_id, &conversation_id)
                .await?;
            let closing = event
                .ticket
                .status
                .as_ref()
                .is_some_and(|status| self.config.unlink_ticket_status.contains(status));
            if closing {
                self.store
                    .thread_set(&thread, PREVIOUS_TICKET_KEY, &ticket_id.to_string())
                    .await
                    .map_err(Error::from)?;
                self.store
                    .thread_unlink(ZENDESK_SUPPORT, &ticket_id.to_string())
                    .await
                    .map_err(Error::from)?;
                // A reply that met a closed ticket earlier is settled by now.
                self.forget_replaced_ticket(&thread).await?;
                tracing::info!(ticket_id, "ticket unlinked from its thread");
                return Ok(ZendeskWebhookOutcome::Unlinked { ticket_id, rx });
            }
            return Ok(ZendeskWebhookOutcome::Synced { ticket_id, rx });
        }

        let filter = &self.config.rx_unhandled_ticket;
        let needs = filter.needs();
        let fetched = match needs.any() {
            false => None,
            true => match self.read_ticket_document(event, needs).await? {
                Some(fetched) => Some(fetched),
                None => {
                    return Ok(ZendeskWebhookOutcome::Ignored {
                        ticket_id,
                        reason: "the ticket no longer exists",
                    });
                }
            },
        };
        let from_payload;
        let (document, event) = match &fetched {
            Some((document, event)) => (document, event),
            None => {
                from_payload = filter::document(event);
                (&from_payload, event)
            }
        };
        if !filter.matches(document) {
            return Ok(ZendeskWebhookOutcome::Ignored {
                ticket_id,
                reason: "the ticket is not linked and filter.rx_unhandled_ticket does not match",
            });
        }
        match self.handle_unhandled_ticket(event).await {
            Ok(outcome) => Ok(ZendeskWebhookOutcome::Started(Box::new(outcome))),
            Err(error @ (Error::NoRequesterEmail { .. } | Error::NoSunCoUser { .. })) => {
                Ok(ZendeskWebhookOutcome::Refused {
                    ticket_id,
                    reason: error.to_string(),
                })
            }
            Err(error) => Err(WebhookRejection::Failed(error)),
        }
    }
}

/// `event` with the requester's id and email filled in from an API read where the payload
/// lacked them.
fn with_requester(event: &TicketEvent, requester: &Value) -> TicketEvent {
    let mut event = event.clone();
    let known = event.requester();
    let id = known
        .and_then(|known| known.id)
        .or_else(|| requester.get("id").and_then(Value::as_i64));
    let email = known.and_then(|known| known.email.clone()).or_else(|| {
        requester
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let name = known.and_then(|known| known.name.clone()).or_else(|| {
        requester
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    // The payload types are built by their own parser, which normalises as for a webhook.
    if let Ok(filled) = serde_json::from_value(json!({"id": id, "email": email, "name": name})) {
        event.ticket.requester = Some(filled);
    }
    event
}
