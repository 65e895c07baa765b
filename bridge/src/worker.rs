//! The [`InboxWorker`]: processes in the background what the `accept_*` entry points recorded.
//!
//! A web handler calls [`Bridge::accept_zendesk_webhook`](crate::Bridge::accept_zendesk_webhook)
//! or [`Bridge::accept_sunco_webhook`](crate::Bridge::accept_sunco_webhook):
//! the request is verified and parsed (a bad one is refused at once, 401 or 400), recorded in
//! the link store's inbox, and answered 200. An [`InboxWorker`] running beside the server takes
//! the recorded webhooks, processes them with bounded retries and backoff, and records the
//! outcome. A crash loses nothing: the next process (or another replica) takes the unfinished
//! entries once their lease runs out, and the delivery records keep every message exactly-once.
//!
//! One ticket's webhooks, and one customer's messages, are processed in order, one batch at a
//! time; several messages from one customer waiting together go into one ticket update (Zendesk
//! allows 30 updates per ticket in 10 minutes).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use meya_links::{Clock, InboxEntry, SystemClock, ZENDESK_SUPPORT};
use sunshine_conversations::inbound;
use tokio::sync::watch;

use crate::context::Context;
use crate::flows::{customer_messages, ticket_events};
use crate::upstream_pause::{Admission, Finding, UpstreamPause};
use crate::{Error, Result, ZendeskWebhookOutcome};

/// How an [`InboxWorker`] works.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorkerOptions {
    /// Batches processed at once (each for a different ticket or customer). Default: 4.
    pub concurrency: usize,
    /// How long a batch is leased; a crashed worker's batch is taken again after it, and
    /// processing a batch is cut off at three quarters of it. Default: 2 minutes.
    pub lease: Duration,
    /// Most entries in one batch (one customer's waiting messages). Default: 20.
    pub max_batch: usize,
    /// Attempts before an entry is given up on (kept as failed). Default: 12.
    pub max_attempts: u32,
    /// The first retry delay; it doubles with each attempt, with jitter. Default: 1 s.
    pub retry_base: Duration,
    /// The longest retry delay. Default: 5 minutes.
    pub retry_max: Duration,
    /// How often an idle worker looks for work recorded by other processes or due for a
    /// retry. Work recorded by this process wakes it at once. Default: 1 s.
    pub poll_interval: Duration,
    /// How long processed entries are kept to recognise repeated webhooks. Default: 24 h.
    pub keep_done: Duration,
    /// What "now" is when purging processed entries: the system clock, or in tests a
    /// [`ManualClock`](meya_links::ManualClock) (give the store the same one: leases and retry
    /// delays are the store's to time).
    pub clock: Arc<dyn Clock>,
    /// Called with each batch's report as the running worker finishes it (after logging):
    /// an operator page's history, a test's probe. Default: none.
    pub on_batch: Option<BatchObserver>,
}

/// A callback for [`WorkerOptions::on_batch`].
#[derive(Clone)]
pub struct BatchObserver(Arc<dyn Fn(&BatchReport) + Send + Sync>);

impl std::fmt::Debug for BatchObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BatchObserver")
    }
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(120),
            max_batch: 20,
            max_attempts: 12,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
            keep_done: Duration::from_secs(24 * 60 * 60),
            clock: Arc::new(SystemClock),
            on_batch: None,
        }
    }
}

impl WorkerOptions {
    /// Sets [`concurrency`](Self::concurrency) (at least 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets [`lease`](Self::lease) (at least 1 s).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// Sets [`max_batch`](Self::max_batch) (1 to 100).
    pub fn max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.clamp(1, meya_links::limits::MAX_INBOX_BATCH);
        self
    }

    /// Sets [`max_attempts`](Self::max_attempts) (at least 1).
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets [`retry_base`](Self::retry_base) and [`retry_max`](Self::retry_max).
    pub fn retry_delays(mut self, base: Duration, max: Duration) -> Self {
        self.retry_base = base;
        self.retry_max = max.max(base);
        self
    }

    /// Sets [`poll_interval`](Self::poll_interval).
    pub fn poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }

    /// Sets [`keep_done`](Self::keep_done).
    pub fn keep_done(mut self, keep_done: Duration) -> Self {
        self.keep_done = keep_done;
        self
    }

    /// Sets [`clock`](Self::clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets [`on_batch`](Self::on_batch).
    pub fn on_batch(mut self, observer: impl Fn(&BatchReport) + Send + Sync + 'static) -> Self {
        self.on_batch = Some(BatchObserver(Arc::new(observer)));
        self
    }
}

