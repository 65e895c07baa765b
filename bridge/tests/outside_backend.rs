//! A link store backend written outside `meya-links`, with its public API only, passing the
//! whole conformance suite: what the suite promises a backend author.
//!
//! The backend is deliberately plain (one mutex over a few vectors and maps); what matters is
//! that everything a backend must hand back (claims, inbox entries, failed entries, stats,
//! deliveries) can be built from outside the crate, and that [`Checked`] gives it the input
//! checks the crate's own stores have.

// Test code may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use meya_links::testing::StoreSite;
use meya_links::{
    Checked, ClaimOutcome, Clock, Deliveries, Delivery, DeliveryClaim, DeliveryState, Error,
    FailedInboxEntry, Inbox, InboxEntry, InboxMessage, InboxPush, InboxStats, LinkStore, Links,
    ManualClock, PRIMARY_USER_ID, Result, ThreadId, UserId,
};
use uuid::Uuid;

#[derive(Default)]
struct Thread {
    primary_user: Option<UserId>,
    data: HashMap<String, String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Pending,
    Taken,
    Done,
    Failed,
}

struct Entry {
    id: i64,
    message: InboxMessage,
    stage: Stage,
    attempts: u32,
    /// Ready at (pending), leased until (taken), finished at (done, failed).
    at: SystemTime,
    token: Option<Uuid>,
    last_error: Option<String>,
    recorded_at: SystemTime,
}

#[derive(Default)]
struct State {
    users: Vec<UserId>,
    user_links: HashMap<(String, String), UserId>,
    threads: HashMap<ThreadId, Thread>,
    thread_links: HashMap<(String, String), ThreadId>,
    deliveries: HashMap<(String, String), (Delivery, Option<Uuid>)>,
    inbox: Vec<Entry>,
}

/// Links one outside id to `id`, keeping the two link rules.
fn relink<Id: Copy + PartialEq>(
    links: &mut HashMap<(String, String), Id>,
    integration: &str,
    outside_id: &str,
    id: Id,
) {
    links.retain(|(linked_integration, _), linked| {
        !(linked_integration == integration && *linked == id)
    });
    links.insert((integration.to_owned(), outside_id.to_owned()), id);
}

fn reverse<Id: PartialEq>(
    links: &HashMap<(String, String), Id>,
    id: &Id,
    integration: &str,
) -> Option<String> {
    links
        .iter()
        .find(|((linked_integration, _), linked)| {
            linked_integration == integration && *linked == id
        })
        .map(|((_, outside_id), _)| outside_id.clone())
}

#[derive(Debug, Clone)]
struct PlainBackend {
    state: Arc<Mutex<StateCell>>,
    clock: ManualClock,
}

/// `State` with a `Debug` the trait bound asks for.
#[derive(Default)]
struct StateCell(State);

impl std::fmt::Debug for StateCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainBackend")
    }
}

impl PlainBackend {
    fn state(&self) -> MutexGuard<'_, StateCell> {
        self.state.lock().unwrap()
    }
}

fn lease_end(now: SystemTime, lease: Duration) -> SystemTime {
    now + lease
}

#[async_trait]
impl Links for PlainBackend {
    async fn user_try_lookup(&self, integration: &str, id: &str) -> Result<Option<UserId>> {
        Ok(self
            .state()
            .0
            .user_links
            .get(&(integration.into(), id.into()))
            .copied())
    }

    async fn user_try_reverse_lookup(
        &self,
        user: &UserId,
        integration: &str,
    ) -> Result<Option<String>> {
        Ok(reverse(&self.state().0.user_links, user, integration))
    }

    async fn user_identify(&self, integration: &str, id: &str) -> Result<UserId> {
        let state = &mut self.state().0;
        if let Some(user) = state.user_links.get(&(integration.into(), id.into())) {
            return Ok(*user);
        }
        let user = UserId::new();
        state.users.push(user);
        relink(&mut state.user_links, integration, id, user);
        Ok(user)
    }

    async fn user_link(&self, integration: &str, id: &str, user: &UserId) -> Result<()> {
        let state = &mut self.state().0;
        if !state.users.contains(user) {
            return Err(Error::UnknownUser(*user));
        }
        relink(&mut state.user_links, integration, id, *user);
        Ok(())
    }

