//! `GET /admin`: the operator page, plain server-rendered HTML (no script, no build step).
//!
//! Served only when `ADMIN_TOKEN` is set. A visitor without the session cookie sees a form
//! asking for the token and nothing else; the token is compared in constant time and never
//! logged, and the cookie it earns (`HttpOnly`, `SameSite=Strict`, path `/admin`) holds a
//! keyed hash of it, not the token. The page shows the inbox by state, the failed entries
//! with their reasons and a requeue button each (and one for all), the latest batches per
//! ticket or customer, and a chart of the last hour: batches done and backlog, per minute.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use meya_links::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zendesk_sunco_bridge::{BatchOutcome, BatchReport};

const COOKIE: &str = "bridge_admin";
/// The latest batches kept for the page.
const RECENT: usize = 50;
/// Minutes the chart shows.
const MINUTES: usize = 60;

/// What the worker did lately, kept in this process for the page.
#[derive(Default)]
pub(crate) struct History {
    recent: VecDeque<(SystemTime, BatchReport)>,
    /// Per minute, oldest first: (minute start, batches done, backlog at its end).
    minutes: VecDeque<(SystemTime, u64, u64)>,
}

/// The page's state.
pub(crate) struct Admin {
    token: SecretString,
    store: Arc<dyn LinkStore>,
    history: Mutex<History>,
}

impl Admin {
    /// The page, when `ADMIN_TOKEN` is set.
    pub(crate) fn from_env(store: Arc<dyn LinkStore>) -> Option<Arc<Self>> {
        let token = std::env::var("ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())?;
        Some(Arc::new(Self {
            token: SecretString::from(token),
            store,
            history: Mutex::default(),
        }))
    }

    fn history(&self) -> std::sync::MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a finished batch (the worker's `on_batch`).
    pub(crate) fn batch_finished(&self, report: &BatchReport) {
        let now = SystemTime::now();
        let mut history = self.history();
        history.recent.push_front((now, report.clone()));
        history.recent.truncate(RECENT);
        if matches!(report.outcome, BatchOutcome::Done) {
            let minute = minute_of(now);
            match history.minutes.back_mut() {
                Some((start, done, _)) if *start == minute => *done += 1,
                _ => history.minutes.push_back((minute, 1, 0)),
            }
        }
        trim(&mut history.minutes);
    }

    /// Samples the backlog once a minute, for the chart.
    pub(crate) async fn sample_backlog(self: Arc<Self>) {
        loop {
            if let Ok(stats) = self.store.inbox_stats().await {
                let minute = minute_of(SystemTime::now());
                let mut history = self.history();
                match history.minutes.back_mut() {
                    Some((start, _, backlog)) if *start == minute => *backlog = stats.unfinished(),
                    _ => history.minutes.push_back((minute, 0, stats.unfinished())),
                }
                trim(&mut history.minutes);
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    }

    pub(crate) fn routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/admin", get(page))
            .route("/admin/login", post(login))
            .route("/admin/requeue", post(requeue))
            .with_state(Arc::clone(self))
    }

    /// The cookie's value: a keyed hash of the token, so the cookie is not the token.
    fn session(&self) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.token.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(b"bridge-server admin session");
        hex(&mac.finalize().into_bytes())
    }

    fn signed_in(&self, headers: &HeaderMap) -> bool {
        let expected = self.session();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|cookies| cookies.split(';'))
            .filter_map(|cookie| cookie.trim().strip_prefix(&format!("{COOKIE}=")))
            .any(|value| examples::same_secret(value.as_bytes(), expected.as_bytes()))
    }
}

fn minute_of(at: SystemTime) -> SystemTime {
    let seconds = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds - seconds % 60)
}

fn trim(minutes: &mut VecDeque<(SystemTime, u64, u64)>) {
    while minutes.len() > MINUTES {
        minutes.pop_front();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// Text made safe for HTML.
fn escape(text: &str) -> String {
    text.chars()
        .fold(String::with_capacity(text.len()), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                _ => out.push(c),
            }
            out
        })
}

fn when(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .replace_nanosecond(0)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_default()
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:2em;color:#222}\
    table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;\
    padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f4f4f4}\
    .reason{max-width:40em;word-break:break-word}button{cursor:pointer}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>\
         <style>{STYLE}</style></head><body>{body}</body></html>"
    )
}

fn login_form(message: &str) -> String {
    document(
        "bridge-server admin",
        &format!(
            "<h1>bridge-server admin</h1><p id=message>{}</p>\
             <form method=post action=/admin/login><label>Admin token \
             <input type=password name=token autocomplete=off></label> \
             <button type=submit>Sign in</button></form>",
            escape(message)
        ),
    )
}

async fn page(State(admin): State<Arc<Admin>>, headers: HeaderMap) -> Response {
    if !admin.signed_in(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Html(login_form("Sign in with the admin token.")),
        )
            .into_response();
    }
    let mut body = String::from("<h1>bridge-server admin</h1>");
    match admin.store.inbox_stats().await {
        Ok(stats) => {
            let _ = write!(
                body,
                "<h2>Inbox</h2><table id=stats><tr><th>pending</th><th>in flight</th><th>done</th>\
                 <th>failed</th><th>oldest unfinished</th></tr><tr><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr></table>",
                stats.pending,
                stats.in_flight,
                stats.done,
                stats.failed,
                stats.oldest_unfinished.map_or_else(|| "none".into(), when)
            );
        }
        Err(error) => {
            let _ = write!(
                body,
                "<p id=store-error>The link store does not answer: {}</p>",
                escape(&error.to_string())
            );
        }
    }
    body.push_str(&failed_section(&admin).await);
    body.push_str(&recent_section(&admin.history()));
    body.push_str(&chart(&admin.history()));
    Html(document("bridge-server admin", &body)).into_response()
}

