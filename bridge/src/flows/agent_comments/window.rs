//! Which of a ticket's comments a webhook looks at, so that its cost does not grow with the
//! ticket's history.
//!
//! Per ticket, the thread keeps a *mark*: a comment id up to which every comment a pass read
//! was settled (delivered, skipped, refused), and when that read began. A webhook reads the
//! ticket's comments newest first and stops at the page that reaches back past the mark;
//! comments the mark covers are neither claimed nor sent again. The first webhook of a
//! ticket (no mark yet) reads every page, as before.
//!
//! Zendesk's comment ids grow with time, but comments made at about the same moment may be
//! committed out of id order, so a read can miss one with a smaller id than it saw. The mark
//! covers only comments made more than [`MARGIN`] before the read that set it; the more
//! recent ones are looked at again, and their delivery records (read together, in one store
//! call) say whether they are settled. The mark is saved only once it would spare the next
//! read [`WORTH_SAVING`] comments: on a short or a busy ticket the next webhook reads the
//! same page again instead of paying a durable write each time. A mark that was not saved,
//! could not be, or that a slower worker set lower, only means more comments are looked at:
//! never fewer.

use std::time::Duration;

use meya_links::ThreadId;
use time::OffsetDateTime;
use zendesk_support::{Comment, User};

use crate::Result;
use crate::context::Context;

/// Comments made this close before the read that set the mark are looked at again: comments
/// commit out of id order within seconds, and Zendesk's clock and ours agree within seconds
/// (NTP); two minutes leave room for both.
pub(super) const MARGIN: Duration = Duration::from_secs(2 * 60);
/// Pages read newest first are small: most webhooks bring one or two new comments, and a
/// page costs its size to decode.
const PAGE: u32 = 20;
/// A mark is saved once it spares the next read this many comments. Until then the next
/// webhook looks at what this one looked at, in the same page, and one store read finds
/// them settled: a durable write per webhook would cost more than it saves. Comments of the
/// last two minutes are never spared, so a busy ticket's mark is saved only as they age.
const WORTH_SAVING: usize = PAGE as usize / 2;

/// How far a ticket's comments are settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark {
    /// Every comment up to this id that the read saw was settled.
    comment_id: i64,
    /// When that read began (Unix seconds).
    read_at: i64,
}

/// The thread data key under which the bridge keeps how far a ticket's agent comments are
/// settled (its *mark*: a comment id and when it was read). Erasing it (setting it to `""`) makes
/// the next webhook read the ticket's whole history again: costly, never wrong.
pub fn settled_comments_key(ticket_id: i64) -> String {
    format!("agent_comments.settled_through.{ticket_id}")
}

impl Mark {
    fn key(ticket_id: i64) -> String {
        settled_comments_key(ticket_id)
    }

    fn parse(text: &str) -> Option<Self> {
        let (id, read_at) = text.split_once(' ')?;
        Some(Self {
            comment_id: id.parse().ok()?,
            read_at: read_at.parse().ok()?,
        })
    }

    /// Whether `comment` is settled for sure: at or before the mark, and made well before
    /// the read that set it.
    fn covers(self, comment: &Comment) -> bool {
        let margin = i64::try_from(MARGIN.as_secs()).unwrap_or(i64::MAX);
        comment.id <= self.comment_id
            && comment
                .created_at
                .is_some_and(|at| at.unix_timestamp() < self.read_at.saturating_sub(margin))
    }
}

/// The comments a webhook looks at, oldest first, with the authors Zendesk sideloaded.
#[derive(Debug, Default)]
pub(super) struct Window {
    pub(super) comments: Vec<Comment>,
    pub(super) users: Vec<User>,
    /// Public comments read but covered by the mark: settled before.
    pub(super) settled_public: usize,
    pub(super) mark: Option<Mark>,
    /// When this read began.
    read_at: i64,
}

