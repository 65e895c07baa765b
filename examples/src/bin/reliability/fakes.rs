//! Stateful fakes of Zendesk and SunCo on one loopback port (their paths do not overlap),
//! recording every comment and message so the run can be checked afterwards, and failing a
//! share of calls on purpose.
//!
//! Faults, chosen at random per call: 500 and 429 (with `Retry-After: 1`) are refused before
//! anything changes; a *hang* applies the call and then answers after the client's timeout; a
//! *reset* applies it and breaks the connection mid-answer. The last two are the ambiguous
//! failures: the write happened, the client cannot know.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_body::Frame;
use serde_json::{Value, json};

/// The agent who writes every agent comment.
pub(crate) const AGENT: i64 = 9;

/// Customer `t`'s ids: Zendesk requester, email (the SunCo external id), SunCo user,
/// conversation.
pub(crate) fn requester(t: u32) -> i64 {
    100_000 + i64::from(t)
}
pub(crate) fn email(t: u32) -> String {
    format!("customer{t}@example.test")
}
pub(crate) fn sunco_user(t: u32) -> String {
    format!("sc{t}")
}
pub(crate) fn conversation(t: u32) -> String {
    format!("conv{t}")
}

/// A comment on a fake ticket.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub(crate) id: i64,
    pub(crate) author: i64,
    pub(crate) body: String,
    pub(crate) public: bool,
}

/// A fake ticket.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    pub(crate) requester: i64,
    pub(crate) status: String,
    pub(crate) comments: Vec<Comment>,
}

/// A message the bridge posted to a fake conversation.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) id: String,
    pub(crate) metadata: Value,
}

/// Everything the fakes know.
#[derive(Debug, Default)]
pub(crate) struct World {
    pub(crate) tickets: HashMap<i64, Ticket>,
    pub(crate) messages: HashMap<String, Vec<Message>>,
    next_id: i64,
    /// Idempotency-Key -> ticket made with it.
    created: HashMap<String, i64>,
    /// How often each paragraph of a customer-authored comment was posted (the bridge puts
    /// batched messages a paragraph apart).
    pub(crate) customer_paragraphs: HashMap<String, usize>,
}

impl World {
    fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn count_paragraphs(&mut self, author: i64, body: &str) {
        if author == AGENT {
            return;
        }
        for paragraph in body.split("\n\n") {
            *self
                .customer_paragraphs
                .entry(paragraph.trim().to_owned())
                .or_default() += 1;
        }
    }

    /// A new ticket for customer `t`, with an agent's first comment; answers both ids.
    pub(crate) fn open_ticket(&mut self, t: u32, text: &str) -> (i64, i64) {
        let ticket = 10_000 + i64::from(t);
        let comment = self.next();
        self.tickets.insert(
            ticket,
            Ticket {
                requester: requester(t),
                status: "open".into(),
                comments: vec![Comment {
                    id: comment,
                    author: AGENT,
                    body: text.into(),
                    public: true,
                }],
            },
        );
        (ticket, comment)
    }

    /// An agent's public comment on a ticket; answers its id.
    pub(crate) fn agent_comment(&mut self, ticket: i64, text: &str) -> i64 {
        let id = self.next();
        if let Some(found) = self.tickets.get_mut(&ticket) {
            found.comments.push(Comment {
                id,
                author: AGENT,
                body: text.into(),
                public: true,
            });
        }
        id
    }
}

/// Counters of what the fakes did.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) calls: AtomicU64,
    pub refused_500: AtomicU64,
    pub refused_429: AtomicU64,
    pub(crate) hung: AtomicU64,
    pub(crate) reset: AtomicU64,
}

/// The fakes' shared state.
#[derive(Debug)]
pub(crate) struct Fakes {
    pub(crate) world: Mutex<World>,
    pub(crate) counters: Counters,
    fault_rate: f64,
    hang: Duration,
    rng: Mutex<fastrand::Rng>,
}

