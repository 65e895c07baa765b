//! Tags: the account's tags, and the tags of one ticket, user or organization (list, set,
//! add, remove).
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/ticket-management/tags/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use zendesk_support::Tagged;
//!
//! let tags = client.tags().add(Tagged::Ticket(4021), &["sunco_send"]).await?;
//! assert!(tags.iter().any(|tag| tag == "sunco_send"));
//! client.tags().remove(Tagged::Ticket(4021), &["sunco_send"]).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Call;
use crate::pagination::{List, Paging};
use crate::{Client, Count, Error, Result};

/// A tag of the account and how many records carry it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TagCount {
    /// The tag.
    pub name: String,
    /// How many records carry it (recently: Zendesk counts the last 60 days).
    #[serde(default)]
    pub count: Option<u64>,
}

/// What a tag call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    /// A ticket.
    Ticket(i64),
    /// A user.
    User(i64),
    /// An organization.
    Organization(i64),
}

impl Tagged {
    fn path(self) -> String {
        match self {
            Tagged::Ticket(id) => format!("api/v2/tickets/{id}/tags"),
            Tagged::User(id) => format!("api/v2/users/{id}/tags"),
            Tagged::Organization(id) => format!("api/v2/organizations/{id}/tags"),
        }
    }
}

#[derive(Serialize)]
struct Tags<'a> {
    tags: &'a [&'a str],
}

#[derive(Deserialize)]
struct TagList {
    #[serde(default, deserialize_with = "crate::open_enum::null_as_default")]
    tags: Vec<String>,
}

/// Tag calls: `client.tags()`.
#[derive(Debug, Clone, Copy)]
pub struct TagCalls<'c> {
    client: &'c Client,
}

impl Client {
    /// Tag calls.
    pub fn tags(&self) -> TagCalls<'_> {
        TagCalls { client: self }
    }
}

impl<'c> TagCalls<'c> {
    /// The account's most used tags.
    pub fn list(&self) -> List<'c, TagCount> {
        List::new(self.client, "api/v2/tags", "tags", Paging::Cursor)
    }

    /// How many tags the account has.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn count(&self) -> Result<Count> {
        self.client.count("api/v2/tags/count", &[]).await
    }

    /// Tags starting with `prefix` (at least 2 characters).
    ///
    /// # Errors
    /// [`Error::Config`] for a prefix under 2 characters; see [`Error`].
    pub async fn autocomplete(&self, prefix: &str) -> Result<Vec<String>> {
        check_prefix(prefix)?;
        let mut url = self.client.url("api/v2/autocomplete/tags")?;
        url.query_pairs_mut().append_pair("name", prefix);
        let list: TagList =
            crate::client::decode(self.client.send(Call::new(Method::GET, url)).await?).await?;
        Ok(list.tags)
    }

    /// [`autocomplete`](Self::autocomplete), with the prefix in the body instead of the
    /// URL (kept out of access logs).
    ///
    /// # Errors
    /// As [`autocomplete`](Self::autocomplete).
    pub async fn autocomplete_in_body(&self, prefix: &str) -> Result<Vec<String>> {
        check_prefix(prefix)?;
        #[derive(Serialize)]
        struct Name<'a> {
            name: &'a str,
        }
        let url = self.client.url("api/v2/autocomplete/tags")?;
        let call = Call::new(Method::POST, url)
            .json(&Name { name: prefix })?
            .idempotent(true);
        let list: TagList = crate::client::decode(self.client.send(call).await?).await?;
        Ok(list.tags)
    }

    /// The tags of a ticket, user or organization.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn of(&self, target: Tagged) -> Result<Vec<String>> {
        let url = self.client.url(&target.path())?;
        self.tag_call(Call::new(Method::GET, url)).await
    }

    /// Replaces the tags of a ticket, user or organization; answers them. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn set(&self, target: Tagged, tags: &[&str]) -> Result<Vec<String>> {
        self.change(Method::POST, target, tags).await
    }

    /// Adds tags (those already there stay once); answers them all. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn add(&self, target: Tagged, tags: &[&str]) -> Result<Vec<String>> {
        self.change(Method::PUT, target, tags).await
    }

    /// Removes tags; answers those left. Safe to repeat.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn remove(&self, target: Tagged, tags: &[&str]) -> Result<Vec<String>> {
        self.change(Method::DELETE, target, tags).await
    }

    async fn change(&self, method: Method, target: Tagged, tags: &[&str]) -> Result<Vec<String>> {
        if tags.iter().any(|tag| tag.trim().is_empty()) {
            return Err(Error::Config("a tag is empty".into()));
        }
        let url = self.client.url(&target.path())?;
        let call = Call::new(method, url)
            .json(&Tags { tags })?
            .idempotent(true);
        self.tag_call(call).await
    }

    async fn tag_call(&self, call: Call) -> Result<Vec<String>> {
        let response = self.client.send(call).await?;
        let bytes = crate::client::body_bytes(response).await?;
        // Removing the last tags may answer 204 with no body.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        let list: TagList = crate::client::decode_bytes(&bytes)?;
        Ok(list.tags)
    }
}

fn check_prefix(prefix: &str) -> Result<()> {
    crate::client::check_prefix("a tag prefix", prefix)
}
