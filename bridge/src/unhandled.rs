//! `handle_unhandled_ticket`: the seed's flow, step by step, each step a link store call of
//! the same name.

use std::time::Duration;

use meya_links::{
    ClaimOutcome, DeliveryClaim, SUNSHINE_CONVERSATIONS, ThreadId, UserId, ZENDESK_SUPPORT,
};
use zendesk_support::webhook::TicketEvent;
use zendesk_support::{NewComment, TicketUpdate};

use crate::bridge::MODE_KEY;
use crate::rx::RxOutcome;
use crate::{Bridge, Error, Result};

/// Whether a link or record was found or made by this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Link {
    /// It existed already.
    Reused,
    /// This call made it.
    Created,
}

/// What [`Bridge::handle_unhandled_ticket`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The ticket.
    pub ticket_id: i64,
    /// The internal user the requester and the SunCo user are linked to.
    pub user: UserId,
    /// Whether the requester's link to the user was reused or made now.
    pub requester_link: Link,
    /// The SunCo user.
    pub sunco_user_id: String,
    /// The internal thread.
    pub thread: ThreadId,
    /// Whether the thread was reused or made now.
    pub thread_link: Link,
    /// The SunCo conversation.
    pub conversation_id: String,
    /// Whether the conversation was found or made now.
    pub conversation: Link,
    /// The comments delivered.
    pub rx: RxOutcome,
}

/// Locks live in the delivery records under this source.
const LOCK_SOURCE: &str = "bridge.lock";
/// How long a worker waits for another to finish with the same customer.
const LOCK_WAIT: Duration = Duration::from_secs(10);
const LOCK_POLL: Duration = Duration::from_millis(50);

impl Bridge {
    /// Runs the agent-initiated flow for a ticket that is not linked yet (the caller checked
    /// the filter): links the requester to the SunCo user whose external id is their email,
    /// links the ticket to that user's thread, and delivers the ticket's public agent
    /// comments to the user's conversation.
    ///
    /// Calling it again for the same ticket reuses every link and sends nothing twice. A cold
    /// ticket costs one Zendesk read and three SunCo calls (user, conversations, message),
    /// plus one when a conversation must be created.
    ///
    /// # Errors
    /// [`Error::NoRequester`]; [`Error::NoRequesterEmail`] and [`Error::NoSunCoUser`] (after
    /// an internal note on the ticket tells the agent why, once); client and store errors.
    pub async fn handle_unhandled_ticket(&self, event: &TicketEvent) -> Result<Outcome> {
        let ticket_id = event.ticket.id;
        let requester = event.requester();
        let requester_id = requester
            .and_then(|requester| requester.id)
            .ok_or(Error::NoRequester { ticket_id })?;
        let requester_key = requester_id.to_string();
        let store = &self.store;

        // 1. The requester's user, and that user's SunCo id, if linked before.
        let mut known = None;
        if let Some(user) = store
            .user_try_lookup(ZENDESK_SUPPORT, &requester_key)
            .await?
            && let Some(sunco_user_id) = store
                .user_try_reverse_lookup(&user, SUNSHINE_CONVERSATIONS)
                .await?
        {
            known = Some((user, sunco_user_id));
        }
        let (user, sunco_user_id, requester_link) = match known {
            Some((user, sunco_user_id)) => (user, sunco_user_id, Link::Reused),
            None => {
                // 2. The SunCo user whose external id is the requester's email.
                let email = requester.and_then(|requester| requester.email.as_deref());
                let Some(email) = email else {
                    self.note_once(ticket_id, "no-email", NO_EMAIL_NOTE).await;
                    return Err(Error::NoRequesterEmail { ticket_id });
                };
                let sunco_user = match self.sunco.users().find(email).await? {
                    Some(user) => user,
                    None if self.config.create_missing_sunco_user => {
                        self.sunco.users().create(email, None).await?
                    }
                    None => {
                        self.note_once(ticket_id, "no-sunco-user", NO_SUNCO_USER_NOTE)
                            .await;
                        return Err(Error::NoSunCoUser { ticket_id });
                    }
                };
                // 3. Identify the SunCo user, link the requester to the same user.
                let user = store
                    .user_identify(SUNSHINE_CONVERSATIONS, &sunco_user.id)
                    .await?;
                store
                    .user_link(ZENDESK_SUPPORT, &requester_key, &user)
                    .await?;
                (user, sunco_user.id, Link::Created)
            }
        };

        // Steps 4 to 6 create a thread and maybe a conversation: two workers handling the
        // same customer at once (a repeated webhook, two replicas) take turns, so that they
        // find one thread and one conversation instead of making two.
        let lock = self.lock(&format!("customer:{sunco_user_id}")).await?;
        let linked = self
            .link_thread_and_deliver(ticket_id, requester_id, &user, &sunco_user_id)
            .await;
        self.unlock(&lock).await;
        let (thread, thread_link, conversation_id, created, rx) = linked?;
        Ok(Outcome {
            ticket_id,
            user,
            requester_link,
            sunco_user_id,
            thread,
            thread_link,
            conversation_id,
            conversation: if created { Link::Created } else { Link::Reused },
            rx,
        })
    }

