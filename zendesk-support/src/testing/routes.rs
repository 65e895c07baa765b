//! The Zendesk routes the fake serves, answering as Zendesk does.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::{FakeAudit, FakeComment, FakeTicket, Shared, State as World, lock};

type Answer = (StatusCode, Value);

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/v2/tickets", post(create_ticket))
        .route("/api/v2/tickets/{id}", get(show_ticket).put(update_ticket))
        .route("/api/v2/tickets/{id}/comments", get(list_comments))
        .route("/api/v2/tickets/{id}/audits", get(list_audits))
        .route("/api/v2/users/me", get(me))
        .route("/api/v2/users/show_many", get(show_many_users))
        .route("/api/v2/users/{id}", get(show_user))
        .route("/api/v2/uploads", post(upload))
        .route("/fake-attachments/{token}", get(download))
        .layer(axum::middleware::from_fn(authenticated))
        .with_state(state)
}

/// Zendesk's error bodies: `{"error": ..., "description": ...}`.
pub(crate) fn error_body(status: u16) -> Value {
    let (error, description) = match status {
        401 => ("Couldn't authenticate you", "Unauthorized"),
        403 => (
            "Forbidden",
            "You do not have access to this page. Please contact the account owner of this help desk for further help.",
        ),
        404 => ("RecordNotFound", "Not found"),
        413 => ("RequestTooLarge", "The request is too large"),
        422 => ("RecordInvalid", "Record validation errors"),
        429 => ("TooManyRequests", "You have exceeded the rate limit"),
        503 => ("ServiceUnavailable", "Service temporarily unavailable"),
        _ => ("InternalError", "Something went wrong"),
    };
    json!({"error": error, "description": description})
}

fn refusal(status: StatusCode) -> Answer {
    (status, error_body(status.as_u16()))
}

fn reply((status, body): Answer) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Every API call needs credentials (the attachment downloads are signed URLs in Zendesk).
async fn authenticated(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let open = request.uri().path().starts_with("/fake-attachments/");
    if open || request.headers().contains_key(http::header::AUTHORIZATION) {
        next.run(request).await
    } else {
        reply(refusal(StatusCode::UNAUTHORIZED))
    }
}

