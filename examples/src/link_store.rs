//! The link store the example binaries share, named by a URL.

use std::error::Error;
use std::sync::Arc;

use meya_links::prelude::*;
use meya_links::{PostgresStore, SqliteStore};

/// Where `LINK_STORE_URL` points when it is not set: a SQLite file beside the process.
pub const DEFAULT_LINK_STORE_URL: &str = "sqlite://bridge.db";

/// `LINK_STORE_URL`, or [`DEFAULT_LINK_STORE_URL`].
pub fn link_store_url_from_env() -> String {
    std::env::var("LINK_STORE_URL").unwrap_or_else(|_| DEFAULT_LINK_STORE_URL.into())
}

/// Opens the store a URL names: `sqlite://path` (the file is created if missing) or
/// `postgres://...`. The URL may hold a password: no error repeats it.
///
/// # Errors
/// An unknown scheme, or the store's own error when it cannot be opened.
pub async fn open_link_store(url: &str) -> Result<Arc<dyn LinkStore>, Box<dyn Error>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        return Ok(Arc::new(SqliteStore::open(path).await?));
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
