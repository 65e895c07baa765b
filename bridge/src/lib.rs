//! # bridge
//!
//! Composes `zendesk-support`, `sunshine-conversations` and `meya-links` into the
//! agent-initiated conversation flow: an agent's ticket tagged `sunco_send` reaches the
//! customer's messenger, and from then on the ticket's public agent comments keep arriving
//! there.
//!
//! - [`config`]: Meya's settings, from a TOML file, the environment or Meya's own YAML
//!   block, every problem reported at once, naming its setting.
//! - [`filter`]: Meya's ticket filter language (`filter.rx_unhandled_ticket`).
//! - [`Bridge::handle_unhandled_ticket`]: the seed's flow, step by step.
//! - [`Bridge::handle_zendesk_webhook`]: the framework-agnostic entry point for Zendesk's
//!   webhook: verify, parse, then rx (unlinking tickets that reach `unlink_ticket_status`),
//!   the flow, or ignore.
//! - [`Bridge::handle_sunco_webhook`]: the entry point for SunCo's webhook: customer
//!   messages become comments on the linked ticket (or open a new one), exactly once each.
//!
//! ```no_run
//! use std::sync::Arc;
//! use bridge::{Bridge, config::Config};
//! use meya_links::SqliteStore;
//!
//! async fn serve(headers: http::HeaderMap, body: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//!     // Meya's settings (markdown, filter, ...) from TOML; identity and secrets from ZENDESK_* and
//!     // SUNCO_* variables. `bridge/config/seed.toml` holds the seed's settings.
//!     let config = Config::loader()
//!         .toml(&std::fs::read_to_string("bridge.toml")?)?
//!         .env()
//!         .build()?; // every missing or invalid setting is named here, at start-up
//!     let bridge = Bridge::new(config, Arc::new(SqliteStore::open("bridge.db").await?))?;
//!
//!     // In your web framework's POST /webhooks/zendesk handler (raw body, before any parsing):
//!     match bridge.handle_zendesk_webhook(&headers, body).await {
//!         Ok(outcome) => println!("200: {outcome:?}"),
//!         Err(rejection) => println!("{}: {rejection}", rejection.status()),
//!     }
//!     // ... and `bridge.handle_sunco_webhook(&headers, body)` for POST /webhooks/sunco.
//!     Ok(())
//! }
//! ```
//!
//! **Status:** webhooks are processed before they are acknowledged; a durable inbox with
//! background processing, and batching several customer messages into one ticket update,
//! are the next steps (the "conversation sync" work).

mod bridge;
pub mod config;
mod error;
pub mod filter;
mod inbox;
mod links;
mod rx;
mod tx;
mod unhandled;
mod zendesk_webhook;

pub use bridge::{Bridge, CONVERSATION_KEY, MAX_FILE_BYTES, MODE_KEY};
pub use error::{Error, Result, WebhookRejection};
pub use inbox::{Accepted, BatchOutcome, BatchReport, InboxWorker, WorkerOptions};
pub use links::carry_html_links;
pub use rx::{COMMENT_ID_KEY, DeliveredComment, PART_KEY, RxOutcome};
pub use tx::EventOutcome;
pub use unhandled::{Link, Outcome};
pub use zendesk_webhook::ZendeskWebhookOutcome;
