//! Group commit: every write of the SQLite store runs on its one write connection, owned by a
//! thread of its own, and the writes that queue up while a transaction commits share the next.
//!
//! SQLite has one writer per file, and a commit costs more than the statements before it (the
//! WAL append, the sync, the lock). Calls made while one commit is under way wait for it and
//! then commit together, so that the number of commits falls as the load rises. The writer is
//! a plain thread: a whole batch runs there with no hand-off per statement, and a caller pays
//! one hand-off there and one back, however many statements its write makes.
//!
//! A write is a closure over the connection, run inside the batch's transaction and answered
//! once the transaction has committed. When one write of a batch fails, the batch is rolled
//! back and each of its writes runs again in a transaction of its own, so that one caller's
//! error (an unknown thread, a lost lease) never undoes or fails another's write. A write may
//! therefore run twice, the first run undone: it must not act outside the database.
//!
//! A caller whose call is cancelled never cancels the batch it shares with others: its write
//! completes or fails as if it had waited.
//!
//! Writes never run on the calling task, not even where a commit does not wait for the disk
//! (`synchronous = NORMAL`): the SQLite work then takes the caller's runtime thread from the
//! tasks it runs, while the writer thread works beside them. Tried: on the unhandled bench's
//! single-threaded client, running a write inline when the connection was free gave 0.17x of
//! the floor at `NORMAL` against 0.25x with the hand-off (`cargo bench -p zendesk-sunco-bridge --bench
//! unhandled`, separate runs).

use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::connections::{ConnectOptions, keeps_connection, sqlite_cause};
use crate::{Error, Result};

/// The most writes one transaction takes; more wait for the next.
const MAX_BATCH: usize = 256;

