//! rx, Zendesk -> SunCo: a linked ticket's public agent comments become business messages,
//! each exactly once.

use std::collections::BTreeMap;

use meya_links::{ClaimOutcome, DeliveryClaim, ThreadId, ZENDESK_SUPPORT};
use sunshine_conversations::{MAX_TEXT_CHARS, NewContent, NewMessage, UserFilter};
use zendesk_support::{Attachment, Comment};

use crate::bridge::{CONVERSATION_KEY, MAX_FILE_BYTES};
use crate::{Bridge, Error, Result};

/// One message of a comment, before media URLs are resolved.
enum Part<'c> {
    Ready(NewContent),
    Media {
        attachment: &'c Attachment,
        text: Option<String>,
    },
}

/// Message metadata: the Zendesk comment a message comes from.
pub const COMMENT_ID_KEY: &str = "zendesk_comment_id";
/// Message metadata: which of the comment's messages it is (text, then media), from 0.
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

/// What one rx pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RxOutcome {
    /// Comments delivered by this pass.
    pub delivered: Vec<DeliveredComment>,
    /// Comments an earlier pass had delivered.
    pub already_delivered: usize,
    /// Comments another worker is delivering right now (this pass stopped there, to keep
    /// the order).
    pub in_progress: usize,
}

impl Bridge {
    /// The SunCo conversation linked to a thread: cached in the thread data, else the user's
    /// existing personal conversation, else a new one. Answers the id and whether it was
    /// created.
    pub(crate) async fn conversation_for(
        &self,
        thread: &ThreadId,
        sunco_user_id: &str,
    ) -> Result<(String, bool)> {
        let cached = self.store.thread_get(thread, CONVERSATION_KEY).await?;
        // An empty value is a cache entry dropped after SunCo lost the conversation.
        if let Some(id) = cached.filter(|id| !id.is_empty()) {
            return Ok((id, false));
        }
        self.find_conversation(thread, sunco_user_id).await
    }

