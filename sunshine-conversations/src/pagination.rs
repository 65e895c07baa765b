//! Cursor pagination as SunCo does it (`page[after]`, `page[before]`, `page[size]`, and
//! `meta.hasMore` with the cursors in the answer): one [`Page`] at a time for callers who
//! want control, or every item over all pages as a `Stream`.

use std::collections::HashSet;
use std::marker::PhantomData;

use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::client::{Call, encode};
use crate::envelope::listing;
use crate::{Client, Result};

/// Pages past this many stop a walk: a guard against a server that never says `hasMore:
/// false`. At 100 items a page it is a million items.
pub const MAX_PAGES: usize = 10_000;

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items on this page, in SunCo's order.
    pub items: Vec<T>,
    /// Whether SunCo has more in the direction the list walks.
    pub has_more: bool,
    /// The cursor for the next page forwards (`page[after]`): SunCo's, or the last item's
    /// id.
    pub after_cursor: Option<String>,
    /// The cursor for the page before (`page[before]`): SunCo's, or the first item's id.
    pub before_cursor: Option<String>,
}

/// Which way a walk over all pages goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `page[after]`: oldest first (users, conversations, integrations, ...).
    Forwards,
    /// `page[before]`: a conversation's messages, the newest page first.
    Backwards,
}

/// A list call, sent with [`send`](Self::send) (one page), [`all`](Self::all) (every item)
/// or [`stream`](Self::stream) (every item, page by page as they are read).
///
/// ```no_run
/// # async fn demo(client: sunshine_conversations::Client) -> sunshine_conversations::Result<()> {
/// use futures_util::TryStreamExt;
///
/// let mut integrations = client.integrations().list().stream();
/// while let Some(integration) = integrations.try_next().await? {
///     println!("{} {:?}", integration.id, integration.kind);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "nothing is sent until `send`, `all` or `stream`"]
pub struct List<'c, T> {
    client: &'c Client,
    segments: Vec<String>,
    key: &'static str,
    query: Vec<(&'static str, String)>,
    page_size: Option<u32>,
    after: Option<String>,
    before: Option<String>,
    direction: Direction,
    id_of: fn(&T) -> &str,
    items: PhantomData<fn() -> T>,
}

impl<T> Clone for List<'_, T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client,
            segments: self.segments.clone(),
            key: self.key,
            query: self.query.clone(),
            page_size: self.page_size,
            after: self.after.clone(),
            before: self.before.clone(),
            direction: self.direction,
            id_of: self.id_of,
            items: PhantomData,
        }
    }
}

impl<'c, T: DeserializeOwned + Send + 'c> List<'c, T> {
    /// A list of the items under `key` in the answer of `GET v2/apps/{app}/{segments..}`.
    pub(crate) fn in_app(
        client: &'c Client,
        segments: &[&str],
        key: &'static str,
        direction: Direction,
        id_of: fn(&T) -> &str,
    ) -> Self {
        let mut path = vec!["apps", client.app_id()];
        path.extend_from_slice(segments);
        Self::new(client, &path, key, direction, id_of)
    }

    /// A list of the items under `key` in the answer of `GET v2/{segments..}`; `id_of`
    /// names an item's id, the cursor when SunCo says `hasMore` without giving one (its
    /// reference defines `page[after]` and `page[before]` as record ids).
    pub(crate) fn new(
        client: &'c Client,
        segments: &[&str],
        key: &'static str,
        direction: Direction,
        id_of: fn(&T) -> &str,
    ) -> Self {
        Self {
            client,
            segments: segments
                .iter()
                .map(|segment| (*segment).to_owned())
                .collect(),
            key,
            query: Vec::new(),
            page_size: None,
            after: None,
            before: None,
            direction,
            id_of,
            items: PhantomData,
        }
    }

    /// Adds a query parameter (a filter).
    pub(crate) fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Items per page, 1 to 100 (SunCo's default is 25).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size.clamp(1, 100));
        self
    }

    /// Starts after this cursor (a record id, or a page's `after_cursor`).
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self.before = None;
        self
    }

    /// Starts before this cursor (a record id, or a page's `before_cursor`).
    pub fn before(mut self, cursor: impl Into<String>) -> Self {
        self.before = Some(cursor.into());
        self.after = None;
        self
    }

    /// The query string this listing sends: SunCo's bracketed names as its reference
    /// spells them (`filter[userId]=..&page[after]=..`), values percent-encoded.
    pub fn query(&self) -> String {
        let mut parts: Vec<String> = self
            .query
            .iter()
            .map(|(name, value)| format!("{name}={}", encode(value)))
            .collect();
        if let Some(after) = &self.after {
            parts.push(format!("page[after]={}", encode(after)));
        }
        if let Some(before) = &self.before {
            parts.push(format!("page[before]={}", encode(before)));
        }
        if let Some(size) = self.page_size {
            parts.push(format!("page[size]={size}"));
        }
        parts.join("&")
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn send(&self) -> Result<Page<T>> {
        let segments: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        let query = self.query();
        let url = self
            .client
            .v2_url(&segments, (!query.is_empty()).then_some(query.as_str()))?;
        let response = self.client.send(Call::new(Method::GET, url)).await?;
        let bytes = crate::client::body_bytes(response).await?;
        let listing = listing::<T>(&bytes, self.key)?;
        let id = |item: Option<&T>| item.map(|item| (self.id_of)(item).to_owned());
        let after_cursor = listing
            .meta
            .after_cursor
            .or_else(|| id(listing.items.last()))
            .filter(|cursor| !cursor.is_empty());
        let before_cursor = listing
            .meta
            .before_cursor
            .or_else(|| id(listing.items.first()))
            .filter(|cursor| !cursor.is_empty());
        let onward = match self.direction {
            Direction::Forwards => after_cursor.is_some(),
            Direction::Backwards => before_cursor.is_some(),
        };
        Ok(Page {
            items: listing.items,
            has_more: listing.meta.has_more && onward,
            after_cursor,
            before_cursor,
        })
    }

    /// Every item over all pages from here on, read one page at a time as the stream is
    /// polled (boxed, so it is `Unpin` and `Send`). Stops at [`MAX_PAGES`] or when SunCo repeats a cursor (with a warning).
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
                let page = list.send().await?;
                let cursor = match list.direction {
                    Direction::Forwards => page.after_cursor.clone(),
                    Direction::Backwards => page.before_cursor.clone(),
                };
                let next = match cursor {
                    Some(cursor) if page.has_more => {
                        if seen.insert(cursor.clone()) {
                            Some(match list.direction {
                                Direction::Forwards => list.after(cursor),
                                Direction::Backwards => list.before(cursor),
                            })
                        } else {
                            tracing::warn!(what = list.key, "SunCo repeated a cursor; stopping");
                            None
                        }
                    }
                    _ => None,
                };
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
