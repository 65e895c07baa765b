//! Webhook fixtures (the OAS example, image, file, our own echo, unknown types) and bad input.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{HeaderMap, HeaderValue};
use serde_json::json;
use sunshine_conversations::inbound::{self, EventPayload, MessageEvent, WebhookError};
use sunshine_conversations::{Activity, AuthorType, Content};

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
    // Typed since the other documented events were: the typing event beside the unknown ones.
    let EventPayload::ConversationTyping(typing) = &envelope.events[0].payload else {
        panic!("{:?}", envelope.events[0].payload)
    };
    assert_eq!(typing.activity.kind, Some(Activity::TypingStart));
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

/// One envelope with every event type SunCo's API description documents, each shaped as its
/// schema says: each reads as its own variant.
#[test]
fn every_documented_event_type_is_typed() {
    let conversation = json!({"id": "c1", "type": "personal",
        "activeSwitchboardIntegration": {"id": "sbi1", "name": "bot",
            "integrationId": "i1", "integrationType": "custom"}});
    let user = json!({"id": "u1", "externalId": "jane@example.com", "authenticated": true});
    let client = json!({"id": "cl1", "type": "whatsapp", "status": "active",
        "integrationId": "i2", "externalId": "+12125552368"});
    let delivery = json!({"user": user, "conversation": conversation,
        "message": {"id": "m1"}, "destination": {"type": "whatsapp", "integrationId": "i2"},
        "externalMessages": [{"id": "wamid.1"}], "isFinalEvent": false});
    let mut failure = delivery.clone();
    failure["error"] = json!({"code": "blocked", "message": "The user blocked the business"});
    failure["isFinalEvent"] = json!(true);
    let events = [
        (
            "conversation:create",
            json!({"conversation": conversation,
            "creationReason": "proactiveMessaging", "user": user,
            "referral": {"code": "spring", "details": {"source": "ADS"}}}),
        ),
        (
            "conversation:join",
            json!({"conversation": conversation, "user": user}),
        ),
        (
            "conversation:leave",
            json!({"conversation": conversation, "user": user}),
        ),
        ("conversation:remove", json!({"conversation": conversation})),
        (
            "conversation:read",
            json!({"conversation": conversation,
            "activity": {"type": "conversation:read", "author": {"type": "user", "userId": "u1"}}}),
        ),
        (
            "conversation:typing",
            json!({"conversation": conversation,
            "activity": {"type": "typing:stop"}}),
        ),
        (
            "conversation:postback",
            json!({"conversation": conversation, "user": user,
            "postback": {"payload": "BUY_NOW", "metadata": {"sku": "42"}}}),
        ),
        (
            "conversation:referral",
            json!({"conversation": conversation, "user": user,
            "referral": {"code": "qr-17"}}),
        ),
        ("conversation:message:delivery:channel", delivery.clone()),
        ("conversation:message:delivery:user", delivery),
        ("conversation:message:delivery:failure", failure),
        (
            "client:add",
            json!({"user": user, "client": client, "reason": "channelLinking"}),
        ),
        (
            "client:remove",
            json!({"user": user, "client": client, "reason": "linkFailed",
            "error": {"code": "unknown"}}),
        ),
        (
            "client:update",
            json!({"conversation": conversation, "user": user,
            "client": client, "reason": "confirmed"}),
        ),
        (
            "user:merge",
            json!({
            "mergedUsers": {"surviving": user, "discarded": {"id": "u2"}},
            "mergedConversations": {"surviving": conversation, "discarded": {"id": "c2"}},
            "reason": "channelLinking"}),
        ),
        (
            "user:update",
            json!({"user": user, "reason": "authentication"}),
        ),
        ("user:remove", json!({"user": {"id": "u1"}})),
    ];
    let body = json!({"app": {"id": "app1"}, "webhook": {"id": "wh1", "version": "v2"},
        "events": events.iter().enumerate().map(|(n, (kind, payload))| json!({
            "id": format!("ev{n}"), "type": kind,
            "createdAt": "2026-11-26T12:00:00.000Z", "payload": payload})).collect::<Vec<_>>()});
    let envelope = inbound::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(envelope.events.len(), events.len());
    let payloads: Vec<&EventPayload> = envelope.events.iter().map(|e| &e.payload).collect();

    let EventPayload::ConversationCreate(created) = payloads[0] else {
        panic!("{:?}", payloads[0])
    };
    assert_eq!(
        created.creation_reason.as_deref(),
        Some("proactiveMessaging")
    );
    assert_eq!(
        created.referral.as_ref().unwrap().code.as_deref(),
        Some("spring")
    );
    assert_eq!(
        created
            .conversation
            .active_switchboard_integration
            .as_ref()
            .unwrap()
            .name
            .as_deref(),
        Some("bot")
    );
    let EventPayload::ConversationJoin(joined) = payloads[1] else {
        panic!("{:?}", payloads[1])
    };
    assert_eq!(joined.user.external_id.as_deref(), Some("jane@example.com"));
    assert!(matches!(payloads[2], EventPayload::ConversationLeave(left) if left.user.id == "u1"));
    assert!(
        matches!(payloads[3], EventPayload::ConversationRemove(gone) if gone.conversation.id == "c1")
    );
    let EventPayload::ConversationRead(read) = payloads[4] else {
        panic!("{:?}", payloads[4])
    };
    assert_eq!(read.activity.kind, Some(Activity::ConversationRead));
    let EventPayload::ConversationTyping(typing) = payloads[5] else {
        panic!("{:?}", payloads[5])
    };
    assert_eq!(typing.activity.kind, Some(Activity::TypingStop));
    let EventPayload::ConversationPostback(postback) = payloads[6] else {
        panic!("{:?}", payloads[6])
    };
    assert_eq!(postback.postback.payload.as_deref(), Some("BUY_NOW"));
    let EventPayload::ConversationReferral(referral) = payloads[7] else {
        panic!("{:?}", payloads[7])
    };
    assert_eq!(
        referral.referral.as_ref().unwrap().code.as_deref(),
        Some("qr-17")
    );
    let EventPayload::MessageDeliveryChannel(channel) = payloads[8] else {
        panic!("{:?}", payloads[8])
    };
    assert_eq!(channel.external_messages[0].id.as_deref(), Some("wamid.1"));
    assert_eq!(channel.message.as_ref().unwrap().id.as_deref(), Some("m1"));
    assert!(
        matches!(payloads[9], EventPayload::MessageDeliveryUser(user) if user.is_final_event == Some(false))
    );
    let EventPayload::MessageDeliveryFailure(failed) = payloads[10] else {
        panic!("{:?}", payloads[10])
    };
    assert_eq!(
        failed.error.as_ref().unwrap().code.as_deref(),
        Some("blocked")
    );
    let EventPayload::ClientAdd(added) = payloads[11] else {
        panic!("{:?}", payloads[11])
    };
    assert_eq!(added.client.external_id.as_deref(), Some("+12125552368"));
    assert_eq!(added.reason.as_deref(), Some("channelLinking"));
    assert!(matches!(payloads[12], EventPayload::ClientRemove(removed) if removed.error.is_some()));
    assert!(
        matches!(payloads[13], EventPayload::ClientUpdate(updated) if updated.conversation.is_some())
    );
    let EventPayload::UserMerge(merged) = payloads[14] else {
        panic!("{:?}", payloads[14])
    };
    assert_eq!(merged.merged_users.discarded.id, "u2");
    assert_eq!(
        merged.merged_conversations.as_ref().unwrap().discarded.id,
        "c2"
    );
    assert!(
        matches!(payloads[15], EventPayload::UserUpdate(updated) if updated.reason.as_deref() == Some("authentication"))
    );
    assert!(matches!(payloads[16], EventPayload::UserRemove(removed) if removed.user.id == "u1"));
}

/// A typed event whose payload does not fit its type (here a client without its id) is kept
/// raw; the message beside it in the same envelope still reads, so it is not refused.
#[test]
fn a_misshapen_side_event_does_not_cost_the_message_beside_it() {
    let body = json!({"app": {"id": "app1"}, "webhook": {"id": "wh1"}, "events": [
        {"id": "ev1", "type": "client:update",
         "payload": {"user": {"id": "u1"}, "client": {"type": "sdk"}, "reason": "matched"}},
        {"id": "ev2", "type": "conversation:message",
         "payload": {"conversation": {"id": "c1"},
                     "message": {"id": "m1", "author": {"type": "user", "userId": "u1"},
                                 "content": {"type": "text", "text": "hello"}}}}
    ]});
    let envelope = inbound::parse(body.to_string().as_bytes()).unwrap();
    assert!(
        matches!(&envelope.events[0].payload, EventPayload::Unknown(raw) if raw["reason"] == "matched")
    );
    let EventPayload::ConversationMessage(message) = &envelope.events[1].payload else {
        panic!("{:?}", envelope.events[1].payload)
    };
    assert_eq!(message.message.content.text(), Some("hello"));
}
