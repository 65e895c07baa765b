//! Group memberships: which agents are in which groups, and each agent's default group.
//!
//! Reference: <https://developer.zendesk.com/api-reference/ticketing/groups/group_memberships/>
//!
//! ```no_run
//! # async fn demo(client: zendesk_support::Client) -> zendesk_support::Result<()> {
//! let membership = client.group_memberships().create(72, 88).await?;
//! client.group_memberships().make_default(72, membership.id).await?;
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Call;
use crate::envelope::Keyed;
use crate::pagination::{List, Paging};
use crate::{Client, JobStatus, Result};

/// An agent's membership of a group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct GroupMembership {
    /// Its id.
    pub id: i64,
    /// Its API URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The agent.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// The group.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// Whether it is the agent's default group.
    #[serde(default)]
    pub default: Option<bool>,
    /// When it was made.
    #[serde(default, with = "crate::timestamp::optional")]
    pub created_at: Option<time::OffsetDateTime>,
    /// When it last changed.
    #[serde(default, with = "crate::timestamp::optional")]
    pub updated_at: Option<time::OffsetDateTime>,
}

#[derive(Serialize)]
struct NewMembership {
    user_id: i64,
    group_id: i64,
}

/// Group membership calls: `client.group_memberships()`.
#[derive(Debug, Clone, Copy)]
pub struct GroupMemberships<'c> {
    client: &'c Client,
}

impl Client {
    /// Group membership calls.
    pub fn group_memberships(&self) -> GroupMemberships<'_> {
        GroupMemberships { client: self }
    }
}

impl<'c> GroupMemberships<'c> {
    fn list_at(&self, path: String) -> List<'c, GroupMembership> {
        List::new(self.client, path, "group_memberships", Paging::Cursor)
    }

    /// Every membership of the account.
    pub fn list(&self) -> List<'c, GroupMembership> {
        self.list_at("api/v2/group_memberships".into())
    }

    /// The memberships of one group.
    pub fn list_for_group(&self, group_id: i64) -> List<'c, GroupMembership> {
        self.list_at(format!("api/v2/groups/{group_id}/memberships"))
    }

    /// The memberships of one agent.
    pub fn list_for_user(&self, user_id: i64) -> List<'c, GroupMembership> {
        self.list_at(format!("api/v2/users/{user_id}/group_memberships"))
    }

    /// The memberships of groups tickets may be assigned to.
    pub fn assignable(&self) -> List<'c, GroupMembership> {
        self.list_at("api/v2/group_memberships/assignable".into())
    }

    /// The memberships of one group, if tickets may be assigned to it.
    pub fn assignable_for_group(&self, group_id: i64) -> List<'c, GroupMembership> {
        self.list_at(format!("api/v2/groups/{group_id}/memberships/assignable"))
    }

    /// Reads a membership.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get(&self, id: i64) -> Result<GroupMembership> {
        let url = self.client.url(&format!("api/v2/group_memberships/{id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "group_membership")
            .await
    }

    /// Reads a membership of one agent.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn get_for_user(&self, user_id: i64, id: i64) -> Result<GroupMembership> {
        let url = self
            .client
            .url(&format!("api/v2/users/{user_id}/group_memberships/{id}"))?;
        self.client
            .fetch(Call::new(Method::GET, url), "group_membership")
            .await
    }

    /// Puts an agent in a group. Safe to repeat: Zendesk refuses a second membership of
    /// the same pair with a 422.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create(&self, user_id: i64, group_id: i64) -> Result<GroupMembership> {
        let url = self.client.url("api/v2/group_memberships")?;
        let call = Call::new(Method::POST, url).json(&Keyed(
            "group_membership",
            &NewMembership { user_id, group_id },
        ))?;
        self.client.fetch(call, "group_membership").await
    }

    /// Puts an agent in a group, through the agent's own memberships path.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn create_for_user(&self, user_id: i64, group_id: i64) -> Result<GroupMembership> {
        let url = self
            .client
            .url(&format!("api/v2/users/{user_id}/group_memberships"))?;
        let call = Call::new(Method::POST, url).json(&Keyed(
            "group_membership",
            &NewMembership { user_id, group_id },
        ))?;
        self.client.fetch(call, "group_membership").await
    }

    /// Creates up to 100 memberships (`(user_id, group_id)` pairs) in a background job.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for more than 100; see
    /// [`Error`](crate::Error).
    pub async fn create_many(&self, pairs: &[(i64, i64)]) -> Result<JobStatus> {
        crate::client::check_many("group membership", pairs.len())?;
        let body: Vec<NewMembership> = pairs
            .iter()
            .map(|&(user_id, group_id)| NewMembership { user_id, group_id })
            .collect();
        let url = self.client.url("api/v2/group_memberships/create_many")?;
        let call = Call::new(Method::POST, url).json(&Keyed("group_memberships", &body))?;
        self.client.fetch(call, "job_status").await
    }

    /// Takes an agent out of a group.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete(&self, id: i64) -> Result<()> {
        let url = self.client.url(&format!("api/v2/group_memberships/{id}"))?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Takes an agent out of a group, through the agent's own memberships path.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn delete_for_user(&self, user_id: i64, id: i64) -> Result<()> {
        let url = self
            .client
            .url(&format!("api/v2/users/{user_id}/group_memberships/{id}"))?;
        self.client.execute(Call::new(Method::DELETE, url)).await
    }

    /// Deletes up to 100 memberships in a background job.
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) for more than 100; see
    /// [`Error`](crate::Error).
    pub async fn destroy_many(&self, ids: &[i64]) -> Result<JobStatus> {
        crate::client::check_many("group membership", ids.len())?;
        let mut url = self.client.url("api/v2/group_memberships/destroy_many")?;
        url.query_pairs_mut()
            .append_pair("ids", &crate::client::join_ids(ids));
        self.client
            .fetch(Call::new(Method::DELETE, url), "job_status")
            .await
    }

    /// Makes a membership the agent's default group; answers the agent's memberships.
    ///
    /// # Errors
    /// See [`Error`](crate::Error).
    pub async fn make_default(&self, user_id: i64, id: i64) -> Result<Vec<GroupMembership>> {
        let url = self.client.url(&format!(
            "api/v2/users/{user_id}/group_memberships/{id}/make_default"
        ))?;
        let call = Call::new(Method::PUT, url).idempotent(true);
        self.client
            .fetch_list::<GroupMembership>(call, "group_memberships")
            .await
    }
}
