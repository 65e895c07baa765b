//! What the bridge keeps on a thread (one customer's conversation, linked to their SunCo user
//! and to at most one ticket at a time), and the lookups around it.
//!
//! A thread's data holds these keys, as Meya's platform names them where it has a name:
//!
//! | key | value |
//! |---|---|
//! | [`CONVERSATION_KEY`] | the linked SunCo conversation (empty once SunCo no longer knows it) |
//! | [`MODE_KEY`] | `agent` once an agent started the conversation, `customer` when a customer's message opened the ticket |
//! | [`PREVIOUS_TICKET_KEY`] | the ticket the thread was last moved off |
//! | [`REPLACED_TICKET_KEY`] | a closed or deleted ticket a new ticket is being opened for |

use meya_links::{LinkStore, ThreadId, ZENDESK_SUPPORT};
use sunshine_conversations::UserFilter;

use crate::Result;

/// The thread data key holding the linked SunCo conversation's id.
pub const CONVERSATION_KEY: &str = "sunco_conversation_id";
/// The thread data key holding the thread's mode (`agent` once an agent started it).
pub const MODE_KEY: &str = "mode";
/// The thread data key holding the ticket a thread was last unlinked from: a retried customer
/// message looks there for a comment an earlier attempt may have posted before the unlink.
pub const PREVIOUS_TICKET_KEY: &str = "previous_zendesk_ticket_id";
/// Thread data key: the ticket a reply found closed (`closed:ID`) or deleted (`deleted:ID`),
/// while a replacement ticket for it is opened; empty once one is linked.
pub const REPLACED_TICKET_KEY: &str = "replaced_zendesk_ticket";

/// The Zendesk requester of a thread's primary user, if linked.
pub(crate) async fn requester_of(store: &dyn LinkStore, thread: &ThreadId) -> Result<Option<i64>> {
    let Some(user) = store.thread_primary_user(thread).await? else {
        return Ok(None);
    };
    let requester = store
        .user_try_reverse_lookup(&user, ZENDESK_SUPPORT)
        .await?;
    Ok(requester.and_then(|id| id.parse().ok()))
}

/// The SunCo conversation linked to a thread: cached in the thread data, else the user's
/// existing personal conversation, else a new one. Answers the id and whether it was created.
pub(crate) async fn conversation_for(
    sunco: &sunshine_conversations::Client,
    store: &dyn LinkStore,
    thread: &ThreadId,
    sunco_user_id: &str,
) -> Result<(String, bool)> {
    let cached = store.thread_get(thread, CONVERSATION_KEY).await?;
    // An empty value is a cache entry dropped after SunCo lost the conversation.
    if let Some(id) = cached.filter(|id| !id.is_empty()) {
        return Ok((id, false));
    }
    find_conversation(sunco, store, thread, sunco_user_id).await
}

/// The user's existing personal conversation at SunCo, else a new one, cached in the thread's
/// data (for a thread just made, whose cache is known to be empty).
pub(crate) async fn find_conversation(
    sunco: &sunshine_conversations::Client,
    store: &dyn LinkStore,
    thread: &ThreadId,
    sunco_user_id: &str,
) -> Result<(String, bool)> {
    let (id, created) = personal_conversation(sunco, sunco_user_id).await?;
    store.thread_set(thread, CONVERSATION_KEY, &id).await?;
    Ok((id, created))
}

/// The user's existing personal conversation at SunCo (the default one first), else a new
/// one. Answers the id and whether it was created.
pub(crate) async fn personal_conversation(
    sunco: &sunshine_conversations::Client,
    sunco_user_id: &str,
) -> Result<(String, bool)> {
    let page = sunco
        .conversations()
        .list(UserFilter::UserId(sunco_user_id.to_owned()))
        .send()
        .await?;
    let existing = page
        .conversations
        .iter()
        .find(|c| c.is_default == Some(true))
        .or_else(|| page.conversations.first())
        .map(|c| c.id.clone());
    match existing {
        Some(id) => Ok((id, false)),
        None => {
            let conversation = sunco
                .conversations()
                .create_personal(sunco_user_id, None)
                .await?;
            Ok((conversation.id, true))
        }
    }
}

/// Drops the cached conversation after SunCo answered 404 for it, so that the next webhook
/// finds or makes the user's current one.
pub(crate) async fn forget_conversation(store: &dyn LinkStore, thread: &ThreadId) -> Result<()> {
    store.thread_set(thread, CONVERSATION_KEY, "").await?;
    Ok(())
}
