//! [`PostgresStore`]: for services with several replicas sharing one database.

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{FromRow, Row};
use uuid::Uuid;

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::delivery::{
    DeliveryRow, STATE_CLAIMED, STATE_DELIVERED, STATE_FAILED, from_millis, lease_millis, to_millis,
};
use crate::inbox::state as inbox_state;
use crate::sql::LinkKind;
use crate::{
    Checked, ClaimOutcome, Clock, Deliveries, Delivery, DeliveryClaim, Error, FailedInboxEntry,
    Inbox, InboxEntry, InboxMessage, InboxPush, InboxStats, Links, PRIMARY_USER_ID, Result,
    ThreadChanges, ThreadId, UserId,
};

/// A link store in PostgreSQL, safe to share between any number of processes. The
/// [`PostgresBackend`], [`Checked`].
///
/// Races are settled by the database: `user_identify` and `delivery_claim` are single upserts
/// guarded by unique keys, and re-linking locks the user or thread it links to. Lease times
/// are read from the database's clock (unless [`PostgresOptions::clock`] names another), so
/// replicas whose clocks drift still agree on when a claim expires.
///
/// ```no_run
/// # async fn demo() -> meya_links::Result<()> {
/// use meya_links::{Links, PostgresStore};
///
/// let store = PostgresStore::connect("postgres://bridge@db.internal/bridge").await?;
/// let thread = store.thread_create().await?;
/// # Ok(()) }
/// ```
pub type PostgresStore = Checked<PostgresBackend>;

/// The PostgreSQL backend, unchecked: use it as a [`PostgresStore`].
#[derive(Clone)]
pub struct PostgresBackend {
    pool: PgPool,
    clock: Option<SharedClock>,
}

/// Settings for [`PostgresStore::from_pool_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// Apply pending migrations when the store is made (true), or refuse a schema that is not
    /// up to date (false: migrations are a deploy step, [`PostgresBackend::migrate`]).
    /// Default: true.
    pub migrate: bool,
    /// Where leases and retry delays read the time: the database's clock when `None` (the
    /// default, which replicas agree on), or this one (tests move a
    /// [`ManualClock`](crate::ManualClock)).
    pub clock: Option<Arc<dyn Clock>>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            migrate: true,
            clock: None,
        }
    }
}

impl PostgresOptions {
    /// Sets [`migrate`](Self::migrate).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// Sets [`clock`](Self::clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }
}

