//! What only the SQLite backend promises: one durable file, WAL, readable errors.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use meya_links::prelude::*;
use meya_links::testing::SqliteSite;
use meya_links::{
    ClaimOutcome, Error, SUNSHINE_CONVERSATIONS, SqliteOptions, SqliteStore, SqliteSynchronous,
    ZENDESK_SUPPORT,
};

#[tokio::test]
async fn every_link_survives_close_and_reopen() {
    let site = SqliteSite::new();
    let store = SqliteStore::open(site.path()).await.unwrap();
    let user = store
        .user_identify(SUNSHINE_CONVERSATIONS, "sc-alice")
        .await
        .unwrap();
    store
        .user_link(ZENDESK_SUPPORT, "101", &user)
        .await
        .unwrap();
    let thread = store.thread_create().await.unwrap();
    store
        .thread_link(SUNSHINE_CONVERSATIONS, "sc-alice", &thread)
        .await
        .unwrap();
    store
        .thread_link(ZENDESK_SUPPORT, "4001", &thread)
        .await
        .unwrap();
    store.thread_set_primary_user(&thread, &user).await.unwrap();
    store
        .thread_set(&thread, "conversation_id", "conv-1")
        .await
        .unwrap();
    let ClaimOutcome::Claimed(claim) = store
        .delivery_claim(ZENDESK_SUPPORT, "c-1", Duration::from_secs(30))
        .await
        .unwrap()
    else {
        panic!("first claim must win");
    };
    store.delivery_complete(&claim, "m-1").await.unwrap();
    store.close().await;
    drop(store);

    let reopened = SqliteStore::open(site.path()).await.unwrap();
    assert_eq!(
        reopened
            .user_try_lookup(SUNSHINE_CONVERSATIONS, "sc-alice")
            .await
            .unwrap(),
        Some(user)
    );
    assert_eq!(
        reopened
            .user_try_reverse_lookup(&user, ZENDESK_SUPPORT)
            .await
            .unwrap()
            .as_deref(),
        Some("101")
    );
    assert_eq!(
        reopened
            .thread_try_lookup(ZENDESK_SUPPORT, "4001")
            .await
            .unwrap(),
        Some(thread)
    );
    assert_eq!(
        reopened
            .thread_try_lookup(SUNSHINE_CONVERSATIONS, "sc-alice")
            .await
            .unwrap(),
        Some(thread)
    );
    assert_eq!(
        reopened.thread_primary_user(&thread).await.unwrap(),
        Some(user)
    );
    assert_eq!(
        reopened
            .thread_get(&thread, "conversation_id")
            .await
            .unwrap()
            .as_deref(),
        Some("conv-1")
    );
    assert_eq!(
        reopened
            .delivery_claim(ZENDESK_SUPPORT, "c-1", Duration::from_secs(30))
            .await
            .unwrap(),
        ClaimOutcome::Delivered {
            target_message_id: "m-1".into()
        }
    );
    // Reopening applied no migration twice and created no second user.
    assert_eq!(
        reopened
            .user_identify(SUNSHINE_CONVERSATIONS, "sc-alice")
            .await
            .unwrap(),
        user
    );
}

#[tokio::test]
async fn the_file_is_in_wal_mode_with_the_chosen_durability() {
    let site = SqliteSite::new();
    // Durable against a power cut unless told otherwise: a webhook's 200 is a promise.
    let store = SqliteStore::open(site.path()).await.unwrap();
    assert_eq!(
        store.synchronous().await.unwrap(),
        Some(SqliteSynchronous::Full)
    );
    store.close().await;
    let store = SqliteStore::open_with(
        site.path(),
        SqliteOptions::default().synchronous(SqliteSynchronous::Normal),
    )
    .await
    .unwrap();
    assert_eq!(
        store.synchronous().await.unwrap(),
        Some(SqliteSynchronous::Normal)
    );
    store.thread_create().await.unwrap();
    let raw = rusqlite::Connection::open(site.path()).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let threads: i64 = raw
        .query_row("SELECT count(*) FROM threads", [], |row| row.get(0))
        .unwrap();
    assert_eq!(threads, 1);
}

#[tokio::test]
async fn an_unopenable_path_is_a_backend_error() {
    let site = SqliteSite::new();
    let path = site.path().join("no-such-dir").join("links.db");
    let error = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(error, Error::Backend(_)), "{error:?}");
}

