//! The memory store's inbox: unfinished entries in push order, finished ones beside them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use uuid::Uuid;

use crate::delivery::lease_millis;
use crate::{FailedInboxEntry, InboxEntry, InboxMessage, InboxPush, InboxStats, Result};

#[derive(Default)]
pub(super) struct Inbox {
    next_id: i64,
    /// Pending and taken entries by id: the order they are handed out in.
    unfinished: BTreeMap<i64, Unfinished>,
    /// Done entries, kept to recognise duplicates until purged.
    done: HashMap<i64, Done>,
    /// Failed entries, kept whole until requeued.
    failed: BTreeMap<i64, Failed>,
    /// (source, dedup key) -> entry id, for every kept entry that has a dedup key.
    dedup: HashMap<(String, String), i64>,
}

struct Unfinished {
    message: InboxMessage,
    attempts: u32,
    last_error: Option<String>,
    /// Ready once this has passed: the retry delay when pending, the lease end when taken.
    ready_at: SystemTime,
    /// The lease holder's token while taken.
    token: Option<Uuid>,
    recorded_at: SystemTime,
}

struct Done {
    dedup: Option<(String, String)>,
    done_at: SystemTime,
}

struct Failed {
    message: InboxMessage,
    attempts: u32,
    reason: String,
    failed_at: SystemTime,
    recorded_at: SystemTime,
}

fn after(now: SystemTime, duration: Duration) -> SystemTime {
    now + Duration::from_millis(lease_millis(duration).unsigned_abs())
}

impl Inbox {
    pub(super) fn push(&mut self, now: SystemTime, message: &InboxMessage) -> InboxPush {
        let dedup = message
            .dedup_key
            .as_ref()
            .map(|key| (message.source.clone(), key.clone()));
        if let Some(dedup) = &dedup
            && self.dedup.contains_key(dedup)
        {
            return InboxPush::Duplicate;
        }
        self.next_id += 1;
        let id = self.next_id;
        if let Some(dedup) = dedup {
            self.dedup.insert(dedup, id);
        }
        self.unfinished.insert(
            id,
            Unfinished {
                message: message.clone(),
                attempts: 0,
                last_error: None,
                ready_at: SystemTime::UNIX_EPOCH,
                token: None,
                recorded_at: now,
            },
        );
        InboxPush::Recorded { id }
    }

    pub(super) fn take(
        &mut self,
        now: SystemTime,
        lease: Duration,
        max_batch: usize,
    ) -> Vec<InboxEntry> {
        let lease_until = after(now, lease);
        // The first unfinished entry of each ordering key is its head; only a ready head
        // starts a batch, which then runs on while the key's next entries are ready too. A key
        // with a live lease anywhere is busy, whatever the order.
        let mut seen_keys: HashSet<&str> = self
            .unfinished
            .values()
            .filter(|entry| entry.token.is_some() && entry.ready_at > now)
            .map(|entry| entry.message.ordering_key.as_str())
            .collect();
        let mut batch_ids = Vec::new();
        let mut batch_key: Option<&str> = None;
        for (id, entry) in &self.unfinished {
            let key = entry.message.ordering_key.as_str();
            let ready = entry.ready_at <= now;
            match batch_key {
                Some(batch) if batch == key => {
                    if !ready || batch_ids.len() == max_batch {
                        break;
                    }
                    batch_ids.push(*id);
                }
                Some(_) => {}
                None => {
                    if seen_keys.insert(key) && ready {
                        batch_key = Some(key);
                        batch_ids.push(*id);
                        if max_batch == 1 {
                            break;
                        }
                    }
                }
            }
        }
        let token = Uuid::new_v4();
        batch_ids
            .into_iter()
            .filter_map(|id| {
                let entry = self.unfinished.get_mut(&id)?;
                entry.attempts = entry.attempts.saturating_add(1);
                entry.ready_at = lease_until;
                entry.token = Some(token);
                Some(InboxEntry {
                    id,
                    token,
                    source: entry.message.source.clone(),
                    ordering_key: entry.message.ordering_key.clone(),
                    dedup_key: entry.message.dedup_key.clone(),
                    payload: entry.message.payload.clone(),
                    attempt: entry.attempts,
                    lease_until,
                    last_error: entry.last_error.clone(),
                    recorded_at: Some(entry.recorded_at),
                })
            })
            .collect()
    }

