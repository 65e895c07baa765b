//! The SQLite store's inbox: the `inbox` table, changed under `BEGIN IMMEDIATE`.

use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use super::SqliteBackend;
use crate::delivery::{from_millis, lease_millis, to_millis};
use crate::inbox::{FailedRow, InboxRow, ready_run, state, stats_from};
use crate::{FailedInboxEntry, InboxEntry, InboxMessage, InboxPush, InboxStats, Result};

/// `?1`..`?4` the message, `?5` now. Returns nothing for a duplicate.
const PUSH: &str = "INSERT INTO inbox \
        (source, ordering_key, dedup_key, payload, state, recorded_at_ms) \
    VALUES (?1, ?2, ?3, ?4, 'pending', ?5) \
    ON CONFLICT DO NOTHING RETURNING id";

/// The head of the next batch at `?1` (now): the oldest ready unfinished entry whose key has
/// no older unfinished entry and no live lease.
const NEXT_HEAD: &str = "SELECT e.id, e.ordering_key FROM inbox e \
    WHERE e.state IN ('pending', 'taken') AND e.ready_at_ms <= ?1 \
      AND NOT EXISTS (SELECT 1 FROM inbox o \
          WHERE o.ordering_key = e.ordering_key AND o.state IN ('pending', 'taken') \
            AND o.id <> e.id AND (o.id < e.id OR (o.state = 'taken' AND o.ready_at_ms > ?1))) \
    ORDER BY e.id LIMIT 1";

/// The unfinished entries after the head `?2` of key `?1`, oldest first, at most `?3`.
const FOLLOWERS: &str = "SELECT id, ready_at_ms FROM inbox \
    WHERE ordering_key = ?1 AND state IN ('pending', 'taken') AND id > ?2 \
    ORDER BY id LIMIT ?3";

const LEASE: &str = "UPDATE inbox SET state = 'taken', attempts = attempts + 1, \
    ready_at_ms = ?1, lease_token = ?2 WHERE id = ?3";

const LEASED: &str = "SELECT id, source, ordering_key, dedup_key, payload, attempts, last_error, \
        recorded_at_ms \
    FROM inbox WHERE lease_token = ?1 AND state = 'taken' ORDER BY id";

/// Ends or hands back a lease: `?1` state, `?2` ready time, `?3` error, `?4` finish time,
/// `?5` whether to keep the payload; matched by `?6` id and `?7` token.
const FINISH: &str = "UPDATE inbox SET state = ?1, ready_at_ms = ?2, last_error = ?3, \
        finished_at_ms = ?4, lease_token = NULL, \
        payload = CASE WHEN ?5 THEN payload ELSE x'' END \
    WHERE id = ?6 AND lease_token = ?7 AND state = 'taken'";

const LIST_FAILED: &str = "SELECT id, source, ordering_key, dedup_key, payload, attempts, \
    last_error, finished_at_ms FROM inbox WHERE state = 'failed' AND id > ?1 ORDER BY id LIMIT ?2";

/// A failed entry `?1` made pending again, ready at once, attempts afresh.
const REQUEUE: &str = "UPDATE inbox SET state = 'pending', ready_at_ms = 0, attempts = 0, \
    finished_at_ms = NULL, lease_token = NULL WHERE id = ?1 AND state = 'failed'";

impl SqliteBackend {
    pub(super) async fn push_inbox(&self, message: &InboxMessage) -> Result<InboxPush> {
        let message = message.clone();
        let now = to_millis(self.clock.now());
        let id: Option<i64> = self
            .write(move |connection| {
                Ok(connection
                    .prepare_cached(PUSH)?
                    .query_row(
                        params![
                            message.source,
                            message.ordering_key,
                            message.dedup_key,
                            message.payload,
                            now
                        ],
                        |row| row.get(0),
                    )
                    .optional()?)
            })
            .await?;
        Ok(id.map_or(InboxPush::Duplicate, |id| InboxPush::Recorded { id }))
    }

    pub(super) async fn take_inbox(
        &self,
        lease: Duration,
        max_batch: usize,
    ) -> Result<Vec<InboxEntry>> {
        let now = to_millis(self.clock.now());
        let lease_until_ms = now.saturating_add(lease_millis(lease));
        let token = Uuid::new_v4();
        let rows = self
            .write(move |connection| lease_next(connection, &token, lease_until_ms, now, max_batch))
            .await?;
        let lease_until = from_millis(lease_until_ms);
        Ok(rows
            .into_iter()
            .map(|row| row.into_entry(token, lease_until))
            .collect())
    }

