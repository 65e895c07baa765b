//! SunCo client figures beside a bare `reqwest` floor measured in the same run: messages
//! posted per second and CPU time per request against a local fake server (target >= 0.9x
//! the bare rate).
//!
//! Run: `cargo bench -p sunshine-conversations`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use sunshine_conversations::{Auth, Client, NewContent, NewMessage, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ROUNDS: usize = 5;
const REQUESTS: usize = 3_000;

/// A keep-alive HTTP/1.1 server answering every request with one posted message.
async fn fake_sunco() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let body = br#"{"messages":[{"id":"5f748c1a2b5315fc007e7977","received":"2020-09-30T13:46:02.733Z","author":{"type":"business","displayName":"Sam"},"content":{"type":"text","text":"Hello!"},"source":{"type":"api:conversations"}}]}"#;
                let mut answer = format!(
                    "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                answer.extend_from_slice(body);
                let mut pending = Vec::new();
                let mut buffer = vec![0u8; 16 * 1024];
                loop {
                    // A whole request is its head plus `content-length` bytes of body.
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|line| line.strip_prefix("content-length:"))
                            .and_then(|value| value.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if pending.len() < end + 4 + length {
                            break;
                        }
                        pending.drain(..end + 4 + length);
                        if socket.write_all(&answer).await.is_err() {
                            return;
                        }
                    }
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => pending.extend_from_slice(&buffer[..read]),
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

/// This process's CPU time (user + system) from `/proc/self/stat`, when readable.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports in USER_HZ, 100 on every mainstream configuration.
    Some(Duration::from_millis(ticks * 10))
}

struct Figure {
    rate: f64,
    cpu_us: Option<f64>,
}

async fn measure<F, Fut>(op: F) -> Figure
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let cpu_before = cpu_time();
    let started = Instant::now();
    for _ in 0..REQUESTS {
        op().await;
    }
    let elapsed = started.elapsed();
    let cpu_us = cpu_before
        .zip(cpu_time())
        .map(|(before, after)| (after - before).as_micros() as f64 / REQUESTS as f64);
    Figure {
        rate: REQUESTS as f64 / elapsed.as_secs_f64(),
        cpu_us,
    }
}

async fn bench() {
    let base = fake_sunco().await;
    let client = Client::builder()
        .app_id("app_1")
        .base_url(&base)
        .expect("base url")
        .auth(Auth::basic("app_key", "key-secret"))
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let bare = reqwest::Client::new();
    let url = format!("{base}/v2/apps/app_1/conversations/c1/messages");
    let message = NewMessage::new(NewContent::markdown("Hello **Jane**, your order shipped."))
        .display_name("Sam from Support")
        .metadata("zendesk_comment_id", "1274");
    let body = serde_json::to_vec(&message).expect("body");

    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ours.push(
            measure(|| async {
                let posted = client.messages().post("c1", &message).await.expect("ours");
                assert_eq!(posted.len(), 1);
            })
            .await,
        );
        floor.push(
            measure(|| async {
                let bytes = bare
                    .post(&url)
                    .header("authorization", "Basic YXBwX2tleTprZXktc2VjcmV0")
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("bare")
                    .bytes()
                    .await
                    .expect("bare body");
                let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
                assert!(value["messages"][0]["id"].is_string());
            })
            .await,
        );
    }
    let best = |figures: &[Figure]| {
        let rate = figures.iter().map(|f| f.rate).fold(0.0, f64::max);
        let cpu = figures
            .iter()
            .filter_map(|f| f.cpu_us)
            .fold(f64::MAX, f64::min);
        (rate, cpu)
    };
    let (our_rate, our_cpu) = best(&ours);
    let (bare_rate, bare_cpu) = best(&floor);
    let ratio = our_rate / bare_rate;
    let verdict = if ratio >= 0.9 { "met" } else { "MISSED" };
    println!(
        "messages posted, 1 task      {our_rate:>8.0} /s  bare reqwest {bare_rate:>8.0} /s  {ratio:.2}x   target >= 0.9x: {verdict}"
    );
    println!(
        "CPU time per request         {our_cpu:>8.1} us  bare reqwest {bare_cpu:>8.1} us  (whole process, fake server included)"
    );
}

fn main() {
    println!(
        "sunshine-conversations benchmark: {} cores, best of {ROUNDS} alternating rounds of {REQUESTS}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}
