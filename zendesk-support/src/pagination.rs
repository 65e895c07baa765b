//! Pagination as Zendesk does it — cursor (`page[size]`, `page[after]`), offset (`page`,
//! `per_page`, `next_page`) and the incremental exports' own (`cursor` / `start_time`,
//! `end_of_stream`) — one [`Page`] at a time, or every item as a `Stream`.

use std::collections::HashSet;
use std::marker::PhantomData;

use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::Call;
use crate::envelope::listing;
use crate::{Client, Result};

/// One page of a cursor-paginated list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Whether Zendesk has more after this page.
    pub has_more: bool,
    /// The cursor of the next page (`page[after]`), when there is one.
    pub after_cursor: Option<String>,
    /// Users sideloaded with the page (`include=users`), when asked for.
    pub users: Vec<crate::User>,
    /// How many items the whole list holds, when Zendesk says (offset pages, search).
    pub count: Option<u64>,
    /// The next page's number (offset pagination), when there is one.
    pub next_page: Option<u32>,
    /// Where the next page of a time-based incremental export starts (`start_time`).
    pub end_time: Option<i64>,
}

impl<T> Page<T> {
    /// Everything a walk over all pages read.
    pub(crate) fn complete(items: Vec<T>, users: Vec<crate::User>) -> Self {
        Self {
            items,
            has_more: false,
            after_cursor: None,
            users,
            count: None,
            next_page: None,
            end_time: None,
        }
    }
}

/// The `meta` object of a cursor page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CursorMeta {
    #[serde(default)]
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) after_cursor: Option<String>,
}

/// Pages past this many stop a walk: a guard against a server that never says `has_more:
/// false`. At 100 items a page it is a million items.
pub const MAX_PAGES: usize = 10_000;

/// Where a listing starts and how it is read: `page[size]`, `page[after]`, and
/// `sort=-created_at` for newest first.
#[derive(Debug, Clone)]
pub(crate) struct Cursor {
    pub(crate) page_size: u32,
    pub(crate) after: Option<String>,
    pub(crate) newest_first: bool,
}

impl Default for Cursor {
    fn default() -> Self {
        Self {
            page_size: 100,
            after: None,
            newest_first: false,
        }
    }
}

impl Cursor {
    /// Adds the cursor's query to `url`.
    pub(crate) fn apply(&self, url: &mut url::Url) {
        let mut query = url.query_pairs_mut();
        query.append_pair("page[size]", &self.page_size.to_string());
        if let Some(after) = &self.after {
            query.append_pair("page[after]", after);
        }
        if self.newest_first {
            query.append_pair("sort", "-created_at");
        }
    }

    /// A [`List`] of the items under `key` at `path` that starts where this cursor is.
    pub(crate) fn list<'c, T: DeserializeOwned + Send + 'c>(
        &self,
        client: &'c Client,
        path: String,
        key: &'static str,
    ) -> List<'c, T> {
        let mut list = List::new(client, path, key, Paging::Cursor).page_size(self.page_size);
        if let Some(after) = &self.after {
            list = list.after(after.clone());
        }
        if self.newest_first {
            list = list.param("sort", "-created_at");
        }
        list
    }

    /// The page's items, with its cursor when Zendesk says there is more.
    pub(crate) fn page<T>(items: Vec<T>, meta: CursorMeta, users: Vec<crate::User>) -> Page<T> {
        let after_cursor = meta.after_cursor.filter(|cursor| !cursor.is_empty());
        Page {
            items,
            has_more: meta.has_more && after_cursor.is_some(),
            after_cursor,
            users,
            count: None,
            next_page: None,
            end_time: None,
        }
    }
}

/// How a list endpoint pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paging {
    /// `page[size]` and `page[after]`; the answer's `meta.has_more` and `meta.after_cursor`.
    Cursor,
    /// `page` and `per_page`; the answer's `next_page` (search, and endpoints without
    /// cursor pagination).
    Offset,
    /// An incremental cursor export: `start_time` first, then `cursor`; the answer's
    /// `after_cursor` and `end_of_stream`.
    IncrementalCursor,
    /// A time-based incremental export: `start_time`; the answer's `end_time` and
    /// `end_of_stream`.
    IncrementalTime,
    /// One answer holds everything.
    Single,
}

/// Where a listing is.
#[derive(Debug, Clone, Default)]
struct Position {
    after: Option<String>,
    page: Option<u32>,
    start_time: Option<i64>,
}

