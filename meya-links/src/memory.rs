//! [`MemoryStore`]: everything in one process's memory. For tests and single-process tools.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use uuid::Uuid;

use crate::clock::{SharedClock, system};
use crate::delivery::lease_millis;
use crate::{
    Checked, ClaimOutcome, Clock, Deliveries, Delivery, DeliveryClaim, DeliveryState, Error,
    FailedInboxEntry, Inbox, InboxEntry, InboxMessage, InboxPush, InboxStats, Links,
    PRIMARY_USER_ID, Result, ThreadChanges, ThreadId, UserId,
};

mod inbox;

/// A link store kept in memory: fast, and gone when the process ends. The
/// [`MemoryBackend`], [`Checked`].
///
/// Clones share the same data, like several handles on one database.
///
/// ```
/// # async fn demo() -> meya_links::Result<()> {
/// use meya_links::{Links, MemoryStore};
///
/// let store = MemoryStore::new();
/// let thread = store.thread_create().await?;
/// store.thread_link("zendesk.support", "4021", &thread).await?;
/// assert_eq!(store.thread_try_lookup("zendesk.support", "4021").await?, Some(thread));
/// # Ok(()) }
/// ```
pub type MemoryStore = Checked<MemoryBackend>;

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Checked::wrap(MemoryBackend::default())
    }

    /// An empty store reading the time from `clock` (tests move a
    /// [`ManualClock`](crate::ManualClock) instead of sleeping).
    pub fn with_clock(clock: impl Clock) -> Self {
        Checked::wrap(MemoryBackend {
            state: Arc::default(),
            clock: Arc::new(clock),
        })
    }
}

/// The in-memory backend, unchecked: use it as a [`MemoryStore`].
#[derive(Clone)]
pub struct MemoryBackend {
    state: Arc<RwLock<State>>,
    clock: SharedClock,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self {
            state: Arc::default(),
            clock: system(),
        }
    }
}

#[derive(Default)]
struct State {
    users: HashSet<UserId>,
    user_links: LinkTable<UserId>,
    threads: HashMap<ThreadId, ThreadRecord>,
    thread_links: LinkTable<ThreadId>,
    deliveries: HashMap<(String, String), DeliveryRecord>,
    inbox: inbox::Inbox,
}

#[derive(Default)]
struct ThreadRecord {
    primary_user: Option<UserId>,
    data: HashMap<String, String>,
}

struct DeliveryRecord {
    delivery: Delivery,
    token: Option<Uuid>,
}

/// Both directions of one kind of link, kept consistent with the two link rules.
struct LinkTable<Id> {
    /// integration -> outside id -> internal id. Nested so lookups borrow `&str` keys.
    forward: HashMap<String, HashMap<String, Id>>,
    /// internal id -> integration -> outside id.
    reverse: HashMap<Id, HashMap<String, String>>,
}

impl<Id> Default for LinkTable<Id> {
    fn default() -> Self {
        Self {
            forward: HashMap::new(),
            reverse: HashMap::new(),
        }
    }
}

impl<Id: Copy + Eq + Hash> LinkTable<Id> {
    fn lookup(&self, integration: &str, outside_id: &str) -> Option<Id> {
        self.forward.get(integration)?.get(outside_id).copied()
    }

    fn reverse_lookup(&self, id: &Id, integration: &str) -> Option<String> {
        self.reverse.get(id)?.get(integration).cloned()
    }

    fn link(&mut self, integration: &str, outside_id: &str, id: Id) {
        // Rule 1: the outside id leaves whatever it pointed at.
        self.unlink(integration, outside_id);
        // Rule 2: the internal id drops its previous id in this integration.
        if let Some(previous) = self
            .reverse
            .get_mut(&id)
            .and_then(|by_integration| by_integration.remove(integration))
            && let Some(ids) = self.forward.get_mut(integration)
        {
            ids.remove(&previous);
        }
        // `get_mut` first: the integration key is nearly always there, so no allocation.
        match self.forward.get_mut(integration) {
            Some(ids) => {
                ids.insert(outside_id.to_owned(), id);
            }
            None => {
                let ids = HashMap::from([(outside_id.to_owned(), id)]);
                self.forward.insert(integration.to_owned(), ids);
            }
        }
        self.reverse
            .entry(id)
            .or_default()
            .insert(integration.to_owned(), outside_id.to_owned());
    }