fn timestamp(at: time::OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn ticket_json(ticket: &FakeTicket) -> Value {
    let via = match ticket.via_followup_source_id {
        Some(source) => json!({"channel": "api",
            "source": {"rel": "follow_up", "from": {"ticket_id": source}, "to": {}}}),
        None => json!({"channel": "api", "source": {"rel": null, "from": {}, "to": {}}}),
    };
    json!({
        "id": ticket.id,
        "url": format!("https://fake.zendesk.com/api/v2/tickets/{}.json", ticket.id),
        "subject": ticket.subject,
        "description": ticket.comments.first().map(|comment| comment.body.clone()),
        "status": ticket.status,
        "requester_id": ticket.requester_id,
        "submitter_id": ticket.requester_id,
        "tags": ticket.tags,
        "via": via,
        "created_at": timestamp(ticket.created_at),
        "updated_at": timestamp(ticket.comments.last().map_or(ticket.created_at, |c| c.created_at)),
    })
}

fn comment_json(comment: &FakeComment, world: &World, base: &str) -> Value {
    let attachments: Vec<Value> = comment
        .uploads
        .iter()
        .filter_map(|token| {
            let (name, kind, bytes) = world.uploads.get(token)?;
            Some(
                json!({"id": token_id(token), "file_name": name, "content_type": kind,
                "size": bytes.len(), "inline": false,
                "content_url": format!("{base}/fake-attachments/{token}")}),
            )
        })
        .collect();
    json!({
        "id": comment.id,
        "type": "Comment",
        "author_id": comment.author_id,
        "body": comment.body,
        "html_body": comment.html_body.clone().unwrap_or_else(|| format!("<p>{}</p>", comment.body)),
        "plain_body": comment.body,
        "public": comment.public,
        "attachments": attachments,
        "via": {"channel": "api"},
        "created_at": timestamp(comment.created_at),
    })
}

/// The fake's own address, as the client called it: attachment URLs are absolute.
fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn token_id(token: &str) -> i64 {
    token
        .trim_start_matches("upload-")
        .parse()
        .unwrap_or_default()
}

fn user_json(world: &World, id: i64) -> Option<Value> {
    let user = world.users.get(&id)?;
    Some(
        json!({"id": user.id, "name": user.name, "email": user.email, "role": user.role,
        "active": true, "verified": true}),
    )
}

async fn show_ticket(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let world = lock(&state);
    reply(match ticket_id(&id).and_then(|id| world.tickets.get(&id)) {
        Some(ticket) => (StatusCode::OK, json!({"ticket": ticket_json(ticket)})),
        None => refusal(StatusCode::NOT_FOUND),
    })
}

/// `4021` and `4021.json` both name ticket 4021.
fn ticket_id(segment: &str) -> Option<i64> {
    segment.trim_end_matches(".json").parse().ok()
}

async fn update_ticket(
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(update) = serde_json::from_slice::<Value>(&body) else {
        return reply(refusal(StatusCode::BAD_REQUEST));
    };
    let mut world = lock(&state);
    reply(apply_update(&mut world, ticket_id(&id), &update["ticket"]))
}

fn apply_update(world: &mut World, id: Option<i64>, update: &Value) -> Answer {
    let Some(id) = id.filter(|id| world.tickets.contains_key(id)) else {
        return refusal(StatusCode::NOT_FOUND);
    };
    let status_of = |world: &World| world.tickets.get(&id).map(|t| t.status.clone());
    if status_of(world).as_deref() == Some("closed") {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": "RecordInvalid", "description": "Record validation errors",
                   "details": {"status": [{"description": "Status: closed prevents ticket update"}]}}),
        );
    }
    let api_user = world.api_user;
    let mut events = Vec::new();
    if let Some(comment) = update.get("comment").filter(|c| c.is_object()) {
        let author = comment["author_id"].as_i64().unwrap_or(api_user);
        let comment_id = world.next_id();
        let from_end_user = world
            .users
            .get(&author)
            .is_some_and(|user| user.role == "end-user");
        let uploads = strings(&comment["uploads"]);
        if let Some(ticket) = world.tickets.get_mut(&id) {
            ticket.comments.push(FakeComment {
                id: comment_id,
                author_id: author,
                body: comment["body"]
                    .as_str()
                    .or(comment["html_body"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
                html_body: comment["html_body"].as_str().map(str::to_owned),
                public: comment["public"].as_bool().unwrap_or(true),
                uploads,
                created_at: time::OffsetDateTime::now_utc(),
            });
            // An end user's comment reopens a pending or solved ticket, as in Zendesk.
            if from_end_user && matches!(ticket.status.as_str(), "pending" | "solved") {
                ticket.status = "open".into();
            }
        }
        events.push(json!({"id": comment_id, "type": "Comment", "author_id": author}));
    }
    if let Some(ticket) = world.tickets.get_mut(&id) {
        if let Some(status) = update["status"].as_str() {
            ticket.status = status.to_owned();
        }
        if update.get("tags").is_some() {
            ticket.tags = strings(&update["tags"]);
        }
    }
    let comment_id = events.first().and_then(|event| event["id"].as_i64());
    let author = events
        .first()
        .and_then(|event| event["author_id"].as_i64())
        .unwrap_or(api_user);
    let custom = update.get("metadata").cloned();
    let Some(audit) = world.record_audit(id, author, comment_id, custom) else {
        return refusal(StatusCode::NOT_FOUND);
    };
    if let Some(status) = update["status"].as_str() {
        audit
            .changes
            .push(json!({"type": "Change", "field_name": "status", "value": status}));
    }
    let audit = audit.clone();
    let audit = audit_json(id, &audit, &world.tickets);
    if let Some(ticket) = world.tickets.get(&id) {
        return (
            StatusCode::OK,
            json!({"ticket": ticket_json(ticket), "audit": audit}),
        );
    }
    refusal(StatusCode::NOT_FOUND)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn create_ticket(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return reply(refusal(StatusCode::BAD_REQUEST));
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let mut world = lock(&state);
    if let Some((first, id)) = key.as_ref().and_then(|key| world.idempotency.get(key)) {
        // Zendesk replays the first answer for a repeated key, and refuses a key reused with
        // another body.
        if *first != request {
            return reply((
                StatusCode::BAD_REQUEST,
                json!({"error": "IdempotentRequestError",
                       "description": "The request body does not match the original request"}),
            ));
        }
        let id = *id;
        let ticket = world.tickets.get(&id).map(ticket_json);
        return (
            StatusCode::CREATED,
            [("x-idempotency-lookup", "hit")],
            axum::Json(json!({"ticket": ticket.unwrap_or_else(|| json!({"id": id}))})),
        )
            .into_response();
    }
    let answer = create(&mut world, &request["ticket"]);
    if let (Some(key), Some(id)) = (key, answer.1["ticket"]["id"].as_i64()) {
        world.idempotency.insert(key, (request, id));
    }
    reply(answer)
}

fn create(world: &mut World, new: &Value) -> Answer {
    let requester = match (
        new["requester_id"].as_i64(),
        new["requester"]["email"].as_str(),
    ) {
        (Some(id), _) if world.users.contains_key(&id) => id,
        (None, Some(email)) => {
            let name = new["requester"]["name"]
                .as_str()
                .unwrap_or(email)
                .to_owned();
            world.end_user(&name, email)
        }
        _ => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "RecordInvalid", "description": "Record validation errors",
                       "details": {"requester": [{"description": "Requester: is invalid"}]}}),
            );
        }
    };
    let source = new["via_followup_source_id"].as_i64();
    if let Some(source) = source {
        // A follow-up can only be made for a closed ticket.
        let closed = world
            .tickets
            .get(&source)
            .is_some_and(|ticket| ticket.status == "closed");
        if !closed {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "RecordInvalid", "description": "Record validation errors",
                       "details": {"via_followup_source_id": [{"description": "is not a closed ticket"}]}}),
            );
        }
    }
    let status = new["status"].as_str().unwrap_or("new").to_owned();
    let id = world.new_ticket(requester, &status);
    let comment = &new["comment"];
    let author = comment["author_id"].as_i64().unwrap_or(world.api_user);
    let text = comment["body"]
        .as_str()
        .or(comment["html_body"].as_str())
        .unwrap_or_default()
        .to_owned();
    if let Some(comment_id) = world.add_comment(
        id,
        author,
        &text,
        comment["public"].as_bool().unwrap_or(true),
    ) {
        let uploads = strings(&comment["uploads"]);
        if let Some(made) = world
            .tickets
            .get_mut(&id)
            .and_then(|ticket| ticket.comments.iter_mut().find(|c| c.id == comment_id))
        {
            made.uploads = uploads;
            made.html_body = comment["html_body"].as_str().map(str::to_owned);
        }
    }
    let Some(ticket) = world.tickets.get_mut(&id) else {
        return refusal(StatusCode::INTERNAL_SERVER_ERROR);
    };
    ticket.subject = new["subject"].as_str().map(str::to_owned);
    ticket.tags = strings(&new["tags"]);
    ticket.via_followup_source_id = source;
    if let Some(audit) = ticket.audits.first_mut() {
        audit.custom_metadata = new
            .get("metadata")
            .cloned()
            .filter(|custom| !custom.is_null());
    }
    (StatusCode::CREATED, json!({"ticket": ticket_json(ticket)}))
}

