//! Group commit: every write of the SQLite store runs on its one write connection, and the
//! writes that queue up while a transaction commits share the next one.
//!
//! SQLite has one writer per file, and a commit costs more than the statements before it (the
//! WAL append, the lock, the thread hand-offs). One commit per call capped a process at a few
//! hundred cold tickets a second; calls made while one commit is under way now wait for it and
//! then commit together, so that the number of commits falls as the load rises.
//!
//! A write is a closure over the connection, run inside the batch's transaction and answered
//! once the transaction has committed. When one write of a batch fails, the batch is rolled
//! back and each of its writes runs again in a transaction of its own, so that one caller's
//! error (an unknown thread, a lost lease) never undoes or fails another's write. A write may
//! therefore run twice, the first run undone: it must not act outside the database.
//!
//! The writes run in a task of their own, so that a caller whose call is cancelled never
//! cancels the batch it shares with others: its write completes or fails as if it had waited.

use std::future::Future;
use std::pin::Pin;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Database, Sqlite, TransactionManager};
use tokio::sync::{mpsc, oneshot};

use crate::{Error, Result};

type TransactionManagerOf = <Sqlite as Database>::TransactionManager;

/// What a write closure returns: a future borrowing the connection and the write's data.
pub(crate) type WriteFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A write: a closure over its data and the write connection (see the module docs).
pub(crate) trait WriteFn<D, T>:
    for<'a> Fn(&'a D, &'a mut SqliteConnection) -> WriteFuture<'a, T> + Send + Sync + 'static
{
}

impl<D, T, F> WriteFn<D, T> for F where
    F: for<'a> Fn(&'a D, &'a mut SqliteConnection) -> WriteFuture<'a, T> + Send + Sync + 'static
{
}

/// The most writes one transaction takes; more wait for the next.
const MAX_BATCH: usize = 256;

/// The store's side of the writer task.
pub(super) struct Writer {
    jobs: mpsc::UnboundedSender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer task on the current runtime, opening the connection on first use.
    pub(super) fn start(options: SqliteConnectOptions) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(options, queue));
        Self { jobs }
    }

    /// Runs `write` over `data` in the next group transaction, answering once it committed.
    pub(super) async fn write<D, T, F>(&self, data: D, write: F) -> Result<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: WriteFn<D, T>,
    {
        self.submit(data, write, Mode::Grouped).await
    }

    /// Runs `write` alone, outside any transaction of ours (for migrations, which manage
    /// their own), after the writes queued before it.
    pub(super) async fn write_alone<D, T, F>(&self, data: D, write: F) -> Result<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: WriteFn<D, T>,
    {
        self.submit(data, write, Mode::Alone).await
    }

    /// Closes the connection once the writes queued before have run; later writes fail.
    pub(super) async fn close(&self) {
        let (reply, closed) = oneshot::channel();
        if self.jobs.send(Box::new(Close(Some(reply)))).is_ok() {
            let _ = closed.await;
        }
    }

    async fn submit<D, T, F>(&self, data: D, write: F, mode: Mode) -> Result<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: WriteFn<D, T>,
    {
        let (reply, answer) = oneshot::channel();
        let job = Pending {
            data,
            write,
            mode,
            outcome: None,
            reply: Some(reply),
        };
        self.jobs.send(Box::new(job)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::Backend(
        "the SQLite store's writer has stopped: the store was closed, or the runtime it was \
         opened on has shut down"
            .into(),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Grouped,
    Alone,
    Close,
}

/// One queued write, its outcome kept until its transaction has ended.
trait Job: Send {
    fn mode(&self) -> Mode;
    /// Runs the write; answers how it went.
    fn run<'c>(
        &'c mut self,
        connection: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Ran> + Send + 'c>>;
    /// Answers the caller with the write's outcome (its transaction committed, or it failed).
    fn answer(self: Box<Self>);
    /// Answers the caller with an error: the transaction did not commit.
    fn fail(self: Box<Self>, error: Error);
}

/// How a write went.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ran {
    Succeeded,
    /// It failed; the connection is still good.
    Failed,
    /// It failed in a way that leaves the connection untrusted (see [`keeps_connection`]).
    FailedConnection,
}

struct Pending<D, T, F> {
    data: D,
    write: F,
    mode: Mode,
    outcome: Option<Result<T>>,
    reply: Option<oneshot::Sender<Result<T>>>,
}

impl<D, T, F> Job for Pending<D, T, F>
where
    D: Send + Sync + 'static,
    T: Send + 'static,
    F: WriteFn<D, T>,
{
    fn mode(&self) -> Mode {
        self.mode
    }

    fn run<'c>(
        &'c mut self,
        connection: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Ran> + Send + 'c>> {
        Box::pin(async move {
            let outcome = (self.write)(&self.data, connection).await;
            let ran = match &outcome {
                Ok(_) => Ran::Succeeded,
                Err(Error::Backend(source)) => match source.downcast_ref::<sqlx::Error>() {
                    Some(error) if !keeps_connection(error) => Ran::FailedConnection,
                    _ => Ran::Failed,
                },
                Err(_) => Ran::Failed,
            };
            self.outcome = Some(outcome);
            ran
        })
    }

    fn answer(mut self: Box<Self>) {
        let outcome = self
            .outcome
            .take()
            .unwrap_or_else(|| Err(Error::Backend("an SQLite write did not run".into())));
        if let Some(reply) = self.reply.take() {
            // A caller that stopped waiting (cancelled) no longer needs the answer.
            let _ = reply.send(outcome);
        }
    }

    fn fail(mut self: Box<Self>, error: Error) {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Err(error));
        }
    }
}

