//! Ticket audits: the history of a ticket's updates, each with its events and metadata.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! // Read back what an integration's own updates recorded, newest first, stopping at the
//! // first page that reaches back far enough.
//! let audits = client
//!     .tickets()
//!     .audits(4021)
//!     .newest_first()
//!     .until(|page| page.len() < 100)
//!     .await?;
//! let ours = audits.iter().filter_map(|audit| audit.custom_metadata()).count();
//! # let _ = ours;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::client::{Call, decode};
use crate::open_enum::null_as_default;
use crate::pagination::{Cursor, CursorMeta, MAX_PAGES};
use crate::{Client, Page, Result, Tickets};

/// A ticket audit: what one update changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Audit {
    /// The audit's id.
    pub id: Option<i64>,
    /// The ticket.
    #[serde(default)]
    pub ticket_id: Option<i64>,
    /// Who made the update.
    #[serde(default)]
    pub author_id: Option<i64>,
    /// When.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// How the update was made (`{"channel": "merge", "source": {...}}` for a merge).
    #[serde(default)]
    pub via: Option<Value>,
    /// Its events (`Comment`, `Change`, ...), as sent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<Value>,
    /// `system` (client, IP address, location) and `custom`: what the update sent as its
    /// [`metadata`](crate::TicketUpdate::metadata).
    #[serde(default)]
    pub metadata: Option<Value>,
}

impl Audit {
    /// The metadata the update itself carried ([`TicketUpdate::metadata`](crate::TicketUpdate::metadata)
    /// or [`NewTicket::metadata`](crate::NewTicket::metadata)), which Zendesk keeps as the
    /// audit's `metadata.custom`. `None` when the update sent none (Zendesk then lists an
    /// empty object).
    pub fn custom_metadata(&self) -> Option<&Value> {
        let custom = self.metadata.as_ref()?.get("custom")?;
        let empty = custom.is_null() || custom.as_object().is_some_and(serde_json::Map::is_empty);
        (!empty).then_some(custom)
    }

    /// The id of the comment this update added, if it added one.
    pub fn comment_id(&self) -> Option<i64> {
        self.events.iter().find_map(|event| {
            (event.get("type")?.as_str()? == "Comment")
                .then(|| event.get("id")?.as_i64())
                .flatten()
        })
    }

    /// The ticket this audit merged its ticket into, when it is the audit of a merge.
    ///
    /// Zendesk closes a ticket merged into another in an update whose `via` has the channel
    /// `merge` (via id 19); the target is its `via.source.to.ticket_id`. Should the source not
    /// say, the update's comment is Zendesk's own "This request was closed and merged into
    /// request #N", and `N` is taken from it.
    ///
    /// Reference: <https://developer.zendesk.com/documentation/ticketing/reference-guides/via-types>
    pub fn merged_into(&self) -> Option<i64> {
        let via = self.via.as_ref()?;
        let channel = via.get("channel")?;
        if channel.as_str() != Some("merge") && channel.as_i64() != Some(19) {
            return None;
        }
        let target = via.pointer("/source/to/ticket_id").and_then(|id| {
            id.as_i64()
                .or_else(|| id.as_str().and_then(|id| id.trim().parse().ok()))
        });
        target.or_else(|| {
            self.events
                .iter()
                .filter(|event| event.get("type").and_then(Value::as_str) == Some("Comment"))
                .filter_map(|event| event.get("body").and_then(Value::as_str))
                .find_map(merge_target_in_text)
        })
    }
}

/// `N` in "... merged into request #N ...".
fn merge_target_in_text(text: &str) -> Option<i64> {
    let (_, after) = text.split_once("merged into request #")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[derive(Deserialize)]
struct AuditPage {
    #[serde(default, deserialize_with = "null_as_default")]
    audits: Vec<Audit>,
    #[serde(default)]
    meta: CursorMeta,
}

impl<'c> Tickets<'c> {
    /// Lists a ticket's audits, oldest first, a cursor page at a time.
    pub fn audits(&self, id: i64) -> AuditsRequest<'c> {
        AuditsRequest {
            client: self.client,
            ticket_id: id,
            cursor: Cursor::default(),
        }
    }

    /// A ticket's latest audits (up to 100), newest first: what its last updates changed and
    /// how they were made (a merge, say: see [`Audit::merged_into`]).
    ///
    /// Reference: <https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/#list-audits-for-a-ticket>
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) with status 404 when there is no such ticket; see
    /// [`Error`](crate::Error).
    pub async fn latest_audits(&self, id: i64) -> Result<Vec<Audit>> {
        Ok(self.audits(id).newest_first().send().await?.items)
    }
}

