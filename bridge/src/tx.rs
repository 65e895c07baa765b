//! tx, SunCo -> Zendesk: a customer's message in a linked conversation becomes a public
//! comment on the linked ticket, authored by the requester, each message exactly once.

use std::time::Duration;

use http::HeaderMap;
use meya_links::{ClaimOutcome, DeliveryClaim, SUNSHINE_CONVERSATIONS, ThreadId, ZENDESK_SUPPORT};
use secrecy::ExposeSecret;
use sunshine_conversations::webhook::{self, EventPayload, MessageEvent};
use sunshine_conversations::{Content, MediaContent};
use tracing::Instrument;
use zendesk_support::{NewComment, NewTicket, TicketStatus, TicketUpdate};

use crate::bridge::{MAX_FILE_BYTES, MODE_KEY};
use crate::config::AutoReopen;
use crate::{Bridge, Error, Result, WebhookRejection};

/// How long a worker holds a message's delivery before another may take it over.
const DELIVERY_LEASE: Duration = Duration::from_secs(60);

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
        webhook::verify_api_key(headers, self.config.sunco.webhook_secret.expose_secret())
            .map_err(|error| WebhookRejection::Unauthorized(error.to_string()))?;
        let envelope = webhook::parse(raw_body)
            .map_err(|error| WebhookRejection::BadRequest(error.to_string()))?;
        let mut outcomes = Vec::with_capacity(envelope.events.len());
        for event in &envelope.events {
            let outcome = match &event.payload {
                EventPayload::ConversationMessage(message) => {
                    let span = tracing::info_span!(
                        "sunco_event",
                        event_id = %event.id,
                        message_id = %message.message.id
                    );
                    self.customer_message(&event.id, message)
                        .instrument(span)
                        .await?
                }
                _ => {
                    tracing::debug!(kind = %event.kind, "SunCo event skipped");
                    EventOutcome::Ignored {
                        event_id: event.id.clone(),
                        reason: "not a message event",
                    }
                }
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    async fn customer_message(&self, event_id: &str, event: &MessageEvent) -> Result<EventOutcome> {
        let ignored = |reason| {
            Ok(EventOutcome::Ignored {
                event_id: event_id.to_owned(),
                reason,
            })
        };
        if event.is_from_business() {
            return ignored("a business message (the bridge's own, or another bot's)");
        }
        let author = &event.message.author;
        let Some(sunco_user_id) = author
            .user_id
            .clone()
            .or_else(|| author.user.as_ref().map(|user| user.id.clone()))
        else {
            return ignored("the message has no user");
        };
        let store = &self.store;
        let Some(thread) = store
            .thread_try_lookup(SUNSHINE_CONVERSATIONS, &sunco_user_id)
            .await?
        else {
            return ignored("the conversation is not linked to a ticket's thread");
        };
        let Some(requester_id) = self.requester_of(&thread).await? else {
            return ignored("the thread's user has no Zendesk requester");
        };
        let claim = match store
            .delivery_claim(SUNSHINE_CONVERSATIONS, &event.message.id, DELIVERY_LEASE)
            .await?
        {
            ClaimOutcome::Claimed(claim) => claim,
            // Another worker has it now; if that worker fails, SunCo's retry of this request
            // must find the message again, so this one answers "busy" rather than "done".
            ClaimOutcome::InProgress { .. } => {
                return Err(Error::Busy(format!("message {}", event.message.id)));
            }
            _ => {
                return Ok(EventOutcome::AlreadyDelivered {
                    event_id: event_id.to_owned(),
                });
            }
        };
        // One customer's messages are handled one at a time: they keep their order, and two
        // replies to an unlinked conversation open one ticket, not two.
        let lock = match self.lock(&format!("customer:{sunco_user_id}")).await {
            Ok(lock) => lock,
            Err(error) => {
                let _ = store.delivery_release(&claim).await;
                return Err(error);
            }
        };
        let result = self
            .comment_for(event_id, event, &thread, requester_id, &claim)
            .await;
        self.unlock(&lock).await;
        if let Err(error) = &result {
            let timed_out = matches!(error, Error::Zendesk(e) if e.is_timeout());
            if !timed_out && let Err(release) = store.delivery_release(&claim).await {
                tracing::warn!(error = %release, "could not release a delivery claim");
            }
        }
        result
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

    async fn comment_for(
        &self,
        event_id: &str,
        event: &MessageEvent,
        thread: &ThreadId,
        requester_id: i64,
        claim: &DeliveryClaim,
    ) -> Result<EventOutcome> {
        let Some(comment) = self
            .comment_from(&event.message.content, requester_id)
            .await?
        else {
            self.store.delivery_complete(claim, "").await?;
            return Ok(EventOutcome::Ignored {
                event_id: event_id.to_owned(),
                reason: "the message has no text or media the bridge carries",
            });
        };
        let ticket = self
            .store
            .thread_try_reverse_lookup(thread, ZENDESK_SUPPORT)
            .await?
            .and_then(|id| id.parse::<i64>().ok());
        let Some(ticket_id) = ticket else {
            if !self.config.new_ticket_for_unlinked_reply {
                self.store.delivery_complete(claim, "").await?;
                return Ok(EventOutcome::Ignored {
                    event_id: event_id.to_owned(),
                    reason: "the conversation's ticket was unlinked",
                });
            }
            let created = self
                .zendesk
                .tickets()
                .create(
                    NewTicket::new(comment)
                        .requester_id(requester_id)
                        .tag("sunco"),
                )
                .idempotency_key(format!("sunco-message-{}", event.message.id))
                .send()
                .await?;
            let ticket_id = created.ticket.id;
            self.store
                .thread_link(ZENDESK_SUPPORT, &ticket_id.to_string(), thread)
                .await?;
            self.store.thread_set(thread, MODE_KEY, "customer").await?;
            self.store
                .delivery_complete(claim, &format!("ticket:{ticket_id}"))
                .await?;
            return Ok(EventOutcome::TicketCreated {
                event_id: event_id.to_owned(),
                ticket_id,
            });
        };
        // A later attempt follows a worker that may have posted the comment before it
        // stopped (a timeout, a crash): look for it on the ticket before posting again.
        if claim.attempt() > 1
            && let Some(existing) = self
                .posted_before(ticket_id, requester_id, &comment)
                .await?
        {
            self.store
                .delivery_complete(claim, &existing.to_string())
                .await?;
            return Ok(EventOutcome::AlreadyDelivered {
                event_id: event_id.to_owned(),
            });
        }
        let reopen = self.should_reopen(thread, ticket_id).await?;
        let mut update = TicketUpdate::comment(comment);
        if reopen {
            update = update.with_status(TicketStatus::Open);
        }
        let updated = self.zendesk.tickets().update(ticket_id, &update).await?;
        let comment_id = updated.comment_id();
        self.store
            .delivery_complete(
                claim,
                &comment_id.map(|id| id.to_string()).unwrap_or_default(),
            )
            .await?;
        Ok(EventOutcome::Commented {
            event_id: event_id.to_owned(),
            ticket_id,
            comment_id,
            reopened: reopen,
        })
    }

    /// A comment by the requester with the same text (and as many uploads), if the ticket
    /// has one: Zendesk comments carry no metadata of ours, so the text is the evidence.
    async fn posted_before(
        &self,
        ticket_id: i64,
        requester_id: i64,
        comment: &NewComment,
    ) -> Result<Option<i64>> {
        let body = comment.body.as_deref().unwrap_or_default().trim();
        let comments = self.zendesk.tickets().comments(ticket_id).all().await?;
        Ok(comments
            .iter()
            .rev()
            .find(|existing| {
                existing.author_id == Some(requester_id)
                    && existing.body.as_deref().map(str::trim) == Some(body)
                    && existing.attachments.len() >= comment.uploads.len()
            })
            .map(|existing| existing.id))
    }

    /// Whether a customer message should reopen the ticket, per `auto_reopen_ticket`. Costs
    /// one ticket read, only when reopening is possible at all.
    async fn should_reopen(&self, thread: &ThreadId, ticket_id: i64) -> Result<bool> {
        let allowed = match self.config.auto_reopen_ticket {
            AutoReopen::Never => false,
            AutoReopen::Always => true,
            AutoReopen::Agent => {
                self.store.thread_get(thread, MODE_KEY).await?.as_deref() == Some("agent")
            }
        };
        if !allowed {
            return Ok(false);
        }
        let ticket = self.zendesk.tickets().get(ticket_id).await?;
        Ok(matches!(
            ticket.status,
            Some(TicketStatus::Pending | TicketStatus::Hold | TicketStatus::Solved)
        ))
    }

    /// The comment a message becomes: its text, and its media uploaded to Zendesk (or linked
    /// by URL when `upload_attachments` is false). `None` for content the bridge does not
    /// carry (carousels, forms, ...).
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
            if self.config.upload_attachments {
                let download = self
                    .zendesk
                    .uploads()
                    .download(&media.media_url, MAX_FILE_BYTES)
                    .await?;
                let file_name = media
                    .media_url
                    .rsplit('/')
                    .next()
                    .and_then(|name| name.split('?').next())
                    .filter(|name| !name.is_empty())
                    .unwrap_or("attachment");
                let content_type = media
                    .media_type
                    .clone()
                    .or(download.content_type)
                    .unwrap_or_else(|| "application/octet-stream".to_owned());
                let upload = self
                    .zendesk
                    .uploads()
                    .upload(file_name, &content_type, download.bytes)
                    .await?;
                uploads.push(upload.token);
            } else {
                if !body.is_empty() {
                    body.push_str("\n\n");
                }
                body.push_str(&media.media_url);
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
}
