//! The PostgreSQL store's inbox: the `inbox` table, with each take holding its ordering key's
//! advisory lock.

use std::time::{Duration, SystemTime};

use uuid::Uuid;

use super::PostgresBackend;
use crate::delivery::{from_millis, lease_millis};
use crate::inbox::{FailedRow, InboxRow, ready_run, state, stats_from};
use crate::{FailedInboxEntry, InboxEntry, InboxMessage, InboxPush, InboxStats, Result};

/// The class of the per-key advisory locks a take holds for its short transaction (the key
/// itself is the lock's second half, hashed): deciding that a key's head is free and leasing
/// it must not interleave with another take of the same key, or two replicas could each lease
/// one entry of it. Takes of different keys do not wait for each other. "meya" in ASCII.
const KEY_LOCK_CLASS: i32 = 0x6d65_7961;

/// How many heads a take looks at: it leases the first whose key no other take holds.
const CANDIDATES: i64 = 32;

/// How many times a take looks again after its key's head was leased by another take between
/// the look and the lock.
const ATTEMPTS: usize = 4;
/// `$1`..`$4` the message. Returns nothing for a duplicate.
const PUSH: &str = "INSERT INTO inbox (source, ordering_key, dedup_key, payload, state) \
    VALUES ($1, $2, $3, $4, 'pending') \
    ON CONFLICT (source, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING id";

/// The oldest of the first `$2` heads (ready unfinished entries whose key has no older
/// unfinished entry and no live lease) whose key this transaction could lock, at `$1` (or the
/// database's clock). The heads come out oldest first and the lock is tried on one at a time,
/// so a take locks one key, not all of them.
const LOCK_NEXT_HEAD: &str = concat!(
    "WITH now AS (SELECT ",
    now_ms!("$1"),
    " AS ms), \
    heads AS (SELECT e.id, e.ordering_key FROM inbox e, now \
        WHERE e.state IN ('pending', 'taken') AND e.ready_at_ms <= now.ms \
          AND NOT EXISTS (SELECT 1 FROM inbox o \
              WHERE o.ordering_key = e.ordering_key AND o.state IN ('pending', 'taken') \
                AND o.id <> e.id \
                AND (o.id < e.id OR (o.state = 'taken' AND o.ready_at_ms > now.ms))) \
        ORDER BY e.id LIMIT $2) \
    SELECT heads.ordering_key, now.ms FROM heads, now \
    WHERE pg_try_advisory_xact_lock($3, hashtext(heads.ordering_key)) LIMIT 1"
);

/// Key `$1`'s unfinished entries, oldest first, at most `$3`, as they are now, with whether
/// any of the key's entries is leased at `$2`.
const KEY_RUN: &str = "SELECT id, ready_at_ms, EXISTS (SELECT 1 FROM inbox o \
        WHERE o.ordering_key = $1 AND o.state = 'taken' AND o.ready_at_ms > $2) AS leased \
    FROM inbox WHERE ordering_key = $1 AND state IN ('pending', 'taken') \
    ORDER BY id LIMIT $3";

/// Leases entries `$1` until `$2` under token `$3`, those still ready at `$4`.
const LEASE: &str = "UPDATE inbox SET state = 'taken', attempts = attempts + 1, \
        ready_at_ms = $2, lease_token = $3 \
    WHERE id = ANY($1) AND state IN ('pending', 'taken') AND ready_at_ms <= $4 \
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
        for _ in 0..ATTEMPTS {
            let head: Option<(String, i64)> = sqlx::query_as(LOCK_NEXT_HEAD)
                .bind(self.now_ms())
                .bind(CANDIDATES)
                .bind(KEY_LOCK_CLASS)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((ordering_key, now_ms)) = head else {
                break;
            };
            // The key is this take's until it commits. Its entries are read again, as they
            // are now: another take may have leased its head after the heads were read.
            let run: Vec<(i64, i64, bool)> = sqlx::query_as(KEY_RUN)
                .bind(&ordering_key)
                .bind(now_ms)
                .bind(i64::try_from(max_batch).unwrap_or(i64::MAX))
                .fetch_all(&mut *tx)
                .await?;
            let Some(&(head_id, head_ready_at_ms, leased)) = run.first() else {
                continue;
            };
            if leased || head_ready_at_ms > now_ms {
                continue;
            }
            let followers = run[1..]
                .iter()
                .map(|&(id, ready_at_ms, _)| (id, ready_at_ms));
            let mut ids = vec![head_id];
            ids.extend(ready_run(followers.collect(), now_ms));
            let lease_until_ms = now_ms.saturating_add(lease_millis(lease));
            let mut rows: Vec<InboxRow> = sqlx::query_as(LEASE)
                .bind(&ids)
                .bind(lease_until_ms)
                .bind(token)
                .bind(now_ms)
                .fetch_all(&mut *tx)
                .await?;
            if !rows.iter().any(|row| row.id == head_id) {
                // Leased meanwhile by a take that did not lock the key (an older version's,
                // during a rolling deploy): followers without their head would break order.
                tx.rollback().await?;
                return Ok(Vec::new());
            }
            tx.commit().await?;
            rows.sort_by_key(|row| row.id);
            let lease_until = from_millis(lease_until_ms);
            return Ok(rows
                .into_iter()
                .map(|row| row.into_entry(token, lease_until))
                .collect());
        }
        tx.commit().await?;
        Ok(Vec::new())
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
