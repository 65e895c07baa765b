//! Property tests on what reads outside input: the v2 webhook envelope parser and the
//! `X-API-Key` check never panic; only the exact secret passes.
//!
//! `PROPTEST_CASES=100000 cargo test -p sunshine-conversations --test fuzz --release` runs a
//! long one.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde_json::Value;
use sunshine_conversations::inbound::{self, API_KEY_HEADER, EventPayload};

/// 2000 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var("PROPTEST_CASES").is_err() {
        config.cases = 2000;
    }
    config
}

/// JSON built from the envelope's own vocabulary, so generated documents reach deep.
fn envelope_like() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("app"),
        Just("webhook"),
        Just("events"),
        Just("id"),
        Just("type"),
        Just("createdAt"),
        Just("payload"),
        Just("conversation"),
        Just("message"),
        Just("author"),
        Just("userId"),
        Just("user"),
        Just("content"),
        Just("text"),
        Just("mediaUrl"),
        Just("metadata"),
        Just("version"),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::from),
        prop_oneof![
            Just("conversation:message"),
            Just("conversation:read"),
            Just("user"),
            Just("business"),
            Just("text"),
            Just("image"),
            Just("file"),
            Just("carousel"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..7).prop_map(|fields| {
                Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_envelope_parser_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = inbound::parse(&body);
    }

    #[test]
    fn the_envelope_parser_never_panics_on_envelope_like_json(value in envelope_like()) {
        let body = serde_json::to_vec(&value).unwrap();
        if let Ok(envelope) = inbound::parse(&body) {
            for event in &envelope.events {
                if let EventPayload::ConversationMessage(message) = &event.payload {
                    let _ = message.is_from_business();
                }
            }
        }
    }

    #[test]
    fn only_the_exact_api_key_passes(secret in "[ -~]{1,40}", given in "[ -~]{0,40}") {
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, HeaderValue::from_str(&given).unwrap());
        let verdict = inbound::verify_api_key(&headers, &secret);
        prop_assert_eq!(verdict.is_ok(), given == secret);
        // No key, or an empty secret, never passes.
        prop_assert!(inbound::verify_api_key(&HeaderMap::new(), &secret).is_err());
        prop_assert!(inbound::verify_api_key(&headers, "").is_err());
    }
}
