//! [`SqliteStore`]: the embedded default. One file, WAL journal, migrations applied on open
//! (or by [`SqliteBackend::migrate`], as a deploy step).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode,
    SqliteSynchronous as DriverSynchronous,
};
use uuid::Uuid;

use crate::clock::{SharedClock, system};
use crate::delivery::{
    DeliveryRow, STATE_CLAIMED, STATE_DELIVERED, STATE_FAILED, from_millis, lease_millis, to_millis,
};
use crate::inbox::state as inbox_state;
use crate::sql::{LinkKind, foreign_key_or};
use crate::{
    Checked, ClaimOutcome, Clock, Deliveries, Delivery, DeliveryClaim, Error, FailedInboxEntry,
    Inbox, InboxEntry, InboxMessage, InboxPush, InboxStats, Links, PRIMARY_USER_ID, Result,
    ThreadId, UserId,
};

mod connections;
mod deliveries;
mod inbox;

use connections::{Connections, Held};

/// How hard SQLite works to keep each commit on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SqliteSynchronous {
    /// SQLite's recommendation for WAL mode: a commit survives the process crashing (and the
    /// database is never corrupted), but the last commits may be lost if the machine loses
    /// power. Fast.
    #[default]
    Normal,
    /// Every commit is synced to disk before it returns: it survives a power loss too. Each
    /// write waits for the disk.
    Full,
}

/// Settings for [`SqliteStore::open_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// Durability of each commit. Default: [`SqliteSynchronous::Normal`].
    pub synchronous: SqliteSynchronous,
    /// How long a write waits for another process holding the write lock. Default: 5 s.
    pub busy_timeout: Duration,
    /// Read connections, each opened on first use and then kept. Default: 4.
    pub readers: u32,
    /// Apply pending migrations on open (true), or refuse to open a file whose schema is not
    /// up to date (false: migrations are a deploy step, [`SqliteBackend::migrate`]).
    /// Default: true.
    pub migrate: bool,
    /// Where leases, retry delays and timestamps read the time. Default: the system clock.
    pub clock: Arc<dyn Clock>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: SqliteSynchronous::Normal,
            busy_timeout: Duration::from_secs(5),
            readers: 4,
            migrate: true,
            clock: system(),
        }
    }
}

impl SqliteOptions {
    /// Sets [`synchronous`](Self::synchronous).
    pub fn synchronous(mut self, synchronous: SqliteSynchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// Sets [`busy_timeout`](Self::busy_timeout).
    pub fn busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout;
        self
    }

    /// Sets [`readers`](Self::readers) (at least 1).
    pub fn readers(mut self, readers: u32) -> Self {
        self.readers = readers.max(1);
        self
    }

