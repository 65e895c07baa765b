//! # bridge
//!
//! Composes `zendesk-support`, `sunshine-conversations` and `meya-links` into the
//! agent-initiated conversation flow: an agent's ticket tagged `sunco_send` reaches the
//! customer's messenger, and from then on the ticket and the conversation stay in sync.
//!
//! **Status:** not built yet. This crate will hold the configuration (Meya's Zendesk Support
//! integration settings), the ticket filter, `handle_unhandled_ticket` and the two-way sync,
//! and framework-agnostic webhook entry points. It exports nothing until those land.