impl Fakes {
    /// Fakes failing `fault_rate` of calls; a hang lasts `hang` (longer than the client's
    /// timeout).
    pub(crate) fn new(fault_rate: f64, hang: Duration, seed: u64) -> Arc<Self> {
        Arc::new(Self {
            world: Mutex::new(World::default()),
            counters: Counters::default(),
            fault_rate,
            hang,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        })
    }

    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fault(&self) -> Option<Fault> {
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        if rng.f64() >= self.fault_rate {
            return None;
        }
        Some(match rng.u8(0..4) {
            0 => Fault::Refuse500,
            1 => Fault::Refuse429,
            2 => Fault::Hang,
            _ => Fault::Reset,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Refuse500,
    Refuse429,
    Hang,
    Reset,
}

type Shared = State<Arc<Fakes>>;

/// The router serving both APIs.
pub(crate) fn router(fakes: Arc<Fakes>) -> Router {
    Router::new()
        .route("/api/v2/tickets", axum::routing::post(create_ticket))
        .route("/api/v2/tickets/{id}", get(get_ticket).put(update_ticket))
        .route("/api/v2/tickets/{id}/comments", get(list_comments))
        .route("/v2/apps/{app}/users/{external_id}", get(get_user))
        .route("/v2/apps/{app}/conversations", get(list_conversations))
        .route(
            "/v2/apps/{app}/conversations/{conversation}/messages",
            get(list_messages).post(post_message),
        )
        .with_state(fakes)
}

/// Runs `apply` (the call's effect) unless a fault refuses the call first; then answers, or
/// fails the way the fault says.
async fn answer(fakes: &Fakes, apply: impl FnOnce(&mut World) -> (StatusCode, Value)) -> Response {
    let fault = fakes.fault();
    match fault {
        Some(Fault::Refuse500) => {
            fakes.counters.refused_500.fetch_add(1, Ordering::Relaxed);
            return (StatusCode::INTERNAL_SERVER_ERROR, "injected 500").into_response();
        }
        Some(Fault::Refuse429) => {
            fakes.counters.refused_429.fetch_add(1, Ordering::Relaxed);
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                "injected 429",
            )
                .into_response();
        }
        _ => {}
    }
    let (status, body) = {
        let mut world = fakes.world();
        apply(&mut world)
    };
    match fault {
        Some(Fault::Hang) => {
            fakes.counters.hung.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(fakes.hang).await;
            (status, axum::Json(body)).into_response()
        }
        Some(Fault::Reset) => {
            fakes.counters.reset.fetch_add(1, Ordering::Relaxed);
            Response::builder()
                .status(status)
                .body(Body::new(Broken))
                .unwrap_or_default()
        }
        _ => (status, axum::Json(body)).into_response(),
    }
}

/// A body that fails at once: the server drops the connection mid-answer.
struct Broken;

impl http_body::Body for Broken {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected reset",
        ))))
    }
}

fn comment_json(comment: &Comment) -> Value {
    json!({"id": comment.id, "author_id": comment.author, "public": comment.public, "body": comment.body})
}

async fn list_comments(State(fakes): Shared, Path(id): Path<i64>) -> Response {
    answer(&fakes, |world| match world.tickets.get(&id) {
        Some(ticket) => (
            StatusCode::OK,
            json!({
                "comments": ticket.comments.iter().map(comment_json).collect::<Vec<_>>(),
                "users": [{"id": AGENT, "name": "Agent Smith", "role": "agent"},
                          {"id": ticket.requester, "name": "Customer", "role": "end-user"}],
                "meta": {"has_more": false}
            }),
        ),
        None => (StatusCode::NOT_FOUND, json!({"error": "RecordNotFound"})),
    })
    .await
}

async fn get_ticket(State(fakes): Shared, Path(id): Path<i64>) -> Response {
    answer(&fakes, |world| match world.tickets.get(&id) {
        Some(ticket) => (
            StatusCode::OK,
            json!({"ticket": {"id": id, "status": ticket.status, "requester_id": ticket.requester}}),
        ),
        None => (StatusCode::NOT_FOUND, json!({"error": "RecordNotFound"})),
    })
    .await
}

