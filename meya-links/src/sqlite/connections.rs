//! The SQLite store's connections: the writer (see [`group_commit`](super::group_commit)) and
//! a few read-only readers.
//!
//! A read runs on the calling task, on a reader it holds for the length of one statement or
//! two: the reads are index lookups that take microseconds, and WAL readers never wait for the
//! writer. Handing each read to another thread cost more than the read itself (the thread
//! hand-offs were most of what a statement cost with a driver that works that way). A reader
//! therefore has no busy timeout: in the rare case SQLite asks it to wait (another process
//! recovering the file after a crash), the read is retried on a blocking thread with the
//! store's busy timeout, so no runtime thread ever sleeps on a lock.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, ffi};

use super::SqliteSynchronous;
use super::group_commit::Writer;
use crate::{Error, Result};

/// Statements each connection keeps prepared: every statement the store runs, with room.
const PREPARED_STATEMENTS: usize = 64;

/// How every connection of one store is opened.
#[derive(Debug, Clone)]
pub(super) struct ConnectOptions {
    pub(super) path: PathBuf,
    pub(super) synchronous: SqliteSynchronous,
    pub(super) busy_timeout: Duration,
}

impl ConnectOptions {
    /// The write connection: creates the file, WAL journal, foreign keys enforced.
    pub(super) fn open_writer(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(self.busy_timeout)?;
        connection.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
        let mode: String =
            connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(rusqlite::Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_CANTOPEN),
                Some(format!(
                    "the SQLite file stays in journal mode {mode:?}: the store needs WAL"
                )),
            ));
        }
        let synchronous = match self.synchronous {
            SqliteSynchronous::Normal => "NORMAL",
            SqliteSynchronous::Full => "FULL",
        };
        connection.pragma_update(None, "synchronous", synchronous)?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        Ok(connection)
    }

    /// A read connection: read-only, no busy timeout (see the module docs).
    fn open_reader(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::ZERO)?;
        connection.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
        Ok(connection)
    }
}

/// Whether a connection is still good after `error`: SQLite reported it (a constraint, a busy
/// file, a full disk, a statement that does not fit the schema), rather than the connection
/// failing. A connection that met a read-only file or an I/O error keeps refusing after the
/// cause is gone (SQLite remembers it), so it is replaced, as after anything not from SQLite.
pub(super) fn keeps_connection(error: &rusqlite::Error) -> bool {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => !matches!(
            failure.code,
            ErrorCode::ReadOnly
                | ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen
                | ErrorCode::NotADatabase
                | ErrorCode::DatabaseCorrupt
        ),
        // Errors of a statement or of decoding its rows: the connection is fine.
        rusqlite::Error::QueryReturnedNoRows
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::InvalidColumnIndex(_)
        | rusqlite::Error::InvalidColumnName(_)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidParameterCount(..)
        | rusqlite::Error::InvalidParameterName(_)
        | rusqlite::Error::ToSqlConversionFailure(_)
        | rusqlite::Error::Utf8Error(..)
        | rusqlite::Error::ExecuteReturnedResults
        | rusqlite::Error::MultipleStatement => true,
        _ => false,
    }
}

/// The SQLite error behind a store error, when that is what it is.
pub(super) fn sqlite_cause(error: &Error) -> Option<&rusqlite::Error> {
    match error {
        Error::Backend(source) => source.downcast_ref(),
        _ => None,
    }
}

/// SQLite asked to wait for another connection holding the file.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// The store's connections.
pub(super) struct Connections {
    pub(super) writer: Writer,
    readers: Arc<Readers>,
    closed: AtomicBool,
}

impl Connections {
    /// The store's connections, each opened on first use (the writer by the migration that
    /// follows, so a file that cannot be opened fails there).
    pub(super) fn new(options: ConnectOptions, readers: u32) -> Result<Self> {
        Ok(Self {
            writer: Writer::start(options.clone())?,
            readers: Arc::new(Readers {
                slots: (0..readers.max(1)).map(|_| Slot::default()).collect(),
                next: AtomicUsize::new(0),
                options,
            }),
            closed: AtomicBool::new(false),
        })
    }

    /// Runs `read` on a read connection (see the module docs). `read` may run twice: once
    /// here, and again on a blocking thread when SQLite asked the first run to wait.
    pub(super) async fn read<T, F>(&self, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T> + Send + 'static,
    {
        self.check_open()?;
        match self.readers.read_now(&read) {
            Err(error) if sqlite_cause(&error).is_some_and(is_busy) => {
                let readers = Arc::clone(&self.readers);
                let waited = tokio::task::spawn_blocking(move || readers.read_waiting(&read))
                    .await
                    .map_err(|error| {
                        Error::Backend(format!("an SQLite read did not finish: {error}").into())
                    })?;
                self.check_open()?;
                waited
            }
            done => done,
        }
    }

    /// Closes every connection, each once its current call has finished. Later calls fail.
    pub(super) async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.writer.close().await;
        for slot in &self.readers.slots {
            slot.lock().take();
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::Backend("the SQLite store was closed".into()));
        }
        Ok(())
    }
}

/// The read connections.
struct Readers {
    slots: Vec<Slot>,
    next: AtomicUsize,
    options: ConnectOptions,
}