#[tokio::test]
async fn a_corrupt_row_is_a_decode_error_not_a_panic() {
    let site = SqliteSite::new();
    let store = SqliteStore::open(site.path()).await.unwrap();
    let raw = rusqlite::Connection::open(site.path()).unwrap();
    raw.execute_batch(
        "PRAGMA foreign_keys = OFF; \
         INSERT INTO user_links (integration, integration_user_id, user_id) \
         VALUES ('zendesk.support', '101', 'garbage'); \
         INSERT INTO user_links (integration, integration_user_id, user_id) \
         VALUES ('zendesk.support', '102', x'00ff'); \
         INSERT INTO deliveries (source, source_message_id, state, attempts, updated_at_ms) \
         VALUES ('zendesk.support', 'c-1', 'claimed', 1, 0)",
    )
    .unwrap();
    raw.execute_batch("UPDATE deliveries SET state = 'exploded'")
        .unwrap_err(); // the CHECK constraint guards the state column itself
    let error = store
        .user_try_lookup(ZENDESK_SUPPORT, "101")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    // A value of the wrong type (a blob where text belongs) is the row's fault too.
    let error = store
        .user_try_lookup(ZENDESK_SUPPORT, "102")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
}

#[tokio::test]
async fn debug_shows_the_path_only() {
    let site = SqliteSite::new();
    let store = SqliteStore::open(site.path()).await.unwrap();
    let debug = format!("{store:?}");
    assert!(debug.starts_with("SqliteStore"), "{debug}");
    assert!(debug.contains("links.db"), "{debug}");
}

#[tokio::test]
async fn calls_after_close_fail_and_a_clone_sees_the_close() {
    let site = SqliteSite::new();
    let store = SqliteStore::open(site.path()).await.unwrap();
    let handle = store.clone();
    store.user_identify(ZENDESK_SUPPORT, "101").await.unwrap();
    store.close().await;
    let write = handle.user_identify(ZENDESK_SUPPORT, "102").await;
    assert!(matches!(write, Err(Error::Backend(_))), "{write:?}");
    let read = handle.user_try_lookup(ZENDESK_SUPPORT, "101").await;
    assert!(matches!(read, Err(Error::Backend(_))), "{read:?}");
}

/// Migrations as a deploy step: a store opened without migrating refuses a schema that is
/// behind, and opens once `migrate()` ran.
#[tokio::test]
async fn opening_without_migrating_needs_an_up_to_date_schema() {
    let site = SqliteSite::new();
    let without = SqliteOptions::default().migrate(false);
    let refused = SqliteStore::open_with(site.path(), without.clone())
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Migration(_)), "{refused:?}");
    assert!(
        std::error::Error::source(&refused)
            .unwrap()
            .to_string()
            .contains("run migrate()"),
        "{refused:?}"
    );
    // The deploy step: a store that migrates, or `migrate()` on one opened any way.
    SqliteStore::open(site.path())
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let store = SqliteStore::open_with(site.path(), without).await.unwrap();
    let thread = store.thread_create().await.unwrap();
    assert_eq!(store.thread_primary_user(&thread).await.unwrap(), None);
}

