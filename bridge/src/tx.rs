//! tx, SunCo -> Zendesk: a customer's message in a linked conversation becomes a public
//! comment on the linked ticket, authored by the requester, each message exactly once.

use http::HeaderMap;
use meya_links::{ClaimOutcome, DeliveryClaim, SUNSHINE_CONVERSATIONS, ThreadId, ZENDESK_SUPPORT};
use secrecy::ExposeSecret;
use sunshine_conversations::webhook::{self, Envelope, Event, EventPayload, MessageEvent};
use sunshine_conversations::{Content, MediaContent};
use tracing::Instrument;
use zendesk_support::{NewComment, NewTicket, TicketStatus, TicketUpdate};

use crate::bridge::{MAX_FILE_BYTES, MODE_KEY, PREVIOUS_TICKET_KEY};
use crate::config::AutoReopen;
use crate::lifecycle::{Fate, Replaced};
use crate::{Bridge, Error, Result, WebhookRejection};

/// The longest text one batched comment gets; more messages go in the next comment.
const MAX_BATCH_CHARS: usize = 32 * 1024;
/// How far apart SunCo's and Zendesk's clocks may be, in seconds.
const CLOCK_SKEW_SECS: i64 = 60;
/// What separates batched messages in one comment.
const PARAGRAPH: &str = "\n\n";
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

