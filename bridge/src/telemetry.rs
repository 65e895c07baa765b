//! What the bridge reports through the [`metrics`] facade, a no-op until the application
//! installs a recorder (`bridge-server` serves them at `/metrics` in Prometheus' format).
//! With `metrics-exporter-prometheus`'s `install_recorder`, run the handle's `run_upkeep`
//! every few seconds, as `bridge-server` does: until then every histogram sample is kept,
//! and a service nobody scrapes grows without end.
//!
//! | metric | labels | counts |
//! |---|---|---|
//! | `bridge_webhooks_received_total` | `source` (`zendesk`, `sunco`) | every webhook call |
//! | `bridge_webhooks_rejected_total` | `source`, `reason` (`unauthorized`, `bad_request`, `failed`) | calls answered 401, 400 or 5xx |
//! | `bridge_inbox_batches_total` | `source`, `outcome` (`done`, `retried`, `failed`) | worker batches |
//! | `bridge_agent_comments_total` | `outcome` (`delivered`, `skipped`, `refused`) | agent comments, as they are settled |
//! | `bridge_customer_messages_total` | `outcome` (`commented`, `ticket_created`, `already_delivered`, `ignored`) | SunCo events |
//! | `bridge_webhook_to_done_seconds` (histogram) | `source` | from a webhook's arrival to its batch done (delivered, or settled otherwise) |
//!
//! The SDK clients add `upstream_requests_total` and `upstream_request_duration_seconds`
//! (by vendor, method, path and status).

use crate::flows::agent_comments::AgentCommentsOutcome;
use crate::flows::customer_messages::SunCoEventOutcome;
use crate::receiving::WebhookRejection;
use crate::worker::{BatchOutcome, BatchReport};

/// A webhook call and, if it was refused, why.
pub(crate) fn webhook<T>(source: &'static str, answer: &Result<T, WebhookRejection>) {
    metrics::counter!("bridge_webhooks_received_total", "source" => source).increment(1);
    let reason = match answer {
        Ok(_) => return,
        Err(WebhookRejection::Unauthorized(_)) => "unauthorized",
        Err(WebhookRejection::BadRequest(_)) => "bad_request",
        Err(WebhookRejection::Failed(_)) => "failed",
    };
    metrics::counter!("bridge_webhooks_rejected_total", "source" => source, "reason" => reason)
        .increment(1);
}

/// How a worker batch ended, and for a batch done, how long each webhook in it waited from
/// its arrival (`bridge_webhook_to_done_seconds`).
pub(crate) fn batch(report: &BatchReport, entries: &[meya_links::InboxEntry]) {
    if matches!(report.outcome, BatchOutcome::Done) {
        let now = std::time::SystemTime::now();
        for entry in entries {
            if let Some(waited) = entry
                .recorded_at()
                .and_then(|at| now.duration_since(at).ok())
            {
                metrics::histogram!(
                    "bridge_webhook_to_done_seconds",
                    "source" => report.source.clone()
                )
                .record(waited.as_secs_f64());
            }
        }
    }
    let outcome = match report.outcome {
        BatchOutcome::Done => "done",
        BatchOutcome::Retrying { .. } => "retried",
        BatchOutcome::Failed { .. } => "failed",
    };
    metrics::counter!(
        "bridge_inbox_batches_total",
        "source" => report.source.clone(), "outcome" => outcome
    )
    .increment(1);
}

/// The agent comments a pass settled.
pub(crate) fn agent_comments(outcome: &AgentCommentsOutcome) {
    for (name, count) in [
        ("delivered", outcome.delivered.len()),
        ("skipped", outcome.skipped.len()),
        ("refused", outcome.refused.len()),
    ] {
        if count > 0 {
            metrics::counter!("bridge_agent_comments_total", "outcome" => name)
                .increment(count as u64);
        }
    }
}

/// What became of SunCo events.
pub(crate) fn customer_messages(outcomes: &[SunCoEventOutcome]) {
    for outcome in outcomes {
        let name = match outcome {
            SunCoEventOutcome::Commented { .. } => "commented",
            SunCoEventOutcome::TicketCreated { .. } => "ticket_created",
            SunCoEventOutcome::AlreadyDelivered { .. } => "already_delivered",
            SunCoEventOutcome::Ignored { .. } => "ignored",
        };
        metrics::counter!("bridge_customer_messages_total", "outcome" => name).increment(1);
    }
}
