//! The SQLite store's inbox: the `inbox` table, changed under `BEGIN IMMEDIATE`.

use std::time::{Duration, SystemTime};

use sqlx::sqlite::SqliteConnection;
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
        let push = (message.clone(), to_millis(self.clock.now()));
        let id: Option<i64> = self
            .write(push, |(message, now), connection| {
                Box::pin(async move {
                    Ok(sqlx::query_scalar(PUSH)
                        .bind(&message.source)
                        .bind(&message.ordering_key)
                        .bind(message.dedup_key.as_deref())
                        .bind(message.payload.as_slice())
                        .bind(*now)
                        .fetch_optional(connection)
                        .await?)
                })
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
        let take = (token, lease_until_ms, now, max_batch);
        let rows = self
            .write(
                take,
                |(token, lease_until_ms, now, max_batch), connection| {
                    Box::pin(lease_next(
                        connection,
                        token,
                        *lease_until_ms,
                        *now,
                        *max_batch,
                    ))
                },
            )
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
        new_state: &str,
        ready_at_ms: i64,
        error: Option<&str>,
    ) -> Result<()> {
        let now = to_millis(self.clock.now());
        let finished = new_state != state::PENDING;
        let finish = (
            new_state.to_owned(),
            ready_at_ms,
            error.map(str::to_owned),
            finished.then_some(now),
            entry.id,
            entry.token,
        );
        let lost = entry.lost();
        let done = self
            .write(
                finish,
                |(new_state, ready_at_ms, error, finished_at, id, token), connection| {
                    Box::pin(async move {
                        let done = sqlx::query(FINISH)
                            .bind(new_state)
                            .bind(*ready_at_ms)
                            .bind(error.as_deref())
                            .bind(*finished_at)
                            .bind(new_state != state::DONE)
                            .bind(*id)
                            .bind(token.hyphenated().to_string())
                            .execute(connection)
                            .await?;
                        Ok(done.rows_affected())
                    })
                },
            )
            .await?;
        if done == 0 {
            return Err(lost);
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
        let mut reader = self.reader().await?;
        let rows =
            sqlx::query_as("SELECT state, COUNT(*), MIN(recorded_at_ms) FROM inbox GROUP BY state")
                .fetch_all(&mut *reader)
                .await;
        let rows: Vec<(String, i64, Option<i64>)> = reader.settle(rows)?;
        Ok(stats_from(rows))
    }

    pub(super) async fn purge_inbox(&self, done_before: SystemTime) -> Result<u64> {
        self.write(to_millis(done_before), |done_before, connection| {
            Box::pin(async move {
                let purged =
                    sqlx::query("DELETE FROM inbox WHERE state = 'done' AND finished_at_ms < ?1")
                        .bind(*done_before)
                        .execute(connection)
                        .await?;
                Ok(purged.rows_affected())
            })
        })
        .await
    }

    pub(super) async fn list_failed(
        &self,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<FailedInboxEntry>> {
        let mut reader = self.reader().await?;
        let rows = sqlx::query_as(LIST_FAILED)
            .bind(after_id)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *reader)
            .await;
        let rows: Vec<FailedRow> = reader.settle(rows)?;
        Ok(rows.into_iter().map(FailedInboxEntry::from).collect())
    }

    pub(super) async fn requeue(&self, entry_id: i64) -> Result<bool> {
        self.write(entry_id, |entry_id, connection| {
            Box::pin(async move {
                let done = sqlx::query(REQUEUE)
                    .bind(*entry_id)
                    .execute(connection)
                    .await?;
                Ok(done.rows_affected() > 0)
            })
        })
        .await
    }
}

/// Leases the next batch (see [`Inbox::inbox_take`](crate::Inbox::inbox_take)) under
/// `token`, in the caller's transaction.
async fn lease_next(
    connection: &mut SqliteConnection,
    token: &Uuid,
    lease_until_ms: i64,
    now: i64,
    max_batch: usize,
) -> Result<Vec<InboxRow>> {
    let head: Option<(i64, String)> = sqlx::query_as(NEXT_HEAD)
        .bind(now)
        .fetch_optional(&mut *connection)
        .await?;
    let Some((head_id, ordering_key)) = head else {
        return Ok(Vec::new());
    };
    let mut ids = vec![head_id];
    if max_batch > 1 {
        let followers: Vec<(i64, i64)> = sqlx::query_as(FOLLOWERS)
            .bind(&ordering_key)
            .bind(head_id)
            .bind(i64::try_from(max_batch - 1).unwrap_or(i64::MAX))
            .fetch_all(&mut *connection)
            .await?;
        ids.extend(ready_run(followers, now));
    }
    let token_text = token.hyphenated().to_string();
    for id in &ids {
        sqlx::query(LEASE)
            .bind(lease_until_ms)
            .bind(&token_text)
            .bind(id)
            .execute(&mut *connection)
            .await?;
    }
    Ok(sqlx::query_as(LEASED)
        .bind(&token_text)
        .fetch_all(connection)
        .await?)
}
