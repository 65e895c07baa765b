//! The SunCo routes the fake serves, answering as SunCo does.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::{FakeConversation, FakeMessage, Shared, State as World, lock};
use crate::MAX_TEXT_CHARS;

type Answer = (StatusCode, Value);

/// SunCo's limit on a message's metadata, in bytes of JSON.
const MAX_METADATA_BYTES: usize = 4096;
/// Messages per page of a listing.
const MESSAGES_PER_PAGE: usize = 100;

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/v2/apps/{app}/users", post(create_user))
        .route("/v2/apps/{app}/users/{user}", get(show_user))
        .route(
            "/v2/apps/{app}/conversations",
            get(list_conversations).post(create_conversation),
        )
        .route(
            "/v2/apps/{app}/conversations/{conversation}/messages",
            get(list_messages).post(post_message),
        )
        .route("/v2/apps/{app}/attachments", post(upload_attachment))
        .layer(axum::middleware::from_fn(authenticated))
        .with_state(state)
}

/// SunCo's error bodies: `{"errors": [{"code": ..., "title": ...}]}`.
pub(crate) fn error_body(status: u16) -> Value {
    let code = match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "payload_too_large",
        429 => "too_many_requests",
        503 => "service_unavailable",
        _ => "internal_server_error",
    };
    errors(code, "injected by the fake")
}

fn errors(code: &str, title: &str) -> Value {
    json!({"errors": [{"code": code, "title": title}]})
}

fn refuse(status: StatusCode, code: &str, title: &str) -> Answer {
    (status, errors(code, title))
}

fn reply((status, body): Answer) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Answers what `handle` gives, a success or a refusal alike.
fn respond(handle: impl FnOnce() -> Result<Answer, Answer>) -> Response {
    reply(handle().unwrap_or_else(|refused| refused))
}

async fn authenticated(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.headers().contains_key(http::header::AUTHORIZATION) {
        next.run(request).await
    } else {
        reply(refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authorization is required",
        ))
    }
}

/// The request's JSON body, or SunCo's 400 for one that is not JSON.
fn json_body(body: &Bytes) -> Result<Value, Answer> {
    serde_json::from_slice(body)
        .map_err(|_| refuse(StatusCode::BAD_REQUEST, "bad_request", "Invalid JSON"))
}

/// Calls for another app than the fake's are answered 404, as SunCo does.
fn app_known(world: &World, app: &str) -> Result<(), Answer> {
    if world.app_id == app {
        Ok(())
    } else {
        Err(refuse(
            StatusCode::NOT_FOUND,
            "app_not_found",
            "App not found",
        ))
    }
}

fn timestamp(at: time::OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn user_json(world: &World, id: &str) -> Option<Value> {
    let user = world.users.get(id)?;
    Some(
        json!({"id": user.id, "externalId": user.external_id, "profile": {},
        "metadata": {}, "identities": []}),
    )
}

fn conversation_json(conversation: &FakeConversation, is_default: bool) -> Value {
    json!({"id": conversation.id, "type": "personal", "isDefault": is_default,
        "metadata": {},
        "lastUpdatedAt": conversation.messages.last().map(|m| timestamp(m.received))})
}

fn message_json(message: &FakeMessage) -> Value {
    let author = match &message.user_id {
        Some(user) => json!({"type": message.author_type, "userId": user,
                             "displayName": message.display_name}),
        None => json!({"type": message.author_type, "displayName": message.display_name}),
    };
    json!({"id": message.id, "received": timestamp(message.received), "author": author,
        "content": message.content, "source": {"type": "api"}, "metadata": message.metadata})
}

async fn show_user(
    State(state): State<Shared>,
    Path((app, user)): Path<(String, String)>,
) -> Response {
    let world = lock(&state);
    respond(|| {
        app_known(&world, &app)?;
        let id = world.user(&user).map(|found| found.id.clone());
        match id.and_then(|id| user_json(&world, &id)) {
            Some(user) => Ok((StatusCode::OK, json!({"user": user}))),
            None => Err(refuse(
                StatusCode::NOT_FOUND,
                "user_not_found",
                "User not found",
            )),
        }
    })
}

async fn create_user(
    State(state): State<Shared>,
    Path(app): Path<String>,
    body: Bytes,
) -> Response {
    let mut world = lock(&state);
    respond(|| {
        app_known(&world, &app)?;
        let request = json_body(&body)?;
        let Some(external_id) = request["externalId"].as_str().filter(|id| !id.is_empty()) else {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "externalId is required",
            ));
        };
        if world.user(external_id).is_some() {
            return Err(refuse(
                StatusCode::CONFLICT,
                "conflict",
                "A user with this externalId already exists",
            ));
        }
        let id = world.add_user(Some(external_id));
        Ok((StatusCode::CREATED, json!({"user": user_json(&world, &id)})))
    })
}