    fn unlink(&mut self, integration: &str, outside_id: &str) -> Option<Id> {
        let id = self.forward.get_mut(integration)?.remove(outside_id)?;
        if let Some(by_integration) = self.reverse.get_mut(&id) {
            by_integration.remove(integration);
        }
        Some(id)
    }

    fn len(&self) -> usize {
        self.forward.values().map(HashMap::len).sum()
    }
}

impl MemoryBackend {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        // No method panics while holding the lock with half-applied changes, so a poisoned
        // lock still guards consistent data.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("MemoryStore")
            .field("users", &state.users.len())
            .field("user_links", &state.user_links.len())
            .field("threads", &state.threads.len())
            .field("thread_links", &state.thread_links.len())
            .field("deliveries", &state.deliveries.len())
            .finish()
    }
}

impl State {
    /// The record behind a claim, if the claim still holds it.
    fn held_delivery(&mut self, claim: &DeliveryClaim) -> Result<&mut DeliveryRecord> {
        let key = (claim.source.clone(), claim.source_message_id.clone());
        match self.deliveries.get_mut(&key) {
            Some(record) if record.token == Some(claim.token) => Ok(record),
            _ => Err(claim.lost()),
        }
    }

    /// The user linked to an outside id, made and linked if there is none.
    fn identify(&mut self, integration: &str, outside_id: &str) -> UserId {
        if let Some(user) = self.user_links.lookup(integration, outside_id) {
            return user;
        }
        let user = UserId::new();
        self.users.insert(user);
        self.user_links.link(integration, outside_id, user);
        user
    }

    /// Stores `changes` on a thread, or nothing when one of them would fail.
    fn apply(&mut self, thread_id: &ThreadId, changes: &ThreadChanges) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let (primary_user, data) = changes.resolved()?;
        if let Some(user) = &primary_user
            && !self.users.contains(user)
        {
            return Err(Error::UnknownUser(*user));
        }
        let thread = self
            .threads
            .get_mut(thread_id)
            .ok_or(Error::UnknownThread(*thread_id))?;
        if primary_user.is_some() {
            thread.primary_user = primary_user;
        }
        for (key, value) in data {
            thread.data.insert(key.to_owned(), value.to_owned());
        }
        for (integration, integration_thread_id) in &changes.links {
            self.thread_links
                .link(integration, integration_thread_id, *thread_id);
        }
        Ok(())
    }
}

#[async_trait]
impl Links for MemoryBackend {
    async fn user_try_lookup(
        &self,
        integration: &str,
        integration_user_id: &str,
    ) -> Result<Option<UserId>> {
        Ok(self
            .read()
            .user_links
            .lookup(integration, integration_user_id))
    }

    async fn user_try_reverse_lookup(
        &self,
        user_id: &UserId,
        integration: &str,
    ) -> Result<Option<String>> {
        Ok(self.read().user_links.reverse_lookup(user_id, integration))
    }

    async fn user_identify(&self, integration: &str, integration_user_id: &str) -> Result<UserId> {
        Ok(self.write().identify(integration, integration_user_id))
    }

