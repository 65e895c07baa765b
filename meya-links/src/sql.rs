//! What the SQL backends share: naming the unknown id a link refers to, and telling a
//! foreign key violation (an unknown user or thread) from other database errors.

use uuid::Uuid;

use crate::{Error, ThreadId, UserId};

/// Which internal id a link statement is about.
#[derive(Clone, Copy)]
pub(crate) enum LinkKind {
    User,
    Thread,
}

impl LinkKind {
    /// The error for a link to an id the store never created.
    pub(crate) fn unknown(self, id: Uuid) -> Error {
        match self {
            LinkKind::User => Error::UnknownUser(UserId::from_uuid(id)),
            LinkKind::Thread => Error::UnknownThread(ThreadId::from_uuid(id)),
        }
    }
}

/// Maps a foreign key violation to the caller's error, anything else to a backend error.
pub(crate) fn foreign_key_or(error: sqlx::Error, unknown: impl FnOnce() -> Error) -> Error {
    match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => unknown(),
        _ => Error::from(error),
    }
}