/// The request to close the connection.
struct Close(Option<oneshot::Sender<()>>);

impl Job for Close {
    fn mode(&self) -> Mode {
        Mode::Close
    }

    fn run<'c>(
        &'c mut self,
        _: &'c mut SqliteConnection,
    ) -> Pin<Box<dyn Future<Output = Ran> + Send + 'c>> {
        Box::pin(async { Ran::Succeeded })
    }

    fn answer(mut self: Box<Self>) {
        if let Some(reply) = self.0.take() {
            let _ = reply.send(());
        }
    }

    fn fail(self: Box<Self>, _: Error) {
        self.answer();
    }
}

/// The writer task: takes what has queued, runs it, and so on until the store is dropped or
/// closed.
async fn run(options: SqliteConnectOptions, mut queue: mpsc::UnboundedReceiver<Box<dyn Job>>) {
    let mut connection: Option<SqliteConnection> = None;
    let mut waiting: Option<Box<dyn Job>> = None;
    loop {
        // A job held back from the last batch goes first, before anything new is awaited.
        let first = match waiting.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => break,
            },
        };
        match first.mode() {
            Mode::Close => {
                if let Some(open) = connection.take()
                    && let Err(error) = open.close().await
                {
                    tracing::debug!(error = %error, "closing the SQLite write connection failed");
                }
                queue.close();
                first.answer();
                // Writes queued behind the close fail: the store is closed.
                while let Ok(job) = queue.try_recv() {
                    job.fail(stopped());
                }
                break;
            }
            Mode::Alone => {
                let Some(open) = connect(&mut connection, &options).await else {
                    first.fail(not_opened(&options));
                    continue;
                };
                let mut job = first;
                if job.run(open).await == Ran::FailedConnection {
                    connection = None;
                }
                job.answer();
            }
            Mode::Grouped => {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(job) if job.mode() == Mode::Grouped => batch.push(job),
                        Ok(job) => {
                            waiting = Some(job);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                match connect(&mut connection, &options).await {
                    Some(open) => {
                        if !commit_batch(open, batch).await {
                            // The connection may be broken (its worker gone, the file
                            // replaced): the next write opens a new one.
                            connection = None;
                        }
                    }
                    None => {
                        for job in batch {
                            job.fail(not_opened(&options));
                        }
                    }
                }
            }
        }
    }
}

fn not_opened(options: &SqliteConnectOptions) -> Error {
    Error::Backend(
        format!(
            "the SQLite file {} could not be opened for writing",
            options.get_filename().display()
        )
        .into(),
    )
}

/// The write connection, opened if needed, outside any transaction.
async fn connect<'c>(
    connection: &'c mut Option<SqliteConnection>,
    options: &SqliteConnectOptions,
) -> Option<&'c mut SqliteConnection> {
    if let Some(open) = connection.as_mut()
        && TransactionManagerOf::get_transaction_depth(open) > 0
        && TransactionManagerOf::rollback(open).await.is_err()
    {
        *connection = None;
    }
    if connection.is_none() {
        match options.connect().await {
            Ok(open) => *connection = Some(open),
            Err(error) => {
                tracing::warn!(error = %error, "could not open the SQLite write connection");
                return None;
            }
        }
    }
    connection.as_mut()
}

