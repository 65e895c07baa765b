//! [`SqliteStore`]: the embedded default. One file, WAL journal, migrations applied on open
//! (or by [`SqliteBackend::migrate`], as a deploy step).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::clock::{SharedClock, system};
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

mod connections;
mod deliveries;
mod group_commit;
mod inbox;
mod links;
mod migrations;

use connections::{ConnectOptions, Connections};
use links::{LinkSql, lookup_on, relink_on};

/// How hard SQLite works to keep each commit on disk.
///
/// A webhook answered 200 is a promise: the vendor will not send it again, so the inbox
/// record behind it must outlast a power cut, not only a crash. That is why the default is
/// [`Full`](Self::Full). [`Normal`](Self::Normal) is SQLite's recommendation for WAL mode
/// and faster on a disk with slow syncs, at the price of the last commits before a power
/// loss (or a kernel panic, or a VM stopped hard); choose it only where the disk or the
/// platform already guarantees that (a battery-backed controller), or where a lost
/// acknowledged message is acceptable. Group commit shares one sync among every write that
/// queued meanwhile, so under load the difference shrinks; `cargo bench -p meya-links`
/// prints it beside the same store at `Normal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SqliteSynchronous {
    /// A commit survives the process crashing (and the database is never corrupted), but
    /// the last commits may be lost if the machine loses power.
    Normal,
    /// Every commit is synced to disk before it returns: it survives a power loss too. Each
    /// write (or each group of writes committed together) waits for the disk. The default.
    #[default]
    Full,
}

/// Settings for [`SqliteStore::open_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// Durability of each commit. Default: [`SqliteSynchronous::Full`].
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
            synchronous: SqliteSynchronous::Full,
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
/// Writes go through a single connection on a thread of its own, so writers in one process
/// queue instead of failing with `SQLITE_BUSY`, and the writes that queue up while one
/// transaction commits share the next (group commit): under load, many calls pay for one
/// commit. A call still returns only once its own write has committed, and one call's error
/// never fails or undoes another's. Reads run on the calling task, on a few read-only
/// connections: they are index lookups of microseconds and never wait for writes (WAL); the
/// rare read SQLite asks to wait for the file moves to a blocking thread. Call the store from
/// a Tokio runtime (any flavour). Several processes may open the same file; they take turns
/// writing, waiting up to [`SqliteOptions::busy_timeout`]. For replicas on several machines use
/// PostgreSQL.
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

/// [`SELECT_DELIVERY`] for the ids of the JSON array `?2`, each row with its id last.
const SELECT_DELIVERIES: &str = "SELECT state, attempts, lease_until_ms, target_message_id, \
    failure_reason, source_message_id FROM deliveries \
    WHERE source = ?1 AND source_message_id IN (SELECT value FROM json_each(?2))";

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
        let connect = ConnectOptions {
            path: path.clone(),
            synchronous: options.synchronous,
            busy_timeout: options.busy_timeout,
        };
        let backend = Self {
            connections: Arc::new(Connections::new(connect, options.readers)?),
            path,
            clock: options.clock,
        };
        if options.migrate {
            backend.migrate().await?;
        } else {
            backend
                .connections
                .writer
                .write_alone(migrations::require_migrated)
                .await?;
        }
        Ok(backend)
    }

    /// Applies pending migrations (what opening does unless told not to): for teams that run
    /// migrations as a deploy step. Safe to repeat, and to run while other processes use the
    /// file. The schema is recorded in `_sqlx_migrations`, as earlier versions of this crate
    /// (which ran migrations with sqlx) recorded it, so their files open unchanged.
    ///
    /// # Errors
    /// [`Error::Migration`] when the schema cannot be brought up to date.
    pub async fn migrate(&self) -> Result<()> {
        self.connections
            .writer
            .write_alone(migrations::migrate)
            .await
    }

    /// The durability the write connection runs at (SQLite's `PRAGMA synchronous`), as
    /// [`SqliteOptions::synchronous`] asked. `None` for a level this crate does not set
    /// (`OFF`, `EXTRA`).
    ///
    /// # Errors
    /// [`Error::Backend`] when the connection fails.
    pub async fn synchronous(&self) -> Result<Option<SqliteSynchronous>> {
        let level: i64 = self
            .connections
            .writer
            .write_alone(|connection| {
                Ok(connection.query_row("PRAGMA synchronous", [], |row| row.get(0))?)
            })
            .await?;
        Ok(match level {
            1 => Some(SqliteSynchronous::Normal),
            2 => Some(SqliteSynchronous::Full),
            _ => None,
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection, waiting for running calls to finish. Later calls fail.
    pub async fn close(&self) {
        self.connections.close().await;
    }

    /// Runs `write` on the write connection, in a transaction it may share with other calls'
    /// writes (see [`group_commit`]); answers once it committed. `write` may run twice (the
    /// first run rolled back), so it must not act outside the database.
    pub(crate) async fn write<T, F>(&self, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
    {
        self.connections.writer.write(write).await
    }

    /// Runs `read` on a read connection (see [`connections`]).
    pub(crate) async fn read<T, F>(&self, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T> + Send + 'static,
    {
        self.connections.read(read).await
    }

    async fn lookup(
        &self,
        sql: &'static LinkSql,
        integration: &str,
        outside_id: &str,
    ) -> Result<Option<Uuid>> {
        let (integration, outside_id) = (integration.to_owned(), outside_id.to_owned());
        self.read(move |connection| lookup_on(connection, sql, &integration, &outside_id))
            .await
    }

    async fn reverse_lookup(
        &self,
        sql: &'static LinkSql,
        id: &Uuid,
        integration: &str,
    ) -> Result<Option<String>> {
        let (id, integration) = (id.hyphenated().to_string(), integration.to_owned());
        self.read(move |connection| {
            Ok(connection
                .prepare_cached(sql.reverse_lookup)?
                .query_row(params![id, integration], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    async fn link(
        &self,
        sql: &'static LinkSql,
        integration: &str,
        outside_id: &str,
        id: &Uuid,
    ) -> Result<()> {
        let (id, integration, outside_id) = (*id, integration.to_owned(), outside_id.to_owned());
        self.write(move |connection| relink_on(connection, sql, &integration, &outside_id, &id))
            .await
    }

    /// Ends a held claim, or reports it lost.
    async fn finish_claim(
        &self,
        claim: &DeliveryClaim,
        state: &'static str,
        lease_until_ms: i64,
        target_message_id: Option<&str>,
        failure_reason: Option<&str>,
    ) -> Result<()> {
        let target_message_id = target_message_id.map(str::to_owned);
        let failure_reason = failure_reason.map(str::to_owned);
        let now = to_millis(self.clock.now());
        let claim = claim.clone();
        let token = claim.token.hyphenated().to_string();
        self.write(move |connection| {
            let done = connection.prepare_cached(FINISH_CLAIM)?.execute(params![
                state,
                lease_until_ms,
                target_message_id,
                failure_reason,
                now,
                claim.source,
                claim.source_message_id,
                token,
            ])?;
            if done == 0 {
                return Err(claim.lost());
            }
            Ok(())
        })
        .await
    }
}

/// Maps a foreign key violation (an unknown user or thread) to the caller's error, anything
/// else as usual.
fn foreign_key_or(error: rusqlite::Error, unknown: impl FnOnce() -> Error) -> Error {
    match error.sqlite_error() {
        Some(failure) if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
            unknown()
        }
        _ => Error::from(error),
    }
}

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::from_str(text).map_err(|_| Error::Decode(format!("stored id {text:?} is not a UUID")))
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
