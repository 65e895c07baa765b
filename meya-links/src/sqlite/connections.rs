//! The SQLite store's connections: the writer (see [`group_commit`](super::group_commit)) and
//! a few read-only readers, each used by one call at a time.
//!
//! They are kept here rather than in an sqlx pool: the pool checks every connection handed
//! back with a round trip to the connection's worker thread, which doubled the cost of each
//! call (the thread hand-offs, not SQLite, are what a statement costs). A local file needs no
//! liveness check.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use super::group_commit::{Writer, keeps_connection};
use crate::{Error, Result};

/// A read connection held by one call until dropped. Pass what a read answered through
/// [`settle`](Self::settle): a connection that failed (its worker thread gone, an I/O
/// error) is then replaced before its next use instead of failing every read it is given.
pub(crate) struct Held<'a> {
    connection: MappedMutexGuard<'a, SqliteConnection>,
    broken: &'a AtomicBool,
}

impl Held<'_> {
    /// `result` in this crate's error, noting whether the connection is still good.
    pub(crate) fn settle<T, E: Into<Error>>(&self, result: std::result::Result<T, E>) -> Result<T> {
        result.map_err(|error| {
            let error = error.into();
            if let Error::Backend(source) = &error
                && source
                    .downcast_ref::<sqlx::Error>()
                    .is_some_and(|error| !keeps_connection(error))
            {
                self.broken.store(true, Ordering::SeqCst);
            }
            error
        })
    }
}

impl Deref for Held<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.connection
    }
}

impl DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.connection
    }
}

pub(super) struct Connections {
    pub(super) writer: Writer,
    readers: Vec<Slot>,
    next_reader: AtomicUsize,
    closed: AtomicBool,
}

/// One connection, opened on first use, and again after it failed.
struct Slot {
    connection: Mutex<Option<SqliteConnection>>,
    options: SqliteConnectOptions,
    /// The connection failed its last call (see [`Held::settle`]).
    broken: AtomicBool,
}

impl Slot {
    fn new(options: SqliteConnectOptions) -> Self {
        Self {
            connection: Mutex::new(None),
            options,
            broken: AtomicBool::new(false),
        }
    }

    async fn hold<'a>(
        &'a self,
        mut guard: MutexGuard<'a, Option<SqliteConnection>>,
    ) -> Result<Held<'a>> {
        if self.broken.swap(false, Ordering::SeqCst)
            && let Some(broken) = guard.take()
        {
            tracing::warn!("replacing an SQLite read connection that failed");
            // Its worker may be gone: closing it may fail too, and that is fine.
            let _ = broken.close_hard().await;
        }
        if guard.is_none() {
            *guard = Some(self.options.connect().await?);
        }
        let connection = MutexGuard::try_map(guard, Option::as_mut)
            .map_err(|_| Error::Backend("an SQLite connection could not be opened".into()))?;
        Ok(Held {
            connection,
            broken: &self.broken,
        })
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn options(dir: &tempfile::TempDir) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(dir.path().join("links.db"))
            .create_if_missing(true)
    }

    async fn has_marker(held: &mut Held<'_>) -> bool {
        let found = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM temp.sqlite_master")
            .fetch_one(&mut **held)
            .await;
        held.settle(found).unwrap() > 0
    }

    #[tokio::test]
    async fn a_read_connection_that_failed_is_replaced_before_its_next_use() {
        let dir = tempfile::tempdir().unwrap();
        let slot = Slot::new(options(&dir));
        {
            let mut held = slot.hold(slot.connection.lock().await).await.unwrap();
            // A mark only this connection has.
            sqlx::query("CREATE TEMP TABLE marker (x)")
                .execute(&mut *held)
                .await
                .unwrap();
            assert!(has_marker(&mut held).await);
            // A statement's own error leaves the connection in place.
            let refused = sqlx::query("SELECT * FROM no_such_table")
                .execute(&mut *held)
                .await;
            assert!(held.settle(refused).is_err());
        }
        {
            let mut held = slot.hold(slot.connection.lock().await).await.unwrap();
            assert!(has_marker(&mut held).await, "the same connection");
            // What sqlx answers once the connection's worker thread is gone.
            let crashed: std::result::Result<(), sqlx::Error> = Err(sqlx::Error::WorkerCrashed);
            assert!(matches!(held.settle(crashed), Err(Error::Backend(_))));
        }
        let mut held = slot.hold(slot.connection.lock().await).await.unwrap();
        assert!(!has_marker(&mut held).await, "a new connection");
    }

    #[tokio::test]
    async fn a_read_only_refusal_does_not_keep_the_connection_but_a_statement_error_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = options(&dir).connect().await.unwrap();
        sqlx::query("CREATE TABLE t (x)")
            .execute(&mut writer)
            .await
            .unwrap();
        let mut reader = options(&dir).read_only(true).connect().await.unwrap();
        let read_only = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut reader)
            .await
            .unwrap_err();
        assert!(!keeps_connection(&read_only), "{read_only:?}");
        let missing = sqlx::query("SELECT * FROM nope")
            .execute(&mut reader)
            .await
            .unwrap_err();
        assert!(keeps_connection(&missing), "{missing:?}");
        assert!(!keeps_connection(&sqlx::Error::WorkerCrashed));
    }
}
