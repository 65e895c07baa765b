//! A retried customer message whose comment an earlier attempt may already have posted (it
//! timed out, or its worker died between posting and recording): Zendesk comments carry no
//! metadata of ours, so the requester's text is the evidence.

use super::{Candidate, PARAGRAPH, Pending, SunCoEventOutcome, merged};
use crate::Result;
use crate::context::Context;

/// How far apart SunCo's and Zendesk's clocks may be, in seconds.
const CLOCK_SKEW_SECS: i64 = 60;

/// Completes the chunk's first messages that an earlier attempt already posted on
/// `ticket_id`; answers how many.
pub(super) async fn already_posted(
    context: &Context,
    ticket_id: i64,
    requester_id: i64,
    group: &[Candidate<'_>],
    chunk: &[Pending<'_>],
    outcomes: &mut [Option<SunCoEventOutcome>],
) -> Result<usize> {
    let Some((count, existing)) =
        posted_before(context, ticket_id, requester_id, group, chunk).await?
    else {
        return Ok(0);
    };
    for pending in &chunk[..count] {
        context
            .store
            .delivery_complete(pending.claim, &existing.to_string())
            .await?;
        outcomes[pending.index] = Some(SunCoEventOutcome::AlreadyDelivered {
            event_id: group[pending.index].event_id.to_owned(),
        });
    }
    Ok(count)
}

/// How many of the chunk's first messages an earlier attempt already posted, and the
/// comment they went into: a comment by the requester whose text is theirs, merged (and
/// with as many uploads). Zendesk comments carry no metadata of ours, so the text is the
/// evidence. An earlier attempt's batch started with the same messages (one customer's
/// queue is taken in order), so only prefixes are tried, longest first.
async fn posted_before(
    context: &Context,
    ticket_id: i64,
    requester_id: i64,
    group: &[Candidate<'_>],
    chunk: &[Pending<'_>],
) -> Result<Option<(usize, i64)>> {
    let comments = context.zendesk.tickets().comments(ticket_id).all().await?;
    // A comment older than the first message cannot hold it: without this, a customer
    // who repeats an earlier text could have the repeat taken for the original. The
    // margin covers clock skew between SunCo and Zendesk.
    // To the second: Zendesk keeps no finer, so a comment made in the message's own second
    // still counts as after it.
    let sent_at = group[chunk[0].index]
        .event
        .message
        .received
        .map(time::OffsetDateTime::unix_timestamp);
    let by_requester: Vec<_> = comments
        .iter()
        .rev()
        .filter(|existing| existing.author_id == Some(requester_id))
        .filter(|existing| {
            let created = existing
                .created_at
                .map(time::OffsetDateTime::unix_timestamp);
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
