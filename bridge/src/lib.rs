//! # bridge
//!
//! Composes `zendesk-support`, `sunshine-conversations` and `meya-links` into the
//! agent-initiated conversation flow: an agent's ticket tagged `sunco_send` reaches the
//! customer's messenger, and from then on the ticket and the conversation stay in sync.
//!
//! **Status:** in progress. What exists today:
//! - [`config`]: Meya's settings, from a TOML file, the environment or Meya's own YAML block,
//!   every problem reported at once, naming its setting;
//! - [`filter`]: Meya's ticket filter language (`filter.rx_unhandled_ticket`), parsed once
//!   at load and matched against the webhook's document.
//!
//! `handle_unhandled_ticket`, the two-way sync and the webhook entry points are still to
//! come.

pub mod config;
pub mod filter;
