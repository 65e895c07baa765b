//! The client against a wiremock SunCo: every call checks the request we send (method, path
//! with an email external id, exact query, auth header, body) and how we read the answer.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The tests, by topic, in the files beside this one.
mod operations;
mod retries;

use std::time::{Duration, Instant};

use serde_json::json;
use sunshine_conversations::{
    Auth, Client, Content, Error, ExposeSecret, NewContent, NewMessage, Profile, RetryPolicy,
    UserFilter,
};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// `base64("app_key:key-secret")`, computed with Python's base64.
const BASIC: &str = "Basic YXBwX2tleTprZXktc2VjcmV0";
const EMAIL_PATH: &str = "/v2/apps/app_1/users/jane.doe%2Bvip%40example.com";

/// A builder aimed at the fake, with basic auth.
fn builder_for(server: &MockServer) -> sunshine_conversations::ClientBuilder {
    Client::builder()
        .app_id("app_1")
        .base_url(&server.uri())
        .unwrap()
        .auth(Auth::basic("app_key", "key-secret"))
}

fn client_for(server: &MockServer) -> Client {
    builder_for(server)
        .retry(RetryPolicy::retries(3).backoff(Duration::from_millis(1), Duration::from_millis(10)))
        .build()
        .unwrap()
}

async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(|request: &Request| {
            ResponseTemplate::new(500)
                .set_body_string(format!("no mock for {} {}", request.method, request.url))
        })
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

fn user_json() -> serde_json::Value {
    json!({"user": {
        "id": "67a11490f0305f4a391e9f8a", "externalId": "jane.doe+vip@example.com",
        "zendeskId": "35436", "signedUpAt": "2025-02-03T19:10:08.152Z",
        "hasPaymentInfo": false, "identities": [],
        "profile": {"locale": "en", "localeOrigin": "zendeskAccount"}, "metadata": {}
    }})
}

#[tokio::test]
async fn get_user_by_email_encodes_it_and_sends_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EMAIL_PATH))
        .and(header("authorization", BASIC))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json()))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let user = client_for(&server)
        .users()
        .get("jane.doe+vip@example.com")
        .await
        .unwrap();
    assert_eq!(user.id, "67a11490f0305f4a391e9f8a");
    assert_eq!(user.zendesk_id.as_deref(), Some("35436"));
    assert_eq!(user.profile.unwrap().locale.as_deref(), Some("en"));
}

#[tokio::test]
async fn find_turns_user_not_found_into_none_and_keeps_other_404s() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/nobody%40example.com"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"errors": [{"code": "user_not_found", "title": "User not found"}]}),
        ))
        .mount(&server)
        .await;
    let client = client_for(&server);
    assert_eq!(
        client.users().find("nobody@example.com").await.unwrap(),
        None
    );
    let error = client.users().get("nobody@example.com").await.unwrap_err();
    assert_eq!(error.code(), Some("user_not_found"));

    let other = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"errors": [{"code": "app_not_found", "title": "App not found"}]}),
        ))
        .mount(&other)
        .await;
    let error = client_for(&other).users().find("x").await.unwrap_err();
    assert_eq!(error.code(), Some("app_not_found"));

    // A bare 404 (a wrong base URL, a proxy) is not "the customer has no user".
    let bare = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_string("<html>Not Found</html>"))
        .mount(&bare)
        .await;
    let error = client_for(&bare).users().find("x").await.unwrap_err();
    assert_eq!((error.status(), error.code()), (Some(404), None));
}

#[tokio::test]
async fn a_v1_app_user_parses_into_the_same_user() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/users/jane%40example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"appUser": {
            "_id": "deb920657bbc3adc3fec7963", "userId": "jane@example.com",
            "givenName": "Jane", "signedUpAt": "2016-05-21T15:40:43.846Z"
        }})))
        .mount(&server)
        .await;
    let user = client_for(&server)
        .users()
        .get("jane@example.com")
        .await
        .unwrap();
    assert_eq!(user.id, "deb920657bbc3adc3fec7963");
    assert_eq!(user.external_id.as_deref(), Some("jane@example.com"));
}