    /// Steps 4 to 6 of the flow, under the customer's lock.
    async fn link_thread_and_deliver(
        &self,
        ticket_id: i64,
        requester_id: i64,
        user: &UserId,
        sunco_user_id: &str,
    ) -> Result<(ThreadId, Link, String, bool, RxOutcome)> {
        let store = &self.store;
        // 4. The SunCo user's thread, or a new one.
        let (thread, thread_link) = match store
            .thread_try_lookup(SUNSHINE_CONVERSATIONS, sunco_user_id)
            .await?
        {
            Some(thread) => {
                // A thread linked by an older version, or by hand, may lack its primary
                // user; without one, the customer's replies would have nowhere to go.
                if store.thread_primary_user(&thread).await?.is_none() {
                    store.thread_set_primary_user(&thread, user).await?;
                }
                (thread, Link::Reused)
            }
            None => {
                // The primary user first, the link last: a crash in between leaves an
                // unreachable thread (the retry makes another), never a linked thread whose
                // replies cannot find their requester.
                let thread = store.thread_create().await?;
                store.thread_set_primary_user(&thread, user).await?;
                store
                    .thread_link(SUNSHINE_CONVERSATIONS, sunco_user_id, &thread)
                    .await?;
                (thread, Link::Created)
            }
        };

        // 5. The ticket joins the thread (replacing any earlier ticket), in agent mode.
        store
            .thread_link(ZENDESK_SUPPORT, &ticket_id.to_string(), &thread)
            .await?;
        store.thread_set(&thread, MODE_KEY, "agent").await?;

        // 6. Redo rx: the ticket's public agent comments, to the user's conversation.
        let (conversation_id, created) = match thread_link {
            Link::Created => self.find_conversation(&thread, sunco_user_id).await?,
            Link::Reused => self.conversation_for(&thread, sunco_user_id).await?,
        };
        let rx = self
            .deliver_comments(&thread, ticket_id, requester_id, &conversation_id)
            .await?;
        Ok((thread, thread_link, conversation_id, created, rx))
    }

    /// Takes a short-lived lock (a delivery claim on `bridge.lock`), waiting up to
    /// [`LOCK_WAIT`] for another holder to finish.
    pub(crate) async fn lock(&self, key: &str) -> Result<DeliveryClaim> {
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            match self
                .store
                .delivery_claim(LOCK_SOURCE, key, self.config.claim_lease)
                .await?
            {
                ClaimOutcome::Claimed(claim) => return Ok(claim),
                _ if tokio::time::Instant::now() >= deadline => {
                    return Err(Error::Busy(key.to_owned()));
                }
                _ => tokio::time::sleep(LOCK_POLL).await,
            }
        }
    }

    pub(crate) async fn unlock(&self, lock: &DeliveryClaim) {
        if let Err(error) = self.store.delivery_release(lock).await {
            // The lease ends it anyway.
            tracing::warn!(error = %error, "could not release a lock");
        }
    }

    /// Posts an internal note on the ticket, at most once per ticket and kind however often
    /// the webhook repeats. A failure to post is logged, not returned: the caller's own error
    /// is the one that matters.
    pub(crate) async fn note_once(&self, ticket_id: i64, kind: &str, text: &str) {
        let key = format!("{ticket_id}:{kind}");
        let claim = match self
            .store
            .delivery_claim("bridge.note", &key, self.config.claim_lease)
            .await
        {
            Ok(ClaimOutcome::Claimed(claim)) => claim,
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(ticket_id, error = %error, "could not claim an internal note");
                return;
            }
        };
        let update = TicketUpdate::comment(NewComment::text(text).private());
        match self.zendesk.tickets().update(ticket_id, &update).await {
            Ok(updated) => {
                let id = updated
                    .comment_id()
                    .map(|id| id.to_string())
                    .unwrap_or_default();
                if let Err(error) = self.store.delivery_complete(&claim, &id).await {
                    tracing::warn!(ticket_id, error = %error, "could not record an internal note");
                }
            }
            Err(error) => {
                tracing::warn!(ticket_id, error = %error, "could not post an internal note");
                if !error.is_timeout() {
                    let _ = self.store.delivery_release(&claim).await;
                }
            }
        }
    }
}

const NO_EMAIL_NOTE: &str = "This message could not be sent to the customer's messenger: \
the requester has no email address. Add the email the customer logs in to our app or website \
with, then update the ticket.";

const NO_SUNCO_USER_NOTE: &str = "This message could not be sent to the customer's messenger \
yet: no messenger user has this requester's email. The customer must open the messenger once \
while logged in to our app or website; then update the ticket to send it.";
