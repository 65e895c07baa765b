//! Scenario `memory`: one bridge-server on its default SQLite store, its resident memory read
//! from `/proc` when idle and while `--concurrent` cold-ticket webhooks are in flight at once
//! (each runs the whole flow through the fakes), with the targets beside them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{Args, Driver, Failure, Fakes, Servers, server_binary, server_env};

const IDLE_TARGET_MB: f64 = 30.0;
const LOAD_TARGET_MB: f64 = 80.0;

/// A field of `/proc/{pid}/status` in kB (`VmRSS`, `VmHWM`).
pub(crate) fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

pub(crate) fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

pub(crate) async fn run(mut args: Args) -> Result<bool, Failure> {
    // Memory under load, not under repeats: every webhook is a new cold ticket.
    args.repeat_rate = 0.0;
    args.concurrent_rate = 0.0;
    let fakes =
        Arc::new(Fakes::start(args.tickets, 0.0, Duration::from_millis(1500), args.seed).await?);
    let dir = tempfile::tempdir()?;
    let store_url = format!("sqlite://{}", dir.path().join("links.db").display());
    let servers = Arc::new(Servers::new(
        server_binary(&args)?,
        server_env(&fakes, &store_url, dir.path())?,
        dir.path().to_path_buf(),
        1,
    ));
    servers.start(0)?;
    let pid = servers.pid(0).ok_or("no server")?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = status_kb(pid, "VmRSS").ok_or("cannot read /proc")?;

    let concurrent = args.concurrent.max(1);
    let tickets = args.tickets;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(concurrent)
        .build()?;
    let driver = Arc::new(Driver::new(&servers, &fakes, http, args, None));

    // Sample the resident set while the load runs.
    let loaded = Arc::new(AtomicBool::new(true));
    let sampled_peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (loaded, sampled_peak) = (Arc::clone(&loaded), Arc::clone(&sampled_peak));
        tokio::spawn(async move {
            while loaded.load(Ordering::Relaxed) {
                if let Some(kb) = status_kb(pid, "VmRSS") {
                    sampled_peak.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let started = Instant::now();
    let mut next = 0;
    while next < tickets {
        let wave: Vec<u32> = (next..tickets.min(next + concurrent as u32)).collect();
        next += wave.len() as u32;
        let mut sends = tokio::task::JoinSet::new();
        for t in wave {
            let driver = Arc::clone(&driver);
            sends.spawn(async move {
                let (ticket, _) = driver.fakes.open_ticket(t, "hello");
                driver.send_once(&driver.fakes.ticket_webhook(ticket)).await;
            });
        }
        while sends.join_next().await.is_some() {}
    }
    // Every ticket's message delivered: the load is over.
    let all_delivered = driver
        .wait_for(|fakes| (0..tickets).all(|t| fakes.any_delivered(t)))
        .await;
    let elapsed = started.elapsed();
    loaded.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let peak = status_kb(pid, "VmHWM").unwrap_or_default();
    let after = status_kb(pid, "VmRSS").unwrap_or_default();
    servers.stop_all();

    let idle_ok = mb(idle) <= IDLE_TARGET_MB;
    let load_ok = mb(peak) <= LOAD_TARGET_MB;
    let verdict = |ok| if ok { "met" } else { "MISSED" };
    println!(
        "bridge-server memory (SQLite store): {tickets} cold tickets, {concurrent} webhooks at once, all delivered: {all_delivered}, in {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "idle RSS                        {:>6.1} MB   target <= {IDLE_TARGET_MB} MB: {}",
        mb(idle),
        verdict(idle_ok)
    );
    println!(
        "peak RSS under load (VmHWM)     {:>6.1} MB   target <= {LOAD_TARGET_MB} MB: {}   ({:.1}x idle; sampled peak {:.1} MB; {:.1} MB after)",
        mb(peak),
        verdict(load_ok),
        mb(peak) / mb(idle).max(0.1),
        mb(sampled_peak.load(Ordering::Relaxed)),
        mb(after)
    );
    Ok(all_delivered && idle_ok && load_ok)
}
