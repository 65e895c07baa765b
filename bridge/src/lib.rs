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
//!   webhook: verify, parse, then rx, the flow, or ignore.
//!
//! **Status:** the customer's side (SunCo -> Zendesk), unlinking on solve, and crash-safe
//! redelivery checks are the next steps (the "conversation sync" work).

mod bridge;
pub mod config;
mod error;
pub mod filter;
mod rx;
mod unhandled;
mod zendesk_webhook;

pub use bridge::{Bridge, CONVERSATION_KEY, MODE_KEY};
pub use error::{Error, Result, WebhookRejection};
pub use rx::{DeliveredComment, RxOutcome};
pub use unhandled::{Link, Outcome};
pub use zendesk_webhook::ZendeskWebhookOutcome;