#[tokio::test]
async fn create_user_sends_external_id_and_profile() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/users"))
        .and(body_json(json!({
            "externalId": "jane@example.com",
            "profile": {"givenName": "Jane", "email": "jane@example.com"}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(user_json()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(409).set_body_json(
            json!({"errors": [{"code": "conflict", "title": "User already exists"}]}),
        ))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let profile = Profile::new(Some("Jane".into()), None, Some("jane@example.com".into()));
    client
        .users()
        .create("jane@example.com", Some(&profile))
        .await
        .unwrap();
    let error = client
        .users()
        .create("jane@example.com", Some(&profile))
        .await
        .unwrap_err();
    assert_eq!(
        (error.status(), error.code()),
        (Some(409), Some("conflict"))
    );
}

#[tokio::test]
async fn list_conversations_spells_the_bracketed_query_exactly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversations": [{"id": "67a0ecf8f0305f4a391e9db1", "type": "personal",
                               "isDefault": false, "createdAt": "2025-02-03T16:21:12.308Z"}],
            "meta": {"hasMore": true, "afterCursor": "67a0ecf8"},
            "links": {"next": "https://example/next"}
        })))
        .expect(2)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let page = client
        .conversations()
        .list(UserFilter::ExternalId("jane.doe+vip@example.com".into()))
        .after("cur/1")
        .page_size(10)
        .send()
        .await
        .unwrap();
    assert!(page.has_more);
    assert_eq!(page.after_cursor.as_deref(), Some("67a0ecf8"));
    assert_eq!(page.conversations[0].id, "67a0ecf8f0305f4a391e9db1");
    client
        .conversations()
        .list(UserFilter::UserId("26508c10541a4b0ff472e5e2".into()))
        .send()
        .await
        .unwrap();
    let queries: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| request.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        queries,
        [
            "filter[userExternalId]=jane.doe%2Bvip%40example.com&page[after]=cur%2F1&page[size]=10",
            "filter[userId]=26508c10541a4b0ff472e5e2",
        ]
    );
}

#[tokio::test]
async fn create_a_personal_conversation() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations"))
        .and(body_json(
            json!({"type": "personal", "participants": [{"userId": "u1"}]}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"conversation": {
                "id": "c1", "type": "personal", "isDefault": true
            }})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let conversation = client_for(&server)
        .conversations()
        .create_personal("u1", None)
        .await
        .unwrap();
    assert_eq!(conversation.id, "c1");
    assert_eq!(conversation.is_default, Some(true));
}

fn posted() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({"messages": [{
        "id": "5f748c1a2b5315fc007e7977", "received": "2020-09-30T13:46:02.733Z",
        "author": {"type": "business", "avatarUrl": "https://www.gravatar.com/image.jpg"},
        "content": {"type": "text", "text": "Hello!"},
        "source": {"type": "api:conversations"}
    }]}))
}

#[tokio::test]
async fn post_a_markdown_message_with_author_and_metadata() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/c1/messages"))
        .and(header("authorization", BASIC))
        .and(body_json(json!({
            "author": {"type": "business", "displayName": "Sam from Support",
                       "avatarUrl": "https://acme.test/sam.png"},
            "content": {"type": "text", "markdownText": "Hello **Jane**"},
            "metadata": {"zendesk_comment_id": "1274"}
        })))
        .respond_with(posted())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/conversations/c1/messages"))
        .and(body_json(json!({
            "author": {"type": "business"},
            "content": {"type": "image", "mediaUrl": "https://acme.test/a.png", "text": "see"}
        })))
        .respond_with(posted())
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client_for(&server);
    let message = NewMessage::new(NewContent::markdown("Hello **Jane**"))
        .display_name("Sam from Support")
        .avatar_url("https://acme.test/sam.png")
        .metadata("zendesk_comment_id", "1274");
    let messages = client.messages().post("c1", &message).await.unwrap();
    assert_eq!(messages[0].id, "5f748c1a2b5315fc007e7977");
    assert!(
        matches!(&messages[0].content, Content::Text(text) if text.text.as_deref() == Some("Hello!"))
    );
    let image = NewMessage::new(NewContent::image(
        "https://acme.test/a.png",
        Some("see".into()),
    ));
    client.messages().post("c1", &image).await.unwrap();
}

#[tokio::test]
async fn text_over_the_limit_is_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(posted())
        .expect(0)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let long = "é".repeat(4097);
    let error = client
        .messages()
        .post("c1", &NewMessage::new(NewContent::text(long)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::TextTooLong {
                length: 4097,
                limit: 4096
            }
        ),
        "{error:?}"
    );
    // Counted as SunCo (JavaScript) counts: 2049 emoji are 4098 UTF-16 code units.
    let emoji = "😀".repeat(2049);
    let error = client
        .messages()
        .post("c1", &NewMessage::new(NewContent::markdown(emoji)))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::TextTooLong { length: 4098, .. }),
        "{error:?}"
    );
    // A text message with no text is refused too.
    let error = client
        .messages()
        .post(
            "c1",
            &NewMessage::new(NewContent::Text {
                text: None,
                markdown_text: None,
            }),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)));
}