impl fmt::Debug for PostgresBackend {
    // The pool's options hold the password: show only its shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Now in milliseconds since the Unix epoch: the statement's parameter `$n` when the store
/// has a clock of its own, else the database's clock.
macro_rules! now_ms {
    ($n:literal) => {
        concat!(
            "COALESCE(",
            $n,
            "::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint)"
        )
    };
}

// After `now_ms!`, which its statements use.
mod inbox;
mod steps;

/// The statements of one kind of link (users or threads); both kinds share the code below.
struct LinkSql {
    kind: LinkKind,
    lookup: &'static str,
    reverse_lookup: &'static str,
    /// Locks the internal id's row so that concurrent links to it take turns.
    lock_owner: &'static str,
    /// Drops the internal id's other link in the integration (rule 2).
    delete_previous: &'static str,
    /// Inserts the link or re-points the outside id (rule 1).
    upsert: &'static str,
}

const USER_LINKS: LinkSql = LinkSql {
    kind: LinkKind::User,
    lookup: "SELECT user_id FROM user_links WHERE integration = $1 AND integration_user_id = $2",
    reverse_lookup: "SELECT integration_user_id FROM user_links \
                     WHERE user_id = $1 AND integration = $2",
    lock_owner: "SELECT id FROM users WHERE id = $1 FOR UPDATE",
    delete_previous: "DELETE FROM user_links \
                      WHERE user_id = $1 AND integration = $2 AND integration_user_id <> $3",
    upsert: "INSERT INTO user_links (user_id, integration, integration_user_id) \
             VALUES ($1, $2, $3) \
             ON CONFLICT (integration, integration_user_id) DO UPDATE SET user_id = EXCLUDED.user_id",
};

const THREAD_LINKS: LinkSql = LinkSql {
    kind: LinkKind::Thread,
    lookup: "SELECT thread_id FROM thread_links \
             WHERE integration = $1 AND integration_thread_id = $2",
    reverse_lookup: "SELECT integration_thread_id FROM thread_links \
                     WHERE thread_id = $1 AND integration = $2",
    lock_owner: "SELECT id FROM threads WHERE id = $1 FOR UPDATE",
    delete_previous: "DELETE FROM thread_links \
                      WHERE thread_id = $1 AND integration = $2 AND integration_thread_id <> $3",
    upsert: "INSERT INTO thread_links (thread_id, integration, integration_thread_id) \
             VALUES ($1, $2, $3) \
             ON CONFLICT (integration, integration_thread_id) \
             DO UPDATE SET thread_id = EXCLUDED.thread_id",
};

/// `$1` source, `$2` message id, `$3` token, `$4` lease in ms, `$5` now (or NULL). Returns
/// nothing when refused.
const CLAIM: &str = concat!(
    "INSERT INTO deliveries \
        (source, source_message_id, state, claim_token, lease_until_ms, attempts) \
     VALUES ($1, $2, 'claimed', $3, ",
    now_ms!("$5"),
    " + $4, 1) \
     ON CONFLICT (source, source_message_id) DO UPDATE SET \
        state = 'claimed', claim_token = EXCLUDED.claim_token, \
        lease_until_ms = EXCLUDED.lease_until_ms, attempts = deliveries.attempts + 1, \
        updated_at = now() \
     WHERE deliveries.state = 'claimed' AND deliveries.lease_until_ms <= ",
    now_ms!("$5"),
    " RETURNING attempts::bigint, lease_until_ms"
);

const SELECT_DELIVERY: &str = "SELECT state, attempts::bigint AS attempts, lease_until_ms, \
    target_message_id, failure_reason FROM deliveries \
    WHERE source = $1 AND source_message_id = $2";

/// [`SELECT_DELIVERY`] for the ids of the array `$2`, each row with its id. One index lookup
/// per distinct id, whatever the planner knows of the table: `source_message_id = ANY($2)`
/// is planned, generically and without statistics (a fresh table), as a scan of every
/// record of the source.
const SELECT_DELIVERIES: &str = "SELECT d.source_message_id, d.state, \
        d.attempts::bigint AS attempts, d.lease_until_ms, d.target_message_id, d.failure_reason \
    FROM (SELECT DISTINCT unnest($2::text[]) AS id) asked, \
    LATERAL (SELECT * FROM deliveries \
        WHERE source = $1 AND source_message_id = asked.id LIMIT 1) d";

/// [`SELECT_DELIVERY`] plus whether a claim would be granted now (`$3`, or NULL).
const SELECT_DELIVERY_CLAIMABLE: &str = concat!(
    "SELECT state, attempts::bigint AS attempts, lease_until_ms, target_message_id, \
        failure_reason, (state = 'claimed' AND lease_until_ms <= ",
    now_ms!("$3"),
    ") AS claimable FROM deliveries WHERE source = $1 AND source_message_id = $2"
);

/// Ends or renews a held claim: `$1` new state, `$2` lease in ms from now (0: none),
/// `$3` target id, `$4` failure reason; matched by `$5` source, `$6` message id, `$7` token;
/// `$8` now (or NULL). Returns the new lease end.
const FINISH_CLAIM: &str = concat!(
    "UPDATE deliveries SET state = $1, \
        lease_until_ms = CASE WHEN $2::bigint > 0 THEN ",
    now_ms!("$8"),
    " + $2::bigint ELSE 0 END, \
        target_message_id = $3, failure_reason = $4, updated_at = now(), \
        claim_token = CASE WHEN $1 = 'claimed' AND $2::bigint > 0 THEN claim_token END \
     WHERE source = $5 AND source_message_id = $6 AND claim_token = $7 AND state = 'claimed' \
     RETURNING lease_until_ms"
);

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`) and applies any
    /// pending migrations; on a fresh database this creates every table.
    ///
    /// The pool holds up to 10 connections and gives up on a server it cannot reach after
    /// 10 s; use [`from_pool`](Self::from_pool) for other settings.
    ///
    /// # Errors
    /// [`Error::Backend`] when the URL is invalid or the server unreachable,
    /// [`Error::Migration`] when the schema cannot be brought up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Self::from_pool(pool).await
    }

    /// Wraps a pool the caller configured (size, TLS, timeouts) and applies any pending
    /// migrations. The migrations take a database-wide advisory lock, so replicas starting
    /// together apply them once.
    ///
    /// # Errors
    /// [`Error::Migration`] when the schema cannot be brought up to date.
    pub async fn from_pool(pool: PgPool) -> Result<Self> {
        Self::from_pool_with(pool, PostgresOptions::default()).await
    }

    /// Wraps a pool with explicit [`PostgresOptions`].
    ///
    /// # Errors
    /// As [`from_pool`](Self::from_pool); with `migrate: false`, [`Error::Migration`] when the
    /// schema is not up to date.
    pub async fn from_pool_with(pool: PgPool, options: PostgresOptions) -> Result<Self> {
        let backend = PostgresBackend {
            pool,
            clock: options.clock,
        };
        if options.migrate {
            backend.migrate().await?;
        } else {
            let applied: Option<i64> = sqlx::query_scalar(crate::sql::LATEST_APPLIED)
                .fetch_one(&backend.pool)
                .await
                .ok()
                .flatten();
            let latest = MIGRATOR.iter().map(|migration| migration.version).max();
            crate::sql::require_migrated(latest, applied)?;
        }
        Ok(Checked::wrap(backend))
    }
}

impl PostgresBackend {
    /// Applies pending migrations (what making the store does unless told not to): for teams
    /// that run migrations as a deploy step. They take a database-wide advisory lock, so
    /// replicas running them together apply them once.
    ///
    /// # Errors
    /// [`Error::Migration`] when the schema cannot be brought up to date.
    pub async fn migrate(&self) -> Result<()> {
        Ok(MIGRATOR.run(&self.pool).await?)
    }

    /// Now for statements that take it: the store's clock, or NULL for the database's.
    fn now_ms(&self) -> Option<i64> {
        self.clock.as_ref().map(|clock| to_millis(clock.now()))
    }

    /// The pool this store uses.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection, waiting for running calls to finish. Later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn lookup(
        &self,
        sql: &LinkSql,
        integration: &str,
        outside_id: &str,
    ) -> Result<Option<Uuid>> {
        Ok(sqlx::query_scalar(sql.lookup)
            .bind(integration)
            .bind(outside_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn reverse_lookup(
        &self,
        sql: &LinkSql,
        id: &Uuid,
        integration: &str,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(sql.reverse_lookup)
            .bind(id)
            .bind(integration)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Ends or renews a held claim, or reports it lost; answers the new lease end.
    async fn finish_claim(
        &self,
        claim: &DeliveryClaim,
        state: &str,
        lease: Option<Duration>,
        target_message_id: Option<&str>,
        failure_reason: Option<&str>,
    ) -> Result<i64> {
        let lease_until_ms: Option<i64> = sqlx::query_scalar(FINISH_CLAIM)
            .bind(state)
            .bind(lease.map_or(0, lease_millis))
            .bind(target_message_id)
            .bind(failure_reason)
            .bind(&claim.source)
            .bind(&claim.source_message_id)
            .bind(claim.token)
            .bind(self.now_ms())
            .fetch_optional(&self.pool)
            .await?;
        lease_until_ms.ok_or_else(|| claim.lost())
    }
}

#[async_trait]
impl Links for PostgresBackend {
    async fn user_try_lookup(
        &self,
        integration: &str,
        integration_user_id: &str,
    ) -> Result<Option<UserId>> {
        let id = self
            .lookup(&USER_LINKS, integration, integration_user_id)
            .await?;
        Ok(id.map(UserId::from_uuid))
    }

    async fn user_try_reverse_lookup(
        &self,
        user_id: &UserId,
        integration: &str,
    ) -> Result<Option<String>> {
        self.reverse_lookup(&USER_LINKS, user_id.as_uuid(), integration)
            .await
    }

    async fn user_identify(&self, integration: &str, integration_user_id: &str) -> Result<UserId> {
        // Most ids are known: one read, no transaction.
        if let Some(user) = self
            .user_try_lookup(integration, integration_user_id)
            .await?
        {
            return Ok(user);
        }
        self.identify_and_link(integration, integration_user_id, &[])
            .await
    }

    async fn user_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        user_id: &UserId,
    ) -> Result<()> {
        self.link(
            &USER_LINKS,
            integration,
            integration_user_id,
            user_id.as_uuid(),
        )
        .await
    }

    async fn thread_try_lookup(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>> {
        let id = self
            .lookup(&THREAD_LINKS, integration, integration_thread_id)
            .await?;
        Ok(id.map(ThreadId::from_uuid))
    }

    async fn thread_try_reverse_lookup(
        &self,
        thread_id: &ThreadId,
        integration: &str,
    ) -> Result<Option<String>> {
        self.reverse_lookup(&THREAD_LINKS, thread_id.as_uuid(), integration)
            .await
    }

    async fn thread_create(&self) -> Result<ThreadId> {
        let thread = ThreadId::new();
        sqlx::query("INSERT INTO threads (id) VALUES ($1)")
            .bind(thread.as_uuid())
            .execute(&self.pool)
            .await?;
        Ok(thread)
    }

    async fn thread_link(
        &self,
        integration: &str,
        integration_thread_id: &str,
        thread_id: &ThreadId,
    ) -> Result<()> {
        self.link(
            &THREAD_LINKS,
            integration,
            integration_thread_id,
            thread_id.as_uuid(),
        )
        .await
    }

    async fn thread_unlink(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>> {
        let thread: Option<Uuid> = sqlx::query_scalar(
            "DELETE FROM thread_links WHERE integration = $1 AND integration_thread_id = $2 \
             RETURNING thread_id",
        )
        .bind(integration)
        .bind(integration_thread_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(thread.map(ThreadId::from_uuid))
    }

    async fn thread_set(&self, thread_id: &ThreadId, key: &str, value: &str) -> Result<()> {
        if key == PRIMARY_USER_ID {
            return self
                .thread_set_primary_user(thread_id, &value.parse()?)
                .await;
        }
        steps::set_data_in(&self.pool, thread_id, key, value).await
    }

    async fn thread_get(&self, thread_id: &ThreadId, key: &str) -> Result<Option<String>> {
        if key == PRIMARY_USER_ID {
            let user = self.thread_primary_user(thread_id).await?;
            return Ok(user.map(|user| user.to_string()));
        }
        Ok(
            sqlx::query_scalar("SELECT value FROM thread_data WHERE thread_id = $1 AND key = $2")
                .bind(thread_id.as_uuid())
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn thread_set_primary_user(&self, thread_id: &ThreadId, user_id: &UserId) -> Result<()> {
        steps::set_primary_user_in(&self.pool, thread_id, user_id).await
    }

    async fn thread_primary_user(&self, thread_id: &ThreadId) -> Result<Option<UserId>> {
        let user: Option<Option<Uuid>> =
            sqlx::query_scalar("SELECT primary_user_id FROM threads WHERE id = $1")
                .bind(thread_id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
        Ok(user.flatten().map(UserId::from_uuid))
    }

    async fn user_identify_and_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        links: &[(&str, &str)],
    ) -> Result<UserId> {
        self.identify_and_link(integration, integration_user_id, links)
            .await
    }

    async fn thread_apply(&self, thread_id: &ThreadId, changes: &ThreadChanges) -> Result<()> {
        self.apply(thread_id, changes).await
    }

    async fn thread_create_with(&self, changes: &ThreadChanges) -> Result<ThreadId> {
        self.create_with(changes).await
    }
}

#[async_trait]
impl Deliveries for PostgresBackend {
    async fn delivery_claim(
        &self,
        source: &str,
        source_message_id: &str,
        lease: Duration,
    ) -> Result<ClaimOutcome> {
        // A refusal read after the upsert may find the claim just released or expired; then
        // claiming again is right, a bounded number of times.
        for _ in 0..3 {
            let token = Uuid::new_v4();
            let claimed: Option<(i64, i64)> = sqlx::query_as(CLAIM)
                .bind(source)
                .bind(source_message_id)
                .bind(token)
                .bind(lease_millis(lease))
                .bind(self.now_ms())
                .fetch_optional(&self.pool)
                .await?;
            if let Some((attempts, lease_until_ms)) = claimed {
                return Ok(ClaimOutcome::Claimed(DeliveryClaim {
                    source: source.to_owned(),
                    source_message_id: source_message_id.to_owned(),
                    token,
                    attempt: u32::try_from(attempts).unwrap_or(u32::MAX),
                    lease_until: from_millis(lease_until_ms),
                }));
            }
            let row = sqlx::query(SELECT_DELIVERY_CLAIMABLE)
                .bind(source)
                .bind(source_message_id)
                .bind(self.now_ms())
                .fetch_optional(&self.pool)
                .await?;
            let Some(row) = row else { continue };
            if row.try_get::<bool, _>("claimable")? {
                continue;
            }
            let delivery = DeliveryRow::from_row(&row)?.into_delivery(source, source_message_id)?;
            return Ok(delivery.refusal());
        }
        Err(Error::Backend(
            "delivery_claim did not settle after 3 rounds".into(),
        ))
    }

    async fn delivery_renew(&self, claim: &mut DeliveryClaim, lease: Duration) -> Result<()> {
        let lease_until_ms = self
            .finish_claim(claim, STATE_CLAIMED, Some(lease), None, None)
            .await?;
        claim.lease_until = from_millis(lease_until_ms);
        Ok(())
    }

    async fn delivery_complete(
        &self,
        claim: &DeliveryClaim,
        target_message_id: &str,
    ) -> Result<()> {
        self.finish_claim(claim, STATE_DELIVERED, None, Some(target_message_id), None)
            .await
            .map(drop)
    }

    async fn delivery_fail(&self, claim: &DeliveryClaim, reason: &str) -> Result<()> {
        self.finish_claim(claim, STATE_FAILED, None, None, Some(reason))
            .await
            .map(drop)
    }

    async fn delivery_release(&self, claim: &DeliveryClaim) -> Result<()> {
        self.finish_claim(claim, STATE_CLAIMED, None, None, None)
            .await
            .map(drop)
    }

    async fn delivery_get(
        &self,
        source: &str,
        source_message_id: &str,
    ) -> Result<Option<Delivery>> {
        let row: Option<DeliveryRow> = sqlx::query_as(SELECT_DELIVERY)
            .bind(source)
            .bind(source_message_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| row.into_delivery(source, source_message_id))
            .transpose()
    }

    async fn delivery_get_many(
        &self,
        source: &str,
        source_message_ids: &[&str],
    ) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(SELECT_DELIVERIES)
            .bind(source)
            .bind(source_message_ids)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("source_message_id")?;
                DeliveryRow::from_row(row)?.into_delivery(source, &id)
            })
            .collect()
    }
}

#[async_trait]
impl Inbox for PostgresBackend {
    async fn inbox_push(&self, message: &InboxMessage) -> Result<InboxPush> {
        self.push_inbox(message).await
    }

    async fn inbox_take(&self, lease: Duration, max_batch: usize) -> Result<Vec<InboxEntry>> {
        self.take_inbox(lease, max_batch).await
    }

    async fn inbox_complete(&self, entry: &InboxEntry) -> Result<()> {
        self.finish_inbox(
            entry,
            inbox_state::DONE,
            Duration::ZERO,
            entry.last_error.as_deref(),
        )
        .await
    }

    async fn inbox_retry(&self, entry: &InboxEntry, delay: Duration, error: &str) -> Result<()> {
        self.finish_inbox(entry, inbox_state::PENDING, delay, Some(error))
            .await
    }

    async fn inbox_fail(&self, entry: &InboxEntry, reason: &str) -> Result<()> {
        self.finish_inbox(entry, inbox_state::FAILED, Duration::ZERO, Some(reason))
            .await
    }

    async fn inbox_stats(&self) -> Result<InboxStats> {
        self.inbox_counts().await
    }

    async fn inbox_failed(&self, after_id: i64, limit: usize) -> Result<Vec<FailedInboxEntry>> {
        self.list_failed(after_id, limit).await
    }

    async fn inbox_requeue(&self, entry_id: i64) -> Result<bool> {
        self.requeue(entry_id).await
    }

    async fn inbox_purge(&self, done_before: SystemTime) -> Result<u64> {
        self.purge_inbox(done_before).await
    }
}