/// An audits listing, sent with [`send`](Self::send) (one page) or [`until`](Self::until).
#[derive(Debug)]
#[must_use = "nothing is sent until `send` or `until`"]
pub struct AuditsRequest<'c> {
    client: &'c Client,
    ticket_id: i64,
    cursor: Cursor,
}

impl<'c> AuditsRequest<'c> {
    /// Newest audits first (`sort=-created_at`), so that a caller looking for a recent update
    /// reads one page, not the ticket's whole history.
    pub fn newest_first(mut self) -> Self {
        self.cursor.newest_first = true;
        self
    }

    /// Audits per page, 1 to 100 (default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.cursor.page_size = page_size.clamp(1, 100);
        self
    }

    /// Starts after this cursor (a page's [`after_cursor`](Page::after_cursor)).
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.cursor.after = Some(cursor.into());
        self
    }

    /// Every audit from here on, page by page as the stream is polled (boxed, `Send`).
    pub fn stream(self) -> futures_util::stream::BoxStream<'c, Result<Audit>> {
        self.cursor
            .list(
                self.client,
                format!("api/v2/tickets/{}/audits", self.ticket_id),
                "audits",
            )
            .stream()
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// [`Error::Api`](crate::Error::Api) with status 404 when there is no such ticket; see
    /// [`Error`](crate::Error).
    pub async fn send(&self) -> Result<Page<Audit>> {
        let mut url = self
            .client
            .url(&format!("api/v2/tickets/{}/audits", self.ticket_id))?;
        self.cursor.apply(&mut url);
        let page: AuditPage = decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        Ok(Cursor::page(page.audits, page.meta, Vec::new()))
    }

    /// Follows cursors until `enough` says so of the page just read, or the last page, and
    /// answers every audit read. A server that repeats a cursor, or a walk past
    /// [`MAX_PAGES`], ends it early with what was read (and a warning in the log).
    ///
    /// # Errors
    /// See [`send`](Self::send).
    pub async fn until(mut self, mut enough: impl FnMut(&[Audit]) -> bool) -> Result<Vec<Audit>> {
        let mut audits = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let page = self.send().await?;
            let stop = enough(&page.items);
            audits.extend(page.items);
            match page.after_cursor {
                Some(cursor) if page.has_more && !stop => {
                    if !seen.insert(cursor.clone()) {
                        tracing::warn!("Zendesk repeated an audits cursor; stopping");
                        return Ok(audits);
                    }
                    self.cursor.after = Some(cursor);
                }
                _ => return Ok(audits),
            }
        }
        tracing::warn!("audits walk hit MAX_PAGES; stopping");
        Ok(audits)
    }
}

impl<'c> Tickets<'c> {
    /// Every audit of the account, newest first (a cursor export; archived tickets'
    /// audits are not in it).
    pub fn all_audits(&self) -> crate::List<'c, Audit> {
        crate::List::new(
            self.client,
            "api/v2/ticket_audits",
            "audits",
            crate::pagination::Paging::IncrementalCursor,
        )
    }

    /// Reads one audit of a ticket.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn audit(&self, ticket_id: i64, audit_id: i64) -> Result<Audit> {
        let url = self
            .client
            .url(&format!("api/v2/tickets/{ticket_id}/audits/{audit_id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "audit")
            .await
    }

    /// How many audits a ticket has.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count_audits(&self, ticket_id: i64) -> Result<crate::Count> {
        self.client
            .count(&format!("api/v2/tickets/{ticket_id}/audits/count"), &[])
            .await
    }

    /// Makes the comment of an audit private. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn make_audit_private(&self, ticket_id: i64, audit_id: i64) -> Result<()> {
        let url = self.client.url(&format!(
            "api/v2/tickets/{ticket_id}/audits/{audit_id}/make_private"
        ))?;
        self.client
            .execute(Call::new(Method::PUT, url).idempotent(true))
            .await
    }
}
