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
#[cfg(feature = "postgres")]
pub(crate) fn foreign_key_or(error: sqlx::Error, unknown: impl FnOnce() -> Error) -> Error {
    match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => unknown(),
        _ => Error::from(error),
    }
}

/// The latest migration a schema records, read with the backend's own connection.
pub(crate) const LATEST_APPLIED: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";

/// Refuses a schema behind the `latest` migration this version has, for stores opened
/// without migrating (migrations are then a deploy step). `applied` is the latest version the
/// schema records (none without a migration table at all).
pub(crate) fn require_migrated(latest: Option<i64>, applied: Option<i64>) -> crate::Result<()> {
    match (latest, applied) {
        (Some(latest), Some(applied)) if applied >= latest => Ok(()),
        (None, _) => Ok(()),
        (Some(latest), applied) => Err(Error::Migration(
            format!(
                "the schema is at migration {} but this version needs {latest}: run migrate() \
                 first (or open with migrations on)",
                applied.map_or_else(|| "none".to_owned(), |version| version.to_string())
            )
            .into(),
        )),
    }
}
