//! The store's three small traits, one per concern, and [`LinkStore`], all three together:
//! what a service holds (`Arc<dyn LinkStore>`).
//!
//! - [`Links`]: users and threads linked across integrations, and a thread's small data;
//! - [`Deliveries`]: claims that make sending a message exactly-once;
//! - [`Inbox`]: webhooks recorded before they are acknowledged, leased to workers in order.
//!
//! A backend implements all three, without checking its arguments: wrapped in
//! [`Checked`](crate::Checked), it receives only input within [`limits`](crate::limits).

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::{
    ClaimOutcome, Delivery, DeliveryClaim, FailedInboxEntry, InboxEntry, InboxMessage, InboxPush,
    InboxStats, Result, ThreadChanges, ThreadId, UserId,
};

/// The thread data key that holds the thread's primary user.
///
/// [`Links::thread_set`] and [`Links::thread_get`] with this key read and write the
/// same typed value as [`Links::thread_set_primary_user`] and
/// [`Links::thread_primary_user`], so that Meya's `thread_set: primary_user_id: ...` keeps
/// its meaning. Its value must be the id of a known user.
pub const PRIMARY_USER_ID: &str = "primary_user_id";

/// Remembers who is who across integrations, which thread belongs to which ticket and
/// conversation, and which messages were already delivered.
///
/// The vocabulary is Meya's: an *integration* is a string such as `zendesk.support` or
/// `sunshine_conversations`; an *integration user id* or *integration thread id* is the id an
/// integration uses (a Zendesk requester id, a SunCo user id, a ticket id).
///
/// Two rules hold for user links and thread links alike, enforced by the database itself:
/// - one outside id points at most at one user (thread): linking it again re-points it;
/// - one user (thread) has at most one id per integration: linking a new one replaces the old.
///
/// So a thread has one SunCo user id and one current ticket; linking a new ticket to the thread
/// unlinks the previous ticket.
///
/// Every argument is checked before anything is stored (by [`Checked`](crate::Checked), which
/// the stores of this crate are): an empty integration or id, one longer than the limits in
/// [`limits`](crate::limits), or one holding a NUL byte is an
/// [`Error::InvalidInput`](crate::Error::InvalidInput).
///
/// ```
/// # async fn demo() -> meya_links::Result<()> {
/// use std::sync::Arc;
/// use meya_links::{LinkStore, MemoryStore};
///
/// let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
/// let user = store.user_identify("sunshine_conversations", "5963c0d619a30a2e00de36b8").await?;
/// store.user_link("zendesk.support", "35436", &user).await?;
/// assert_eq!(store.user_try_lookup("zendesk.support", "35436").await?, Some(user));
/// assert_eq!(
///     store.user_try_reverse_lookup(&user, "sunshine_conversations").await?.as_deref(),
///     Some("5963c0d619a30a2e00de36b8"),
/// );
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Links: fmt::Debug + Send + Sync + 'static {
    /// The user an integration's user id is linked to, if any.
    async fn user_try_lookup(
        &self,
        integration: &str,
        integration_user_id: &str,
    ) -> Result<Option<UserId>>;

    /// The id a user has in an integration, if any.
    async fn user_try_reverse_lookup(
        &self,
        user_id: &UserId,
        integration: &str,
    ) -> Result<Option<String>>;

    /// The user linked to an integration's user id, created and linked if there is none.
    ///
    /// Atomic: callers racing on the same id (tasks, or processes sharing one database) all
    /// get the same user.
    async fn user_identify(&self, integration: &str, integration_user_id: &str) -> Result<UserId>;

    /// Links an integration's user id to a known user, re-pointing the id if it was linked
    /// elsewhere and replacing the user's previous id in that integration.
    ///
    /// # Errors
    /// [`Error::UnknownUser`](crate::Error::UnknownUser) when the store never created the user.
    async fn user_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        user_id: &UserId,
    ) -> Result<()>;

    /// The thread an integration's thread id is linked to, if any.
    async fn thread_try_lookup(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>>;

    /// The id a thread has in an integration, if any.
    async fn thread_try_reverse_lookup(
        &self,
        thread_id: &ThreadId,
        integration: &str,
    ) -> Result<Option<String>>;

    /// A new thread with no links and no data.
    async fn thread_create(&self) -> Result<ThreadId>;

    /// Links an integration's thread id to a known thread, re-pointing the id if it was linked
    /// elsewhere and replacing the thread's previous id in that integration.
    ///
    /// # Errors
    /// [`Error::UnknownThread`](crate::Error::UnknownThread) when the store never created the
    /// thread.
    async fn thread_link(
        &self,
        integration: &str,
        integration_thread_id: &str,
        thread_id: &ThreadId,
    ) -> Result<()>;

    /// Removes an integration's thread id link; answers the thread it pointed at, or `None`
    /// when it was not linked. The thread and its other links stay.
    async fn thread_unlink(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>>;

    /// Stores a small string value on a thread, replacing any earlier value of that key.
    /// [`PRIMARY_USER_ID`] is the typed primary user (its value must be a known user's id).
    ///
    /// # Errors
    /// [`Error::UnknownThread`](crate::Error::UnknownThread), or for [`PRIMARY_USER_ID`]
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) /
    /// [`Error::UnknownUser`](crate::Error::UnknownUser).
    async fn thread_set(&self, thread_id: &ThreadId, key: &str, value: &str) -> Result<()>;

    /// A thread's value for a key; `None` when unset or when the thread does not exist.
    async fn thread_get(&self, thread_id: &ThreadId, key: &str) -> Result<Option<String>>;

    /// Sets the thread's primary user: the person the conversation is with.
    ///
    /// # Errors
    /// [`Error::UnknownThread`](crate::Error::UnknownThread),
    /// [`Error::UnknownUser`](crate::Error::UnknownUser).
    async fn thread_set_primary_user(&self, thread_id: &ThreadId, user_id: &UserId) -> Result<()>;

    /// The thread's primary user, if set.
    async fn thread_primary_user(&self, thread_id: &ThreadId) -> Result<Option<UserId>>;

    /// [`user_identify`](Self::user_identify), then [`user_link`](Self::user_link) of each
    /// `(integration, integration user id)` in `links` to the same user: one step, in one
    /// transaction on the stores of this crate (the default calls them one after the other).
    async fn user_identify_and_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        links: &[(&str, &str)],
    ) -> Result<UserId> {
        let user = self.user_identify(integration, integration_user_id).await?;
        for (other, other_id) in links {
            self.user_link(other, other_id, &user).await?;
        }
        Ok(user)
    }

    /// Stores [`ThreadChanges`] on a thread: all or none on the stores of this crate; the
    /// default calls [`thread_set_primary_user`](Self::thread_set_primary_user),
    /// [`thread_set`](Self::thread_set) and [`thread_link`](Self::thread_link) in that order.
    ///
    /// # Errors
    /// As those methods: [`Error::UnknownThread`](crate::Error::UnknownThread),
    /// [`Error::UnknownUser`](crate::Error::UnknownUser).
    async fn thread_apply(&self, thread_id: &ThreadId, changes: &ThreadChanges) -> Result<()> {
        if let Some(user) = &changes.primary_user {
            self.thread_set_primary_user(thread_id, user).await?;
        }
        for (key, value) in &changes.data {
            self.thread_set(thread_id, key, value).await?;
        }
        for (integration, integration_thread_id) in &changes.links {
            self.thread_link(integration, integration_thread_id, thread_id)
                .await?;
        }
        Ok(())
    }

    /// A new thread with `changes` stored on it: on the stores of this crate in one
    /// transaction, so that no thread is left half made; the default is
    /// [`thread_create`](Self::thread_create), then [`thread_apply`](Self::thread_apply).
    ///
    /// # Errors
    /// [`Error::UnknownUser`](crate::Error::UnknownUser) for a primary user the store never
    /// created.
    async fn thread_create_with(&self, changes: &ThreadChanges) -> Result<ThreadId> {
        let thread = self.thread_create().await?;
        self.thread_apply(&thread, changes).await?;
        Ok(thread)
    }
}

