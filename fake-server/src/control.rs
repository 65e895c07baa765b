//! What a test steers while the fake runs: faults, latency, the request log.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode};
use http_body::Frame;
use serde_json::Value;

use crate::faults::RandomFaults;
use crate::{Fault, FaultRule, RecordedRequest};

/// The largest request body the fakes read; larger ones are answered 413, as the vendors do.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// How a vendor words an error body for a status.
pub(crate) type ErrorBody = fn(u16) -> Value;

/// A handle on a running fake: cheap to clone, shared with the server.
#[derive(Clone)]
pub struct Control {
    inner: Arc<Inner>,
}

struct Inner {
    rules: Mutex<Vec<FaultRule>>,
    random: Mutex<Option<RandomFaults>>,
    latency: Mutex<Duration>,
    log: Mutex<Vec<RecordedRequest>>,
    recording: std::sync::atomic::AtomicBool,
    counts: Counts,
    error_body: ErrorBody,
}

#[derive(Default)]
struct Counts {
    calls: AtomicU64,
    refused: AtomicU64,
    rate_limited: AtomicU64,
    hung: AtomicU64,
    reset: AtomicU64,
}

/// How many calls the fake answered and how many it failed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCounts {
    /// Every call received.
    pub calls: u64,
    /// Refused with a status ([`Fault::Status`]).
    pub refused: u64,
    /// Refused with a 429 ([`Fault::RateLimited`]).
    pub rate_limited: u64,
    /// Applied, then answered late ([`Fault::Hang`]).
    pub hung: u64,
    /// Applied, then the connection broken ([`Fault::Reset`]).
    pub reset: u64,
}

impl std::ops::Add for FaultCounts {
    type Output = Self;

    /// Both fakes' counts together.
    fn add(self, other: Self) -> Self {
        Self {
            calls: self.calls + other.calls,
            refused: self.refused + other.refused,
            rate_limited: self.rate_limited + other.rate_limited,
            hung: self.hung + other.hung,
            reset: self.reset + other.reset,
        }
    }
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Control {
    pub(crate) fn new(error_body: ErrorBody) -> Self {
        Self {
            inner: Arc::new(Inner {
                rules: Mutex::default(),
                random: Mutex::default(),
                latency: Mutex::default(),
                log: Mutex::default(),
                recording: true.into(),
                counts: Counts::default(),
                error_body,
            }),
        }
    }

    /// Adds a fault rule; rules are tried in the order added, the first match wins.
    pub fn fail(&self, rule: FaultRule) {
        locked(&self.inner.rules).push(rule);
    }

    /// `fault` for the next `times` calls, whatever they are.
    pub fn fail_next(&self, fault: Fault, times: u32) {
        self.fail(FaultRule::new(fault).times(times));
    }

    /// Fails each call with probability `rate` (0 to 1), as a 500, a 429 with `Retry-After:
    /// 1`, a hang of `hang` or a reset, chosen at random from `seed` so a run can be replayed.
    /// Rules added with [`fail`](Self::fail) go first.
    pub fn fail_at_random(&self, rate: f64, hang: Duration, seed: u64) {
        *locked(&self.inner.random) = Some(RandomFaults {
            rate: rate.clamp(0.0, 1.0),
            hang,
            retry_after: Duration::from_secs(1),
            rng: fastrand::Rng::with_seed(seed),
        });
    }

    /// Removes every fault rule and the random faults.
    pub fn clear_faults(&self) {
        locked(&self.inner.rules).clear();
        *locked(&self.inner.random) = None;
    }

    /// Answers every call `latency` late (before any fault), like a service far away.
    pub fn set_latency(&self, latency: Duration) {
        *locked(&self.inner.latency) = latency;
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        locked(&self.inner.log).clone()
    }

    /// The requests with `method` whose path starts with `path_prefix`.
    pub fn requests_to(&self, method: &str, path_prefix: &str) -> Vec<RecordedRequest> {
        locked(&self.inner.log)
            .iter()
            .filter(|r| r.method.as_str() == method && r.path.starts_with(path_prefix))
            .cloned()
            .collect()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        locked(&self.inner.log).clear();
    }

    /// Stops (or restarts) keeping requests, for long runs where the log would only grow;
    /// [`counts`](Self::counts) keep counting.
    pub fn set_recording(&self, on: bool) {
        self.inner.recording.store(on, Ordering::Relaxed);
    }

    /// How many calls were received and failed so far.
    pub fn counts(&self) -> FaultCounts {
        let counts = &self.inner.counts;
        FaultCounts {
            calls: counts.calls.load(Ordering::Relaxed),
            refused: counts.refused.load(Ordering::Relaxed),
            rate_limited: counts.rate_limited.load(Ordering::Relaxed),
            hung: counts.hung.load(Ordering::Relaxed),
            reset: counts.reset.load(Ordering::Relaxed),
        }
    }

    fn pick(&self, method: &Method, path: &str) -> Option<Fault> {
        {
            let mut rules = locked(&self.inner.rules);
            if let Some(at) = rules.iter().position(|rule| rule.matches(method, path)) {
                let fault = rules[at].fault;
                if rules[at].spend() {
                    rules.remove(at);
                }
                return Some(fault);
            }
        }
        locked(&self.inner.random).as_mut()?.pick()
    }

    fn count(&self, fault: Option<Fault>) {
        let counts = &self.inner.counts;
        counts.calls.fetch_add(1, Ordering::Relaxed);
        let counter = match fault {
            None => return,
            Some(Fault::Status(_)) => &counts.refused,
            Some(Fault::RateLimited { .. }) => &counts.rate_limited,
            Some(Fault::Hang(_)) => &counts.hung,
            Some(Fault::Reset) => &counts.reset,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn refusal(&self, status: u16) -> Response {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, axum::Json((self.inner.error_body)(code.as_u16()))).into_response()
    }
}

/// The layer in front of every route: record, wait, fail or pass.
pub(crate) async fn layer(
    State(control): State<Control>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return control.refusal(413);
    };
    if control.inner.recording.load(Ordering::Relaxed) {
        locked(&control.inner.log).push(RecordedRequest {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers.clone(),
            body: body.clone(),
        });
    }
    let fault = control.pick(&parts.method, parts.uri.path());
    control.count(fault);
    let latency = *locked(&control.inner.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Some(Fault::Status(status)) => return control.refusal(status),
        Some(Fault::RateLimited { retry_after }) => {
            let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            let mut refused = control.refusal(429);
            if let Ok(value) = seconds.to_string().parse() {
                refused
                    .headers_mut()
                    .insert(http::header::RETRY_AFTER, value);
            }
            return refused;
        }
        _ => {}
    }
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    match fault {
        Some(Fault::Hang(hang)) => {
            tokio::time::sleep(hang).await;
            response
        }
        Some(Fault::Reset) => {
            let (parts, _) = response.into_parts();
            Response::from_parts(parts, Body::new(Broken))
        }
        _ => response,
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