/// A list call, sent with [`send`](Self::send) (one page), [`all`](Self::all) (every item)
/// or [`stream`](Self::stream) (every item, page by page as they are read). Each walk
/// follows the endpoint's own pagination, stops at [`MAX_PAGES`] and on a repeated cursor.
///
/// ```no_run
/// # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
/// use futures_util::TryStreamExt;
///
/// let mut organizations = client.organizations().list().stream();
/// while let Some(organization) = organizations.try_next().await? {
///     println!("{} {:?}", organization.id, organization.name);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "nothing is sent until `send`, `all` or `stream`"]
pub struct List<'c, T> {
    client: &'c Client,
    path: String,
    key: &'static str,
    query: Vec<(&'static str, String)>,
    paging: Paging,
    page_size: Option<u32>,
    position: Position,
    /// The most items the endpoint answers over all its offset pages (search: 1,000).
    offset_limit: Option<u64>,
    items: PhantomData<fn() -> T>,
}

impl<T> Clone for List<'_, T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client,
            path: self.path.clone(),
            key: self.key,
            query: self.query.clone(),
            paging: self.paging,
            page_size: self.page_size,
            position: self.position.clone(),
            offset_limit: self.offset_limit,
            items: PhantomData,
        }
    }
}

impl<'c, T: DeserializeOwned + Send + 'c> List<'c, T> {
    /// The items under `key` in the answers of `GET {path}`.
    pub(crate) fn new(
        client: &'c Client,
        path: impl Into<String>,
        key: &'static str,
        paging: Paging,
    ) -> Self {
        Self {
            client,
            path: path.into(),
            key,
            query: Vec::new(),
            paging,
            page_size: None,
            position: Position::default(),
            offset_limit: None,
            items: PhantomData,
        }
    }

    /// Adds a query parameter (a filter, a sort, a sideload).
    pub(crate) fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Stops an offset walk before the page past `limit` items, which the endpoint would
    /// refuse (search answers 422 past its 1,000th result).
    pub(crate) fn offset_limit(mut self, limit: u64) -> Self {
        self.offset_limit = Some(limit);
        self
    }

    /// Where an incremental export starts (Unix seconds).
    pub(crate) fn start_time(mut self, unix_seconds: i64) -> Self {
        self.position.start_time = Some(unix_seconds);
        self
    }

    /// Items per page: up to 100 (1,000 for incremental exports).
    pub fn page_size(mut self, page_size: u32) -> Self {
        let most = match self.paging {
            Paging::IncrementalCursor | Paging::IncrementalTime => 1000,
            _ => 100,
        };
        self.page_size = Some(page_size.clamp(1, most));
        self
    }

    /// Starts after this cursor (a page's `after_cursor`).
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.position.after = Some(cursor.into());
        self
    }

    /// Starts at this page number (offset pagination: search and the few endpoints without
    /// cursors).
    pub fn page(mut self, number: u32) -> Self {
        self.position.page = Some(number.max(1));
        self
    }

    fn url(&self) -> Result<url::Url> {
        let mut url = self.client.url(&self.path)?;
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in &self.query {
                query.append_pair(name, value);
            }
            let size = self.page_size.map(|size| size.to_string());
            match self.paging {
                // An endpoint that answered a cursor request with an offset page is
                // followed by page number from then on (see `send`).
                Paging::Cursor if self.position.page.is_some() => {
                    if let Some(size) = &size {
                        query.append_pair("per_page", size);
                    }
                    if let Some(page) = self.position.page {
                        query.append_pair("page", &page.to_string());
                    }
                }
                Paging::Cursor => {
                    query.append_pair("page[size]", size.as_deref().unwrap_or("100"));
                    if let Some(after) = &self.position.after {
                        query.append_pair("page[after]", after);
                    }
                }
                Paging::Offset => {
                    if let Some(size) = &size {
                        query.append_pair("per_page", size);
                    }
                    if let Some(page) = self.position.page {
                        query.append_pair("page", &page.to_string());
                    }
                }
                Paging::IncrementalCursor => {
                    if let Some(size) = &size {
                        query.append_pair("per_page", size);
                    }
                    match (&self.position.after, self.position.start_time) {
                        (Some(cursor), _) => {
                            query.append_pair("cursor", cursor);
                        }
                        (None, Some(start)) => {
                            query.append_pair("start_time", &start.to_string());
                        }
                        (None, None) => {}
                    }
                }
                Paging::IncrementalTime => {
                    if let Some(size) = &size {
                        query.append_pair("per_page", size);
                    }
                    if let Some(start) = self.position.start_time {
                        query.append_pair("start_time", &start.to_string());
                    }
                }
                Paging::Single => {}
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn send(&self) -> Result<Page<T>> {
        let response = self
            .client
            .send(Call::new(Method::GET, self.url()?))
            .await?;
        let bytes = crate::client::body_bytes(response).await?;
        let listing = listing::<T>(&bytes, self.key)?;
        let meta = listing.meta;
        let mut page = Page {
            items: listing.items,
            has_more: false,
            after_cursor: None,
            users: Vec::new(),
            count: meta.count,
            next_page: None,
            end_time: None,
        };
        match self.paging {
            Paging::Cursor if meta.cursor.after_cursor.is_some() || meta.next_page.is_none() => {
                page.after_cursor = meta.cursor.after_cursor.filter(|cursor| !cursor.is_empty());
                page.has_more = meta.cursor.has_more && page.after_cursor.is_some();
            }
            // Some endpoints take no cursor and answer offset pages whatever was asked.
            Paging::Cursor | Paging::Offset => {
                if meta.next_page.is_some() {
                    page.next_page = Some(self.position.page.unwrap_or(1).saturating_add(1));
                    page.has_more = true;
                }
            }
            Paging::IncrementalCursor => {
                page.after_cursor = meta.after_cursor.filter(|cursor| !cursor.is_empty());
                // Most exports say `end_of_stream`; the custom objects one says `meta`; the
                // audits export says neither, and ends when a page is empty.
                let more = match (meta.end_of_stream, meta.has_meta) {
                    (Some(end), _) => !end,
                    (None, true) => meta.cursor.has_more,
                    (None, false) => !page.items.is_empty(),
                };
                page.has_more = more && page.after_cursor.is_some();
            }
            Paging::IncrementalTime => {
                page.end_time = meta.end_time;
                // A page that does not move the clock forward would be read again forever.
                let moves = match (meta.end_time, self.position.start_time) {
                    (Some(end), Some(start)) => end > start,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                page.has_more = meta.end_of_stream == Some(false) && moves;
            }
            Paging::Single => {}
        }
        Ok(page)
    }

    /// The listing of the page after `page`, if there is one.
    fn next(mut self, page: &Page<T>) -> Option<Self> {
        if !page.has_more {
            return None;
        }
        match self.paging {
            Paging::Cursor | Paging::IncrementalCursor if page.after_cursor.is_some() => {
                self.position.after = page.after_cursor.clone();
            }
            Paging::Cursor | Paging::Offset => {
                let next = page.next_page?;
                let per_page = u64::from(self.page_size.unwrap_or(100));
                if let Some(limit) = self.offset_limit
                    && u64::from(next.saturating_sub(1)) * per_page >= limit
                {
                    tracing::debug!(what = self.key, limit, "offset walk at its limit; stopping");
                    return None;
                }
                self.position.page = Some(next);
            }
            Paging::IncrementalCursor => return None,
            Paging::IncrementalTime => self.position.start_time = Some(page.end_time?),
            Paging::Single => return None,
        }
        Some(self)
    }

    /// What identifies the position, for the repeated-cursor guard.
    fn position_key(&self) -> String {
        format!(
            "{:?}/{:?}/{:?}",
            self.position.after, self.position.page, self.position.start_time
        )
    }

    /// Every item over all pages from here on, read one page at a time as the stream is
    /// polled (boxed, so it is `Unpin` and `Send`). Stops at [`MAX_PAGES`], or when
    /// Zendesk repeats a cursor (with a warning).
    pub fn stream(self) -> BoxStream<'c, Result<T>> {
        let pages = stream::try_unfold(
            (Some(self), HashSet::<String>::new(), 0usize),
            |(list, mut seen, read)| async move {
                let Some(list) = list else {
                    return Ok(None);
                };
                if read >= MAX_PAGES {
                    tracing::warn!(what = list.key, "list walk hit MAX_PAGES; stopping");
                    return Ok(None);
                }
                seen.insert(list.position_key());
                let page = list.send().await?;
                let what = list.key;
                let next = list.next(&page).filter(|next| {
                    let fresh = !seen.contains(&next.position_key());
                    if !fresh {
                        tracing::warn!(what, "Zendesk repeated a cursor; stopping");
                    }
                    fresh
                });
                Ok(Some((page.items, (next, seen, read + 1))))
            },
        );
        pages
            .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every item over all pages from here on, collected.
    ///
    /// # Errors
    /// See [`Error`](crate::Error); items read before a failure are dropped.
    pub async fn all(self) -> Result<Vec<T>> {
        self.stream().try_collect().await
    }
}
