//! The client against a wiremock Zendesk: every call checks the request we send (method,
//! path, query, auth header, body) and how we read the answer.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{
    any, body_bytes, body_json, header, header_exists, method, path, query_param,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use zendesk_support::{
    Action, Auth, Client, Condition, Conditions, Error, NewComment, NewTicket, NewTrigger, NewUser,
    NewWebhook, RetryPolicy, Role, TicketStatus, TicketUpdate,
};

/// `base64("agent@acme.test/token:api-tok-123")`, computed with Python's base64.
const BASIC: &str = "Basic YWdlbnRAYWNtZS50ZXN0L3Rva2VuOmFwaS10b2stMTIz";

fn fast_retries(max: u32) -> RetryPolicy {
    RetryPolicy::retries(max).backoff(Duration::from_millis(1), Duration::from_millis(10))
}

/// A builder aimed at the fake, with a bearer token and fast retries.
fn bearer_builder(server: &MockServer) -> zendesk_support::ClientBuilder {
    Client::builder()
        .base_url(&server.uri())
        .unwrap()
        .auth(Auth::bearer("t"))
        .retry(fast_retries(3))
}

fn client_for(server: &MockServer) -> Client {
    bearer_builder(server)
        .auth(Auth::api_token("agent@acme.test", "api-tok-123"))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// Answers any request no other mock matched with a 500 that names it.
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

fn fixture(name: &str) -> serde_json::Value {
    let text = match name {
        "ticket" => include_str!("fixtures/ticket.json"),
        "comments" => include_str!("fixtures/comments.json"),
        "upload" => include_str!("fixtures/upload.json"),
        _ => panic!("no fixture {name}"),
    };
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn get_ticket_sends_basic_auth_and_reads_the_oas_example() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/35436"))
        .and(header("authorization", BASIC))
        .and(header_exists("user-agent"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("ticket")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let ticket = client_for(&server).tickets().get(35436).await.unwrap();
    assert_eq!(ticket.id, 35436);
    assert_eq!(ticket.status, Some(TicketStatus::Open));
    assert_eq!(ticket.requester_id, Some(20978392));
    assert_eq!(ticket.tags, ["enterprise", "other_tag"]);
    assert_eq!(
        ticket.subject.as_deref(),
        Some("Help, my printer is on fire!")
    );
}

#[tokio::test]
async fn create_ticket_sends_the_idempotency_key_and_reports_a_replay() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .and(header("idempotency-key", "bridge-msg-42"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"ticket": {
            "comment": {"body": "My order never came", "public": true, "author_id": 35436},
            "subject": "Conversation with Jane",
            "requester_id": 35436,
            "tags": ["sunco"]
        }})))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-idempotency-lookup", "hit")
                .set_body_json(fixture("ticket")),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let created = client_for(&server)
        .tickets()
        .create(
            NewTicket::new(NewComment::text("My order never came").author(35436))
                .subject("Conversation with Jane")
                .requester_id(35436)
                .tag("sunco"),
        )
        .idempotency_key("bridge-msg-42")
        .send()
        .await
        .unwrap();
    assert!(created.replayed);
    assert_eq!(created.ticket.id, 35436);
}

#[tokio::test]
async fn a_create_with_an_idempotency_key_is_retried_after_a_500() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .and(header("idempotency-key", "k-1"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-idempotency-lookup", "miss")
                .set_body_json(fixture("ticket")),
        )
        .mount(&server)
        .await;
    let created = client_for(&server)
        .tickets()
        .create(NewTicket::new(NewComment::text("hi")))
        .idempotency_key("k-1")
        .send()
        .await
        .unwrap();
    assert!(!created.replayed);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn update_adds_a_comment_and_reports_its_id() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/4021"))
        .and(header("authorization", BASIC))
        .and(body_json(json!({"ticket": {
            "comment": {"html_body": "<p>Hi</p>", "public": false, "author_id": 7,
                        "uploads": ["tok-a", "tok-b"]},
            "status": "pending"
        }})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": {"id": 4021, "status": "pending", "tags": null},
            "audit": {"id": 99, "events": [
                {"id": 1, "type": "Change", "field_name": "status"},
                {"id": 5501, "type": "Comment", "public": false}
            ]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let update = TicketUpdate::comment(
        NewComment::html("<p>Hi</p>")
            .private()
            .author(7)
            .upload("tok-a")
            .upload("tok-b"),
    )
    .with_status(TicketStatus::Pending);
    let updated = client_for(&server)
        .tickets()
        .update(4021, &update)
        .await
        .unwrap();
    assert_eq!(updated.comment_id(), Some(5501));
    assert_eq!(updated.ticket.status, Some(TicketStatus::Pending));
    assert!(updated.ticket.tags.is_empty());
}

fn comments_page(ids: &[i64], has_more: bool, after: Option<&str>) -> ResponseTemplate {
    let comments: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "type": "Comment", "author_id": 1, "body": format!("c{id}"), "public": true}))
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "comments": comments,
        "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": null},
    }))
}

