//! # bridge
//!
//! Composes `zendesk-support`, `sunshine-conversations` and `meya-links` into the
//! agent-initiated conversation flow: an agent's ticket tagged `sunco_send` reaches the
//! customer's messenger, and from then on the ticket's public agent comments keep arriving
//! there.
//!
//! - [`config`]: Meya's settings, from a TOML file, the environment or Meya's own YAML
//!   block, every problem reported at once, naming its setting.
//! - [`filter`]: Meya's ticket filter language (`filter.rx_unhandled_ticket`), with Meya's
//!   answers, over the whole ticket (read from the API only when the query needs it).
//! - [`lifecycle`]: replies that meet a closed, merged or deleted ticket.
//! - [`media`]: customer files, fetched only from SunCo's media hosts.
//! - [`Bridge::handle_unhandled_ticket`]: the seed's flow, step by step.
//! - [`Bridge::handle_zendesk_webhook`]: the framework-agnostic entry point for Zendesk's
//!   webhook: verify, parse, then rx (unlinking tickets that reach `unlink_ticket_status`),
//!   the flow, or ignore.
//! - [`Bridge::handle_sunco_webhook`]: the entry point for SunCo's webhook: customer
//!   messages become comments on the linked ticket (or open a new one), exactly once each.
//! - [`Bridge::accept_zendesk_webhook`], [`Bridge::accept_sunco_webhook`] and
//!   [`InboxWorker`]: answer once the webhook is durably recorded, process it in the
//!   background (in order per ticket and per customer, retried with backoff, resumed after a
//!   crash); several customer messages waiting for one ticket go in one update.
//!
//! ```no_run
//! use std::sync::Arc;
//! use bridge::{Bridge, config::Config};
//! use meya_links::SqliteStore;
//!
//! async fn start() -> Result<Bridge, Box<dyn std::error::Error>> {
//!     // Meya's settings (markdown, filter, ...) from TOML; identity and secrets from ZENDESK_* and
//!     // SUNCO_* variables. `bridge/config/seed.toml` holds the seed's settings.
//!     let config = Config::loader()
//!         .toml(&std::fs::read_to_string("bridge.toml")?)?
//!         .env()
//!         .build()?; // every missing or invalid setting is named here, at start-up
//!     let bridge = Bridge::new(config, Arc::new(SqliteStore::open("bridge.db").await?))?;
//!     // Processes recorded webhooks in the background: in order, exactly once, with retries.
//!     let worker = bridge.inbox_worker();
//!     tokio::spawn(async move { worker.run(std::future::pending()).await });
//!     Ok(bridge)
//! }
//!
//! // Your web framework's POST /webhooks/zendesk handler (raw body, before any parsing):
//! async fn zendesk_webhook(bridge: &Bridge, headers: &http::HeaderMap, body: &[u8]) -> u16 {
//!     match bridge.accept_zendesk_webhook(headers, body).await {
//!         Ok(_) => 200, // durably recorded: the worker takes it from here
//!         Err(rejection) => rejection.status(), // 401 auth or signature, 400 malformed, 500 not recorded
//!     }
//! }
//! // ... and `bridge.accept_sunco_webhook(headers, body)` for POST /webhooks/sunco.
//! ```
//!
//! [`Bridge::handle_zendesk_webhook`] and [`Bridge::handle_sunco_webhook`] do the same work
//! before answering, for platforms without a background task.

mod bridge;
pub mod config;
mod error;
pub mod filter;
mod inbox;
pub mod lifecycle;
mod links;
pub mod media;
mod message_text;
mod rx;
mod tx;
mod unhandled;
mod zendesk_webhook;

pub use bridge::{Bridge, CONVERSATION_KEY, MAX_FILE_BYTES, MODE_KEY, PREVIOUS_TICKET_KEY};
pub use error::{Error, Result, WebhookRejection};
pub use inbox::{Accepted, BatchOutcome, BatchReport, InboxWorker, WorkerOptions};
pub use links::carry_html_links;
pub use rx::{
    COMMENT_ID_KEY, DeliveredComment, PART_KEY, RefusedComment, RxOutcome, SkippedComment,
};
pub use tx::EventOutcome;
pub use unhandled::{Link, Outcome};
pub use zendesk_webhook::ZendeskWebhookOutcome;