async fn list_comments(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    let Some(ticket) = ticket_id(&id).and_then(|id| world.tickets.get(&id)) else {
        return reply(refusal(StatusCode::NOT_FOUND));
    };
    let Some((start, size)) = page_window(&query, "c") else {
        return reply(refusal(StatusCode::BAD_REQUEST));
    };
    // Oldest first, or newest first with `sort=-created_at` (cursor pagination's sort).
    let page: Vec<&FakeComment> = if query.get("sort").map(String::as_str) == Some("-created_at") {
        ticket
            .comments
            .iter()
            .rev()
            .skip(start)
            .take(size)
            .collect()
    } else {
        ticket.comments.iter().skip(start).take(size).collect()
    };
    let end = start + page.len();
    let has_more = end < ticket.comments.len();
    let sort = query
        .get("sort")
        .map(|sort| format!("&sort={sort}"))
        .unwrap_or_default();
    let mut body = json!({
        "comments": page.iter().map(|comment| comment_json(comment, &world, &base(&headers))).collect::<Vec<_>>(),
        "meta": {"has_more": has_more, "after_cursor": has_more.then(|| format!("c{end}")),
                 "before_cursor": (start > 0).then(|| format!("c{start}"))},
        "links": {"next": has_more.then(|| format!("/api/v2/tickets/{}/comments?page[after]=c{end}{sort}", ticket.id))},
    });
    if query
        .get("include")
        .is_some_and(|include| include.split(',').any(|i| i == "users"))
    {
        let mut authors: Vec<i64> = page.iter().map(|comment| comment.author_id).collect();
        authors.sort_unstable();
        authors.dedup();
        body["users"] = authors
            .into_iter()
            .filter_map(|id| user_json(&world, id))
            .collect();
    }
    reply((StatusCode::OK, body))
}

