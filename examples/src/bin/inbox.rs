//! inbox: the operator's view of bridge-server's inbox, in the same link store.
//!
//! - `inbox stats`: entries by state;
//! - `inbox failed`: the webhooks the worker gave up on (a permanent refusal, or too many
//!   attempts), oldest first, with their reason; payloads hold customer messages, so only
//!   their size is shown unless `--payloads`;
//! - `inbox requeue ID...` or `inbox requeue --all`: once the cause is fixed, gives failed
//!   entries another run by the worker. Whatever was delivered before is not sent again.
//!
//! The store comes from `--store` or `LINK_STORE_URL`, as for bridge-server (default
//! `sqlite://bridge.db`). Run: `cargo run -p examples --bin inbox -- failed`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use examples::{link_store_url_from_env, open_link_store};
use meya_links::FailedInboxEntry;
use meya_links::prelude::*;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The most entries one store call lists.
const PAGE: usize = 100;

/// Looks at bridge-server's inbox and replays the webhooks its worker gave up on.
#[derive(Debug, Parser)]
#[command(name = "inbox", version)]
struct Args {
    /// The link store (sqlite://path or postgres://...); default: LINK_STORE_URL, else
    /// sqlite://bridge.db.
    #[arg(long, global = true)]
    store: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Entries by state.
    Stats,
    /// Failed entries, oldest first, with their reason.
    Failed {
        /// Print each payload (customer messages) too.
        #[arg(long)]
        payloads: bool,
    },
    /// Gives failed entries another run by the worker.
    Requeue {
        /// The entries' ids, as `failed` lists them.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<i64>,
        /// Every failed entry.
        #[arg(long)]
        all: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let url = args.store.unwrap_or_else(link_store_url_from_env);
    // Opening a SQLite path creates the file: a mistyped path would show an empty inbox.
    if let Some(path) = url.strip_prefix("sqlite://")
        && !std::path::Path::new(path).exists()
    {
        eprintln!("inbox: no link store at {path}");
        return ExitCode::from(2);
    }
    let store = match open_link_store(&url).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("inbox: {}", with_causes(&*error));
            return ExitCode::from(2);
        }
    };
    let done = match args.command {
        Command::Stats => stats(&*store).await,
        Command::Failed { payloads } => list_failed(&*store, payloads).await,
        Command::Requeue { ids, all } => requeue(&*store, ids, all).await,
    };
    match done {
        Ok(code) => code,
        Err(error) => {
            eprintln!("inbox: {}", with_causes(&error));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes, for the operator reading them ("link store backend error" alone
/// says little).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(": ");
        text.push_str(&error.to_string());
        cause = error.source();
    }
    text
}

async fn stats(store: &dyn LinkStore) -> meya_links::Result<ExitCode> {
    let stats = store.inbox_stats().await?;
    println!(
        "pending {}  in flight {}  done {}  failed {}",
        stats.pending, stats.in_flight, stats.done, stats.failed
    );
    Ok(ExitCode::SUCCESS)
}

async fn list_failed(store: &dyn LinkStore, payloads: bool) -> meya_links::Result<ExitCode> {
    let mut count = 0;
    let mut after = 0;
    while let Some(page) = next_page(store, &mut after).await? {
        count += page.len();
        for entry in &page {
            print_failed(entry, payloads);
        }
    }
    println!("{count} failed");
    Ok(ExitCode::SUCCESS)
}

fn print_failed(entry: &FailedInboxEntry, payload: bool) {
    let failed_at = OffsetDateTime::from(entry.failed_at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "?".into());
    println!(
        "#{} {} {} failed {failed_at} after {} attempt(s), {} bytes: {}",
        entry.id,
        entry.source,
        entry.ordering_key,
        entry.attempts,
        entry.payload.len(),
        entry.reason
    );
    if payload {
        println!("    {}", String::from_utf8_lossy(&entry.payload));
    }
}

async fn requeue(store: &dyn LinkStore, ids: Vec<i64>, all: bool) -> meya_links::Result<ExitCode> {
    let ids = if all {
        examples::failed_entry_ids(store).await?
    } else {
        ids
    };
    let mut missing = 0;
    for id in ids {
        if store.inbox_requeue(id).await? {
            println!("#{id} requeued");
        } else {
            eprintln!("#{id} is not a failed entry: left as it is");
            missing += 1;
        }
    }
    Ok(if missing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The next page of failed entries after `after` (moved past it), or `None` at the end.
async fn next_page(
    store: &dyn LinkStore,
    after: &mut i64,
) -> meya_links::Result<Option<Vec<FailedInboxEntry>>> {
    let page = store.inbox_failed(*after, PAGE).await?;
    match page.last() {
        Some(last) => {
            *after = last.id;
            Ok(Some(page))
        }
        None => Ok(None),
    }
}
