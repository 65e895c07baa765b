//! Cursor pages, as Zendesk's cursor-based pagination returns them.

use serde::Deserialize;

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
}

impl<T> Page<T> {
    /// Everything a walk over all pages read.
    pub(crate) fn complete(items: Vec<T>, users: Vec<crate::User>) -> Self {
        Self {
            items,
            has_more: false,
            after_cursor: None,
            users,
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

/// Reads every page of a cursor-paginated list: `fetch` gets the cursor to start after (none
/// for the first page) and answers a page's items and `meta`. Stops at [`MAX_PAGES`] or on a
/// repeated cursor, with a warning naming `what`.
pub(crate) async fn walk<T, F, Fut>(what: &str, mut fetch: F) -> crate::Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = crate::Result<(Vec<T>, CursorMeta)>>,
{
    let mut items = Vec::new();
    let mut after = None;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..MAX_PAGES {
        let (page, meta) = fetch(after.take()).await?;
        items.extend(page);
        match meta.after_cursor {
            Some(cursor) if meta.has_more => {
                if !seen.insert(cursor.clone()) {
                    tracing::warn!(what, "Zendesk repeated a cursor; stopping");
                    return Ok(items);
                }
                after = Some(cursor);
            }
            _ => return Ok(items),
        }
    }
    tracing::warn!(what, "list walk hit MAX_PAGES; stopping");
    Ok(items)
}

/// A first-page or next-page URL: `page[size]=100`, and `page[after]` when given.
pub(crate) fn cursor_url(mut url: url::Url, after: Option<&str>) -> url::Url {
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("page[size]", "100");
        if let Some(after) = after {
            query.append_pair("page[after]", after);
        }
    }
    url
}

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

    /// The page's items, with its cursor when Zendesk says there is more.
    pub(crate) fn page<T>(items: Vec<T>, meta: CursorMeta, users: Vec<crate::User>) -> Page<T> {
        let after_cursor = meta.after_cursor.filter(|cursor| !cursor.is_empty());
        Page {
            items,
            has_more: meta.has_more && after_cursor.is_some(),
            after_cursor,
            users,
        }
    }
}