/// What processing one batch led to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchReport {
    /// `zendesk.support` or `sunshine_conversations`.
    pub source: String,
    /// The ticket or customer the batch belongs to.
    pub ordering_key: String,
    /// How many entries (webhooks or events) it held.
    pub entries: usize,
    /// How it ended.
    pub outcome: BatchOutcome,
}

/// How a batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchOutcome {
    /// Processed; every entry is done.
    Done,
    /// A transient failure: the unfinished entries are taken again after `after`.
    Retrying {
        /// The retry delay.
        after: Duration,
        /// What went wrong.
        error: String,
    },
    /// Given up on (a permanent failure, or too many attempts): the unfinished entries are
    /// kept as failed, with `reason`.
    Failed {
        /// What went wrong.
        reason: String,
    },
}

/// Processes the inbox: takes recorded webhooks in order, runs the flows, retries transient
/// failures with backoff, and gives up (keeping the entry as failed) after
/// [`WorkerOptions::max_attempts`] or at a permanent failure. Failed entries are listed by
/// [`Inbox::inbox_failed`](meya_links::Inbox::inbox_failed) with their reason; once
/// the cause is fixed, [`Inbox::inbox_requeue`](meya_links::Inbox::inbox_requeue)
/// gives one another run, and nothing already delivered is sent twice.
///
/// When Zendesk or SunCo answers 429 with a `Retry-After` longer than a call waits out (an
/// account limit), the worker takes nothing until that time has passed (on
/// [`WorkerOptions::clock`]), then lets one batch through first and the rest once it got
/// through: a minute of 429s costs a refused call per batch in flight, not a retry storm.
/// Each process learns of the limit from its own calls.
///
/// ```no_run
/// # async fn demo(bridge: zendesk_sunco_bridge::Bridge, sigterm: impl std::future::Future<Output = ()> + Send) {
/// use zendesk_sunco_bridge::WorkerOptions;
///
/// let worker = bridge.inbox_worker().options(WorkerOptions::default().concurrency(8));
/// // Runs until the future completes (e.g. on SIGTERM), then finishes the batches in hand.
/// worker.run(sigterm).await;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct InboxWorker {
    context: Arc<Context>,
    options: WorkerOptions,
}

/// Why a batch stopped: how many of its entries were finished first, and the error.
struct Stopped {
    finished: usize,
    error: Error,
}

impl InboxWorker {
    pub(crate) fn new(context: Arc<Context>) -> Self {
        Self {
            context,
            options: WorkerOptions::default(),
        }
    }

    /// Replaces the options.
    pub fn options(mut self, options: WorkerOptions) -> Self {
        self.options = options;
        self
    }

    /// Takes the next ready batch, processes it and records how it ended; `None` when nothing
    /// is ready.
    ///
    /// # Errors
    /// [`Error::Store`] when the link store fails while taking or recording; the batch's
    /// lease then runs out and it is taken again.
    pub async fn process_next(&self) -> Result<Option<BatchReport>> {
        let pause = &self.context.upstream_pause;
        let probe = match pause.admit(self.options.clock.now()) {
            Admission::Wait => return Ok(None),
            Admission::Go { probe } => probe,
        };
        // Settled however this ends, cancelled included: a probe left open would pause the
        // process for good.
        let mut admitted = Admitted {
            pause,
            probe,
            clock: &self.options.clock,
            finding: Finding::Inconclusive,
        };
        let processed = self.take_and_process().await?;
        Ok(processed.map(|(report, finding)| {
            admitted.finding = finding;
            report
        }))
    }

    async fn take_and_process(&self) -> Result<Option<(BatchReport, Finding)>> {
        let options = &self.options;
        let entries = self
            .context
            .store
            .inbox_take(options.lease, options.max_batch)
            .await?;
        let Some(first) = entries.first() else {
            return Ok(None);
        };
        let budget = options.lease.mul_f64(0.75);
        let processed = match tokio::time::timeout(budget, self.process(&entries)).await {
            Ok(processed) => processed,
            Err(_) => Err(Stopped {
                finished: 0,
                error: Error::BatchTimedOut(budget),
            }),
        };
        let (outcome, finding) = match processed {
            Ok(()) => (BatchOutcome::Done, Finding::Passed),
            Err(stopped) => {
                let finding = match stopped.error.rate_limited_for() {
                    Some(wait) => Finding::RateLimited(wait),
                    None => Finding::Passed,
                };
                (self.record_failure(&entries, stopped).await?, finding)
            }
        };
        let report = BatchReport {
            source: first.source().to_owned(),
            ordering_key: first.ordering_key().to_owned(),
            entries: entries.len(),
            outcome,
        };
        crate::telemetry::batch(&report, &entries);
        Ok(Some((report, finding)))
    }

