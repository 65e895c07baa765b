//! # examples
//!
//! Runnable templates users copy into their own services: `bridge-server` (an axum service
//! with both webhook routes), the messenger page with its JWT endpoint, `demo` (the whole flow
//! against loopback fakes of Zendesk and SunCo) and `setup` (installs the webhooks and trigger
//! on a real account).
//!
//! - `cargo run -p examples --bin demo`: the story, start to end, in seconds;
//! - `cargo run -p examples --bin bridge-server`: the service (webhooks answered once durably
//!   recorded, a background worker, `GET /` the messenger page, `POST /messenger/jwt`);
//! - `cargo run -p examples --bin setup -- --help`: wire a real account, idempotently;
//! - `cargo run -p examples --bin inbox -- --help`: look at the inbox, list the webhooks the
//!   worker gave up on and replay them once the cause is fixed.

mod link_store;
mod secret;

pub use link_store::{
    DEFAULT_LINK_STORE_URL, failed_entry_ids, link_store_url_from_env, open_link_store,
};
pub use secret::same_secret;

/// The README's Rust blocks, compiled as doc tests so that they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
