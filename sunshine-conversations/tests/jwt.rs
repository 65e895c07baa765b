//! Tokens decoded and checked without `jsonwebtoken`: base64url by hand, HMAC with the
//! `hmac` crate.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use sunshine_conversations::{Error, jwt};

/// Splits a token, checks its HS256 signature with `secret`, answers header and claims.
fn open(token: &str, secret: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
        .expect("signature verifies with the key secret");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    (decode(parts[0]), decode(parts[1]))
}

#[test]
fn user_token_has_kid_scope_and_a_string_external_id() {
    let token =
        jwt::user_token("app_5ebee0975ac5", "key-secret", "jane.doe+vip@example.com").unwrap();
    let (header, claims) = open(&token, "key-secret");
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["kid"], "app_5ebee0975ac5");
    assert_eq!(claims["scope"], "user");
    assert_eq!(claims["external_id"], "jane.doe+vip@example.com");
    assert!(claims.get("exp").is_none());
    // A numeric-looking id stays a string.
    let token = jwt::user_token("app_1", "key-secret", "912382197").unwrap();
    let (_, claims) = open(&token, "key-secret");
    assert_eq!(claims["external_id"], Value::String("912382197".into()));
}

#[test]
fn a_token_signed_with_another_secret_does_not_verify() {
    let token = jwt::user_token("app_1", "key-secret", "jane@example.com").unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"other-secret").unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert!(
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
            .is_err()
    );
}

#[test]
fn expiry_is_optional_and_in_the_future() {
    let token = jwt::user_token_with_expiry(
        "app_1",
        "key-secret",
        "jane@example.com",
        Some(Duration::from_secs(600)),
    )
    .unwrap();
    let (_, claims) = open(&token, "key-secret");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = claims["exp"].as_u64().unwrap();
    assert!(exp >= now + 590 && exp <= now + 610, "{exp} vs {now}");
}

#[test]
fn app_token_is_app_scoped() {
    let token = jwt::app_token("app_1", "key-secret").unwrap();
    let (header, claims) = open(&token, "key-secret");
    assert_eq!(header["kid"], "app_1");
    assert_eq!(claims, serde_json::json!({"scope": "app"}));
}

#[test]
fn empty_inputs_are_refused() {
    for result in [
        jwt::user_token("", "s", "jane"),
        jwt::user_token("k", "", "jane"),
        jwt::user_token("k", "s", ""),
        jwt::user_token("k", "s", "   "),
        jwt::app_token("", "s"),
    ] {
        assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
    }
}
