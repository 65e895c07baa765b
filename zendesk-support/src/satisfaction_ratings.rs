//! Satisfaction ratings: what requesters said of solved tickets (CSAT).
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! let bad = client.satisfaction_ratings().list_scored("bad").all().await?;
//! for rating in bad {
//!     println!("#{:?}: {:?}", rating.ticket_id, rating.comment);
//! }
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Call;
use crate::envelope::Keyed;
use crate::pagination::{List, Paging};
use crate::{Client, Count, Result};

/// A satisfaction rating.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SatisfactionRating {
    /// Its id.
    pub id: i64,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// `offered`, `unoffered`, `good`, `bad` (and `good_with_comment`, ... in filters).
    #[serde(default)]
    pub score: Option<String>,
    /// The requester's comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// The requester's reason for a bad rating.
    #[serde(default)]
    pub reason: Option<String>,
    /// The ticket.
    #[serde(default)]
    pub ticket_id: Option<i64>,
    /// Who rated.
    #[serde(default)]
    pub requester_id: Option<i64>,
    /// The agent assigned when it was rated.
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// The group assigned when it was rated.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// When it was made.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

/// A rating, given on a requester's behalf (Zendesk takes it only from the requester's own
/// credentials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NewSatisfactionRating {
    /// `good` or `bad`.
    pub score: String,
    /// A comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl NewSatisfactionRating {
    /// A `good` rating.
    pub fn good() -> Self {
        Self {
            score: "good".into(),
            comment: None,
        }
    }

    /// A `bad` rating.
    pub fn bad() -> Self {
        Self {
            score: "bad".into(),
            comment: None,
        }
    }

    /// With a comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
}

/// Satisfaction rating calls: `client.satisfaction_ratings()`.
#[derive(Debug, Clone, Copy)]
pub struct SatisfactionRatings<'c> {
    client: &'c Client,
}

impl Client {
    /// Satisfaction rating calls.
    pub fn satisfaction_ratings(&self) -> SatisfactionRatings<'_> {
        SatisfactionRatings { client: self }
    }
}

impl<'c> SatisfactionRatings<'c> {
    /// Every rating (Zendesk's default is those received in the last 90 days).
    pub fn list(&self) -> List<'c, SatisfactionRating> {
        List::new(
            self.client,
            "api/v2/satisfaction_ratings",
            "satisfaction_ratings",
            Paging::Cursor,
        )
    }

    /// The ratings with this score: `good`, `bad`, `offered`, `unoffered`, `received`,
    /// `received_with_comment`, `good_with_comment`, `bad_with_comment`, ...
    pub fn list_scored(&self, score: &str) -> List<'c, SatisfactionRating> {
        self.list().param("score", score)
    }

    /// How many ratings there are.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn count(&self) -> Result<Count> {
        self.client
            .count("api/v2/satisfaction_ratings/count", &[])
            .await
    }

    /// Reads a rating.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, id: i64) -> Result<SatisfactionRating> {
        let url = self
            .client
            .url(&format!("api/v2/satisfaction_ratings/{id}"))?;
        let crate::envelope::OneOrFirst(rating) = self
            .client
            .fetch(Call::new(Method::GET, url), "satisfaction_rating")
            .await?;
        Ok(rating)
    }

    /// Rates a solved ticket, as its requester (the client's credentials must be the
    /// requester's).
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(
        &self,
        ticket_id: i64,
        rating: &NewSatisfactionRating,
    ) -> Result<SatisfactionRating> {
        let url = self
            .client
            .url(&format!("api/v2/tickets/{ticket_id}/satisfaction_rating"))?;
        let call = Call::new(Method::POST, url).json(&Keyed("satisfaction_rating", rating))?;
        let crate::envelope::OneOrFirst(rating) =
            self.client.fetch(call, "satisfaction_rating").await?;
        Ok(rating)
    }
}
