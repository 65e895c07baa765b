//! Customer messages to the ticket (Meya's *tx*, SunCo -> Zendesk): a customer's message in a
//! linked conversation becomes a public comment on the linked ticket, authored by the
//! requester, each message exactly once.
//!
//! - One customer's messages are taken in order, under the customer's lock; several waiting
//!   together go into one ticket update (Zendesk allows 30 updates per ticket in 10 minutes).
//! - Per `auto_reopen_ticket`, the comment also reopens a pending, on-hold or solved ticket.
//! - A conversation with no linked ticket opens a new one (`new_ticket_for_unlinked_reply`),
//!   and a ticket found closed, merged or deleted is replaced (see [`lifecycle`]); the new
//!   ticket is made under the first message's idempotency key.
//! - Media become Zendesk uploads ([`comment`]); a retry after a timeout or a crash finds
//!   the comment an earlier attempt posted ([`retry`]) instead of posting it again.
//!
//! [`lifecycle`]: crate::lifecycle

mod comment;
mod retry;

use meya_links::{ClaimOutcome, DeliveryClaim, SUNSHINE_CONVERSATIONS, ThreadId, ZENDESK_SUPPORT};
use sunshine_conversations::inbound::{Event, EventPayload, MessageEvent};
use tracing::Instrument;
use zendesk_support::{NewComment, NewTicket, TicketStatus, TicketUpdate};

use crate::claims::settle_failed;
use crate::config::AutoReopen;
use crate::context::Context;
use crate::lifecycle::{self, Fate, Replaced};
use crate::threads::{MODE_KEY, PREVIOUS_TICKET_KEY, requester_of};
use crate::{Error, Result};

/// The longest text one batched comment gets; more messages go in the next comment.
const MAX_BATCH_CHARS: usize = 32 * 1024;
/// What separates batched messages in one comment.
pub(super) const PARAGRAPH: &str = "\n\n";
/// How often one chunk may follow its thread to another ticket (merges, a closed ticket's
/// follow-up) before the attempt gives up and is retried.
const MAX_TICKET_MOVES: usize = 6;

/// What `should_reopen` found.
enum Reopen {
    /// Reopen with the comment.
    Yes,
    /// Comment only.
    No,
    /// The ticket is closed, merged or gone: move the thread off it first.
    Moved(Fate),
}

/// A customer message on its way to a ticket; `index` is its place in the request.
struct Candidate<'e> {
    index: usize,
    event_id: &'e str,
    event: &'e MessageEvent,
}

/// A claimed message and the comment it becomes; `index` is its place in its group.
struct Pending<'c> {
    index: usize,
    claim: &'c DeliveryClaim,
    comment: NewComment,
}

/// The SunCo user who wrote a message.
pub(crate) fn sunco_user_of(event: &MessageEvent) -> Option<String> {
    let author = &event.message.author;
    author
        .user_id
        .clone()
        .or_else(|| author.user.as_ref().map(|user| user.id.clone()))
}

