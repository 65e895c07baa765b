//! Ending a delivery claim whose delivery failed, so that the next attempt neither waits
//! needlessly nor sends twice.

use std::time::Duration;

use meya_links::{DeliveryClaim, LinkStore};

use crate::Error;

/// The shortest wait for a timed-out write to land before it is looked for.
const MIN_LATE_WRITE_WAIT: Duration = Duration::from_millis(100);

/// Ends a claim whose delivery failed. After a definite failure it is released, so the next
/// attempt may start at once. After a timeout the write may still land: the claim is held for
/// one more `api_timeout`, and the next attempt (its count raised) looks for the message
/// before sending it again.
pub(crate) async fn settle_failed(
    store: &dyn LinkStore,
    claim: &DeliveryClaim,
    error: &Error,
    api_timeout: Duration,
) {
    let settled = if error.is_timeout() {
        let mut held = claim.clone();
        store
            .delivery_renew(&mut held, api_timeout.max(MIN_LATE_WRITE_WAIT))
            .await
    } else {
        store.delivery_release(claim).await
    };
    match settled {
        // Completed before the failure, or taken over: nothing to settle.
        Ok(()) | Err(meya_links::Error::ClaimLost { .. }) => {}
        Err(error) => tracing::warn!(error = %error, "could not settle a delivery claim"),
    }
}
