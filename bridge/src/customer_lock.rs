//! One customer's work, one worker at a time: [`CustomerLocks::lock`] and its guard.
//!
//! Starting a conversation makes a thread and maybe a SunCo conversation, and a customer's
//! messages open tickets and must keep their order: two workers doing either for the same
//! customer at once (a repeated webhook, two replicas) would make two of each. So both flows
//! hold the customer's lock while they work.
//!
//! The lock has two levels. Inside the process, a mutex per customer: a waiter is woken the
//! moment the holder lets go. Across processes (replicas sharing PostgreSQL), a lease in the
//! link store's delivery records (`bridge.lock`); a replica that finds it held looks again
//! with growing pauses, since the store cannot tell it when another process lets go, and the
//! lease frees it if the holder dies. The guard lets go of both when it goes out of scope:
//! at the end of its block, on an early return with `?`, and when the future holding it is
//! dropped (cancelled, or cut off by a timeout).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use meya_links::{ClaimOutcome, DeliveryClaim, LinkStore};
use tokio::sync::OwnedMutexGuard;

use crate::{Error, Result};

/// The store's lock records live under this source.
const LOCK_SOURCE: &str = "bridge.lock";
/// How long a worker waits for another to finish with the same customer.
const LOCK_WAIT: Duration = Duration::from_secs(10);
/// The first and the longest pause between two looks at a lock another process holds.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// The process's customer locks, by key.
#[derive(Default)]
pub(crate) struct CustomerLocks {
    local: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

/// A held customer lock; dropping it lets go (see the module docs).
pub(crate) struct CustomerLock {
    store: Arc<dyn LinkStore>,
    claim: Option<DeliveryClaim>,
    local: Option<OwnedMutexGuard<()>>,
}

impl CustomerLocks {
    /// Takes the lock for `key`, waiting up to ten seconds for another holder to finish; the
    /// store's record of it lasts `lease` unless let go first.
    ///
    /// # Errors
    /// [`Error::Busy`] when the wait runs out; a store error.
    pub(crate) async fn lock(
        &self,
        store: &Arc<dyn LinkStore>,
        key: &str,
        lease: Duration,
    ) -> Result<CustomerLock> {
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        let busy = || Error::Busy(key.to_owned());
        let mutex = self.local_mutex(key);
        let local = tokio::time::timeout_at(deadline, mutex.lock_owned())
            .await
            .map_err(|_| busy())?;
        // From here on, a `?` or a cancellation drops `guard`, which lets go of what it holds.
        let mut guard = CustomerLock {
            store: Arc::clone(store),
            claim: None,
            local: Some(local),
        };
        let mut pause = FIRST_PAUSE;
        loop {
            match store.delivery_claim(LOCK_SOURCE, key, lease).await? {
                ClaimOutcome::Claimed(claim) => {
                    guard.claim = Some(claim);
                    return Ok(guard);
                }
                _ if tokio::time::Instant::now() + pause >= deadline => return Err(busy()),
                _ => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(LONGEST_PAUSE);
                }
            }
        }
    }

    /// The mutex for `key`, shared with whoever holds or awaits it; forgotten entries are
    /// swept as the table grows.
    fn local_mutex(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut table = self.local.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mutex) = table.get(key).and_then(Weak::upgrade) {
            return mutex;
        }
        if table.len() >= 1024 {
            table.retain(|_, mutex| mutex.strong_count() > 0);
        }
        let mutex = Arc::new(tokio::sync::Mutex::new(()));
        table.insert(key.to_owned(), Arc::downgrade(&mutex));
        mutex
    }
}

impl std::fmt::Debug for CustomerLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerLock")
            .field(
                "key",
                &self.claim.as_ref().map(DeliveryClaim::source_message_id),
            )
            .finish_non_exhaustive()
    }
}