/// Messages in order, cut into runs whose merged text fits one comment.
fn chunks(pending: Vec<Pending<'_>>) -> Vec<Vec<Pending<'_>>> {
    let mut chunks: Vec<Vec<Pending<'_>>> = Vec::new();
    let mut chars = 0;
    for message in pending {
        let len = message.comment.body.as_deref().map_or(0, str::len);
        match chunks.last_mut() {
            Some(chunk) if chars + PARAGRAPH.len() + len <= MAX_BATCH_CHARS => {
                chars += PARAGRAPH.len() + len;
                chunk.push(message);
            }
            _ => {
                chars = len;
                chunks.push(vec![message]);
            }
        }
    }
    chunks
}

/// One comment by the requester holding several messages: texts a paragraph apart, every
/// upload.
fn merged(chunk: &[Pending<'_>], requester_id: i64) -> NewComment {
    let body = chunk
        .iter()
        .filter_map(|pending| pending.comment.body.as_deref())
        .collect::<Vec<_>>()
        .join(PARAGRAPH);
    let mut comment = NewComment::text(body).author(requester_id);
    comment.uploads = chunk
        .iter()
        .flat_map(|pending| pending.comment.uploads.iter().cloned())
        .collect();
    comment
}

/// What one SunCo event led to (Meya's *tx*, for a customer's message).
#[doc(alias = "tx")]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SunCoEventOutcome {
    /// The message became a comment on the linked ticket.
    Commented {
        /// The SunCo event.
        event_id: String,
        /// The ticket.
        ticket_id: i64,
        /// The comment, when Zendesk said.
        comment_id: Option<i64>,
        /// Whether the comment also reopened the ticket.
        reopened: bool,
    },
    /// The conversation had no linked ticket: the message opened a new one, now linked.
    TicketCreated {
        /// The SunCo event.
        event_id: String,
        /// The new ticket.
        ticket_id: i64,
    },
    /// The message was delivered before (SunCo repeated the webhook).
    AlreadyDelivered {
        /// The SunCo event.
        event_id: String,
    },
    /// Not for the bridge.
    Ignored {
        /// The SunCo event.
        event_id: String,
        /// Why.
        reason: &'static str,
    },
}

/// Processes parsed SunCo events: the customer messages become comments (several waiting
/// for one ticket go in one update), the rest are acknowledged and skipped.
pub(crate) async fn process(context: &Context, events: &[Event]) -> Result<Vec<SunCoEventOutcome>> {
    let mut outcomes: Vec<Option<SunCoEventOutcome>> = vec![None; events.len()];
    // Customer messages by thread, in order; each keeps its place in `outcomes`.
    let mut by_thread: Vec<(ThreadId, i64, Vec<Candidate<'_>>)> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let EventPayload::ConversationMessage(message) = &event.payload else {
            tracing::debug!(kind = %event.kind, event_id = %event.id, "SunCo event skipped");
            outcomes[index] = Some(SunCoEventOutcome::Ignored {
                event_id: event.id.clone(),
                reason: "not a message event",
            });
            continue;
        };
        match candidate(context, &event.id, message).await? {
            Ok((thread, requester_id)) => {
                let candidate = Candidate {
                    index,
                    event_id: &event.id,
                    event: message,
                };
                match by_thread.iter_mut().find(|(t, _, _)| *t == thread) {
                    Some((_, _, group)) => group.push(candidate),
                    None => by_thread.push((thread, requester_id, vec![candidate])),
                }
            }
            Err(ignored) => outcomes[index] = Some(ignored),
        }
    }
    for (thread, requester_id, group) in &by_thread {
        let span = tracing::info_span!(
            "sunco_messages",
            event_id = %group[0].event_id,
            message_id = %group[0].event.message.id,
            messages = group.len()
        );
        let results = one_customer(context, thread, *requester_id, group)
            .instrument(span)
            .await?;
        for (candidate, outcome) in group.iter().zip(results) {
            outcomes[candidate.index] = Some(outcome);
        }
    }
    let outcomes: Vec<SunCoEventOutcome> = outcomes.into_iter().flatten().collect();
    crate::telemetry::customer_messages(&outcomes);
    Ok(outcomes)
}

/// The thread and requester a customer message goes to, or why it is skipped.
async fn candidate(
    context: &Context,
    event_id: &str,
    event: &MessageEvent,
) -> Result<Result<(ThreadId, i64), SunCoEventOutcome>> {
    let ignored = |reason| {
        Ok(Err(SunCoEventOutcome::Ignored {
            event_id: event_id.to_owned(),
            reason,
        }))
    };
    if event.is_from_business() {
        return ignored("a business message (the bridge's own, or another bot's)");
    }
    let Some(sunco_user_id) = sunco_user_of(event) else {
        return ignored("the message has no user");
    };
    let Some(thread) = context
        .store
        .thread_try_lookup(SUNSHINE_CONVERSATIONS, &sunco_user_id)
        .await?
    else {
        return ignored("the conversation is not linked to a ticket's thread");
    };
    let Some(requester_id) = requester_of(context.store.as_ref(), &thread).await? else {
        return ignored("the thread's user has no Zendesk requester");
    };
    Ok(Ok((thread, requester_id)))
}

