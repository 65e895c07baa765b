//! The link store the example binaries share, named by a URL.

use std::error::Error;
use std::sync::Arc;

use meya_links::prelude::*;
use meya_links::{PostgresStore, SqliteOptions, SqliteStore, SqliteSynchronous};

/// Where `LINK_STORE_URL` points when it is not set: a SQLite file beside the process.
pub const DEFAULT_LINK_STORE_URL: &str = "sqlite://bridge.db";

/// `LINK_STORE_URL`, or [`DEFAULT_LINK_STORE_URL`].
pub fn link_store_url_from_env() -> String {
    std::env::var("LINK_STORE_URL").unwrap_or_else(|_| DEFAULT_LINK_STORE_URL.into())
}

/// Opens the store a URL names: `sqlite://path` (the file is created if missing) or
/// `postgres://...`. The URL may hold a password: no error repeats it.
///
/// A SQLite URL may end in `?synchronous=normal` to trade the last commits before a power
/// cut for speed (the default, `full`, keeps every acknowledged webhook; see
/// [`SqliteSynchronous`]).
///
/// # Errors
/// An unknown scheme or SQLite setting, or the store's own error when it cannot be opened.
pub async fn open_link_store(url: &str) -> Result<Arc<dyn LinkStore>, Box<dyn Error>> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let (path, settings) = rest.split_once('?').unwrap_or((rest, ""));
        let mut options = SqliteOptions::default();
        for setting in settings.split('&').filter(|setting| !setting.is_empty()) {
            options = match setting {
                "synchronous=full" => options.synchronous(SqliteSynchronous::Full),
                "synchronous=normal" => options.synchronous(SqliteSynchronous::Normal),
                other => {
                    return Err(format!(
                        "unknown SQLite setting `{other}` in LINK_STORE_URL \
                         (known: synchronous=full, synchronous=normal)"
                    )
                    .into());
                }
            };
        }
        return Ok(Arc::new(SqliteStore::open_with(path, options).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresStore::connect(url).await?));
    }
    Err("the link store URL (LINK_STORE_URL) must start with sqlite:// or postgres://".into())
}

/// The ids of every failed inbox entry, oldest first (ids only: a page of payloads at a time
/// is all this holds), for a "requeue all".
///
/// # Errors
/// When the store fails.
pub async fn failed_entry_ids(store: &dyn LinkStore) -> meya_links::Result<Vec<i64>> {
    let mut ids = Vec::new();
    loop {
        let page = store
            .inbox_failed(ids.last().copied().unwrap_or(0), 100)
            .await?;
        if page.is_empty() {
            return Ok(ids);
        }
        ids.extend(page.iter().map(|entry| entry.id));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn a_sqlite_url_may_choose_its_durability_and_nothing_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.db");
        let store = open_link_store(&format!("sqlite://{}?synchronous=normal", path.display()))
            .await
            .unwrap();
        store.thread_create().await.unwrap();
        assert!(path.exists(), "the path ends before the settings");
        let refused = open_link_store(&format!("sqlite://{}?synchronous=off", path.display()))
            .await
            .err()
            .unwrap();
        assert!(refused.to_string().contains("synchronous=off"), "{refused}");
    }
}
