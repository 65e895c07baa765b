//! CPU per request of our two clients beside the peers a team would otherwise pick, against
//! the same loopback fake in the same run: `zendesk-support` beside zenpy (Python, the most
//! used Zendesk client) for showing a ticket, and `sunshine-conversations` beside SunCo's
//! official Node client (`sunshine-conversations-client`) for reading a user.
//!
//! Every client runs in a child process of its own, so each figure is that process's CPU
//! (user + system, from `/proc/self/stat`'s children fields), and the fake's CPU is counted
//! for none. A run of zero requests is measured too and taken off, so interpreter start-up
//! and imports do not count.
//!
//! The peers are installed on first use into `target/peers` (a Python venv with
//! zenpy 2.0.57, and `sunshine-conversations-client` 14.1.0 from npm), or taken from
//! `PEERS_DIR`. Without Python or Node (or their registries) those rows say why they were
//! skipped.
//!
//! Run: `cargo bench -p examples --bench peers`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TICKET: &[u8] = br#"{"ticket":{"id":4021,"url":"https://acme.zendesk.com/api/v2/tickets/4021.json","subject":"Order 1042","description":"Where is my order?","status":"open","requester_id":35436,"submitter_id":35436,"assignee_id":235323,"organization_id":509974,"group_id":98738,"tags":["sunco_send","enterprise"],"via":{"channel":"web"},"created_at":"2026-11-20T09:00:00Z","updated_at":"2026-11-20T09:05:00Z"}}"#;
const USER: &[u8] = br#"{"user":{"id":"67a11490f0305f4a391e9f8a","externalId":"jane@example.com","zendeskId":"35436","signedUpAt":"2025-02-03T19:10:08.152Z","hasPaymentInfo":false,"identities":[],"profile":{"givenName":"Jane","surname":"Doe","email":"jane@example.com","locale":"en"},"metadata":{}}}"#;

/// A keep-alive HTTP/1.1 server: a ticket for Zendesk paths, a user for SunCo paths.
async fn fake() -> String {
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
                let answer = |body: &[u8]| {
                    let mut bytes = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    bytes.extend_from_slice(body);
                    bytes
                };
                let (ticket, user) = (answer(TICKET), answer(USER));
                let mut pending = Vec::new();
                let mut buffer = vec![0u8; 16 * 1024];
                loop {
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
                        let reply = if head.contains("/api/v2/") {
                            &ticket
                        } else {
                            &user
                        };
                        pending.drain(..end + 4 + length);
                        if socket.write_all(reply).await.is_err() {
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

/// The CPU time (user + system) of this process's children that have been waited for.
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_name = &stat[stat.rfind(')').expect("stat") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = [13, 14]
        .iter()
        .map(|&field| fields[field].parse::<u64>().expect("cutime/cstime"))
        .sum();
    // Linux reports in USER_HZ, 100 on every mainstream configuration.
    Duration::from_millis(ticks * 10)
}

/// Runs `command` to the end; answers its CPU time and wall time.
fn run(mut command: Command) -> (Duration, Duration) {
    let before = children_cpu();
    let started = Instant::now();
    let status = command.status().expect("start the client");
    let wall = started.elapsed();
    assert!(status.success(), "{command:?} failed: {status}");
    (children_cpu() - before, wall)
}

/// CPU and wall time per request: a run of `requests` minus a run of none.
fn per_request(requests: u32, mut command: impl FnMut(u32) -> Command) -> (f64, f64) {
    let (idle_cpu, idle_wall) = run(command(0));
    let (cpu, wall) = run(command(requests));
    let each = |busy: Duration, idle: Duration| {
        busy.saturating_sub(idle).as_secs_f64() * 1e6 / f64::from(requests)
    };
    (each(cpu, idle_cpu), each(wall, idle_wall))
}

/// One of our clients, run as this bench binary in `PEER_ROLE` mode.
fn ours(role: &str, base: &str, requests: u32) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("current exe"));
    command
        .env("PEER_ROLE", role)
        .env("PEER_BASE", base)
        .env("PEER_REQUESTS", requests.to_string());
    command
}

/// What a child in `PEER_ROLE` mode does: `PEER_REQUESTS` sequential calls.
fn child(role: &str) {
    let base = std::env::var("PEER_BASE").expect("PEER_BASE");
    let requests: u32 = std::env::var("PEER_REQUESTS")
        .expect("PEER_REQUESTS")
        .parse()
        .expect("a number");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        match role {
            "zendesk" => {
                let client = zendesk_support::Client::builder()
                    .base_url(&base)
                    .expect("base url")
                    .auth(zendesk_support::Auth::api_token(
                        "agent@acme.test",
                        "api-tok-123",
                    ))
                    .build()
                    .expect("client");
                for _ in 0..requests {
                    let ticket = client.tickets().get(4021).await.expect("ticket");
                    assert_eq!(ticket.id, 4021);
                }
            }
            "sunco" => {
                let client = sunshine_conversations::Client::builder()
                    .app_id("app_1")
                    .base_url(&base)
                    .expect("base url")
                    .auth(sunshine_conversations::Auth::basic("app_key", "key-secret"))
                    .build()
                    .expect("client");
                for _ in 0..requests {
                    let user = client.users().get("jane@example.com").await.expect("user");
                    assert_eq!(user.external_id.as_deref(), Some("jane@example.com"));
                }
            }
            other => panic!("unknown PEER_ROLE {other}"),
        }
    });
}