    /// The user's existing personal conversation at SunCo, else a new one, cached in the
    /// thread's data (for a thread just made, whose cache is known to be empty).
    pub(crate) async fn find_conversation(
        &self,
        thread: &ThreadId,
        sunco_user_id: &str,
    ) -> Result<(String, bool)> {
        let page = self
            .sunco
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
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                let conversation = self
                    .sunco
                    .conversations()
                    .create_personal(sunco_user_id, None)
                    .await?;
                (conversation.id, true)
            }
        };
        self.store.thread_set(thread, CONVERSATION_KEY, &id).await?;
        Ok((id, created))
    }

    /// Delivers a ticket's public comments not written by its requester, in order, each once,
    /// to the thread's conversation. A conversation SunCo no longer knows is dropped from the
    /// thread's cache, so the next webhook finds or makes the user's current one.
    pub(crate) async fn deliver_comments(
        &self,
        thread: &ThreadId,
        ticket_id: i64,
        requester_id: i64,
        conversation_id: &str,
    ) -> Result<RxOutcome> {
        let delivered = self
            .deliver_comments_to(ticket_id, requester_id, conversation_id)
            .await;
        if let Err(Error::SunCo(error)) = &delivered
            && error.status() == Some(404)
        {
            tracing::warn!(
                conversation_id,
                "SunCo does not know the cached conversation"
            );
            self.store.thread_set(thread, CONVERSATION_KEY, "").await?;
        }
        delivered
    }

    async fn deliver_comments_to(
        &self,
        ticket_id: i64,
        requester_id: i64,
        conversation_id: &str,
    ) -> Result<RxOutcome> {
        let page = self
            .zendesk
            .tickets()
            .comments(ticket_id)
            .include_users()
            .all_pages()
            .await?;
        let mut outcome = RxOutcome::default();
        for comment in &page.items {
            if !comment.public || comment.author_id == Some(requester_id) {
                continue;
            }
            let claim = match self
                .store
                .delivery_claim(
                    ZENDESK_SUPPORT,
                    &comment.id.to_string(),
                    self.config.claim_lease,
                )
                .await?
            {
                ClaimOutcome::Claimed(claim) => claim,
                ClaimOutcome::Delivered { .. } | ClaimOutcome::Failed { .. } => {
                    outcome.already_delivered += 1;
                    continue;
                }
                ClaimOutcome::InProgress { .. } => {
                    outcome.in_progress += 1;
                    break;
                }
                _ => continue,
            };
            let author = comment.author_id.and_then(|id| {
                page.users
                    .iter()
                    .find(|user| user.id == Some(id))
                    .and_then(|user| user.name.clone())
            });
            // A later attempt follows a worker that may have sent some parts before it
            // stopped: find them by their metadata and send only the rest.
            let sent = if claim.attempt() > 1 {
                self.parts_already_sent(conversation_id, comment.id).await?
            } else {
                BTreeMap::new()
            };
            let message_ids = self
                .send_comment(
                    ticket_id,
                    comment,
                    author.as_deref(),
                    conversation_id,
                    &claim,
                    sent,
                )
                .await?;
            self.store
                .delivery_complete(&claim, &message_ids.join(","))
                .await?;
            outcome.delivered.push(DeliveredComment {
                comment_id: comment.id,
                message_ids,
            });
        }
        Ok(outcome)
    }

    /// The parts of a comment already in the conversation (newest page), by part number.
    async fn parts_already_sent(
        &self,
        conversation_id: &str,
        comment_id: i64,
    ) -> Result<BTreeMap<usize, String>> {
        let page = self.sunco.messages().list(conversation_id).send().await?;
        let comment_id = comment_id.to_string();
        Ok(page
            .messages
            .into_iter()
            .filter_map(|message| {
                let metadata = message.metadata.as_ref()?;
                if metadata.get(COMMENT_ID_KEY)?.as_str()? != comment_id {
                    return None;
                }
                let part = metadata.get(PART_KEY)?.as_str()?.parse().ok()?;
                Some((part, message.id))
            })
            .collect())
    }

    /// Posts one comment's messages, skipping parts already `sent`. A failure settles the
    /// claim (see `settle_failed_claim`): the next attempt checks before sending again.
    async fn send_comment(
        &self,
        ticket_id: i64,
        comment: &Comment,
        author: Option<&str>,
        conversation_id: &str,
        claim: &DeliveryClaim,
        mut sent: BTreeMap<usize, String>,
    ) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for (number, part) in self.contents(comment).into_iter().enumerate() {
            if let Some(id) = sent.remove(&number) {
                ids.push(id);
                continue;
            }
            let posted = async {
                let mut message = NewMessage::new(self.resolve(part).await?)
                    .metadata(COMMENT_ID_KEY, comment.id.to_string())
                    .metadata(PART_KEY, number.to_string())
                    .metadata("zendesk_ticket_id", ticket_id.to_string());
                if let Some(name) = author {
                    message = message.display_name(name);
                }
                Ok::<_, Error>(
                    self.sunco
                        .messages()
                        .post(conversation_id, &message)
                        .await?,
                )
            }
            .await;
            match posted {
                Ok(posted) => ids.extend(posted.into_iter().map(|m| m.id)),
                Err(error) => {
                    self.settle_failed_claim(claim, &error).await;
                    return Err(error);
                }
            }
        }
        Ok(ids)
    }

    /// The messages a comment becomes: its text (Markdown or plain, per `markdown`) and its
    /// attachments as image or file messages, the text on the first media message when
    /// `include_text_with_media`.
    fn contents<'c>(&self, comment: &'c Comment) -> Vec<Part<'c>> {
        let body = comment.body.as_deref().unwrap_or_default();
        let body = match comment.html_body.as_deref() {
            Some(html) if self.config.extract_html_links => crate::carry_html_links(body, html),
            _ => body.to_owned(),
        };
        let text = Some(body.trim().to_owned()).filter(|body| !body.is_empty());
        let media: Vec<&Attachment> = comment
            .attachments
            .iter()
            .filter(|attachment| attachment.content_url.is_some())
            .collect();
        let text_content = |text: String| {
            if self.config.markdown {
                NewContent::markdown(text)
            } else {
                NewContent::text(text)
            }
        };
        let mut contents = Vec::new();
        let mut media_text = None;
        match text {
            Some(text)
                if self.config.include_text_with_media
                    && !media.is_empty()
                    && text.chars().count() <= MAX_TEXT_CHARS =>
            {
                media_text = Some(text);
            }
            Some(text) => contents.extend(
                split_text(&text, MAX_TEXT_CHARS).map(|text| Part::Ready(text_content(text))),
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
    async fn resolve(&self, part: Part<'_>) -> Result<NewContent> {
        let (attachment, text) = match part {
            Part::Ready(content) => return Ok(content),
            Part::Media { attachment, text } => (attachment, text),
        };
        let source = attachment.content_url.clone().unwrap_or_default();
        let url = if self.config.private_attachments {
            let download = self
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
            self.sunco
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
}

/// Splits text into pieces of at most `max` characters, in order: at paragraph breaks where
/// possible, else at line breaks, else at spaces, else anywhere.
fn split_text(text: &str, max: usize) -> impl Iterator<Item = String> + '_ {
    let mut rest = text;
    std::iter::from_fn(move || {
        let rest_trimmed = rest.trim_start_matches('\n');
        if rest_trimmed.is_empty() {
            return None;
        }
        rest = rest_trimmed;
        if rest.chars().count() <= max {
            let piece = rest.to_owned();
            rest = "";
            return Some(piece);
        }
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let cut = ["\n\n", "\n", " "]
            .iter()
            .find_map(|separator| window.rfind(separator).filter(|&at| at > 0))
            .unwrap_or(limit);
        let (piece, remainder) = rest.split_at(cut);
        rest = remainder.trim_start_matches(' ');
        Some(piece.trim_end().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::split_text;

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(split_text("hello", 10).collect::<Vec<_>>(), ["hello"]);
    }

    #[test]
    fn long_text_splits_at_paragraphs_then_lines_then_spaces() {
        let text = "aaaa bbbb\n\ncccc dddd\neeee";
        assert_eq!(
            split_text(text, 12).collect::<Vec<_>>(),
            ["aaaa bbbb", "cccc dddd", "eeee"]
        );
        assert_eq!(
            split_text("abcdefghij", 4).collect::<Vec<_>>(),
            ["abcd", "efgh", "ij"]
        );
        let long: String = "word ".repeat(2000);
        let pieces: Vec<String> = split_text(&long, 4096).collect();
        assert!(pieces.iter().all(|piece| piece.chars().count() <= 4096));
        assert_eq!(pieces.concat().replace(' ', ""), long.replace(' ', ""));
    }

    #[test]
    fn multibyte_text_splits_on_char_boundaries() {
        let text = "é".repeat(10);
        let pieces: Vec<String> = split_text(&text, 3).collect();
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces.concat(), text);
    }
}