async fn list_conversations(
    State(state): State<Shared>,
    Path(app): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    respond(|| {
        app_known(&world, &app)?;
        let user = match (
            query.get("filter[userId]"),
            query.get("filter[userExternalId]"),
        ) {
            (Some(id), _) => world.users.get(id),
            (None, Some(external)) => world.user(external),
            (None, None) => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "filter[userId] or filter[userExternalId] is required",
                ));
            }
        };
        let conversations: Vec<Value> = user
            .and_then(|user| world.by_user.get(&user.id))
            .into_iter()
            .flatten()
            .filter_map(|id| world.conversations.get(id))
            .enumerate()
            .map(|(at, conversation)| conversation_json(conversation, at == 0))
            .collect();
        Ok((
            StatusCode::OK,
            json!({"conversations": conversations, "meta": {"hasMore": false}, "links": {}}),
        ))
    })
}

async fn create_conversation(
    State(state): State<Shared>,
    Path(app): Path<String>,
    body: Bytes,
) -> Response {
    let mut world = lock(&state);
    respond(|| {
        app_known(&world, &app)?;
        let request = json_body(&body)?;
        let user = request["participants"][0]["userId"]
            .as_str()
            .filter(|user| world.users.contains_key(*user))
            .map(str::to_owned)
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "user_not_found", "User not found"))?;
        let is_default = world.by_user.get(&user).is_none_or(Vec::is_empty);
        let id = world.add_conversation(&user);
        let made = world
            .conversations
            .get(&id)
            .map(|c| conversation_json(c, is_default));
        Ok((StatusCode::CREATED, json!({"conversation": made})))
    })
}

/// The checks SunCo makes on a posted message.
fn check_message(message: &Value) -> Result<(), Answer> {
    let bad = |title: &str| refuse(StatusCode::BAD_REQUEST, "bad_request", title);
    if message["author"]["type"].as_str() != Some("business") {
        return Err(bad("author.type must be business"));
    }
    let content = &message["content"];
    for field in ["text", "markdownText", "altText"] {
        if let Some(text) = content[field].as_str()
            && text.encode_utf16().count() > MAX_TEXT_CHARS
        {
            return Err(bad(&format!(
                "content.{field} must be at most {MAX_TEXT_CHARS} characters"
            )));
        }
    }
    match content["type"].as_str() {
        Some("text") if content["text"].is_string() || content["markdownText"].is_string() => {}
        Some("text") => return Err(bad("content.text is required")),
        Some("image" | "file") if content["mediaUrl"].is_string() => {}
        Some("image" | "file") => return Err(bad("content.mediaUrl is required")),
        _ => return Err(bad("content.type is not supported")),
    }
    if let Some(metadata) = message.get("metadata").filter(|m| !m.is_null()) {
        if !metadata.is_object() {
            return Err(bad("metadata must be an object"));
        }
        if metadata.to_string().len() > MAX_METADATA_BYTES {
            return Err(bad("The metadata is limited to 4KB in size."));
        }
    }
    Ok(())
}

async fn post_message(
    State(state): State<Shared>,
    Path((app, conversation)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut world = lock(&state);
    respond(|| {
        app_known(&world, &app)?;
        if !world.conversations.contains_key(&conversation) {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "conversation_not_found",
                "Conversation not found",
            ));
        }
        let message = json_body(&body)?;
        check_message(&message)?;
        let id = world.next_id("m");
        let posted = FakeMessage {
            id,
            author_type: "business".into(),
            user_id: None,
            display_name: message["author"]["displayName"].as_str().map(str::to_owned),
            content: message["content"].clone(),
            metadata: message.get("metadata").filter(|m| !m.is_null()).cloned(),
            received: time::OffsetDateTime::now_utc(),
        };
        let answer = message_json(&posted);
        if let Some(found) = world.conversations.get_mut(&conversation) {
            found.messages.push(posted);
        }
        Ok((StatusCode::CREATED, json!({"messages": [answer]})))
    })
}

async fn list_messages(
    State(state): State<Shared>,
    Path((app, conversation)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    respond(|| {
        app_known(&world, &app)?;
        let found = world.conversations.get(&conversation).ok_or_else(|| {
            refuse(
                StatusCode::NOT_FOUND,
                "conversation_not_found",
                "Conversation not found",
            )
        })?;
        // Newest page first; `page[before]` is the id of the oldest message already seen.
        let end = match query.get("page[before]") {
            Some(before) => found
                .messages
                .iter()
                .position(|message| &message.id == before)
                .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "bad_request", "Invalid cursor"))?,
            None => found.messages.len(),
        };
        let start = end.saturating_sub(MESSAGES_PER_PAGE);
        let page = &found.messages[start..end];
        let has_more = start > 0;
        Ok((
            StatusCode::OK,
            json!({"messages": page.iter().map(message_json).collect::<Vec<_>>(),
                   "meta": {"hasMore": has_more,
                            "beforeCursor": has_more.then(|| page.first().map(|m| m.id.clone())).flatten()},
                   "links": {}}),
        ))
    })
}

async fn upload_attachment(
    State(state): State<Shared>,
    Path(app): Path<String>,
    body: Bytes,
) -> Response {
    let mut world = lock(&state);
    respond(|| {
        app_known(&world, &app)?;
        if body.is_empty() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "source is required",
            ));
        }
        world.attachments += 1;
        let id = world.next_id("a");
        Ok((
            StatusCode::CREATED,
            json!({"attachment": {"mediaUrl": format!("https://fake.sunco.test/attachments/{id}"),
                                  "mediaType": "application/octet-stream"}}),
        ))
    })
}