    fn held(&mut self, entry: &InboxEntry) -> Result<&mut Unfinished> {
        match self.unfinished.get_mut(&entry.id) {
            Some(held) if held.token == Some(entry.token) => Ok(held),
            _ => Err(entry.lost()),
        }
    }

    pub(super) fn complete(&mut self, now: SystemTime, entry: &InboxEntry) -> Result<()> {
        self.held(entry)?;
        if let Some(done) = self.unfinished.remove(&entry.id) {
            let InboxMessage {
                source, dedup_key, ..
            } = done.message;
            let dedup = dedup_key.map(|key| (source, key));
            let done_at = now;
            self.done.insert(entry.id, Done { dedup, done_at });
        }
        Ok(())
    }

    pub(super) fn retry(
        &mut self,
        now: SystemTime,
        entry: &InboxEntry,
        delay: Duration,
        error: &str,
    ) -> Result<()> {
        let held = self.held(entry)?;
        held.token = None;
        held.ready_at = after(now, delay);
        held.last_error = Some(error.to_owned());
        Ok(())
    }

    pub(super) fn fail(&mut self, now: SystemTime, entry: &InboxEntry, reason: &str) -> Result<()> {
        self.held(entry)?;
        if let Some(given_up) = self.unfinished.remove(&entry.id) {
            let failed = Failed {
                message: given_up.message,
                attempts: given_up.attempts,
                reason: reason.to_owned(),
                failed_at: now,
                recorded_at: given_up.recorded_at,
            };
            self.failed.insert(entry.id, failed);
        }
        Ok(())
    }

    pub(super) fn list_failed(&self, after_id: i64, limit: usize) -> Vec<FailedInboxEntry> {
        self.failed
            .range(after_id.saturating_add(1)..)
            .take(limit)
            .map(|(id, failed)| FailedInboxEntry {
                id: *id,
                source: failed.message.source.clone(),
                ordering_key: failed.message.ordering_key.clone(),
                dedup_key: failed.message.dedup_key.clone(),
                payload: failed.message.payload.clone(),
                attempts: failed.attempts,
                reason: failed.reason.clone(),
                failed_at: failed.failed_at,
            })
            .collect()
    }

    pub(super) fn requeue(&mut self, id: i64) -> bool {
        let Some(failed) = self.failed.remove(&id) else {
            return false;
        };
        let again = Unfinished {
            message: failed.message,
            attempts: 0,
            last_error: Some(failed.reason),
            ready_at: SystemTime::UNIX_EPOCH,
            token: None,
            recorded_at: failed.recorded_at,
        };
        self.unfinished.insert(id, again);
        true
    }

    pub(super) fn stats(&self) -> InboxStats {
        let (in_flight, pending) =
            self.unfinished
                .values()
                .fold((0, 0), |(taken, pending), entry| match entry.token {
                    Some(_) => (taken + 1, pending),
                    None => (taken, pending + 1),
                });
        let oldest = self
            .unfinished
            .values()
            .map(|entry| entry.recorded_at)
            .min();
        InboxStats::new(
            pending,
            in_flight,
            self.done.len() as u64,
            self.failed.len() as u64,
        )
        .with_oldest_unfinished(oldest)
    }

    pub(super) fn purge(&mut self, done_before: SystemTime) -> Result<u64> {
        let purged: Vec<i64> = self
            .done
            .iter()
            .filter(|(_, entry)| entry.done_at < done_before)
            .map(|(id, _)| *id)
            .collect();
        for id in &purged {
            if let Some(Done {
                dedup: Some(dedup), ..
            }) = self.done.remove(id)
            {
                self.dedup.remove(&dedup);
            }
        }
        Ok(purged.len() as u64)
    }
}
