//! # examples
//!
//! Runnable templates users copy into their own services: `bridge-server` (an axum service
//! with both webhook routes), the messenger page with its JWT endpoint, `demo` (the whole flow
//! against loopback fakes of Zendesk and SunCo) and `setup` (installs the webhooks and trigger
//! on a real account).
//!
//! **Status:** `demo` (`cargo run -p examples --bin demo`) and `bridge-server`
//! (`cargo run -p examples --bin bridge-server`) are here; the messenger page with its JWT
//! endpoint and `setup` come next.
