//! The real `inbox` binary on a SQLite link store: it lists failed entries (sizes, not
//! payloads, unless asked), requeues them by id or all at once, and refuses what it cannot do
//! with an exit code and a reason.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use meya_links::prelude::*;
use meya_links::{InboxMessage, InboxPush, InboxStats, SqliteStore};

fn inbox(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inbox"))
        .env_clear()
        .arg("--store")
        .arg(format!("sqlite://{}", store.display()))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A store with `count` failed entries (one per customer) and one pending; answers their ids.
async fn store_with_failures(path: &Path, count: usize) -> Vec<i64> {
    let store = SqliteStore::open(path).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..count {
        let message = InboxMessage::new(
            "sunshine_conversations",
            format!("customer-{n}"),
            format!("secret customer text {n}").into_bytes(),
        );
        let InboxPush::Recorded { id } = store.inbox_push(&message).await.unwrap() else {
            panic!("a new message is recorded");
        };
        let taken = store.inbox_take(Duration::from_secs(30), 1).await.unwrap();
        assert_eq!(taken[0].id(), id);
        store
            .inbox_fail(&taken[0], &format!("Zendesk answered 422 for {n}"))
            .await
            .unwrap();
        ids.push(id);
    }
    let waiting = InboxMessage::new("zendesk.support", "ticket-1", b"{}".to_vec());
    store.inbox_push(&waiting).await.unwrap();
    store.close().await;
    ids
}

async fn stats(path: &Path) -> InboxStats {
    let store = SqliteStore::open(path).await.unwrap();
    let stats = store.inbox_stats().await.unwrap();
    store.close().await;
    stats
}

#[tokio::test]
async fn failed_entries_are_listed_then_requeued_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("links.db");
    let ids = store_with_failures(&path, 2).await;

    let listed = inbox(&path, &["failed"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let text = stdout(&listed);
    for (n, id) in ids.iter().enumerate() {
        assert!(
            text.contains(&format!("#{id} sunshine_conversations customer-{n}")),
            "{text}"
        );
        assert!(
            text.contains(&format!("Zendesk answered 422 for {n}")),
            "{text}"
        );
    }
    assert!(text.contains("after 1 attempt(s), 22 bytes"), "{text}");
    assert!(text.ends_with("2 failed\n"), "{text}");
    // Customer messages stay out of the listing unless asked for.
    assert!(!text.contains("secret customer text"), "{text}");
    let with_payloads = stdout(&inbox(&path, &["failed", "--payloads"]));
    assert!(
        with_payloads.contains("secret customer text 1"),
        "{with_payloads}"
    );

    let requeued = inbox(&path, &["requeue", &ids[0].to_string()]);
    assert!(requeued.status.success(), "{}", stderr(&requeued));
    assert_eq!(stdout(&requeued), format!("#{} requeued\n", ids[0]));
    let after = stats(&path).await;
    assert_eq!((after.pending, after.failed), (2, 1));
    assert!(stdout(&inbox(&path, &["stats"])).contains("pending 2  in flight 0  done 0  failed 1"));

    // Requeued already, or never there: refused, and nothing changes.
    let again = inbox(&path, &["requeue", &ids[0].to_string(), "424242"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains(&format!("#{} is not a failed entry", ids[0])));
    assert!(stderr(&again).contains("#424242 is not a failed entry"));
    assert_eq!(stats(&path).await, after);
}

#[tokio::test]
async fn requeue_all_pages_through_every_failed_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("links.db");
    // More than one page of the store's listing (100).
    let ids = store_with_failures(&path, 130).await;
    let requeued = inbox(&path, &["requeue", "--all"]);
    assert!(requeued.status.success(), "{}", stderr(&requeued));
    assert_eq!(stdout(&requeued).lines().count(), ids.len());
    let after = stats(&path).await;
    assert_eq!((after.pending, after.failed), (131, 0));
    assert!(stdout(&inbox(&path, &["failed"])).ends_with("0 failed\n"));
}

#[test]
fn bad_stores_and_arguments_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.db");
    let output = inbox(&missing, &["stats"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no link store at"),
        "{}",
        stderr(&output)
    );
    assert!(!missing.exists(), "a mistyped path must not create a store");

    let unknown = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .env_clear()
        .args(["--store", "mysql://ops:hunter2@db.internal/links", "stats"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let message = stderr(&unknown);
    assert!(message.contains("must start with sqlite://"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");

    // Neither ids nor --all; both at once.
    let path = dir.path().join("links.db");
    for args in [&["requeue"][..], &["requeue", "1", "--all"]] {
        let output = inbox(&path, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
