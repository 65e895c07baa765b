//! Webhook verification against vectors computed independently (Python's `hmac` and
//! `openssl dgst -sha256 -hmac`), and the trigger payload.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use zendesk_support::inbound::{
    self, DEFAULT_TOLERANCE, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookError,
};
use zendesk_support::{Role, TicketStatus};

const SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
const TIMESTAMP: &str = "2026-11-26T12:00:00Z";
const BODY: &[u8] = br#"{"ticket":{"id":"4021"}}"#;
/// `printf '%s%s' "$TIMESTAMP" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64`
const EXPECTED: &str = "8laa3oGqmqHOP0O91qKCqd9TKMKNJH7nja691X5HoJg=";
/// 2026-11-26T12:00:00Z as Unix seconds.
const SIGNED_AT: u64 = 1_795_694_400;

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn signed(signature: &str, timestamp: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
    headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(timestamp).unwrap());
    headers
}

fn verify(headers: &HeaderMap, body: &[u8], secret: &str, now: u64) -> Result<(), WebhookError> {
    inbound::verify_signature_at(headers, body, secret, at(now), DEFAULT_TOLERANCE)
}

#[test]
fn compute_signature_matches_openssl() {
    assert_eq!(
        inbound::compute_signature(SECRET, TIMESTAMP, BODY),
        EXPECTED
    );
}

#[test]
fn a_genuine_request_verifies() {
    let headers = signed(EXPECTED, TIMESTAMP);
    assert_eq!(verify(&headers, BODY, SECRET, SIGNED_AT + 30), Ok(()));
    // Within the window either way.
    assert_eq!(verify(&headers, BODY, SECRET, SIGNED_AT - 299), Ok(()));
    assert_eq!(verify(&headers, BODY, SECRET, SIGNED_AT + 300), Ok(()));
    assert_eq!(
        inbound::verify_signature_at(
            &inbound::signed_headers(SECRET, TIMESTAMP, BODY),
            BODY,
            SECRET,
            at(SIGNED_AT),
            DEFAULT_TOLERANCE
        ),
        Ok(())
    );
}

#[test]
fn tampering_is_refused() {
    let headers = signed(EXPECTED, TIMESTAMP);
    let tampered = br#"{"ticket":{"id":"4022"}}"#;
    assert_eq!(
        verify(&headers, tampered, SECRET, SIGNED_AT),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify(&headers, BODY, "another-secret", SIGNED_AT),
        Err(WebhookError::BadSignature)
    );
    // The secret is used as it is, not base64-decoded.
    assert_eq!(
        verify(&headers, BODY, "this_secret_is_for_testing_only", SIGNED_AT),
        Err(WebhookError::BadSignature)
    );
    // A signature made for another timestamp does not carry over.
    let moved = signed(EXPECTED, "2026-11-26T12:00:01Z");
    assert_eq!(
        verify(&moved, BODY, SECRET, SIGNED_AT),
        Err(WebhookError::BadSignature)
    );
    let garbage = signed("not base64 !!", TIMESTAMP);
    assert_eq!(
        verify(&garbage, BODY, SECRET, SIGNED_AT),
        Err(WebhookError::BadSignature)
    );
    let truncated = signed(&EXPECTED[..20], TIMESTAMP);
    assert_eq!(
        verify(&truncated, BODY, SECRET, SIGNED_AT),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn stale_and_future_timestamps_are_refused() {
    let headers = signed(EXPECTED, TIMESTAMP);
    assert_eq!(
        verify(&headers, BODY, SECRET, SIGNED_AT + 301),
        Err(WebhookError::Stale { age_secs: 301 })
    );
    assert_eq!(
        verify(&headers, BODY, SECRET, SIGNED_AT - 3600),
        Err(WebhookError::FromTheFuture { ahead_secs: 3600 })
    );
    // A wider window is the caller's choice.
    assert_eq!(
        inbound::verify_signature_at(
            &headers,
            BODY,
            SECRET,
            at(SIGNED_AT + 3600),
            Duration::from_secs(7200)
        ),
        Ok(())
    );
}

#[test]
fn missing_and_malformed_headers_are_named() {
    let mut only_signature = HeaderMap::new();
    only_signature.insert(SIGNATURE_HEADER, HeaderValue::from_static(EXPECTED));
    assert_eq!(
        verify(&only_signature, BODY, SECRET, SIGNED_AT),
        Err(WebhookError::MissingHeader(TIMESTAMP_HEADER))
    );
    assert_eq!(
        verify(&HeaderMap::new(), BODY, SECRET, SIGNED_AT),
        Err(WebhookError::MissingHeader(SIGNATURE_HEADER))
    );
    for bad in ["yesterday", "1795694400", "2026-11-26 12:00:00", ""] {
        assert_eq!(
            verify(&signed(EXPECTED, bad), BODY, SECRET, SIGNED_AT),
            Err(WebhookError::MalformedHeader(TIMESTAMP_HEADER)),
            "{bad:?}"
        );
    }
    let mut binary = signed(EXPECTED, TIMESTAMP);
    binary.insert(
        SIGNATURE_HEADER,
        HeaderValue::from_bytes(&[0xff, 0xfe]).unwrap(),
    );
    assert_eq!(
        verify(&binary, BODY, SECRET, SIGNED_AT),
        Err(WebhookError::MalformedHeader(SIGNATURE_HEADER))
    );
}

fn basic(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_str(value).unwrap());
    headers
}

#[test]
fn basic_auth_checks_user_and_password() {
    // base64("meya:target-pass"), computed with Python's base64.
    let good = basic("Basic bWV5YTp0YXJnZXQtcGFzcw==");
    assert_eq!(
        inbound::verify_basic_auth(&good, "meya", "target-pass"),
        Ok(())
    );
    assert_eq!(
        inbound::verify_basic_auth(&good, "meya", "target-pasS"),
        Err(WebhookError::BadCredentials)
    );
    assert_eq!(
        inbound::verify_basic_auth(&good, "bot", "target-pass"),
        Err(WebhookError::BadCredentials)
    );
    assert_eq!(
        inbound::verify_basic_auth(&good, "meya", "target-pass-and-more"),
        Err(WebhookError::BadCredentials)
    );
    assert_eq!(
        inbound::verify_basic_auth(&HeaderMap::new(), "meya", "target-pass"),
        Err(WebhookError::MissingHeader("authorization"))
    );
    for malformed in ["Bearer bWV5YTp0YXJnZXQtcGFzcw==", "Basic", "Basic %%%"] {
        assert_eq!(
            inbound::verify_basic_auth(&basic(malformed), "meya", "target-pass"),
            Err(WebhookError::MalformedHeader("authorization")),
            "{malformed}"
        );
    }
}

const PAYLOAD: &str = r#"{"ticket": {"id": "4021", "status": "Open", "tags": "sunco_send  vip",
    "requester": {"id": "35436", "email": "jane.doe+vip@example.com", "name": "Jane Doe"}},
  "current_user": {"id": "9", "role": "Agent", "email": "agent@acme.test"}}"#;

