//! Starting a conversation (Meya's `handle_unhandled_ticket`): the seed's flow, step by step,
//! each step a link store call of the same name.
//!
//! 1. The requester's user and that user's SunCo id, if linked before; else
//! 2. the SunCo user whose external id is the requester's email (an internal note tells the
//!    agent when there is no email or no such user), and
//! 3. the requester linked to the same user (with 2, one store write).
//! 4. The SunCo user's thread, or a new one (under the customer's lock, so that two workers
//!    make one thread and one conversation, not two), with the user's SunCo conversation.
//! 5. The ticket joins the thread, in agent mode (with 4, one store write).
//! 6. The ticket's public agent comments go to the user's conversation
//!    ([`agent_comments`](super::agent_comments)).

use meya_links::{SUNSHINE_CONVERSATIONS, ThreadChanges, ThreadId, UserId, ZENDESK_SUPPORT};
use zendesk_support::inbound::TicketEvent;

use super::agent_comments::{self, AgentCommentsOutcome};
use crate::context::Context;
use crate::notes::{NO_EMAIL_NOTE, NO_SUNCO_USER_NOTE, note_once};
use crate::threads::{CONVERSATION_KEY, MODE_KEY, conversation_for, personal_conversation};
use crate::{Error, Result};

/// Whether a link or record was found or made by this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Link {
    /// It existed already.
    Reused,
    /// This call made it.
    Created,
}

/// What [`Bridge::handle_unhandled_ticket`](crate::Bridge::handle_unhandled_ticket) did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StartOutcome {
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
    pub comments: AgentCommentsOutcome,
}

/// Runs the flow for a ticket that is not linked yet (the caller checked the filter).
pub(crate) async fn start(context: &Context, event: &TicketEvent) -> Result<StartOutcome> {
    let ticket_id = event.ticket.id;
    let requester = event.requester();
    let requester_id = requester
        .and_then(|requester| requester.id)
        .ok_or(Error::NoRequester { ticket_id })?;
    let requester_key = requester_id.to_string();
    let store = context.store.as_ref();

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
                note_once(context, ticket_id, "no-email", NO_EMAIL_NOTE).await;
                return Err(Error::NoRequesterEmail { ticket_id });
            };
            let sunco_user = match context.sunco.users().find(email).await? {
                Some(user) => user,
                None if context.config.create_missing_sunco_user => {
                    context.sunco.users().create(email, None).await?
                }
                None => {
                    note_once(context, ticket_id, "no-sunco-user", NO_SUNCO_USER_NOTE).await;
                    return Err(Error::NoSunCoUser { ticket_id });
                }
            };
            // 3. Identify the SunCo user, link the requester to the same user.
            let user = store
                .user_identify_and_link(
                    SUNSHINE_CONVERSATIONS,
                    &sunco_user.id,
                    &[(ZENDESK_SUPPORT, &requester_key)],
                )
                .await?;
            (user, sunco_user.id, Link::Created)
        }
    };

    // Steps 4 to 6 create a thread and maybe a conversation: two workers handling the same
    // customer at once (a repeated webhook, two replicas) take turns, so that they find one
    // thread and one conversation instead of making two.
    let lock = context
        .locks
        .lock(
            &context.store,
            &format!("customer:{sunco_user_id}"),
            context.config.claim_lease,
        )
        .await?;
    let (thread, thread_link, conversation_id, created, comments) =
        link_thread_and_deliver(context, ticket_id, requester_id, &user, &sunco_user_id).await?;
    lock.release().await;
    Ok(StartOutcome {
        ticket_id,
        user,
        requester_link,
        sunco_user_id,
        thread,
        thread_link,
        conversation_id,
        conversation: if created { Link::Created } else { Link::Reused },
        comments,
    })
}

/// Steps 4 to 6 of the flow, under the customer's lock.
async fn link_thread_and_deliver(
    context: &Context,
    ticket_id: i64,
    requester_id: i64,
    user: &UserId,
    sunco_user_id: &str,
) -> Result<(ThreadId, Link, String, bool, AgentCommentsOutcome)> {
    let store = context.store.as_ref();
    let sunco = &context.sunco;
    let ticket_key = ticket_id.to_string();
    // 5. The ticket joins the thread (replacing any earlier ticket), in agent mode.
    let joins = ThreadChanges::new()
        .set(MODE_KEY, "agent")
        .link(ZENDESK_SUPPORT, &ticket_key);
    // 4. The SunCo user's thread, or a new one.
    let (thread, thread_link, conversation_id, created) = match store
        .thread_try_lookup(SUNSHINE_CONVERSATIONS, sunco_user_id)
        .await?
    {
        Some(thread) => {
            // A thread linked by an older version, or by hand, may lack its primary user;
            // without one, the customer's replies would have nowhere to go.
            let joins = match store.thread_primary_user(&thread).await? {
                None => joins.primary_user(*user),
                Some(_) => joins,
            };
            store.thread_apply(&thread, &joins).await?;
            let (conversation_id, created) =
                conversation_for(sunco, store, &thread, sunco_user_id).await?;
            (thread, Link::Reused, conversation_id, created)
        }
        None => {
            // The conversation first: the thread is then made whole in one write (primary
            // user, conversation, mode, both links), and a failure before it leaves nothing
            // half made.
            let (conversation_id, created) = personal_conversation(sunco, sunco_user_id).await?;
            let thread = store
                .thread_create_with(
                    &joins
                        .primary_user(*user)
                        .set(CONVERSATION_KEY, &conversation_id)
                        .link(SUNSHINE_CONVERSATIONS, sunco_user_id),
                )
                .await?;
            (thread, Link::Created, conversation_id, created)
        }
    };

    // 6. Redo rx: the ticket's public agent comments, to the user's conversation.
    let comments =
        agent_comments::deliver(context, &thread, ticket_id, requester_id, &conversation_id)
            .await?;
    Ok((thread, thread_link, conversation_id, created, comments))
}