/// An RFC 3339 time (SunCo's `received`, Zendesk's `created_at`), to the second: Zendesk
/// keeps no finer, so a comment made in the message's own second still counts as after it.
fn rfc3339(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
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

/// What one SunCo event led to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventOutcome {
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

impl Bridge {
    /// Handles one SunCo webhook request, framework-agnostic: checks `X-API-Key`, parses
    /// the envelope, and turns each customer message in a linked conversation into a
    /// comment. Business messages (our own echoes) and other events are acknowledged and
    /// skipped.
    ///
    /// # Errors
    /// [`WebhookRejection`], whose [`status`](WebhookRejection::status) is the HTTP answer; a
    /// failure answers 500 so SunCo retries, and delivered messages are not repeated.
    pub async fn handle_sunco_webhook(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<Vec<EventOutcome>, WebhookRejection> {
        let envelope = self.verify_sunco_webhook(headers, raw_body)?;
        Ok(self.process_sunco_events(&envelope.events).await?)
    }

    /// Checks `X-API-Key`, then parses the envelope.
    pub(crate) fn verify_sunco_webhook(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
    ) -> Result<Envelope, WebhookRejection> {
        webhook::verify_api_key(headers, self.config.sunco.webhook_secret.expose_secret())
            .map_err(|error| WebhookRejection::Unauthorized(error.to_string()))?;
        webhook::parse(raw_body).map_err(|error| WebhookRejection::BadRequest(error.to_string()))
    }

    /// Processes parsed SunCo events: the customer messages become comments (several waiting
    /// for one ticket go in one update), the rest are acknowledged and skipped.
    pub(crate) async fn process_sunco_events(&self, events: &[Event]) -> Result<Vec<EventOutcome>> {
        let mut outcomes: Vec<Option<EventOutcome>> = vec![None; events.len()];
        // Customer messages by thread, in order; each keeps its place in `outcomes`.
        let mut by_thread: Vec<(ThreadId, i64, Vec<Candidate<'_>>)> = Vec::new();
        for (index, event) in events.iter().enumerate() {
            let EventPayload::ConversationMessage(message) = &event.payload else {
                tracing::debug!(kind = %event.kind, event_id = %event.id, "SunCo event skipped");
                outcomes[index] = Some(EventOutcome::Ignored {
                    event_id: event.id.clone(),
                    reason: "not a message event",
                });
                continue;
            };
            match self.candidate(&event.id, message).await? {
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
            let results = self
                .customer_messages(thread, *requester_id, group)
                .instrument(span)
                .await?;
            for (candidate, outcome) in group.iter().zip(results) {
                outcomes[candidate.index] = Some(outcome);
            }
        }
        Ok(outcomes.into_iter().flatten().collect())
    }

    /// The thread and requester a customer message goes to, or why it is skipped.
    async fn candidate(
        &self,
        event_id: &str,
        event: &MessageEvent,
    ) -> Result<Result<(ThreadId, i64), EventOutcome>> {
        let ignored = |reason| {
            Ok(Err(EventOutcome::Ignored {
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
        let Some(thread) = self
            .store
            .thread_try_lookup(SUNSHINE_CONVERSATIONS, &sunco_user_id)
            .await?
        else {
            return ignored("the conversation is not linked to a ticket's thread");
        };
        let Some(requester_id) = self.requester_of(&thread).await? else {
            return ignored("the thread's user has no Zendesk requester");
        };
        Ok(Ok((thread, requester_id)))
    }

    /// One customer's messages, in order: each claimed for delivery once, then sent as
    /// comments (one update for as many as fit).
    async fn customer_messages(
        &self,
        thread: &ThreadId,
        requester_id: i64,
        group: &[Candidate<'_>],
    ) -> Result<Vec<EventOutcome>> {
        let store = &self.store;
        let mut outcomes: Vec<Option<EventOutcome>> = vec![None; group.len()];
        let mut claims: Vec<(usize, DeliveryClaim)> = Vec::new();
        for (index, candidate) in group.iter().enumerate() {
            let message_id = &candidate.event.message.id;
            match store
                .delivery_claim(SUNSHINE_CONVERSATIONS, message_id, self.config.claim_lease)
                .await
            {
                Ok(ClaimOutcome::Claimed(claim)) => claims.push((index, claim)),
                // Another worker has it now; if that worker fails, SunCo's retry (or the
                // inbox's) must find the message again, so this answers "busy", not "done".
                Ok(ClaimOutcome::InProgress { .. }) => {
                    let busy = Error::Busy(format!("message {message_id}"));
                    return Err(self.fail_claims(&claims, busy).await);
                }
                Ok(_) => {
                    outcomes[index] = Some(EventOutcome::AlreadyDelivered {
                        event_id: candidate.event_id.to_owned(),
                    });
                }
                Err(error) => return Err(self.fail_claims(&claims, error.into()).await),
            }
        }
        if !claims.is_empty() {
            let sunco_user_id = sunco_user_of(group[0].event).unwrap_or_default();
            // One customer's messages are handled one at a time: they keep their order, and
            // two replies to an unlinked conversation open one ticket, not two.
            let lock = match self.lock(&format!("customer:{sunco_user_id}")).await {
                Ok(lock) => lock,
                Err(error) => return Err(self.fail_claims(&claims, error).await),
            };
            let result = self
                .comments_for(thread, requester_id, group, &claims, &mut outcomes)
                .await;
            self.unlock(&lock).await;
            if let Err(error) = result {
                return Err(self.fail_claims(&claims, error).await);
            }
        }
        Ok(outcomes.into_iter().flatten().collect())
    }

    /// Settles the claims of a failed attempt (see `settle_failed_claim`) and answers the
    /// error. Claims completed before the failure refuse to be settled, which is fine.
    async fn fail_claims(&self, claims: &[(usize, DeliveryClaim)], error: Error) -> Error {
        for (_, claim) in claims {
            self.settle_failed_claim(claim, &error).await;
        }
        error
    }

    /// Turns the claimed messages into comments on the thread's ticket (or a new ticket),
    /// completing each claim with the comment it went into.
    async fn comments_for(
        &self,
        thread: &ThreadId,
        requester_id: i64,
        group: &[Candidate<'_>],
        claims: &[(usize, DeliveryClaim)],
        outcomes: &mut [Option<EventOutcome>],
    ) -> Result<()> {
        let mut pending: Vec<Pending<'_>> = Vec::new();
        for (index, claim) in claims {
            let candidate = &group[*index];
            match self
                .comment_from(&candidate.event.message.content, requester_id)
                .await?
            {
                Some(comment) => pending.push(Pending {
                    index: *index,
                    claim,
                    comment,
                }),
                None => {
                    self.store.delivery_complete(claim, "").await?;
                    outcomes[*index] = Some(EventOutcome::Ignored {
                        event_id: candidate.event_id.to_owned(),
                        reason: "the message has no text or media the bridge carries",
                    });
                }
            }
        }
        for chunk in chunks(pending) {
            self.send_chunk(thread, requester_id, group, &chunk, outcomes)
                .await?;
        }
        Ok(())
    }

    /// Sends one chunk of messages as one comment: on the linked ticket, else on a new one.
    /// A linked ticket that turns out closed, merged or deleted is replaced (see
    /// [`lifecycle`](crate::lifecycle)) and the chunk goes to the replacement.
    async fn send_chunk(
        &self,
        thread: &ThreadId,
        requester_id: i64,
        group: &[Candidate<'_>],
        chunk: &[Pending<'_>],
        outcomes: &mut [Option<EventOutcome>],
    ) -> Result<()> {
        let event_id = |pending: &Pending<'_>| group[pending.index].event_id.to_owned();
        let retrying = chunk.iter().any(|pending| pending.claim.attempt() > 1);
        let mut chunk = chunk;
        // Each turn either posts the chunk or moves the thread to another ticket; a ticket
        // merged into one that is then closed takes a few turns.
        for _ in 0..MAX_TICKET_MOVES {
            let linked = self
                .store
                .thread_try_reverse_lookup(thread, ZENDESK_SUPPORT)
                .await?
                .and_then(|id| id.parse::<i64>().ok());
            let (ticket_id, rest) = match linked {
                Some(ticket_id) => (ticket_id, chunk),
                None => {
                    let opened = self
                        .open_ticket(thread, requester_id, group, chunk, outcomes, retrying)
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
                let found = self
                    .already_posted(ticket_id, requester_id, group, rest, outcomes)
                    .await?;
                rest = &rest[found..];
            }
            if rest.is_empty() {
                return Ok(());
            }
            let reopen = match self.should_reopen(thread, ticket_id).await? {
                Reopen::Moved(fate) => {
                    self.move_off(thread, ticket_id, fate).await?;
                    chunk = rest;
                    continue;
                }
                Reopen::Yes => true,
                Reopen::No => false,
            };
            let mut update = TicketUpdate::comment(merged(rest, requester_id));
            if reopen {
                update = update.with_status(TicketStatus::Open);
            }
            let updated = match self.zendesk.tickets().update(ticket_id, &update).await {
                Ok(updated) => updated,
                // Closed (422) or deleted (404)? Read what became of it; a 422 for another
                // reason stays an error.
                Err(error) if matches!(error.status(), Some(404 | 422)) => {
                    match self.ticket_fate(ticket_id).await? {
                        Fate::Open => return Err(error.into()),
                        fate => {
                            self.move_off(thread, ticket_id, fate).await?;
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
                self.store.delivery_complete(pending.claim, &target).await?;
                outcomes[pending.index] = Some(EventOutcome::Commented {
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
        &self,
        thread: &ThreadId,
        requester_id: i64,
        group: &[Candidate<'_>],
        chunk: &'a [Pending<'c>],
        outcomes: &mut [Option<EventOutcome>],
        retrying: bool,
    ) -> Result<Option<(i64, &'a [Pending<'c>])>> {
        let event_id = |pending: &Pending<'_>| group[pending.index].event_id.to_owned();
        let replaced = self.replaced_ticket(thread).await?;
        if replaced.is_none() && !self.config.new_ticket_for_unlinked_reply {
            for pending in chunk {
                self.store.delivery_complete(pending.claim, "").await?;
                outcomes[pending.index] = Some(EventOutcome::Ignored {
                    event_id: event_id(pending),
                    reason: "the conversation's ticket was unlinked",
                });
            }
            return Ok(None);
        }
        // An earlier attempt may have posted these on the ticket unlinked since.
        let mut chunk = chunk;
        let previous = if retrying {
            self.store
                .thread_get(thread, PREVIOUS_TICKET_KEY)
                .await?
                .and_then(|id| id.parse::<i64>().ok())
        } else {
            None
        };
        if let Some(previous) = previous {
            let found = self
                .already_posted(previous, requester_id, group, chunk, outcomes)
                .await?;
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
            .requester_id(requester_id)
            .tag("sunco");
        if let Some(Replaced::Closed(closed)) = replaced {
            ticket = ticket.follow_up_of(closed);
        }
        let created = self
            .zendesk
            .tickets()
            .create(ticket)
            .idempotency_key(format!("sunco-message-{first_message}"))
            .send()
            .await?;
        let ticket_id = created.ticket.id;
        self.store
            .thread_link(ZENDESK_SUPPORT, &ticket_id.to_string(), thread)
            .await?;
        self.store.thread_set(thread, MODE_KEY, "customer").await?;
        self.forget_replaced_ticket(thread).await?;
        self.store
            .delivery_complete(first.claim, &format!("ticket:{ticket_id}"))
            .await?;
        outcomes[first.index] = Some(EventOutcome::TicketCreated {
            event_id: event_id(first),
            ticket_id,
        });
        Ok(Some((ticket_id, rest)))
    }

    /// Completes the chunk's first messages that an earlier attempt already posted on
    /// `ticket_id`; answers how many.
    async fn already_posted(
        &self,
        ticket_id: i64,
        requester_id: i64,
        group: &[Candidate<'_>],
        chunk: &[Pending<'_>],
        outcomes: &mut [Option<EventOutcome>],
    ) -> Result<usize> {
        let Some((count, existing)) = self
            .posted_before(ticket_id, requester_id, group, chunk)
            .await?
        else {
            return Ok(0);
        };
        for pending in &chunk[..count] {
            self.store
                .delivery_complete(pending.claim, &existing.to_string())
                .await?;
            outcomes[pending.index] = Some(EventOutcome::AlreadyDelivered {
                event_id: group[pending.index].event_id.to_owned(),
            });
        }
        Ok(count)
    }

    /// The Zendesk requester of a thread's primary user, if linked.
    pub(crate) async fn requester_of(&self, thread: &ThreadId) -> Result<Option<i64>> {
        let Some(user) = self.store.thread_primary_user(thread).await? else {
            return Ok(None);
        };
        let requester = self
            .store
            .user_try_reverse_lookup(&user, ZENDESK_SUPPORT)
            .await?;
        Ok(requester.and_then(|id| id.parse().ok()))
    }

    /// How many of the chunk's first messages an earlier attempt already posted, and the
    /// comment they went into: a comment by the requester whose text is theirs, merged (and
    /// with as many uploads). Zendesk comments carry no metadata of ours, so the text is the
    /// evidence. An earlier attempt's batch started with the same messages (one customer's
    /// queue is taken in order), so only prefixes are tried, longest first.
    async fn posted_before(
        &self,
        ticket_id: i64,
        requester_id: i64,
        group: &[Candidate<'_>],
        chunk: &[Pending<'_>],
    ) -> Result<Option<(usize, i64)>> {
        let comments = self.zendesk.tickets().comments(ticket_id).all().await?;
        // A comment older than the first message cannot hold it: without this, a customer
        // who repeats an earlier text could have the repeat taken for the original. The
        // margin covers clock skew between SunCo and Zendesk.
        let sent_at = group[chunk[0].index]
            .event
            .message
            .received
            .as_deref()
            .and_then(rfc3339);
        let by_requester: Vec<_> = comments
            .iter()
            .rev()
            .filter(|existing| existing.author_id == Some(requester_id))
            .filter(|existing| {
                let created = existing.created_at.as_deref().and_then(rfc3339);
                match (sent_at, created) {
                    (Some(sent), Some(created)) => created >= sent - CLOCK_SKEW_SECS,
                    _ => true,
                }
            })
            .collect();
        for count in (1..=chunk.len()).rev() {
            let expected = merged(&chunk[..count], requester_id);
            let body = expected.body.as_deref().unwrap_or_default().trim();
            let found = by_requester.iter().find(|existing| {
                let text = existing.body.as_deref().unwrap_or_default().trim();
                let same_text = text == body
                    || text
                        .strip_prefix(body)
                        .is_some_and(|rest| rest.starts_with(PARAGRAPH));
                same_text && existing.attachments.len() >= expected.uploads.len()
            });
            if let Some(existing) = found {
                return Ok(Some((count, existing.id)));
            }
        }
        Ok(None)
    }

    /// Whether a customer message should reopen the ticket, per `auto_reopen_ticket`. Costs
    /// one ticket read, only when reopening is possible at all; a ticket that read finds
    /// closed or gone is not updated but replaced.
    async fn should_reopen(&self, thread: &ThreadId, ticket_id: i64) -> Result<Reopen> {
        let allowed = match self.config.auto_reopen_ticket {
            AutoReopen::Never => false,
            AutoReopen::Always => true,
            AutoReopen::Agent => {
                self.store.thread_get(thread, MODE_KEY).await?.as_deref() == Some("agent")
            }
        };
        if !allowed {
            return Ok(Reopen::No);
        }
        let ticket = match self.zendesk.tickets().get(ticket_id).await {
            Ok(ticket) => ticket,
            Err(error) if error.status() == Some(404) => {
                return Ok(Reopen::Moved(Fate::Deleted(ticket_id)));
            }
            Err(error) => return Err(error.into()),
        };
        Ok(match ticket.status {
            Some(TicketStatus::Pending | TicketStatus::Hold | TicketStatus::Solved) => Reopen::Yes,
            Some(TicketStatus::Closed) => match self.fate_of(ticket).await? {
                Fate::Open => Reopen::No,
                fate => Reopen::Moved(fate),
            },
            _ => Reopen::No,
        })
    }

    /// The comment a message becomes: its text, and its media uploaded to Zendesk (or linked
    /// by URL when `upload_attachments` is false). A file that cannot be carried (refused by
    /// the media policy, gone, too big, too slow, refused by Zendesk's uploads) is named and
    /// linked in the text instead, with a line saying so: the comment itself still goes.
    /// `None` for content the bridge does not carry (carousels, forms, ...).
    async fn comment_from(
        &self,
        content: &Content,
        requester_id: i64,
    ) -> Result<Option<NewComment>> {
        let (text, media): (Option<&str>, Option<&MediaContent>) = match content {
            Content::Text(text) => (text.text.as_deref(), None),
            Content::Image(media) | Content::File(media) => (media.text.as_deref(), Some(media)),
            _ => return Ok(None),
        };
        let mut body = text.map(str::trim).unwrap_or_default().to_owned();
        let mut uploads = Vec::new();
        if let Some(media) = media {
            let carried = if self.config.upload_attachments {
                self.upload_media(media).await?
            } else {
                Carried::Linked
            };
            let link = match carried {
                Carried::Uploaded(token) => {
                    uploads.push(token);
                    None
                }
                Carried::Linked => Some(media.media_url.clone()),
                Carried::Missing(reason) => {
                    tracing::info!(reason = %reason, "customer media not attached; linked instead");
                    Some(format!(
                        "{}: {}\n(The file could not be attached: {reason}.)",
                        file_name(media),
                        media.media_url
                    ))
                }
            };
            if let Some(link) = link {
                if !body.is_empty() {
                    body.push_str(PARAGRAPH);
                }
                body.push_str(&link);
            }
        }
        if body.is_empty() && uploads.is_empty() {
            return Ok(None);
        }
        if body.is_empty() {
            body = "(attachment)".to_owned();
        }
        let mut comment = NewComment::text(body).author(requester_id);
        comment.uploads = uploads;
        Ok(Some(comment))
    }

    /// Copies a customer's media into a Zendesk upload (size-capped). A failure of the file
    /// (the fetch, or Zendesk refusing it) answers why; a failure of Zendesk's uploads API
    /// itself (5xx, 429, a timeout, our credentials) is an error, retried with the reply.
    async fn upload_media(&self, media: &MediaContent) -> Result<Carried> {
        let download = match self.media.fetch(&media.media_url, MAX_FILE_BYTES).await {
            Ok(download) => download,
            Err(error) => return Ok(Carried::Missing(error.to_string())),
        };
        let content_type = media
            .media_type
            .clone()
            .or(download.content_type)
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let uploaded = self
            .zendesk
            .uploads()
            .upload(&file_name(media), &content_type, download.bytes)
            .await;
        match uploaded {
            Ok(upload) => Ok(Carried::Uploaded(upload.token)),
            Err(error)
                if matches!(error, zendesk_support::Error::TooLarge { .. })
                    || error.status().is_some_and(|status| {
                        (400..500).contains(&status)
                            && !matches!(status, 401 | 403 | 408 | 409 | 429)
                    }) =>
            {
                Ok(Carried::Missing(format!(
                    "Zendesk refused the upload ({error})"
                )))
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// What became of a customer's file.
enum Carried {
    /// Uploaded to Zendesk: the upload token.
    Uploaded(String),
    /// Linked by URL, as `upload_attachments: false` asks.
    Linked,
    /// Could not be carried: why.
    Missing(String),
}

/// The file name a media URL ends with, or `attachment`.
fn file_name(media: &MediaContent) -> String {
    media
        .media_url
        .rsplit('/')
        .next()
        .and_then(|name| name.split(['?', '#']).next())
        .filter(|name| !name.is_empty())
        .unwrap_or("attachment")
        .to_owned()
}
