//! Search: tickets, users, organizations and groups matching a query in Zendesk's search
//! language (`type:ticket status:open requester:jane@example.com`), their count, and the
//! export that reads past the 1,000 results a search answers.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use futures_util::TryStreamExt;
//! use zendesk_support::{SearchResult, SearchType};
//!
//! let open = client.search().count("type:ticket status:open").await?;
//! let mut tickets = client.search().export("status:open", SearchType::Ticket).stream();
//! while let Some(found) = tickets.try_next().await? {
//!     if let SearchResult::Ticket(ticket) = found {
//!         println!("#{} of {open}", ticket.id);
//!     }
//! }
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::client::Call;
use crate::open_enum::open_enum;
use crate::pagination::{List, Paging};
use crate::{Client, Error, Group, Organization, Result, Ticket, User};

open_enum! {
    /// What kind of record a search looks for (`filter[type]` of the export).
    pub enum SearchType {
        /// Tickets.
        Ticket = "ticket",
        /// Users.
        User = "user",
        /// Organizations.
        Organization = "organization",
        /// Groups.
        Group = "group",
    }
}

/// One search result, by its `result_type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SearchResult {
    /// A ticket.
    Ticket(Box<Ticket>),
    /// A user.
    User(Box<User>),
    /// An organization.
    Organization(Box<Organization>),
    /// A group.
    Group(Box<Group>),
    /// Another kind (a topic, an article, ...), or one that did not fit its type, as sent.
    Unknown(Value),
}

impl SearchResult {
    /// The record's id, whatever its kind.
    pub fn id(&self) -> Option<i64> {
        match self {
            SearchResult::Ticket(ticket) => Some(ticket.id),
            SearchResult::User(user) => user.id,
            SearchResult::Organization(organization) => Some(organization.id),
            SearchResult::Group(group) => Some(group.id),
            SearchResult::Unknown(raw) => raw.get("id").and_then(Value::as_i64),
        }
    }
}

impl<'de> Deserialize<'de> for SearchResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        let typed = match raw.get("result_type").and_then(Value::as_str) {
            Some("ticket") => Ticket::deserialize(&raw).map(|t| SearchResult::Ticket(Box::new(t))),
            Some("user") => User::deserialize(&raw).map(|u| SearchResult::User(Box::new(u))),
            Some("organization") => {
                Organization::deserialize(&raw).map(|o| SearchResult::Organization(Box::new(o)))
            }
            Some("group") => Group::deserialize(&raw).map(|g| SearchResult::Group(Box::new(g))),
            _ => return Ok(SearchResult::Unknown(raw)),
        };
        Ok(typed.unwrap_or_else(|error| {
            tracing::warn!(%error, "search result does not fit its type; kept raw");
            SearchResult::Unknown(raw)
        }))
    }
}

/// The most results a search answers (10 pages of 100); read more with
/// [`Search::export`].
pub const MAX_SEARCH_RESULTS: u64 = 1000;

/// Search calls: `client.search()`.
#[derive(Debug, Clone, Copy)]
pub struct Search<'c> {
    client: &'c Client,
}

impl Client {
    /// Search calls.
    pub fn search(&self) -> Search<'_> {
        Search { client: self }
    }
}

fn check(query: &str) -> Result<()> {
    if query.trim().is_empty() {
        return Err(Error::Config("the search query is empty".into()));
    }
    Ok(())
}

impl<'c> Search<'c> {
    /// Results for `query`, up to [`MAX_SEARCH_RESULTS`] (offset pages of up to 100; a walk
    /// stops before the page Zendesk would refuse past them);
    /// `sort_by` is e.g. `created_at`, `updated_at`, `priority`, `status`, `ticket_type`.
    pub fn query(&self, query: &str) -> List<'c, SearchResult> {
        List::new(self.client, "api/v2/search", "results", Paging::Offset)
            .param("query", query)
            .offset_limit(MAX_SEARCH_RESULTS)
    }

    /// Results for `query`, sorted (`sort_by`: `created_at`, `updated_at`, `priority`,
    /// `status` or `ticket_type`), newest or highest first when `descending`.
    pub fn query_sorted(
        &self,
        query: &str,
        sort_by: &str,
        descending: bool,
    ) -> List<'c, SearchResult> {
        self.query(query)
            .param("sort_by", sort_by)
            .param("sort_order", if descending { "desc" } else { "asc" })
    }

    /// How many records match `query`.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty query; see [`Error`].
    pub async fn count(&self, query: &str) -> Result<u64> {
        check(query)?;
        let mut url = self.client.url("api/v2/search/count")?;
        url.query_pairs_mut().append_pair("query", query);
        self.client
            .fetch(Call::new(Method::GET, url), "count")
            .await
    }

    /// Every record of one kind matching `query`, past the search's 1,000 (cursor pages;
    /// Zendesk keeps an export's cursor for an hour).
    pub fn export(&self, query: &str, kind: SearchType) -> List<'c, SearchResult> {
        List::new(
            self.client,
            "api/v2/search/export",
            "results",
            Paging::Cursor,
        )
        .param("query", query)
        .param("filter[type]", kind.as_str())
    }
}