/// A cursor page's first position and size: the cursor is `prefix` and the position after
/// the previous page's last item. `None` for a cursor the fake did not hand out.
fn page_window(query: &HashMap<String, String>, prefix: &str) -> Option<(usize, usize)> {
    let size = query
        .get("page[size]")
        .and_then(|size| size.parse().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let start = match query.get("page[after]") {
        Some(cursor) => cursor.strip_prefix(prefix)?.parse().ok()?,
        None => 0,
    };
    Some((start, size))
}

async fn list_audits(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    let Some(ticket) = ticket_id(&id).and_then(|id| world.tickets.get(&id)) else {
        return reply(refusal(StatusCode::NOT_FOUND));
    };
    let Some((start, size)) = page_window(&query, "a") else {
        return reply(refusal(StatusCode::BAD_REQUEST));
    };
    let newest_first = query.get("sort").map(String::as_str) == Some("-created_at")
        || query.get("sort_order").map(String::as_str) == Some("desc");
    let ordered: Box<dyn Iterator<Item = &FakeAudit>> = if newest_first {
        Box::new(ticket.audits.iter().rev())
    } else {
        Box::new(ticket.audits.iter())
    };
    let page: Vec<Value> = ordered
        .skip(start)
        .take(size)
        .map(|audit| audit_json(ticket.id, audit, &world.tickets))
        .collect();
    let end = start + page.len();
    let has_more = end < ticket.audits.len();
    reply((
        StatusCode::OK,
        json!({"audits": page,
               "meta": {"has_more": has_more, "after_cursor": has_more.then(|| format!("a{end}")),
                        "before_cursor": (start > 0).then(|| format!("a{start}"))}}),
    ))
}

/// An audit as Zendesk lists it: its comment as a `Comment` event, then its changes.
fn audit_json(ticket_id: i64, audit: &FakeAudit, tickets: &BTreeMap<i64, FakeTicket>) -> Value {
    let comment = audit.comment_id.and_then(|comment_id| {
        tickets
            .get(&ticket_id)?
            .comments
            .iter()
            .find(|comment| comment.id == comment_id)
    });
    let mut events: Vec<Value> = comment
        .map(|comment| {
            json!({"id": comment.id, "type": "Comment", "author_id": comment.author_id,
                   "body": comment.body, "public": comment.public})
        })
        .into_iter()
        .collect();
    events.extend(audit.changes.iter().cloned());
    let metadata = json!({
        "system": {"client": "zendesk-support fake", "ip_address": "127.0.0.1"},
        "custom": audit.custom_metadata.clone().unwrap_or_else(|| json!({})),
    });
    json!({
        "id": audit.id,
        "ticket_id": ticket_id,
        "author_id": audit.author_id,
        "created_at": timestamp(audit.created_at),
        "via": audit.via.clone().unwrap_or_else(|| json!({"channel": "api", "source": {"rel": null, "from": {}, "to": {}}})),
        "metadata": metadata,
        "events": events,
    })
}

async fn me(State(state): State<Shared>) -> Response {
    let world = lock(&state);
    reply(match user_json(&world, world.api_user) {
        Some(user) => (StatusCode::OK, json!({"user": user})),
        None => refusal(StatusCode::UNAUTHORIZED),
    })
}

async fn show_user(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let world = lock(&state);
    reply(match ticket_id(&id).and_then(|id| user_json(&world, id)) {
        Some(user) => (StatusCode::OK, json!({"user": user})),
        None => refusal(StatusCode::NOT_FOUND),
    })
}

async fn show_many_users(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    let users: Vec<Value> = query
        .get("ids")
        .map(|ids| {
            ids.split(',')
                .filter_map(|id| id.trim().parse().ok())
                .filter_map(|id| user_json(&world, id))
                .collect()
        })
        .unwrap_or_default();
    reply((StatusCode::OK, json!({"users": users})))
}

async fn upload(
    State(state): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(name) = query.get("filename").cloned() else {
        return reply(refusal(StatusCode::BAD_REQUEST));
    };
    let kind = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/binary")
        .to_owned();
    let mut world = lock(&state);
    let token = format!("upload-{}", world.next_id());
    let size = body.len();
    world
        .uploads
        .insert(token.clone(), (name.clone(), kind.clone(), body.to_vec()));
    reply((
        StatusCode::CREATED,
        json!({"upload": {"token": token, "attachment": {"id": token_id(&token), "file_name": name,
            "content_type": kind, "size": size,
            "content_url": format!("{}/fake-attachments/{token}", base(&headers))}}}),
    ))
}

async fn download(State(state): State<Shared>, Path(token): Path<String>) -> Response {
    let world = lock(&state);
    match world.uploads.get(&token) {
        Some((_, kind, bytes)) => (
            StatusCode::OK,
            [(http::header::CONTENT_TYPE, kind.clone())],
            bytes.clone(),
        )
            .into_response(),
        None => reply(refusal(StatusCode::NOT_FOUND)),
    }
}
