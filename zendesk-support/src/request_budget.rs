//! A requests-per-minute budget the client keeps to without waiting for a 429: Zendesk limits
//! each account per minute (700 on Suite Enterprise, 2,500 with the High Volume add-on; see
//! [rate limits](https://developer.zendesk.com/api-reference/introduction/rate-limits)), and
//! every integration of the account shares it. Set it below the plan's limit with
//! [`ClientBuilder::requests_per_minute`](crate::ClientBuilder::requests_per_minute) and the
//! client spaces its calls out so that no minute holds more; a call beyond it waits its turn
//! instead of being refused. Every attempt counts, retries included.
//!
//! The budget is a GCRA (the [`governor`] crate): up to the whole minute's budget may go at
//! once after a quiet minute, then calls flow at `budget / 60` a second.

use std::num::NonZeroU32;
use std::time::Instant;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// The client's budget, shared by its clones.
pub(crate) struct RequestBudget {
    limiter: DefaultDirectRateLimiter,
    per_minute: NonZeroU32,
}

impl RequestBudget {
    pub(crate) fn per_minute(per_minute: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::direct(Quota::per_minute(per_minute)),
            per_minute,
        }
    }

    /// Waits until the budget allows one more request.
    pub(crate) async fn wait_for_turn(&self) {
        if self.limiter.check().is_ok() {
            return;
        }
        let started = Instant::now();
        self.limiter.until_ready().await;
        tracing::debug!(
            waited = ?started.elapsed(),
            per_minute = self.per_minute.get(),
            "Zendesk request held back by the client's requests-per-minute budget"
        );
    }
}

impl std::fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBudget")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}