    async fn thread_try_lookup(&self, integration: &str, id: &str) -> Result<Option<ThreadId>> {
        Ok(self
            .state()
            .0
            .thread_links
            .get(&(integration.into(), id.into()))
            .copied())
    }

    async fn thread_try_reverse_lookup(
        &self,
        thread: &ThreadId,
        integration: &str,
    ) -> Result<Option<String>> {
        Ok(reverse(&self.state().0.thread_links, thread, integration))
    }

    async fn thread_create(&self) -> Result<ThreadId> {
        let thread = ThreadId::new();
        self.state().0.threads.insert(thread, Thread::default());
        Ok(thread)
    }

    async fn thread_link(&self, integration: &str, id: &str, thread: &ThreadId) -> Result<()> {
        let state = &mut self.state().0;
        if !state.threads.contains_key(thread) {
            return Err(Error::UnknownThread(*thread));
        }
        relink(&mut state.thread_links, integration, id, *thread);
        Ok(())
    }

    async fn thread_unlink(&self, integration: &str, id: &str) -> Result<Option<ThreadId>> {
        Ok(self
            .state()
            .0
            .thread_links
            .remove(&(integration.into(), id.into())))
    }

    async fn thread_set(&self, thread: &ThreadId, key: &str, value: &str) -> Result<()> {
        if key == PRIMARY_USER_ID {
            return self.thread_set_primary_user(thread, &value.parse()?).await;
        }
        let state = &mut self.state().0;
        let record = state
            .threads
            .get_mut(thread)
            .ok_or(Error::UnknownThread(*thread))?;
        record.data.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn thread_get(&self, thread: &ThreadId, key: &str) -> Result<Option<String>> {
        let state = &self.state().0;
        let Some(record) = state.threads.get(thread) else {
            return Ok(None);
        };
        if key == PRIMARY_USER_ID {
            return Ok(record.primary_user.map(|user| user.to_string()));
        }
        Ok(record.data.get(key).cloned())
    }

    async fn thread_set_primary_user(&self, thread: &ThreadId, user: &UserId) -> Result<()> {
        let state = &mut self.state().0;
        if !state.users.contains(user) {
            return Err(Error::UnknownUser(*user));
        }
        let record = state
            .threads
            .get_mut(thread)
            .ok_or(Error::UnknownThread(*thread))?;
        record.primary_user = Some(*user);
        Ok(())
    }

    async fn thread_primary_user(&self, thread: &ThreadId) -> Result<Option<UserId>> {
        Ok(self
            .state()
            .0
            .threads
            .get(thread)
            .and_then(|record| record.primary_user))
    }
}

impl PlainBackend {
    /// The delivery a claim holds, or the error that it holds none.
    fn held<'s>(
        state: &'s mut State,
        claim: &DeliveryClaim,
    ) -> Result<&'s mut (Delivery, Option<Uuid>)> {
        let key = (
            claim.source().to_owned(),
            claim.source_message_id().to_owned(),
        );
        match state.deliveries.get_mut(&key) {
            Some(record) if record.1 == Some(claim.token()) => Ok(record),
            _ => Err(Error::ClaimLost {
                delivery_source: claim.source().to_owned(),
                source_message_id: claim.source_message_id().to_owned(),
            }),
        }
    }

    fn finish(&self, claim: &DeliveryClaim, state_after: DeliveryState) -> Result<()> {
        let state = &mut self.state().0;
        let record = Self::held(state, claim)?;
        record.0 = Delivery::new(
            claim.source(),
            claim.source_message_id(),
            record.0.attempts,
            state_after,
        );
        record.1 = None;
        Ok(())
    }
}

#[async_trait]
impl Deliveries for PlainBackend {
    async fn delivery_claim(
        &self,
        source: &str,
        id: &str,
        lease: Duration,
    ) -> Result<ClaimOutcome> {
        let now = self.clock.now();
        let state = &mut self.state().0;
        let key = (source.to_owned(), id.to_owned());
        let attempt = match state.deliveries.get(&key) {
            None => 1,
            Some((delivery, _)) => match delivery.state {
                DeliveryState::Claimed { lease_until } if lease_until <= now => {
                    delivery.attempts + 1
                }
                _ => return Ok(delivery.refusal()),
            },
        };
        let token = Uuid::new_v4();
        let lease_until = lease_end(now, lease);
        let delivery = Delivery::new(source, id, attempt, DeliveryState::Claimed { lease_until });
        state.deliveries.insert(key, (delivery, Some(token)));
        Ok(ClaimOutcome::Claimed(DeliveryClaim::new(
            source,
            id,
            token,
            attempt,
            lease_until,
        )))
    }

