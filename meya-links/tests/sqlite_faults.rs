//! The SQLite store when what is under it fails: the file locked by another process past
//! the busy timeout, the disk full. While it lasts every write is refused with a typed error
//! (a webhook is then answered 5xx and sent again); when it ends the same store writes
//! again, without reopening; nothing written before is lost and the file is sound.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use meya_links::prelude::*;
use meya_links::testing::SqliteSite;
use meya_links::{Error, InboxMessage, InboxPush, SqliteOptions, SqliteStore};

fn message(n: usize, payload_bytes: usize) -> InboxMessage {
    InboxMessage::new(
        "sunshine_conversations",
        format!("conv-{}", n % 7),
        vec![b'p'; payload_bytes],
    )
    .dedup_key(format!("event-{n}"))
}

/// The error and its sources, as a log line that follows the chain shows them.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

/// A connection of another process's: the driver opened on the file directly.
fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// `PRAGMA integrity_check` on the file, from a connection of its own.
async fn integrity(path: &Path) -> String {
    raw(path)
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}

/// Every entry the inbox holds, taken in one go: (ordering key, dedup key) pairs.
async fn everything_recorded(store: &SqliteStore) -> Vec<String> {
    let mut keys = Vec::new();
    loop {
        let taken = store
            .inbox_take(Duration::from_secs(60), 100)
            .await
            .unwrap();
        if taken.is_empty() {
            break;
        }
        for entry in taken {
            keys.push(entry.dedup_key().unwrap_or_default().to_owned());
            store.inbox_complete(&entry).await.unwrap();
        }
    }
    keys.sort();
    keys
}

#[tokio::test]
async fn a_file_locked_past_the_busy_timeout_refuses_writes_until_it_is_released() {
    let site = SqliteSite::new();
    let options = SqliteOptions::default().busy_timeout(Duration::from_millis(100));
    let store = SqliteStore::open_with(site.path(), options).await.unwrap();
    assert!(matches!(
        store.inbox_push(&message(0, 100)).await.unwrap(),
        InboxPush::Recorded { .. }
    ));

    // Another process takes the write lock and keeps it.
    let other = raw(&site.path());
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let refused = store.inbox_push(&message(1, 100)).await.unwrap_err();
    assert!(matches!(refused, Error::Backend(_)), "{refused:?}");
    assert!(
        chain(&refused).contains("locked") || chain(&refused).contains("busy"),
        "the error says why: {}",
        chain(&refused)
    );
    // Reads do not wait for the writer (WAL).
    assert_eq!(store.inbox_stats().await.unwrap().pending, 1);

    other.execute_batch("ROLLBACK").unwrap();
    // The same store writes again, the refused write included.
    assert!(matches!(
        store.inbox_push(&message(1, 100)).await.unwrap(),
        InboxPush::Recorded { .. }
    ));
    assert_eq!(everything_recorded(&store).await, ["event-0", "event-1"]);
    assert_eq!(integrity(&site.path()).await, "ok");
}

/// A tmpfs of its own, mounted for one test and unmounted after it: a disk that can fill.
struct SmallDisk {
    mount_point: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (and a note on stderr) where this process may not mount (not root, or in a
    /// container without the capability).
    fn mount(bytes: usize) -> Option<Self> {
        let mount_point = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(mount_point.path())
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(Self { mount_point }),
            Ok(output) => {
                eprintln!(
                    "SKIPPED: cannot mount a small tmpfs here ({}); the full-disk test needs \
                     root or CAP_SYS_ADMIN",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
            Err(error) => {
                eprintln!("SKIPPED: cannot run mount ({error})");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.mount_point.path()
    }

    fn filler(&self) -> PathBuf {
        self.path().join("filler")
    }

    /// Writes a file until the disk has no room left.
    fn fill(&self) {
        let mut filler = std::fs::File::create(self.filler()).unwrap();
        let block = vec![0_u8; 4096];
        while filler.write_all(&block).is_ok() {}
        let _ = filler.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.mount_point.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_and_they_resume_when_space_returns() {
    let Some(disk) = SmallDisk::mount(8 * 1024 * 1024) else {
        return;
    };
    let path = disk.path().join("links.db");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        let mut recorded = Vec::new();
        for n in 0..3 {
            store.inbox_push(&message(n, 20_000)).await.unwrap();
            recorded.push(format!("event-{n}"));
        }

        disk.fill();
        // The WAL may still have room for a few; it runs out soon.
        let mut refused = None;
        for n in 3..1_000 {
            match store.inbox_push(&message(n, 20_000)).await {
                Ok(_) => recorded.push(format!("event-{n}")),
                Err(error) => {
                    refused = Some((n, error));
                    break;
                }
            }
        }
        let (first_refused, error) = refused.expect("a full disk refuses a write");
        assert!(matches!(error, Error::Backend(_)), "{error:?}");
        assert!(
            chain(&error).contains("full"),
            "the error says why: {}",
            chain(&error)
        );
        // Still refused while it lasts; reads still answer.
        assert!(
            store
                .inbox_push(&message(first_refused, 20_000))
                .await
                .is_err()
        );
        assert!(store.inbox_stats().await.unwrap().pending >= 3);

        disk.free();
        // The same store, not reopened, writes again: the refused message is recorded now.
        store
            .inbox_push(&message(first_refused, 20_000))
            .await
            .unwrap();
        recorded.push(format!("event-{first_refused}"));
        recorded.sort();
        assert_eq!(everything_recorded(&store).await, recorded);
        store.close().await;
    }
    assert_eq!(integrity(&path).await, "ok");
    // And the file opens again with everything in it.
    let reopened = SqliteStore::open(&path).await.unwrap();
    assert_eq!(reopened.inbox_stats().await.unwrap().unfinished(), 0);
}

/// The store's files made immutable (`chattr +i`: even root may not write them) until
/// dropped. `None` (and a note) where the file system or the process cannot do it.
struct Immutable {
    files: Vec<PathBuf>,
}

impl Immutable {
    fn make(files: Vec<PathBuf>) -> Option<Self> {
        let done = Command::new("chattr").arg("+i").args(&files).output();
        match done {
            Ok(output) if output.status.success() => Some(Self { files }),
            other => {
                eprintln!(
                    "SKIPPED: cannot make files immutable here ({other:?}); the read-only test \
                     needs chattr on ext4 (or similar) as root"
                );
                let _ = Command::new("chattr").arg("-i").args(&files).status();
                None
            }
        }
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").args(&self.files).status();
    }
}

#[tokio::test]
async fn a_file_made_read_only_refuses_writes_until_it_is_writable_again() {
    let site = SqliteSite::new();
    let path = site.path();
    let store = SqliteStore::open(&path).await.unwrap();
    store.inbox_push(&message(0, 100)).await.unwrap();
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let Some(read_only) = Immutable::make(vec![path.clone(), wal]) else {
        return;
    };
    let refused = store.inbox_push(&message(1, 100)).await.unwrap_err();
    assert!(matches!(refused, Error::Backend(_)), "{refused:?}");
    assert_eq!(store.inbox_stats().await.unwrap().pending, 1, "reads go on");
    // Still refused while it lasts.
    assert!(store.inbox_push(&message(1, 100)).await.is_err());

    drop(read_only);
    store.inbox_push(&message(1, 100)).await.unwrap();
    assert_eq!(everything_recorded(&store).await, ["event-0", "event-1"]);
    store.close().await;
    assert_eq!(integrity(&path).await, "ok");
}
