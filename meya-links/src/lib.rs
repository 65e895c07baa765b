//! # meya-links
//!
//! The link store: it remembers who is who across integrations and which conversation belongs
//! to which ticket, so that the agent-initiated conversation flow between Zendesk Support and
//! Sunshine Conversations works across restarts and across several replicas of a service.
//!
//! The model is the Meya bot platform's, with its gaps closed:
//!
//! ```text
//! user links:    (integration, integration user id)   <-> UserId
//! thread links:  (integration, integration thread id) <-> ThreadId
//! thread data:   ThreadId -> primary user, small key/values (e.g. the SunCo conversation id)
//! deliveries:    (source, source message id) -> claimed | delivered | failed   (exactly once)
//! inbox:         webhooks recorded before they are acknowledged, leased to workers in order
//! ```
//!
//! Three small traits, one per concern: [`Links`] (users, threads, thread data),
//! [`Deliveries`] (exactly-once claims) and [`Inbox`] (recorded webhooks); [`LinkStore`] is
//! all three, what a service holds as `Arc<dyn LinkStore>` (`use meya_links::prelude::*` to
//! call them on a concrete store). Backends sit beside them, each a [`Checked`] wrapper
//! around the backend proper, so that arguments meet the [`limits`] in one place:
//!
//! | store | feature | for |
//! |---|---|---|
//! | [`MemoryStore`] | always | tests, single-process tools |
//! | `SqliteStore` | `sqlite` (default) | the embedded default: one file, WAL |
//! | `PostgresStore` | `postgres` | services with several replicas |
//!
//! Every backend passes the same conformance suite (`meya_links::testing`, feature `testing`),
//! which a new backend, written anywhere, runs with one line. Leases, retry delays and
//! timestamps read a [`Clock`]: tests hand the stores a [`ManualClock`] and move it instead of
//! sleeping. The SQL stores apply their migrations when opened, or leave them to an explicit
//! `migrate()` (a deploy step).
//!
//! ```
//! # async fn demo() -> meya_links::Result<()> {
//! use meya_links::prelude::*;
//! use meya_links::{ClaimOutcome, MemoryStore};
//! use std::time::Duration;
//!
//! let store = MemoryStore::new();
//!
//! // The flow's first steps: identify the SunCo user, link the Zendesk requester to it.
//! let user = store.user_identify("sunshine_conversations", "c7f6e6d6c3a637261bd9656f").await?;
//! store.user_link("zendesk.support", "35436", &user).await?;
//!
//! // Deliver a Zendesk comment exactly once.
//! if let ClaimOutcome::Claimed(claim) =
//!     store.delivery_claim("zendesk.support", "comment-1274", Duration::from_secs(30)).await?
//! {
//!     // ... post the message to SunCo, then:
//!     store.delivery_complete(&claim, "5f1e3b6c2d").await?;
//! }
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod checked;
mod clock;
mod delivery;
mod error;
mod ids;
mod inbox;
pub mod limits;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod thread_changes;

pub use checked::Checked;
pub use clock::{Clock, ManualClock, SystemClock};
pub use delivery::{ClaimOutcome, Delivery, DeliveryClaim, DeliveryState};
pub use error::{Error, Result};
pub use ids::{ThreadId, UserId};
pub use inbox::{FailedInboxEntry, InboxEntry, InboxMessage, InboxPush, InboxStats};
pub use memory::{MemoryBackend, MemoryStore};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresBackend, PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteBackend, SqliteOptions, SqliteStore, SqliteSynchronous};
pub use store::{Deliveries, Inbox, LinkStore, Links, PRIMARY_USER_ID};
pub use thread_changes::ThreadChanges;

/// The store's traits, to call their methods on a concrete store: `use meya_links::prelude::*;`.
pub mod prelude {
    pub use crate::{Deliveries, Inbox, LinkStore, Links};
}

/// The integration name Meya gives Zendesk Support.
pub const ZENDESK_SUPPORT: &str = "zendesk.support";
/// The integration name Meya gives Sunshine Conversations.
pub const SUNSHINE_CONVERSATIONS: &str = "sunshine_conversations";

/// The README's examples, compiled by `cargo test --doc` so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
