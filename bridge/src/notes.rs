//! Internal notes that tell the agent, on the ticket, why the customer did not get something.

use meya_links::ClaimOutcome;
use zendesk_support::{NewComment, TicketUpdate};

use crate::context::Context;

/// Delivery records of notes live under this source, keyed `{ticket}:{kind}`.
const NOTE_SOURCE: &str = "bridge.note";

/// Why the requester cannot be reached: no email.
pub(crate) const NO_EMAIL_NOTE: &str = "This message could not be sent to the customer's \
messenger: the requester has no email address. Add the email the customer logs in to our app \
or website with, then update the ticket.";

/// Why the requester cannot be reached yet: no SunCo user has their email.
pub(crate) const NO_SUNCO_USER_NOTE: &str = "This message could not be sent to the customer's \
messenger yet: no messenger user has this requester's email. The customer must open the \
messenger once while logged in to our app or website; then update the ticket to send it.";

/// Posts an internal note on the ticket, at most once per ticket and kind however often the
/// webhook repeats. A failure to post is logged, not returned: the caller's own error is the
/// one that matters.
pub(crate) async fn note_once(context: &Context, ticket_id: i64, kind: &str, text: &str) {
    let store = &context.store;
    let key = format!("{ticket_id}:{kind}");
    let claim = match store
        .delivery_claim(NOTE_SOURCE, &key, context.config.claim_lease)
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
    match context.zendesk.tickets().update(ticket_id, &update).await {
        Ok(updated) => {
            let id = updated
                .comment_id()
                .map(|id| id.to_string())
                .unwrap_or_default();
            if let Err(error) = store.delivery_complete(&claim, &id).await {
                tracing::warn!(ticket_id, error = %error, "could not record an internal note");
            }
        }
        Err(error) => {
            tracing::warn!(ticket_id, error = %error, "could not post an internal note");
            if !error.is_timeout() {
                let _ = store.delivery_release(&claim).await;
            }
        }
    }
}
