//! The seed's filter evaluated against a webhook document (target <= 1 us), beside the same
//! checks hand-written in Rust over the same document as the floor.
//!
//! Run: `cargo bench -p zendesk-sunco-bridge`.

// A benchmark that meets a broken setup should stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use serde_json::Value;
use zendesk_sunco_bridge::filter::{Filter, document};
use zendesk_support::inbound::parse_ticket_event;

const SEED: &str = "ticket.tags:sunco_send AND ticket.status:(new OR open OR pending) \
                    AND current_user.role:(NOT end-user)";
const ROUNDS: usize = 5;
const ITERATIONS: usize = 1_000_000;

fn hand_written(doc: &Value) -> bool {
    let tagged = doc["ticket"]["tags"]
        .as_array()
        .is_some_and(|tags| tags.iter().any(|tag| tag == "sunco_send"));
    let status = doc["ticket"]["status"].as_str();
    let open = matches!(status, Some("new" | "open" | "pending"));
    let role = doc["current_user"]["role"].as_str();
    tagged && open && role != Some("end-user")
}

fn time(doc: &Value, check: impl Fn(&Value) -> bool) -> f64 {
    let started = Instant::now();
    for _ in 0..ITERATIONS {
        assert!(check(black_box(doc)));
    }
    started.elapsed().as_nanos() as f64 / ITERATIONS as f64
}

fn main() {
    let filter = Filter::parse(SEED).expect("the seed filter parses");
    let event = parse_ticket_event(
        br#"{"ticket":{"id":"4021","status":"Open","tags":"vip priority sunco_send",
            "requester":{"id":"35436","email":"jane@example.com","name":"Jane"}},
            "current_user":{"id":"9","role":"Agent","email":"agent@acme.test"}}"#,
    )
    .expect("payload");
    let doc = document(&event);
    let (mut ours, mut floor) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        ours = ours.min(time(&doc, |doc| filter.matches(doc)));
        floor = floor.min(time(&doc, hand_written));
    }
    let verdict = if ours <= 1000.0 { "met" } else { "MISSED" };
    println!(
        "bridge filter benchmark: {} cores, best of {ROUNDS} alternating rounds of {ITERATIONS}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "seed filter, one document     {ours:>7.0} ns/op   hand-written Rust {floor:>5.0} ns/op   target <= 1000 ns: {verdict}"
    );
    let started = Instant::now();
    let parses = 100_000;
    for _ in 0..parses {
        black_box(Filter::parse(black_box(SEED)).expect("parse"));
    }
    println!(
        "seed filter, parse            {:>7.0} ns/op   (once, at config load)",
        started.elapsed().as_nanos() as f64 / parses as f64
    );
}
