//! Unlinking: a ticket whose status reaches `unlink_ticket_status` (solved, closed by
//! default) leaves its thread, after its last agent comments were delivered. The customer's
//! next message then opens a new ticket (with `new_ticket_for_unlinked_reply`) or is left
//! alone; the conversation itself stays as it is.

use meya_links::{LinkStore, ThreadId, ZENDESK_SUPPORT};

use crate::Result;
use crate::lifecycle;
use crate::threads::PREVIOUS_TICKET_KEY;

/// Unlinks `ticket_id` from `thread`, remembering it as the thread's previous ticket: a
/// customer message retried after this looks there for the comment an earlier attempt may
/// have posted.
pub(crate) async fn unlink(store: &dyn LinkStore, thread: &ThreadId, ticket_id: i64) -> Result<()> {
    let ticket = ticket_id.to_string();
    store
        .thread_set(thread, PREVIOUS_TICKET_KEY, &ticket)
        .await?;
    store.thread_unlink(ZENDESK_SUPPORT, &ticket).await?;
    // A reply that met a closed ticket earlier is settled by now.
    lifecycle::forget_replaced_ticket(store, thread).await?;
    tracing::info!(ticket_id, "ticket unlinked from its thread");
    Ok(())
}
