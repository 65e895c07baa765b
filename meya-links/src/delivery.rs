//! Delivery records: what makes sending a message exactly-once.
//!
//! A worker about to send message `m` from `source` calls
//! [`delivery_claim`](crate::Deliveries::delivery_claim). Only one caller at a time holds a live
//! claim; the others learn that the message is in flight, delivered (with the id it got on the
//! other side) or failed for good. A worker that dies leaves a claim whose lease runs out, and
//! the next claim takes it over: that is crash recovery. A claim that has been taken over is
//! refused when its old holder tries to complete it ([`Error::ClaimLost`](crate::Error::ClaimLost)).

use std::time::{Duration, SystemTime};

use uuid::Uuid;

/// A live claim on one delivery, held by the caller until its lease runs out.
///
/// Hand it back with [`delivery_complete`](crate::Deliveries::delivery_complete),
/// [`delivery_fail`](crate::Deliveries::delivery_fail) or
/// [`delivery_release`](crate::Deliveries::delivery_release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryClaim {
    pub(crate) source: String,
    pub(crate) source_message_id: String,
    pub(crate) token: Uuid,
    pub(crate) attempt: u32,
    pub(crate) lease_until: SystemTime,
}

impl DeliveryClaim {
    /// A claim a backend grants: `token` is what it keeps to recognise the claim's holder
    /// when the claim is completed, failed, released or renewed.
    pub fn new(
        source: impl Into<String>,
        source_message_id: impl Into<String>,
        token: Uuid,
        attempt: u32,
        lease_until: SystemTime,
    ) -> Self {
        Self {
            source: source.into(),
            source_message_id: source_message_id.into(),
            token,
            attempt,
            lease_until,
        }
    }

    /// The token the backend recognises this claim's holder by.
    pub fn token(&self) -> Uuid {
        self.token
    }

    /// Moves the lease's end (what a backend does on [`delivery_renew`]).
    ///
    /// [`delivery_renew`]: crate::Deliveries::delivery_renew
    pub fn set_lease_until(&mut self, lease_until: SystemTime) {
        self.lease_until = lease_until;
    }

    /// Where the message comes from, e.g. `zendesk.support`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The message's id at its source, e.g. a Zendesk comment id.
    pub fn source_message_id(&self) -> &str {
        &self.source_message_id
    }

    /// 1 for the first claim; more when earlier claims expired or were released. A worker may
    /// give up (and [`fail`](crate::Deliveries::delivery_fail)) past some number of attempts.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// When the lease runs out and another worker may take the delivery over.
    pub fn lease_until(&self) -> SystemTime {
        self.lease_until
    }

    /// The error for a store that finds this claim no longer held.
    pub(crate) fn lost(&self) -> crate::Error {
        crate::Error::ClaimLost {
            delivery_source: self.source.clone(),
            source_message_id: self.source_message_id.clone(),
        }
    }
}

/// The answer to [`delivery_claim`](crate::Deliveries::delivery_claim).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimOutcome {
    /// The caller holds the delivery now and should send the message.
    Claimed(DeliveryClaim),
    /// Another worker holds a live claim: do not send; it may be retried after `lease_until`.
    InProgress {
        /// When that worker's lease runs out.
        lease_until: SystemTime,
    },
    /// Already delivered: do not send again.
    Delivered {
        /// The id the message got at its target, e.g. a SunCo message id.
        target_message_id: String,
    },
    /// Failed for good: do not send.
    Failed {
        /// Why, as recorded by the worker that gave up.
        reason: String,
    },
}

/// What a store knows about one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// Where the message comes from.
    pub source: String,
    /// The message's id at its source.
    pub source_message_id: String,
    /// How many claims have been granted.
    pub attempts: u32,
    /// Where it stands.
    pub state: DeliveryState,
}

/// Where a delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryState {
    /// A worker holds (or held, if the lease has passed) a claim on it.
    Claimed {
        /// When the lease runs out.
        lease_until: SystemTime,
    },
    /// Delivered, with the id the message got at its target.
    Delivered {
        /// The target's message id.
        target_message_id: String,
    },
    /// Failed for good.
    Failed {
        /// Why.
        reason: String,
    },
}

/// The state names stored in the `deliveries.state` column.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) const STATE_CLAIMED: &str = "claimed";
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) const STATE_DELIVERED: &str = "delivered";
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) const STATE_FAILED: &str = "failed";

/// Milliseconds since the Unix epoch, the unit leases are stored in.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn to_millis(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Stored milliseconds since the Unix epoch as a time; negative values clamp to the epoch.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn from_millis(millis: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// Whole milliseconds of a lease, rounded up so that a 1 µs lease is still a lease.
pub(crate) fn lease_millis(lease: Duration) -> i64 {
    let millis = lease.as_micros().div_ceil(1000);
    i64::try_from(millis).unwrap_or(i64::MAX)
}

/// A `deliveries` row as the SQL backends select it (`attempts` as a 64-bit integer).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(feature = "postgres", derive(sqlx::FromRow))]
pub(crate) struct DeliveryRow {
    state: String,
    attempts: i64,
    lease_until_ms: i64,
    target_message_id: Option<String>,
    failure_reason: Option<String>,
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl DeliveryRow {
    /// The row `SELECT state, attempts, lease_until_ms, target_message_id, failure_reason`
    /// answers.
    #[cfg(feature = "sqlite")]
    pub(crate) fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            state: row.get(0)?,
            attempts: row.get(1)?,
            lease_until_ms: row.get(2)?,
            target_message_id: row.get(3)?,
            failure_reason: row.get(4)?,
        })
    }

    /// The delivery this row records, refusing a state this crate never writes.
    pub(crate) fn into_delivery(
        self,
        source: &str,
        source_message_id: &str,
    ) -> crate::Result<Delivery> {
        let state = match self.state.as_str() {
            STATE_CLAIMED => DeliveryState::Claimed {
                lease_until: from_millis(self.lease_until_ms),
            },
            STATE_DELIVERED => DeliveryState::Delivered {
                target_message_id: self.target_message_id.unwrap_or_default(),
            },
            STATE_FAILED => DeliveryState::Failed {
                reason: self.failure_reason.unwrap_or_default(),
            },
            other => {
                return Err(crate::Error::Decode(format!(
                    "unknown delivery state {other:?}"
                )));
            }
        };
        Ok(Delivery {
            source: source.to_owned(),
            source_message_id: source_message_id.to_owned(),
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            state,
        })
    }
}

impl Delivery {
    /// What a backend knows of one delivery.
    pub fn new(
        source: impl Into<String>,
        source_message_id: impl Into<String>,
        attempts: u32,
        state: DeliveryState,
    ) -> Self {
        Self {
            source: source.into(),
            source_message_id: source_message_id.into(),
            attempts,
            state,
        }
    }

    /// What a claim attempt on this delivery answers when it does not win.
    pub fn refusal(&self) -> ClaimOutcome {
        match &self.state {
            DeliveryState::Claimed { lease_until } => ClaimOutcome::InProgress {
                lease_until: *lease_until,
            },
            DeliveryState::Delivered { target_message_id } => ClaimOutcome::Delivered {
                target_message_id: target_message_id.clone(),
            },
            DeliveryState::Failed { reason } => ClaimOutcome::Failed {
                reason: reason.clone(),
            },
        }
    }
}
