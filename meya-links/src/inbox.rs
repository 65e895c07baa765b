//! The inbox: webhooks recorded durably before they are acknowledged, then handed to workers.
//!
//! A web handler verifies a webhook, [`push`](crate::Inbox::inbox_push)es it and answers
//! 200; from then on the webhook survives a crash. Workers
//! [`take`](crate::Inbox::inbox_take) entries with a lease, process them, and
//! [`complete`](crate::Inbox::inbox_complete), [`retry`](crate::Inbox::inbox_retry) or
//! [`fail`](crate::Inbox::inbox_fail) them. An entry whose worker died is taken again
//! once its lease runs out.
//!
//! Two keys shape the queue:
//! - the *dedup key* (e.g. a SunCo event id): a second push with the same source and dedup key
//!   is refused as a [`InboxPush::Duplicate`], for as long as the first entry is kept;
//! - the *ordering key* (e.g. one customer's conversation): entries with the same ordering key
//!   are handed out one batch at a time, oldest first, so one customer's messages keep their
//!   order even with many workers; entries with different keys run in parallel.

use std::time::{Duration, SystemTime};

use uuid::Uuid;

/// A webhook to record: where it came from, how it is ordered and deduplicated, and its body.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxMessage {
    /// Where it came from, named like an integration (e.g. `zendesk.support`).
    pub source: String,
    /// Entries with the same ordering key are processed one batch at a time, in push order.
    pub ordering_key: String,
    /// A key that identifies a repeat of the same webhook (e.g. the sender's event id); `None`
    /// records every push.
    pub dedup_key: Option<String>,
    /// The body, as the worker will need it.
    pub payload: Vec<u8>,
}

impl std::fmt::Debug for InboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Payloads hold customer messages: show their size only.
        f.debug_struct("InboxMessage")
            .field("source", &self.source)
            .field("ordering_key", &self.ordering_key)
            .field("dedup_key", &self.dedup_key)
            .field("payload_bytes", &self.payload.len())
            .finish()
    }
}

impl InboxMessage {
    /// A message with no dedup key.
    pub fn new(
        source: impl Into<String>,
        ordering_key: impl Into<String>,
        payload: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            source: source.into(),
            ordering_key: ordering_key.into(),
            dedup_key: None,
            payload: payload.into(),
        }
    }

    /// Sets the dedup key: a later push with the same source and key is a duplicate.
    pub fn dedup_key(mut self, dedup_key: impl Into<String>) -> Self {
        self.dedup_key = Some(dedup_key.into());
        self
    }
}

/// The answer to [`inbox_push`](crate::Inbox::inbox_push).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboxPush {
    /// Recorded durably, with its position in the inbox.
    Recorded {
        /// The entry's id: entries are handed out in id order within an ordering key.
        id: i64,
    },
    /// An entry with the same source and dedup key is already recorded: nothing was stored.
    Duplicate,
}

/// An entry taken from the inbox, leased to the caller until [`lease_until`](Self::lease_until).
///
/// Hand it back with [`inbox_complete`](crate::Inbox::inbox_complete),
/// [`inbox_retry`](crate::Inbox::inbox_retry) or
/// [`inbox_fail`](crate::Inbox::inbox_fail).
#[derive(Clone, PartialEq, Eq)]
pub struct InboxEntry {
    pub(crate) id: i64,
    pub(crate) token: Uuid,
    pub(crate) source: String,
    pub(crate) ordering_key: String,
    pub(crate) dedup_key: Option<String>,
    pub(crate) payload: Vec<u8>,
    pub(crate) attempt: u32,
    pub(crate) lease_until: SystemTime,
    pub(crate) last_error: Option<String>,
    pub(crate) recorded_at: Option<SystemTime>,
}

impl std::fmt::Debug for InboxEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxEntry")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("ordering_key", &self.ordering_key)
            .field("dedup_key", &self.dedup_key)
            .field("payload_bytes", &self.payload.len())
            .field("attempt", &self.attempt)
            .field("lease_until", &self.lease_until)
            .finish_non_exhaustive()
    }
}

