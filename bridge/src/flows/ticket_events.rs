//! A verified Zendesk ticket event, and the flow that takes it: a linked ticket's new agent
//! comments go to the customer ([`agent_comments`]) and a ticket reaching
//! `unlink_ticket_status` is then unlinked ([`unlinking`]); an unlinked ticket the filter
//! takes starts a conversation ([`starting_conversation`]); anything else is ignored.

use meya_links::{SUNSHINE_CONVERSATIONS, ZENDESK_SUPPORT};
use serde_json::{Value, json};
use tracing::Instrument;
use zendesk_support::inbound::TicketEvent;

use super::agent_comments::{self, AgentCommentsOutcome};
use super::starting_conversation::{self, StartOutcome};
use super::unlinking;
use crate::context::Context;
use crate::threads::{conversation_for, requester_of};
use crate::{Error, Result, filter};

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
        comments: AgentCommentsOutcome,
    },
    /// A linked ticket: its new public agent comments were delivered.
    Synced {
        /// The ticket.
        ticket_id: i64,
        /// What was delivered.
        comments: AgentCommentsOutcome,
    },
    /// An unlinked ticket the filter took: the agent-initiated flow ran.
    Started(Box<StartOutcome>),
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

/// The filter's document read from the API, for a query that reads fields the trigger
/// payload lacks: the ticket with its users sideloaded (one call), and the user who made the
/// update on their own only when the query reads their fields and they were not sideloaded.
/// The event comes back with a requester id and email the payload lacked filled in from that
/// read, so the flow does not read them again. `None` when the ticket no longer exists.
async fn read_ticket_document(
    context: &Context,
    event: &TicketEvent,
    needs: filter::Needs,
) -> Result<Option<(Value, TicketEvent)>> {
    let ticket_id = event.ticket.id;
    let zendesk = &context.zendesk;
    let read: Value = match zendesk
        .get(&format!("api/v2/tickets/{ticket_id}?include=users"))
        .await
    {
        Ok(read) => read,
        Err(error) if error.status() == Some(404) => return Ok(None),
        Err(error) => return Err(error.into()),
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
            let read: Value = zendesk.get(&format!("api/v2/users/{id}")).await?;
            read.get("user").cloned()
        }
        _ => None,
    };
    let document = filter::api_document(event, ticket, &users, current_user);
    let event = with_requester(event, &document["requester"]);
    Ok(Some((document, event)))
}

/// A verified ticket event, in its tracing span: the agent comments (and the unlinking),
/// the start of a conversation, or nothing.
pub(crate) async fn process(
    context: &Context,
    event: &TicketEvent,
) -> Result<ZendeskWebhookOutcome> {
    let span = tracing::info_span!("zendesk_webhook", ticket_id = event.ticket.id);
    dispatch(context, event).instrument(span).await
}

async fn dispatch(context: &Context, event: &TicketEvent) -> Result<ZendeskWebhookOutcome> {
    let ticket_id = event.ticket.id;
    let store = context.store.as_ref();
    let linked = store
        .thread_try_lookup(ZENDESK_SUPPORT, &ticket_id.to_string())
        .await?;
    if let Some(thread) = linked {
        // The payload names the requester; a trigger body without it falls back on the
        // thread's own record.
        let requester_id = match event.requester().and_then(|requester| requester.id) {
            Some(id) => id,
            None => requester_of(store, &thread)
                .await?
                .ok_or(Error::NoRequester { ticket_id })?,
        };
        let Some(sunco_user_id) = store
            .thread_try_reverse_lookup(&thread, SUNSHINE_CONVERSATIONS)
            .await?
        else {
            return Ok(ZendeskWebhookOutcome::Ignored {
                ticket_id,
                reason: "the ticket's thread has no SunCo user",
            });
        };
        let (conversation_id, _) =
            conversation_for(&context.sunco, store, &thread, &sunco_user_id).await?;
        let comments =
            agent_comments::deliver(context, &thread, ticket_id, requester_id, &conversation_id)
                .await?;
        let closing = event
            .ticket
            .status
            .as_ref()
            .is_some_and(|status| context.config.unlink_ticket_status.contains(status));
        if closing {
            unlinking::unlink(store, &thread, ticket_id).await?;
            return Ok(ZendeskWebhookOutcome::Unlinked {
                ticket_id,
                comments,
            });
        }
        return Ok(ZendeskWebhookOutcome::Synced {
            ticket_id,
            comments,
        });
    }

    let filter = &context.config.rx_unhandled_ticket;
    let needs = filter.needs();
    let fetched = match needs.any() {
        false => None,
        true => match read_ticket_document(context, event, needs).await? {
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
    match starting_conversation::start(context, event).await {
        Ok(outcome) => Ok(ZendeskWebhookOutcome::Started(Box::new(outcome))),
        Err(error @ (Error::NoRequesterEmail { .. } | Error::NoSunCoUser { .. })) => {
            Ok(ZendeskWebhookOutcome::Refused {
                ticket_id,
                reason: error.to_string(),
            })
        }
        Err(error) => Err(error),
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
