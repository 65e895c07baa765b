//! The inbox cases: durable push, ordered leased takes, retries, dedup, races.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::testing::StoreSite;
use crate::{
    Clock, Error, FailedInboxEntry, InboxEntry, InboxMessage, InboxPush, InboxStats, LinkStore,
};

const LEASE: Duration = Duration::from_secs(30);

fn message(key: &str, payload: &str) -> InboxMessage {
    InboxMessage::new("test.source", key, payload.as_bytes().to_vec())
}

async fn push(store: &dyn LinkStore, key: &str, payload: &str) -> i64 {
    match store.inbox_push(&message(key, payload)).await.unwrap() {
        InboxPush::Recorded { id } => id,
        other => panic!("expected a new entry, got {other:?}"),
    }
}

fn payloads(entries: &[InboxEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|entry| String::from_utf8(entry.payload().to_vec()).unwrap())
        .collect()
}

/// A pushed entry is seen by another handle, leased once, and gone from the queue once done.
pub async fn inbox_push_take_complete(site: &dyn StoreSite) {
    let web = site.open().await;
    let worker = site.open().await;
    let id = push(&*web, "customer-1", r#"{"hello":"world"}"#).await;
    drop(web);
    let taken = worker.inbox_take(LEASE, 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    let entry = &taken[0];
    assert_eq!(entry.id(), id);
    assert_eq!(entry.source(), "test.source");
    assert_eq!(entry.ordering_key(), "customer-1");
    assert_eq!(entry.payload(), br#"{"hello":"world"}"#);
    assert_eq!(entry.attempt(), 1);
    assert_eq!(entry.last_error(), None);
    assert!(entry.lease_until() > site.clock().now() + Duration::from_secs(20));
    let pushed = entry.recorded_at().expect("when the entry was pushed");
    let apart = site
        .clock()
        .now()
        .duration_since(pushed)
        .unwrap_or_else(|e| e.duration());
    assert!(apart < Duration::from_secs(3600), "{pushed:?}");
    assert!(worker.inbox_take(LEASE, 10).await.unwrap().is_empty());
    let stats = worker.inbox_stats().await.unwrap();
    assert_eq!(
        (stats.pending, stats.in_flight, stats.done, stats.failed),
        (0, 1, 0, 0)
    );
    // The backlog's age: when the entry was recorded (by the store's clock, or the
    // database's).
    let recorded = stats.oldest_unfinished.expect("an unfinished entry");
    let now = site.clock().now();
    let apart = now
        .duration_since(recorded)
        .unwrap_or_else(|e| e.duration());
    assert!(apart < Duration::from_secs(3600), "{recorded:?} vs {now:?}");
    worker.inbox_complete(entry).await.unwrap();
    assert!(worker.inbox_take(LEASE, 10).await.unwrap().is_empty());
    let stats = worker.inbox_stats().await.unwrap();
    assert_eq!((stats.unfinished(), stats.done, stats.failed), (0, 1, 0));
    assert_eq!(stats.oldest_unfinished, None);
    // Completing twice is refused: the lease ended.
    assert!(matches!(
        worker.inbox_complete(entry).await,
        Err(Error::LeaseLost { .. })
    ));
}

/// A repeat of a kept entry's dedup key stores nothing, until the entry is purged.
pub async fn inbox_dedup_key_refuses_repeats(site: &dyn StoreSite) {
    let store = site.open().await;
    let event = message("customer-1", "first").dedup_key("event-1");
    assert!(matches!(
        store.inbox_push(&event).await.unwrap(),
        InboxPush::Recorded { .. }
    ));
    let repeat = message("customer-1", "second").dedup_key("event-1");
    assert_eq!(
        store.inbox_push(&repeat).await.unwrap(),
        InboxPush::Duplicate
    );
    // The same key from another source is another webhook.
    let mut other_source = repeat.clone();
    other_source.source = "other.source".into();
    assert!(matches!(
        store.inbox_push(&other_source).await.unwrap(),
        InboxPush::Recorded { .. }
    ));
    // Without a dedup key every push is recorded.
    push(&*store, "customer-1", "same").await;
    push(&*store, "customer-1", "same").await;

    let mut taken = Vec::new();
    loop {
        let batch = store.inbox_take(LEASE, 10).await.unwrap();
        if batch.is_empty() {
            break;
        }
        for entry in &batch {
            store.inbox_complete(entry).await.unwrap();
        }
        taken.extend(payloads(&batch));
    }
    taken.sort();
    assert_eq!(taken, ["first", "same", "same", "second"]);
    // Done entries still refuse repeats...
    assert_eq!(
        store.inbox_push(&event).await.unwrap(),
        InboxPush::Duplicate
    );
    // ...until purged; unfinished entries are never purged.
    push(&*store, "customer-2", "still pending").await;
    assert_eq!(store.inbox_purge(SystemTime::UNIX_EPOCH).await.unwrap(), 0);
    let purged = store
        .inbox_purge(site.clock().now() + Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(purged, 4);
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.pending, stats.done), (1, 0));
    assert!(matches!(
        store.inbox_push(&event).await.unwrap(),
        InboxPush::Recorded { .. }
    ));
}

/// One ordering key's entries come out in push order, one batch at a time; other keys are
/// not held up.
pub async fn inbox_orders_by_key_and_batches(site: &dyn StoreSite) {
    let store = site.open().await;
    for (key, payload) in [
        ("a", "a1"),
        ("b", "b1"),
        ("a", "a2"),
        ("a", "a3"),
        ("b", "b2"),
    ] {
        push(&*store, key, payload).await;
    }
    let first = store.inbox_take(LEASE, 2).await.unwrap();
    assert_eq!(payloads(&first), ["a1", "a2"]);
    let second = store.inbox_take(LEASE, 10).await.unwrap();
    assert_eq!(payloads(&second), ["b1", "b2"]);
    // a3 waits while a's batch is leased.
    assert!(store.inbox_take(LEASE, 10).await.unwrap().is_empty());
    for entry in &first {
        store.inbox_complete(entry).await.unwrap();
    }
    let third = store.inbox_take(LEASE, 10).await.unwrap();
    assert_eq!(payloads(&third), ["a3"]);
    // A batch of one: the key's next entry waits for the first.
    push(&*store, "c", "c1").await;
    push(&*store, "c", "c2").await;
    let c1 = store.inbox_take(LEASE, 1).await.unwrap();
    assert_eq!(payloads(&c1), ["c1"]);
    assert!(store.inbox_take(LEASE, 1).await.unwrap().is_empty());
    store.inbox_complete(&c1[0]).await.unwrap();
    assert_eq!(payloads(&store.inbox_take(LEASE, 1).await.unwrap()), ["c2"]);
}

/// A retried entry comes back after its delay with its error and a higher attempt; its key's
/// later entries wait for it. A failed entry is kept and its key moves on.
pub async fn inbox_retry_waits_and_fail_moves_on(site: &dyn StoreSite) {
    let store = site.open().await;
    push(&*store, "a", "a1").await;
    push(&*store, "a", "a2").await;
    let first = store.inbox_take(LEASE, 1).await.unwrap();
    store
        .inbox_retry(&first[0], Duration::from_millis(300), "SunCo answered 503")
        .await
        .unwrap();
    assert!(store.inbox_take(LEASE, 10).await.unwrap().is_empty());
    assert_eq!(store.inbox_stats().await.unwrap().pending, 2);
    site.clock().advance(Duration::from_millis(450));
    let again = store.inbox_take(LEASE, 1).await.unwrap();
    assert_eq!(payloads(&again), ["a1"]);
    assert_eq!(again[0].attempt(), 2);
    assert_eq!(again[0].last_error(), Some("SunCo answered 503"));
    // The old lease is over.
    assert!(matches!(
        store.inbox_complete(&first[0]).await,
        Err(Error::LeaseLost { .. })
    ));
    store
        .inbox_fail(&again[0], "Zendesk answered 404")
        .await
        .unwrap();
    assert_eq!(
        payloads(&store.inbox_take(LEASE, 10).await.unwrap()),
        ["a2"]
    );
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.failed, stats.in_flight, stats.pending), (1, 1, 0));
    // A failed entry is not purged.
    assert_eq!(
        store
            .inbox_purge(site.clock().now() + Duration::from_secs(1))
            .await
            .unwrap(),
        0
    );
}

