//! Link store throughput per backend, each beside the same work done with the raw driver (or,
//! for memory, bare locked `HashMap`s) in the same run as its floor.
//!
//! Run: `cargo bench -p meya-links` (PostgreSQL figures need `TEST_POSTGRES_URL`).
//! Targets (2-core machine): memory >= 2M lookups/s; SQLite >= 50k lookups/s and >= 5k
//! durable identifies/s; every backend >= 0.8x its floor. Also printed, without a target: what
//! `synchronous = FULL` (the default) costs an inbox push beside `NORMAL`.

// A benchmark that meets a broken store should stop loudly.
#![allow(clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use meya_links::prelude::*;
use meya_links::{
    InboxMessage, MemoryStore, PostgresStore, SqliteOptions, SqliteStore,
    SqliteSynchronous as Durability, UserId,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

const INTEGRATION: &str = "sunshine_conversations";
const LOOKUP_SQL: &str =
    "SELECT user_id FROM user_links WHERE integration = $1 AND integration_user_id = $2";
/// Users stored before lookups are timed.
const POPULATION: usize = 10_000;
/// Rounds per figure, ours and the floor alternating so that both see the same machine
/// weather; the best round of each counts.
const ROUNDS: usize = 5;

fn key(n: usize) -> String {
    format!("sc-user-{n:08}")
}

/// Runs `op(first + i)` for `i` in `0..ops` on `tasks` concurrent tasks; answers ops/s.
async fn rate_once<F, Fut>(first: usize, ops: usize, tasks: usize, op: &Arc<F>) -> f64
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for task in 0..tasks {
        let op = Arc::clone(op);
        set.spawn(async move {
            let mut i = task;
            while i < ops {
                op(first + i).await;
                i += tasks;
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.expect("bench task panicked");
    }
    ops as f64 / started.elapsed().as_secs_f64()
}

/// Best-of-[`ROUNDS`] ops/s of `ours` and of `floor`, measured in alternating rounds. Each
/// round passes fresh `i` values, so "new id" operations stay new.
async fn compare<F, Fut, G, Gut>(ops: usize, tasks: usize, ours: F, floor: G) -> (f64, f64)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
    G: Fn(usize) -> Gut + Send + Sync + 'static,
    Gut: Future<Output = ()> + Send,
{
    let (ours, floor) = (Arc::new(ours), Arc::new(floor));
    let (mut best_ours, mut best_floor) = (0.0_f64, 0.0_f64);
    for round in 0..ROUNDS {
        best_ours = best_ours.max(rate_once(round * ops, ops, tasks, &ours).await);
        best_floor = best_floor.max(rate_once(round * ops, ops, tasks, &floor).await);
    }
    (best_ours, best_floor)
}

#[derive(Default)]
struct Report {
    misses: Vec<String>,
}

impl Report {
    fn line(&mut self, name: &str, (ours, floor): (f64, f64), target: Option<f64>) {
        let ratio = ours / floor;
        let mut line = format!("{name:<42} {ours:>11.0} /s   floor {floor:>11.0} /s   {ratio:.2}x");
        if ratio < 0.8 {
            self.misses
                .push(format!("{name}: {ratio:.2}x of its floor (< 0.8x)"));
        }
        if let Some(target) = target {
            line += &format!("   target {target:.0} /s");
            if ours < target {
                self.misses
                    .push(format!("{name}: {ours:.0}/s < {target:.0}/s"));
            }
        }
        println!("{line}");
    }
}

impl Report {
    /// A figure beside a baseline it is not held to (a trade-off reported, not a target).
    fn line_beside(&mut self, name: &str, (ours, baseline): (f64, f64)) {
        let ratio = ours / baseline;
        println!("{name:<42} {ours:>11.0} /s   beside {baseline:>10.0} /s   {ratio:.2}x");
    }
}

async fn populate(store: &dyn LinkStore) {
    for n in 0..POPULATION {
        store
            .user_identify(INTEGRATION, &key(n))
            .await
            .expect("populate");
    }
}

/// The floor for the memory store: the maps it keeps, bare, behind one lock.
#[derive(Default)]
struct BareMaps {
    users: HashSet<UserId>,
    forward: HashMap<String, HashMap<String, UserId>>,
    reverse: HashMap<UserId, HashMap<String, String>>,
}

impl BareMaps {
    fn identify(&mut self, integration: &str, id: String) -> UserId {
        if let Some(user) = self.forward.get(integration).and_then(|ids| ids.get(&id)) {
            return *user;
        }
        let user = UserId::new();
        self.users.insert(user);
        self.forward
            .entry(integration.to_owned())
            .or_default()
            .insert(id.clone(), user);
        self.reverse
            .entry(user)
            .or_default()
            .insert(integration.to_owned(), id);
        user
    }
}

async fn bench_memory(report: &mut Report) {
    let store = Arc::new(MemoryStore::new());
    populate(store.as_ref()).await;
    let bare: Arc<RwLock<BareMaps>> = Arc::default();
    for n in 0..POPULATION {
        bare.write().expect("lock").identify(INTEGRATION, key(n));
    }
    let keys: Arc<Vec<String>> = Arc::new((0..POPULATION).map(key).collect());

    let (s, k) = (Arc::clone(&store), Arc::clone(&keys));
    let (b, k2) = (Arc::clone(&bare), Arc::clone(&keys));
    let figures = compare(
        1_000_000,
        1,
        move |i| {
            let (s, k) = (Arc::clone(&s), Arc::clone(&k));
            async move {
                let found = s.user_try_lookup(INTEGRATION, &k[i % POPULATION]).await;
                assert!(matches!(found, Ok(Some(_))));
            }
        },
        move |i| {
            let (b, k) = (Arc::clone(&b), Arc::clone(&k2));
            async move {
                let maps = b.read().expect("lock");
                let found = maps
                    .forward
                    .get(INTEGRATION)
                    .and_then(|ids| ids.get(&k[i % POPULATION]));
                assert!(found.is_some());
            }
        },
    )
    .await;
    report.line("memory: lookups, 1 task", figures, Some(2_000_000.0));

    let s = Arc::clone(&store);
    let b = Arc::clone(&bare);
    let figures = compare(
        100_000,
        1,
        move |i| {
            let s = Arc::clone(&s);
            async move {
                s.user_identify("bench.new", &key(i))
                    .await
                    .expect("identify");
            }
        },
        move |i| {
            let b = Arc::clone(&b);
            async move {
                b.write().expect("lock").identify("bench.raw", key(i));
            }
        },
    )
    .await;
    report.line("memory: identify new ids, 1 task", figures, None);
}

/// The SQLite floor: rusqlite (the store's driver) called directly from the task, with the
/// store's settings: a few read connections, one write connection, each behind a lock.
struct RawSqlite {
    readers: Vec<Mutex<Connection>>,
    writer: Mutex<Connection>,
}

impl RawSqlite {
    fn open(path: &std::path::Path) -> Self {
        let open = |flags| {
            let connection = Connection::open_with_flags(path, flags).expect("raw open");
            connection
                .busy_timeout(Duration::from_secs(5))
                .expect("busy timeout");
            connection
        };
        let writer = open(OpenFlags::SQLITE_OPEN_READ_WRITE);
        writer
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
            .expect("raw pragmas");
        Self {
            readers: (0..4)
                .map(|_| Mutex::new(open(OpenFlags::SQLITE_OPEN_READ_ONLY)))
                .collect(),
            writer: Mutex::new(writer),
        }
    }

    fn lookup(&self, i: usize) {
        let reader = self.readers[i % self.readers.len()].lock().expect("lock");
        let found: Option<String> = reader
            .prepare_cached(LOOKUP_SQL)
            .expect("prepare")
            .query_row(params![INTEGRATION, key(i % POPULATION)], |row| row.get(0))
            .optional()
            .expect("raw lookup");
        assert!(found.is_some());
    }

    /// What a hand-written identify does: in a write transaction, look, then create both rows.
    fn identify(&self, integration: &str, i: usize) {
        let writer = self.writer.lock().expect("lock");
        writer.execute_batch("BEGIN IMMEDIATE").expect("begin");
        let existing: Option<String> = writer
            .prepare_cached(LOOKUP_SQL)
            .expect("prepare")
            .query_row(params![integration, key(i)], |row| row.get(0))
            .optional()
            .expect("raw select");
        assert!(existing.is_none());
        let user = UserId::new().to_string();
        writer
            .prepare_cached("INSERT INTO users (id, created_at_ms) VALUES ($1, 0)")
            .expect("prepare")
            .execute(params![user])
            .expect("raw insert user");
        writer
            .prepare_cached(
                "INSERT INTO user_links (user_id, integration, integration_user_id) \
                 VALUES ($1, $2, $3)",
            )
            .expect("prepare")
            .execute(params![user, integration, key(i)])
            .expect("raw insert link");
        writer.execute_batch("COMMIT").expect("commit");
    }
}

async fn bench_sqlite(report: &mut Report) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    let store = Arc::new(SqliteStore::open(&path).await.expect("open"));
    populate(store.as_ref()).await;

    // The floor: the driver called by hand, with the same settings as the store's.
    let raw = Arc::new(RawSqlite::open(&path));

    for tasks in [1, 8] {
        let s = Arc::clone(&store);
        let raw = Arc::clone(&raw);
        let figures = compare(
            20_000,
            tasks,
            move |i| {
                let s = Arc::clone(&s);
                async move {
                    let found = s.user_try_lookup(INTEGRATION, &key(i % POPULATION)).await;
                    assert!(matches!(found, Ok(Some(_))));
                }
            },
            move |i| {
                raw.lookup(i);
                std::future::ready(())
            },
        )
        .await;
        let target = (tasks == 8).then_some(50_000.0);
        report.line(
            &format!("sqlite: lookups, {tasks} task(s)"),
            figures,
            target,
        );
    }

    for tasks in [1, 8] {
        let s = Arc::clone(&store);
        let raw = Arc::clone(&raw);
        // Each figure identifies ids of its own, so they are new.
        let ours_integration: &'static str = if tasks == 1 { "ours.1" } else { "ours.8" };
        let raw_integration: &'static str = if tasks == 1 { "raw.1" } else { "raw.8" };
        let figures = compare(
            2_000,
            tasks,
            move |i| {
                let s = Arc::clone(&s);
                async move {
                    s.user_identify(ours_integration, &key(i))
                        .await
                        .expect("identify");
                }
            },
            move |i| {
                raw.identify(raw_integration, i);
                std::future::ready(())
            },
        )
        .await;
        let target = (tasks == 8).then_some(5_000.0);
        report.line(
            &format!("sqlite: identify new ids, {tasks} task(s)"),
            figures,
            target,
        );
    }
}

async fn raw_pg_lookup(pool: PgPool, i: usize) {
    let found: Option<uuid::Uuid> = sqlx::query_scalar(LOOKUP_SQL)
        .bind(INTEGRATION)
        .bind(key(i % POPULATION))
        .fetch_optional(&pool)
        .await
        .expect("raw lookup");
    assert!(found.is_some());
}

/// What a hand-written race-safe identify does: look, then insert both rows in a transaction.
async fn raw_pg_identify(pool: PgPool, i: usize) {
    let existing: Option<uuid::Uuid> = sqlx::query_scalar(LOOKUP_SQL)
        .bind("bench.raw")
        .bind(key(i))
        .fetch_optional(&pool)
        .await
        .expect("raw select");
    assert!(existing.is_none());
    let user = uuid::Uuid::now_v7();
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO users (id) VALUES ($1)")
        .bind(user)
        .execute(&mut *tx)
        .await
        .expect("raw insert user");
    sqlx::query(
        "INSERT INTO user_links (user_id, integration, integration_user_id) \
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING user_id",
    )
    .bind(user)
    .bind("bench.raw")
    .bind(key(i))
    .fetch_optional(&mut *tx)
    .await
    .expect("raw insert link");
    tx.commit().await.expect("commit");
}

async fn bench_postgres(report: &mut Report) {
    let Ok(url) = std::env::var("TEST_POSTGRES_URL") else {
        println!("postgres: skipped, TEST_POSTGRES_URL is not set");
        return;
    };
    let options: PgConnectOptions = url.parse().expect("TEST_POSTGRES_URL");
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .expect("connect");
    let schema = format!("links_bench_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("schema");
    let options = options.options([("search_path", schema.as_str())]);
    let pool = || {
        PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
    };
    let store = Arc::new(
        PostgresStore::from_pool(pool().await.expect("pool"))
            .await
            .expect("migrate"),
    );
    populate(store.as_ref()).await;
    let raw = pool().await.expect("raw pool");

    for tasks in [1, 8] {
        let s = Arc::clone(&store);
        let p = raw.clone();
        let figures = compare(
            4_000,
            tasks,
            move |i| {
                let s = Arc::clone(&s);
                async move {
                    let found = s.user_try_lookup(INTEGRATION, &key(i % POPULATION)).await;
                    assert!(matches!(found, Ok(Some(_))));
                }
            },
            move |i| raw_pg_lookup(p.clone(), i),
        )
        .await;
        report.line(
            &format!("postgres: lookups, {tasks} task(s)"),
            figures,
            None,
        );
    }

    let s = Arc::clone(&store);
    let p = raw.clone();
    let figures = compare(
        1_000,
        8,
        move |i| {
            let s = Arc::clone(&s);
            async move {
                s.user_identify("bench.new", &key(i))
                    .await
                    .expect("identify");
            }
        },
        move |i| raw_pg_identify(p.clone(), i),
    )
    .await;
    report.line("postgres: identify new ids, 8 tasks", figures, None);

    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .expect("drop schema");
}

/// What durability costs: the record behind a webhook's 200 (an inbox push) with each
/// commit synced to disk (`FULL`, the default), beside the same store at `NORMAL` (which a
/// power cut can roll back) as its floor. Group commit shares one sync among the writes that
/// queue meanwhile, so the cost falls as concurrency rises.
async fn bench_sqlite_durability(report: &mut Report) {
    let dir = tempfile::tempdir().expect("tempdir");
    let open = |name: &str, synchronous| {
        let path = dir.path().join(name);
        async move {
            let options = SqliteOptions::default().synchronous(synchronous);
            Arc::new(SqliteStore::open_with(path, options).await.expect("open"))
        }
    };
    let full = open("full.db", Durability::Full).await;
    let normal = open("normal.db", Durability::Normal).await;
    let push = |store: &Arc<SqliteStore>, label: &'static str| {
        let store = Arc::clone(store);
        move |i: usize| {
            let store = Arc::clone(&store);
            async move {
                let message = InboxMessage::new(
                    "sunshine_conversations",
                    format!("conv-{}", i % 64),
                    vec![b'x'; 600],
                )
                .dedup_key(format!("{label}-{i}"));
                store.inbox_push(&message).await.expect("push");
            }
        }
    };
    for tasks in [1, 32] {
        let figures = compare(
            if tasks == 1 { 1_000 } else { 4_000 },
            tasks,
            push(&full, "full"),
            push(&normal, "normal"),
        )
        .await;
        report.line_beside(
            &format!("sqlite: inbox pushes FULL vs NORMAL, {tasks} task(s)"),
            figures,
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "meya-links link store benchmark: {} cores, best of {ROUNDS} alternating rounds",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut report = Report::default();
    runtime.block_on(async {
        bench_memory(&mut report).await;
        bench_sqlite(&mut report).await;
        bench_sqlite_durability(&mut report).await;
        bench_postgres(&mut report).await;
    });
    if report.misses.is_empty() {
        println!("all targets met");
    } else {
        println!("targets missed:");
        for miss in &report.misses {
            println!("  {miss}");
        }
    }
}