impl InboxEntry {
    /// An entry a backend leases: `message` as it was pushed, `token` what the backend keeps
    /// to recognise the lease's holder, `attempt` counting this take.
    pub fn leased(
        id: i64,
        message: InboxMessage,
        token: Uuid,
        attempt: u32,
        lease_until: SystemTime,
    ) -> Self {
        Self {
            id,
            token,
            source: message.source,
            ordering_key: message.ordering_key,
            dedup_key: message.dedup_key,
            payload: message.payload,
            attempt,
            lease_until,
            last_error: None,
            recorded_at: None,
        }
    }

    /// Adds the error an earlier attempt recorded.
    pub fn with_last_error(mut self, last_error: Option<String>) -> Self {
        self.last_error = last_error;
        self
    }

    /// Adds when the entry was pushed (the webhook's arrival), if the backend knows.
    pub fn with_recorded_at(mut self, recorded_at: Option<SystemTime>) -> Self {
        self.recorded_at = recorded_at;
        self
    }

    /// When the entry was pushed, if the backend says: how long a webhook waited is
    /// measured from here.
    pub fn recorded_at(&self) -> Option<SystemTime> {
        self.recorded_at
    }

    /// The token the backend recognises this lease's holder by.
    pub fn token(&self) -> Uuid {
        self.token
    }

    /// The entry's id (its push order).
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Where the webhook came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The entry's ordering key.
    pub fn ordering_key(&self) -> &str {
        &self.ordering_key
    }

    /// The entry's dedup key, if it has one.
    pub fn dedup_key(&self) -> Option<&str> {
        self.dedup_key.as_deref()
    }

    /// The recorded body.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// 1 the first time the entry is taken; more after retries and expired leases.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// When the lease runs out and another worker may take the entry.
    pub fn lease_until(&self) -> SystemTime {
        self.lease_until
    }

    /// The error the previous attempt recorded with [`inbox_retry`](crate::Inbox::inbox_retry).
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// The error for a store that finds this entry no longer leased to the caller.
    pub(crate) fn lost(&self) -> crate::Error {
        crate::Error::LeaseLost { entry_id: self.id }
    }
}

/// An entry given up on, as [`inbox_failed`](crate::Inbox::inbox_failed) lists it: the
/// webhook as recorded and why it failed, for someone to look at and perhaps
/// [`requeue`](crate::Inbox::inbox_requeue).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailedInboxEntry {
    /// The entry's id.
    pub id: i64,
    /// Where the webhook came from.
    pub source: String,
    /// The entry's ordering key.
    pub ordering_key: String,
    /// The entry's dedup key, if it has one.
    pub dedup_key: Option<String>,
    /// The recorded body.
    pub payload: Vec<u8>,
    /// How many times it was taken before it was given up on.
    pub attempts: u32,
    /// The reason given to [`inbox_fail`](crate::Inbox::inbox_fail).
    pub reason: String,
    /// When it was given up on.
    pub failed_at: SystemTime,
}

impl FailedInboxEntry {
    /// A failed entry as a backend keeps it: `message` as it was pushed.
    pub fn new(
        id: i64,
        message: InboxMessage,
        attempts: u32,
        reason: impl Into<String>,
        failed_at: SystemTime,
    ) -> Self {
        Self {
            id,
            source: message.source,
            ordering_key: message.ordering_key,
            dedup_key: message.dedup_key,
            payload: message.payload,
            attempts,
            reason: reason.into(),
            failed_at,
        }
    }
}

impl std::fmt::Debug for FailedInboxEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailedInboxEntry")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("ordering_key", &self.ordering_key)
            .field("dedup_key", &self.dedup_key)
            .field("payload_bytes", &self.payload.len())
            .field("attempts", &self.attempts)
            .field("reason", &self.reason)
            .field("failed_at", &self.failed_at)
            .finish()
    }
}

/// How many entries the inbox holds, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxStats {
    /// Waiting to be taken (some perhaps not before a retry delay).
    pub pending: u64,
    /// Taken by a worker (including leases that ran out and will be taken again).
    pub in_flight: u64,
    /// Processed; kept (without payload) to recognise duplicates until purged.
    pub done: u64,
    /// Given up on; kept with their payload and reason for someone to look at.
    pub failed: u64,
    /// When the oldest unfinished (pending or in flight) entry was recorded: how far the
    /// backlog reaches back. `None` when nothing is unfinished.
    pub oldest_unfinished: Option<SystemTime>,
}