#[test]
fn the_trigger_payload_parses_with_placeholder_strings() {
    let event = inbound::parse_ticket_event(PAYLOAD.as_bytes()).unwrap();
    assert_eq!(event.ticket.id, 4021);
    assert_eq!(event.ticket.status, Some(TicketStatus::Open));
    assert_eq!(event.ticket.tags, ["sunco_send", "vip"]);
    let requester = event.requester().unwrap();
    assert_eq!(requester.id, Some(35436));
    assert_eq!(requester.email.as_deref(), Some("jane.doe+vip@example.com"));
    let user = event.current_user.unwrap();
    assert_eq!(user.id, Some(9));
    assert_eq!(user.role, Some(Role::Agent));
}

#[test]
fn numbers_lists_and_end_user_are_accepted() {
    let event = inbound::parse_ticket_event(
        br#"{"ticket":{"id":4021,"status":"solved","tags":["sunco_send"],
             "requester":{"id":35436,"email":"","name":""}},
             "current_user":{"id":"","role":"End-user","email":""},
             "unknown_field":{"is":"tolerated"}}"#,
    )
    .unwrap();
    assert_eq!(event.ticket.id, 4021);
    assert_eq!(event.ticket.status, Some(TicketStatus::Solved));
    assert_eq!(event.ticket.tags, ["sunco_send"]);
    let requester = event.requester().unwrap();
    assert_eq!(
        (requester.email.as_deref(), requester.name.as_deref()),
        (None, None)
    );
    let user = event.current_user.unwrap();
    assert_eq!(user.id, None);
    assert_eq!(user.role, Some(Role::EndUser));

    let odd = inbound::parse_ticket_event(
        br#"{"ticket":{"id":"7","status":"Archived","tags":""},"current_user":{"role":"Light agent"}}"#,
    )
    .unwrap();
    assert_eq!(
        odd.ticket.status,
        Some(TicketStatus::Unknown("archived".into()))
    );
    assert!(odd.ticket.tags.is_empty());
    assert_eq!(
        odd.current_user.unwrap().role,
        Some(Role::Unknown("light agent".into()))
    );
}

#[test]
fn a_malformed_payload_names_the_field() {
    for (body, path) in [
        (&br#"{"ticket":{"id":"abc"}}"#[..], "ticket.id"),
        (br#"{"ticket":{"id":""}}"#, "ticket.id"),
        (br#"{"ticket":{}}"#, "ticket"),
        (
            br#"{"ticket":{"id":"1","requester":{"id":"x"}}}"#,
            "ticket.requester.id",
        ),
        (br#"{"ticket":{"id":"1","tags":5}}"#, "ticket.tags"),
    ] {
        match inbound::parse_ticket_event(body) {
            Err(WebhookError::MalformedPayload { path: got, .. }) => {
                assert_eq!(got, path, "{}", String::from_utf8_lossy(body))
            }
            other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
    for body in [&b""[..], b"{", b"null", b"[]", b"\xff\xfe", b"{\"ticket\":"] {
        assert!(matches!(
            inbound::parse_ticket_event(body),
            Err(WebhookError::MalformedPayload { .. })
        ));
    }
}

/// The body `setup` installs, filled in as Zendesk fills it in, parses as a ticket event.
#[test]
fn the_installed_trigger_payload_parses_once_filled_in() {
    let filled = zendesk_support::inbound::TRIGGER_PAYLOAD
        .replace("{{ticket.id}}", "4021")
        .replace("{{ticket.status}}", "Open")
        .replace("{{ticket.tags}}", "sunco_send vip")
        .replace("{{ticket.requester.id}}", "35436")
        .replace("{{ticket.requester.email}}", "jane@example.com")
        .replace("{{ticket.requester.name}}", "Jane")
        .replace("{{current_user.id}}", "9")
        .replace("{{current_user.role}}", "Agent")
        .replace("{{current_user.email}}", "sam@acme.test");
    assert!(
        !filled.contains("{{"),
        "every placeholder is known: {filled}"
    );
    let event = zendesk_support::inbound::parse_ticket_event(filled.as_bytes()).unwrap();
    assert_eq!(event.ticket.id, 4021);
    assert_eq!(event.requester().unwrap().id, Some(35436));
}
