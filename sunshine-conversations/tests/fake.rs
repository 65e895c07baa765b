//! `FakeSunCo` behaves like SunCo where a client can tell: these run the real client
//! against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use sunshine_conversations::testing::{FakeSunCo, Fault, FaultRule};
use sunshine_conversations::{Error, MAX_TEXT_CHARS, NewContent, NewMessage, UserFilter};

#[tokio::test]
async fn users_are_found_by_external_id_created_once_and_missing_ones_are_user_not_found() {
    let sunco = FakeSunCo::start().await.unwrap();
    let client = sunco.client().unwrap();
    let (jane, _) = sunco.add_user("jane.doe+vip@example.com");
    assert_eq!(
        client
            .users()
            .find("jane.doe+vip@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        jane
    );
    assert!(
        client
            .users()
            .find("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let made = client
        .users()
        .create("new@example.com", None)
        .await
        .unwrap();
    assert_eq!(sunco.user("new@example.com").unwrap().id, made.id);
    let taken = client
        .users()
        .create("new@example.com", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&taken, Error::Api(e) if e.status == 409),
        "{taken}"
    );
}

#[tokio::test]
async fn a_conversation_is_listed_for_its_user_and_made_on_demand() {
    let sunco = FakeSunCo::start().await.unwrap();
    let client = sunco.client().unwrap();
    let lonely = sunco.add_user_without_conversation("lonely@example.com");
    let none = client
        .conversations()
        .list(UserFilter::UserId(lonely.clone()))
        .send()
        .await
        .unwrap();
    assert!(none.conversations.is_empty());
    let made = client
        .conversations()
        .create_personal(&lonely, None)
        .await
        .unwrap();
    let listed = client
        .conversations()
        .list(UserFilter::ExternalId("lonely@example.com".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.conversations[0].id, made.id);
}

#[tokio::test]
async fn messages_over_the_limits_are_refused_with_400() {
    let sunco = FakeSunCo::start().await.unwrap();
    let (_, conversation) = sunco.add_user("jane@example.com");
    let url = format!(
        "{}/v2/apps/fake-app/conversations/{conversation}/messages",
        sunco.url()
    );
    let http = reqwest::Client::new();
    let long = "é".repeat(MAX_TEXT_CHARS + 1);
    let big = serde_json::json!({"k": "x".repeat(5000)});
    for body in [
        serde_json::json!({"author": {"type": "business"}, "content": {"type": "text", "text": long}}),
        serde_json::json!({"author": {"type": "business"}, "content": {"type": "text", "text": "hi"}, "metadata": big}),
        serde_json::json!({"author": {"type": "user"}, "content": {"type": "text", "text": "hi"}}),
    ] {
        let answer = http
            .post(&url)
            .basic_auth("k", Some("s"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
        let errors: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(errors["errors"][0]["code"], "bad_request");
    }
    // The emoji counts two UTF-16 units, as in SunCo: 2048 of them are at the limit.
    let client = sunco.client().unwrap();
    let at_limit = NewMessage::new(NewContent::text("😀".repeat(MAX_TEXT_CHARS / 2)));
    client
        .messages()
        .post(&conversation, &at_limit)
        .await
        .unwrap();
    assert_eq!(sunco.conversation(&conversation).unwrap().messages.len(), 1);
}

#[tokio::test]
async fn messages_list_newest_page_first_with_a_before_cursor() {
    let sunco = FakeSunCo::start().await.unwrap();
    let client = sunco.client().unwrap();
    let (_, conversation) = sunco.add_user("jane@example.com");
    for n in 0..150 {
        let message = NewMessage::new(NewContent::text(format!("m{n}")));
        client
            .messages()
            .post(&conversation, &message)
            .await
            .unwrap();
    }
    let newest = client.messages().list(&conversation).send().await.unwrap();
    assert_eq!(newest.messages.len(), 100);
    assert_eq!(newest.messages[99].content.text(), Some("m149"));
    let older = client
        .messages()
        .list(&conversation)
        .before(newest.before_cursor.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(older.messages.len(), 50);
    assert!(!older.has_more);
}

#[tokio::test]
async fn faults_are_retried_or_surface_after_the_write() {
    let sunco = FakeSunCo::start().await.unwrap();
    let (_, conversation) = sunco.add_user("jane@example.com");
    let client = sunco.client().unwrap();
    // A read is retried past 503s; a post is not (a retry could send the message twice),
    // and a refused one left nothing behind.
    sunco.control().fail_next(Fault::Status(503), 2);
    client.users().get("jane@example.com").await.unwrap();
    sunco.control().fail_next(Fault::Status(503), 1);
    let message = NewMessage::new(NewContent::text("sent once"));
    let refused = client
        .messages()
        .post(&conversation, &message)
        .await
        .unwrap_err();
    assert!(refused.is_retryable(), "{refused}");
    assert!(sunco.business_texts(&conversation).is_empty());
    client
        .messages()
        .post(&conversation, &message)
        .await
        .unwrap();

    let impatient = sunshine_conversations::Client::builder()
        .app_id("fake-app")
        .base_url(sunco.url())
        .unwrap()
        .auth(sunshine_conversations::Auth::basic("k", "s"))
        .timeout(Duration::from_millis(200))
        .retry(sunshine_conversations::RetryPolicy::none())
        .build()
        .unwrap();
    sunco.control().fail(
        FaultRule::new(Fault::Hang(Duration::from_secs(5)))
            .path_prefix("/v2/apps/fake-app/conversations")
            .times(1),
    );
    let hung = impatient
        .messages()
        .post(&conversation, &message)
        .await
        .unwrap_err();
    assert!(hung.is_retryable(), "{hung}");
    assert_eq!(
        sunco.business_texts(&conversation).len(),
        2,
        "the write happened"
    );
    let counts = sunco.control().counts();
    assert_eq!((counts.refused, counts.hung), (3, 1));
}

#[tokio::test]
async fn a_customer_message_makes_a_v2_webhook_with_the_api_key() {
    let sunco = FakeSunCo::builder()
        .app_id("app_1")
        .webhook_secret("whsec")
        .start()
        .await
        .unwrap();
    let (jane, conversation) = sunco.add_user("jane@example.com");
    let webhook = sunco.customer_message(&conversation, "Thanks!").unwrap();
    sunshine_conversations::inbound::verify_api_key(&webhook.headers, "whsec").unwrap();
    let envelope = sunshine_conversations::inbound::parse(&webhook.body).unwrap();
    assert_eq!(envelope.events.len(), 1);
    let message = &sunco.conversation(&conversation).unwrap().messages[0];
    assert_eq!(
        (message.user_id.as_deref(), message.text()),
        (Some(jane.as_str()), Some("Thanks!"))
    );
    assert!(
        sunco
            .customer_message("no-such-conversation", "x")
            .is_none()
    );
}