impl InboxStats {
    /// Counts, by state.
    pub fn new(pending: u64, in_flight: u64, done: u64, failed: u64) -> Self {
        Self {
            pending,
            in_flight,
            done,
            failed,
            oldest_unfinished: None,
        }
    }

    /// Sets [`oldest_unfinished`](Self::oldest_unfinished).
    #[must_use]
    pub fn with_oldest_unfinished(mut self, recorded_at: Option<SystemTime>) -> Self {
        self.oldest_unfinished = recorded_at;
        self
    }

    /// Entries not yet finished: pending plus in flight.
    pub fn unfinished(&self) -> u64 {
        self.pending + self.in_flight
    }
}

/// Longest retry delay [`inbox_retry`](crate::Inbox::inbox_retry) accepts.
pub(crate) const MAX_RETRY_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The state names stored in the `inbox.state` column.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) mod state {
    pub(crate) const PENDING: &str = "pending";
    pub(crate) const TAKEN: &str = "taken";
    pub(crate) const DONE: &str = "done";
    pub(crate) const FAILED: &str = "failed";
}

/// An `inbox` row as the SQL backends select it when taking entries.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(feature = "postgres", derive(sqlx::FromRow))]
pub(crate) struct InboxRow {
    pub(crate) id: i64,
    pub(crate) source: String,
    pub(crate) ordering_key: String,
    pub(crate) dedup_key: Option<String>,
    pub(crate) payload: Vec<u8>,
    pub(crate) attempts: i64,
    pub(crate) last_error: Option<String>,
    pub(crate) recorded_at_ms: Option<i64>,
}

/// A failed `inbox` row as the SQL backends list it.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(feature = "postgres", derive(sqlx::FromRow))]
pub(crate) struct FailedRow {
    pub(crate) id: i64,
    pub(crate) source: String,
    pub(crate) ordering_key: String,
    pub(crate) dedup_key: Option<String>,
    pub(crate) payload: Vec<u8>,
    pub(crate) attempts: i64,
    pub(crate) last_error: Option<String>,
    pub(crate) finished_at_ms: Option<i64>,
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<FailedRow> for FailedInboxEntry {
    fn from(row: FailedRow) -> Self {
        Self {
            id: row.id,
            source: row.source,
            ordering_key: row.ordering_key,
            dedup_key: row.dedup_key,
            payload: row.payload,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            reason: row.last_error.unwrap_or_default(),
            failed_at: crate::delivery::from_millis(row.finished_at_ms.unwrap_or(0)),
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl InboxRow {
    pub(crate) fn into_entry(self, token: Uuid, lease_until: SystemTime) -> InboxEntry {
        InboxEntry {
            id: self.id,
            token,
            source: self.source,
            ordering_key: self.ordering_key,
            dedup_key: self.dedup_key,
            payload: self.payload,
            attempt: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            lease_until,
            last_error: self.last_error,
            recorded_at: self.recorded_at_ms.map(crate::delivery::from_millis),
        }
    }
}

/// The ids of a batch head's followers (`(id, ready_at_ms)`, oldest first) that join its
/// batch: those up to the first one not ready at `now_ms`, so the key's order holds.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn ready_run(followers: Vec<(i64, i64)>, now_ms: i64) -> impl Iterator<Item = i64> {
    followers
        .into_iter()
        .take_while(move |(_, ready_at_ms)| *ready_at_ms <= now_ms)
        .map(|(id, _)| id)
}

/// Counts per state, and when the oldest unfinished entry was recorded, from the SQL
/// backends' one `GROUP BY state` row per state (state, count, oldest recorded ms).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn stats_from(rows: Vec<(String, i64, Option<i64>)>) -> InboxStats {
    let mut stats = InboxStats::default();
    for (name, count, oldest_ms) in rows {
        let count = u64::try_from(count).unwrap_or(0);
        match name.as_str() {
            state::PENDING => stats.pending = count,
            state::TAKEN => stats.in_flight = count,
            state::DONE => stats.done = count,
            state::FAILED => stats.failed = count,
            _ => {}
        }
        if let (state::PENDING | state::TAKEN, Some(oldest_ms)) = (name.as_str(), oldest_ms) {
            let recorded = crate::delivery::from_millis(oldest_ms);
            stats.oldest_unfinished = Some(
                stats
                    .oldest_unfinished
                    .map_or(recorded, |known| known.min(recorded)),
            );
        }
    }
    stats
}
