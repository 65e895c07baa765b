//! What only the PostgreSQL backend promises: several processes, fresh databases, no leaked
//! passwords.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use meya_links::prelude::*;
use meya_links::testing::PostgresSite;
use meya_links::{Error, PostgresStore, SUNSHINE_CONVERSATIONS};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_on_a_fresh_schema_migrate_once() {
    let Some(site) = PostgresSite::from_env().await else {
        return;
    };
    let mut starting = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let options = site.connect_options().clone();
        starting.spawn(async move {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await?;
            PostgresStore::from_pool(pool)
                .await
                .map_err(|e| sqlx::Error::Protocol(format!("migration failed: {e:?}")))
        });
    }
    let mut stores = Vec::new();
    while let Some(started) = starting.join_next().await {
        stores.push(started.unwrap().unwrap());
    }
    let user = stores[0]
        .user_identify(SUNSHINE_CONVERSATIONS, "sc-alice")
        .await
        .unwrap();
    for store in &stores {
        assert_eq!(
            store
                .user_try_lookup(SUNSHINE_CONVERSATIONS, "sc-alice")
                .await
                .unwrap(),
            Some(user)
        );
    }
    meya_links::testing::StoreSite::cleanup(&site).await;
}

#[tokio::test]
async fn an_unreachable_server_is_a_backend_error_without_the_password() {
    // Port 1 on loopback refuses at once.
    let error = PostgresStore::connect("postgres://bridge:hunter2-secret@127.0.0.1:1/links")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Backend(_)), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
}

#[tokio::test]
async fn a_malformed_url_is_a_backend_error() {
    let error = PostgresStore::connect("not a url").await.unwrap_err();
    assert!(matches!(error, Error::Backend(_)), "{error:?}");
}

#[tokio::test]
async fn debug_never_shows_the_password() {
    let Some(site) = PostgresSite::from_env().await else {
        return;
    };
    let options = site.connect_options().clone().password("hunter2-secret");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let store = PostgresStore::from_pool(pool).await.unwrap();
    let debug = format!("{store:?}");
    assert!(debug.starts_with("PostgresStore"), "{debug}");
    assert!(!debug.contains("hunter2-secret"), "{debug}");
    meya_links::testing::StoreSite::cleanup(&site).await;
}

/// Migrations as a deploy step: a store made without migrating refuses a schema that is
/// behind, and works once `migrate()` ran.
#[tokio::test]
async fn a_store_made_without_migrating_needs_an_up_to_date_schema() {
    let Some(site) = PostgresSite::from_env().await else {
        return;
    };
    let pool = || async {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(site.connect_options().clone())
            .await
            .unwrap()
    };
    let without = meya_links::PostgresOptions::default().migrate(false);
    let refused = PostgresStore::from_pool_with(pool().await, without.clone())
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Migration(_)), "{refused:?}");
    PostgresStore::from_pool(pool().await)
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let store = PostgresStore::from_pool_with(pool().await, without)
        .await
        .unwrap();
    store.thread_create().await.unwrap();
    meya_links::testing::StoreSite::cleanup(&site).await;
}