/// Reads the comments after the ticket's mark (all of them when it has none).
pub(super) async fn read(context: &Context, thread: &ThreadId, ticket_id: i64) -> Result<Window> {
    let read_at = OffsetDateTime::now_utc().unix_timestamp();
    let mark = context
        .store
        .thread_get(thread, &Mark::key(ticket_id))
        .await?
        .as_deref()
        .and_then(Mark::parse);
    let Some(mark) = mark else {
        return whole_history(context, ticket_id, read_at).await;
    };
    let mut window = Window {
        mark: Some(mark),
        read_at,
        ..Window::default()
    };
    let walk = context
        .zendesk
        .tickets()
        .comments(ticket_id)
        .include_users()
        .newest_first()
        .page_size(PAGE)
        .pages_until(|page| page.items.iter().any(|comment| mark.covers(comment)))
        .await?;
    if !walk.finished {
        // More new comments than the pages allow: the whole history, as without a mark,
        // so that none between the pages read and the mark is passed over.
        tracing::warn!(ticket_id, "too many new comments to read newest first");
        return whole_history(context, ticket_id, read_at).await;
    }
    window.users = walk.page.users;
    for comment in walk.page.items {
        if mark.covers(&comment) {
            window.settled_public += usize::from(comment.public);
        } else {
            window.comments.push(comment);
        }
    }
    // Sent oldest first, whatever order the pages came in.
    window.comments.sort_by_key(|comment| comment.id);
    Ok(window)
}

/// Every comment of the ticket, oldest first (the first webhook of a ticket, or a fallback).
async fn whole_history(context: &Context, ticket_id: i64, read_at: i64) -> Result<Window> {
    let page = context
        .zendesk
        .tickets()
        .comments(ticket_id)
        .include_users()
        .all_pages()
        .await?;
    Ok(Window {
        comments: page.items,
        users: page.users,
        read_at,
        ..Window::default()
    })
}

/// Moves the ticket's mark after a pass that settled the window's first `settled`
/// comments, when that spares the next read [`WORTH_SAVING`] comments or more. A failure to
/// save only costs a longer read next time.
pub(super) async fn advance(
    context: &Context,
    thread: &ThreadId,
    ticket_id: i64,
    window: &Window,
    settled: usize,
) {
    let old = window.mark;
    let comment_id = match window.comments.get(settled) {
        // Everything before the first unsettled comment is settled: the comments of the
        // window by this pass, the older ones by the old mark (or, without one, the window
        // held them all).
        Some(unsettled) => unsettled.id - 1,
        None => match (window.comments.last(), old) {
            (Some(newest), Some(old)) => newest.id.max(old.comment_id),
            (Some(newest), None) => newest.id,
            (None, Some(old)) => old.comment_id,
            (None, None) => return,
        },
    };
    let mark = Mark {
        comment_id,
        read_at: window.read_at,
    };
    // The window holds what the saved mark (if any) does not cover.
    let spared = window
        .comments
        .iter()
        .filter(|comment| mark.covers(comment))
        .count();
    if spared < WORTH_SAVING {
        return;
    }
    let value = format!("{} {}", mark.comment_id, mark.read_at);
    if let Err(error) = context
        .store
        .thread_set(thread, &Mark::key(ticket_id), &value)
        .await
    {
        tracing::warn!(ticket_id, %error, "could not save how far comments are settled");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: i64, at: i64) -> Comment {
        serde_json::from_value(serde_json::json!({
            "id": id, "public": true,
            "created_at": OffsetDateTime::from_unix_timestamp(at).unwrap()
                .format(&time::format_description::well_known::Rfc3339).unwrap()
        }))
        .unwrap()
    }

    #[test]
    fn the_mark_covers_only_older_comments_outside_the_margin() {
        let mark = Mark::parse("100 1000000").unwrap();
        assert!(mark.covers(&comment(99, 1_000_000 - 121)));
        assert!(!mark.covers(&comment(99, 1_000_000 - 119)), "in the margin");
        assert!(
            !mark.covers(&comment(101, 1_000_000 - 5000)),
            "after the mark"
        );
        let untimed: Comment = serde_json::from_value(serde_json::json!({"id": 1})).unwrap();
        assert!(!mark.covers(&untimed), "no time: looked at again");
        assert_eq!(Mark::parse("garbage"), None);
    }
}
