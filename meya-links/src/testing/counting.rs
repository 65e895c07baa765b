//! [`CountingStore`]: any store, counting the calls made to it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::{
    ClaimOutcome, Deliveries, Delivery, DeliveryClaim, FailedInboxEntry, Inbox, InboxEntry,
    InboxMessage, InboxPush, InboxStats, LinkStore, Links, Result, ThreadId, UserId,
};

/// Wraps a store and counts every call to it, for tests and benchmarks that check how much
/// store work a flow does.
///
/// ```
/// # async fn demo() -> meya_links::Result<()> {
/// use std::sync::Arc;
/// use meya_links::prelude::*;
/// use meya_links::testing::CountingStore;
///
/// let store = Arc::new(CountingStore::new(meya_links::MemoryStore::new()));
/// store.thread_create().await?;
/// assert_eq!(store.calls(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct CountingStore<S> {
    inner: S,
    calls: AtomicU64,
}

impl<S> CountingStore<S> {
    /// Counts the calls made to `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            calls: AtomicU64::new(0),
        }
    }

    /// Calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }
}

/// An impl of one of the store's traits whose every method counts one call and hands it to
/// the inner store.
macro_rules! counted {
    ($trait:ident { $( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )* }) => {
        #[async_trait]
        impl<S: LinkStore> $trait for CountingStore<S> {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> $ret {
                    self.count();
                    self.inner.$name($($arg),*).await
                }
            )*
        }
    };
}

counted! {
    Links {
        fn user_try_lookup(&self, integration: &str, integration_user_id: &str) -> Result<Option<UserId>>;
        fn user_try_reverse_lookup(&self, user_id: &UserId, integration: &str) -> Result<Option<String>>;
        fn user_identify(&self, integration: &str, integration_user_id: &str) -> Result<UserId>;
        fn user_link(&self, integration: &str, integration_user_id: &str, user_id: &UserId) -> Result<()>;
        fn thread_try_lookup(&self, integration: &str, integration_thread_id: &str) -> Result<Option<ThreadId>>;
        fn thread_try_reverse_lookup(&self, thread_id: &ThreadId, integration: &str) -> Result<Option<String>>;
        fn thread_create(&self) -> Result<ThreadId>;
        fn thread_link(&self, integration: &str, integration_thread_id: &str, thread_id: &ThreadId) -> Result<()>;
        fn thread_unlink(&self, integration: &str, integration_thread_id: &str) -> Result<Option<ThreadId>>;
        fn thread_set(&self, thread_id: &ThreadId, key: &str, value: &str) -> Result<()>;
        fn thread_get(&self, thread_id: &ThreadId, key: &str) -> Result<Option<String>>;
        fn thread_set_primary_user(&self, thread_id: &ThreadId, user_id: &UserId) -> Result<()>;
        fn thread_primary_user(&self, thread_id: &ThreadId) -> Result<Option<UserId>>;
    }
}

counted! {
    Deliveries {
        fn delivery_claim(&self, source: &str, source_message_id: &str, lease: Duration) -> Result<ClaimOutcome>;
        fn delivery_renew(&self, claim: &mut DeliveryClaim, lease: Duration) -> Result<()>;
        fn delivery_complete(&self, claim: &DeliveryClaim, target_message_id: &str) -> Result<()>;
        fn delivery_fail(&self, claim: &DeliveryClaim, reason: &str) -> Result<()>;
        fn delivery_release(&self, claim: &DeliveryClaim) -> Result<()>;
        fn delivery_get(&self, source: &str, source_message_id: &str) -> Result<Option<Delivery>>;
        fn delivery_get_many(&self, source: &str, source_message_ids: &[&str]) -> Result<Vec<Delivery>>;
    }
}

counted! {
    Inbox {
        fn inbox_push(&self, message: &InboxMessage) -> Result<InboxPush>;
        fn inbox_take(&self, lease: Duration, max_batch: usize) -> Result<Vec<InboxEntry>>;
        fn inbox_complete(&self, entry: &InboxEntry) -> Result<()>;
        fn inbox_retry(&self, entry: &InboxEntry, delay: Duration, error: &str) -> Result<()>;
        fn inbox_fail(&self, entry: &InboxEntry, reason: &str) -> Result<()>;
        fn inbox_stats(&self) -> Result<InboxStats>;
        fn inbox_failed(&self, after_id: i64, limit: usize) -> Result<Vec<FailedInboxEntry>>;
        fn inbox_requeue(&self, entry_id: i64) -> Result<bool>;
        fn inbox_purge(&self, done_before: SystemTime) -> Result<u64>;
    }
}
