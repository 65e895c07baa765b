//! The SQLite store's connections: one writer and a few read-only readers, each used by one
//! call at a time.
//!
//! They are kept here rather than in an sqlx pool: the pool checks every connection handed
//! back with a round trip to the connection's worker thread, which doubled the cost of each
//! write (the thread hand-offs, not SQLite, are what a statement costs). A local file needs no
//! liveness check. A transaction abandoned mid-way (its call cancelled) is rolled back before
//! the writer's next call, so a connection stays usable and no write joins a dead transaction.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Database, Sqlite, TransactionManager};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crate::{Error, Result};

type TransactionManagerOf = <Sqlite as Database>::TransactionManager;

/// A connection held by one call until the guard is dropped.
pub(super) type Held<'a> = MappedMutexGuard<'a, SqliteConnection>;

pub(super) struct Connections {
    writer: Slot,
    readers: Vec<Slot>,
    next_reader: AtomicUsize,
    closed: AtomicBool,
}

/// One connection, opened on first use.
struct Slot {
    connection: Mutex<Option<SqliteConnection>>,
    options: SqliteConnectOptions,
}

impl Slot {
    fn new(options: SqliteConnectOptions) -> Self {
        Self {
            connection: Mutex::new(None),
            options,
        }
    }

    async fn hold<'a>(
        &'a self,
        mut guard: MutexGuard<'a, Option<SqliteConnection>>,
    ) -> Result<Held<'a>> {
        if guard.is_none() {
            *guard = Some(self.options.connect().await?);
        }
        MutexGuard::try_map(guard, Option::as_mut)
            .map_err(|_| Error::Backend("an SQLite connection could not be opened".into()))
    }
}

impl Connections {
    /// The store's connections, each opened on first use (the writer by the migration that
    /// follows, so a file that cannot be opened fails there).
    pub(super) fn new(
        writer: SqliteConnectOptions,
        reader: SqliteConnectOptions,
        readers: u32,
    ) -> Self {
        Self {
            writer: Slot::new(writer),
            readers: (0..readers.max(1))
                .map(|_| Slot::new(reader.clone()))
                .collect(),
            next_reader: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// The write connection, once the call before has finished with it, outside any
    /// transaction.
    pub(super) async fn writer(&self) -> Result<Held<'_>> {
        self.check_open()?;
        let mut writer = self
            .writer
            .hold(self.writer.connection.lock().await)
            .await?;
        // A call cancelled inside sqlx's `begin_with`, after the BEGIN ran but before the
        // `Transaction` existed, leaves a transaction nobody will end: the next calls' writes
        // would join it, and be lost with it. (For a dropped `Transaction`, sqlx has queued a
        // rollback already; this one then finds nothing left to roll back.) Only a cancelled
        // call leaves a depth here, so the usual call pays nothing.
        if TransactionManagerOf::get_transaction_depth(&writer) > 0 {
            TransactionManagerOf::rollback(&mut writer).await?;
        }
        Ok(writer)
    }

    /// A read connection: a free one if there is one, else the next in turn.
    pub(super) async fn reader(&self) -> Result<Held<'_>> {
        self.check_open()?;
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let count = self.readers.len();
        for offset in 0..count {
            let slot = &self.readers[(start + offset) % count];
            if let Ok(guard) = slot.connection.try_lock() {
                return slot.hold(guard).await;
            }
        }
        let slot = &self.readers[start % count];
        slot.hold(slot.connection.lock().await).await
    }

    /// Closes every connection, each once its current call has finished. Later calls fail.
    pub(super) async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for slot in self.readers.iter().chain([&self.writer]) {
            if let Some(connection) = slot.connection.lock().await.take()
                && let Err(error) = connection.close().await
            {
                tracing::debug!(error = %error, "closing an SQLite connection failed");
            }
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::Backend("the SQLite store was closed".into()));
        }
        Ok(())
    }
}
