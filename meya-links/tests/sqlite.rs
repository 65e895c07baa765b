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
    let mut raw = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        site.path().display()
    ))
    .await
    .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let threads: i64 = sqlx::query_scalar("SELECT count(*) FROM threads")
        .fetch_one(&mut raw)
        .await
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
    let mut raw = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        site.path().display()
    ))
    .await
    .unwrap();
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO user_links (integration, integration_user_id, user_id) \
         VALUES ('zendesk.support', '101', 'garbage')",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO deliveries (source, source_message_id, state, attempts, updated_at_ms) \
         VALUES ('zendesk.support', 'c-1', 'claimed', 1, 0)",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    sqlx::query("UPDATE deliveries SET state = 'exploded'")
        .execute(&mut raw)
        .await
        .unwrap_err(); // the CHECK constraint guards the state column itself
    let error = store
        .user_try_lookup(ZENDESK_SUPPORT, "101")
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
