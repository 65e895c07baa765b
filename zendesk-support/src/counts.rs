//! Counts: Zendesk's `.../count` endpoints answer an estimate it refreshes in the
//! background (exact below 100,000 items).

use reqwest::Method;
use serde::Deserialize;

use crate::client::Call;
use crate::{Client, Result};

/// A count and when Zendesk last refreshed it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Count {
    /// How many.
    #[serde(default)]
    pub value: u64,
    /// When Zendesk computed it (counts above 100,000 are refreshed every 24 hours).
    #[serde(default, with = "crate::timestamp::optional")]
    pub refreshed_at: Option<time::OffsetDateTime>,
}

impl Client {
    /// `GET {path}` and its `count`.
    pub(crate) async fn count(&self, path: &str, query: &[(&str, &str)]) -> Result<Count> {
        let mut url = self.url(path)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        self.fetch(Call::new(Method::GET, url), "count").await
    }
}