impl CustomerLock {
    /// Lets go now, waiting for the store to record it (dropping the guard does the same in
    /// the background).
    pub(crate) async fn release(mut self) {
        if let Some(claim) = self.claim.take() {
            release(self.store.as_ref(), &claim).await;
        }
        self.local.take();
    }
}

impl Drop for CustomerLock {
    fn drop(&mut self) {
        let Some(claim) = self.claim.take() else {
            return;
        };
        // Dropped without `release` (an error or a cancellation): the store's record is let go
        // by a task, and this process's waiters wait for it, so that they do not find the
        // record still held. Without a runtime the lease ends it.
        let local = self.local.take();
        let store = Arc::clone(&self.store);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                release(store.as_ref(), &claim).await;
                drop(local);
            });
        }
    }
}

async fn release(store: &dyn LinkStore, claim: &DeliveryClaim) {
    if let Err(error) = store.delivery_release(claim).await {
        // The lease ends it anyway.
        tracing::warn!(error = %error, "could not let go of a customer lock");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Arc<dyn LinkStore> {
        Arc::new(meya_links::MemoryStore::new())
    }

    #[tokio::test]
    async fn a_waiter_gets_the_lock_as_soon_as_the_holder_lets_go() {
        let (locks, store) = (Arc::new(CustomerLocks::default()), store());
        let held = locks.lock(&store, "customer:a", LOCK_WAIT).await.unwrap();
        let waiter = {
            let (locks, store) = (Arc::clone(&locks), Arc::clone(&store));
            tokio::spawn(async move { locks.lock(&store, "customer:a", LOCK_WAIT).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "held: the waiter waits");
        held.release().await;
        let taken = tokio::time::timeout(Duration::from_secs(5), waiter).await;
        assert!(matches!(taken, Ok(Ok(Ok(_)))), "{taken:?}");
    }

    #[tokio::test]
    async fn a_dropped_guard_lets_go_also_when_its_future_is_cancelled() {
        let (locks, store) = (Arc::new(CustomerLocks::default()), store());
        let cancelled = {
            let (locks, store) = (Arc::clone(&locks), Arc::clone(&store));
            tokio::spawn(async move {
                let _lock = locks.lock(&store, "customer:b", LOCK_WAIT).await;
                std::future::pending::<()>().await;
            })
        };
        while store
            .delivery_get(LOCK_SOURCE, "customer:b")
            .await
            .unwrap()
            .is_none()
        {
            tokio::task::yield_now().await;
        }
        cancelled.abort();
        let _ = cancelled.await;
        let again = tokio::time::timeout(
            Duration::from_secs(5),
            locks.lock(&store, "customer:b", LOCK_WAIT),
        )
        .await;
        assert!(matches!(again, Ok(Ok(_))), "{:?}", again.map(|r| r.err()));
    }

    #[tokio::test]
    async fn a_lock_another_process_holds_is_busy_after_the_wait() {
        tokio::time::pause();
        let store = store();
        // Another replica's record, lasting longer than the wait.
        let ClaimOutcome::Claimed(_) = store
            .delivery_claim(LOCK_SOURCE, "customer:c", Duration::from_secs(60))
            .await
            .unwrap()
        else {
            panic!("the other replica's claim")
        };
        let locks = CustomerLocks::default();
        let refused = locks.lock(&store, "customer:c", LOCK_WAIT).await;
        assert!(
            matches!(refused, Err(Error::Busy(_))),
            "{:?}",
            refused.err()
        );
    }

    #[tokio::test]
    async fn different_customers_do_not_wait_for_each_other() {
        let (locks, store) = (CustomerLocks::default(), store());
        let _a = locks.lock(&store, "customer:d", LOCK_WAIT).await.unwrap();
        let b = tokio::time::timeout(
            Duration::from_secs(5),
            locks.lock(&store, "customer:e", LOCK_WAIT),
        )
        .await;
        assert!(matches!(b, Ok(Ok(_))));
    }
}