/// The store's side of the writer thread.
pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread, which opens the connection on first use. The thread ends
    /// when the store is closed or dropped.
    pub(super) fn start(options: ConnectOptions) -> Result<Self> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("meya-links-sqlite-writer".into())
            .spawn(move || run(&options, &queue))
            .map_err(|error| {
                Error::Backend(format!("the SQLite writer thread did not start: {error}").into())
            })?;
        Ok(Self { jobs })
    }

    /// Runs `write` in the next group transaction, answering once it committed.
    pub(super) async fn write<T, F>(&self, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
    {
        self.submit(write, Mode::Grouped).await
    }

    /// Runs `write` alone, outside any transaction of ours (for migrations, which manage
    /// their own), after the writes queued before it.
    pub(super) async fn write_alone<T, F>(&self, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
    {
        self.submit(write, Mode::Alone).await
    }

    /// Closes the connection once the writes queued before have run; later writes fail.
    pub(super) async fn close(&self) {
        let (reply, closed) = oneshot::channel();
        if self.jobs.send(Box::new(Close(Some(reply)))).is_ok() {
            let _ = closed.await;
        }
    }

    async fn submit<T, F>(&self, write: F, mode: Mode) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Pending {
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
    Error::Backend("the SQLite store's writer has stopped: the store was closed".into())
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
    fn run(&mut self, connection: &Connection) -> Ran;
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

struct Pending<T, F> {
    write: F,
    mode: Mode,
    outcome: Option<Result<T>>,
    reply: Option<oneshot::Sender<Result<T>>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send + 'static,
    F: FnMut(&Connection) -> Result<T> + Send + 'static,
{
    fn mode(&self) -> Mode {
        self.mode
    }

    fn run(&mut self, connection: &Connection) -> Ran {
        let outcome = (self.write)(connection);
        let ran = match &outcome {
            Ok(_) => Ran::Succeeded,
            // A backend error leaves the connection untrusted, unless SQLite reported it and
            // the connection survives it (a constraint, a busy file).
            Err(error @ Error::Backend(_))
                if !sqlite_cause(error).is_some_and(keeps_connection) =>
            {
                Ran::FailedConnection
            }
            Err(_) => Ran::Failed,
        };
        self.outcome = Some(outcome);
        ran
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

    fn run(&mut self, _: &Connection) -> Ran {
        Ran::Succeeded
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

/// The writer thread: takes what has queued, runs it, and so on until the store is dropped or
/// closed.
fn run(options: &ConnectOptions, queue: &mpsc::Receiver<Box<dyn Job>>) {
    let mut connection: Option<Connection> = None;
    let mut waiting: Option<Box<dyn Job>> = None;
    loop {
        // A job held back from the last batch goes first, before anything new is awaited.
        let first = match waiting.take() {
            Some(job) => job,
            None => match queue.recv() {
                Ok(job) => job,
                Err(mpsc::RecvError) => break,
            },
        };
        match first.mode() {
            Mode::Close => {
                // Dropping the connection closes it (and checkpoints the WAL if it is the
                // file's last).
                drop(connection.take());
                first.answer();
                // Writes queued behind the close fail: the store is closed.
                while let Ok(job) = queue.try_recv() {
                    job.fail(stopped());
                }
                break;
            }
            Mode::Alone => {
                let open = match connect(&mut connection, options) {
                    Ok(open) => open,
                    Err(error) => {
                        first.fail(error);
                        continue;
                    }
                };
                let mut job = first;
                if job.run(open) == Ran::FailedConnection {
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
                match connect(&mut connection, options) {
                    Ok(open) => {
                        if !commit_batch(open, batch) {
                            // The connection is not to be trusted (the file read-only, an
                            // I/O error): the next write opens a new one.
                            connection = None;
                        }
                    }
                    Err(error) => {
                        let reason = error.to_string();
                        for job in batch {
                            job.fail(Error::Backend(reason.clone().into()));
                        }
                    }
                }
            }
        }
    }
}

/// The write connection, opened if needed, outside any transaction.
fn connect<'c>(
    connection: &'c mut Option<Connection>,
    options: &ConnectOptions,
) -> Result<&'c mut Connection> {
    if let Some(open) = connection.as_ref()
        && !open.is_autocommit()
        && rollback(open).is_err()
    {
        *connection = None;
    }
    match connection {
        Some(open) => Ok(open),
        None => match options.open_writer() {
            Ok(open) => Ok(connection.insert(open)),
            Err(error) => {
                tracing::warn!(error = %error, "could not open the SQLite write connection");
                Err(Error::Backend(
                    format!(
                        "the SQLite file {} could not be opened for writing: {error}",
                        options.path.display()
                    )
                    .into(),
                ))
            }
        },
    }
}

/// Runs a batch in one transaction and answers each write; when a write fails, runs each
/// alone instead. Answers whether the connection is still usable.
fn commit_batch(connection: &Connection, mut batch: Vec<Box<dyn Job>>) -> bool {
    match run_in_transaction(connection, &mut batch) {
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
        let broken = match run_in_transaction(connection, std::slice::from_mut(&mut job)) {
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

/// How a transaction of writes ended (when it could begin and end at all).
enum Transaction {
    /// Every write succeeded and the transaction committed.
    Committed,
    /// The write at `failed` did not (`ran` says how), so the transaction was rolled back and
    /// the writes after it did not run.
    RolledBack { failed: usize, ran: Ran },
}

/// Runs the writes in one transaction; `Err` when the transaction itself failed to begin,
/// roll back or commit (and then it is not left open).
fn run_in_transaction(
    connection: &Connection,
    batch: &mut [Box<dyn Job>],
) -> rusqlite::Result<Transaction> {
    connection.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    for (index, job) in batch.iter_mut().enumerate() {
        let ran = job.run(connection);
        if ran != Ran::Succeeded {
            rollback(connection)?;
            return Ok(Transaction::RolledBack { failed: index, ran });
        }
    }
    if let Err(error) = connection
        .prepare_cached("COMMIT")
        .and_then(|mut commit| commit.execute([]))
    {
        // A commit that failed (a full disk) may leave the transaction open.
        if !connection.is_autocommit() {
            rollback(connection)?;
        }
        return Err(error);
    }
    Ok(Transaction::Committed)
}

fn rollback(connection: &Connection) -> rusqlite::Result<()> {
    connection.prepare_cached("ROLLBACK")?.execute([])?;
    Ok(())
}

/// What the writes undone with a write that broke the connection answer.
fn connection_failed() -> Error {
    Error::Backend(
        "the SQLite write was undone: another write in its transaction found the file \
         unwritable (read-only, or an I/O error), and the connection is being replaced"
            .into(),
    )
}

fn uncommitted(error: &rusqlite::Error) -> Error {
    Error::Backend(format!("the SQLite write could not be committed: {error}").into())
}