    /// Processes batches until none is ready (work due later, e.g. a retry, waits); answers
    /// their reports. For tests, tools and one-shot jobs.
    ///
    /// # Errors
    /// As [`process_next`](Self::process_next).
    pub async fn drain(&self) -> Result<Vec<BatchReport>> {
        let mut reports = Vec::new();
        while let Some(report) = self.process_next().await? {
            reports.push(report);
        }
        Ok(reports)
    }

    /// Runs [`concurrency`](WorkerOptions::concurrency) loops until `shutdown` completes, then
    /// lets each finish the batch in hand and returns. Work this process records wakes a loop
    /// at once; work from other replicas and retries due are found by polling. Processed
    /// entries older than [`keep_done`](WorkerOptions::keep_done) are purged along the way.
    ///
    /// To bound shutdown, wrap this in a timeout: a batch abandoned mid-way is taken again
    /// (by this service's next process or another replica) once its lease runs out.
    pub async fn run(&self, shutdown: impl Future<Output = ()> + Send) {
        let (stop, stopped) = watch::channel(false);
        let mut loops = tokio::task::JoinSet::new();
        for _ in 0..self.options.concurrency.max(1) {
            let worker = self.clone();
            let stopped = stopped.clone();
            loops.spawn(async move { worker.work_loop(stopped).await });
        }
        let purge = self.clone();
        let purge_stopped = stopped.clone();
        loops.spawn(async move { purge.purge_loop(purge_stopped).await });
        shutdown.await;
        let _ = stop.send(true);
        tracing::info!("inbox worker stopping: finishing the batches in hand");
        while loops.join_next().await.is_some() {}
    }