    async fn delivery_renew(&self, claim: &mut DeliveryClaim, lease: Duration) -> Result<()> {
        let lease_until = lease_end(self.clock.now(), lease);
        let state = &mut self.state().0;
        let record = Self::held(state, claim)?;
        record.0 = Delivery::new(
            claim.source(),
            claim.source_message_id(),
            record.0.attempts,
            DeliveryState::Claimed { lease_until },
        );
        claim.set_lease_until(lease_until);
        Ok(())
    }

    async fn delivery_complete(&self, claim: &DeliveryClaim, target: &str) -> Result<()> {
        self.finish(
            claim,
            DeliveryState::Delivered {
                target_message_id: target.to_owned(),
            },
        )
    }

    async fn delivery_fail(&self, claim: &DeliveryClaim, reason: &str) -> Result<()> {
        self.finish(
            claim,
            DeliveryState::Failed {
                reason: reason.to_owned(),
            },
        )
    }

    async fn delivery_release(&self, claim: &DeliveryClaim) -> Result<()> {
        self.finish(
            claim,
            DeliveryState::Claimed {
                lease_until: SystemTime::UNIX_EPOCH,
            },
        )
    }

    async fn delivery_get(&self, source: &str, id: &str) -> Result<Option<Delivery>> {
        Ok(self
            .state()
            .0
            .deliveries
            .get(&(source.to_owned(), id.to_owned()))
            .map(|(delivery, _)| delivery.clone()))
    }
}

impl PlainBackend {
    fn settle(
        &self,
        entry: &InboxEntry,
        settle: impl FnOnce(&mut Entry, SystemTime),
    ) -> Result<()> {
        let now = self.clock.now();
        let state = &mut self.state().0;
        let held = state
            .inbox
            .iter_mut()
            .find(|held| {
                held.id == entry.id()
                    && held.stage == Stage::Taken
                    && held.token == Some(entry.token())
            })
            .ok_or(Error::LeaseLost {
                entry_id: entry.id(),
            })?;
        held.token = None;
        settle(held, now);
        Ok(())
    }
}

#[async_trait]
impl Inbox for PlainBackend {
    async fn inbox_push(&self, message: &InboxMessage) -> Result<InboxPush> {
        let state = &mut self.state().0;
        let duplicate = message.dedup_key.is_some()
            && state.inbox.iter().any(|kept| {
                kept.message.source == message.source && kept.message.dedup_key == message.dedup_key
            });
        if duplicate {
            return Ok(InboxPush::Duplicate);
        }
        let id = state.inbox.last().map_or(1, |last| last.id + 1);
        state.inbox.push(Entry {
            id,
            message: message.clone(),
            stage: Stage::Pending,
            attempts: 0,
            at: SystemTime::UNIX_EPOCH,
            token: None,
            last_error: None,
            recorded_at: self.clock.now(),
        });
        Ok(InboxPush::Recorded { id })
    }

    async fn inbox_take(&self, lease: Duration, max_batch: usize) -> Result<Vec<InboxEntry>> {
        let now = self.clock.now();
        let state = &mut self.state().0;
        let unfinished = |entry: &Entry| matches!(entry.stage, Stage::Pending | Stage::Taken);
        let ready = |entry: &Entry| unfinished(entry) && entry.at <= now;
        // Keys with a live lease are busy; a key's head is its oldest unfinished entry.
        let busy: Vec<String> = state
            .inbox
            .iter()
            .filter(|entry| entry.stage == Stage::Taken && entry.at > now)
            .map(|entry| entry.message.ordering_key.clone())
            .collect();
        let mut heads_seen: Vec<&str> = Vec::new();
        let mut head = None;
        for entry in state.inbox.iter().filter(|entry| unfinished(entry)) {
            let key = entry.message.ordering_key.as_str();
            if heads_seen.contains(&key) {
                continue;
            }
            heads_seen.push(key);
            if ready(entry) && !busy.iter().any(|busy| busy == key) {
                head = Some((entry.id, key.to_owned()));
                break;
            }
        }
        let Some((head_id, key)) = head else {
            return Ok(Vec::new());
        };
        let ids: Vec<i64> = state
            .inbox
            .iter()
            .filter(|entry| {
                entry.message.ordering_key == key && unfinished(entry) && entry.id >= head_id
            })
            .take_while(|entry| ready(entry))
            .take(max_batch)
            .map(|entry| entry.id)
            .collect();
        let token = Uuid::new_v4();
        let lease_until = lease_end(now, lease);
        Ok(state
            .inbox
            .iter_mut()
            .filter(|entry| ids.contains(&entry.id))
            .map(|entry| {
                entry.stage = Stage::Taken;
                entry.attempts += 1;
                entry.at = lease_until;
                entry.token = Some(token);
                InboxEntry::leased(
                    entry.id,
                    entry.message.clone(),
                    token,
                    entry.attempts,
                    lease_until,
                )
                .with_last_error(entry.last_error.clone())
                .with_recorded_at(Some(entry.recorded_at))
            })
            .collect())
    }

