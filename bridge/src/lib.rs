//! # bridge
//!
//! Composes `zendesk-support`, `sunshine-conversations` and `meya-links` into the
//! agent-initiated conversation flow: an agent's ticket tagged `sunco_send` reaches the
//! customer's messenger, and from then on the ticket and the conversation stay in sync.
//!
//! **Status:** in progress. What exists today is [`filter`]: Meya's ticket filter language
//! (`filter.rx_unhandled_ticket`), parsed once and matched against the webhook's document.
//! The configuration, `handle_unhandled_ticket`, the two-way sync and the webhook entry
//! points are still to come.

pub mod filter;
