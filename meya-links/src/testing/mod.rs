//! The conformance suite: one set of cases every [`LinkStore`] backend must pass.
//!
//! A backend runs the whole suite with one line, [`link_store_conformance!`](crate::link_store_conformance),
//! given a [`StoreSite`]: a place where one test's data lives, on which the suite can open
//! several independent handles (as several processes would).
//!
//! ```ignore
//! // tests/conformance.rs of a backend crate
//! mod my_backend {
//!     meya_links::link_store_conformance!(Some(MySite::new().await));
//! }
//! ```
//!
//! The sites of this crate's own backends are here too, so that crates built on the store
//! (the bridge) can run their tests on real engines: [`MemorySite`], [`SqliteSite`] and
//! [`PostgresSite`].

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::{LinkStore, ManualClock, MemoryStore};

/// Where one test's data lives; opens handles on it.
#[async_trait]
pub trait StoreSite: Send + Sync {
    /// A new handle on this site's data. For database backends each call opens a new pool,
    /// so that two handles race like two processes. Every handle reads the time from
    /// [`clock`](Self::clock).
    async fn open(&self) -> Arc<dyn LinkStore>;

    /// The clock the site's handles read: cases move it to let leases and retry delays run
    /// out, instead of sleeping.
    fn clock(&self) -> &ManualClock;

    /// Removes what the site created (a schema, a file). Called after each passing case.
    async fn cleanup(&self) {}
}

mod counting;
mod sites;
pub use counting::CountingStore;
pub use sites::{MemorySite, PostgresSite, SqliteSite};

/// Runs every conformance case as its own `#[tokio::test]`.
///
/// The argument is an expression (it may `.await`) giving `Option<impl StoreSite>`, evaluated
/// afresh for each case; `None` skips the case (the site says why). The calling crate needs
/// `tokio` with the `macros` and `rt-multi-thread` features among its dev-dependencies.
///
/// ```ignore
/// mod memory {
///     meya_links::link_store_conformance!(Some(meya_links::testing::MemorySite::new()));
/// }
/// ```
#[macro_export]
macro_rules! link_store_conformance {
    ($site:expr) => {
        $crate::link_store_conformance!(@cases $site;
            lookups_on_an_empty_store_find_nothing,
            user_identify_gets_or_creates,
            user_link_links_and_relinks,
            user_link_to_an_unknown_user_is_refused,
            thread_links_follow_both_rules,
            thread_unlink_removes_only_that_link,
            thread_link_to_an_unknown_thread_is_refused,
            thread_data_is_per_thread_and_key,
            primary_user_is_typed,
            invalid_input_is_refused_and_stores_nothing,
            a_second_handle_sees_every_write,
            user_identify_race_gives_one_user,
            user_identify_race_on_many_ids,
            user_link_race_keeps_both_rules,
            composite_steps_store_what_single_calls_store,
            delivery_lifecycle_delivers_once,
            delivery_fail_is_final,
            delivery_release_allows_an_immediate_retry,
            delivery_expired_lease_is_taken_over,
            delivery_renew_keeps_the_claim,
            delivery_claim_race_has_one_winner,
            delivery_invalid_input_is_refused,
            delivery_get_many_reads_what_single_reads_read,
            inbox_push_take_complete,
            inbox_dedup_key_refuses_repeats,
            inbox_orders_by_key_and_batches,
            inbox_retry_waits_and_fail_moves_on,
            inbox_expired_lease_is_taken_over,
            inbox_take_race_hands_out_each_entry_once,
            inbox_failed_entries_are_listed_and_requeued,
            inbox_requeue_race_has_one_winner,
            inbox_invalid_input_is_refused,
            calls_abandoned_midway_lose_no_acknowledged_write,
        );
    };
    (@cases $site:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(site) = $site else { return };
                $crate::testing::cases::$case(&site).await;
                $crate::testing::StoreSite::cleanup(&site).await;
            }
        )*
    };
}

/// The cases, each a plain async function over a [`StoreSite`].
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
pub mod cases;