/// Runs a batch in one transaction and answers each write; when a write fails, runs each
/// alone instead. Answers whether the connection is still usable.
async fn commit_batch(connection: &mut SqliteConnection, mut batch: Vec<Box<dyn Job>>) -> bool {
    match run_in_transaction(connection, &mut batch).await {
        Ok(Transaction::Committed) => {
            for job in batch {
                job.answer();
            }
            return true;
        }
        // Its own error, already kept: nothing else was undone with it.
        Ok(Transaction::RolledBack { ran, .. }) if batch.len() == 1 => {
            for job in batch {
                job.answer();
            }
            return ran != Ran::FailedConnection;
        }
        // The connection is not to be trusted: the failed write answers its own error, the
        // others (undone with it) that they were not stored.
        Ok(Transaction::RolledBack {
            ran: Ran::FailedConnection,
            failed,
        }) => {
            for (index, job) in batch.into_iter().enumerate() {
                if index == failed {
                    job.answer();
                } else {
                    job.fail(connection_failed());
                }
            }
            return false;
        }
        Ok(Transaction::RolledBack { .. }) => {}
        // The transaction could not begin or commit (the file busy past the timeout, the disk
        // full, the connection gone): no write of the batch is stored, and one by one they
        // would meet the same cause.
        Err(error) => {
            for job in batch {
                job.fail(uncommitted(&error));
            }
            return keeps_connection(&error);
        }
    }
    let mut jobs = batch.into_iter();
    while let Some(mut job) = jobs.next() {
        let broken = match run_in_transaction(connection, std::slice::from_mut(&mut job)).await {
            Ok(Transaction::Committed) => {
                job.answer();
                false
            }
            Ok(Transaction::RolledBack { ran, .. }) => {
                job.answer();
                ran == Ran::FailedConnection
            }
            Err(error) => {
                job.fail(uncommitted(&error));
                !keeps_connection(&error)
            }
        };
        if broken {
            for job in jobs {
                job.fail(connection_failed());
            }
            return false;
        }
    }
    true
}

/// Whether the write connection is still good after `error`: SQLite reported it (a
/// constraint, a busy file, a full disk), rather than the connection failing. A connection
/// that met a read-only file or an I/O error keeps refusing writes after the cause is gone
/// (SQLite remembers it), so it is replaced too.
pub(super) fn keeps_connection(error: &sqlx::Error) -> bool {
    /// SQLite's primary result codes after which a connection is not trusted again.
    const READONLY: i64 = 8;
    const IOERR: i64 = 10;
    const CANTOPEN: i64 = 14;
    const NOTADB: i64 = 26;
    match error {
        sqlx::Error::Database(database) => {
            let primary = database
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                .map(|code| code & 0xff);
            !matches!(primary, Some(READONLY | IOERR | CANTOPEN | NOTADB))
        }
        _ => false,
    }
}

/// How a transaction of writes ended (when it could begin and end at all).
enum Transaction {
    /// Every write succeeded and the transaction committed.
    Committed,
    /// The write at `failed` did not (`ran` says how), so the transaction was rolled back and
    /// the writes after it did not run.
    RolledBack { failed: usize, ran: Ran },
}

/// Runs the writes in one transaction; `Err` when the transaction itself failed to begin,
/// roll back or commit.
async fn run_in_transaction(
    connection: &mut SqliteConnection,
    batch: &mut [Box<dyn Job>],
) -> std::result::Result<Transaction, sqlx::Error> {
    let mut tx = connection.begin_with("BEGIN IMMEDIATE").await?;
    for (index, job) in batch.iter_mut().enumerate() {
        let ran = job.run(&mut tx).await;
        if ran != Ran::Succeeded {
            tx.rollback().await?;
            return Ok(Transaction::RolledBack { failed: index, ran });
        }
    }
    tx.commit().await?;
    Ok(Transaction::Committed)
}

/// What the writes undone with a write that broke the connection answer.
fn connection_failed() -> Error {
    Error::Backend(
        "the SQLite write was undone: another write in its transaction found the file \
         unwritable (read-only, or an I/O error), and the connection is being replaced"
            .into(),
    )
}

fn uncommitted(error: &sqlx::Error) -> Error {
    Error::Backend(format!("the SQLite write could not be committed: {error}").into())
}
