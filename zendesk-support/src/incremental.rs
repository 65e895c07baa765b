//! Incremental exports: every ticket, user, organization, ticket event or custom object
//! record changed since a time, for syncing Zendesk into another system. Zendesk allows 10
//! export requests a minute (30 with the High Volume add-on); the client's
//! [`RetryPolicy`](crate::RetryPolicy) waits out its 429s.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use futures_util::TryStreamExt;
//!
//! let since = 1_700_000_000; // Unix seconds; keep the last ticket's `updated_at` for next time
//! let mut changed = client.incremental().tickets(since).stream();
//! while let Some(ticket) = changed.try_next().await? {
//!     println!("#{} {:?}", ticket.id, ticket.status);
//! }
//! # Ok(()) }
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::pagination::{List, Paging};
use crate::{Client, Organization, Ticket, User};

/// A ticket event: one change of a ticket (`ticket_events` export).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TicketEvent {
    /// Its id.
    pub id: i64,
    /// The ticket.
    #[serde(default)]
    pub ticket_id: Option<i64>,
    /// Who made the change.
    #[serde(default)]
    pub updater_id: Option<i64>,
    /// The event type, e.g. `Audit`, or the metric's `measure`.
    #[serde(default)]
    pub event_type: Option<String>,
    /// When, as Unix seconds.
    #[serde(default)]
    pub timestamp: Option<i64>,
    /// When.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// The changes it made (`include=comment_events` adds the comments).
    #[serde(default, deserialize_with = "crate::open_enum::null_as_default")]
    pub child_events: Vec<Value>,
    /// Everything else Zendesk sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A custom object record (custom objects export).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct CustomObjectRecord {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// The object it is a record of.
    #[serde(default)]
    pub custom_object_key: Option<String>,
    /// Your own id for it.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Its field values, by key.
    #[serde(default)]
    pub custom_object_fields: Option<Map<String, Value>>,
    /// When it was created.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// Incremental export calls: `client.incremental()`. Each starts at `start_time` (Unix
/// seconds, at least a minute ago) and walks to the present; `page_size` goes to 1,000.
#[derive(Debug, Clone, Copy)]
pub struct Incremental<'c> {
    client: &'c Client,
}

impl Client {
    /// Incremental export calls.
    pub fn incremental(&self) -> Incremental<'_> {
        Incremental { client: self }
    }
}

impl<'c> Incremental<'c> {
    /// Tickets changed since `start_time`, by cursor (Zendesk's recommended export; a
    /// cursor from a page's `after_cursor` resumes it with [`List::after`]).
    pub fn tickets(&self, start_time: i64) -> List<'c, Ticket> {
        List::new(
            self.client,
            "api/v2/incremental/tickets/cursor",
            "tickets",
            Paging::IncrementalCursor,
        )
        .start_time(start_time)
    }

    /// Tickets changed since `start_time`, by time (pages end at an `end_time`; a ticket
    /// changed at a page's edge may come twice).
    pub fn tickets_by_time(&self, start_time: i64) -> List<'c, Ticket> {
        List::new(
            self.client,
            "api/v2/incremental/tickets",
            "tickets",
            Paging::IncrementalTime,
        )
        .start_time(start_time)
    }

    /// Users changed since `start_time`, by cursor.
    pub fn users(&self, start_time: i64) -> List<'c, User> {
        List::new(
            self.client,
            "api/v2/incremental/users/cursor",
            "users",
            Paging::IncrementalCursor,
        )
        .start_time(start_time)
    }

    /// Users changed since `start_time`, by time.
    pub fn users_by_time(&self, start_time: i64) -> List<'c, User> {
        List::new(
            self.client,
            "api/v2/incremental/users",
            "users",
            Paging::IncrementalTime,
        )
        .start_time(start_time)
    }

    /// Organizations changed since `start_time` (by time: Zendesk has no cursor export of
    /// them).
    pub fn organizations(&self, start_time: i64) -> List<'c, Organization> {
        List::new(
            self.client,
            "api/v2/incremental/organizations",
            "organizations",
            Paging::IncrementalTime,
        )
        .start_time(start_time)
    }

    /// Ticket events since `start_time` (by time).
    pub fn ticket_events(&self, start_time: i64) -> List<'c, TicketEvent> {
        List::new(
            self.client,
            "api/v2/incremental/ticket_events",
            "ticket_events",
            Paging::IncrementalTime,
        )
        .start_time(start_time)
    }

    /// Records of one custom object changed since `start_time`, by cursor.
    pub fn custom_object_records(
        &self,
        custom_object_key: &str,
        start_time: i64,
    ) -> List<'c, CustomObjectRecord> {
        List::new(
            self.client,
            format!(
                "api/v2/incremental/custom_objects/{}/cursor",
                crate::client::path_segment(custom_object_key)
            ),
            "custom_object_records",
            Paging::IncrementalCursor,
        )
        .start_time(start_time)
    }

    /// A sample of one page of tickets since `start_time`: to try the export without its
    /// rate limit (one request a minute).
    pub fn sample_tickets(&self, start_time: i64) -> List<'c, Ticket> {
        List::new(
            self.client,
            "api/v2/incremental/tickets/sample",
            "tickets",
            Paging::Single,
        )
        .param("start_time", start_time.to_string())
    }
}
