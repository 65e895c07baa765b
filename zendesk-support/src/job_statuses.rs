//! Job statuses: what the bulk calls (`create_many`, `update_many`, `destroy_many`, ...)
//! answer, and how to wait for one to finish.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/ticket-management/job_statuses/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! use std::time::Duration;
//!
//! let job = client.organizations().destroy_many(&[35436, 20057623]).await?;
//! let done = client.job_statuses().wait(&job, Duration::from_secs(2), Duration::from_secs(120)).await?;
//! for result in &done.results {
//!     println!("{:?} {:?}", result.id, result.success);
//! }
//! # Ok(()) }
//! ```

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::client::Call;
use crate::open_enum::open_enum;
use crate::pagination::{List, Paging};
use crate::{Client, Error, Result};

open_enum! {
    /// Where a job is.
    pub enum JobState {
        /// Waiting for a worker.
        Queued = "queued",
        /// Running.
        Working = "working",
        /// Ended with an error.
        Failed = "failed",
        /// Done (each item's own outcome is in the results).
        Completed = "completed",
        /// Stopped by Zendesk.
        Killed = "killed",
    }
}

/// A bulk job: a handle to poll until it is finished.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct JobStatus {
    /// Its id.
    pub id: String,
    /// Where it is.
    #[serde(default)]
    pub status: Option<JobState>,
    /// The kind of job, e.g. `ThirdPartyOrganizationCreateJob`.
    #[serde(default)]
    pub job_type: Option<String>,
    /// Items done so far.
    #[serde(default)]
    pub progress: Option<u64>,
    /// Items in all.
    #[serde(default)]
    pub total: Option<u64>,
    /// The worker's message.
    #[serde(default)]
    pub message: Option<String>,
    /// One result per item (or, for some jobs, one overall outcome).
    #[serde(default, deserialize_with = "results")]
    pub results: Vec<JobResult>,
    /// Where to poll it.
    #[serde(default)]
    pub url: Option<String>,
}

impl JobStatus {
    /// Whether it will change no more (completed, failed or killed).
    pub fn is_finished(&self) -> bool {
        matches!(
            self.status,
            Some(JobState::Completed | JobState::Failed | JobState::Killed)
        )
    }
}

/// The outcome of one item of a job.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct JobResult {
    /// The record's id.
    #[serde(default)]
    pub id: Option<i64>,
    /// Its position in the request.
    #[serde(default)]
    pub index: Option<u64>,
    /// What was done: `create`, `update`, `delete`, ...
    #[serde(default)]
    pub action: Option<String>,
    /// Whether it worked.
    #[serde(default)]
    pub success: Option<bool>,
    /// Zendesk's word for it, e.g. `Updated`.
    #[serde(default)]
    pub status: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// More about the failure.
    #[serde(default)]
    pub details: Option<String>,
    /// The record's external id, when the job used them.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// `results` is a list of per-item results, or one `{"success": ..}` object.
fn results<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<JobResult>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Array(items)) => items
            .into_iter()
            .map(JobResult::deserialize)
            .collect::<std::result::Result<_, _>>()
            .map_err(serde::de::Error::custom)?,
        Some(one @ Value::Object(_)) => {
            vec![JobResult::deserialize(one).map_err(serde::de::Error::custom)?]
        }
        _ => Vec::new(),
    })
}

/// Job status calls: `client.job_statuses()`.
#[derive(Debug, Clone, Copy)]
pub struct JobStatuses<'c> {
    client: &'c Client,
}

impl Client {
    /// Job status calls.
    pub fn job_statuses(&self) -> JobStatuses<'_> {
        JobStatuses { client: self }
    }
}

/// Zendesk answers `show_many` for at most this many ids.
const MAX_SHOW_MANY: usize = 100;

impl<'c> JobStatuses<'c> {
    /// The account's recent jobs (Zendesk keeps them for about an hour).
    pub fn list(&self) -> List<'c, JobStatus> {
        List::new(
            self.client,
            "api/v2/job_statuses",
            "job_statuses",
            Paging::Cursor,
        )
    }

    /// Reads a job.
    ///
    /// # Errors
    /// See [`Error`].
    pub async fn get(&self, id: &str) -> Result<JobStatus> {
        if id.is_empty() {
            return Err(Error::Config("the job id is empty".into()));
        }
        let url = self.client.url(&format!(
            "api/v2/job_statuses/{}",
            crate::client::path_segment(id)
        ))?;
        self.client
            .fetch(Call::new(Method::GET, url), "job_status")
            .await
    }

    /// Reads several jobs at once (up to 100 ids).
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100 ids; see [`Error`].
    pub async fn get_many(&self, ids: &[&str]) -> Result<Vec<JobStatus>> {
        if ids.len() > MAX_SHOW_MANY {
            return Err(Error::Config(format!(
                "{} job ids; Zendesk takes at most {MAX_SHOW_MANY}",
                ids.len()
            )));
        }
        let mut url = self.client.url("api/v2/job_statuses/show_many")?;
        url.query_pairs_mut().append_pair("ids", &ids.join(","));
        self.client
            .fetch_list::<JobStatus>(Call::new(Method::GET, url), "job_statuses")
            .await
    }

    /// Sets, updates or removes skills-based routing attribute values of up to 100 agents
    /// in a background job: `action` is `upsert`, `update` or `delete`; `attribute_values`
    /// are `{"id": .., "agent_skill_priority": ..}` objects.
    ///
    /// # Errors
    /// [`Error::Config`] for more than 100 agents; see [`Error`].
    pub async fn set_agent_attribute_values(
        &self,
        action: &str,
        agent_ids: &[i64],
        attribute_values: &[Value],
    ) -> Result<JobStatus> {
        crate::client::check_many("agent", agent_ids.len())?;
        let body = serde_json::json!({"job": {
            "action": action,
            "items": agent_ids,
            "attributes": {"attribute_values": attribute_values},
        }});
        let url = self
            .client
            .url("api/v2/routing/agents/instance_values/jobs")?;
        let call = Call::new(Method::POST, url).json(&body)?;
        self.client.fetch(call, "job_status").await
    }

    /// Polls a job every `interval` until it is finished and answers its last status; a
    /// job not finished after waiting `timeout` in all is [`Error::JobTimeout`].
    ///
    /// # Errors
    /// [`Error::JobTimeout`], or what polling met; see [`Error`].
    pub async fn wait(
        &self,
        job: &JobStatus,
        interval: Duration,
        timeout: Duration,
    ) -> Result<JobStatus> {
        self.wait_with(job, interval, timeout, tokio::time::sleep)
            .await
    }

    /// [`wait`](Self::wait) with the pause between polls given: a test hands in one that
    /// returns at once (and counts), a service on another runtime its own timer. The time
    /// waited is the sum of the pauses asked for.
    ///
    /// # Errors
    /// As [`wait`](Self::wait).
    pub async fn wait_with<S, F>(
        &self,
        job: &JobStatus,
        interval: Duration,
        timeout: Duration,
        mut pause: S,
    ) -> Result<JobStatus>
    where
        S: FnMut(Duration) -> F,
        F: std::future::Future<Output = ()>,
    {
        let mut waited = Duration::ZERO;
        let mut current = job.clone();
        loop {
            if current.is_finished() {
                return Ok(current);
            }
            if waited >= timeout {
                return Err(Error::JobTimeout {
                    id: current.id,
                    waited,
                });
            }
            let step = interval.max(Duration::from_millis(1)).min(timeout - waited);
            pause(step).await;
            waited += step;
            current = self.get(&job.id).await?;
        }
    }
}
