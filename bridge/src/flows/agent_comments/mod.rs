//! Agent comments to the customer (Meya's *rx*, Zendesk -> SunCo): a linked ticket's public
//! comments by agents become business messages in the customer's conversation, in order, each
//! exactly once.
//!
//! - Only agents and admins speak to the customer: a public comment by the requester, a CC'd
//!   person or a follower (they reply by email) is recorded and never sent.
//! - A comment becomes its text (Markdown when `markdown` is set, cut into parts that fit
//!   SunCo's limit, see [`message_text`](crate::message_text)) and one message per attachment;
//!   each message's metadata names the comment and the part, so that a retry after a crash
//!   finds what was sent and sends only the rest.
//! - A comment SunCo refuses for what it is (400, 413, 422) is cut smaller and tried again;
//!   refused at every size, it is recorded as failed, the agent is told by an internal note,
//!   and the comments after it still go.
//! - A webhook's cost does not grow with the ticket's history: the thread keeps, per ticket,
//!   how far its comments are settled (see [`settled_comments_key`]), and a webhook reads
//!   the newest page and claims only the comments after that point, plus those of the last
//!   two minutes (comments may commit out of id order) that one read of their delivery
//!   records does not find settled. One Zendesk read and seven store calls per new comment
//!   at 10 or 1,000 earlier comments (`cargo bench -p zendesk-sunco-bridge --bench history`);
//!   as many on a busy ticket with dozens of comments in its last two minutes.

mod window;

pub use window::settled_comments_key;

use std::collections::{HashMap, HashSet};

use meya_links::limits::MAX_DELIVERY_LOOKUP;
use meya_links::{ClaimOutcome, DeliveryClaim, DeliveryState, ThreadId, ZENDESK_SUPPORT};
use sunshine_conversations::{NewContent, NewMessage};
use zendesk_support::{Attachment, Comment, Role, User};

use crate::claims::settle_failed;
use crate::context::Context;
use crate::media::MAX_FILE_BYTES;
use crate::message_text::{self, LIMIT, MIN_BUDGET};
use crate::notes::note_once;
use crate::threads::forget_conversation;
use crate::{Error, Result};

/// One message of a comment, before media URLs are resolved.
enum Part<'c> {
    /// Text (Markdown when `markdown` is set), cut again if SunCo refuses it.
    Text(String),
    Media {
        attachment: &'c Attachment,
        text: Option<String>,
    },
}

/// Message metadata: the Zendesk comment a message comes from.
pub const COMMENT_ID_KEY: &str = "zendesk_comment_id";
/// Message metadata: which of the comment's messages it is: `0`, `1`, ... in order (text,
/// then media). A text part SunCo refused and that was cut smaller has pieces `n.0`, `n.1`,
/// ..., and theirs `n.1.0`, ... in turn.
pub const PART_KEY: &str = "zendesk_part";

/// One comment delivered as SunCo messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveredComment {
    /// The Zendesk comment id.
    pub comment_id: i64,
    /// The SunCo messages it became, in order.
    pub message_ids: Vec<String>,
}

/// A public comment that is not sent to the customer, because its author is not an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedComment {
    /// The Zendesk comment id.
    pub comment_id: i64,
    /// Why it was not sent.
    pub reason: &'static str,
}

/// A comment SunCo refused for good (400 or 422, at every size the bridge tried): recorded
/// as failed, and the agent told on the ticket; the comments after it go on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefusedComment {
    /// The Zendesk comment id.
    pub comment_id: i64,
    /// SunCo's reason.
    pub reason: String,
}

/// What one pass over a ticket's agent comments did (Meya's *rx*).
#[doc(alias = "rx")]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentCommentsOutcome {
    /// Comments delivered by this pass.
    pub delivered: Vec<DeliveredComment>,
    /// Comments an earlier pass had delivered, skipped or given up on.
    pub already_delivered: usize,
    /// Comments another worker is delivering right now (this pass stopped there, to keep
    /// the order).
    pub in_progress: usize,
    /// Public comments this pass found were not written by an agent (the requester, a CC'd
    /// person or follower replying by email, an unknown author): recorded, never sent.
    pub skipped: Vec<SkippedComment>,
    /// Comments SunCo refused for good in this pass.
    pub refused: Vec<RefusedComment>,
}

