//! A retried customer message whose comment an earlier attempt may already have posted (it
//! timed out, or its worker died between posting and recording). Every comment the bridge
//! posts names the SunCo messages it carries in its update's metadata, which Zendesk keeps on
//! the ticket's audit: the audits, not the text, say exactly what was posted.

use std::collections::HashMap;

use serde_json::{Value, json};
use zendesk_support::Audit;

use super::{Candidate, Pending, SunCoEventOutcome};
use crate::Result;
use crate::context::Context;

/// The key, in an update's custom metadata, of the SunCo message ids its comment carries.
const MESSAGE_IDS_KEY: &str = "sunco_message_ids";

/// How far apart SunCo's and Zendesk's clocks may be, in seconds.
const CLOCK_SKEW_SECS: i64 = 60;

/// The metadata of an update (or a ticket create) whose comment carries `chunk`.
pub(super) fn carrying(group: &[Candidate<'_>], chunk: &[Pending<'_>]) -> Value {
    let ids: Vec<&str> = chunk
        .iter()
        .map(|pending| group[pending.index].event.message.id.as_str())
        .collect();
    json!({ MESSAGE_IDS_KEY: ids })
}

/// Completes the chunk's first messages that an earlier attempt already posted on
/// `ticket_id`; answers how many.
pub(super) async fn already_posted(
    context: &Context,
    ticket_id: i64,
    group: &[Candidate<'_>],
    chunk: &[Pending<'_>],
    outcomes: &mut [Option<SunCoEventOutcome>],
) -> Result<usize> {
    let posted = posted_before(context, ticket_id, group, chunk).await?;
    for (pending, comment_id) in chunk.iter().zip(&posted) {
        let target = comment_id.map(|id| id.to_string()).unwrap_or_default();
        context
            .store
            .delivery_complete(pending.claim, &target)
            .await?;
        outcomes[pending.index] = Some(SunCoEventOutcome::AlreadyDelivered {
            event_id: group[pending.index].event_id.to_owned(),
        });
    }
    Ok(posted.len())
}

/// The comments that hold the chunk's first messages, as far as an earlier attempt posted
/// them: one entry per message found, in order. An earlier attempt's batch started with the
/// same messages (one customer's queue is taken in order), so only a prefix can be found.
/// The audits are read newest first, back to the first message's arrival: an update that
/// carried it cannot be older.
async fn posted_before(
    context: &Context,
    ticket_id: i64,
    group: &[Candidate<'_>],
    chunk: &[Pending<'_>],
) -> Result<Vec<Option<i64>>> {
    let Some(first) = chunk.first() else {
        return Ok(Vec::new());
    };
    // To the second, and with a margin: Zendesk keeps no finer, and the clocks differ.
    let oldest_possible = group[first.index]
        .event
        .message
        .received
        .map(|received| received.unix_timestamp() - CLOCK_SKEW_SECS);
    let reaches_back = |page: &[Audit]| match oldest_possible {
        Some(oldest) => page.iter().any(|audit| {
            audit
                .created_at
                .is_some_and(|created| created.unix_timestamp() < oldest)
        }),
        None => false,
    };
    let audits = context
        .zendesk
        .tickets()
        .audits(ticket_id)
        .newest_first()
        .until(reaches_back)
        .await?;
    let mut carried_by: HashMap<&str, Option<i64>> = HashMap::new();
    for audit in &audits {
        let ids = audit
            .custom_metadata()
            .and_then(|custom| custom.get(MESSAGE_IDS_KEY))
            .and_then(Value::as_array);
        for id in ids.into_iter().flatten().filter_map(Value::as_str) {
            carried_by.entry(id).or_insert_with(|| audit.comment_id());
        }
    }
    Ok(chunk
        .iter()
        .map_while(|pending| {
            let id = group[pending.index].event.message.id.as_str();
            carried_by.get(id).copied()
        })
        .collect())
}