    async fn work_loop(&self, mut stopped: watch::Receiver<bool>) {
        while !*stopped.borrow() {
            let idle = match self.process_next().await {
                Ok(Some(report)) => {
                    log_report(&report);
                    if let Some(BatchObserver(observe)) = &self.options.on_batch {
                        observe(&report);
                    }
                    false
                }
                Ok(None) => true,
                Err(error) => {
                    tracing::warn!(error = %error, "inbox worker could not reach the link store");
                    true
                }
            };
            if idle {
                tokio::select! {
                    () = self.context.inbox_ready.notified() => {}
                    () = tokio::time::sleep(self.options.poll_interval) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    }

    async fn purge_loop(&self, mut stopped: watch::Receiver<bool>) {
        let every = (self.options.keep_done / 24).max(Duration::from_secs(60));
        while !*stopped.borrow() {
            let before = self
                .options
                .clock
                .now()
                .checked_sub(self.options.keep_done)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            match self.context.store.inbox_purge(before).await {
                Ok(0) => {}
                Ok(purged) => tracing::debug!(purged, "old inbox entries purged"),
                Err(error) => tracing::warn!(error = %error, "could not purge the inbox"),
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// Runs a batch: Zendesk webhooks one by one (each finished as it succeeds), SunCo events
    /// all together (one customer's messages, batched into one update).
    async fn process(&self, entries: &[InboxEntry]) -> Result<(), Stopped> {
        let store = &self.context.store;
        let stop = |finished, error: Error| Stopped { finished, error };
        if entries
            .iter()
            .all(|entry| entry.source() == ZENDESK_SUPPORT)
        {
            for (index, entry) in entries.iter().enumerate() {
                self.process_zendesk(entry)
                    .await
                    .map_err(|error| stop(index, error))?;
                store
                    .inbox_complete(entry)
                    .await
                    .map_err(|error| stop(index, error.into()))?;
            }
            return Ok(());
        }
        // Entries finished here (failed, or completed before an error) refuse the later
        // retry with LeaseLost, which `record_failure` passes over: stopping at 0 is safe.
        let mut events = Vec::new();
        let mut readable = Vec::new();
        for entry in entries {
            match inbound::parse(entry.payload()) {
                Ok(envelope) => {
                    events.extend(envelope.events);
                    readable.push(entry);
                }
                Err(error) => {
                    // Kept as failed for someone to look at; its neighbours go on.
                    tracing::error!(entry = entry.id(), error = %error, "recorded SunCo event unreadable");
                    store
                        .inbox_fail(entry, &format!("unreadable SunCo event: {error}"))
                        .await
                        .map_err(|error| stop(0, error.into()))?;
                }
            }
        }
        customer_messages::process(&self.context, &events)
            .await
            .map_err(|error| stop(0, error))?;
        for entry in readable {
            store
                .inbox_complete(entry)
                .await
                .map_err(|error| stop(0, error.into()))?;
        }
        Ok(())
    }

    async fn process_zendesk(&self, entry: &InboxEntry) -> Result<()> {
        let event = zendesk_support::inbound::parse_ticket_event(entry.payload())
            .map_err(|error| Error::UnreadableEntry("Zendesk", error.into()))?;
        let outcome = ticket_events::process(&self.context, &event).await?;
        let comments = match &outcome {
            ZendeskWebhookOutcome::Synced { comments, .. }
            | ZendeskWebhookOutcome::Unlinked { comments, .. } => Some(comments),
            ZendeskWebhookOutcome::Started(started) => Some(&started.comments),
            _ => None,
        };
        // Another worker was delivering one of the comments (or crashed doing so): come back
        // to check it finished, or the comments after it would wait for the next webhook.
        if comments.is_some_and(|comments| comments.in_progress > 0) {
            return Err(Error::Busy(format!(
                "a comment of ticket {}",
                event.ticket.id
            )));
        }
        Ok(())
    }

    /// Retries or fails the entries a batch did not finish; answers what was decided.
    async fn record_failure(
        &self,
        entries: &[InboxEntry],
        stopped: Stopped,
    ) -> Result<BatchOutcome> {
        let Stopped { finished, error } = stopped;
        let unfinished = &entries[finished.min(entries.len())..];
        let Some(first) = unfinished.first() else {
            return Ok(BatchOutcome::Done);
        };
        let text = crate::error::describe(&error);
        let give_up = !error.is_transient() || first.attempt() >= self.options.max_attempts;
        let outcome = if give_up {
            BatchOutcome::Failed { reason: text }
        } else {
            let after = self.retry_delay(first.attempt(), error.retry_after());
            BatchOutcome::Retrying { after, error: text }
        };
        for entry in unfinished {
            let recorded = match &outcome {
                BatchOutcome::Failed { reason } => {
                    self.context.store.inbox_fail(entry, reason).await
                }
                BatchOutcome::Retrying { after, error } => {
                    self.context.store.inbox_retry(entry, *after, error).await
                }
                BatchOutcome::Done => Ok(()),
            };
            match recorded {
                // Finished already (a batch cut off by its time budget), or taken over.
                Err(meya_links::Error::LeaseLost { .. }) => {}
                other => other?,
            }
        }
        Ok(outcome)
    }

    /// Exponential from `retry_base`, capped at `retry_max`, with jitter; never shorter than
    /// what the upstream asked for.
    fn retry_delay(&self, attempt: u32, asked: Option<Duration>) -> Duration {
        let options = &self.options;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(options.retry_base)
            .with_max_delay(options.retry_max)
            .with_jitter()
            .without_max_times()
            .build()
            .nth(attempt.saturating_sub(1) as usize)
            .unwrap_or(options.retry_max);
        backoff
            .min(options.retry_max)
            .max(asked.unwrap_or_default())
    }
}

/// A batch let through by the [`UpstreamPause`](crate::upstream_pause::UpstreamPause), which
/// learns what it found when this is dropped.
struct Admitted<'a> {
    pause: &'a UpstreamPause,
    probe: bool,
    clock: &'a Arc<dyn Clock>,
    finding: Finding,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.pause
            .settle(self.probe, self.clock.now(), self.finding);
    }
}

fn log_report(report: &BatchReport) {
    match &report.outcome {
        BatchOutcome::Done => tracing::debug!(
            source = %report.source,
            key = %report.ordering_key,
            entries = report.entries,
            "inbox batch done"
        ),
        BatchOutcome::Retrying { after, error } => tracing::warn!(
            source = %report.source,
            key = %report.ordering_key,
            entries = report.entries,
            retry_in = ?after,
            error = %error,
            "inbox batch failed; will retry"
        ),
        BatchOutcome::Failed { reason } => tracing::error!(
            source = %report.source,
            key = %report.ordering_key,
            entries = report.entries,
            reason = %reason,
            "inbox batch given up; kept as failed"
        ),
    }
}
