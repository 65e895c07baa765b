//! # zendesk-sunco-bridge
//!
//! Composes `zendesk-support`, `sunshine-conversations` and `meya-links` into the
//! agent-initiated conversation flow: an agent's ticket tagged `sunco_send` reaches the
//! customer's messenger, and from then on the ticket and the conversation stay linked both
//! ways until the ticket is solved.
//!
//! ```no_run
//! use std::sync::Arc;
//! use zendesk_sunco_bridge::{Bridge, config::Config};
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
//!
//! ## The path a webhook takes
//!
//! 1. **Receiving** (`receiving.rs`): the request is verified (Zendesk's signature and basic
//!    auth, SunCo's `X-API-Key`, in constant time) and parsed; a bad one is refused with a
//!    [`WebhookRejection`] naming its HTTP status. `accept_*` then records it in the link
//!    store's inbox and answers; `handle_*` processes it at once.
//! 2. **The worker** ([`InboxWorker`], `worker.rs`): takes recorded webhooks in order (per
//!    ticket, per customer), runs the flow, retries transient failures with backoff, and
//!    keeps what it gives up on as failed, with the reason.
//! 3. **The flows** (`flows/`), one module each:
//!
//! ## The flows
//!
//! | flow | Meya's name | what it does |
//! |---|---|---|
//! | `flows/starting_conversation.rs` | `handle_unhandled_ticket` | links the requester to the SunCo user whose external id is their email, the ticket to that user's thread and conversation ([`Bridge::handle_unhandled_ticket`]) |
//! | `flows/agent_comments/` | rx | a linked ticket's public agent comments become business messages, each exactly once, reading only what is new ([`AgentCommentsOutcome`], [`settled_comments_key`]) |
//! | `flows/customer_messages/` | tx | a customer's messages become comments on the linked ticket, batched, or open a new one ([`SunCoEventOutcome`]) |
//! | `flows/unlinking.rs` | | a ticket reaching `unlink_ticket_status` leaves its thread |
//! | `flows/ticket_events.rs` | | which of the above a Zendesk ticket event goes to, after the filter ([`ZendeskWebhookOutcome`]) |
//!
//! What they share, each in a module named after it: the thread's data and conversation
//! ([`threads`]), the per-customer lock (`customer_lock.rs`), internal notes to the agent
//! (`notes.rs`), ending a failed delivery claim (`claims.rs`), message cutting
//! (`message_text.rs`), links carried out of HTML comments ([`carry_html_links`]), the
//! counters every step reports ([`telemetry`]).
//!
//! ## Settings and policies
//!
//! - [`config`]: Meya's settings, from a TOML file, the environment or Meya's own YAML
//!   block, every problem reported at once, naming its setting.
//! - [`filter`]: Meya's ticket filter language (`filter.rx_unhandled_ticket`), with Meya's
//!   answers, over the whole ticket (read from the API only when the query needs it).
//! - [`lifecycle`]: replies that meet a closed, merged or deleted ticket.
//! - [`media`]: customer files, fetched only from SunCo's media hosts.

mod bridge;
mod claims;
pub mod config;
mod context;
mod customer_lock;
mod error;
pub mod filter;
mod flows;
mod html_links;
pub mod lifecycle;
pub mod media;
mod message_text;
mod notes;
mod receiving;
pub mod telemetry;
pub mod threads;
mod upstream_pause;
mod worker;

pub use bridge::Bridge;
pub use error::{Error, Result};
pub use flows::agent_comments::{
    AgentCommentsOutcome, COMMENT_ID_KEY, DeliveredComment, PART_KEY, RefusedComment,
    SkippedComment, settled_comments_key,
};
pub use flows::customer_messages::SunCoEventOutcome;
pub use flows::starting_conversation::{Link, StartOutcome};
pub use flows::ticket_events::ZendeskWebhookOutcome;
pub use html_links::carry_html_links;
pub use media::MAX_FILE_BYTES;
pub use receiving::{Accepted, WebhookRejection};
pub use threads::{CONVERSATION_KEY, MODE_KEY, PREVIOUS_TICKET_KEY};
pub use worker::{BatchObserver, BatchOutcome, BatchReport, InboxWorker, WorkerOptions};

/// The README's examples, compiled by `cargo test --doc` so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
