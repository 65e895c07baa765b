//! The PostgreSQL store's inbox: the `inbox` table, with takes serialised by an advisory lock.

use std::time::{Duration, SystemTime};

use uuid::Uuid;

use super::PostgresBackend;
use crate::delivery::{from_millis, lease_millis};
use crate::inbox::{FailedRow, InboxRow, ready_run, state, stats_from};
use crate::{FailedInboxEntry, InboxEntry, InboxMessage, InboxPush, InboxStats, Result};

/// Takes from every replica queue on this lock for the length of one short transaction:
/// deciding which key's head is free and leasing it must not interleave, or two replicas could
/// each lease one entry of the same key. The value is "meyainbx" in ASCII.
const TAKE_LOCK: i64 = 0x6d65_7961_696e_6278;

/// `$1`..`$4` the message. Returns nothing for a duplicate.
const PUSH: &str = "INSERT INTO inbox (source, ordering_key, dedup_key, payload, state) \
    VALUES ($1, $2, $3, $4, 'pending') \
    ON CONFLICT (source, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING id";

/// The head of the next batch: the oldest ready unfinished entry whose key has no older
/// unfinished entry and no live lease; at `$1` (or the database's clock).
const NEXT_HEAD: &str = concat!(
    "WITH now AS (SELECT ",
    now_ms!("$1"),
    " AS ms) \
    SELECT e.id, e.ordering_key, now.ms FROM inbox e, now \
    WHERE e.state IN ('pending', 'taken') AND e.ready_at_ms <= now.ms \
      AND NOT EXISTS (SELECT 1 FROM inbox o \
          WHERE o.ordering_key = e.ordering_key AND o.state IN ('pending', 'taken') \
            AND o.id <> e.id AND (o.id < e.id OR (o.state = 'taken' AND o.ready_at_ms > now.ms))) \
    ORDER BY e.id LIMIT 1"
);

/// The unfinished entries after the head `$2` of key `$1`, oldest first, at most `$3`.
const FOLLOWERS: &str = "SELECT id, ready_at_ms FROM inbox \
    WHERE ordering_key = $1 AND state IN ('pending', 'taken') AND id > $2 \
    ORDER BY id LIMIT $3";

/// Leases entries `$1` until `$2` under token `$3`.
const LEASE: &str = "UPDATE inbox SET state = 'taken', attempts = attempts + 1, \
        ready_at_ms = $2, lease_token = $3 \
    WHERE id = ANY($1) \
    RETURNING id, source, ordering_key, dedup_key, payload, attempts::bigint AS attempts, \
        last_error, (EXTRACT(EPOCH FROM recorded_at) * 1000)::bigint AS recorded_at_ms";

/// Ends or hands back a lease: `$1` state, `$2` delay in ms from now, `$3` error, `$4` whether
/// to keep the payload; matched by `$5` id and `$6` token; `$7` now (or NULL).
const FINISH: &str = concat!(
    "UPDATE inbox SET state = $1, ready_at_ms = ",
    now_ms!("$7"),
    " + $2, last_error = $3, lease_token = NULL, \
        finished_at = CASE WHEN $1 = 'pending' THEN NULL \
            ELSE COALESCE(to_timestamp($7::bigint / 1000.0), now()) END, \
        payload = CASE WHEN $4 THEN payload ELSE ''::bytea END \
    WHERE id = $5 AND lease_token = $6 AND state = 'taken'"
);

const LIST_FAILED: &str = "SELECT id, source, ordering_key, dedup_key, payload, \
        attempts::bigint AS attempts, last_error, \
        (extract(epoch from finished_at) * 1000)::bigint AS finished_at_ms \
    FROM inbox WHERE state = 'failed' AND id > $1 ORDER BY id LIMIT $2";

/// A failed entry `$1` made pending again, ready at once, attempts afresh.
const REQUEUE: &str = "UPDATE inbox SET state = 'pending', ready_at_ms = 0, attempts = 0, \
    finished_at = NULL, lease_token = NULL WHERE id = $1 AND state = 'failed'";

impl PostgresBackend {
    pub(super) async fn push_inbox(&self, message: &InboxMessage) -> Result<InboxPush> {
        let id: Option<i64> = sqlx::query_scalar(PUSH)
            .bind(&message.source)
            .bind(&message.ordering_key)
            .bind(message.dedup_key.as_deref())
            .bind(message.payload.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        Ok(id.map_or(InboxPush::Duplicate, |id| InboxPush::Recorded { id }))
    }

    pub(super) async fn take_inbox(
        &self,
        lease: Duration,
        max_batch: usize,
    ) -> Result<Vec<InboxEntry>> {
        let token = Uuid::new_v4();
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(TAKE_LOCK)
            .execute(&mut *tx)
            .await?;
        let head: Option<(i64, String, i64)> = sqlx::query_as(NEXT_HEAD)
            .bind(self.now_ms())
            .fetch_optional(&mut *tx)
            .await?;
        let Some((head_id, ordering_key, now_ms)) = head else {
            tx.commit().await?;
            return Ok(Vec::new());
        };
        let mut ids = vec![head_id];
        if max_batch > 1 {
            let followers: Vec<(i64, i64)> = sqlx::query_as(FOLLOWERS)
                .bind(&ordering_key)
                .bind(head_id)
                .bind(i64::try_from(max_batch - 1).unwrap_or(i64::MAX))
                .fetch_all(&mut *tx)
                .await?;
            ids.extend(ready_run(followers, now_ms));
        }
        let lease_until_ms = now_ms.saturating_add(lease_millis(lease));
        let mut rows: Vec<InboxRow> = sqlx::query_as(LEASE)
            .bind(&ids)
            .bind(lease_until_ms)
            .bind(token)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.sort_by_key(|row| row.id);
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
        delay: Duration,
        error: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(FINISH)
            .bind(new_state)
            .bind(if new_state == state::PENDING {
                lease_millis(delay)
            } else {
                0
            })
            .bind(error)
            .bind(new_state != state::DONE)
            .bind(entry.id)
            .bind(entry.token)
            .bind(self.now_ms())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(entry.lost());
        }
        Ok(())
    }

    pub(super) async fn inbox_counts(&self) -> Result<InboxStats> {
        let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT state, COUNT(*), (EXTRACT(EPOCH FROM MIN(recorded_at)) * 1000)::bigint \
             FROM inbox GROUP BY state",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(stats_from(rows))
    }

    pub(super) async fn purge_inbox(&self, done_before: SystemTime) -> Result<u64> {
        let before = done_before
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        let purged = sqlx::query(
            "DELETE FROM inbox WHERE state = 'done' AND finished_at < to_timestamp($1)",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        Ok(purged.rows_affected())
    }

    pub(super) async fn list_failed(
        &self,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<FailedInboxEntry>> {
        let rows: Vec<FailedRow> = sqlx::query_as(LIST_FAILED)
            .bind(after_id)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(FailedInboxEntry::from).collect())
    }

    pub(super) async fn requeue(&self, entry_id: i64) -> Result<bool> {
        let done = sqlx::query(REQUEUE)
            .bind(entry_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
