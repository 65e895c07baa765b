//! The SQLite store's connections: the writer (see [`group_commit`](super::group_commit)) and
//! a few read-only readers, each used by one call at a time.
//!
//! They are kept here rather than in an sqlx pool: the pool checks every connection handed
//! back with a round trip to the connection's worker thread, which doubled the cost of each
//! call (the thread hand-offs, not SQLite, are what a statement costs). A local file needs no
//! liveness check.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use super::group_commit::Writer;
use crate::{Error, Result};

/// A connection held by one call until the guard is dropped.
pub(super) type Held<'a> = MappedMutexGuard<'a, SqliteConnection>;

pub(super) struct Connections {
    pub(super) writer: Writer,
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
    /// follows, so a file that cannot be opened fails there). The writer's task runs on the
    /// current runtime.
    pub(super) fn new(
        writer: SqliteConnectOptions,
        reader: SqliteConnectOptions,
        readers: u32,
    ) -> Self {
        Self {
            writer: Writer::start(writer),
            readers: (0..readers.max(1))
                .map(|_| Slot::new(reader.clone()))
                .collect(),
            next_reader: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
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
        self.writer.close().await;
        for slot in &self.readers {
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