    async fn user_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        user_id: &UserId,
    ) -> Result<()> {
        let mut state = self.write();
        if !state.users.contains(user_id) {
            return Err(Error::UnknownUser(*user_id));
        }
        state
            .user_links
            .link(integration, integration_user_id, *user_id);
        Ok(())
    }

    async fn thread_try_lookup(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>> {
        Ok(self
            .read()
            .thread_links
            .lookup(integration, integration_thread_id))
    }

    async fn thread_try_reverse_lookup(
        &self,
        thread_id: &ThreadId,
        integration: &str,
    ) -> Result<Option<String>> {
        Ok(self
            .read()
            .thread_links
            .reverse_lookup(thread_id, integration))
    }

    async fn thread_create(&self) -> Result<ThreadId> {
        let thread = ThreadId::new();
        self.write().threads.insert(thread, ThreadRecord::default());
        Ok(thread)
    }

    async fn thread_link(
        &self,
        integration: &str,
        integration_thread_id: &str,
        thread_id: &ThreadId,
    ) -> Result<()> {
        let mut state = self.write();
        if !state.threads.contains_key(thread_id) {
            return Err(Error::UnknownThread(*thread_id));
        }
        state
            .thread_links
            .link(integration, integration_thread_id, *thread_id);
        Ok(())
    }

    async fn thread_unlink(
        &self,
        integration: &str,
        integration_thread_id: &str,
    ) -> Result<Option<ThreadId>> {
        Ok(self
            .write()
            .thread_links
            .unlink(integration, integration_thread_id))
    }

    async fn thread_set(&self, thread_id: &ThreadId, key: &str, value: &str) -> Result<()> {
        if key == PRIMARY_USER_ID {
            return self
                .thread_set_primary_user(thread_id, &value.parse()?)
                .await;
        }
        let mut state = self.write();
        let thread = state
            .threads
            .get_mut(thread_id)
            .ok_or(Error::UnknownThread(*thread_id))?;
        thread.data.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn thread_get(&self, thread_id: &ThreadId, key: &str) -> Result<Option<String>> {
        let state = self.read();
        let Some(thread) = state.threads.get(thread_id) else {
            return Ok(None);
        };
        if key == PRIMARY_USER_ID {
            return Ok(thread.primary_user.map(|user| user.to_string()));
        }
        Ok(thread.data.get(key).cloned())
    }

    async fn thread_set_primary_user(&self, thread_id: &ThreadId, user_id: &UserId) -> Result<()> {
        let mut state = self.write();
        if !state.users.contains(user_id) {
            return Err(Error::UnknownUser(*user_id));
        }
        let thread = state
            .threads
            .get_mut(thread_id)
            .ok_or(Error::UnknownThread(*thread_id))?;
        thread.primary_user = Some(*user_id);
        Ok(())
    }

    async fn thread_primary_user(&self, thread_id: &ThreadId) -> Result<Option<UserId>> {
        Ok(self
            .read()
            .threads
            .get(thread_id)
            .and_then(|thread| thread.primary_user))
    }

    async fn user_identify_and_link(
        &self,
        integration: &str,
        integration_user_id: &str,
        links: &[(&str, &str)],
    ) -> Result<UserId> {
        let mut state = self.write();
        let user = state.identify(integration, integration_user_id);
        for (other, other_id) in links {
            state.user_links.link(other, other_id, user);
        }
        Ok(user)
    }

    async fn thread_apply(&self, thread_id: &ThreadId, changes: &ThreadChanges) -> Result<()> {
        self.write().apply(thread_id, changes)
    }

    async fn thread_create_with(&self, changes: &ThreadChanges) -> Result<ThreadId> {
        let thread = ThreadId::new();
        let mut state = self.write();
        state.threads.insert(thread, ThreadRecord::default());
        if let Err(error) = state.apply(&thread, changes) {
            state.threads.remove(&thread);
            return Err(error);
        }
        Ok(thread)
    }
}

#[async_trait]
impl Deliveries for MemoryBackend {
    async fn delivery_claim(
        &self,
        source: &str,
        source_message_id: &str,
        lease: Duration,
    ) -> Result<ClaimOutcome> {
        let now = self.clock.now();
        let lease_until = now + Duration::from_millis(lease_millis(lease).unsigned_abs());
        let mut state = self.write();
        let key = (source.to_owned(), source_message_id.to_owned());
        let attempt = match state.deliveries.get(&key) {
            None => 1,
            Some(record) => match record.delivery.state {
                DeliveryState::Claimed { lease_until } if lease_until <= now => {
                    record.delivery.attempts.saturating_add(1)
                }
                _ => return Ok(record.delivery.refusal()),
            },
        };
        let token = Uuid::new_v4();
        state.deliveries.insert(
            key,
            DeliveryRecord {
                delivery: Delivery {
                    source: source.to_owned(),
                    source_message_id: source_message_id.to_owned(),
                    attempts: attempt,
                    state: DeliveryState::Claimed { lease_until },
                },
                token: Some(token),
            },
        );
        Ok(ClaimOutcome::Claimed(DeliveryClaim {
            source: source.to_owned(),
            source_message_id: source_message_id.to_owned(),
            token,
            attempt,
            lease_until,
        }))
    }

    async fn delivery_renew(&self, claim: &mut DeliveryClaim, lease: Duration) -> Result<()> {
        let lease_until =
            self.clock.now() + Duration::from_millis(lease_millis(lease).unsigned_abs());
        let mut state = self.write();
        let record = state.held_delivery(claim)?;
        record.delivery.state = DeliveryState::Claimed { lease_until };
        claim.lease_until = lease_until;
        Ok(())
    }

    async fn delivery_complete(
        &self,
        claim: &DeliveryClaim,
        target_message_id: &str,
    ) -> Result<()> {
        let mut state = self.write();
        let record = state.held_delivery(claim)?;
        record.delivery.state = DeliveryState::Delivered {
            target_message_id: target_message_id.to_owned(),
        };
        record.token = None;
        Ok(())
    }

    async fn delivery_fail(&self, claim: &DeliveryClaim, reason: &str) -> Result<()> {
        let mut state = self.write();
        let record = state.held_delivery(claim)?;
        record.delivery.state = DeliveryState::Failed {
            reason: reason.to_owned(),
        };
        record.token = None;
        Ok(())
    }

    async fn delivery_release(&self, claim: &DeliveryClaim) -> Result<()> {
        let mut state = self.write();
        let record = state.held_delivery(claim)?;
        record.delivery.state = DeliveryState::Claimed {
            lease_until: SystemTime::UNIX_EPOCH,
        };
        record.token = None;
        Ok(())
    }

    async fn delivery_get(
        &self,
        source: &str,
        source_message_id: &str,
    ) -> Result<Option<Delivery>> {
        Ok(self
            .read()
            .deliveries
            .get(&(source.to_owned(), source_message_id.to_owned()))
            .map(|record| record.delivery.clone()))
    }
}

#[async_trait]
impl Inbox for MemoryBackend {
    async fn inbox_push(&self, message: &InboxMessage) -> Result<InboxPush> {
        Ok(self.write().inbox.push(self.clock.now(), message))
    }

    async fn inbox_take(&self, lease: Duration, max_batch: usize) -> Result<Vec<InboxEntry>> {
        Ok(self.write().inbox.take(self.clock.now(), lease, max_batch))
    }

    async fn inbox_complete(&self, entry: &InboxEntry) -> Result<()> {
        self.write().inbox.complete(self.clock.now(), entry)
    }

    async fn inbox_retry(&self, entry: &InboxEntry, delay: Duration, error: &str) -> Result<()> {
        self.write()
            .inbox
            .retry(self.clock.now(), entry, delay, error)
    }

    async fn inbox_fail(&self, entry: &InboxEntry, reason: &str) -> Result<()> {
        self.write().inbox.fail(self.clock.now(), entry, reason)
    }

    async fn inbox_stats(&self) -> Result<InboxStats> {
        Ok(self.read().inbox.stats())
    }

    async fn inbox_failed(&self, after_id: i64, limit: usize) -> Result<Vec<FailedInboxEntry>> {
        Ok(self.read().inbox.list_failed(after_id, limit))
    }

    async fn inbox_requeue(&self, entry_id: i64) -> Result<bool> {
        Ok(self.write().inbox.requeue(entry_id))
    }

    async fn inbox_purge(&self, done_before: SystemTime) -> Result<u64> {
        self.write().inbox.purge(done_before)
    }
}
