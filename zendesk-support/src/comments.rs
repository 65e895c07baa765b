//! Ticket comments and their attachments, listed with cursor pagination.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! let newest = client.tickets().comments(4021).newest_first().page_size(10).send().await?;
//! for comment in &newest.items {
//!     println!("{} public={} {:?}", comment.id, comment.public, comment.plain_body);
//! }
//! client.tickets().redact_comment_text(4021, newest.items[0].id, "4111 1111 1111 1111").await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Call, decode};
use crate::open_enum::null_as_default;
use crate::pagination::{Cursor, CursorMeta, MAX_PAGES};
use crate::{Client, Page, Result, User};

/// A ticket comment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Comment {
    /// The comment's id.
    pub id: i64,
    /// `Comment` or `VoiceComment`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Who wrote it.
    pub author_id: Option<i64>,
    /// The text, Markdown-like.
    pub body: Option<String>,
    /// The HTML rendering.
    pub html_body: Option<String>,
    /// The text without formatting.
    pub plain_body: Option<String>,
    /// Visible to the requester (false: internal note).
    #[serde(default = "default_public")]
    pub public: bool,
    /// Attached files.
    #[serde(default, deserialize_with = "null_as_default")]
    pub attachments: Vec<Attachment>,
    /// How it was created.
    pub via: Option<Value>,
    /// System and custom metadata.
    pub metadata: Option<Value>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
}

fn default_public() -> bool {
    true
}

/// A file attached to a comment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Attachment {
    /// The attachment's id.
    pub id: i64,
    /// The file name.
    pub file_name: Option<String>,
    /// Where to download it. On accounts with private attachments it needs credentials.
    pub content_url: Option<String>,
    /// The URL on the account's host-mapped domain, when it has one.
    pub mapped_content_url: Option<String>,
    /// The MIME type, e.g. `image/png`.
    pub content_type: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Shown inline in the comment.
    pub inline: Option<bool>,
}

impl Attachment {
    /// Whether the content type is an image.
    pub fn is_image(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|kind| kind.starts_with("image/"))
    }
}

#[derive(Deserialize)]
struct CommentsPage {
    #[serde(default, deserialize_with = "null_as_default")]
    comments: Vec<Comment>,
    #[serde(default, deserialize_with = "null_as_default")]
    users: Vec<User>,
    #[serde(default)]
    meta: CursorMeta,
}

/// A comments listing, sent with [`send`](Self::send) (one page) or [`all`](Self::all).
#[derive(Debug)]
#[must_use = "nothing is sent until `send` or `all`"]
pub struct CommentsRequest<'c> {
    client: &'c Client,
    ticket_id: i64,
    cursor: Cursor,
    include_users: bool,
}

impl<'c> CommentsRequest<'c> {
    pub(crate) fn new(client: &'c Client, ticket_id: i64) -> Self {
        Self {
            client,
            ticket_id,
            cursor: Cursor::default(),
            include_users: false,
        }
    }

    /// Newest comments first (`sort=-created_at`), so that a caller interested in what is
    /// new reads one page, not the whole history.
    pub fn newest_first(mut self) -> Self {
        self.cursor.newest_first = true;
        self
    }

    /// Comments per page, 1 to 100 (default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.cursor.page_size = page_size.clamp(1, 100);
        self
    }

    /// Starts after this cursor (a page's [`after_cursor`](Page::after_cursor)).
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.cursor.after = Some(cursor.into());
        self
    }

    /// Sideloads the comments' authors (`include=users`) into [`Page::users`], so their
    /// names need no further request.
    pub fn include_users(mut self) -> Self {
        self.include_users = true;
        self
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn send(&self) -> Result<Page<Comment>> {
        let mut url = self
            .client
            .url(&format!("api/v2/tickets/{}/comments", self.ticket_id))?;
        self.cursor.apply(&mut url);
        if self.include_users {
            url.query_pairs_mut().append_pair("include", "users");
        }
        let page: CommentsPage =
            decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        Ok(Cursor::page(page.comments, page.meta, page.users))
    }

    /// Every comment from here on, page by page as the stream is polled (boxed, `Send`).
    /// Sideloaded users are not kept: use [`all_pages`](Self::all_pages) for those.
    pub fn stream(self) -> futures_util::stream::BoxStream<'c, Result<Comment>> {
        self.cursor
            .list(
                self.client,
                format!("api/v2/tickets/{}/comments", self.ticket_id),
                "comments",
            )
            .stream()
    }

    /// Fetches every page, following cursors until `has_more` is false. A server that
    /// repeats a cursor, or runs past [`MAX_PAGES`], ends the walk with what was read (and a
    /// warning in the log) rather than looping forever.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn all(self) -> Result<Vec<Comment>> {
        Ok(self.all_pages().await?.items)
    }

    /// Like [`all`](Self::all), answering one [`Page`] that holds every comment and every
    /// sideloaded user (see [`include_users`](Self::include_users)).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn all_pages(self) -> Result<Page<Comment>> {
        Ok(self.pages_until(|_| false).await?.page)
    }

    /// Follows cursors from this request until `enough` says so of the page just read, or
    /// the last page: one [`Page`] of every comment and sideloaded user read. With
    /// [`newest_first`](Self::newest_first), this reads back only as far as a caller needs.
    /// A server that repeats a cursor, or a walk past [`MAX_PAGES`], ends it early (with a
    /// warning in the log): [`CommentWalk::finished`] is then false.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn pages_until(
        mut self,
        mut enough: impl FnMut(&Page<Comment>) -> bool,
    ) -> Result<CommentWalk> {
        let mut comments = Vec::new();
        let mut users: Vec<User> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let walk = |comments, users, finished| CommentWalk {
            page: Page::complete(comments, users),
            finished,
        };
        for _ in 0..MAX_PAGES {
            let page = self.send().await?;
            let stop = enough(&page);
            comments.extend(page.items);
            for user in page.users {
                if !users.iter().any(|known| known.id == user.id) {
                    users.push(user);
                }
            }
            match page.after_cursor {
                Some(cursor) if page.has_more && !stop => {
                    if !seen.insert(cursor.clone()) {
                        tracing::warn!(
                            ticket_id = self.ticket_id,
                            "Zendesk repeated a comments cursor; stopping"
                        );
                        return Ok(walk(comments, users, false));
                    }
                    self.cursor.after = Some(cursor);
                }
                _ => return Ok(walk(comments, users, true)),
            }
        }
        tracing::warn!(
            ticket_id = self.ticket_id,
            "comments walk hit MAX_PAGES; stopping"
        );
        Ok(walk(comments, users, false))
    }
}