/// One customer's messages, in order: each claimed for delivery once, then sent as
/// comments (one update for as many as fit).
async fn one_customer(
    context: &Context,
    thread: &ThreadId,
    requester_id: i64,
    group: &[Candidate<'_>],
) -> Result<Vec<SunCoEventOutcome>> {
    let store = &context.store;
    let mut outcomes: Vec<Option<SunCoEventOutcome>> = vec![None; group.len()];
    let mut claims: Vec<(usize, DeliveryClaim)> = Vec::new();
    for (index, candidate) in group.iter().enumerate() {
        let message_id = &candidate.event.message.id;
        match store
            .delivery_claim(
                SUNSHINE_CONVERSATIONS,
                message_id,
                context.config.claim_lease,
            )
            .await
        {
            Ok(ClaimOutcome::Claimed(claim)) => claims.push((index, claim)),
            // Another worker has it now; if that worker fails, SunCo's retry (or the
            // inbox's) must find the message again, so this answers "busy", not "done".
            Ok(ClaimOutcome::InProgress { .. }) => {
                let busy = Error::Busy(format!("message {message_id}"));
                return Err(fail_claims(context, &claims, busy).await);
            }
            Ok(_) => {
                outcomes[index] = Some(SunCoEventOutcome::AlreadyDelivered {
                    event_id: candidate.event_id.to_owned(),
                });
            }
            Err(error) => return Err(fail_claims(context, &claims, error.into()).await),
        }
    }
    if !claims.is_empty() {
        let sunco_user_id = sunco_user_of(group[0].event).unwrap_or_default();
        // One customer's messages are handled one at a time: they keep their order, and
        // two replies to an unlinked conversation open one ticket, not two.
        let key = format!("customer:{sunco_user_id}");
        let lease = context.config.claim_lease;
        let lock = match context.locks.lock(&context.store, &key, lease).await {
            Ok(lock) => lock,
            Err(error) => return Err(fail_claims(context, &claims, error).await),
        };
        let result =
            comments_for(context, thread, requester_id, group, &claims, &mut outcomes).await;
        lock.release().await;
        if let Err(error) = result {
            return Err(fail_claims(context, &claims, error).await);
        }
    }
    Ok(outcomes.into_iter().flatten().collect())
}

/// Settles the claims of a failed attempt (see [`settle_failed`]) and answers the
/// error. Claims completed before the failure refuse to be settled, which is fine.
async fn fail_claims(context: &Context, claims: &[(usize, DeliveryClaim)], error: Error) -> Error {
    for (_, claim) in claims {
        settle_failed(
            context.store.as_ref(),
            claim,
            &error,
            context.config.api_timeout,
        )
        .await;
    }
    error
}

/// Turns the claimed messages into comments on the thread's ticket (or a new ticket),
/// completing each claim with the comment it went into.
async fn comments_for(
    context: &Context,
    thread: &ThreadId,
    requester_id: i64,
    group: &[Candidate<'_>],
    claims: &[(usize, DeliveryClaim)],
    outcomes: &mut [Option<SunCoEventOutcome>],
) -> Result<()> {
    let mut pending: Vec<Pending<'_>> = Vec::new();
    for (index, claim) in claims {
        let candidate = &group[*index];
        match comment::comment_from(context, &candidate.event.message.content, requester_id).await?
        {
            Some(comment) => pending.push(Pending {
                index: *index,
                claim,
                comment,
            }),
            None => {
                context.store.delivery_complete(claim, "").await?;
                outcomes[*index] = Some(SunCoEventOutcome::Ignored {
                    event_id: candidate.event_id.to_owned(),
                    reason: "the message has no text or media the bridge carries",
                });
            }
        }
    }
    for chunk in chunks(pending) {
        send_chunk(context, thread, requester_id, group, &chunk, outcomes).await?;
    }
    Ok(())
}

/// Sends one chunk of messages as one comment: on the linked ticket, else on a new one.
/// A linked ticket that turns out closed, merged or deleted is replaced (see
/// [`lifecycle`](crate::lifecycle)) and the chunk goes to the replacement.
async fn send_chunk(
    context: &Context,
    thread: &ThreadId,
    requester_id: i64,
    group: &[Candidate<'_>],
    chunk: &[Pending<'_>],
    outcomes: &mut [Option<SunCoEventOutcome>],
) -> Result<()> {
    let event_id = |pending: &Pending<'_>| group[pending.index].event_id.to_owned();
    let retrying = chunk.iter().any(|pending| pending.claim.attempt() > 1);
    let mut chunk = chunk;
    // Each turn either posts the chunk or moves the thread to another ticket; a ticket
    // merged into one that is then closed takes a few turns.
    for _ in 0..MAX_TICKET_MOVES {
        let linked = context
            .store
            .thread_try_reverse_lookup(thread, ZENDESK_SUPPORT)
            .await?
            .and_then(|id| id.parse::<i64>().ok());
        let (ticket_id, rest) = match linked {
            Some(ticket_id) => (ticket_id, chunk),
            None => {
                let opened = open_ticket(
                    context,
                    thread,
                    requester_id,
                    group,
                    chunk,
                    outcomes,
                    retrying,
                )
                .await?;
                match opened {
                    Some(opened) => opened,
                    None => return Ok(()),
                }
            }
        };
        // A later attempt follows a worker that may have posted (some of) these before it
        // stopped (a timeout, a crash): look for them on the ticket before posting again.
        let mut rest = rest;
        if retrying {
            let found = retry::already_posted(context, ticket_id, group, rest, outcomes).await?;
            rest = &rest[found..];
        }
        if rest.is_empty() {
            return Ok(());
        }
        let reopen = match should_reopen(context, thread, ticket_id).await? {
            Reopen::Moved(fate) => {
                lifecycle::move_off(context.store.as_ref(), thread, ticket_id, fate).await?;
                chunk = rest;
                continue;
            }
            Reopen::Yes => true,
            Reopen::No => false,
        };
        let mut update = TicketUpdate::comment(merged(rest, requester_id))
            .with_metadata(retry::carrying(group, rest));
        if reopen {
            update = update.with_status(TicketStatus::Open);
        }
        let updated = match context.zendesk.tickets().update(ticket_id, &update).await {
            Ok(updated) => updated,
            // Closed (422) or deleted (404)? Read what became of it; a 422 for another
            // reason stays an error.
            Err(error) if matches!(error.status(), Some(404 | 422)) => {
                match lifecycle::ticket_fate(&context.zendesk, ticket_id).await? {
                    Fate::Open => return Err(error.into()),
                    fate => {
                        lifecycle::move_off(context.store.as_ref(), thread, ticket_id, fate)
                            .await?;
                        chunk = rest;
                        continue;
                    }
                }
            }
            Err(error) => return Err(error.into()),
        };
        let comment_id = updated.comment_id();
        let target = comment_id.map(|id| id.to_string()).unwrap_or_default();
        for pending in rest {
            context
                .store
                .delivery_complete(pending.claim, &target)
                .await?;
            outcomes[pending.index] = Some(SunCoEventOutcome::Commented {
                event_id: event_id(pending),
                ticket_id,
                comment_id,
                reopened: reopen,
            });
        }
        return Ok(());
    }
    Err(Error::Busy(format!(
        "the thread's ticket moved {MAX_TICKET_MOVES} times while a reply was sent"
    )))
}

/// Opens a ticket for a chunk whose thread has none linked: a follow-up of a ticket a
/// reply found closed (or a new one for a deleted ticket), or, when
/// `new_ticket_for_unlinked_reply`, a new ticket for a conversation whose ticket was
/// unlinked. The ticket opens with the chunk's first message; answers it and the rest of
/// the chunk, or `None` when the chunk was settled here (ignored, or found posted).
async fn open_ticket<'a, 'c>(
    context: &Context,
    thread: &ThreadId,
    requester_id: i64,
    group: &[Candidate<'_>],
    chunk: &'a [Pending<'c>],
    outcomes: &mut [Option<SunCoEventOutcome>],
    retrying: bool,
) -> Result<Option<(i64, &'a [Pending<'c>])>> {
    let event_id = |pending: &Pending<'_>| group[pending.index].event_id.to_owned();
    let replaced = lifecycle::replaced_ticket(context.store.as_ref(), thread).await?;
    if replaced.is_none() && !context.config.new_ticket_for_unlinked_reply {
        for pending in chunk {
            context.store.delivery_complete(pending.claim, "").await?;
            outcomes[pending.index] = Some(SunCoEventOutcome::Ignored {
                event_id: event_id(pending),
                reason: "the conversation's ticket was unlinked",
            });
        }
        return Ok(None);
    }
    // An earlier attempt may have posted these on the ticket unlinked since.
    let mut chunk = chunk;
    let previous = if retrying {
        context
            .store
            .thread_get(thread, PREVIOUS_TICKET_KEY)
            .await?
            .and_then(|id| id.parse::<i64>().ok())
    } else {
        None
    };
    if let Some(previous) = previous {
        let found = retry::already_posted(context, previous, group, chunk, outcomes).await?;
        chunk = &chunk[found..];
    }
    let Some((first, rest)) = chunk.split_first() else {
        return Ok(None);
    };
    // The ticket opens with the first message alone, under that message's
    // Idempotency-Key: a retry, whatever else its batch holds, gets the same ticket back.
    // The rest follow as one comment.
    let first_message = &group[first.index].event.message.id;
    let mut ticket = NewTicket::new(first.comment.clone())
        .metadata(retry::carrying(group, std::slice::from_ref(first)))
        .requester_id(requester_id)
        .tag("sunco");
    if let Some(Replaced::Closed(closed)) = replaced {
        ticket = ticket.follow_up_of(closed);
    }
    let created = context
        .zendesk
        .tickets()
        .create(ticket)
        .idempotency_key(format!("sunco-message-{first_message}"))
        .send()
        .await?;
    let ticket_id = created.ticket.id;
    context
        .store
        .thread_link(ZENDESK_SUPPORT, &ticket_id.to_string(), thread)
        .await?;
    context
        .store
        .thread_set(thread, MODE_KEY, "customer")
        .await?;
    lifecycle::forget_replaced_ticket(context.store.as_ref(), thread).await?;
    context
        .store
        .delivery_complete(first.claim, &format!("ticket:{ticket_id}"))
        .await?;
    outcomes[first.index] = Some(SunCoEventOutcome::TicketCreated {
        event_id: event_id(first),
        ticket_id,
    });
    Ok(Some((ticket_id, rest)))
}

/// Whether a customer message should reopen the ticket, per `auto_reopen_ticket`. Costs
/// one ticket read, only when reopening is possible at all; a ticket that read finds
/// closed or gone is not updated but replaced.
async fn should_reopen(context: &Context, thread: &ThreadId, ticket_id: i64) -> Result<Reopen> {
    let allowed = match context.config.auto_reopen_ticket {
        AutoReopen::Never => false,
        AutoReopen::Always => true,
        AutoReopen::Agent => {
            context.store.thread_get(thread, MODE_KEY).await?.as_deref() == Some("agent")
        }
    };
    if !allowed {
        return Ok(Reopen::No);
    }
    let ticket = match context.zendesk.tickets().get(ticket_id).await {
        Ok(ticket) => ticket,
        Err(error) if error.status() == Some(404) => {
            return Ok(Reopen::Moved(Fate::Deleted(ticket_id)));
        }
        Err(error) => return Err(error.into()),
    };
    Ok(match ticket.status {
        Some(TicketStatus::Pending | TicketStatus::Hold | TicketStatus::Solved) => Reopen::Yes,
        Some(TicketStatus::Closed) => match lifecycle::fate_of(&context.zendesk, ticket).await? {
            Fate::Open => Reopen::No,
            fate => Reopen::Moved(fate),
        },
        _ => Reopen::No,
    })
}
