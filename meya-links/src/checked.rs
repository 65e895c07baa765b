//! [`Checked`]: the one place where arguments meet the [`limits`](crate::limits).

use std::fmt;
use std::ops::Deref;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::{
    ClaimOutcome, Deliveries, Delivery, DeliveryClaim, FailedInboxEntry, Inbox, InboxEntry,
    InboxMessage, InboxPush, InboxStats, Links, Result, ThreadChanges, ThreadId, UserId, limits,
};

/// A store whose every argument is checked against [`limits`](crate::limits) before it
/// reaches the backend `S`: an empty, over-long or NUL-holding id, a zero or over-long lease,
/// an out-of-range batch is an [`Error::InvalidInput`](crate::Error::InvalidInput), and
/// nothing is stored. The stores of this crate are `Checked` backends
/// ([`MemoryStore`](crate::MemoryStore) is `Checked<MemoryBackend>`); a backend written
/// elsewhere gets the same checks by being wrapped:
///
/// ```
/// # async fn demo() -> meya_links::Result<()> {
/// use meya_links::{Checked, Links, MemoryBackend};
///
/// let store = Checked::wrap(MemoryBackend::default());
/// assert!(store.user_try_lookup("", "35436").await.is_err());
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Checked<S> {
    backend: S,
}

impl<S> Checked<S> {
    /// Wraps a backend.
    pub fn wrap(backend: S) -> Self {
        Self { backend }
    }

    /// The backend, unchecked.
    pub fn backend(&self) -> &S {
        &self.backend
    }
}

impl<S> Deref for Checked<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.backend
    }
}

impl<S: fmt::Debug> fmt::Debug for Checked<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.backend.fmt(f)
    }
}

#[async_trait]
impl<S: Links> Links for Checked<S> {
    async fn user_try_lookup(
        &self,
        integration: &str,
        integration_user_id: &str,
    ) -> Result<Option<UserId>> {
        limits::user_ref(integration, integration_user_id)?;
        self.backend
            .user_try_lookup(integration, integration_user_id)
            .await
    }

    async fn user_try_reverse_lookup(
        &self,
        user_id: &UserId,
        integration: &str,
    ) -> Result<Option<String>> {
        limits::integration(integration)?;
        self.backend
            .user_try_reverse_lookup(user_id, integration)
            .await
    }

    async fn user_identify(&self, integration: &str, integration_user_id: &str) -> Result<UserId> {
        limits::user_ref(integration, integration_user_id)?;
        self.backend
            .user_identify(integration, integration_user_id)
            .await
    }

    async fn user_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        user_id: &UserId,
    ) -> Result<()> {
        limits::user_ref(integration, integration_user_id)?;
        self.backend
            .user_link(integration, integration_user_id, user_id)
            .await
    }

    async fn thread_try_lookup(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>> {
        limits::thread_ref(integration, integration_thread_id)?;
        self.backend
            .thread_try_lookup(integration, integration_thread_id)
            .await
    }

    async fn thread_try_reverse_lookup(
        &self,
        thread_id: &ThreadId,
        integration: &str,
    ) -> Result<Option<String>> {
        limits::integration(integration)?;
        self.backend
            .thread_try_reverse_lookup(thread_id, integration)
            .await
    }

    async fn thread_create(&self) -> Result<ThreadId> {
        self.backend.thread_create().await
    }

    async fn thread_link(
        &self,
        integration: &str,
        integration_thread_id: &str,
        thread_id: &ThreadId,
    ) -> Result<()> {
        limits::thread_ref(integration, integration_thread_id)?;
        self.backend
            .thread_link(integration, integration_thread_id, thread_id)
            .await
    }

    async fn thread_unlink(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>> {
        limits::thread_ref(integration, integration_thread_id)?;
        self.backend
            .thread_unlink(integration, integration_thread_id)
            .await
    }

    async fn thread_set(&self, thread_id: &ThreadId, key: &str, value: &str) -> Result<()> {
        limits::key(key)?;
        limits::value("value", value)?;
        self.backend.thread_set(thread_id, key, value).await
    }

    async fn thread_get(&self, thread_id: &ThreadId, key: &str) -> Result<Option<String>> {
        limits::key(key)?;
        self.backend.thread_get(thread_id, key).await
    }

    async fn thread_set_primary_user(&self, thread_id: &ThreadId, user_id: &UserId) -> Result<()> {
        self.backend
            .thread_set_primary_user(thread_id, user_id)
            .await
    }

    async fn thread_primary_user(&self, thread_id: &ThreadId) -> Result<Option<UserId>> {
        self.backend.thread_primary_user(thread_id).await
    }

    async fn user_identify_and_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        links: &[(&str, &str)],
    ) -> Result<UserId> {
        limits::user_ref(integration, integration_user_id)?;
        for (other, other_id) in links {
            limits::user_ref(other, other_id)?;
        }
        self.backend
            .user_identify_and_link(integration, integration_user_id, links)
            .await
    }

    async fn thread_apply(&self, thread_id: &ThreadId, changes: &ThreadChanges) -> Result<()> {
        check_changes(changes)?;
        self.backend.thread_apply(thread_id, changes).await
    }

    async fn thread_create_with(&self, changes: &ThreadChanges) -> Result<ThreadId> {
        check_changes(changes)?;
        self.backend.thread_create_with(changes).await
    }
}