    pub(super) async fn finish_inbox(
        &self,
        entry: &InboxEntry,
        new_state: &'static str,
        ready_at_ms: i64,
        error: Option<&str>,
    ) -> Result<()> {
        let now = to_millis(self.clock.now());
        let finished_at = (new_state != state::PENDING).then_some(now);
        let error = error.map(str::to_owned);
        let (id, token) = (entry.id, entry.token.hyphenated().to_string());
        let done = self
            .write(move |connection| {
                Ok(connection.prepare_cached(FINISH)?.execute(params![
                    new_state,
                    ready_at_ms,
                    error,
                    finished_at,
                    new_state != state::DONE,
                    id,
                    token
                ])?)
            })
            .await?;
        if done == 0 {
            return Err(entry.lost());
        }
        Ok(())
    }

    pub(super) async fn retry_inbox(
        &self,
        entry: &InboxEntry,
        delay: Duration,
        error: &str,
    ) -> Result<()> {
        let ready_at_ms = to_millis(self.clock.now()).saturating_add(lease_millis(delay));
        self.finish_inbox(entry, state::PENDING, ready_at_ms, Some(error))
            .await
    }

    pub(super) async fn inbox_counts(&self) -> Result<InboxStats> {
        let rows = self
            .read(|connection| {
                let mut counts = connection.prepare_cached(
                    "SELECT state, COUNT(*), MIN(recorded_at_ms) FROM inbox GROUP BY state",
                )?;
                let rows = counts
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                    .collect::<rusqlite::Result<Vec<(String, i64, Option<i64>)>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(stats_from(rows))
    }

    pub(super) async fn purge_inbox(&self, done_before: SystemTime) -> Result<u64> {
        let done_before = to_millis(done_before);
        let purged = self
            .write(move |connection| {
                Ok(connection
                    .prepare_cached(
                        "DELETE FROM inbox WHERE state = 'done' AND finished_at_ms < ?1",
                    )?
                    .execute(params![done_before])?)
            })
            .await?;
        Ok(u64::try_from(purged).unwrap_or(u64::MAX))
    }

    pub(super) async fn list_failed(
        &self,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<FailedInboxEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .read(move |connection| {
                let mut failed = connection.prepare_cached(LIST_FAILED)?;
                let rows = failed
                    .query_map(params![after_id, limit], failed_row)?
                    .collect::<rusqlite::Result<Vec<FailedRow>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(rows.into_iter().map(FailedInboxEntry::from).collect())
    }

    pub(super) async fn requeue(&self, entry_id: i64) -> Result<bool> {
        self.write(move |connection| {
            Ok(connection
                .prepare_cached(REQUEUE)?
                .execute(params![entry_id])?
                > 0)
        })
        .await
    }
}

/// Leases the next batch (see [`Inbox::inbox_take`](crate::Inbox::inbox_take)) under
/// `token`, in the caller's transaction.
fn lease_next(
    connection: &Connection,
    token: &Uuid,
    lease_until_ms: i64,
    now: i64,
    max_batch: usize,
) -> Result<Vec<InboxRow>> {
    let head: Option<(i64, String)> = connection
        .prepare_cached(NEXT_HEAD)?
        .query_row(params![now], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((head_id, ordering_key)) = head else {
        return Ok(Vec::new());
    };
    let mut ids = vec![head_id];
    if max_batch > 1 {
        let mut followers = connection.prepare_cached(FOLLOWERS)?;
        let followers = followers
            .query_map(
                params![
                    ordering_key,
                    head_id,
                    i64::try_from(max_batch - 1).unwrap_or(i64::MAX)
                ],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?
            .collect::<rusqlite::Result<Vec<(i64, i64)>>>()?;
        ids.extend(ready_run(followers, now));
    }
    let token_text = token.hyphenated().to_string();
    let mut lease = connection.prepare_cached(LEASE)?;
    for id in &ids {
        lease.execute(params![lease_until_ms, token_text, id])?;
    }
    let mut leased = connection.prepare_cached(LEASED)?;
    let rows = leased
        .query_map(params![token_text], inbox_row)?
        .collect::<rusqlite::Result<Vec<InboxRow>>>()?;
    Ok(rows)
}

/// A row of [`LEASED`].
fn inbox_row(row: &Row<'_>) -> rusqlite::Result<InboxRow> {
    Ok(InboxRow {
        id: row.get(0)?,
        source: row.get(1)?,
        ordering_key: row.get(2)?,
        dedup_key: row.get(3)?,
        payload: row.get(4)?,
        attempts: row.get(5)?,
        last_error: row.get(6)?,
        recorded_at_ms: row.get(7)?,
    })
}

/// A row of [`LIST_FAILED`].
fn failed_row(row: &Row<'_>) -> rusqlite::Result<FailedRow> {
    Ok(FailedRow {
        id: row.get(0)?,
        source: row.get(1)?,
        ordering_key: row.get(2)?,
        dedup_key: row.get(3)?,
        payload: row.get(4)?,
        attempts: row.get(5)?,
        last_error: row.get(6)?,
        finished_at_ms: row.get(7)?,
    })
}