    async fn inbox_complete(&self, entry: &InboxEntry) -> Result<()> {
        self.settle(entry, |held, now| {
            held.stage = Stage::Done;
            held.at = now;
            held.message.payload.clear();
        })
    }

    async fn inbox_retry(&self, entry: &InboxEntry, delay: Duration, error: &str) -> Result<()> {
        self.settle(entry, |held, now| {
            held.stage = Stage::Pending;
            held.at = now + delay;
            held.last_error = Some(error.to_owned());
        })
    }

    async fn inbox_fail(&self, entry: &InboxEntry, reason: &str) -> Result<()> {
        self.settle(entry, |held, now| {
            held.stage = Stage::Failed;
            held.at = now;
            held.last_error = Some(reason.to_owned());
        })
    }

    async fn inbox_stats(&self) -> Result<InboxStats> {
        let state = &self.state().0;
        let count = |stage| {
            state
                .inbox
                .iter()
                .filter(|entry| entry.stage == stage)
                .count() as u64
        };
        let oldest = state
            .inbox
            .iter()
            .filter(|entry| matches!(entry.stage, Stage::Pending | Stage::Taken))
            .map(|entry| entry.recorded_at)
            .min();
        Ok(InboxStats::new(
            count(Stage::Pending),
            count(Stage::Taken),
            count(Stage::Done),
            count(Stage::Failed),
        )
        .with_oldest_unfinished(oldest))
    }

    async fn inbox_failed(&self, after_id: i64, limit: usize) -> Result<Vec<FailedInboxEntry>> {
        Ok(self
            .state()
            .0
            .inbox
            .iter()
            .filter(|entry| entry.stage == Stage::Failed && entry.id > after_id)
            .take(limit)
            .map(|entry| {
                FailedInboxEntry::new(
                    entry.id,
                    entry.message.clone(),
                    entry.attempts,
                    entry.last_error.clone().unwrap_or_default(),
                    entry.at,
                )
            })
            .collect())
    }

    async fn inbox_requeue(&self, entry_id: i64) -> Result<bool> {
        let state = &mut self.state().0;
        let Some(entry) = state
            .inbox
            .iter_mut()
            .find(|entry| entry.id == entry_id && entry.stage == Stage::Failed)
        else {
            return Ok(false);
        };
        entry.stage = Stage::Pending;
        entry.attempts = 0;
        entry.at = SystemTime::UNIX_EPOCH;
        Ok(true)
    }

    async fn inbox_purge(&self, done_before: SystemTime) -> Result<u64> {
        let state = &mut self.state().0;
        let before = state.inbox.len();
        state
            .inbox
            .retain(|entry| !(entry.stage == Stage::Done && entry.at < done_before));
        Ok((before - state.inbox.len()) as u64)
    }
}

/// The site the suite runs on: one shared backend, checked, behind every handle.
struct PlainSite {
    backend: PlainBackend,
}

impl PlainSite {
    fn new() -> Self {
        Self {
            backend: PlainBackend {
                state: Arc::default(),
                clock: ManualClock::starting_now(),
            },
        }
    }
}

#[async_trait]
impl StoreSite for PlainSite {
    async fn open(&self) -> Arc<dyn LinkStore> {
        Arc::new(Checked::wrap(self.backend.clone()))
    }

    fn clock(&self) -> &ManualClock {
        &self.backend.clock
    }
}

mod plain {
    meya_links::link_store_conformance!(Some(super::PlainSite::new()));
}
