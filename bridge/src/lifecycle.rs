//! Tickets that can no longer take a customer's reply: closed, merged into another, deleted.
//!
//! Zendesk refuses every update to a closed ticket (422) and answers 404 for a deleted one; a
//! ticket merged into another is closed by the merge. A customer's reply that meets such a
//! ticket is never dropped: the thread is unlinked from it and the reply goes
//!
//! - to the ticket it was merged into (found from the merge's audit, see
//!   [`Audit::merged_into`](zendesk_support::Audit::merged_into)), which the thread is linked
//!   to instead;
//! - else, for a closed ticket, to a new follow-up ticket (`via_followup_source_id`) for the
//!   same requester, linked to the same thread;
//! - else, for a deleted ticket, to a new ticket, linked to the same thread.
//!
//! Both new tickets are opened whatever `new_ticket_for_unlinked_reply` says: the customer
//! replied to a conversation that was linked, and the reply must reach an agent.

use meya_links::{LinkStore, ThreadId, ZENDESK_SUPPORT};
use zendesk_support::{Ticket, TicketStatus};

use crate::Result;
use crate::threads::PREVIOUS_TICKET_KEY;
pub use crate::threads::REPLACED_TICKET_KEY;

/// How many merges are followed from one ticket (a merged into b merged into c ...).
const MAX_MERGE_HOPS: usize = 5;

/// What became of a ticket that refused a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// It takes updates: the refusal had another cause.
    Open,
    /// Closed (or merged into a ticket that cannot be found): replies open a follow-up.
    Closed(i64),
    /// Merged into this ticket, which takes updates.
    MergedInto(i64),
    /// Deleted: replies open a new ticket.
    Deleted(i64),
}

/// Why a new ticket is opened for a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replaced {
    /// A follow-up of this closed ticket.
    Closed(i64),
    /// Instead of this deleted ticket.
    Deleted(i64),
}

impl Replaced {
    fn to_value(self) -> String {
        match self {
            Replaced::Closed(id) => format!("closed:{id}"),
            Replaced::Deleted(id) => format!("deleted:{id}"),
        }
    }

    fn from_value(value: &str) -> Option<Self> {
        let (kind, id) = value.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "closed" => Some(Replaced::Closed(id)),
            "deleted" => Some(Replaced::Deleted(id)),
            _ => None,
        }
    }
}

/// What became of `ticket_id`: one read of the ticket, and for a closed ticket one of its
/// latest audits (to tell a merge), then the same for each ticket it was merged into.
pub(crate) async fn ticket_fate(zendesk: &zendesk_support::Client, ticket_id: i64) -> Result<Fate> {
    match zendesk.tickets().get(ticket_id).await {
        Ok(ticket) => fate_of(zendesk, ticket).await,
        Err(error) if error.status() == Some(404) => Ok(Fate::Deleted(ticket_id)),
        Err(error) => Err(error.into()),
    }
}

/// [`ticket_fate`] for a ticket already read.
pub(crate) async fn fate_of(zendesk: &zendesk_support::Client, ticket: Ticket) -> Result<Fate> {
    let asked = ticket.id;
    let mut ticket = ticket;
    for _ in 0..MAX_MERGE_HOPS {
        if ticket.status != Some(TicketStatus::Closed) {
            return Ok(if ticket.id == asked {
                Fate::Open
            } else {
                Fate::MergedInto(ticket.id)
            });
        }
        let Some(target) = merge_target(zendesk, ticket.id).await? else {
            return Ok(Fate::Closed(ticket.id));
        };
        match zendesk.tickets().get(target).await {
            Ok(next) => {
                tracing::info!(from = ticket.id, into = target, "ticket was merged");
                ticket = next;
            }
            // The ticket it went into is gone: treat the merged ticket as closed.
            Err(error) if error.status() == Some(404) => {
                return Ok(Fate::Closed(ticket.id));
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Fate::Closed(ticket.id))
}

/// The ticket a closed ticket was merged into, if its latest audits show a merge.
async fn merge_target(zendesk: &zendesk_support::Client, ticket_id: i64) -> Result<Option<i64>> {
    let audits = match zendesk.tickets().latest_audits(ticket_id).await {
        Ok(audits) => audits,
        Err(error) if error.status() == Some(404) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    Ok(audits
        .iter()
        .find_map(zendesk_support::Audit::merged_into)
        .filter(|target| *target != ticket_id))
}

/// Moves the thread off a ticket that refused a reply: linked to the ticket it was merged
/// into, or unlinked, with the ticket to replace noted for the next step.
pub(crate) async fn move_off(
    store: &dyn LinkStore,
    thread: &ThreadId,
    ticket_id: i64,
    fate: Fate,
) -> Result<()> {
    let ticket = ticket_id.to_string();
    match fate {
        Fate::Open => return Ok(()),
        Fate::MergedInto(target) => {
            store
                .thread_set(thread, PREVIOUS_TICKET_KEY, &ticket)
                .await?;
            store
                .thread_link(ZENDESK_SUPPORT, &target.to_string(), thread)
                .await?;
            tracing::info!(
                ticket_id,
                target,
                "thread moved to the ticket it was merged into"
            );
        }
        Fate::Closed(closed) => {
            // The ticket reached may be one the first was merged into.
            store
                .thread_set(thread, PREVIOUS_TICKET_KEY, &ticket)
                .await?;
            store
                .thread_set(
                    thread,
                    REPLACED_TICKET_KEY,
                    &Replaced::Closed(closed).to_value(),
                )
                .await?;
            store.thread_unlink(ZENDESK_SUPPORT, &ticket).await?;
            tracing::info!(
                ticket_id,
                closed,
                "ticket closed: a follow-up takes the reply"
            );
        }
        Fate::Deleted(deleted) => {
            // A deleted ticket's comments cannot be read back: no previous ticket.
            store.thread_set(thread, PREVIOUS_TICKET_KEY, "").await?;
            store
                .thread_set(
                    thread,
                    REPLACED_TICKET_KEY,
                    &Replaced::Deleted(deleted).to_value(),
                )
                .await?;
            store.thread_unlink(ZENDESK_SUPPORT, &ticket).await?;
            tracing::info!(ticket_id, "ticket deleted: a new ticket takes the reply");
        }
    }
    Ok(())
}

/// The ticket a new ticket replaces for this thread, if a reply found one closed or
/// deleted.
pub(crate) async fn replaced_ticket(
    store: &dyn LinkStore,
    thread: &ThreadId,
) -> Result<Option<Replaced>> {
    Ok(store
        .thread_get(thread, REPLACED_TICKET_KEY)
        .await?
        .as_deref()
        .and_then(Replaced::from_value))
}

/// Forgets the replaced ticket once its replacement is linked (or the thread was unlinked
/// for another reason).
pub(crate) async fn forget_replaced_ticket(store: &dyn LinkStore, thread: &ThreadId) -> Result<()> {
    if replaced_ticket(store, thread).await?.is_some() {
        store.thread_set(thread, REPLACED_TICKET_KEY, "").await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Replaced;

    #[test]
    fn replaced_tickets_round_trip() {
        for replaced in [Replaced::Closed(4021), Replaced::Deleted(7)] {
            assert_eq!(Replaced::from_value(&replaced.to_value()), Some(replaced));
        }
        assert_eq!(Replaced::from_value(""), None);
        assert_eq!(Replaced::from_value("closed:x"), None);
        assert_eq!(Replaced::from_value("open:1"), None);
    }
}