/// What [`CommentsRequest::pages_until`] read.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CommentWalk {
    /// Every comment and sideloaded user read, in the order read.
    pub page: Page<Comment>,
    /// Whether the walk ended where asked (or at the last page), rather than cut off by a
    /// repeated cursor or [`MAX_PAGES`].
    pub finished: bool,
}

/// A chat event of a messaging ticket, as Zendesk answers a chat redaction.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ChatEvent {
    /// Its id.
    pub id: i64,
    /// Its type, e.g. `ChatStartedEvent`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Its content (`chat_id`, `history`, ...), as sent.
    #[serde(default)]
    pub value: Option<Value>,
}

impl<'c> crate::Tickets<'c> {
    /// How many comments a ticket has.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count_comments(&self, ticket_id: i64) -> Result<crate::Count> {
        self.client
            .count(&format!("api/v2/tickets/{ticket_id}/comments/count"), &[])
            .await
    }

    /// Makes a public comment private. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn make_comment_private(&self, ticket_id: i64, comment_id: i64) -> Result<()> {
        let url = self.client.url(&format!(
            "api/v2/tickets/{ticket_id}/comments/{comment_id}/make_private"
        ))?;
        self.client
            .execute(Call::new(Method::PUT, url).idempotent(true))
            .await
    }

    /// Replaces `text` in a comment with `▇` characters for good; answers the comment.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn redact_comment_text(
        &self,
        ticket_id: i64,
        comment_id: i64,
        text: &str,
    ) -> Result<Comment> {
        #[derive(Serialize)]
        struct Text<'a> {
            text: &'a str,
        }
        let url = self.client.url(&format!(
            "api/v2/tickets/{ticket_id}/comments/{comment_id}/redact"
        ))?;
        let call = Call::new(Method::PUT, url)
            .json(&Text { text })?
            .idempotent(true);
        self.client.fetch(call, "comment").await
    }

    /// Redacts a comment in the Agent Workspace way: `html_body` is the comment's HTML with
    /// the parts to remove wrapped in `<redact>` tags; `attachment_urls` names external
    /// attachments to remove.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn redact_comment(
        &self,
        ticket_id: i64,
        comment_id: i64,
        html_body: &str,
        attachment_urls: &[&str],
    ) -> Result<Comment> {
        #[derive(Serialize)]
        struct Redaction<'a> {
            ticket_id: i64,
            html_body: &'a str,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            external_attachment_urls: &'a [&'a str],
        }
        let url = self
            .client
            .url(&format!("api/v2/comment_redactions/{comment_id}"))?;
        let call = Call::new(Method::PUT, url)
            .json(&Redaction {
                ticket_id,
                html_body,
                external_attachment_urls: attachment_urls,
            })?
            .idempotent(true);
        self.client.fetch(call, "comment").await
    }

    /// Redacts `text` from one message (`chat_index`) of a chat on a messaging ticket.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn redact_chat_text(
        &self,
        ticket_id: i64,
        chat_id: &str,
        chat_index: u32,
        text: &str,
    ) -> Result<ChatEvent> {
        #[derive(Serialize)]
        struct Redaction<'a> {
            chat_id: &'a str,
            chat_index: u32,
            text: &'a str,
        }
        let url = self
            .client
            .url(&format!("api/v2/chat_redactions/{ticket_id}"))?;
        let call = Call::new(Method::PUT, url)
            .json(&Redaction {
                chat_id,
                chat_index,
                text,
            })?
            .idempotent(true);
        self.client.fetch(call, "chat_event").await
    }

    /// Redacts the files of some messages (`chat_indexes`) of a chat on a messaging ticket.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn redact_chat_files(
        &self,
        ticket_id: i64,
        chat_id: &str,
        chat_indexes: &[u32],
    ) -> Result<ChatEvent> {
        #[derive(Serialize)]
        struct Redaction<'a> {
            chat_id: &'a str,
            chat_indexes: &'a [u32],
        }
        let url = self
            .client
            .url(&format!("api/v2/chat_file_redactions/{ticket_id}"))?;
        let call = Call::new(Method::PUT, url)
            .json(&Redaction {
                chat_id,
                chat_indexes,
            })?
            .idempotent(true);
        self.client.fetch(call, "chat_event").await
    }
}