/// The name to show for a comment's author when the author may speak to the customer: an
/// agent or admin of the account. Everyone else (the requester, CC'd people and followers,
/// who reply by email as public comments, a user the page does not describe) is not sent.
fn agent_author(
    comment: &Comment,
    users: &[User],
    requester_id: i64,
) -> Result<Option<String>, &'static str> {
    let Some(author_id) = comment.author_id else {
        return Err("the comment has no author");
    };
    if author_id == requester_id {
        return Err("written by the requester");
    }
    let Some(author) = users.iter().find(|user| user.id == Some(author_id)) else {
        return Err("the author is unknown");
    };
    match &author.role {
        Some(Role::Agent | Role::Admin) => Ok(author.name.clone()),
        Some(Role::EndUser) => Err("written by an end-user (a CC'd person or follower)"),
        _ => Err("the author's role is not agent or admin"),
    }
}

/// Whether SunCo refused a message for its content (so sending it again as it is would be
/// refused again), rather than failing for a reason of its own or ours.
/// With `private_attachments`, an attachment Zendesk no longer has (404, 410) or that is over
/// the size cap cannot be carried either.
fn is_refusal(error: &Error) -> bool {
    match error {
        Error::SunCo(sunshine_conversations::Error::TextTooLong { .. })
        | Error::Zendesk(zendesk_support::Error::TooLarge { .. }) => true,
        Error::SunCo(error) => matches!(error.status(), Some(400 | 413 | 422)),
        Error::Zendesk(error) => matches!(error.status(), Some(404 | 410)),
        _ => false,
    }
}

/// Delivers a ticket's public agent comments, in order, each once,
/// to the thread's conversation. A conversation SunCo no longer knows is dropped from the
/// thread's cache, so the next webhook finds or makes the user's current one.
pub(crate) async fn deliver(
    context: &Context,
    thread: &ThreadId,
    ticket_id: i64,
    requester_id: i64,
    conversation_id: &str,
) -> Result<AgentCommentsOutcome> {
    let to = Recipient {
        thread,
        ticket_id,
        requester_id,
        conversation_id,
    };
    let delivered = deliver_to(context, &to).await;
    if let Err(Error::SunCo(error)) = &delivered
        && error.status() == Some(404)
    {
        tracing::warn!(
            conversation_id,
            "SunCo does not know the cached conversation"
        );
        forget_conversation(context.store.as_ref(), thread).await?;
    }
    if let Ok(outcome) = &delivered {
        crate::telemetry::agent_comments(outcome);
    }
    delivered
}

async fn deliver_to(context: &Context, to: &Recipient<'_>) -> Result<AgentCommentsOutcome> {
    let window = window::read(context, to.thread, to.ticket_id).await?;
    let mut outcome = AgentCommentsOutcome {
        already_delivered: window.settled_public,
        ..AgentCommentsOutcome::default()
    };
    let settled_before = settled_earlier(context, &window.comments).await?;
    // How many comments, from the window's oldest, are settled: the mark moves past them.
    let mut settled = 0;
    for (index, comment) in window.comments.iter().enumerate() {
        let step = if !comment.public {
            Step::Settled
        } else if settled_before.contains(&comment.id) {
            outcome.already_delivered += 1;
            Step::Settled
        } else {
            one_comment(context, to, &window.users, comment, &mut outcome).await?
        };
        match step {
            Step::Settled if settled == index => settled = index + 1,
            Step::Settled | Step::Unsettled => {}
            // Another worker is sending it: stop here, to keep the order.
            Step::Busy => break,
        }
    }
    window::advance(context, to.thread, to.ticket_id, &window, settled).await;
    Ok(outcome)
}