fn check_changes(changes: &ThreadChanges) -> Result<()> {
    for (key, value) in &changes.data {
        limits::key(key)?;
        limits::value("value", value)?;
    }
    // A primary user given as a data value must be a user id.
    changes.resolved()?;
    for (integration, integration_thread_id) in &changes.links {
        limits::thread_ref(integration, integration_thread_id)?;
    }
    Ok(())
}

#[async_trait]
impl<S: Deliveries> Deliveries for Checked<S> {
    async fn delivery_claim(
        &self,
        source: &str,
        source_message_id: &str,
        lease: Duration,
    ) -> Result<ClaimOutcome> {
        limits::delivery(source, source_message_id)?;
        limits::lease(lease)?;
        self.backend
            .delivery_claim(source, source_message_id, lease)
            .await
    }

    async fn delivery_renew(&self, claim: &mut DeliveryClaim, lease: Duration) -> Result<()> {
        limits::lease(lease)?;
        self.backend.delivery_renew(claim, lease).await
    }

    async fn delivery_complete(
        &self,
        claim: &DeliveryClaim,
        target_message_id: &str,
    ) -> Result<()> {
        limits::value("target_message_id", target_message_id)?;
        self.backend
            .delivery_complete(claim, target_message_id)
            .await
    }

    async fn delivery_fail(&self, claim: &DeliveryClaim, reason: &str) -> Result<()> {
        limits::value("reason", reason)?;
        self.backend.delivery_fail(claim, reason).await
    }

    async fn delivery_release(&self, claim: &DeliveryClaim) -> Result<()> {
        self.backend.delivery_release(claim).await
    }

    async fn delivery_get(
        &self,
        source: &str,
        source_message_id: &str,
    ) -> Result<Option<Delivery>> {
        limits::delivery(source, source_message_id)?;
        self.backend.delivery_get(source, source_message_id).await
    }

    async fn delivery_get_many(
        &self,
        source: &str,
        source_message_ids: &[&str],
    ) -> Result<Vec<Delivery>> {
        limits::deliveries(source, source_message_ids)?;
        if source_message_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.backend
            .delivery_get_many(source, source_message_ids)
            .await
    }
}

#[async_trait]
impl<S: Inbox> Inbox for Checked<S> {
    async fn inbox_push(&self, message: &InboxMessage) -> Result<InboxPush> {
        limits::inbox_message(message)?;
        self.backend.inbox_push(message).await
    }

    async fn inbox_take(&self, lease: Duration, max_batch: usize) -> Result<Vec<InboxEntry>> {
        limits::lease(lease)?;
        limits::batch(max_batch)?;
        self.backend.inbox_take(lease, max_batch).await
    }

    async fn inbox_complete(&self, entry: &InboxEntry) -> Result<()> {
        self.backend.inbox_complete(entry).await
    }

    async fn inbox_retry(&self, entry: &InboxEntry, delay: Duration, error: &str) -> Result<()> {
        limits::retry_delay(delay)?;
        limits::value("error", error)?;
        self.backend.inbox_retry(entry, delay, error).await
    }

    async fn inbox_fail(&self, entry: &InboxEntry, reason: &str) -> Result<()> {
        limits::value("reason", reason)?;
        self.backend.inbox_fail(entry, reason).await
    }

    async fn inbox_stats(&self) -> Result<InboxStats> {
        self.backend.inbox_stats().await
    }

    async fn inbox_failed(&self, after_id: i64, limit: usize) -> Result<Vec<FailedInboxEntry>> {
        limits::list_limit(limit)?;
        self.backend.inbox_failed(after_id, limit).await
    }

    async fn inbox_requeue(&self, entry_id: i64) -> Result<bool> {
        self.backend.inbox_requeue(entry_id).await
    }

    async fn inbox_purge(&self, done_before: SystemTime) -> Result<u64> {
        self.backend.inbox_purge(done_before).await
    }
}
