//! Scenario `soak`: one bridge-server on its default SQLite store at a steady `--rate`
//! webhooks a second for `--minutes`, with `--fault-rate` of upstream calls failing. Its
//! resident memory and the inbox are sampled every minute: after warm-up the memory must not
//! grow, and processed entries must be purged (`INBOX_KEEP_DONE=1m`), while every message
//! still arrives exactly once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use meya_links::SqliteStore;
use meya_links::prelude::*;

use super::memory::{mb, status_kb};
use super::{Args, Driver, Failure, Fakes, Servers, check, server_binary, server_env};

/// Minutes of warm-up before the memory is held to its level.
const WARM_UP_MINUTES: usize = 5;
/// How much the resident set may grow after warm-up.
const GROWTH_ALLOWED: f64 = 0.2;

pub(crate) async fn run(args: Args) -> Result<bool, Failure> {
    let minutes = args.minutes.max(1);
    let rate = args.rate.max(1);
    // Each story is 2 * replies + 3 events, about 1.4 deliveries each with the repeats.
    let customers = (u64::from(minutes) * 60 * u64::from(rate)) as f64
        / (f64::from(2 * args.replies + 3) * 1.2);
    let customers = customers.ceil() as u32 + 100;
    let fakes = Arc::new(
        Fakes::start(
            customers,
            args.fault_rate,
            Duration::from_millis(1500),
            args.seed,
        )
        .await?,
    );
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("links.db");
    let store_url = format!("sqlite://{}", path.display());
    let mut env = server_env(&fakes, &store_url, dir.path())?;
    env.push(("INBOX_KEEP_DONE".into(), "1m".into()));
    let servers = Arc::new(Servers::new(
        server_binary(&args)?,
        env,
        dir.path().to_path_buf(),
        1,
    ));
    servers.start(0)?;
    let pid = servers.pid(0).ok_or("no server")?;
    println!(
        "soak: one bridge-server on SQLite, {rate} webhooks/s for {minutes} min, {:.0}% upstream faults",
        args.fault_rate * 100.0
    );

    let mut pace = tokio::time::interval(Duration::from_secs(1) / rate);
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?;
    let driver = Arc::new(Driver::new(&servers, &fakes, http, args, Some(pace)));

    // Customers are started as long as the soak lasts; the pacer sets the rate.
    let started = Instant::now();
    let until = started + Duration::from_secs(u64::from(minutes) * 60);
    let players = {
        let driver = Arc::clone(&driver);
        tokio::spawn(async move {
            let semaphore = Arc::new(tokio::sync::Semaphore::new(driver.args.parallel.max(1)));
            let mut customers = tokio::task::JoinSet::new();
            let mut started_customers = 0;
            let mut timed_out = 0;
            while Instant::now() < until && started_customers < customers_cap(&driver) {
                let Ok(permit) = Arc::clone(&semaphore).acquire_owned().await else {
                    break;
                };
                let driver = Arc::clone(&driver);
                let t = started_customers;
                customers.spawn(async move {
                    let _permit = permit;
                    driver.play(t).await
                });
                started_customers += 1;
                while let Some(joined) = customers.try_join_next() {
                    timed_out += joined.unwrap_or(1);
                }
            }
            while let Some(joined) = customers.join_next().await {
                timed_out += joined.unwrap_or(1);
            }
            (started_customers, timed_out)
        })
    };

    let store = SqliteStore::open(&path).await?;
    let mut samples = Vec::new();
    let mut minute = tokio::time::interval(Duration::from_secs(60));
    minute.tick().await;
    println!("minute  RSS MB  deliveries  inbox done  pending");
    while !players.is_finished() {
        tokio::select! {
            _ = minute.tick() => {}
            () = tokio::time::sleep(Duration::from_millis(500)) => continue,
        }
        let rss = status_kb(pid, "VmRSS").unwrap_or_default();
        let inbox = store.inbox_stats().await?;
        samples.push(rss);
        println!(
            "{:>6}  {:>6.1}  {:>10}  {:>10}  {:>7}",
            samples.len(),
            mb(rss),
            driver.deliveries.load(Ordering::Relaxed),
            inbox.done,
            inbox.unfinished()
        );
    }
    let (played, timed_out) = players.await?;
    let settle_by = Instant::now() + Duration::from_secs(120);
    let mut inbox = store.inbox_stats().await?;
    while inbox.unfinished() > 0 && Instant::now() < settle_by {
        tokio::time::sleep(Duration::from_millis(250)).await;
        inbox = store.inbox_stats().await?;
    }
    let report = check(&driver, played);
    let integrity: String = rusqlite::Connection::open(&path)
        .and_then(|connection| connection.query_row("PRAGMA integrity_check", [], |row| row.get(0)))
        .map_err(|error| format!("integrity check: {error}"))?;
    servers.stop_all();
    let counts = fakes.counts();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{played} customers, {} deliveries in {elapsed:.0} s ({:.1}/s); upstream calls {}: 500 {}, 429 {}, hang {}, reset {}; steps past their deadline {timed_out}",
        driver.deliveries.load(Ordering::Relaxed),
        driver.deliveries.load(Ordering::Relaxed) as f64 / elapsed,
        counts.calls,
        counts.refused,
        counts.rate_limited,
        counts.hung,
        counts.reset,
    );
    println!(
        "agent comments: {} expected, {} once, {} lost, {} duplicated; customer messages: {} expected, {} once, {} lost, {} duplicated",
        report.comments,
        report.comments_once,
        report.comments_lost,
        report.comments_duplicated,
        report.replies,
        report.replies_once,
        report.replies_lost,
        report.replies_duplicated
    );
    println!(
        "inbox at the end: {} done (kept 1 min), {} failed, {} unfinished; integrity_check {integrity}",
        inbox.done,
        inbox.failed,
        inbox.unfinished()
    );
    let exactly_once = report.comments_lost == 0
        && report.comments_duplicated == 0
        && report.replies_lost == 0
        && report.replies_duplicated == 0;
    let memory_flat = match samples.get(WARM_UP_MINUTES.min(samples.len().saturating_sub(1))) {
        Some(&warm) => {
            let later = samples[WARM_UP_MINUTES.min(samples.len() - 1)..]
                .iter()
                .copied()
                .max()
                .unwrap_or(warm);
            let growth = later as f64 / warm.max(1) as f64 - 1.0;
            println!(
                "RSS after warm-up: {:.1} MB at minute {}, at most {:.1} MB later ({:+.0}%, allowed {:+.0}%)",
                mb(warm),
                WARM_UP_MINUTES.min(samples.len() - 1) + 1,
                mb(later),
                growth * 100.0,
                GROWTH_ALLOWED * 100.0
            );
            growth <= GROWTH_ALLOWED
        }
        None => false,
    };
    let ok = exactly_once && memory_flat && integrity == "ok";
    println!("SOAK: {}", if ok { "PASS" } else { "FAIL" });
    Ok(ok)
}

/// How many customers the fakes hold.
fn customers_cap(driver: &Driver) -> u32 {
    driver.fakes.customer_count()
}