/// The public comments of `comments` that an earlier pass settled (delivered, skipped or
/// refused), read together: they need no claim each. Most of a window is settled when a
/// ticket is busy (its last two minutes are looked at again), so this read replaces a claim
/// per comment; with a single public comment the claim alone says as much, and nothing is
/// read.
async fn settled_earlier(context: &Context, comments: &[Comment]) -> Result<HashSet<i64>> {
    let ids: Vec<String> = comments
        .iter()
        .filter(|comment| comment.public)
        .map(|comment| comment.id.to_string())
        .collect();
    let mut settled = HashSet::new();
    if ids.len() < 2 {
        return Ok(settled);
    }
    for chunk in ids.chunks(MAX_DELIVERY_LOOKUP) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let known = context
            .store
            .delivery_get_many(ZENDESK_SUPPORT, &chunk)
            .await?;
        settled.extend(
            known
                .into_iter()
                .filter(|delivery| {
                    matches!(
                        delivery.state,
                        DeliveryState::Delivered { .. } | DeliveryState::Failed { .. }
                    )
                })
                .filter_map(|delivery| delivery.source_message_id.parse::<i64>().ok()),
        );
    }
    Ok(settled)
}

/// A ticket and where its comments go.
struct Recipient<'a> {
    thread: &'a ThreadId,
    ticket_id: i64,
    requester_id: i64,
    conversation_id: &'a str,
}

/// What became of one comment.
enum Step {
    /// Delivered, skipped or refused, now or before.
    Settled,
    /// Another worker holds it.
    Busy,
    /// Neither: looked at again next time.
    Unsettled,
}

/// Claims one public comment and delivers it, skips it or records its refusal.
async fn one_comment(
    context: &Context,
    to: &Recipient<'_>,
    users: &[User],
    comment: &Comment,
    outcome: &mut AgentCommentsOutcome,
) -> Result<Step> {
    let Recipient {
        ticket_id,
        requester_id,
        conversation_id,
        ..
    } = *to;
    let claim = match context
        .store
        .delivery_claim(
            ZENDESK_SUPPORT,
            &comment.id.to_string(),
            context.config.claim_lease,
        )
        .await?
    {
        ClaimOutcome::Claimed(claim) => claim,
        ClaimOutcome::Delivered { .. } | ClaimOutcome::Failed { .. } => {
            outcome.already_delivered += 1;
            return Ok(Step::Settled);
        }
        ClaimOutcome::InProgress { .. } => {
            outcome.in_progress += 1;
            return Ok(Step::Busy);
        }
        _ => return Ok(Step::Unsettled),
    };
    // Decided once and recorded: a CC'd person's reply stays unsent even if their
    // role changes later.
    let author = match agent_author(comment, users, requester_id) {
        Ok(author) => author,
        Err(reason) => {
            context.store.delivery_complete(&claim, "").await?;
            tracing::debug!(comment_id = comment.id, reason, "comment not sent");
            outcome.skipped.push(SkippedComment {
                comment_id: comment.id,
                reason,
            });
            return Ok(Step::Settled);
        }
    };
    // A later attempt follows a worker that may have sent some parts before it
    // stopped: find them by their metadata and send only the rest.
    let sent = if claim.attempt() > 1 {
        parts_already_sent(context, conversation_id, comment.id).await?
    } else {
        HashMap::new()
    };
    let mut message_ids = Vec::new();
    let sending = send_comment(
        context,
        ticket_id,
        comment,
        author.as_deref(),
        conversation_id,
        sent,
        &mut message_ids,
    )
    .await;
    match sending {
        Ok(()) => {
            context
                .store
                .delivery_complete(&claim, &message_ids.join(","))
                .await?;
            outcome.delivered.push(DeliveredComment {
                comment_id: comment.id,
                message_ids,
            });
        }
        Err(error) if is_refusal(&error) => {
            let reason = crate::error::describe(&error);
            refused(
                context,
                ticket_id,
                comment.id,
                &claim,
                &reason,
                message_ids.len(),
            )
            .await?;
            outcome.refused.push(RefusedComment {
                comment_id: comment.id,
                reason,
            });
        }
        Err(error) => {
            settle_failed(
                context.store.as_ref(),
                &claim,
                &error,
                context.config.api_timeout,
            )
            .await;
            return Err(error);
        }
    }
    Ok(Step::Settled)
}