/// Delivery records: which messages were sent, are being sent, or failed for good; see
/// [`delivery`](crate::DeliveryClaim).
#[async_trait]
pub trait Deliveries: fmt::Debug + Send + Sync + 'static {
    /// Tries to take the delivery of one message for `lease`.
    ///
    /// Exactly one of any number of concurrent callers gets
    /// [`ClaimOutcome::Claimed`]; the others learn why not. A claim whose lease has run out
    /// (its worker crashed) is taken over by the next caller, with its attempt count raised.
    async fn delivery_claim(
        &self,
        source: &str,
        source_message_id: &str,
        lease: Duration,
    ) -> Result<ClaimOutcome>;

    /// Extends a live claim's lease to `lease` from now, for long deliveries.
    ///
    /// # Errors
    /// [`Error::ClaimLost`](crate::Error::ClaimLost) when the claim was taken over or ended.
    async fn delivery_renew(&self, claim: &mut DeliveryClaim, lease: Duration) -> Result<()>;

    /// Records the delivery as done, with the id the message got at its target (may be empty
    /// when nothing needed sending).
    ///
    /// # Errors
    /// [`Error::ClaimLost`](crate::Error::ClaimLost) when the claim was taken over or ended.
    async fn delivery_complete(&self, claim: &DeliveryClaim, target_message_id: &str)
    -> Result<()>;

    /// Records the delivery as failed for good: no later claim will be granted.
    ///
    /// # Errors
    /// [`Error::ClaimLost`](crate::Error::ClaimLost) when the claim was taken over or ended.
    async fn delivery_fail(&self, claim: &DeliveryClaim, reason: &str) -> Result<()>;

    /// Gives a claim back unfinished (a transient failure) so that the next claim is granted
    /// at once instead of after the lease.
    ///
    /// # Errors
    /// [`Error::ClaimLost`](crate::Error::ClaimLost) when the claim was taken over or ended.
    async fn delivery_release(&self, claim: &DeliveryClaim) -> Result<()>;

    /// What the store knows of a delivery, if anything.
    async fn delivery_get(&self, source: &str, source_message_id: &str)
    -> Result<Option<Delivery>>;

    /// What the store knows of several deliveries of one source, in one read: a record for
    /// each id it has one for, in no particular order, each once however often it is asked
    /// for (at most [`MAX_DELIVERY_LOOKUP`](crate::limits::MAX_DELIVERY_LOOKUP) ids).
    ///
    /// For a caller about to claim many messages most of which are settled (a webhook that
    /// looks again at a ticket's recent comments): the settled ones need no claim. The
    /// default asks [`delivery_get`](Self::delivery_get) for each id (what the memory store
    /// does); the SQLite and PostgreSQL stores answer with one query.
    async fn delivery_get_many(
        &self,
        source: &str,
        source_message_ids: &[&str],
    ) -> Result<Vec<Delivery>> {
        let mut asked = std::collections::HashSet::new();
        let mut found = Vec::new();
        for id in source_message_ids {
            if asked.insert(*id)
                && let Some(delivery) = self.delivery_get(source, id).await?
            {
                found.push(delivery);
            }
        }
        Ok(found)
    }
}