/// A crashed worker's lease runs out and another handle takes the entry; the crashed worker
/// cannot record an outcome afterwards.
pub async fn inbox_expired_lease_is_taken_over(site: &dyn StoreSite) {
    let crashed = site.open().await;
    let survivor = site.open().await;
    push(&*crashed, "a", "a1").await;
    push(&*crashed, "a", "a2").await;
    let stale = crashed
        .inbox_take(Duration::from_millis(50), 10)
        .await
        .unwrap();
    assert_eq!(stale.len(), 2);
    site.clock().advance(Duration::from_millis(150));
    let fresh = survivor.inbox_take(LEASE, 10).await.unwrap();
    assert_eq!(payloads(&fresh), ["a1", "a2"]);
    assert!(fresh.iter().all(|entry| entry.attempt() == 2));
    for entry in &stale {
        assert!(matches!(
            crashed.inbox_complete(entry).await,
            Err(Error::LeaseLost { .. })
        ));
        assert!(matches!(
            crashed.inbox_retry(entry, Duration::ZERO, "late").await,
            Err(Error::LeaseLost { .. })
        ));
    }
    for entry in &fresh {
        survivor.inbox_complete(entry).await.unwrap();
    }
    assert_eq!(crashed.inbox_stats().await.unwrap().done, 2);
}