/// Records a comment SunCo refused for good, and tells the agent on the ticket, once.
async fn refused(
    context: &Context,
    ticket_id: i64,
    comment_id: i64,
    claim: &DeliveryClaim,
    reason: &str,
    parts_sent: usize,
) -> Result<()> {
    tracing::warn!(ticket_id, comment_id, reason, "SunCo refused a comment");
    let recorded = format!("refused by SunCo after {parts_sent} part(s) were sent: {reason}");
    context
        .store
        .delivery_fail(claim, &truncate(&recorded, 2000))
        .await?;
    let note = format!(
        "Comment {comment_id} did not reach the customer's messenger: Sunshine \
         Conversations refused it ({}).{} The comments after it are still delivered; \
         rephrase or shorten it and add it as a new comment.",
        truncate(reason, 500),
        if parts_sent > 0 {
            format!(" The first {parts_sent} message(s) of it were delivered.")
        } else {
            String::new()
        }
    );
    note_once(context, ticket_id, &format!("refused-{comment_id}"), &note).await;
    Ok(())
}

/// The parts of a comment already in the conversation (newest page), by part key.
async fn parts_already_sent(
    context: &Context,
    conversation_id: &str,
    comment_id: i64,
) -> Result<HashMap<String, String>> {
    let page = context
        .sunco
        .messages()
        .list(conversation_id)
        .send()
        .await?;
    let comment_id = comment_id.to_string();
    Ok(page
        .messages
        .into_iter()
        .filter_map(|message| {
            let metadata = message.metadata.as_ref()?;
            if metadata.get(COMMENT_ID_KEY)?.as_str()? != comment_id {
                return None;
            }
            let part = metadata.get(PART_KEY)?.as_str()?.to_owned();
            Some((part, message.id))
        })
        .collect())
}

/// Posts one comment's messages in order, skipping parts already `sent`, pushing each
/// message id onto `ids` as it goes. A text part SunCo refuses is cut into pieces at half
/// the size and those are sent instead, down to [`MIN_BUDGET`]; a refusal past that, or
/// of a media part, ends the comment (its earlier parts stay sent).
async fn send_comment(
    context: &Context,
    ticket_id: i64,
    comment: &Comment,
    author: Option<&str>,
    conversation_id: &str,
    sent: HashMap<String, String>,
    ids: &mut Vec<String>,
) -> Result<()> {
    let markdown = context.config.markdown;
    for (number, part) in contents(context, comment).into_iter().enumerate() {
        let key = number.to_string();
        let text = match part {
            Part::Text(text) => text,
            media @ Part::Media { .. } => {
                if let Some(id) = sent.get(&key) {
                    ids.push(id.clone());
                    continue;
                }
                let content = resolve(context, media).await?;
                let message = business_message(content, ticket_id, comment.id, &key, author);
                let posted = context
                    .sunco
                    .messages()
                    .post(conversation_id, &message)
                    .await?;
                ids.extend(posted.into_iter().map(|m| m.id));
                continue;
            }
        };
        // Pieces still to send, in order: (part key, text, budget). A refused piece is
        // replaced by its halves' pieces, keyed below it; a retry finds which were sent
        // by the same keys, since cutting is deterministic.
        let mut pending = vec![(key, text, LIMIT)];
        while let Some((key, text, budget)) = pending.pop() {
            if let Some(id) = sent.get(&key) {
                ids.push(id.clone());
                continue;
            }
            let was_cut = sent.keys().any(|k| k.starts_with(&format!("{key}.")));
            let smaller = budget / 2;
            if !was_cut {
                let content = if markdown {
                    NewContent::markdown(text.clone())
                } else {
                    NewContent::text(text.clone())
                };
                let message = business_message(content, ticket_id, comment.id, &key, author);
                match context
                    .sunco
                    .messages()
                    .post(conversation_id, &message)
                    .await
                {
                    Ok(posted) => {
                        ids.extend(posted.into_iter().map(|m| m.id));
                        continue;
                    }
                    Err(error) => {
                        let error = Error::from(error);
                        // Cutting helps only a piece too long for the smaller budget;
                        // anything else was refused for what it says.
                        if !is_refusal(&error)
                            || smaller < MIN_BUDGET
                            || message_text::fits(&text, markdown, smaller)
                        {
                            return Err(error);
                        }
                        tracing::info!(
                            comment_id = comment.id,
                            part = %key,
                            budget = smaller,
                            "SunCo refused a part; sending it in smaller pieces"
                        );
                    }
                }
            }
            let pieces = message_text::split(&text, markdown, smaller);
            for (index, piece) in pieces.into_iter().enumerate().rev() {
                pending.push((format!("{key}.{index}"), piece, smaller));
            }
        }
    }
    Ok(())
}

