//! The one error type every [`LinkStore`](crate::LinkStore) call returns.

use crate::{ThreadId, UserId};

/// What went wrong in a link store call.
///
/// Backends map their driver's errors into [`Error::Backend`]; everything a caller can act on
/// has its own variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything was stored: an empty integration or id, a value
    /// over its size limit, a NUL byte, a malformed UUID.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument's name, e.g. `integration`.
        field: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// The user id was never created by this store (see
    /// [`user_identify`](crate::Links::user_identify)).
    #[error("unknown user {0}")]
    UnknownUser(UserId),

    /// The thread id was never created by this store (see
    /// [`thread_create`](crate::Links::thread_create)).
    #[error("unknown thread {0}")]
    UnknownThread(ThreadId),

    /// A delivery claim is no longer held by the caller: its lease expired and another worker
    /// claimed the delivery, or it was already completed or failed. The caller must not record
    /// an outcome for it.
    #[error("the claim on delivery {delivery_source}/{source_message_id} is no longer held")]
    ClaimLost {
        /// The delivery's source, e.g. `zendesk.support`.
        delivery_source: String,
        /// The message id at the source.
        source_message_id: String,
    },

    /// An inbox entry is no longer leased to the caller: its lease ran out and another worker
    /// took it, or it was already completed, retried or failed. The caller must not record an
    /// outcome for it.
    #[error("inbox entry {entry_id} is no longer leased to this worker")]
    LeaseLost {
        /// The entry's id.
        entry_id: i64,
    },

    /// A stored value could not be read back (e.g. a row written by an incompatible version).
    #[error("stored data could not be decoded: {0}")]
    Decode(String),

    /// The schema migrations could not be applied.
    #[error("link store migration failed")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The database failed: connection, I/O, constraint, timeout. Usually worth retrying.
    #[error("link store backend error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(feature = "postgres")]
impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error::Backend(Box::new(error))
    }
}

#[cfg(feature = "postgres")]
impl From<sqlx::migrate::MigrateError> for Error {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Error::Migration(Box::new(error))
    }
}

/// A value SQLite stored that does not decode as the column's type is the stored data's
/// fault ([`Error::Decode`]); anything else the database's ([`Error::Backend`]).
#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        match error {
            rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::Utf8Error(..) => Error::Decode(error.to_string()),
            error => Error::Backend(Box::new(error)),
        }
    }
}