#[tokio::test]
async fn text_at_the_limit_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(posted())
        .expect(1)
        .mount(&server)
        .await;
    client_for(&server)
        .messages()
        .post("c1", &NewMessage::new(NewContent::text("é".repeat(4096))))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_locked_conversation_is_its_own_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(423).set_body_json(
            json!({"errors": [{"code": "locked", "title": "Conversation message limit reached"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let error = client_for(&server)
        .messages()
        .post("c1", &NewMessage::new(NewContent::text("hi")))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::ConversationLocked(_)), "{error:?}");
    assert_eq!(error.code(), Some("locked"));
}

#[tokio::test]
async fn list_messages_pages_backwards() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations/c1/messages"))
        .and(query_param("page[before]", "m-100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messages": [{"id": "m-1", "author": {"type": "user", "userId": "u1"},
                          "content": {"type": "file", "mediaUrl": "https://x/f.pdf"}}],
            "meta": {"hasMore": false}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/conversations/c1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messages": [{"id": "m-100", "author": {"type": "business"},
                          "content": {"type": "text", "text": "newest"},
                          "metadata": {"zendesk_comment_id": "1274"}}],
            "meta": {"hasMore": true, "beforeCursor": "m-100"}
        })))
        .with_priority(10)
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let newest = client.messages().list("c1").send().await.unwrap();
    assert!(newest.has_more);
    assert_eq!(
        newest.messages[0].metadata.as_ref().unwrap()["zendesk_comment_id"],
        "1274"
    );
    let older = client
        .messages()
        .list("c1")
        .before(newest.before_cursor.unwrap())
        .send()
        .await
        .unwrap();
    assert!(!older.has_more);
    assert!(matches!(older.messages[0].content, Content::File(_)));
}

#[tokio::test]
async fn upload_an_attachment_as_multipart_source() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/attachments"))
        .and(query_param("access", "public"))
        .and(header("authorization", BASIC))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"attachment": {
                "mediaUrl": "https://acme.zendesk.com/sc/attachments/v2/01JK/photo.png",
                "mediaType": "image/png"
            }})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let attachment = client_for(&server)
        .attachments()
        .upload("photo.png", "image/png", vec![0x89, b'P', b'N', b'G'])
        .await
        .unwrap();
    assert!(attachment.media_url.ends_with("photo.png"));
    let request = &server.received_requests().await.unwrap()[0];
    let content_type = request.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(&request.body);
    assert!(
        body.contains(r#"name="source"; filename="photo.png""#),
        "{body}"
    );
    assert!(body.contains("Content-Type: image/png"), "{body}");
    assert!(
        request
            .body
            .windows(4)
            .any(|w| w == [0x89, b'P', b'N', b'G'])
    );
}

#[tokio::test]
async fn create_a_custom_integration_and_read_its_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/apps/app_1/integrations"))
        .and(body_json(json!({
            "type": "custom", "displayName": "Zendesk bridge",
            "webhooks": [{"target": "https://bridge.example/webhooks/sunco",
                          "triggers": ["conversation:message"], "includeFullUser": true}]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"integration": {
            "id": "int1", "type": "custom", "displayName": "Zendesk bridge",
            "webhooks": [{"id": "wh1", "version": "v2", "target": "https://bridge.example/webhooks/sunco",
                          "triggers": ["conversation:message"], "secret": "8564b3e6a8b20a4bdb68b05ce9bc5936"}]
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/app_1/integrations/int1/webhooks/wh1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"webhook": {
            "id": "wh1", "secret": "8564b3e6a8b20a4bdb68b05ce9bc5936", "triggers": []
        }})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client_for(&server);
    let integration = client
        .integrations()
        .create_custom(
            "Zendesk bridge",
            "https://bridge.example/webhooks/sunco",
            &["conversation:message"],
        )
        .await
        .unwrap();
    let webhook = &integration.webhooks[0];
    assert!(!format!("{integration:?}").contains("8564b3e6"));
    assert_eq!(
        webhook.secret.as_ref().unwrap().expose_secret(),
        "8564b3e6a8b20a4bdb68b05ce9bc5936"
    );
    let again = client.integrations().webhook("int1", "wh1").await.unwrap();
    assert!(again.secret.is_some());
}