/// A business message from `author` with the metadata that finds it again.
fn business_message(
    content: NewContent,
    ticket_id: i64,
    comment_id: i64,
    part: &str,
    author: Option<&str>,
) -> NewMessage {
    let mut message = NewMessage::new(content)
        .metadata(COMMENT_ID_KEY, comment_id.to_string())
        .metadata(PART_KEY, part)
        .metadata("zendesk_ticket_id", ticket_id.to_string());
    if let Some(name) = author {
        message = message.display_name(name);
    }
    message
}

/// The messages a comment becomes: its text (Markdown or plain, per `markdown`) and its
/// attachments as image or file messages, the text on the first media message when
/// `include_text_with_media`.
fn contents<'c>(context: &Context, comment: &'c Comment) -> Vec<Part<'c>> {
    let body = comment.body.as_deref().unwrap_or_default();
    let body = match comment.html_body.as_deref() {
        Some(html) if context.config.extract_html_links => {
            crate::html_links::carry_html_links(body, html)
        }
        _ => body.to_owned(),
    };
    let text = Some(body.trim().to_owned()).filter(|body| !body.is_empty());
    let media: Vec<&Attachment> = comment
        .attachments
        .iter()
        .filter(|attachment| attachment.content_url.is_some())
        .collect();
    let markdown = context.config.markdown;
    let mut contents = Vec::new();
    let mut media_text = None;
    match text {
        // Media text is plain text, under the same limit.
        Some(text)
            if context.config.include_text_with_media
                && !media.is_empty()
                && message_text::fits(&text, false, LIMIT) =>
        {
            media_text = Some(text);
        }
        Some(text) => contents.extend(
            message_text::split(&text, markdown, LIMIT)
                .into_iter()
                .map(Part::Text),
        ),
        None => {}
    }
    for attachment in media {
        contents.push(Part::Media {
            attachment,
            text: media_text.take(),
        });
    }
    contents
}

/// The content of one part, for media with a URL the customer can open: the attachment's
/// own, or with `private_attachments` a copy downloaded with the bot's credentials and
/// uploaded to SunCo.
async fn resolve(context: &Context, part: Part<'_>) -> Result<NewContent> {
    let (attachment, text) = match part {
        Part::Text(text) => return Ok(NewContent::text(text)),
        Part::Media { attachment, text } => (attachment, text),
    };
    let source = attachment.content_url.clone().unwrap_or_default();
    let url = if context.config.private_attachments {
        let download = context
            .zendesk
            .uploads()
            .download(&source, MAX_FILE_BYTES)
            .await?;
        let content_type = attachment
            .content_type
            .clone()
            .or(download.content_type)
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let file_name = attachment.file_name.as_deref().unwrap_or("attachment");
        context
            .sunco
            .attachments()
            .upload(file_name, &content_type, download.bytes)
            .await?
            .media_url
    } else {
        source
    };
    Ok(if attachment.is_image() {
        NewContent::image(url, text)
    } else {
        NewContent::file(url, text)
    })
}

/// At most `max` characters of `text`.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
