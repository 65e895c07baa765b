//! The client against a wiremock Zendesk: every call checks the request we send (method,
//! path, query, auth header, body) and how we read the answer.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The tests, by topic, in the files beside this one.
mod admin;
mod fields;
mod oas;
mod organizations;
mod requests;
mod retries;
mod search;
mod tickets;
mod uploads;
mod users;

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
        "ticket" => include_str!("../fixtures/ticket.json"),
        "comments" => include_str!("../fixtures/comments.json"),
        "upload" => include_str!("../fixtures/upload.json"),
        "audits" => include_str!("../fixtures/audits.json"),
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
async fn list_audits_pages_newest_first_and_reads_the_oas_example() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/666/audits"))
        .and(query_param("page[size]", "100"))
        .and(query_param("sort", "-created_at"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("audits")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let audits = client_for(&server)
        .tickets()
        .audits(666)
        .newest_first()
        .until(|_| false)
        .await
        .unwrap();
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].comment_id(), Some(2127301148));
    assert_eq!(audits[0].author_id, Some(5246746));
    assert_eq!(audits[0].events.len(), 3);
    assert_eq!(
        audits[0].custom_metadata(),
        None,
        "an empty `custom` is no metadata"
    );
}

#[tokio::test]
async fn an_update_sends_its_metadata_beside_the_comment() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/666"))
        .and(body_json(json!({"ticket": {
            "comment": {"body": "ok", "public": true, "author_id": 35436},
            "metadata": {"sunco_message_ids": ["m1"]}
        }})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticket": fixture("ticket")["ticket"],
            "audit": fixture("audits")["audits"][0],
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let update = TicketUpdate::comment(NewComment::text("ok").author(35436))
        .with_metadata(json!({"sunco_message_ids": ["m1"]}));
    let updated = client_for(&server)
        .tickets()
        .update(666, &update)
        .await
        .unwrap();
    assert_eq!(updated.comment_id(), Some(2127301148));
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
