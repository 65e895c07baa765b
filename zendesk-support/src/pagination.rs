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