#[tokio::test]
async fn comments_walk_three_pages_then_stop() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .and(query_param("page[size]", "2"))
        .and(query_param("page[after]", "cur-2"))
        .respond_with(comments_page(&[5], false, None))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .and(query_param("page[after]", "cur-1"))
        .respond_with(comments_page(&[3, 4], true, Some("cur-2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .and(query_param("page[size]", "2"))
        .respond_with(comments_page(&[1, 2], true, Some("cur-1")))
        .expect(1)
        .with_priority(10)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let comments = client_for(&server)
        .tickets()
        .comments(4021)
        .page_size(2)
        .all()
        .await
        .unwrap();
    let ids: Vec<i64> = comments.iter().map(|c| c.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_walk() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .respond_with(comments_page(&[1], true, Some("same")))
        .expect(2)
        .mount(&server)
        .await;
    let comments = client_for(&server)
        .tickets()
        .comments(4021)
        .all()
        .await
        .unwrap();
    assert_eq!(comments.len(), 2);
}

#[tokio::test]
async fn comments_can_sideload_their_authors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/4021/comments"))
        .and(query_param("include", "users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 1, "author_id": 7, "body": "hi", "public": true}],
            "users": [{"id": 7, "name": "Sam Agent", "role": "agent"}],
            "meta": {"has_more": false}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let page = client_for(&server)
        .tickets()
        .comments(4021)
        .include_users()
        .all_pages()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.users[0].name.as_deref(), Some("Sam Agent"));
}

#[tokio::test]
async fn one_page_reads_the_oas_example() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/35436/comments"))
        .and(query_param("page[size]", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("comments")))
        .expect(1)
        .mount(&server)
        .await;
    let page = client_for(&server)
        .tickets()
        .comments(35436)
        .send()
        .await
        .unwrap();
    assert!(!page.has_more);
    let comment = &page.items[0];
    assert_eq!(comment.id, 1274);
    assert_eq!(comment.author_id, Some(123123));
    assert!(comment.public);
    assert_eq!(
        comment.attachments[0].file_name.as_deref(),
        Some("crash.log")
    );
    assert!(!comment.attachments[0].is_image());
}

#[tokio::test]
async fn users_show_show_many_create_or_update_and_me() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/35436"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {
            "id": 35436, "name": "Jane", "email": "jane@example.com", "role": "end-user",
            "some_new_field": [1, 2]
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/show_many"))
        .and(query_param("ids", "1,2,3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": [
            {"id": 1, "role": "agent"}, {"id": 3, "role": "light-agent"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/users/create_or_update"))
        .and(body_json(json!({"user": {
            "name": "Jane", "email": "jane@example.com", "external_id": "ext-1",
            "role": "end-user", "verified": true
        }})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"user": {"id": 35436}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {
            "id": null, "name": "Anonymous user", "role": "end-user"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client_for(&server);
    let jane = client.users().get(35436).await.unwrap();
    assert_eq!(jane.role, Some(Role::EndUser));
    let many = client.users().get_many(&[1, 2, 3]).await.unwrap();
    assert_eq!(many.len(), 2);
    assert_eq!(many[1].role, Some(Role::Unknown("light-agent".into())));
    let upserted = client
        .users()
        .create_or_update(
            &NewUser::new("Jane", "jane@example.com")
                .external_id("ext-1")
                .role(Role::EndUser)
                .verified(true),
        )
        .await
        .unwrap();
    assert_eq!(upserted.id, Some(35436));
    assert!(matches!(
        client.users().me().await,
        Err(Error::Unauthenticated(_))
    ));
}

#[tokio::test]
async fn show_many_splits_ids_into_hundreds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/show_many"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"users": []})))
        .expect(3)
        .mount(&server)
        .await;
    let ids: Vec<i64> = (1..=250).collect();
    client_for(&server).users().get_many(&ids).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let last = requests[2]
        .url
        .query_pairs()
        .find(|(k, _)| k == "ids")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(last.split(',').count(), 50);
}

#[tokio::test]
async fn upload_sends_the_bytes_with_their_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/uploads"))
        .and(query_param("filename", "crash report.png"))
        .and(header("content-type", "image/png"))
        .and(header("authorization", BASIC))
        .and(body_bytes(vec![0x89, b'P', b'N', b'G']))
        .respond_with(ResponseTemplate::new(201).set_body_json(fixture("upload")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let upload = client_for(&server)
        .uploads()
        .upload(
            "crash report.png",
            "image/png",
            vec![0x89, b'P', b'N', b'G'],
        )
        .await
        .unwrap();
    assert_eq!(upload.token, "LXJdriewLBP8JrtzzkN7Ne4k6");
    assert!(upload.attachment.unwrap().is_image());
}

#[tokio::test]
async fn downloads_send_credentials_only_to_the_account_host() {
    let own = MockServer::start().await;
    let foreign = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/attachments/token/abc"))
        .and(header("authorization", BASIC))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(vec![1, 2, 3]),
        )
        .expect(1)
        .mount(&own)
        .await;
    Mock::given(method("GET"))
        .and(path("/attachments/token/moved"))
        .and(header("authorization", BASIC))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/cdn/file.png", foreign.uri())),
        )
        .expect(1)
        .mount(&own)
        .await;
    Mock::given(method("GET"))
        .and(path("/cdn/file.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![9; 10]))
        .expect(3)
        .mount(&foreign)
        .await;

    let client = client_for(&own);
    let download = client
        .uploads()
        .download(&format!("{}/attachments/token/abc", own.uri()), 1024)
        .await
        .unwrap();
    assert_eq!(download.bytes.as_ref(), [1, 2, 3]);
    assert_eq!(download.content_type.as_deref(), Some("image/png"));

    let redirected = client
        .uploads()
        .download(&format!("{}/attachments/token/moved", own.uri()), 1024)
        .await
        .unwrap();
    assert_eq!(redirected.bytes.len(), 10);
    let direct = client
        .uploads()
        .download(&format!("{}/cdn/file.png", foreign.uri()), 1024)
        .await
        .unwrap();
    assert_eq!(direct.bytes.len(), 10);
    for request in foreign.received_requests().await.unwrap() {
        assert!(
            !request.headers.contains_key("authorization"),
            "credentials leaked to a foreign host"
        );
    }

    let capped = client
        .uploads()
        .download(&format!("{}/cdn/file.png", foreign.uri()), 9)
        .await;
    assert!(
        matches!(capped, Err(Error::TooLarge { limit: 9 })),
        "{capped:?}"
    );
}

#[tokio::test]
async fn a_download_without_content_length_is_capped_while_streaming() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // wiremock always sends Content-Length; a chunked answer needs a hand-made server.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        let mut answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..64 {
            answer.extend_from_slice(b"400\r\n");
            answer.extend_from_slice(&[7u8; 0x400]);
            answer.extend_from_slice(b"\r\n");
        }
        answer.extend_from_slice(b"0\r\n\r\n");
        let _ = socket.write_all(&answer).await;
    });
    let server = MockServer::start().await;
    let result = client_for(&server)
        .uploads()
        .download(&format!("http://{address}/big"), 1000)
        .await;
    assert!(
        matches!(result, Err(Error::TooLarge { limit: 1000 })),
        "{result:?}"
    );
}

#[tokio::test]
async fn webhook_and_trigger_admin() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/webhooks"))
        .and(body_json(json!({"webhook": {
            "name": "Bridge", "endpoint": "https://bridge.example/webhooks/zendesk",
            "http_method": "POST", "request_format": "json", "status": "active",
            "subscriptions": ["conditional_ticket_events"],
            "authentication": {"type": "basic_auth",
                               "data": {"username": "meya", "password": "target-pass"},
                               "add_position": "header"}
        }})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"webhook": {
            "id": "01GDXYD7ZTWYP4TD6KPCDJ4D2Q", "name": "Bridge", "status": "active",
            "subscriptions": ["conditional_ticket_events"]
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/api/v2/webhooks/01GDXYD7ZTWYP4TD6KPCDJ4D2Q/signing_secret",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "signing_secret": {"algorithm": "SHA256", "secret": "dGhpc19zZWNyZXQ="}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let trigger_body = json!({"trigger": {
        "title": "Bridge", "active": true,
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": [{"field": "notification_webhook",
                     "value": ["01GDXYD7ZTWYP4TD6KPCDJ4D2Q", "{\"ticket\":{\"id\":\"{{ticket.id}}\"}}"]}]
    }});
    let trigger_answer = ResponseTemplate::new(200).set_body_json(json!({"trigger": {
        "id": 77, "title": "Bridge", "active": true,
        "conditions": {"all": [], "any": []}, "actions": []
    }}));
    Mock::given(method("POST"))
        .and(path("/api/v2/triggers"))
        .and(body_json(trigger_body.clone()))
        .respond_with(trigger_answer.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/triggers/77"))
        .and(body_json(trigger_body))
        .respond_with(trigger_answer)
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client_for(&server);
    let webhook_request =
        NewWebhook::for_triggers("Bridge", "https://bridge.example/webhooks/zendesk")
            .basic_auth("meya", "target-pass");
    assert!(!format!("{webhook_request:?}").contains("target-pass"));
    let webhook = client.webhooks().create(&webhook_request).await.unwrap();
    let secret = client.webhooks().signing_secret(&webhook.id).await.unwrap();
    assert_eq!(
        zendesk_support::ExposeSecret::expose_secret(&secret),
        "dGhpc19zZWNyZXQ="
    );

    let trigger = NewTrigger::new(
        "Bridge",
        Conditions::all(vec![Condition::new("update_type", "is", "Create")]),
        vec![Action::notify_webhook(
            &webhook.id,
            r#"{"ticket":{"id":"{{ticket.id}}"}}"#,
        )],
    );
    assert_eq!(client.triggers().create(&trigger).await.unwrap().id, 77);
    assert_eq!(client.triggers().update(77, &trigger).await.unwrap().id, 77);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
        .mount(&server)
        .await;
    let started = Instant::now();
    let ticket = client_for(&server).tickets().get(1).await.unwrap();
    assert_eq!(ticket.id, 1);
    assert!(started.elapsed() >= Duration::from_secs(1), "did not wait");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_503_on_a_write_is_retried_because_zendesk_did_not_act() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
        .mount(&server)
        .await;
    let updated = client_for(&server)
        .tickets()
        .update(1, &TicketUpdate::status(TicketStatus::Open))
        .await
        .unwrap();
    assert_eq!(updated.ticket.id, 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_exhausted_budget_is_a_typed_rate_limit_with_the_wait() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .insert_header("x-zendesk-request-id", "req-9")
                .set_body_string("Too Many Requests"),
        )
        .expect(3)
        .mount(&server)
        .await;
    let client = bearer_builder(&server)
        .retry(fast_retries(2))
        .build()
        .unwrap();
    match client.tickets().get(1).await {
        Err(Error::RateLimited { retry_after, error }) => {
            assert_eq!(retry_after, Some(Duration::ZERO));
            assert_eq!(error.request_id.as_deref(), Some("req-9"));
            assert_eq!(error.description.as_deref(), Some("Too Many Requests"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_retry_after_past_the_cap_is_returned_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "600"))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let error = client_for(&server).tickets().get(1).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(
        error,
        Error::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(600)
    ));
    assert_eq!(error.status(), Some(429));
}

#[tokio::test]
async fn a_500_on_a_read_is_retried_with_backoff() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
        .mount(&server)
        .await;
    assert_eq!(client_for(&server).tickets().get(1).await.unwrap().id, 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_timed_out_comment_is_not_sent_twice() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(800))
                .set_body_json(json!({"ticket": {"id": 1}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = bearer_builder(&server)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = client
        .tickets()
        .update(1, &TicketUpdate::comment(NewComment::text("hello")))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    // The call has returned: a retry, had there been one, was sent before.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_an_http_error() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:1")
        .unwrap()
        .auth(Auth::bearer("t"))
        .retry(fast_retries(1))
        .build()
        .unwrap();
    let error = client.tickets().get(1).await.unwrap_err();
    assert!(matches!(error, Error::Http(_)), "{error:?}");
}

#[tokio::test]
async fn every_error_shape_becomes_a_typed_error() {
    let server = MockServer::start().await;
    let cases = [
        (
            "/api/v2/tickets/404",
            404,
            r#"{"error":"RecordNotFound","description":"Not found"}"#,
            Some("RecordNotFound"),
        ),
        (
            "/api/v2/tickets/401",
            401,
            r#"{"error":"Couldn't authenticate you"}"#,
            Some("Couldn't authenticate you"),
        ),
        (
            "/api/v2/tickets/422",
            422,
            r#"{"errors":[{"code":"Invalid","title":"Bad","detail":"x"}]}"#,
            Some("Invalid"),
        ),
        (
            "/api/v2/tickets/403",
            403,
            "<html><body>Forbidden</body></html>",
            None,
        ),
        ("/api/v2/tickets/400", 400, "", None),
    ];
    for (at, status, body, _) in &cases {
        Mock::given(method("PUT"))
            .and(path(*at))
            .respond_with(ResponseTemplate::new(*status).set_body_string(*body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client_for(&server);
    for (at, status, body, code) in cases {
        let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
        let error = client
            .tickets()
            .update(id, &TicketUpdate::status(TicketStatus::Open))
            .await
            .unwrap_err();
        let Error::Api(api) = &error else {
            panic!("{at}: {error:?}")
        };
        assert_eq!(api.status, status);
        assert_eq!(api.code.as_deref(), code, "{at}");
        assert_eq!(api.body, body);
        assert!(error.to_string().contains(&status.to_string()));
    }
}

#[tokio::test]
async fn a_bad_success_body_names_the_failing_field() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"ticket":{"id":"abc"}}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/2"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"ticket":{"id":2,"stat"#))
        .mount(&server)
        .await;
    let client = client_for(&server);
    match client.tickets().get(1).await {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "ticket.id"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.tickets().get(2).await,
        Err(Error::Decode { .. })
    ));
}

mod oauth {
    use super::*;

    fn token_request() -> wiremock::MockBuilder {
        Mock::given(method("POST"))
            .and(path("/oauth/tokens"))
            .and(body_json(json!({
                "grant_type": "client_credentials",
                "client_id": "bridge",
                "client_secret": "oauth-secret",
                "scope": "read write",
                "expires_in": 3600
            })))
    }

    fn token_mock(token: &'static str) -> Mock {
        token_request().respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token, "token_type": "bearer", "scope": "read write",
            "expires_in": 3600
        })))
    }

    fn oauth_client(server: &MockServer) -> Client {
        bearer_builder(server)
            .auth(Auth::client_credentials("bridge", "oauth-secret"))
            .retry(fast_retries(2))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn many_waiting_requests_cause_one_mint() {
        let server = MockServer::start().await;
        token_request()
            .respond_with(
                ResponseTemplate::new(200)
                    .set_delay(Duration::from_millis(200))
                    .set_body_json(json!({"access_token": "tok-1", "expires_in": 3600})),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v2/tickets/1"))
            .and(header("authorization", "Bearer tok-1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
            .expect(10)
            .mount(&server)
            .await;
        catch_all(&server).await;
        let client = oauth_client(&server);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let client = client.clone();
            tasks.spawn(async move { client.tickets().get(1).await });
        }
        while let Some(done) = tasks.join_next().await {
            assert_eq!(done.unwrap().unwrap().id, 1);
        }
    }

    #[tokio::test]
    async fn a_401_mints_once_more_and_retries_once() {
        let server = MockServer::start().await;
        token_mock("tok-old")
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        token_mock("tok-new").mount(&server).await;
        Mock::given(method("GET"))
            .and(header("authorization", "Bearer tok-old"))
            .respond_with(
                ResponseTemplate::new(401).set_body_string(r#"{"error":"invalid_token"}"#),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v2/tickets/1"))
            .and(header("authorization", "Bearer tok-new"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ticket": {"id": 1}})))
            .expect(1)
            .mount(&server)
            .await;
        catch_all(&server).await;
        assert_eq!(oauth_client(&server).tickets().get(1).await.unwrap().id, 1);
    }

    #[tokio::test]
    async fn a_second_401_is_returned_not_looped() {
        let server = MockServer::start().await;
        token_mock("tok").expect(2).mount(&server).await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(401).set_body_string(r#"{"error":"invalid_token"}"#),
            )
            .expect(2)
            .mount(&server)
            .await;
        let error = oauth_client(&server).tickets().get(1).await.unwrap_err();
        assert_eq!(error.status(), Some(401));
        assert_eq!(error.code(), Some("invalid_token"));
    }

    #[tokio::test]
    async fn a_refused_client_is_a_typed_error_without_the_secret() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/tokens"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "error": "invalid_client", "error_description": "Client authentication failed"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let client = oauth_client(&server);
        let error = client.tickets().get(1).await.unwrap_err();
        assert_eq!(error.code(), Some("invalid_client"));
        let shown = format!("{error} {error:?} {client:?}");
        assert!(!shown.contains("oauth-secret"), "{shown}");
    }
}

/// `setup` finds what it installed before: webhooks and triggers are listed over every cursor
/// page, and a webhook is updated in place (Zendesk answers 204).
#[tokio::test]
async fn webhooks_and_triggers_are_listed_across_pages_and_updated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/webhooks"))
        .and(query_param("page[size]", "100"))
        .and(query_param("page[after]", "c1"))
        .and(header("authorization", BASIC))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "webhooks": [{"id": "W2", "name": "Bridge", "endpoint": "https://old.example/hook",
                          "status": "active", "subscriptions": ["conditional_ticket_events"]}],
            "meta": {"has_more": false, "after_cursor": null}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/webhooks"))
        .and(query_param("page[size]", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "webhooks": [{"id": "W1", "name": "Other", "subscriptions": null, "unknown": 1}],
            "meta": {"has_more": true, "after_cursor": "c1"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/webhooks/W2"))
        .and(body_json(json!({"webhook": {
            "name": "Bridge", "endpoint": "https://new.example/hook", "http_method": "POST",
            "request_format": "json", "status": "active",
            "subscriptions": ["conditional_ticket_events"],
            "authentication": {"type": "basic_auth", "add_position": "header",
                               "data": {"username": "meya", "password": "target-pass"}}
        }})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers"))
        .and(query_param("page[size]", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "triggers": [{"id": 77, "title": "Bridge", "active": true,
                          "conditions": {"all": [], "any": []}, "actions": []}],
            "meta": {"has_more": false}
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let client = client_for(&server);
    let webhooks = client.webhooks().list().await.unwrap();
    let ids: Vec<&str> = webhooks.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, ["W1", "W2"]);
    assert_eq!(
        webhooks[1].endpoint.as_deref(),
        Some("https://old.example/hook")
    );
    client
        .webhooks()
        .update(
            "W2",
            &NewWebhook::for_triggers("Bridge", "https://new.example/hook")
                .basic_auth("meya", "target-pass"),
        )
        .await
        .unwrap();
    let triggers = client.triggers().list().await.unwrap();
    assert_eq!(triggers.len(), 1);
    assert_eq!(triggers[0].title.as_deref(), Some("Bridge"));
}

#[tokio::test]
async fn triggers_with_null_conditions_or_actions_decode() {
    // Zendesk's API description marks `conditions.all` and `conditions.any` nullable; one such
    // trigger in an account must not break listing all of them.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "triggers": [
                {"id": 1, "title": "Nulls", "active": true,
                 "conditions": {"all": null, "any": null}, "actions": null},
                {"id": 2, "title": "Half", "active": false,
                 "conditions": {"all": [{"field": "status", "operator": "less_than", "value": "solved"}]},
                 "actions": [{"field": "status", "value": "open"}]},
                {"id": 3, "title": "No value", "conditions": {"any": [{"field": "update_type", "operator": "changed"}]}}
            ],
            "meta": {"has_more": false}
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let triggers = client_for(&server).triggers().list().await.unwrap();
    assert_eq!(triggers.len(), 3);
    let nulls = triggers[0].conditions.as_ref().unwrap();
    assert!(nulls.all.is_empty() && nulls.any.is_empty());
    assert!(triggers[0].actions.is_empty());
    let half = triggers[1].conditions.as_ref().unwrap();
    assert_eq!(half.all[0].value, json!("solved"));
    assert!(half.any.is_empty());
    let no_value = triggers[2].conditions.as_ref().unwrap();
    assert_eq!(no_value.any[0].value, serde_json::Value::Null);
}
