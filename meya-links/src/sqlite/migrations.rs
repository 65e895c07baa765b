//! The SQLite schema's migrations, recorded as sqlx records them.
//!
//! Earlier versions of this crate ran their SQLite migrations with sqlx, which keeps what it applied
//! in `_sqlx_migrations` (version, description, checksum = SHA-384 of the migration's text).
//! This runner keeps the same table, with the same meaning and the same checks, so that a file
//! made by an earlier version opens, and a file made by this one opens in an earlier one.
//! Unlike sqlx it applies every pending migration in one `BEGIN IMMEDIATE` transaction, so two
//! processes opening a new file at once cannot both apply one: the second waits (busy timeout)
//! and then finds nothing to do.

use std::time::Instant;

use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha384};

use crate::{Error, Result};

/// One migration: `migrations/sqlite/<version>_<description>.sql`.
struct Migration {
    version: i64,
    /// As sqlx names it: the file name's words after the version.
    description: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. A test checks that this matches the directory.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "links",
        sql: include_str!("../../migrations/sqlite/0001_links.sql"),
    },
    Migration {
        version: 2,
        description: "inbox",
        sql: include_str!("../../migrations/sqlite/0002_inbox.sql"),
    },
    Migration {
        version: 3,
        description: "inbox failed",
        sql: include_str!("../../migrations/sqlite/0003_inbox_failed.sql"),
    },
];

impl Migration {
    fn checksum(&self) -> Vec<u8> {
        Sha384::digest(self.sql.as_bytes()).to_vec()
    }
}

/// The table sqlx creates, as it creates it.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations ( \
    version BIGINT PRIMARY KEY, \
    description TEXT NOT NULL, \
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, \
    success BOOLEAN NOT NULL, \
    checksum BLOB NOT NULL, \
    execution_time BIGINT NOT NULL)";

/// Brings the schema up to date (see the module docs).
pub(super) fn migrate(connection: &Connection) -> Result<()> {
    connection
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(migration_error)?;
    match apply_pending(connection) {
        Ok(()) => connection.execute_batch("COMMIT").map_err(migration_error),
        Err(error) => {
            if let Err(rollback) = connection.execute_batch("ROLLBACK") {
                tracing::warn!(error = %rollback, "rolling back a failed migration failed");
            }
            Err(error)
        }
    }
}

fn apply_pending(connection: &Connection) -> Result<()> {
    connection
        .execute_batch(CREATE_TABLE)
        .map_err(migration_error)?;
    let applied = applied(connection)?;
    for migration in MIGRATIONS {
        match applied
            .iter()
            .find(|(version, _)| *version == migration.version)
        {
            Some((_, checksum)) if *checksum == migration.checksum() => {}
            Some(_) => {
                return Err(refused(format!(
                    "migration {} was applied but differs from this version's: the schema was \
                     made by another build of meya-links",
                    migration.version
                )));
            }
            None => {
                let started = Instant::now();
                connection
                    .execute_batch(migration.sql)
                    .map_err(migration_error)?;
                let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
                connection
                    .execute(
                        "INSERT INTO _sqlx_migrations \
                         (version, description, success, checksum, execution_time) \
                         VALUES (?1, ?2, TRUE, ?3, ?4)",
                        rusqlite::params![
                            migration.version,
                            migration.description,
                            migration.checksum(),
                            nanos
                        ],
                    )
                    .map_err(migration_error)?;
            }
        }
    }
    Ok(())
}

/// What the schema records as applied, refusing a migration left half done or one this
/// version does not know (the file was made by a newer version).
fn applied(connection: &Connection) -> Result<Vec<(i64, Vec<u8>)>> {
    let dirty: Option<i64> = connection
        .query_row(
            "SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(migration_error)?;
    if let Some(version) = dirty {
        return Err(refused(format!(
            "migration {version} was left partially applied: fix the schema by hand, then \
             delete its row from _sqlx_migrations"
        )));
    }
    let mut statement = connection
        .prepare("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
        .map_err(migration_error)?;
    let applied = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .and_then(Iterator::collect::<rusqlite::Result<Vec<(i64, Vec<u8>)>>>)
        .map_err(migration_error)?;
    if let Some((unknown, _)) = applied
        .iter()
        .find(|(version, _)| MIGRATIONS.iter().all(|known| known.version != *version))
    {
        return Err(refused(format!(
            "the schema has migration {unknown}, which this version does not know: it was made \
             by a newer meya-links"
        )));
    }
    Ok(applied)
}

/// Refuses a schema that is not up to date, for stores opened without migrating (migrations
/// are then a deploy step).
pub(super) fn require_migrated(connection: &Connection) -> Result<()> {
    let latest = MIGRATIONS.iter().map(|migration| migration.version).max();
    let applied: Option<i64> = connection
        .query_row(crate::sql::LATEST_APPLIED, [], |row| row.get(0))
        .ok()
        .flatten();
    crate::sql::require_migrated(latest, applied)
}

fn migration_error(error: rusqlite::Error) -> Error {
    Error::Migration(Box::new(error))
}

fn refused(reason: String) -> Error {
    Error::Migration(reason.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A migration file that is not in [`MIGRATIONS`] would never be applied.
    #[test]
    fn every_migration_file_is_listed_in_order_with_its_sqlx_description() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|migration| {
                format!(
                    "{:04}_{}.sql",
                    migration.version,
                    migration.description.replace(' ', "_")
                )
            })
            .collect();
        assert_eq!(files, listed);
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
    }

    #[test]
    fn a_new_file_is_migrated_once_and_a_changed_migration_is_refused() {
        let connection = Connection::open_in_memory().unwrap();
        migrate(&connection).unwrap();
        migrate(&connection).unwrap();
        let rows: i64 = connection
            .query_row(
                "SELECT count(*) FROM _sqlx_migrations WHERE success",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(rows, i64::try_from(MIGRATIONS.len()).unwrap());
        require_migrated(&connection).unwrap();

        connection
            .execute_batch("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 2")
            .unwrap();
        let error = migrate(&connection).unwrap_err();
        assert!(error_text(&error).contains("migration 2"), "{error:?}");

        connection
            .execute_batch(
                "UPDATE _sqlx_migrations SET checksum = x'00', success = false WHERE version = 3",
            )
            .unwrap();
        let error = migrate(&connection).unwrap_err();
        assert!(
            error_text(&error).contains("partially applied"),
            "{error:?}"
        );
    }

    #[test]
    fn a_schema_from_a_newer_version_is_refused() {
        let connection = Connection::open_in_memory().unwrap();
        migrate(&connection).unwrap();
        connection
            .execute_batch(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                 execution_time) VALUES (99, 'later', TRUE, x'00', 0)",
            )
            .unwrap();
        let error = migrate(&connection).unwrap_err();
        assert!(error_text(&error).contains("newer"), "{error:?}");
    }

    fn error_text(error: &Error) -> String {
        std::error::Error::source(error)
            .map(ToString::to_string)
            .unwrap_or_default()
    }
}