async fn failed_section(admin: &Admin) -> String {
    let failed = admin.store.inbox_failed(0, 100).await.unwrap_or_default();
    let mut section = String::from("<h2>Failed entries</h2>");
    if failed.is_empty() {
        section.push_str("<p id=no-failed>None.</p>");
        return section;
    }
    section.push_str(
        "<form method=post action=/admin/requeue><input type=hidden name=all value=1>\
         <button type=submit id=requeue-all>Requeue all</button></form>\
         <table id=failed><tr><th>id</th><th>source</th><th>ticket or customer</th>\
         <th>attempts</th><th>failed at</th><th>reason</th><th></th></tr>",
    );
    for entry in &failed {
        let _ = write!(
            section,
            "<tr><td>{id}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=reason>{}</td>\
             <td><form method=post action=/admin/requeue><input type=hidden name=id value={id}>\
             <button type=submit class=requeue data-id={id}>Requeue</button></form></td></tr>",
            escape(&entry.source),
            escape(&entry.ordering_key),
            entry.attempts,
            when(entry.failed_at),
            escape(&entry.reason),
            id = entry.id,
        );
    }
    section.push_str("</table>");
    section
}

fn recent_section(history: &History) -> String {
    let mut section = String::from("<h2>Latest batches</h2>");
    if history.recent.is_empty() {
        section.push_str("<p>None since this process started.</p>");
        return section;
    }
    section.push_str(
        "<table id=recent><tr><th>when</th><th>ticket or customer</th><th>webhooks</th>\
         <th>outcome</th></tr>",
    );
    for (at, report) in &history.recent {
        let outcome = match &report.outcome {
            BatchOutcome::Done => "delivered".to_owned(),
            BatchOutcome::Retrying { after, error } => {
                format!("retrying in {} s: {error}", after.as_secs())
            }
            BatchOutcome::Failed { reason } => format!("failed: {reason}"),
            _ => "other".to_owned(),
        };
        let _ = write!(
            section,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=reason>{}</td></tr>",
            when(*at),
            escape(&report.ordering_key),
            report.entries,
            escape(&outcome)
        );
    }
    section.push_str("</table>");
    section
}

/// Batches done (bars) and backlog (line) per minute, as inline SVG.
fn chart(history: &History) -> String {
    const WIDTH: usize = 600;
    const HEIGHT: u64 = 120;
    let minutes: Vec<_> = history.minutes.iter().collect();
    let top = minutes
        .iter()
        .map(|(_, done, backlog)| (*done).max(*backlog))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = WIDTH / MINUTES;
    let y = |value: u64| HEIGHT - value * HEIGHT / top;
    let mut svg = format!(
        "<h2>Last hour</h2><svg id=chart width={WIDTH} height={HEIGHT} role=img \
         aria-label=\"batches done and backlog per minute\" style=\"border:1px solid #ccc\">"
    );
    let offset = MINUTES.saturating_sub(minutes.len());
    let mut line = Vec::new();
    for (index, (_, done, backlog)) in minutes.iter().enumerate() {
        let x = (offset + index) * step;
        let _ = write!(
            svg,
            "<rect x={x} y={} width={} height={} fill=\"#7aa7d6\"><title>{done} done</title></rect>",
            y(*done),
            step.saturating_sub(1),
            HEIGHT - y(*done)
        );
        line.push(format!("{},{}", x + step / 2, y(*backlog)));
    }
    if !line.is_empty() {
        let _ = write!(
            svg,
            "<polyline points=\"{}\" fill=none stroke=\"#d65f5f\" stroke-width=2/>",
            line.join(" ")
        );
    }
    svg.push_str("</svg><p>Bars: batches done per minute. Line: unfinished entries.</p>");
    svg
}

#[derive(serde::Deserialize)]
struct Login {
    token: String,
}

async fn login(State(admin): State<Arc<Admin>>, Form(form): Form<Login>) -> Response {
    if !examples::same_secret(
        form.token.as_bytes(),
        admin.token.expose_secret().as_bytes(),
    ) {
        tracing::warn!("admin sign-in refused");
        return (StatusCode::UNAUTHORIZED, Html(login_form("Wrong token."))).into_response();
    }
    let cookie = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/admin",
        admin.session()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/admin")).into_response()
}

#[derive(serde::Deserialize)]
struct Requeue {
    id: Option<i64>,
    all: Option<String>,
}

async fn requeue(
    State(admin): State<Arc<Admin>>,
    headers: HeaderMap,
    Form(form): Form<Requeue>,
) -> Response {
    if !admin.signed_in(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let unavailable = || {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the link store does not answer",
        )
    };
    let ids: Vec<i64> = match (form.id, form.all) {
        (Some(id), _) => vec![id],
        (None, Some(_)) => match examples::failed_entry_ids(admin.store.as_ref()).await {
            Ok(ids) => ids,
            Err(error) => {
                tracing::warn!(%error, "could not list the failed entries");
                return unavailable().into_response();
            }
        },
        (None, None) => return StatusCode::BAD_REQUEST.into_response(),
    };
    for id in ids {
        match admin.store.inbox_requeue(id).await {
            Ok(true) => tracing::info!(entry = id, "requeued from the admin page"),
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(entry = id, %error, "could not requeue");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the link store does not answer",
                )
                    .into_response();
            }
        }
    }
    Redirect::to("/admin").into_response()
}
