//! The sites of this crate's own backends: memory, a SQLite file, a PostgreSQL schema.

use super::*;

/// A [`MemoryStore`] site: every handle is a clone sharing the same data.
#[derive(Debug)]
pub struct MemorySite {
    store: MemoryStore,
    clock: ManualClock,
}

impl MemorySite {
    /// A site with an empty store.
    pub fn new() -> Self {
        let clock = ManualClock::starting_now();
        Self {
            store: MemoryStore::with_clock(clock.clone()),
            clock,
        }
    }
}

impl Default for MemorySite {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl StoreSite for MemorySite {
    async fn open(&self) -> Arc<dyn LinkStore> {
        Arc::new(self.store.clone())
    }

    fn clock(&self) -> &ManualClock {
        &self.clock
    }
}

/// A [`SqliteStore`](crate::SqliteStore) site: a database file in a temporary directory that
/// is removed when the site is dropped.
#[cfg(feature = "sqlite")]
#[derive(Debug)]
pub struct SqliteSite {
    dir: tempfile::TempDir,
    clock: ManualClock,
    synchronous: crate::SqliteSynchronous,
}

#[cfg(feature = "sqlite")]
impl SqliteSite {
    /// A site in a new temporary directory.
    ///
    /// # Panics
    /// When no temporary directory can be created: this is test code.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        Self {
            dir,
            clock: ManualClock::starting_now(),
            synchronous: crate::SqliteSynchronous::default(),
        }
    }

    /// A site whose stores open at `synchronous`.
    ///
    /// # Panics
    /// As [`new`](Self::new).
    pub fn with_synchronous(synchronous: crate::SqliteSynchronous) -> Self {
        Self {
            synchronous,
            ..Self::new()
        }
    }

    /// The database file's path.
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("links.db")
    }
}

#[cfg(feature = "sqlite")]
impl Default for SqliteSite {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "sqlite")]
#[async_trait]
impl StoreSite for SqliteSite {
    #[allow(clippy::expect_used)]
    async fn open(&self) -> Arc<dyn LinkStore> {
        let options = crate::SqliteOptions::default()
            .clock(self.clock.clone())
            .synchronous(self.synchronous);
        let store = crate::SqliteStore::open_with(self.path(), options)
            .await
            .expect("open the SQLite store");
        Arc::new(store)
    }

    fn clock(&self) -> &ManualClock {
        &self.clock
    }
}

/// A [`PostgresStore`](crate::PostgresStore) site: a schema of its own in the database named
/// by `TEST_POSTGRES_URL`, so that concurrent tests never see each other's rows.
#[cfg(feature = "postgres")]
#[derive(Debug)]
pub struct PostgresSite {
    admin: sqlx::PgPool,
    options: sqlx::postgres::PgConnectOptions,
    schema: String,
    clock: ManualClock,
}

#[cfg(feature = "postgres")]
impl PostgresSite {
    /// A site in a new schema of the database at `TEST_POSTGRES_URL`.
    ///
    /// Without that variable the test is skipped with a loud message (`None`), except when
    /// `CI=true`: CI must never pass without PostgreSQL, so there it panics.
    ///
    /// # Panics
    /// When the database cannot be reached, or as above.
    #[allow(clippy::expect_used, clippy::panic)]
    pub async fn from_env() -> Option<Self> {
        let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("TEST_POSTGRES_URL is not set, and CI=true: PostgreSQL tests must run");
            }
            eprintln!(
                "\n*** SKIPPED: PostgreSQL test, TEST_POSTGRES_URL is not set \
                 (e.g. TEST_POSTGRES_URL=postgres://postgres@127.0.0.1/test) ***\n"
            );
            return None;
        };
        let options: sqlx::postgres::PgConnectOptions = url
            .parse()
            .expect("TEST_POSTGRES_URL is a valid PostgreSQL URL");
        let admin = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .expect("connect to TEST_POSTGRES_URL");
        let schema = format!("links_test_{}", uuid::Uuid::new_v4().simple());
        // The schema name is ours (a fresh UUID), never outside input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .expect("create a test schema");
        let options = options.options([("search_path", schema.as_str())]);
        Some(Self {
            admin,
            options,
            schema,
            clock: ManualClock::starting_now(),
        })
    }

    /// Connection options whose `search_path` is this site's schema.
    pub fn connect_options(&self) -> &sqlx::postgres::PgConnectOptions {
        &self.options
    }
}

#[cfg(feature = "postgres")]
#[async_trait]
impl StoreSite for PostgresSite {
    #[allow(clippy::expect_used)]
    async fn open(&self) -> Arc<dyn LinkStore> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect_with(self.options.clone())
            .await
            .expect("connect to the test schema");
        let options = crate::PostgresOptions::default().clock(self.clock.clone());
        let store = crate::PostgresStore::from_pool_with(pool, options)
            .await
            .expect("migrate the test schema");
        Arc::new(store)
    }

    fn clock(&self) -> &ManualClock {
        &self.clock
    }

    async fn cleanup(&self) {
        let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {} CASCADE",
            self.schema
        )))
        .execute(&self.admin)
        .await;
        if let Err(error) = dropped {
            eprintln!("could not drop test schema {}: {error}", self.schema);
        }
    }
}
