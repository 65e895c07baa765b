//! Webhook fixtures (the OAS example, image, file, our own echo, unknown types) and bad input.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{HeaderMap, HeaderValue};
use sunshine_conversations::inbound::{self, EventPayload, MessageEvent, WebhookError};
use sunshine_conversations::{AuthorType, Content};

fn message_event(body: &str) -> MessageEvent {
    let envelope = inbound::parse(body.as_bytes()).unwrap();
    assert_eq!(envelope.events.len(), 1);
    match &envelope.events[0].payload {
        EventPayload::ConversationMessage(event) => (**event).clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_oas_text_message_example() {
    let body = include_str!("fixtures/message_text.json");
    let envelope = inbound::parse(body.as_bytes()).unwrap();
    assert_eq!(envelope.app.id, "5ebee0975ac5304b664a12fa");
    assert_eq!(envelope.webhook.version.as_deref(), Some("v2"));
    let event = &envelope.events[0];
    assert_eq!(event.id, "5f74a0d52b5315fc007e798a");
    assert_eq!(event.kind, "conversation:message");
    let EventPayload::ConversationMessage(message) = &event.payload else {
        panic!("{event:?}")
    };
    assert!(!message.is_from_business());
    assert_eq!(message.conversation.id, "f52b01137aa6c250bc7251fa");
    let author = &message.message.author;
    assert_eq!(author.kind, AuthorType::User);
    assert_eq!(
        author.user.as_ref().unwrap().external_id.as_deref(),
        Some("912382197")
    );
    assert_eq!(message.message.content.text(), Some("hello"));
    assert_eq!(
        message.message.source.as_ref().unwrap().kind.as_deref(),
        Some("telegram")
    );
}

#[test]
fn image_and_file_messages() {
    let image = message_event(include_str!("fixtures/message_image.json"));
    let Content::Image(media) = &image.message.content else {
        panic!("{:?}", image.message.content)
    };
    assert_eq!(media.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.media_size, Some(48213.0));
    assert_eq!(image.message.content.text(), Some("see this"));

    let file = message_event(include_str!("fixtures/message_file.json"));
    let Content::File(media) = &file.message.content else {
        panic!("{:?}", file.message.content)
    };
    assert!(media.media_url.ends_with("invoice.pdf"));
    assert_eq!(file.message.content.text(), None);

    // `mediaSize` is a JSON number, not promised to be an integer.
    let fractional = include_str!("fixtures/message_file.json").replace("1024", "1536.5");
    let Content::File(media) = message_event(&fractional).message.content else {
        panic!("not a file")
    };
    assert_eq!(media.media_size, Some(1536.5));
}

#[test]
fn our_own_business_message_is_recognised() {
    let echo = message_event(include_str!("fixtures/business_echo.json"));
    assert!(echo.is_from_business());
    assert_eq!(echo.message.metadata.unwrap()["zendesk_comment_id"], "1274");
}

#[test]
fn unknown_event_and_content_types_keep_their_json() {
    let envelope = inbound::parse(include_str!("fixtures/unknown_types.json").as_bytes()).unwrap();
    assert_eq!(envelope.events.len(), 3);
    assert!(
        matches!(&envelope.events[0].payload, EventPayload::Unknown(raw) if raw["activity"]["type"] == "typing:start")
    );
    let EventPayload::ConversationMessage(carousel) = &envelope.events[1].payload else {
        panic!()
    };
    assert!(
        matches!(&carousel.message.content, Content::Unknown(raw) if raw["items"][0]["title"] == "Tacos")
    );
    assert_eq!(envelope.events[2].kind, "conversation:hologram");
    assert_eq!(envelope.events[2].created_at, None);
}

#[test]
fn malformed_bodies_name_the_field() {
    for (body, path, reason) in [
        (
            r#"{"app":{"id":"a"},"webhook":{"id":"w"}}"#,
            ".",
            "missing field `events`",
        ),
        (
            r#"{"app":{"id":"a"},"webhook":{"id":"w"},"events":[{"type":"x"}]}"#,
            "events[0]",
            "missing field `id`",
        ),
        (
            r#"{"app":{"id":"a"},"webhook":{"id":"w"},"events":[{"id":"e","type":"conversation:message","payload":{"conversation":{"id":"c"}}}]}"#,
            "events[0]",
            "missing field `message`",
        ),
    ] {
        match inbound::parse(body.as_bytes()) {
            Err(WebhookError::MalformedPayload {
                path: got,
                reason: why,
            }) => {
                assert_eq!(got, path, "{body}");
                assert!(why.contains(reason), "{body}: {why}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
    for body in [&b""[..], b"{", b"null", b"[]", b"\xff"] {
        assert!(matches!(
            inbound::parse(body),
            Err(WebhookError::MalformedPayload { .. })
        ));
    }
}

#[test]
fn the_api_key_is_checked() {
    let mut headers = HeaderMap::new();
    assert_eq!(
        inbound::verify_api_key(&headers, "secret"),
        Err(WebhookError::MissingApiKey)
    );
    headers.insert("x-api-key", HeaderValue::from_static("secret"));
    assert_eq!(inbound::verify_api_key(&headers, "secret"), Ok(()));
    for wrong in ["Secret", "secret ", "secre", "secret-and-more"] {
        assert_eq!(
            inbound::verify_api_key(&headers, wrong),
            Err(WebhookError::WrongApiKey),
            "{wrong}"
        );
    }
    // An unset secret never matches, not even an empty header.
    headers.insert("x-api-key", HeaderValue::from_static(""));
    assert_eq!(
        inbound::verify_api_key(&headers, ""),
        Err(WebhookError::WrongApiKey)
    );
}