    /// Sets [`migrate`](Self::migrate).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// Sets [`clock`](Self::clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

/// A link store in one SQLite file: the embedded default. The [`SqliteBackend`],
/// [`Checked`].
///
/// Writes go through a single connection, so writers in one process queue instead of failing
/// with `SQLITE_BUSY`; reads use a few read-only connections and never wait for
/// writes (WAL). Several processes may open the same file; they take turns writing, waiting
/// up to [`SqliteOptions::busy_timeout`]. For replicas on several machines use PostgreSQL.
///
/// ```no_run
/// # async fn demo() -> meya_links::Result<()> {
/// use meya_links::{Links, SqliteStore};
///
/// let store = SqliteStore::open("bridge.db").await?;
/// let user = store.user_identify("sunshine_conversations", "c7f6e6d6c3a637261bd9656f").await?;
/// # Ok(()) }
/// ```
pub type SqliteStore = Checked<SqliteBackend>;

/// The SQLite backend, unchecked: use it as a [`SqliteStore`].
#[derive(Clone)]
pub struct SqliteBackend {
    connections: Arc<Connections>,
    path: PathBuf,
    clock: SharedClock,
}

impl fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The statements of one kind of link (users or threads); both kinds share the code below.
struct LinkSql {
    /// The "thing" a bad internal id is reported as.
    kind: LinkKind,
    lookup: &'static str,
    reverse_lookup: &'static str,
    /// Two statements sent as one (a round trip less): drops the internal id's other link in
    /// the integration (rule 2), then inserts the link or re-points the outside id (rule 1).
    relink: &'static str,
}

const USER_LINKS: LinkSql = LinkSql {
    kind: LinkKind::User,
    lookup: "SELECT user_id FROM user_links WHERE integration = ?1 AND integration_user_id = ?2",
    reverse_lookup: "SELECT integration_user_id FROM user_links \
                     WHERE user_id = ?1 AND integration = ?2",
    relink: "DELETE FROM user_links \
             WHERE user_id = ?1 AND integration = ?2 AND integration_user_id <> ?3; \
             INSERT INTO user_links (user_id, integration, integration_user_id) \
             VALUES (?1, ?2, ?3) \
             ON CONFLICT (integration, integration_user_id) DO UPDATE SET user_id = excluded.user_id",
};

const THREAD_LINKS: LinkSql = LinkSql {
    kind: LinkKind::Thread,
    lookup: "SELECT thread_id FROM thread_links \
             WHERE integration = ?1 AND integration_thread_id = ?2",
    reverse_lookup: "SELECT integration_thread_id FROM thread_links \
                     WHERE thread_id = ?1 AND integration = ?2",
    relink: "DELETE FROM thread_links \
             WHERE thread_id = ?1 AND integration = ?2 AND integration_thread_id <> ?3; \
             INSERT INTO thread_links (thread_id, integration, integration_thread_id) \
             VALUES (?1, ?2, ?3) \
             ON CONFLICT (integration, integration_thread_id) \
             DO UPDATE SET thread_id = excluded.thread_id",
};

const CLAIM: &str = "INSERT INTO deliveries \
        (source, source_message_id, state, claim_token, lease_until_ms, attempts, updated_at_ms) \
    VALUES (?1, ?2, 'claimed', ?3, ?4, 1, ?5) \
    ON CONFLICT (source, source_message_id) DO UPDATE SET \
        state = 'claimed', claim_token = excluded.claim_token, \
        lease_until_ms = excluded.lease_until_ms, attempts = deliveries.attempts + 1, \
        updated_at_ms = excluded.updated_at_ms \
    WHERE deliveries.state = 'claimed' AND deliveries.lease_until_ms <= ?5 \
    RETURNING attempts";

const SELECT_DELIVERY: &str = "SELECT state, attempts, lease_until_ms, target_message_id, \
    failure_reason FROM deliveries WHERE source = ?1 AND source_message_id = ?2";

/// Ends a held claim: `?1` new state, `?2` lease end, `?3` target id, `?4` failure reason,
/// `?5` now; matched by `?6` source, `?7` message id, `?8` claim token.
const FINISH_CLAIM: &str = "UPDATE deliveries SET state = ?1, lease_until_ms = ?2, \
        target_message_id = ?3, failure_reason = ?4, updated_at_ms = ?5, \
        claim_token = CASE WHEN ?1 = 'claimed' AND ?2 > ?5 THEN claim_token END \
    WHERE source = ?6 AND source_message_id = ?7 AND claim_token = ?8 AND state = 'claimed'";

impl SqliteStore {
    /// Opens (creating if needed) the store in the file at `path`, with default
    /// [`SqliteOptions`], and applies any pending migrations.
    ///
    /// # Errors
    /// [`Error::Backend`] when the file cannot be opened, [`Error::Migration`] when the schema
    /// cannot be brought up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SqliteOptions::default()).await
    }

    /// Opens the store with explicit [`SqliteOptions`].
    ///
    /// # Errors
    /// As [`open`](Self::open); with `migrate: false`, [`Error::Migration`] when the schema is
    /// not up to date.
    pub async fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        Ok(Checked::wrap(
            SqliteBackend::open_with(path, options).await?,
        ))
    }
}

impl SqliteBackend {
    async fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let synchronous = match options.synchronous {
            SqliteSynchronous::Normal => DriverSynchronous::Normal,
            SqliteSynchronous::Full => DriverSynchronous::Full,
        };
        let connect = SqliteConnectOptions::new()
            .filename(&path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(options.busy_timeout)
            .foreign_keys(true);
        let connections = Connections::new(
            connect.clone().create_if_missing(true),
            connect.read_only(true),
            options.readers,
        );
        let backend = Self {
            connections: Arc::new(connections),
            path,
            clock: options.clock,
        };
        if options.migrate {
            backend.migrate().await?;
        } else {
            let applied = sqlx::query_scalar(crate::sql::LATEST_APPLIED)
                .fetch_one(&mut *backend.connections.writer().await?)
                .await;
            crate::sql::require_migrated(&MIGRATOR, applied)?;
        }
        Ok(backend)
    }