const ZENPY: &str = r#"
import sys
from zenpy import Zenpy
zenpy = Zenpy(subdomain="acme", email="agent@acme.test", token="api-tok-123")
zenpy.disable_caching()
for _ in range(int(sys.argv[1])):
    ticket = zenpy.tickets(id=4021)
    assert ticket.id == 4021
"#;

const NODE: &str = r#"
const SunCo = require("sunshine-conversations-client");
const client = SunCo.ApiClient.instance;
client.basePath = process.argv[1];
client.authentications.basicAuth.username = "app_key";
client.authentications.basicAuth.password = "key-secret";
const users = new SunCo.UsersApi();
(async () => {
  for (let i = 0; i < Number(process.argv[2]); i++) {
    const answer = await users.getUser("app_1", "jane@example.com");
    if (answer.user.externalId !== "jane@example.com") throw new Error("wrong user");
  }
})().catch((error) => { console.error(error); process.exit(1); });
"#;

/// Where the peers are installed, installing them when missing; `Err` says why not.
fn peers_dir() -> Result<PathBuf, String> {
    let dir = std::env::var_os("PEERS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/peers"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let sh = |script: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(&dir)
            .status()
            .map_err(|error| error.to_string())
            .and_then(|status| {
                if status.success() {
                    Ok(())
                } else {
                    Err(format!("`{script}` failed: {status}"))
                }
            })
    };
    if !dir.join("venv/bin/python").exists() {
        sh("python3 -m venv venv && venv/bin/pip install -q zenpy==2.0.57")?;
    }
    if !dir
        .join("node_modules/sunshine-conversations-client")
        .exists()
    {
        sh("npm install --silent --no-audit --no-fund sunshine-conversations-client@14.1.0")?;
    }
    Ok(dir)
}

fn row(name: &str, ours: (f64, f64), peer: Result<(f64, f64), String>, peer_name: &str) {
    println!(
        "{name}: ours {:>7.1} us CPU, {:>7.1} us wall per request",
        ours.0, ours.1
    );
    match peer {
        Ok((cpu, wall)) => println!(
            "{name}: {peer_name} {cpu:>7.1} us CPU, {wall:>7.1} us wall per request -> ours uses {:.1}x less CPU",
            cpu / ours.0.max(0.1)
        ),
        Err(why) => println!("{name}: {peer_name} skipped: {why}"),
    }
}

fn main() {
    if let Ok(role) = std::env::var("PEER_ROLE") {
        child(&role);
        return;
    }
    let server = tokio::runtime::Runtime::new().expect("runtime");
    let base = server.block_on(fake());
    let port = base.rsplit(':').next().expect("port").to_owned();
    let peers = peers_dir();

    let zendesk = per_request(3_000, |n| ours("zendesk", &base, n));
    let zenpy = peers.clone().map(|dir| {
        per_request(1_000, |n| {
            let mut command = Command::new(dir.join("venv/bin/python"));
            command
                .args(["-c", ZENPY, &n.to_string()])
                .env("ZENPY_FORCE_SCHEME", "http")
                .env("ZENPY_FORCE_NETLOC", format!("127.0.0.1:{port}"));
            command
        })
    });
    row("Zendesk show ticket", zendesk, zenpy, "zenpy 2.0.57");

    let sunco = per_request(3_000, |n| ours("sunco", &base, n));
    let node = peers.map(|dir| {
        per_request(2_000, |n| {
            let mut command = Command::new("node");
            command
                .args(["-e", NODE, &base, &n.to_string()])
                .env("NODE_PATH", dir.join("node_modules"));
            command
        })
    });
    row(
        "SunCo get user",
        sunco,
        node,
        "sunshine-conversations-client 14.1.0 (Node)",
    );
}