/// Workers on two handles drain 60 entries over 6 keys: every entry is handed out exactly
/// once, each key's entries in push order, and never two batches of one key at a time.
pub async fn inbox_take_race_hands_out_each_entry_once(site: &dyn StoreSite) {
    let handles = [site.open().await, site.open().await];
    let mut pushed: HashMap<String, Vec<i64>> = HashMap::new();
    for n in 0..60 {
        let key = format!("key-{}", n % 6);
        let id = push(&*handles[n % 2], &key, &n.to_string()).await;
        pushed.entry(key).or_default().push(id);
    }
    let held_keys = Arc::new(Mutex::new(HashSet::new()));
    let taken_order: Arc<Mutex<HashMap<String, Vec<i64>>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..8 {
        let store = Arc::clone(&handles[n % 2]);
        let held_keys = Arc::clone(&held_keys);
        let taken_order = Arc::clone(&taken_order);
        tasks.spawn(async move {
            let mut idle = 0;
            while idle < 20 {
                let batch = store.inbox_take(LEASE, 3).await.unwrap();
                if batch.is_empty() {
                    idle += 1;
                    tokio::task::yield_now().await;
                    continue;
                }
                idle = 0;
                let key = batch[0].ordering_key().to_owned();
                assert!(batch.iter().all(|entry| entry.ordering_key() == key));
                assert!(
                    held_keys.lock().unwrap().insert(key.clone()),
                    "two batches of {key} at once"
                );
                taken_order
                    .lock()
                    .unwrap()
                    .entry(key.clone())
                    .or_default()
                    .extend(batch.iter().map(InboxEntry::id));
                tokio::task::yield_now().await;
                held_keys.lock().unwrap().remove(&key);
                for entry in &batch {
                    store.inbox_complete(entry).await.unwrap();
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
    let taken_order = taken_order.lock().unwrap().clone();
    assert_eq!(taken_order, pushed);
    let stats = handles[0].inbox_stats().await.unwrap();
    assert_eq!((stats.unfinished(), stats.done), (0, 60));
}

fn failed_ids(entries: &[FailedInboxEntry]) -> Vec<i64> {
    entries.iter().map(|entry| entry.id).collect()
}

/// Failed entries are listed whole, oldest first and in pages, keep their dedup key, and a
/// requeued one runs again (before its key's later entries) with its attempts counted afresh.
pub async fn inbox_failed_entries_are_listed_and_requeued(site: &dyn StoreSite) {
    let worker = site.open().await;
    let operator = site.open().await;
    let a1 = match worker
        .inbox_push(&message("a", "a1").dedup_key("event-1"))
        .await
        .unwrap()
    {
        InboxPush::Recorded { id } => id,
        other => panic!("expected a new entry, got {other:?}"),
    };
    let b1 = push(&*worker, "b", "b1").await;
    let a2 = push(&*worker, "a", "a2").await;
    let before = site.clock().now() - Duration::from_secs(60);

    let first = worker.inbox_take(LEASE, 1).await.unwrap();
    assert_eq!(payloads(&first), ["a1"]);
    worker
        .inbox_fail(&first[0], "Zendesk answered 404")
        .await
        .unwrap();
    let second = worker.inbox_take(LEASE, 10).await.unwrap();
    assert_eq!(payloads(&second), ["b1"]);
    worker
        .inbox_fail(&second[0], "the payload is not JSON")
        .await
        .unwrap();

    let failed = operator.inbox_failed(0, 10).await.unwrap();
    assert_eq!(failed_ids(&failed), [a1, b1]);
    let listed = &failed[0];
    assert_eq!(listed.source, "test.source");
    assert_eq!(listed.ordering_key, "a");
    assert_eq!(listed.dedup_key.as_deref(), Some("event-1"));
    assert_eq!(listed.payload, b"a1");
    assert_eq!(listed.attempts, 1);
    assert_eq!(listed.reason, "Zendesk answered 404");
    assert!(listed.failed_at > before && listed.failed_at < site.clock().now() + LEASE);
    assert_eq!(failed[1].reason, "the payload is not JSON");
    // Pages: after the last id seen.
    assert_eq!(
        failed_ids(&operator.inbox_failed(0, 1).await.unwrap()),
        [a1]
    );
    assert_eq!(
        failed_ids(&operator.inbox_failed(a1, 5).await.unwrap()),
        [b1]
    );
    assert!(operator.inbox_failed(b1, 5).await.unwrap().is_empty());
    // A failed entry still recognises its repeats.
    assert_eq!(
        operator
            .inbox_push(&message("a", "a1 again").dedup_key("event-1"))
            .await
            .unwrap(),
        InboxPush::Duplicate
    );

    // Only a failed entry can be requeued, once.
    assert!(!operator.inbox_requeue(a2).await.unwrap());
    assert!(!operator.inbox_requeue(a2 + 1_000_000).await.unwrap());
    assert!(operator.inbox_requeue(a1).await.unwrap());
    assert!(!operator.inbox_requeue(a1).await.unwrap());
    let stats = operator.inbox_stats().await.unwrap();
    assert_eq!((stats.pending, stats.failed), (2, 1));
    assert_eq!(
        failed_ids(&operator.inbox_failed(0, 10).await.unwrap()),
        [b1]
    );

    let again = worker.inbox_take(LEASE, 10).await.unwrap();
    assert_eq!(payloads(&again), ["a1", "a2"]);
    assert_eq!(again[0].attempt(), 1);
    assert_eq!(again[0].last_error(), Some("Zendesk answered 404"));
    for entry in &again {
        worker.inbox_complete(entry).await.unwrap();
    }
    let stats = operator.inbox_stats().await.unwrap();
    assert_eq!((stats.unfinished(), stats.done, stats.failed), (0, 2, 1));

    for limit in [0, crate::limits::MAX_INBOX_BATCH + 1] {
        assert!(matches!(
            operator.inbox_failed(0, limit).await,
            Err(Error::InvalidInput { field: "limit", .. })
        ));
    }
}

/// Operators on two handles requeueing the same entry at once: it is requeued once.
pub async fn inbox_requeue_race_has_one_winner(site: &dyn StoreSite) {
    let store = site.open().await;
    let other = site.open().await;
    let id = push(&*store, "a", "a1").await;
    let taken = store.inbox_take(LEASE, 1).await.unwrap();
    store.inbox_fail(&taken[0], "gave up").await.unwrap();
    let mut racers = tokio::task::JoinSet::new();
    for handle in 0..16 {
        let store = if handle % 2 == 0 {
            Arc::clone(&store)
        } else {
            Arc::clone(&other)
        };
        racers.spawn(async move { store.inbox_requeue(id).await.unwrap() });
    }
    let mut winners = 0;
    while let Some(won) = racers.join_next().await {
        winners += usize::from(won.unwrap());
    }
    assert_eq!(winners, 1);
    let again = store.inbox_take(LEASE, 10).await.unwrap();
    assert_eq!(payloads(&again), ["a1"]);
    assert_eq!(again[0].attempt(), 1);
}

pub async fn inbox_invalid_input_is_refused(site: &dyn StoreSite) {
    let store = site.open().await;
    let too_big = vec![b'x'; crate::limits::MAX_PAYLOAD_LEN + 1];
    for bad in [
        message("", "p"),
        InboxMessage::new("", "key", "p"),
        InboxMessage::new("test.source", "key", too_big),
        message("key", "p").dedup_key(""),
        message("nul\0", "p"),
    ] {
        assert!(matches!(
            store.inbox_push(&bad).await,
            Err(Error::InvalidInput { .. })
        ));
    }
    assert_eq!(store.inbox_stats().await.unwrap(), InboxStats::default());
    for max_batch in [0, crate::limits::MAX_INBOX_BATCH + 1] {
        assert!(matches!(
            store.inbox_take(LEASE, max_batch).await,
            Err(Error::InvalidInput {
                field: "max_batch",
                ..
            })
        ));
    }
    assert!(matches!(
        store.inbox_take(Duration::ZERO, 1).await,
        Err(Error::InvalidInput { field: "lease", .. })
    ));
    push(&*store, "key", "p").await;
    let taken = store.inbox_take(LEASE, 1).await.unwrap();
    assert!(matches!(
        store
            .inbox_retry(&taken[0], Duration::from_secs(2 * 24 * 3600), "later")
            .await,
        Err(Error::InvalidInput { field: "delay", .. })
    ));
    assert!(matches!(
        store.inbox_fail(&taken[0], "nul\0").await,
        Err(Error::InvalidInput { .. })
    ));
    // The refused calls left the lease live.
    store.inbox_complete(&taken[0]).await.unwrap();
}