    /// Applies pending migrations (what opening does unless told not to): for teams that run
    /// migrations as a deploy step. Safe to repeat, and to run while other processes use the
    /// file.
    ///
    /// # Errors
    /// [`Error::Migration`] when the schema cannot be brought up to date.
    pub async fn migrate(&self) -> Result<()> {
        migrate(&mut *self.connections.writer().await?).await
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection, waiting for running calls to finish. Later calls fail.
    pub async fn close(&self) {
        self.connections.close().await;
    }

    /// The write connection, once the call before has finished with it.
    pub(crate) async fn writer(&self) -> Result<Held<'_>> {
        self.connections.writer().await
    }

    /// A read connection.
    pub(crate) async fn reader(&self) -> Result<Held<'_>> {
        self.connections.reader().await
    }

    async fn lookup(
        &self,
        sql: &LinkSql,
        integration: &str,
        outside_id: &str,
    ) -> Result<Option<Uuid>> {
        let id: Option<String> = sqlx::query_scalar(sql.lookup)
            .bind(integration)
            .bind(outside_id)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        id.as_deref().map(parse_uuid).transpose()
    }

    async fn reverse_lookup(
        &self,
        sql: &LinkSql,
        id: &Uuid,
        integration: &str,
    ) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(sql.reverse_lookup)
            .bind(id.hyphenated().to_string())
            .bind(integration)
            .fetch_optional(&mut *self.reader().await?)
            .await?)
    }

    async fn link(
        &self,
        sql: &LinkSql,
        integration: &str,
        outside_id: &str,
        id: &Uuid,
    ) -> Result<()> {
        let id_text = id.hyphenated().to_string();
        let mut writer = self.writer().await?;
        let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(sql.relink)
            .bind(&id_text)
            .bind(integration)
            .bind(outside_id)
            .execute(&mut *tx)
            .await
            .map_err(|error| foreign_key_or(error, || sql.kind.unknown(*id)))?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a held claim, or reports it lost.
    async fn finish_claim(
        &self,
        claim: &DeliveryClaim,
        state: &str,
        lease_until_ms: i64,
        target_message_id: Option<&str>,
        failure_reason: Option<&str>,
    ) -> Result<()> {
        let done = sqlx::query(FINISH_CLAIM)
            .bind(state)
            .bind(lease_until_ms)
            .bind(target_message_id)
            .bind(failure_reason)
            .bind(to_millis(self.clock.now()))
            .bind(&claim.source)
            .bind(&claim.source_message_id)
            .bind(claim.token.hyphenated().to_string())
            .execute(&mut *self.writer().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(claim.lost());
        }
        Ok(())
    }
}

/// Applies pending migrations. Two processes opening a new file at once may race to create
/// the schema; the loser sees the winner's tables on a second try.
async fn migrate(connection: &mut SqliteConnection) -> Result<()> {
    match MIGRATOR.run_direct(&mut *connection).await {
        Ok(()) => Ok(()),
        Err(first) => {
            tracing::debug!(error = %first, "SQLite migration failed once, retrying");
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(MIGRATOR.run_direct(connection).await?)
        }
    }
}

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::from_str(text).map_err(|_| Error::Decode(format!("stored id {text:?} is not a UUID")))
}