/// Writes made at once share a transaction (group commit); one that fails must neither fail
/// nor undo the others.
#[tokio::test]
async fn writes_sharing_a_commit_keep_their_own_outcomes() {
    let site = SqliteSite::new();
    let store = std::sync::Arc::new(SqliteStore::open(site.path()).await.unwrap());
    let thread = store.thread_create().await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..40 {
        let store = std::sync::Arc::clone(&store);
        tasks.spawn(async move {
            let target = if n % 4 == 3 {
                meya_links::ThreadId::new()
            } else {
                thread
            };
            (n, store.thread_set(&target, &format!("k{n}"), "v").await)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(outcome) = tasks.join_next().await {
        outcomes.push(outcome.unwrap());
    }
    assert_eq!(outcomes.len(), 40);
    for (n, outcome) in outcomes {
        let stored = store.thread_get(&thread, &format!("k{n}")).await.unwrap();
        if n % 4 == 3 {
            assert!(
                matches!(outcome, Err(Error::UnknownThread(_))),
                "{n}: {outcome:?}"
            );
            assert_eq!(stored, None);
        } else {
            assert!(outcome.is_ok(), "{n}: {outcome:?}");
            assert_eq!(stored.as_deref(), Some("v"), "{n}");
        }
    }
}

/// A close that arrives behind writes waits for them, then closes: it must not wait for
/// another call to come.
#[tokio::test]
async fn a_close_behind_queued_writes_finishes() {
    let site = SqliteSite::new();
    let store = std::sync::Arc::new(SqliteStore::open(site.path()).await.unwrap());
    let thread = store.thread_create().await.unwrap();
    let mut writes = tokio::task::JoinSet::new();
    for n in 0..10 {
        let store = std::sync::Arc::clone(&store);
        writes.spawn(async move { store.thread_set(&thread, &format!("k{n}"), "v").await });
    }
    let closing = {
        let store = std::sync::Arc::clone(&store);
        tokio::spawn(async move { store.close().await })
    };
    let closed = tokio::time::timeout(Duration::from_secs(10), closing).await;
    assert!(matches!(closed, Ok(Ok(()))), "the close did not finish");
    while let Some(write) = writes.join_next().await {
        // Queued before the close: written.
        assert!(write.unwrap().is_ok());
    }
}

/// A file written by 0.1 (sqlx's SQLite driver, its migrator) opens in this version as it is:
/// every record readable, no migration applied again, and the store goes on writing.
#[tokio::test]
async fn a_file_written_by_the_previous_driver_opens_unchanged() {
    let site = SqliteSite::new();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-0.1.db");
    std::fs::copy(fixture, site.path()).unwrap();
    let migrations = |path: &std::path::Path| -> Vec<(i64, String, Vec<u8>)> {
        let raw = rusqlite::Connection::open(path).unwrap();
        let mut rows = raw
            .prepare("SELECT version, description, checksum FROM _sqlx_migrations ORDER BY version")
            .unwrap();
        rows.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let before = migrations(&site.path());
    assert_eq!(before.len(), 3);

    // Opening without migrating accepts it: the schema is what this version expects.
    let store = SqliteStore::open_with(site.path(), SqliteOptions::default().migrate(false))
        .await
        .unwrap();
    let user = store
        .user_try_lookup(SUNSHINE_CONVERSATIONS, "sc-alice")
        .await
        .unwrap()
        .expect("the user");
    assert_eq!(
        store
            .user_try_reverse_lookup(&user, ZENDESK_SUPPORT)
            .await
            .unwrap()
            .as_deref(),
        Some("101")
    );
    let thread = store
        .thread_try_lookup(ZENDESK_SUPPORT, "4001")
        .await
        .unwrap()
        .expect("the thread");
    assert_eq!(
        store
            .thread_try_lookup(SUNSHINE_CONVERSATIONS, "conv-alice")
            .await
            .unwrap(),
        Some(thread)
    );
    assert_eq!(
        store.thread_primary_user(&thread).await.unwrap(),
        Some(user)
    );
    assert_eq!(
        store.thread_get(&thread, "mode").await.unwrap().as_deref(),
        Some("agent")
    );
    let lease = Duration::from_secs(30);
    assert_eq!(
        store
            .delivery_claim(ZENDESK_SUPPORT, "c-1", lease)
            .await
            .unwrap(),
        ClaimOutcome::Delivered {
            target_message_id: "m-1".into()
        }
    );
    assert_eq!(
        store
            .delivery_claim(ZENDESK_SUPPORT, "c-2", lease)
            .await
            .unwrap(),
        ClaimOutcome::Failed {
            reason: "refused: 422".into()
        }
    );
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.pending, stats.done, stats.failed), (1, 1, 1));
    let failed = store.inbox_failed(0, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].payload, b"payload-failed");
    assert_eq!(failed[0].reason, "gave up: 400");
    // The pending entry is taken as any other, and a new push continues the ids.
    let taken = store.inbox_take(lease, 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].payload(), b"payload-pending");
    let meya_links::InboxPush::Recorded { id } = store
        .inbox_push(&meya_links::InboxMessage::new(
            "zendesk",
            "ticket-4002",
            b"new".to_vec(),
        ))
        .await
        .unwrap()
    else {
        panic!("a new message is recorded");
    };
    assert!(id > taken[0].id(), "{id}");
    // A duplicate of a message 0.1 recorded is still a duplicate.
    assert_eq!(
        store
            .inbox_push(
                &meya_links::InboxMessage::new("zendesk", "ticket-4001", b"again".to_vec())
                    .dedup_key("d-2")
            )
            .await
            .unwrap(),
        meya_links::InboxPush::Duplicate
    );
    store.migrate().await.unwrap();
    store.close().await;
    assert_eq!(
        migrations(&site.path()),
        before,
        "no migration applied again"
    );
}

/// A write that meets the file locked by another process waits for the lock (the busy
/// timeout) on the writer thread, and the runtime goes on meanwhile: here it is what ends the
/// lock, on the same single-threaded runtime.
#[tokio::test]
async fn a_write_that_meets_a_locked_file_waits_for_it_off_the_runtime() {
    let site = SqliteSite::new();
    let options = SqliteOptions::default()
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let store = SqliteStore::open_with(site.path(), options).await.unwrap();
    let thread = store.thread_create().await.unwrap();
    let other = rusqlite::Connection::open(site.path()).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    // The write is polled first and meets the lock; the lock ends only after that.
    let (written, released) = tokio::join!(store.thread_set(&thread, "k", "v"), async {
        tokio::task::yield_now().await;
        tokio::task::spawn_blocking(move || other.execute_batch("COMMIT")).await
    });
    released.unwrap().unwrap();
    written.unwrap();
    assert_eq!(
        store.thread_get(&thread, "k").await.unwrap().as_deref(),
        Some("v")
    );
}