/// The inbox: webhooks recorded durably, then leased to workers one ordering key at a time;
/// see [`InboxMessage`](crate::InboxMessage).
#[async_trait]
pub trait Inbox: fmt::Debug + Send + Sync + 'static {
    /// Records a webhook durably; once this returns, the webhook may be acknowledged.
    ///
    /// Answers [`InboxPush::Duplicate`] (storing nothing) when an entry with the same source
    /// and dedup key is kept already, whatever its state.
    async fn inbox_push(&self, message: &InboxMessage) -> Result<InboxPush>;

    /// Leases the next batch of work for `lease`: the oldest entry ready to run whose ordering
    /// key has no older unfinished entry, followed by up to `max_batch - 1` later ready entries
    /// of the same ordering key, in push order. Empty when nothing is ready.
    ///
    /// An entry is ready when it is pending and its retry delay has passed, or when it was
    /// taken and its lease ran out (its worker died). Each take raises an entry's attempt count.
    /// Concurrent callers never receive the same entry, nor two batches of one ordering key.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a zero or over-long lease, or a
    /// `max_batch` outside `1..=`[`MAX_INBOX_BATCH`](crate::limits::MAX_INBOX_BATCH).
    async fn inbox_take(&self, lease: Duration, max_batch: usize) -> Result<Vec<InboxEntry>>;

    /// Records an entry as processed. Its payload is dropped; the entry stays (to recognise
    /// duplicates) until [`inbox_purge`](Self::inbox_purge).
    ///
    /// # Errors
    /// [`Error::LeaseLost`](crate::Error::LeaseLost) when the lease was taken over or ended.
    async fn inbox_complete(&self, entry: &InboxEntry) -> Result<()>;

    /// Gives an entry back to be taken again once `delay` has passed, noting the error.
    /// Later entries of its ordering key wait for it.
    ///
    /// # Errors
    /// [`Error::LeaseLost`](crate::Error::LeaseLost) when the lease was taken over or ended.
    async fn inbox_retry(&self, entry: &InboxEntry, delay: Duration, error: &str) -> Result<()>;

    /// Gives up on an entry: it is kept, with its payload and `reason`, and never taken again.
    /// Later entries of its ordering key proceed.
    ///
    /// # Errors
    /// [`Error::LeaseLost`](crate::Error::LeaseLost) when the lease was taken over or ended.
    async fn inbox_fail(&self, entry: &InboxEntry, reason: &str) -> Result<()>;

    /// How many entries the inbox holds, by state.
    async fn inbox_stats(&self) -> Result<InboxStats>;

    /// Failed entries (given up on with [`inbox_fail`](Self::inbox_fail)), oldest first: at
    /// most `limit` with ids above `after_id` (0 for the first page; then the last id seen).
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a `limit` outside
    /// `1..=`[`MAX_INBOX_BATCH`](crate::limits::MAX_INBOX_BATCH).
    async fn inbox_failed(&self, after_id: i64, limit: usize) -> Result<Vec<FailedInboxEntry>>;

    /// Gives a failed entry another run once its cause is fixed: it is pending again, ready
    /// now, with its attempts counted afresh (its reason is its
    /// [`last_error`](crate::InboxEntry::last_error)). Answers `false`, changing nothing, when
    /// no failed entry has this id.
    ///
    /// Entries of its ordering key recorded after it may have been processed meanwhile; it
    /// runs after them, not before.
    async fn inbox_requeue(&self, entry_id: i64) -> Result<bool>;

    /// Deletes processed entries finished before `done_before`; answers how many. Failed and
    /// unfinished entries are kept.
    async fn inbox_purge(&self, done_before: SystemTime) -> Result<u64>;
}

/// A whole link store: [`Links`], [`Deliveries`] and [`Inbox`] together, as one backend type
/// provides them. Object safe: services hold an `Arc<dyn LinkStore>`.
///
/// ```
/// use std::sync::Arc;
/// use meya_links::{LinkStore, MemoryStore};
///
/// let store: Arc<dyn LinkStore> = Arc::new(MemoryStore::new());
/// ```
pub trait LinkStore: Links + Deliveries + Inbox {}

impl<T: Links + Deliveries + Inbox + ?Sized> LinkStore for T {}