impl Readers {
    /// A read connection: a free one if there is one, else the next in turn (held by another
    /// read for microseconds).
    fn hold(&self) -> MutexGuard<'_, Option<Connection>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.slots.len();
        for offset in 0..count {
            if let Ok(guard) = self.slots[(start + offset) % count].0.try_lock() {
                return guard;
            }
        }
        self.slots[start % count].lock()
    }

    /// Runs `read` at once, on this thread.
    fn read_now<T>(&self, read: &impl Fn(&Connection) -> Result<T>) -> Result<T> {
        run_on(&mut self.hold(), &self.options, read)
    }

    /// Runs `read` waiting up to the busy timeout for the file: on a blocking thread only.
    fn read_waiting<T>(&self, read: &impl Fn(&Connection) -> Result<T>) -> Result<T> {
        let mut held = self.hold();
        let timeout = self.options.busy_timeout;
        run_on(&mut held, &self.options, &|connection: &Connection| {
            connection.busy_timeout(timeout)?;
            let done = read(connection);
            connection.busy_timeout(Duration::ZERO)?;
            done
        })
    }
}

/// Runs `read` on the held connection, opening it first if needed, and drops it if the read
/// found it broken (see [`keeps_connection`]), so that the next read opens a new one.
fn run_on<T>(
    held: &mut Option<Connection>,
    options: &ConnectOptions,
    read: &impl Fn(&Connection) -> Result<T>,
) -> Result<T> {
    let connection = match held {
        Some(connection) => connection,
        None => held.insert(options.open_reader()?),
    };
    let done = read(connection);
    if let Err(error) = &done
        && sqlite_cause(error).is_some_and(|error| !keeps_connection(error))
    {
        tracing::warn!("replacing an SQLite read connection that failed");
        *held = None;
    }
    done
}

/// One read connection, opened on first use, and again after it failed.
#[derive(Default)]
struct Slot(Mutex<Option<Connection>>);

impl Slot {
    /// The connection; a read that panicked while holding it leaves nothing half done (reads
    /// change nothing), so a poisoned lock is taken as it is.
    fn lock(&self) -> MutexGuard<'_, Option<Connection>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn options(dir: &tempfile::TempDir) -> ConnectOptions {
        ConnectOptions {
            path: dir.path().join("links.db"),
            synchronous: SqliteSynchronous::Full,
            busy_timeout: Duration::from_millis(100),
        }
    }

    fn has_marker(connection: &Connection) -> Result<bool> {
        let count: i64 =
            connection.query_row("SELECT count(*) FROM temp.sqlite_master", [], |row| {
                row.get(0)
            })?;
        Ok(count > 0)
    }

    #[test]
    fn a_read_connection_that_failed_is_replaced_before_its_next_use() {
        let dir = tempfile::tempdir().unwrap();
        let options = options(&dir);
        let _writer = options.open_writer().unwrap();
        let mut held = None;
        // A mark only this connection has (a temp table is the connection's own).
        run_on(&mut held, &options, &|connection: &Connection| {
            connection.execute_batch("CREATE TEMP TABLE marker (x)")?;
            Ok(())
        })
        .unwrap();
        // A statement's own error leaves the connection in place.
        let refused = run_on(&mut held, &options, &|connection: &Connection| {
            connection.execute_batch("SELECT * FROM no_such_table")?;
            Ok(())
        });
        assert!(matches!(refused, Err(Error::Backend(_))), "{refused:?}");
        assert!(
            run_on(&mut held, &options, &has_marker).unwrap(),
            "same one"
        );
        // What SQLite answers once the file cannot be read: the connection is not kept.
        let failed = run_on(&mut held, &options, &|_: &Connection| -> Result<()> {
            Err(rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_IOERR), None).into())
        });
        assert!(matches!(failed, Err(Error::Backend(_))), "{failed:?}");
        assert!(held.is_none());
        assert!(
            !run_on(&mut held, &options, &has_marker).unwrap(),
            "a new one"
        );
    }

    #[test]
    fn a_read_only_refusal_does_not_keep_the_connection_but_a_statement_error_does() {
        let dir = tempfile::tempdir().unwrap();
        let options = options(&dir);
        let writer = options.open_writer().unwrap();
        writer.execute_batch("CREATE TABLE t (x)").unwrap();
        let reader = options.open_reader().unwrap();
        let read_only = reader.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
        assert!(!keeps_connection(&read_only), "{read_only:?}");
        let missing = reader.execute_batch("SELECT * FROM nope").unwrap_err();
        assert!(keeps_connection(&missing), "{missing:?}");
    }

    #[tokio::test]
    async fn a_read_that_must_wait_for_the_file_waits_off_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let options = options(&dir);
        options
            .open_writer()
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
            .unwrap();
        let connections = Connections::new(options.clone(), 1).unwrap();
        // An exclusive lock blocks even WAL readers, as recovery after a crash does.
        let blocker = options.open_writer().unwrap();
        blocker
            .execute_batch(
                "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO t VALUES (2)",
            )
            .unwrap();
        let count = |connection: &Connection| -> Result<i64> {
            Ok(connection.query_row("SELECT count(*) FROM t", [], |row| row.get(0))?)
        };
        let busy = connections.readers.read_now(&count);
        assert!(
            matches!(&busy, Err(error) if sqlite_cause(error).is_some_and(is_busy)),
            "{busy:?}"
        );
        // The lock ends while (or before) the read waits for it: the read succeeds either way.
        let release = tokio::task::spawn_blocking(move || {
            blocker.execute_batch("COMMIT").unwrap();
            drop(blocker);
        });
        let (read, released) = tokio::join!(connections.read(count), release);
        released.unwrap();
        assert_eq!(read.unwrap(), 2);
    }
}
