//! Inbox throughput on one PostgreSQL with one and with two replicas: entries recorded
//! across many ordering keys (customers), then taken and completed by 16 workers per replica
//! (`bridge-server`'s default), each replica with its own connection pool, as two processes
//! would be. The work per entry is nothing (instant fakes), so what is measured is what the
//! inbox lets through: before, one advisory lock serialised every take of every replica.
//!
//! Printed: entries/s for one replica and for two, each beside its floor measured in the same
//! run: a bare queue table drained by the same workers with the textbook
//! `SELECT ... FOR UPDATE SKIP LOCKED` (no per-key order, no batches, no lease: the least a
//! queue on this PostgreSQL costs, with the same two commits per entry). A second replica
//! should add throughput, not wait for the first; both share this machine's cores and disk
//! with PostgreSQL, so where the floor does not grow with a second replica either, the machine
//! is the ceiling, not the store.
//!
//! Run: `TEST_POSTGRES_URL=postgres://... cargo bench -p meya-links --bench inbox_replicas`.

// A benchmark that meets a broken store should stop loudly.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use meya_links::prelude::*;
use meya_links::{InboxMessage, PostgresStore};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const ENTRIES: usize = 6_000;
const KEYS: usize = 6_000;
const WORKERS_PER_REPLICA: usize = 16;
const LEASE: Duration = Duration::from_secs(120);
const MAX_BATCH: usize = 20;
const ROUNDS: usize = 3;

async fn pool(options: &PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(WORKERS_PER_REPLICA as u32)
        .connect_with(options.clone())
        .await
        .expect("pool")
}

async fn replica(options: &PgConnectOptions) -> Arc<dyn LinkStore> {
    Arc::new(
        PostgresStore::from_pool(pool(options).await)
            .await
            .expect("store"),
    )
}

async fn fill_bare(pool: &PgPool) {
    sqlx::query("TRUNCATE bare_queue")
        .execute(pool)
        .await
        .expect("truncate");
    sqlx::query(
        "INSERT INTO bare_queue (payload, state) \
         SELECT 'payload ' || n, 'pending' FROM generate_series(1, $1) AS n",
    )
    .bind(ENTRIES as i64)
    .execute(pool)
    .await
    .expect("fill");
}

/// The floor: entries/s draining the bare queue, a transaction to take and one to finish.
async fn drain_bare(pools: &[PgPool]) -> f64 {
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for pool in pools {
        for _ in 0..WORKERS_PER_REPLICA {
            let pool = pool.clone();
            workers.spawn(async move {
                let mut done = 0usize;
                loop {
                    let mut tx = pool.begin().await.expect("begin");
                    let id: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM bare_queue WHERE state = 'pending' \
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .expect("take");
                    let Some(id) = id else {
                        tx.commit().await.expect("commit");
                        return done;
                    };
                    sqlx::query("UPDATE bare_queue SET state = 'taken' WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .expect("lease");
                    tx.commit().await.expect("commit");
                    sqlx::query("UPDATE bare_queue SET state = 'done' WHERE id = $1")
                        .bind(id)
                        .execute(&pool)
                        .await
                        .expect("finish");
                    done += 1;
                }
            });
        }
    }
    let mut total = 0;
    while let Some(done) = workers.join_next().await {
        total += done.expect("worker");
    }
    assert_eq!(total, ENTRIES, "every entry taken once");
    ENTRIES as f64 / started.elapsed().as_secs_f64()
}

async fn fill(store: &dyn LinkStore, round: usize) {
    for n in 0..ENTRIES {
        let message = InboxMessage::new(
            "bench",
            format!("customer:{}", n % KEYS),
            format!("payload {round} {n}").into_bytes(),
        )
        .dedup_key(format!("{round}-{n}"));
        store.inbox_push(&message).await.expect("push");
    }
}

/// Entries/s until the inbox is empty, with every replica's workers taking at once.
async fn drain(replicas: &[Arc<dyn LinkStore>]) -> f64 {
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for store in replicas {
        for _ in 0..WORKERS_PER_REPLICA {
            let store = Arc::clone(store);
            workers.spawn(async move {
                let mut done = 0usize;
                loop {
                    let batch = store.inbox_take(LEASE, MAX_BATCH).await.expect("take");
                    if batch.is_empty() {
                        // Empty for this worker: others may still hold the last batches.
                        if store.inbox_stats().await.expect("stats").unfinished() == 0 {
                            return done;
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        continue;
                    }
                    for entry in &batch {
                        store.inbox_complete(entry).await.expect("complete");
                        done += 1;
                    }
                }
            });
        }
    }
    let mut total = 0;
    while let Some(done) = workers.join_next().await {
        total += done.expect("worker");
    }
    assert_eq!(total, ENTRIES, "every entry taken once");
    ENTRIES as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
        println!("inbox replicas: skipped, TEST_POSTGRES_URL is not set");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let options: PgConnectOptions = url.parse().expect("TEST_POSTGRES_URL");
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .expect("connect");
        let schema = format!("inbox_bench_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .expect("schema");
        let options = options.options([("search_path", schema.as_str())]);
        let first = replica(&options).await;
        let second = replica(&options).await;
        let bare = [pool(&options).await, pool(&options).await];
        sqlx::query(
            "CREATE TABLE bare_queue (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
             payload TEXT NOT NULL, state TEXT NOT NULL)",
        )
        .execute(&bare[0])
        .await
        .expect("bare queue");
        sqlx::query("CREATE INDEX bare_queue_pending ON bare_queue (id) WHERE state = 'pending'")
            .execute(&bare[0])
            .await
            .expect("bare index");
        println!(
            "inbox on one PostgreSQL: {ENTRIES} entries over {KEYS} keys, {WORKERS_PER_REPLICA} \
             workers per replica, batches of up to {MAX_BATCH}, best of {ROUNDS} alternating rounds"
        );
        let (mut one, mut two) = (0.0_f64, 0.0_f64);
        let (mut one_floor, mut two_floor) = (0.0_f64, 0.0_f64);
        for round in 0..ROUNDS {
            fill_bare(&bare[0]).await;
            one_floor = one_floor.max(drain_bare(&bare[..1]).await);
            fill_bare(&bare[0]).await;
            two_floor = two_floor.max(drain_bare(&bare).await);
            fill(first.as_ref(), 2 * round).await;
            one = one.max(drain(std::slice::from_ref(&first)).await);
            fill(first.as_ref(), 2 * round + 1).await;
            two = two.max(drain(&[Arc::clone(&first), Arc::clone(&second)]).await);
            first
                .inbox_purge(std::time::SystemTime::now() + Duration::from_secs(60))
                .await
                .expect("purge");
        }
        for (name, ours, floor) in [
            ("one replica", one, one_floor),
            ("two replicas", two, two_floor),
        ] {
            println!(
                "{name:<13} inbox {ours:>6.0} entries/s   bare SKIP LOCKED queue {floor:>6.0} /s   \
                 {:.2}x the floor",
                ours / floor
            );
        }
        println!(
            "second replica: inbox {:.2}x one replica, bare queue {:.2}x",
            two / one,
            two_floor / one_floor
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&admin)
            .await
            .expect("drop schema");
    });
}