#[async_trait]
impl Links for SqliteBackend {
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
        // An id's link can vanish between the write and the re-read (its user was linked to
        // another id meanwhile), so a few rounds settle it; the bound only guards against a
        // misbehaving database.
        for _ in 0..3 {
            if let Some(user) = self
                .user_try_lookup(integration, integration_user_id)
                .await?
            {
                return Ok(user);
            }
            // One statement, atomic: see the `user_identify_requests` view in the migration.
            sqlx::query(
                "INSERT INTO user_identify_requests \
                 (user_id, integration, integration_user_id, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(UserId::new().to_string())
            .bind(integration)
            .bind(integration_user_id)
            .bind(to_millis(self.clock.now()))
            .execute(&mut *self.writer().await?)
            .await?;
        }
        Err(Error::Backend(
            "user_identify did not settle after 3 rounds".into(),
        ))
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
        sqlx::query("INSERT INTO threads (id, created_at_ms) VALUES (?1, ?2)")
            .bind(thread.to_string())
            .bind(to_millis(self.clock.now()))
            .execute(&mut *self.writer().await?)
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
        let thread: Option<String> = sqlx::query_scalar(
            "DELETE FROM thread_links WHERE integration = ?1 AND integration_thread_id = ?2 \
             RETURNING thread_id",
        )
        .bind(integration)
        .bind(integration_thread_id)
        .fetch_optional(&mut *self.writer().await?)
        .await?;
        thread
            .as_deref()
            .map(|text| parse_uuid(text).map(ThreadId::from_uuid))
            .transpose()
    }

    async fn thread_set(&self, thread_id: &ThreadId, key: &str, value: &str) -> Result<()> {
        if key == PRIMARY_USER_ID {
            return self
                .thread_set_primary_user(thread_id, &value.parse()?)
                .await;
        }
        sqlx::query(
            "INSERT INTO thread_data (thread_id, key, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (thread_id, key) DO UPDATE SET value = excluded.value",
        )
        .bind(thread_id.to_string())
        .bind(key)
        .bind(value)
        .execute(&mut *self.writer().await?)
        .await
        .map_err(|error| foreign_key_or(error, || Error::UnknownThread(*thread_id)))?;
        Ok(())
    }

    async fn thread_get(&self, thread_id: &ThreadId, key: &str) -> Result<Option<String>> {
        if key == PRIMARY_USER_ID {
            let user = self.thread_primary_user(thread_id).await?;
            return Ok(user.map(|user| user.to_string()));
        }
        Ok(
            sqlx::query_scalar("SELECT value FROM thread_data WHERE thread_id = ?1 AND key = ?2")
                .bind(thread_id.to_string())
                .bind(key)
                .fetch_optional(&mut *self.reader().await?)
                .await?,
        )
    }

    async fn thread_set_primary_user(&self, thread_id: &ThreadId, user_id: &UserId) -> Result<()> {
        let done = sqlx::query("UPDATE threads SET primary_user_id = ?1 WHERE id = ?2")
            .bind(user_id.to_string())
            .bind(thread_id.to_string())
            .execute(&mut *self.writer().await?)
            .await
            .map_err(|error| foreign_key_or(error, || Error::UnknownUser(*user_id)))?;
        if done.rows_affected() == 0 {
            return Err(Error::UnknownThread(*thread_id));
        }
        Ok(())
    }

    async fn thread_primary_user(&self, thread_id: &ThreadId) -> Result<Option<UserId>> {
        let user: Option<Option<String>> =
            sqlx::query_scalar("SELECT primary_user_id FROM threads WHERE id = ?1")
                .bind(thread_id.to_string())
                .fetch_optional(&mut *self.reader().await?)
                .await?;
        user.flatten()
            .as_deref()
            .map(|text| parse_uuid(text).map(UserId::from_uuid))
            .transpose()
    }
}

#[async_trait]
impl Inbox for SqliteBackend {
    async fn inbox_push(&self, message: &InboxMessage) -> Result<InboxPush> {
        self.push_inbox(message).await
    }

    async fn inbox_take(&self, lease: Duration, max_batch: usize) -> Result<Vec<InboxEntry>> {
        self.take_inbox(lease, max_batch).await
    }

    async fn inbox_complete(&self, entry: &InboxEntry) -> Result<()> {
        self.finish_inbox(entry, inbox_state::DONE, 0, entry.last_error.as_deref())
            .await
    }

    async fn inbox_retry(&self, entry: &InboxEntry, delay: Duration, error: &str) -> Result<()> {
        self.retry_inbox(entry, delay, error).await
    }

    async fn inbox_fail(&self, entry: &InboxEntry, reason: &str) -> Result<()> {
        self.finish_inbox(entry, inbox_state::FAILED, 0, Some(reason))
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
