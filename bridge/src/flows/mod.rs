//! The flows: what the bridge does with a verified webhook, one module per path it takes.
//!
//! | flow | Meya's name | from | to |
//! |---|---|---|---|
//! | [`starting_conversation`] | `handle_unhandled_ticket` | a new ticket the filter takes | the customer's conversation, linked |
//! | [`agent_comments`] | rx | a linked ticket's agent comments | SunCo business messages |
//! | [`customer_messages`] | tx | a customer's messages | comments on the linked ticket (or a new one) |
//! | [`unlinking`] | | a ticket reaching `unlink_ticket_status` | the thread, without it |
//!
//! [`ticket_events`] sends a Zendesk ticket event to the first, second and fourth. Every flow
//! is safe to run again for the same webhook: what it sends is claimed in the link store's
//! delivery records first, and found again after a crash.

pub(crate) mod agent_comments;
pub(crate) mod customer_messages;
pub(crate) mod starting_conversation;
pub(crate) mod ticket_events;
pub(crate) mod unlinking;
