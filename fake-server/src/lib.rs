//! The loopback server behind `zendesk_support::testing::FakeZendesk` and
//! `sunshine_conversations::testing::FakeSunCo`.
//!
//! Each fake is an [`axum::Router`] of the vendor's routes over its own state; this crate
//! serves it on `127.0.0.1` and puts one layer in front of every route that
//!
//! - records each request ([`RecordedRequest`]), so a test can check what was sent;
//! - adds a latency, so a benchmark can measure against a service that takes its time;
//! - injects faults ([`Fault`]): a 5xx or a 429 with `Retry-After` refuses the call before
//!   anything changes; a hang or a reset lets the call take effect and then fails the answer,
//!   the ambiguous failures where a client cannot know whether its write happened.
//!
//! Users reach this through the two fakes; it is its own crate only so that the two SDK
//! crates do not each carry a copy.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use fake_server::{Fault, FakeServer};
//!
//! let router = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
//! let server = FakeServer::start(router).await?;
//! server.control().fail_next(Fault::Status(503), 1);
//! let url = format!("{}/ping", server.url());
//! assert_eq!(reqwest::get(&url).await.unwrap().status(), 503);
//! assert_eq!(reqwest::get(&url).await.unwrap().text().await.unwrap(), "pong");
//! assert_eq!(server.control().requests().len(), 2);
//! # Ok(())
//! # }
//! ```

mod control;
mod faults;
mod log;
mod server;
mod webhook;

pub use control::{Control, FaultCounts};
pub use faults::{Fault, FaultRule};
pub use log::RecordedRequest;
pub use server::FakeServer;
pub use webhook::FakeWebhook;
