//! Zendesk client figures, each beside a floor measured in the same run:
//! - webhook signature verification of a 1 KiB body (target <= 2 us), beside the bare HMAC;
//! - client overhead per request against a local fake server, beside a bare `reqwest` call
//!   (target >= 0.9x the bare rate).
//!
//! Run: `cargo bench -p zendesk-support`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zendesk_support::{Auth, Client, RetryPolicy, inbound};

const ROUNDS: usize = 5;

/// A keep-alive HTTP/1.1 server that answers every request with the same small ticket, so
/// that the figures measure the clients, not the server.
async fn fake_zendesk() -> String {
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
                let body = br#"{"ticket":{"id":4021,"status":"open","tags":["sunco_send"],"requester_id":35436}}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let mut answer = head.into_bytes();
                answer.extend_from_slice(body);
                let mut buffer = vec![0u8; 8192];
                let mut pending = Vec::new();
                loop {
                    let Ok(read) = socket.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    pending.extend_from_slice(&buffer[..read]);
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        pending.drain(..end + 4);
                        if socket.write_all(&answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

fn bench_signature() {
    let secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
    let timestamp = "2026-11-26T12:00:00Z";
    let body = vec![b'x'; 1024];
    let headers = inbound::signed_headers(secret, timestamp, &body);
    let now = UNIX_EPOCH + Duration::from_secs(1_795_694_400);
    let iterations = 200_000;
    let (mut ours, mut floor) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..iterations {
            let verdict = inbound::verify_signature_at(
                black_box(&headers),
                black_box(&body),
                secret,
                now,
                inbound::DEFAULT_TOLERANCE,
            );
            assert!(verdict.is_ok());
        }
        ours = ours.min(started.elapsed().as_nanos() as f64 / iterations as f64);
        let started = Instant::now();
        for _ in 0..iterations {
            black_box(inbound::compute_signature(
                secret,
                timestamp,
                black_box(&body),
            ));
        }
        floor = floor.min(started.elapsed().as_nanos() as f64 / iterations as f64);
    }
    let verdict = if ours <= 2000.0 { "met" } else { "MISSED" };
    println!(
        "verify_signature, 1 KiB body          {ours:>8.0} ns/op   bare HMAC+base64 {floor:>6.0} ns/op   target <= 2000 ns: {verdict}"
    );
}

async fn bench_client() {
    let base = fake_zendesk().await;
    let client = Client::builder()
        .base_url(&base)
        .expect("base url")
        .auth(Auth::api_token("agent@acme.test", "api-tok-123"))
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let bare = reqwest::Client::new();
    let url = format!("{base}/api/v2/tickets/4021");
    let authorization = "Basic YWdlbnRAYWNtZS50ZXN0L3Rva2VuOmFwaS10b2stMTIz";
    let requests = 3_000;
    let (mut ours, mut floor) = (0.0_f64, 0.0_f64);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..requests {
            let ticket = client.tickets().get(4021).await.expect("ours");
            assert_eq!(ticket.id, 4021);
        }
        ours = ours.max(requests as f64 / started.elapsed().as_secs_f64());
        let started = Instant::now();
        for _ in 0..requests {
            let bytes = bare
                .get(&url)
                .header("authorization", authorization)
                .send()
                .await
                .expect("bare")
                .bytes()
                .await
                .expect("bare body");
            let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            assert_eq!(value["ticket"]["id"], 4021);
        }
        floor = floor.max(requests as f64 / started.elapsed().as_secs_f64());
    }
    let ratio = ours / floor;
    let verdict = if ratio >= 0.9 { "met" } else { "MISSED" };
    println!(
        "client GET ticket, 1 task             {ours:>8.0} req/s  bare reqwest {floor:>8.0} req/s  {ratio:.2}x   target >= 0.9x: {verdict}"
    );
}

fn main() {
    println!(
        "zendesk-support benchmark: {} cores, best of {ROUNDS} alternating rounds",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    bench_signature();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench_client());
}
