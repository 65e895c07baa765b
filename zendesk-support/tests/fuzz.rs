//! Property tests on everything that reads outside input: the trigger payload parser and the
//! two webhook verifiers never panic, whatever the bytes; a genuine signature verifies and any
//! change to the body, timestamp or secret is refused.
//!
//! `PROPTEST_CASES=100000 cargo test -p zendesk-support --test fuzz --release` runs a long one.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde_json::Value;
use zendesk_support::inbound::{
    self, SIGNATURE_HEADER, TIMESTAMP_HEADER, compute_signature, verify_signature_at,
};

/// 2000 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var("PROPTEST_CASES").is_err() {
        config.cases = 2000;
    }
    config
}

/// JSON built from the payload's own vocabulary, so that generated documents reach deep into
/// the parser instead of failing at the first field.
fn payload_like() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("ticket"),
        Just("id"),
        Just("status"),
        Just("tags"),
        Just("requester"),
        Just("email"),
        Just("name"),
        Just("current_user"),
        Just("role"),
        Just("via"),
        "[a-z_]{1,8}".prop_map(|s| Box::leak(s.into_boxed_str()) as &str),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
        "[0-9]{1,20}".prop_map(Value::from),
        prop_oneof![
            Just("Open"),
            Just("solved"),
            Just("End-user"),
            Just("Agent"),
            Just("")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|fields| {
                Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(*name, value);
        }
    }
    headers
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_payload_parser_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = inbound::parse_ticket_event(&body);
    }

    #[test]
    fn the_payload_parser_never_panics_on_payload_like_json(value in payload_like()) {
        let body = serde_json::to_vec(&value).unwrap();
        if let Ok(event) = inbound::parse_ticket_event(&body) {
            // Whatever parses reads back without panicking.
            let _ = event.requester();
        }
    }

    #[test]
    fn the_verifiers_never_panic_on_any_headers(
        signature in "\\PC{0,64}",
        timestamp in "\\PC{0,40}",
        authorization in "\\PC{0,80}",
        body in prop::collection::vec(any::<u8>(), 0..256),
        secret in "\\PC{0,40}",
    ) {
        let headers = headers(&[
            (SIGNATURE_HEADER, signature),
            (TIMESTAMP_HEADER, timestamp),
            ("authorization", authorization),
        ]);
        let _ = inbound::verify_signature(&headers, &body, &secret);
        let _ = inbound::verify_basic_auth(&headers, "meya", &secret);
    }

    #[test]
    fn a_genuine_signature_verifies_and_any_change_is_refused(
        body in prop::collection::vec(any::<u8>(), 0..256),
        secret in "[A-Za-z0-9+/=]{1,48}",
        flip in any::<prop::sample::Index>(),
        seconds in 1_600_000_000u64..2_000_000_000,
    ) {
        let timestamp = time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap())
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let signature = compute_signature(&secret, &timestamp, &body);
        let signed = headers(&[(SIGNATURE_HEADER, signature.clone()), (TIMESTAMP_HEADER, timestamp.clone())]);
        let tolerance = Duration::from_secs(300);
        prop_assert!(verify_signature_at(&signed, &body, &secret, at(seconds + 10), tolerance).is_ok());
        // Stale and future-dated copies are refused.
        prop_assert!(verify_signature_at(&signed, &body, &secret, at(seconds + 301), tolerance).is_err());
        prop_assert!(verify_signature_at(&signed, &body, &secret, at(seconds - 301), tolerance).is_err());
        // Another secret is refused.
        let other_secret = format!("{secret}x");
        prop_assert!(verify_signature_at(&signed, &body, &other_secret, at(seconds), tolerance).is_err());
        // One flipped bit of the body is refused.
        if !body.is_empty() {
            let mut tampered = body.clone();
            let index = flip.index(tampered.len());
            tampered[index] ^= 1;
            prop_assert!(verify_signature_at(&signed, &tampered, &secret, at(seconds), tolerance).is_err());
        }
    }
}