async fn update_ticket(
    State(fakes): Shared,
    Path(id): Path<i64>,
    axum::Json(update): axum::Json<Value>,
) -> Response {
    answer(&fakes, |world| {
        let comment_id = world.next();
        let Some(ticket) = world.tickets.get_mut(&id) else {
            return (StatusCode::NOT_FOUND, json!({"error": "RecordNotFound"}));
        };
        let update = &update["ticket"];
        let mut posted = None;
        if let Some(comment) = update.get("comment") {
            let author = comment["author_id"].as_i64().unwrap_or(AGENT);
            let body = comment["body"].as_str().unwrap_or_default().to_owned();
            ticket.comments.push(Comment {
                id: comment_id,
                author,
                body: body.clone(),
                public: comment["public"].as_bool().unwrap_or(true),
            });
            posted = Some((author, body));
        }
        if let Some(status) = update["status"].as_str() {
            ticket.status = status.to_owned();
        }
        let answer = json!({"ticket": {"id": id, "status": ticket.status},
                            "audit": {"events": [{"id": comment_id, "type": "Comment"}]}});
        if let Some((author, body)) = posted {
            world.count_paragraphs(author, &body);
        }
        (StatusCode::OK, answer)
    })
    .await
}

async fn create_ticket(
    State(fakes): Shared,
    headers: HeaderMap,
    axum::Json(new): axum::Json<Value>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    answer(&fakes, |world| {
        // Zendesk answers a repeated Idempotency-Key with the ticket it made the first time.
        if let Some(existing) = key.as_ref().and_then(|key| world.created.get(key)) {
            return (StatusCode::CREATED, json!({"ticket": {"id": existing}}));
        }
        let id = world.next() + 50_000;
        let comment_id = world.next();
        let ticket = &new["ticket"];
        let requester = ticket["requester_id"].as_i64().unwrap_or_default();
        let author = ticket["comment"]["author_id"].as_i64().unwrap_or(requester);
        let body = ticket["comment"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        world.count_paragraphs(author, &body);
        world.tickets.insert(
            id,
            Ticket {
                requester,
                status: "new".into(),
                comments: vec![Comment {
                    id: comment_id,
                    author,
                    body,
                    public: true,
                }],
            },
        );
        if let Some(key) = key {
            world.created.insert(key, id);
        }
        (StatusCode::CREATED, json!({"ticket": {"id": id}}))
    })
    .await
}

async fn get_user(
    State(fakes): Shared,
    Path((_, external_id)): Path<(String, String)>,
) -> Response {
    let t: Option<u32> = external_id
        .strip_prefix("customer")
        .and_then(|rest| rest.strip_suffix("@example.test"))
        .and_then(|n| n.parse().ok());
    answer(&fakes, |_| match t {
        Some(t) => (
            StatusCode::OK,
            json!({"user": {"id": sunco_user(t), "externalId": email(t)}}),
        ),
        None => (
            StatusCode::NOT_FOUND,
            json!({"errors": [{"code": "user_not_found", "title": "User not found"}]}),
        ),
    })
    .await
}

async fn list_conversations(
    State(fakes): Shared,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let t: Option<u32> = query
        .get("filter[userId]")
        .and_then(|user| user.strip_prefix("sc"))
        .and_then(|n| n.parse().ok());
    answer(&fakes, |_| {
        let conversations: Vec<Value> = t
            .map(|t| json!({"id": conversation(t), "type": "personal", "isDefault": true}))
            .into_iter()
            .collect();
        (
            StatusCode::OK,
            json!({"conversations": conversations, "meta": {"hasMore": false}}),
        )
    })
    .await
}

async fn post_message(
    State(fakes): Shared,
    Path((_, conversation_id)): Path<(String, String)>,
    axum::Json(message): axum::Json<Value>,
) -> Response {
    answer(&fakes, |world| {
        let id = format!("msg{}", world.next());
        world
            .messages
            .entry(conversation_id)
            .or_default()
            .push(Message {
                id: id.clone(),
                metadata: message["metadata"].clone(),
            });
        (
            StatusCode::CREATED,
            json!({"messages": [{"id": id, "author": {"type": "business"},
                                 "content": message["content"], "metadata": message["metadata"]}]}),
        )
    })
    .await
}

async fn list_messages(
    State(fakes): Shared,
    Path((_, conversation_id)): Path<(String, String)>,
) -> Response {
    answer(&fakes, |world| {
        let messages: Vec<Value> = world
            .messages
            .get(&conversation_id)
            .map(|messages| {
                messages
                    .iter()
                    .map(|m| json!({"id": m.id, "author": {"type": "business"},
                                    "content": {"type": "text", "text": "..."}, "metadata": m.metadata}))
                    .collect()
            })
            .unwrap_or_default();
        (
            StatusCode::OK,
            json!({"messages": messages, "meta": {"hasMore": false}}),
        )
    })
    .await
}
