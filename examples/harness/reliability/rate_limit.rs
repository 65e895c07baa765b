//! Scenario `rate-limit`: Zendesk answers every call 429 with `Retry-After` for a while (its
//! account limit), then recovers. Zendesk's calls are counted each second, so that the
//! report shows what the servers did meanwhile (a refused call or two each, not one per batch
//! per retry) and afterwards (the backlog drained at the usual pace, no burst of retries).

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use zendesk_support::testing::{Fault, FaultRule};

use crate::fakes::Fakes;

/// Zendesk's calls in one second of the run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Second {
    calls: u64,
    refused: u64,
    limited: bool,
}

/// Starts the limit `after` into the run, lifts it `limited_for` later, and samples Zendesk's
/// calls each second until `stop` is set; answers the samples.
pub(crate) fn run(
    fakes: &Arc<Fakes>,
    after: Duration,
    limited_for: Duration,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> JoinHandle<Vec<Second>> {
    let fakes = Arc::clone(fakes);
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let (begins, ends) = (started + after, started + after + limited_for);
        let mut seconds = Vec::new();
        let mut last = fakes.zendesk.control().counts();
        let mut limited = false;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let now = tokio::time::Instant::now();
            if !limited && now >= begins && now < ends {
                fakes
                    .zendesk
                    .control()
                    .fail(FaultRule::new(Fault::RateLimited {
                        retry_after: limited_for,
                    }));
                limited = true;
            } else if limited && now >= ends {
                fakes.zendesk.control().clear_faults();
                limited = false;
            }
            tick.tick().await;
            let counts = fakes.zendesk.control().counts();
            seconds.push(Second {
                calls: counts.calls - last.calls,
                refused: counts.rate_limited - last.rate_limited,
                limited,
            });
            last = counts;
        }
        fakes.zendesk.control().clear_faults();
        seconds
    })
}

/// The report: calls per second before, during and after the limit, and each second.
/// Answers whether the servers held back while it lasted: at most one refused call per
/// worker loop (the calls already under way when it began) and one probe per server, of
/// `servers` with `loops` worker loops each.
pub(crate) fn report(seconds: &[Second], servers: usize, loops: usize) -> bool {
    let during: Vec<&Second> = seconds.iter().filter(|s| s.limited).collect();
    let Some(first) = seconds.iter().position(|s| s.limited) else {
        println!("zendesk rate limit: the run ended before it began");
        return false;
    };
    let last = first + during.len();
    let before = &seconds[..first];
    let after = &seconds[last.min(seconds.len())..];
    let max = |part: &[Second]| part.iter().map(|s| s.calls).max().unwrap_or(0);
    let mean = |part: &[Second]| {
        part.iter().map(|s| s.calls).sum::<u64>() as f64 / part.len().max(1) as f64
    };
    let refused: u64 = during.iter().map(|s| s.refused).sum();
    let calls_during: u64 = during.iter().map(|s| s.calls).sum();
    println!(
        "zendesk rate limit for {} s: calls/s before {:.0} (max {}); during {} calls in all, {} refused 429; \
         after: first 10 s max {}/s, mean {:.0}/s",
        during.len(),
        mean(before),
        max(before),
        calls_during,
        refused,
        max(&after[..after.len().min(10)]),
        mean(after),
    );
    let series: Vec<String> = seconds
        .iter()
        .map(|s| {
            if s.limited {
                format!("[{}]", s.calls)
            } else {
                s.calls.to_string()
            }
        })
        .collect();
    println!(
        "zendesk calls each second ([limited]): {}",
        series.join(" ")
    );
    let budget = (servers * (loops + 1)) as u64;
    let held_back = calls_during <= budget;
    println!(
        "RATE LIMIT KEPT: {} ({calls_during} calls while limited; at most {budget})",
        if held_back { "PASS" } else { "FAIL" }
    );
    held_back
}
